"""The single writer of a distributed crawl: moves queued items into the archive.

Reliability: workers add items at the head of the item list; the writer reads a
batch from its tail (LRANGE, which works even when Redis is full), writes it,
and trims exactly that batch off the list only after its transactions have
committed. A writer killed in between reads the same batch again; pages the
run already recorded are skipped, so nothing is lost and nothing is recorded
twice. Every message is checked first: one that is malformed, or that the
archive refuses, is quarantined on the rejected list with the reason, and the
items behind it are written.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from archiver.distributed import messages
from archiver.distributed.keys import Keys
from archiver.distributed.messages import BadMessage, Message
from archiver.distributed.registry import redis_memory
from archiver.store.queries import distributed_run, get_run, run_page_urls
from archiver.store.schema import ArchiveError
from archiver.store.writer import ArchiveWriter, utcnow

LOCK_TTL_SECONDS = 5.0
POLL_SECONDS = (0.05, 0.2, 0.5, 1.0)  # waits on an empty list, growing; short enough to see stop requests

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
_REFRESH = ("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) "
            "end return 0")


class WriterLocked(Exception):
    """Another `archiver ingest` is writing from this Redis."""


class WriterLock:
    """One ingest per Redis: a key that expires unless its holder refreshes it, so a
    killed writer's lock is gone within LOCK_TTL_SECONDS."""

    def __init__(self, client, key: str, ttl: float = LOCK_TTL_SECONDS):
        self.client, self.key, self.ttl_ms = client, key, int(ttl * 1000)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def acquire(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        while not self.client.set(self.key, self.token, nx=True, px=self.ttl_ms):
            if time.monotonic() >= deadline:
                holder = (self.client.get(self.key) or "unknown").rsplit(":", 1)[0]
                raise WriterLocked(f"another archiver ingest ({holder}) is writing from this Redis")
            time.sleep(0.2)

    def refresh(self, *, reacquire: bool = False) -> None:
        if self.client.eval(_REFRESH, 1, self.key, self.token, self.ttl_ms):
            return
        # Expired while Redis restarted (or this process stalled): take it again unless
        # another writer did meanwhile.
        if not (reacquire and self.client.set(self.key, self.token, nx=True, px=self.ttl_ms)):
            raise WriterLocked("lost the writer lock (this process stalled longer than its expiry)")

    def release(self) -> None:
        self.client.eval(_RELEASE, 1, self.key, self.token)


@dataclass
class Counts:
    messages: int = 0
    articles: int = 0
    outcomes: int = 0
    recovered: int = 0
    already_written: int = 0
    rejected: int = 0


def _archive_problem(exc: BaseException) -> bool:
    """True when a failed write is the archive's fault (disk full, read-only, locked), not the item's."""
    cause = exc.__cause__ if isinstance(exc, ArchiveError) else exc
    return isinstance(cause, sqlite3.OperationalError) or (isinstance(exc, ArchiveError) and cause is None)


class Ingest:
    """Writes queued items into one archive; one ArchiveWriter per recorded run."""

    def __init__(self, client, keys: Keys, db_path: str, *, batch_size: int = 100, keep_raw: bool = True,
                 on_finished: Callable[[int], None] | None = None, log: Callable[[str], None] | None = None,
                 on_written: Callable[[ArchiveWriter, list[str]], None] | None = None, redis_wait: float = 120):
        self.client = client
        self.redis_wait = redis_wait
        self.keys = keys
        self.db_path = db_path
        self.batch_size = batch_size
        self.keep_raw = keep_raw
        self.on_finished = on_finished or (lambda run_id: None)
        self.on_written = on_written or (lambda writer, urls: None)
        self.log = log or (lambda text: None)
        self.writers: dict[tuple[str, str], ArchiveWriter] = {}
        self.recorded: dict[int, set[str]] = {}  # run id -> URLs with an outcome (committed or buffered)
        self.pending: dict[tuple[str, str], list[tuple[str, Message]]] = {}
        self.counts = Counts()

    # --- the loop -----------------------------------------------------------
    def run(self, *, idle_timeout: float = 0, stop: Callable[[], bool] = lambda: False,
            tick: Callable[[], None] = lambda: None) -> Counts:
        """Write until stopped, or until nothing came for `idle_timeout` s (0: never)."""
        from redis.exceptions import ConnectionError, TimeoutError

        self.recover()
        idle_since = time.monotonic()
        empty_polls = 0
        try:
            while not stop():
                if not self.reachable(stop):
                    break
                try:
                    tick()
                    batch = self.take()
                    done = self.process(batch) if batch else 0
                    if done:
                        self.client.ltrim(self.keys.items, 0, -(done + 1))
                except (ConnectionError, TimeoutError):
                    continue  # a batch not trimmed is read again; its pages are not written twice
                if done:
                    idle_since, empty_polls = time.monotonic(), 0
                elif batch:  # Redis refused a write the next item needs: it is full
                    self.log(f"Redis is full ({redis_memory(self.client)}); waiting for memory to write on")
                    time.sleep(POLL_SECONDS[-1])
                elif idle_timeout and time.monotonic() - idle_since >= idle_timeout:
                    break
                else:
                    time.sleep(POLL_SECONDS[min(empty_polls, len(POLL_SECONDS) - 1)])
                    empty_polls += 1
        finally:
            self.close()
        return self.counts

    def reachable(self, stop: Callable[[], bool]) -> bool:
        """Wait out a Redis restart (up to redis_wait s): what was not trimmed is read again."""
        from redis.exceptions import ConnectionError, TimeoutError

        began, pause = time.monotonic(), 0.25
        while True:
            try:
                self.client.ping()
                if time.monotonic() - began > 0.5:
                    self.log(f"Redis is back after {time.monotonic() - began:.1f} s")
                return True
            except (ConnectionError, TimeoutError) as exc:
                if time.monotonic() - began >= self.redis_wait:
                    raise
                if pause == 0.25:
                    self.log(f"Redis unreachable ({exc}); waiting for it")
                if stop():
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 2.0)

    def recover(self) -> int:
        """Write what a writer of an older version had moved to the processing list."""
        left = self.client.lrange(self.keys.processing, 0, -1)
        if left:
            self.log(f"recovering {len(left)} item(s) a stopped writer had taken")
            # LMOVE put each taken item at the left: the oldest is on the right.
            done = self.process(list(reversed(left)))
            self.counts.recovered += done
            self.client.ltrim(self.keys.processing, 0, -(done + 1))
        return len(left)

    def take(self) -> list[str]:
        """The oldest items, oldest first; they stay on the list until trimmed."""
        return list(reversed(self.client.lrange(self.keys.items, -self.batch_size, -1)))

    # --- one batch ----------------------------------------------------------
    def process(self, batch: list[str]) -> int:
        """Write a batch, oldest first; how many of its items are done with.

        Redis refuses writes when it is full (maxmemory); the items before the
        one that needed a write are committed, and the rest are read again
        once trimming the done ones has freed memory.
        """
        from redis.exceptions import OutOfMemoryError

        done = 0
        try:
            for text in batch:
                try:
                    message = messages.decode(text)
                except BadMessage as exc:
                    self.quarantine(text, str(exc))
                else:
                    self.apply(text, message)
                    self.counts.messages += 1
                done += 1
        except OutOfMemoryError:
            pass
        self.flush_all()
        return done

    def apply(self, text: str, message: Message) -> None:
        key = (message.run, message.job)
        if message.kind in ("article", "outcome"):
            writer = self.writer_for(message)
            url = messages.page_url(message)
            recorded = self.recorded_urls(writer.run_id)
            if url in recorded:
                self.counts.already_written += 1
                return
            recorded.add(url)
            if message.kind == "article":
                writer.add_article(messages.to_fetched(message))
            else:
                d = message.data
                writer.add_outcome(d["url"], d["outcome"], d.get("reason"), d.get("status"), access=d.get("access"))
            self.pending.setdefault(key, []).append((text, message))
        elif message.kind == "not_due":
            self.writer_for(message).count_not_due(int(message.data["count"]))
            self.pending.setdefault(key, [])
        elif message.kind == "opened":
            self.writer_for(message, opening=True)
            self.client.sadd(self.keys.job(message.run, message.job, "workers"), message.worker)
        elif message.kind == "closed":
            self.flush(key)
            self.worker_closed(message)

    def flush_all(self) -> None:
        for key in list(self.pending):
            self.flush(key)

    def flush(self, key: tuple[str, str]) -> None:
        """Commit one run's buffered pages; an item the archive refuses is found and quarantined."""
        items = self.pending.pop(key, [])
        writer = self.writers.get(key)
        if writer is None:
            return
        try:
            writer.flush()
        except Exception as exc:  # noqa: BLE001 (any error of one item must not stop the writer)
            if _archive_problem(exc) or not items:
                raise
            self._write_one_by_one(writer, items)
        else:
            if items:
                self.counts_written(items)
                self.on_written(writer, [messages.page_url(m) for _, m in items])

    def _write_one_by_one(self, writer: ArchiveWriter, items: list[tuple[str, Message]]) -> None:
        recorded = self.recorded_urls(writer.run_id)
        for text, message in items:
            recorded.discard(messages.page_url(message))
        for text, message in items:
            self.apply(text, message)
            single = self.pending.pop((message.run, message.job), [])
            try:
                writer.flush()
            except Exception as exc:  # noqa: BLE001
                if _archive_problem(exc):
                    raise
                recorded.discard(messages.page_url(message))
                self.quarantine(text, f"the archive refused it: {exc}")
            else:
                self.counts_written(single)
                self.on_written(writer, [messages.page_url(m) for _, m in single])

    def counts_written(self, items: list[tuple[str, Message]]) -> None:
        for _, message in items:
            if message.kind == "article":
                self.counts.articles += 1
            else:
                self.counts.outcomes += 1

    def quarantine(self, text: str, reason: str) -> None:
        """Keep a message the writer cannot use on the rejected list, with the reason, and go on."""
        self.log(f"kept aside on {self.keys.rejected}: {reason}")
        self.client.lpush(self.keys.rejected, messages.quarantined(text, reason, utcnow()))
        self.counts.rejected += 1

    def recorded_urls(self, run_id: int) -> set[str]:
        if run_id not in self.recorded:
            writer = next(w for w in self.writers.values() if w.run_id == run_id)
            self.recorded[run_id] = run_page_urls(writer.db, run_id)
        return self.recorded[run_id]

    def writer_for(self, message: Message, *, opening: bool = False) -> ArchiveWriter:
        key = (message.run, message.job)
        writer = self.writers.get(key)
        if writer is not None:
            if opening and get_run(writer.db, writer.run_id)["status"] != "running":
                writer.resume_run(writer.run_id)
            return writer
        writer = ArchiveWriter(self.db_path, keep_raw=self.keep_raw)
        run_id = distributed_run(writer.db, message.run, message.job)
        if run_id is not None:
            writer.run_id = run_id
            if opening and get_run(writer.db, run_id)["status"] != "running":
                writer.resume_run(run_id)
                self.log(f"run {run_id}: workers took up distributed run {message.run}, job {message.job} again")
        else:
            info = message.data if message.kind == "opened" else {}
            run_id = writer.start_run(
                spider=info.get("spider") or "worker", mode=info.get("mode") or "worker",
                source=info.get("source"), args={"redis_run": message.run, "job": message.job},
            )
            self.log(f"run {run_id}: recording distributed run {message.run}, job {message.job}")
        self.writers[key] = writer
        return writer

    def worker_closed(self, message: Message) -> None:
        """A worker stopped (or was found gone); the last one to stop ends the recorded run.

        The run ends as its last worker did: a worker stops "finished" only when
        nothing of the job is queued or taken by any worker, and one that stops
        early gives its requests back, so an earlier worker's trouble no longer
        matters once another finished the work. The last worker found gone
        ends it as "workers_lost".
        """
        workers = self.keys.job(message.run, message.job, "workers")
        self.client.srem(workers, message.worker)
        if self.client.scard(workers):
            return
        status = "workers_lost" if message.data.get("lost") else message.data.get("status") or "finished"
        writer = self.writer_for(message)
        writer.finish_run(status)
        writer.close()
        del self.writers[(message.run, message.job)]
        self.recorded.pop(writer.run_id, None)
        self.on_finished(writer.run_id)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.flush()
            writer.close()
        self.writers.clear()
