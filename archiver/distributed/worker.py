"""Runs a worker process: a WorkerSpider crawler for every open job, side by side.

Without --run, a worker works on every open run (oldest first), and takes up
runs enqueued while it works; a job's crawler stops once the job is done
(nothing seeded, queued or leased for ARCHIVER_JOB_GRACE seconds), and the
worker waits for new runs, or stops after --idle-timeout with nothing to do.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from scrapy.crawler import Crawler, CrawlerProcess

from archiver.distributed import registry
from archiver.distributed.config import quiet_scrapy_redis
from archiver.distributed.keys import Keys

logger = logging.getLogger(__name__)

WATCH_SECONDS = 2.0
# A job whose crawler stopped for one of these stops the whole worker: the next
# job would meet the same Redis.
FATAL_REASONS = ("redis_full", "redis_unavailable", "presumed_gone")


@dataclass
class JobResult:
    run: str
    job: str
    reason: str | None
    pages: int
    queued: int


def open_jobs(client, keys: Keys, run: str | None = None) -> list[tuple[str, str]]:
    """(run, job) of every job not done yet, oldest run first; runs whose keys expired are forgotten."""
    runs = [run] if run else list(client.zrange(keys.runs, 0, -1))
    found = []
    for name in runs:
        jobs = sorted(client.hkeys(keys.jobs(name)))
        if not jobs:
            if not run:
                client.zrem(keys.runs, name)
            continue
        with client.pipeline(transaction=False) as pipe:
            for job in jobs:
                pipe.exists(keys.job(name, job, "done"))
            done = pipe.execute()
        found += [(name, job) for job, is_done in zip(jobs, done) if not is_done]
    return found


def wait_for_work(client, keys: Keys, run: str | None, timeout: float) -> list[tuple[str, str]]:
    """Open jobs, waiting for `archiver enqueue` up to `timeout` s (0: forever)."""
    deadline = time.monotonic() + timeout if timeout else None
    while True:
        jobs = open_jobs(client, keys, run)
        if jobs or (deadline is not None and time.monotonic() >= deadline):
            return jobs
        time.sleep(0.5)


class WorkerProcess:
    """One CrawlerProcess; a watcher starts a crawler for each open job it is not working on."""

    def __init__(self, settings, *, run: str | None, idle_timeout: float, log=None):
        quiet_scrapy_redis()
        self.settings = settings.copy()
        self.run = run
        self.idle_timeout = idle_timeout
        self.log = log or (lambda text: None)
        self.keys = Keys(settings.get("ARCHIVER_REDIS_PREFIX") or "archiver")
        self.process = CrawlerProcess(self.settings)
        from scrapy.utils.reactor import install_reactor, is_reactor_installed

        # Crawlers start later, from the watcher, once the reactor runs: install Scrapy's now.
        if not is_reactor_installed():
            install_reactor(self.settings["TWISTED_REACTOR"], self.settings["ASYNCIO_EVENT_LOOP"])
        self.client = registry.connect(settings.get("ARCHIVER_REDIS_URL"))
        self.active: dict[tuple[str, str], Crawler] = {}
        self.ended: set[tuple[str, str]] = set()
        self.results: list[JobResult] = []
        self.idle_since = time.monotonic()
        self.stopping = False

    def start(self) -> list[JobResult]:
        from twisted.internet import reactor, task

        watcher = task.LoopingCall(self.watch)
        reactor.callWhenRunning(watcher.start, WATCH_SECONDS, now=True)
        self.process.start(stop_after_crawl=False)
        self.client.close()
        return self.results

    def watch(self) -> None:
        from redis import RedisError

        if self.stopping or any(not c.crawling for c in self.active.values()):
            return  # shutting down (Ctrl-C, SIGTERM, a fatal job): start nothing new
        try:
            jobs = [key for key in open_jobs(self.client, self.keys, self.run)
                    if key not in self.active and key not in self.ended]
        except RedisError as exc:
            self.log(f"cannot read the runs from Redis ({exc}); trying again")
            return
        for key in jobs:
            self.start_job(*key)
        if self.active:
            self.idle_since = time.monotonic()
        elif self.run and not jobs:
            self.stop()  # every job of the run is done
        elif self.idle_timeout and time.monotonic() - self.idle_since >= self.idle_timeout:
            self.stop()

    def start_job(self, run: str, job: str) -> None:
        from archiver.distributed.spiders import WorkerSpider

        self.log(f"working on run {run} [{job}]")
        job_settings = self.settings.copy()
        job_settings.set("ARCHIVER_RUN_ID", run, priority="cmdline")
        job_settings.set("ARCHIVER_JOB", job, priority="cmdline")
        crawler = Crawler(WorkerSpider, job_settings, init_reactor=False)
        self.active[(run, job)] = crawler
        self.process.crawl(crawler).addBoth(self.job_ended, (run, job), crawler)

    def job_ended(self, result, key: tuple[str, str], crawler: Crawler):
        from twisted.python.failure import Failure

        if isinstance(result, Failure):
            logger.error("run %s [%s] failed: %s", key[0], key[1], result.getTraceback())
        del self.active[key]
        self.ended.add(key)
        stats = crawler.stats
        reason = stats.get_value("finish_reason")
        self.results.append(JobResult(key[0], key[1], reason, stats.get_value("response_received_count") or 0,
                                      stats.get_value("archiver/items_queued") or 0))
        if reason in FATAL_REASONS:
            self.stopping = True
            self.process.stop()
        if reason == "finished":
            self.ended.discard(key)  # done: it is no longer open; if seeds come again, it is worked on again
        self.idle_since = time.monotonic()
        if self.stopping and not self.active:
            self.stop()
        return None

    def stop(self) -> None:
        from twisted.internet import reactor

        self.stopping = True
        if not self.active and reactor.running:
            reactor.stop()
