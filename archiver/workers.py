"""Extraction in worker processes, so a crawl uses every core.

The crawl process (Scrapy, pipelines, SQLite) hands each page's bytes to a
pool and awaits the record; parsing and extraction, the real CPU cost of an
archiver, run beside it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver

from archiver.store import raw


class ExtractionFailed(Exception):
    """Extraction of one page could not finish (too slow, or its worker died)."""


# The raw page is compressed for the archive where the CPU time is spent
# anyway, not in the crawl process that feeds every worker.
def extract_and_pack(kwargs: dict) -> tuple[dict, bytes]:
    """The record of a page and its raw bytes compressed for the archive (store.raw)."""
    # Imported here: a crawl process whose pages go to workers never loads extraction.
    from archiver.extract import extract_article

    return extract_article(**kwargs), raw.pack(kwargs["body"])


def _extract_job(kwargs: dict) -> tuple[int, dict, bytes]:
    return (os.getpid(), *extract_and_pack(kwargs))


def _ping() -> int:
    return os.getpid()


def _leave_with(crawl_pid: int) -> None:
    """Worker initializer: exit when the crawl process is gone.

    A crawl killed with SIGKILL cannot stop its pool, and the workers (and the
    forkserver, which waits for them) would otherwise run on forever.
    """

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(crawl_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass  # alive, under another user

    threading.Thread(target=watch, name="leave-with-crawl", daemon=True).start()


# What this process's forkserver was started with (None: not started).
_forkserver_preload: list[str] | None = None

# A run expected to extract this many pages loads dateparser's locales once, in the
# forkserver (worker_warmup_dates: 1.5 s), rather than in each worker that meets a
# date string only dateparser may read (about one page in eight); in a shorter run
# most workers never do.
WARM_DATES_PAGES = 50


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def configured_workers(value: str | int | None) -> int:
    """ARCHIVER_EXTRACT_WORKERS as a number of worker processes ("auto": one per core)."""
    return default_workers() if value is None or str(value).lower() == "auto" else int(value)


def _preload(workers: int, expected_pages: int) -> list[str]:
    """What the forkserver imports before it forks `workers` workers for a run with
    `expected_pages` pages ahead."""
    if workers > 1 and expected_pages >= WARM_DATES_PAGES:
        return ["archiver.worker_warmup_dates", "archiver.worker_warmup"]
    return ["archiver.worker_warmup"]


def _claim_forkserver(preload: list[str]) -> None:
    """This process's forkserver will load `preload`, unless one was claimed before:
    a process starts its forkserver once, so the first claim holds for the later pools
    of the process (the sources of one `crawl --sources`)."""
    global _forkserver_preload
    if _forkserver_preload is None:
        _forkserver_preload = preload
        multiprocessing.get_context("forkserver").set_forkserver_preload(preload)


def start_forkserver(workers: int, expected_pages: int) -> None:
    """Start the forkserver of this process's extraction workers now, for a run known
    to have `expected_pages` pages ahead (a URL list), so that its imports (3 to 4 s of
    CPU in a long run, before any worker can fork) run beside the crawl's own start-up
    on another core rather than after it. Nothing for a run extracted in this process
    (workers=0) or one of a few pages, whose workers may never start."""
    if workers <= 0 or expected_pages <= ExtractionPool.INLINE_FIRST or _forkserver_preload is not None:
        return
    _claim_forkserver(_preload(workers, expected_pages))
    try:
        forkserver.ensure_running()
    except OSError:
        pass  # the pool tries again as it starts, and extracts in this process if it cannot


class ExtractionPool:
    """`await pool.extract(body=..., url=...)`; workers=0 extracts in this process.

    Workers start in the background (a second or two) once a run has more than
    `inline_first` pages (or when `start()` is called): a run of a few URLs
    extracts in this process and never waits for them. Once they are starting,
    pages wait for them rather than being extracted here, which would load the
    extraction code's models a second time, in this process.
    """

    INLINE_FIRST = 4

    def __init__(self, workers: int, timeout: float = 60.0, inline_first: int = INLINE_FIRST):
        self.workers = workers
        self.inline_first = inline_first
        self.timeout = timeout
        self.pages = 0
        self.pooled = 0  # pages extracted in worker processes
        self.pids: set[int] = set()
        self._executor: ProcessPoolExecutor | None = None
        self._ready = threading.Event()
        self._warming: threading.Thread | None = None
        self._preload = ["archiver.worker_warmup"]

    def start(self, expected_pages: int = 0) -> None:
        """Start the workers in the background; `expected_pages`: how many pages the run
        has ahead, as far as it knows."""
        if self.workers > 0 and self._warming is None:
            self._preload = _preload(self.workers, expected_pages)
            self._warming = threading.Thread(target=self._warm, name="extraction-pool-start", daemon=True)
            self._warming.start()

    @property
    def preloads_dates(self) -> bool:
        """The forkserver loads dateparser's locales before forking the workers."""
        return "archiver.worker_warmup_dates" in (_forkserver_preload or self._preload)

    def _warm(self) -> None:
        try:
            pool = self._pool()
            for future in [pool.submit(_ping) for _ in range(self.workers)]:
                future.result()
            self._ready.set()
        except (OSError, BrokenProcessPool, RuntimeError, CancelledError):
            pass  # no workers: extraction stays in this process

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # forkserver: workers fork from a clean process that has imported
            # and warmed the extraction code once, and settled the garbage
            # collector (worker_warmup), never from the threaded crawl process.
            _claim_forkserver(self._preload)
            self._executor = ProcessPoolExecutor(max_workers=self.workers,
                                                 mp_context=multiprocessing.get_context("forkserver"),
                                                 initializer=_leave_with, initargs=(os.getpid(),))
        return self._executor

    def _restart(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        for process in list(getattr(executor, "_processes", {}).values()):
            process.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    async def extract(self, **kwargs) -> tuple[dict, bytes]:
        """(record, compressed raw page) of one page."""
        self.pages += 1
        if self.workers > 0 and self.pages > self.inline_first:
            self.start()
        while self._warming is not None and self._warming.is_alive():
            await asyncio.sleep(0.05)
        if self.workers <= 0 or not self._ready.is_set():
            # (no workers, or they could not start: extraction stays in this process)
            self.pids.add(os.getpid())
            return extract_and_pack(kwargs)
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            future = loop.run_in_executor(self._pool(), _extract_job, kwargs)
            try:
                pid, record, packed = await asyncio.wait_for(future, self.timeout)
            except asyncio.TimeoutError:
                self._restart()
                raise ExtractionFailed(f"extraction took longer than {self.timeout:g} s") from None
            except BrokenProcessPool:
                # Another page may have killed the worker; give this one a fresh pool once.
                self._restart()
                if attempt == 2:
                    raise ExtractionFailed("the extraction worker died (out of memory, or a crash)") from None
                continue
            self.pids.add(pid)
            self.pooled += 1
            return record, packed
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop the workers; nothing is pending once the crawl has closed."""
        if self._warming is not None:
            self._warming.join(timeout=60)
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
