"""The loop of `archiver import` and `archiver reextract`: pages through the extraction
pool (one worker process per core) into the archive writer, the crawl's own.

Pages are taken from a plain iterator of jobs, a few per worker at a time, so
memory stays flat however long the input is; records come back in any order, and
the writer places each version by its fetch time. A job may carry a cursor: the
run's cursor only moves past a job once it and every job before it is written,
so a killed run resumes without skipping anything.
"""

from __future__ import annotations

import asyncio
import signal
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from archiver import collector
from archiver.record import not_stored_reason
from archiver.store.writer import FAILED, SKIPPED, ArchiveWriter, Fetched
from archiver.workers import ExtractionFailed, ExtractionPool

BATCH_SIZE = 50  # pages per SQLite transaction, as in a crawl


@dataclass
class Job:
    """One page to extract and write; without `page`, a record already dealt with
    (counted for progress, and for the cursor)."""

    page: Fetched | None = None
    extract: dict = field(default_factory=dict)  # extract_article's keyword arguments but the body
    cursor: str | None = None


class Runner:
    """Runs jobs through `pool` into `writer`; `skipped(reason)` words a non-article's reason."""

    def __init__(self, writer: ArchiveWriter, pool: ExtractionPool, *, window: int | None = None,
                 on_progress: Callable[[int], None] | None = None,
                 skipped: Callable[[str], str] = lambda reason: reason):
        self.writer = writer
        self.pool = pool
        self.window = window or 2 * max(pool.workers, 1) + 2
        self.on_progress = on_progress or (lambda n: None)
        self.skipped = skipped
        self.records = 0
        self.stopped = False  # by SIGINT or SIGTERM: the jobs in flight finish, no new ones start

    def run(self, jobs: Iterable[Job]) -> None:
        collector.settle()
        asyncio.run(self._run(iter(jobs)))
        self.writer.flush()

    def run_to_end(self, jobs: Iterable[Job]) -> None:
        """Run the jobs as the writer's run, then end it ("finished", or "interrupted"
        by a signal) and close the pool, the writer and the progress line."""
        try:
            self.run(jobs)
        finally:
            getattr(self.on_progress, "close", lambda: None)()
            self.pool.close()
            self.writer.finish_run("interrupted" if self.stopped else "finished")
            self.writer.close()

    async def _run(self, jobs) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._stop)
        order: deque[tuple[int, str | None]] = deque()  # submitted jobs, oldest first
        done: set[int] = set()
        pending: dict[asyncio.Future, tuple[int, Job]] = {}
        seq = 0
        try:
            while True:
                exhausted = False
                while not self.stopped and len(pending) < self.window:
                    job = next(jobs, None)
                    if job is None:
                        exhausted = True
                        break
                    seq += 1
                    order.append((seq, job.cursor))
                    if job.page is None:
                        done.add(seq)
                        self._count()
                        continue
                    future = asyncio.ensure_future(self.pool.extract(body=job.page.raw, **job.extract))
                    pending[future] = (seq, job)
                if not pending and (exhausted or self.stopped):
                    break
                finished, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for future in finished:
                    number, job = pending.pop(future)
                    if self._write(job, future):
                        done.add(number)
                        self._count()
                self._advance(order, done)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
        self._advance(order, done)

    def _stop(self) -> None:
        self.stopped = True

    def _count(self) -> None:
        self.records += 1
        self.on_progress(self.records)

    def _advance(self, order: deque, done: set[int]) -> None:
        cursor = None
        while order and order[0][0] in done:
            number, mark = order.popleft()
            done.discard(number)
            cursor = mark if mark is not None else cursor
        if cursor is not None:
            self.writer.set_cursor(cursor)

    def _write(self, job: Job, future: asyncio.Future) -> bool:
        """Hand a finished job to the writer; False when it was cut short by a stop
        (it is neither written nor passed by the cursor)."""
        page = job.page
        try:
            page.record, page.raw_packed = future.result()
        except ExtractionFailed as exc:
            if self.stopped:
                return False  # the workers got the same signal; this page is redone next time
            self.writer.add_outcome(page.requested_url, FAILED, str(exc), page.status, import_key=page.import_key)
        else:
            reason = not_stored_reason(page.record)
            if reason:
                self.writer.add_outcome(page.requested_url, SKIPPED, self.skipped(reason), page.status,
                                        import_key=page.import_key)
            else:
                self.writer.add_article(page)
        if self.writer.pending >= BATCH_SIZE:
            self.writer.flush()
        return True


def fetch_time(text: str) -> datetime:
    """A stored fetch time (ISO 8601) as the aware datetime extraction takes."""
    return datetime.fromisoformat(text)
