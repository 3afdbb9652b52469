"""WorkerSpider: one job of a distributed run; seeds and requests shared through Redis.

It is the single-machine SourceSpider (follow, feeds, sitemaps, article URLs)
with three changes: its arguments come from the job's spec in Redis, its seeds
from the job's seed list (deduplicated like any other request), and it waits
for work while the shared queue is empty, up to ARCHIVER_IDLE_TIMEOUT.

    scrapy crawl worker -s ARCHIVER_REDIS_URL=redis://... -s ARCHIVER_RUN_ID=RUN [-s ARCHIVER_JOB=NAME]

This module is on SPIDER_MODULES, so it imports nothing of Redis at load time.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import socket
import time

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from archiver.distributed.registry import SEED_KINDS
from archiver.spiders.source import SourceSpider

# Seeds taken from Redis at a time; their requests go to the shared queue, so
# every worker can fetch them whoever took them.
SEED_BATCH = 100
# How stale another worker's page count may be when checking max_pages.
PAGES_REFRESH_SECONDS = 1.0
# How often a busy worker tells the others it is busy.
ACTIVE_MARK_SECONDS = 0.5


@functools.cache
def worker_name() -> str:
    """This process as a worker: host, pid, and a few random digits (containers reuse pids)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"


class WorkerSpider(SourceSpider):
    """A worker of a distributed run (see the module docstring)."""

    name = "worker"
    mode = "worker"

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        from archiver.distributed.config import apply_worker_settings

        apply_worker_settings(settings)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        from archiver.distributed import registry
        from archiver.distributed.config import keys_of

        settings = crawler.settings
        keys = keys_of(settings)
        client = registry.connect(settings.get("ARCHIVER_REDIS_URL"))
        run, job = settings.get("ARCHIVER_RUN_ID"), settings.get("ARCHIVER_JOB")
        spec = registry.load_job(client, keys, run, job)
        spider = super().from_crawler(crawler, *args, **{**(spec.args if spec else {}), **kwargs})
        spider._connect(crawler, client, keys, run, job)
        return spider

    def _connect(self, crawler, client, keys, run: str, job: str) -> None:
        self.redis, self.keys, self.run_id, self.job = client, keys, run, job
        self.worker = worker_name()
        self.idle_timeout = crawler.settings.getfloat("ARCHIVER_IDLE_TIMEOUT", 0)
        self._idle_since: float | None = None
        self._idle_check = None
        self._marked_at = 0.0
        self._pages_key = keys.job(run, job, "pages")
        self._active_key = keys.job(run, job, "active")
        crawler.signals.connect(self._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(self._on_activity, signal=signals.response_received)
        crawler.signals.connect(self._on_activity, signal=signals.request_reached_downloader)
        self.logger.info("worker %s on run %s, job %s", self.worker, run, job)

    # --- seeds from Redis --------------------------------------------------
    def requests_for_seed(self, seed: dict) -> list:
        """The requests one seed starts, made by the mixins' own seed_requests()."""
        kind, url = seed.get("kind"), seed.get("url")
        if kind not in SEED_KINDS or not url:
            self.logger.warning("ignoring a seed that is not {kind, url}: %r", seed)
            return []
        saved = {k: getattr(self, k) for k in SEED_KINDS}
        try:
            for k in SEED_KINDS:
                setattr(self, k, [url] if k == kind else [])
            entries = list(self.seed_requests())
        finally:
            for k, v in saved.items():
                setattr(self, k, v)
        # On one machine seeds are always fetched; here another worker (or an
        # earlier enqueue of the same run) may already have them.
        return [e.replace(dont_filter=False) if isinstance(e, scrapy.Request) else e for e in entries]

    def take_seeds(self) -> int:
        taken = self.redis.lpop(self.keys.job(self.run_id, self.job, "seeds"), SEED_BATCH) or []
        for text in taken:
            try:
                seed = json.loads(text)
            except ValueError:
                self.logger.warning("ignoring a seed that is not JSON: %r", text)
                continue
            self._mark_active()
            for entry in self.requests_for_seed(seed):
                if isinstance(entry, scrapy.Request):
                    self.crawler.engine.crawl(entry)
                else:  # `archiver enqueue` refuses URLs that cannot be fetched
                    self.logger.warning("seed %s: %s", seed.get("url"), getattr(entry, "reason", entry))
        return len(taken)

    # --- waiting for work ----------------------------------------------------
    # A job is idle when no worker has fetched anything for a while: a worker
    # does not stop while another one is still finding pages for it.
    def _on_activity(self, request, spider, response=None):
        self._idle_since = None
        self._mark_active()

    def _mark_active(self) -> None:
        now = time.time()
        if now - self._marked_at >= ACTIVE_MARK_SECONDS:
            self.redis.zadd(self._active_key, {self.worker: now})
            self._marked_at = now

    def _job_idle_for(self) -> float:
        mine = time.monotonic() - self._idle_since
        latest = self.redis.zrevrange(self._active_key, 0, 0, withscores=True)
        return min(mine, time.time() - latest[0][1]) if latest else mine

    def _on_idle(self, spider):
        if self.take_seeds():
            self._idle_since = None
            raise DontCloseSpider
        if self._idle_since is None:
            self._idle_since = time.monotonic()
        if self.idle_timeout:
            idle = self._job_idle_for()
            remaining = self.idle_timeout - idle
            if remaining <= 0:
                self.logger.info("no work for %.1f s: stopping", idle)
                return
            # The engine looks at the shared queue (other workers keep adding to
            # it) and calls this again only every few seconds: check on time.
            if self._idle_check is None or not self._idle_check.active():
                from twisted.internet import reactor

                self._idle_check = reactor.callLater(remaining, self._stop_if_still_idle)
        raise DontCloseSpider

    def _stop_if_still_idle(self):
        engine = self.crawler.engine
        if self._idle_since is None or not engine.spider_is_idle() or self.take_seeds():
            return
        idle = self._job_idle_for()
        if idle < self.idle_timeout:
            from twisted.internet import reactor

            self._idle_check = reactor.callLater(self.idle_timeout - idle, self._stop_if_still_idle)
            return
        self.logger.info("no work for %.1f s: stopping", idle)
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(engine.close_spider_async(reason="finished"))

    # --- max_pages across all workers of the job ----------------------------
    @property
    def pages_requested(self) -> int:
        if getattr(self, "redis", None) is None:
            return getattr(self, "_pages_local", 0)
        if time.monotonic() - getattr(self, "_pages_read_at", 0.0) > PAGES_REFRESH_SECONDS:
            self._pages_seen = int(self.redis.get(self._pages_key) or 0)
            self._pages_read_at = time.monotonic()
        return self._pages_seen

    @pages_requested.setter
    def pages_requested(self, value: int) -> None:
        if getattr(self, "redis", None) is None:
            self._pages_local = value
            return
        # `pages_requested += 1` reads then sets: add the difference atomically.
        self._pages_seen = int(self.redis.incrby(self._pages_key, value - getattr(self, "_pages_seen", 0)))

    def closed(self, reason):
        if self._idle_check is not None and self._idle_check.active():
            self._idle_check.cancel()
        parent = getattr(super(), "closed", None)
        if parent is not None:
            parent(reason)
        from archiver.distributed.config import run_ttl

        ttl = int(run_ttl(self.settings))
        with self.redis.pipeline() as pipe:
            for key in [*self.keys.job_keys(self.run_id, self.job), self.keys.jobs(self.run_id)]:
                pipe.expire(key, ttl)
            pipe.execute()
        self.redis.close()
