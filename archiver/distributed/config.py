"""Scrapy settings of a worker: the scrapy-redis frontier under a run's keys.

Read by WorkerSpider.update_settings, so `archiver worker`, `scrapy crawl
worker` and Scrapyd all configure a worker the same way.
"""

from __future__ import annotations

import importlib.util
import os
import warnings

from scrapy.exceptions import UsageError

from archiver.distributed.keys import Keys

STORE_PIPELINE = "archiver.pipelines.StorePipeline"
QUEUE_PIPELINE = "archiver.distributed.pipeline.QueuePipeline"
SITE_BUDGET = "archiver.distributed.politeness.SiteBudgetMiddleware"


EXTRA_MODULES = ("redis", "scrapy_redis")
EXTRA_HINT = "pip install 'news-archiver[distributed]'"


class WorkerConfigError(UsageError, ValueError):
    """A worker that cannot start: no extra, no Redis URL, no run, no such job.

    A UsageError, so `scrapy crawl worker` prints it as one line and exits 2.
    """


def missing_extra() -> list[str]:
    """The modules of the distributed extra that are not installed."""
    return [name for name in EXTRA_MODULES if _missing(name)]


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):
        return True


def redis_url(settings) -> str | None:
    return settings.get("ARCHIVER_REDIS_URL") or os.environ.get("ARCHIVER_REDIS_URL") or None


def keys_of(settings) -> Keys:
    """The Redis key names under ARCHIVER_REDIS_PREFIX: enqueue, workers and ingest must agree on it."""
    return Keys(settings.get("ARCHIVER_REDIS_PREFIX") or "archiver")


def run_ttl(settings) -> float:
    """Seconds a run's keys outlive its last worker (ARCHIVER_RUN_TTL)."""
    from archiver.sources import parse_duration

    return parse_duration(settings.get("ARCHIVER_RUN_TTL") or "7d")


def spool_dir(settings) -> str:
    """Where a worker keeps what Redis does not take (ARCHIVER_SPOOL_DIR; default under ~/.cache)."""
    from archiver.distributed.outbox import default_spool_dir

    return settings.get("ARCHIVER_SPOOL_DIR") or default_spool_dir()


def quiet_scrapy_redis() -> None:
    """scrapy-redis 0.9 still uses APIs Scrapy 2.13+ deprecates; users can do nothing about it."""
    from scrapy.exceptions import ScrapyDeprecationWarning

    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module=r"scrapy_redis(\.|$)")
    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, message=r".*scrapy_redis")


def apply_worker_settings(settings) -> None:
    """Resolve the run and job, then point Scrapy's scheduler and dupefilter at their keys.

    The job's own politeness (a source's delay, concurrency) is applied at spider
    priority; the frontier settings at command-line priority, so no override can
    turn a worker back into an SQLite writer.
    """
    from scrapy.settings import SETTINGS_PRIORITIES

    from archiver.distributed import registry

    missing = missing_extra()
    if missing:
        raise WorkerConfigError(f"a worker needs the distributed extra ({', '.join(missing)} is not installed): {EXTRA_HINT}")
    quiet_scrapy_redis()
    url = redis_url(settings)
    if not url:
        raise WorkerConfigError("a worker needs a Redis URL: --redis URL, ARCHIVER_REDIS_URL, or -s ARCHIVER_REDIS_URL=")
    keys = keys_of(settings)
    try:
        client = registry.connect(url)
    except registry.RedisUnavailable as exc:
        raise WorkerConfigError(str(exc)) from exc
    try:
        run = settings.get("ARCHIVER_RUN_ID") or registry.current_run(client, keys)
        if not run:
            raise WorkerConfigError("no run to work on: push seeds with `archiver enqueue` first, or give --run")
        jobs = registry.load_jobs(client, keys, run)
        job = settings.get("ARCHIVER_JOB")
        if not job and len(jobs) == 1:
            job = next(iter(jobs))
        if not job or job not in jobs:
            known = ", ".join(jobs) or "none"
            raise WorkerConfigError(f"run {run}: no job {job!r} (jobs: {known}); set ARCHIVER_JOB")
    finally:
        client.close()
    for name, value in jobs[job].settings.items():
        settings.set(name, value, priority="spider")
    # Scrapy takes up to CONCURRENT_REQUESTS from the scheduler at once, even when
    # the per-site limit lets it download far fewer: from a shared queue, one
    # worker would hoard a site's requests. Take what can be downloaded now.
    if settings.getpriority("CONCURRENT_REQUESTS") < SETTINGS_PRIORITIES["cmdline"]:
        settings.set("CONCURRENT_REQUESTS", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), priority="spider")
    pipelines = dict(settings.getdict("ITEM_PIPELINES"))
    pipelines[STORE_PIPELINE] = None
    pipelines[QUEUE_PIPELINE] = 900
    # Each site's delay and concurrency hold across all workers (after robots.txt is checked).
    downloader = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    downloader[SITE_BUDGET] = 150
    frontier = {
        "ARCHIVER_REDIS_URL": url,
        "ARCHIVER_RUN_ID": run,
        "ARCHIVER_JOB": job,
        # Workers never open the archive, not even to read it.
        "ARCHIVER_DB": "",
        "ITEM_PIPELINES": pipelines,
        "DOWNLOADER_MIDDLEWARES": downloader,
        # scrapy-redis's scheduler with leases (archiver.distributed.frontier).
        "SCHEDULER": "archiver.distributed.frontier.LeasedScheduler",
        "SCHEDULER_SERIALIZER": "archiver.distributed.frontier",
        # The revisit policy reads what `archiver ingest` published of the archive.
        "ARCHIVER_FETCH_STATES": "archiver.distributed.fetchstates.RedisFetchStates",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": url,
        # Kept when a worker stops: other workers (and later ones) share them.
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_FLUSH_ON_START": False,
        "SCHEDULER_QUEUE_KEY": keys.job(run, job, "requests"),
        "SCHEDULER_DUPEFILTER_KEY": keys.job(run, job, "dupefilter"),
    }
    for name, value in frontier.items():
        settings.set(name, value, priority="cmdline")
