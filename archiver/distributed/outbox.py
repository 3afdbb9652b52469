"""What a worker must get into Redis, in order, through Redis restarts and a full Redis.

Every item message and every new request goes through an Outbox. When Redis
cannot take it (unreachable, restarting, or full: "OOM command not allowed"),
it goes to a spool file on local disk instead, and everything after it too,
so order is kept; the worker stops taking new requests, and the spool is sent
as soon as Redis takes writes again. The spool is bounded
(ARCHIVER_SPOOL_MAX_MB); a spool left by a worker that stopped is sent by the
next worker started with the same ARCHIVER_SPOOL_DIR.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from archiver.cachedir import user_cache_dir
from archiver.distributed.registry import redis_memory

# Adds a request to a job's queue unless its duplicate filter has seen it; one
# step, so a request is never marked seen without being queued.
ENQUEUE = """
if ARGV[4] == '1' and redis.call('sadd', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('zadd', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

SPOOL_SUFFIX = ".spool"


def redis_trouble(exc: BaseException) -> bool:
    """Errors that pass: Redis unreachable, restarting, loading, full or read-only."""
    from redis.exceptions import ConnectionError, OutOfMemoryError, ReadOnlyError, TimeoutError

    return isinstance(exc, (ConnectionError, TimeoutError, OutOfMemoryError, ReadOnlyError))


def is_full(exc: BaseException | None) -> bool:
    from redis.exceptions import OutOfMemoryError

    return isinstance(exc, OutOfMemoryError)


def default_spool_dir() -> str:
    return str(user_cache_dir() / "spool")


class SpoolFull(Exception):
    """The local spool reached ARCHIVER_SPOOL_MAX_MB while Redis was still refusing writes."""


class Outbox:
    def __init__(self, client, spool_path: Path, *, max_bytes: int, log: Callable[[str], None]):
        self.client = client
        self.path = Path(spool_path)
        self.max_bytes = max_bytes
        self.log = log
        self.spooled = 0  # operations waiting in the spool
        self.spooled_bytes = 0
        self.sent_from_spool = 0
        self.trouble: BaseException | None = None  # why Redis refused the last write
        self.trouble_since: float | None = None
        self._next_try = 0.0
        self._backoff = 0.25
        self._fh = None
        self._enqueue = client.register_script(ENQUEUE)

    @property
    def clear(self) -> bool:
        """Nothing waits to get into Redis."""
        return not self.spooled

    # --- sending ---------------------------------------------------------------
    def push_item(self, key: str, text: str, *, urgent: bool = False) -> bool:
        """LPUSH an item message; False when it went to the spool. `urgent` messages
        (a page recorded as failed) may exceed the spool's bound."""
        return self._send({"op": "lpush", "key": key, "value": text}, urgent=urgent) is not None

    def enqueue(self, dupefilter: str, queue: str, fingerprint: str, score: float, data: bytes,
                filtered: bool) -> bool | None:
        """Queue a request: True queued, False seen before, None spooled."""
        op = {"op": "enqueue", "dupefilter": dupefilter, "queue": queue, "fp": fingerprint, "score": score,
              "data": base64.b64encode(data).decode("ascii"), "filtered": filtered}
        return self._send(op)

    def _send(self, op: dict, *, urgent: bool = False):
        if self.clear:
            try:
                return self._execute(op)
            except Exception as exc:  # noqa: BLE001
                if not redis_trouble(exc):
                    raise
                self.troubled(exc)
        self._spool(op, urgent=urgent)
        return None

    def _execute(self, op: dict):
        if op["op"] == "lpush":
            self.client.lpush(op["key"], op["value"])
            return True
        added = self._enqueue(keys=[op["dupefilter"], op["queue"]],
                              args=[op["fp"], op["score"], base64.b64decode(op["data"]), "1" if op["filtered"] else "0"])
        return bool(added)

    # --- the spool -------------------------------------------------------------
    def _spool(self, op: dict, *, urgent: bool) -> None:
        line = json.dumps(op, ensure_ascii=False, separators=(",", ":")) + "\n"
        if not urgent and self.spooled_bytes + len(line) > self.max_bytes:
            raise SpoolFull(f"the spool {self.path} is full ({self.max_bytes // 2**20} MB, ARCHIVER_SPOOL_MAX_MB)")
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._fh.write(line)
        self._fh.flush()
        self.spooled += 1
        self.spooled_bytes += len(line)

    def troubled(self, exc: BaseException) -> None:
        """Redis refused a write (or a read the worker needed): pause, and retry with growing pauses."""
        if self.trouble is None:
            self.trouble_since = time.monotonic()
            self.log(f"{describe_trouble(self.client, exc)}; keeping pages in {self.path} until it takes them again")
        self.trouble = exc
        self._next_try = time.monotonic() + self._backoff

    def drain(self, *, now: bool = False) -> bool:
        """Send what the spool holds, oldest first, with growing pauses between tries; True once clear."""
        if self.clear or (not now and time.monotonic() < self._next_try):
            return self.clear
        self._fh.flush()
        lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        sent = 0
        try:
            for line in lines:
                self._execute(json.loads(line))
                sent += 1
        except Exception as exc:  # noqa: BLE001
            if not redis_trouble(exc):
                raise
            self._backoff = min(self._backoff * 2, 5.0)
            self.troubled(exc)
        rest = lines[sent:]
        self._rewrite(rest)
        self.sent_from_spool += sent
        if not rest:
            self.recovered(sent)
        return self.clear

    def recovered(self, sent: int = 0) -> None:
        """Redis took a write again: the trouble is over."""
        if self.trouble is None:
            return
        waited = time.monotonic() - (self.trouble_since or time.monotonic())
        self.log(f"Redis takes writes again after {waited:.1f} s: sent {sent} spooled message(s)")
        self.trouble = self.trouble_since = None
        self._backoff = 0.25

    def _rewrite(self, rest: list[str]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(rest), encoding="utf-8")
        os.replace(tmp, self.path)
        self._fh.close()
        self._fh = open(self.path, "a", encoding="utf-8")
        fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.spooled, self.spooled_bytes = len(rest), sum(len(line) for line in rest)

    def troubled_for(self) -> float:
        return time.monotonic() - self.trouble_since if self.trouble_since is not None else 0.0

    def close(self) -> None:
        """Keep an unsent spool for the next worker; remove an empty one."""
        if self._fh is None:
            return
        self._fh.close()
        self._fh = None
        if self.clear:
            self.path.unlink(missing_ok=True)


def describe_trouble(client, exc: BaseException) -> str:
    if is_full(exc):
        return f"Redis is full ({redis_memory(client)}): it refuses new data"
    return f"Redis does not take writes ({type(exc).__name__}: {exc})"


def send_left_spools(client, spool_dir: str | Path, log: Callable[[str], None]) -> int:
    """Send the spools that stopped workers left in spool_dir (skipping live workers' own); how many messages."""
    directory = Path(spool_dir)
    if not directory.is_dir():
        return 0
    total = 0
    for path in sorted(directory.glob(f"*{SPOOL_SUFFIX}")):
        with open(path, "r+", encoding="utf-8") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a running worker's
            outbox = Outbox(client, path, max_bytes=0, log=log)
            lines = fh.read().splitlines(keepends=True)
            sent = 0
            try:
                for line in lines:
                    outbox._execute(json.loads(line))
                    sent += 1
            finally:  # a Redis error goes to the caller; what was not sent stays
                total += sent
                if sent < len(lines):
                    fh.seek(0)
                    fh.truncate()
                    fh.write("".join(lines[sent:]))
        path.unlink(missing_ok=True)
    if total:
        log(f"sent {total} message(s) a stopped worker had kept in {directory}")
    return total
