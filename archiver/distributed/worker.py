"""Runs a worker process: one WorkerSpider crawler per job of the run, side by side."""

from __future__ import annotations

import time
from dataclasses import dataclass

from scrapy.crawler import Crawler, CrawlerProcess

from archiver.distributed import registry
from archiver.distributed.config import quiet_scrapy_redis
from archiver.distributed.keys import Keys


@dataclass
class JobResult:
    job: str
    reason: str | None
    pages: int
    queued: int


def wait_for_run(client, keys: Keys, run: str | None, timeout: float) -> tuple[str | None, list[str]]:
    """The run to work on and its jobs, waiting for `archiver enqueue` up to `timeout` s (0: forever)."""
    deadline = time.monotonic() + timeout if timeout else None
    while True:
        chosen = run or registry.current_run(client, keys)
        jobs = list(registry.load_jobs(client, keys, chosen)) if chosen else []
        if jobs or (deadline is not None and time.monotonic() >= deadline):
            return chosen, jobs
        time.sleep(0.5)


def run_worker(settings, run: str, jobs: list[str]) -> list[JobResult]:
    """Crawl every job of `run` in this process until each has been idle long enough."""
    quiet_scrapy_redis()
    from archiver.distributed.spiders import WorkerSpider

    settings = settings.copy()
    settings.set("ARCHIVER_RUN_ID", run, priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = []
    for i, job in enumerate(jobs):
        job_settings = settings.copy()
        job_settings.set("ARCHIVER_JOB", job, priority="cmdline")
        crawler = Crawler(WorkerSpider, job_settings, init_reactor=(i == 0))
        process.crawl(crawler)
        crawlers.append((job, crawler))
    process.start()
    return [
        JobResult(job, c.stats.get_value("finish_reason"), c.stats.get_value("response_received_count") or 0,
                  c.stats.get_value("archiver/items_queued") or 0)
        for job, c in crawlers
    ]
