"""The single writer of a distributed crawl: moves queued items into the archive.

Reliability: an item is moved (BLMOVE) from the item list to a processing list,
written with ArchiveWriter, and removed from the processing list only after
its transaction has committed. A writer that dies leaves its batch on the
processing list; the next one writes it first, skipping pages the run already
recorded, so nothing is lost and nothing is recorded twice.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from archiver.distributed import messages
from archiver.distributed.keys import Keys
from archiver.distributed.messages import BadMessage, Message
from archiver.store.queries import distributed_run, page_recorded
from archiver.store.writer import ArchiveWriter

LOCK_TTL_SECONDS = 5.0
WAIT_SECONDS = 1.0  # longest block on an empty list, so stop requests and the lock are seen

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

    def refresh(self) -> None:
        if not self.client.eval(_REFRESH, 1, self.key, self.token, self.ttl_ms):
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


class Ingest:
    """Writes queued items into one archive; one ArchiveWriter per recorded run."""

    def __init__(self, client, keys: Keys, db_path: str, *, batch_size: int = 100, keep_raw: bool = True,
                 on_finished: Callable[[int], None] | None = None, log: Callable[[str], None] | None = None):
        self.client = client
        self.keys = keys
        self.db_path = db_path
        self.batch_size = batch_size
        self.keep_raw = keep_raw
        self.on_finished = on_finished or (lambda run_id: None)
        self.log = log or (lambda text: None)
        self.writers: dict[tuple[str, str], ArchiveWriter] = {}
        self.counts = Counts()

    # --- the loop -----------------------------------------------------------
    def run(self, *, idle_timeout: float = 0, stop: Callable[[], bool] = lambda: False,
            tick: Callable[[], None] = lambda: None) -> Counts:
        """Write until stopped, or until nothing came for `idle_timeout` s (0: never)."""
        self.recover()
        idle_since = time.monotonic()
        try:
            while not stop():
                tick()
                batch = self.take(WAIT_SECONDS)
                if batch:
                    self.process(batch)
                    idle_since = time.monotonic()
                elif idle_timeout and time.monotonic() - idle_since >= idle_timeout:
                    break
        finally:
            self.close()
        return self.counts

    def recover(self) -> int:
        """Write what a stopped writer took but may not have committed."""
        left = self.client.lrange(self.keys.processing, 0, -1)
        if left:
            self.log(f"recovering {len(left)} item(s) a stopped writer had taken")
            # LMOVE puts each taken item at the left: the oldest is on the right.
            self.process(list(reversed(left)), recovered=True)
            self.counts.recovered += len(left)
        return len(left)

    def take(self, wait: float) -> list[str]:
        first = self.client.blmove(self.keys.items, self.keys.processing, wait, "RIGHT", "LEFT")
        if first is None:
            return []
        with self.client.pipeline(transaction=False) as pipe:
            for _ in range(self.batch_size - 1):
                pipe.lmove(self.keys.items, self.keys.processing, "RIGHT", "LEFT")
            more = [text for text in pipe.execute() if text is not None]
        return [first, *more]

    # --- one batch ----------------------------------------------------------
    def process(self, batch: list[str], *, recovered: bool = False) -> None:
        touched: set[tuple[str, str]] = set()
        for text in batch:
            try:
                message = messages.decode(text)
            except BadMessage as exc:
                self.log(f"kept aside on {self.keys.rejected}: {exc}")
                self.client.lpush(self.keys.rejected, text)
                self.counts.rejected += 1
                continue
            self.counts.messages += 1
            key = (message.run, message.job)
            if message.kind in ("article", "outcome"):
                writer = self.writer_for(message)
                if recovered and page_recorded(writer.db, writer.run_id, messages.page_url(message)):
                    self.counts.already_written += 1
                    continue
                if message.kind == "article":
                    writer.add_article(messages.to_fetched(message))
                    self.counts.articles += 1
                else:
                    d = message.data
                    writer.add_outcome(d["url"], d["outcome"], d.get("reason"), d.get("status"))
                    self.counts.outcomes += 1
                touched.add(key)
            elif message.kind == "not_due":
                self.writer_for(message).count_not_due(int(message.data.get("count") or 1))
                touched.add(key)
            elif message.kind == "opened":
                self.writer_for(message)
                self.client.sadd(self.keys.job(message.run, message.job, "workers"), message.worker)
            elif message.kind == "closed":
                self.worker_closed(message)
                touched.discard(key)
        for key in touched:
            if key in self.writers:
                self.writers[key].flush()
        # Only now, with every transaction committed, do the items leave Redis.
        with self.client.pipeline(transaction=False) as pipe:
            for text in batch:
                pipe.lrem(self.keys.processing, 1, text)
            pipe.execute()

    def writer_for(self, message: Message) -> ArchiveWriter:
        key = (message.run, message.job)
        writer = self.writers.get(key)
        if writer is not None:
            return writer
        writer = ArchiveWriter(self.db_path, keep_raw=self.keep_raw)
        run_id = distributed_run(writer.db, message.run, message.job)
        if run_id is not None:
            writer.run_id = run_id
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
        """A worker stopped; the last one to stop finishes the recorded run."""
        workers = self.keys.job(message.run, message.job, "workers")
        status_key = self.keys.job(message.run, message.job, "status")
        status = message.data.get("status") or "finished"
        if status != "finished":
            self.client.set(status_key, status)
        self.client.srem(workers, message.worker)
        if self.client.scard(workers):
            return
        writer = self.writer_for(message)
        writer.finish_run(self.client.get(status_key) or "finished")
        self.client.delete(status_key)
        writer.close()
        del self.writers[(message.run, message.job)]
        self.on_finished(writer.run_id)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.flush()
            writer.close()
        self.writers.clear()
