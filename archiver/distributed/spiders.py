"""WorkerSpider: one job of a distributed run; seeds and requests shared through Redis.

It is the single-machine SourceSpider (follow, feeds, sitemaps, article URLs)
with these changes: its arguments come from the job's spec in Redis, its seeds
from the job's seed list (deduplicated like any other request, and through the
revisit policy), it beats a heartbeat and releases the leases of requests it is
done with (archiver.distributed.frontier), it sends everything through an
Outbox (archiver.distributed.outbox), and it waits for work while the shared
queue is empty, until the job is done: nothing seeded, queued or leased to any
worker for ARCHIVER_JOB_GRACE seconds (ARCHIVER_IDLE_TIMEOUT when given).

    scrapy crawl worker -s ARCHIVER_REDIS_URL=redis://... -s ARCHIVER_RUN_ID=RUN [-s ARCHIVER_JOB=NAME]

This module is on SPIDER_MODULES, so it imports nothing of Redis at load time.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from archiver.distributed.keys import worker_name
from archiver.distributed.registry import SEED_KINDS
from archiver.spiders.source import SourceSpider

# Seeds taken from Redis at a time; their requests go to the shared queue, so
# every worker can fetch them whoever took them.
SEED_BATCH = 100
# How stale another worker's page count may be when checking max_pages.
PAGES_REFRESH_SECONDS = 1.0
# How often a worker beats its heartbeat, releases finished leases and retries Redis.
TICK_SECONDS = 0.5


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
        from archiver.distributed import registry
        from archiver.distributed.config import spool_dir
        from archiver.distributed.outbox import Outbox

        settings = crawler.settings
        self.redis, self.keys, self.run_id, self.job = client, keys, run, job
        self.worker = worker_name()
        # Requests and leases are bytes (pickles): the frontier speaks to Redis without decoding.
        self.frontier = registry.connect(settings.get("ARCHIVER_REDIS_URL"), decode=False)
        safe = self.worker.replace(":", "-")
        self.outbox = Outbox(self.frontier, Path(spool_dir(settings)) / f"{safe}-{run}-{job}.spool",
                             max_bytes=int(settings.getfloat("ARCHIVER_SPOOL_MAX_MB", 256) * 2**20), log=self._warn)
        self.idle_timeout = settings.getfloat("ARCHIVER_IDLE_TIMEOUT", 0)
        self.job_grace = self.idle_timeout or settings.getfloat("ARCHIVER_JOB_GRACE", 5)
        self.worker_ttl = settings.getfloat("ARCHIVER_WORKER_TTL", 30)
        self.redis_wait = settings.getfloat("ARCHIVER_REDIS_WAIT", 120)
        self.stopping: str | None = None
        self.keep_leases = False
        self._idle_since: float | None = None
        self._reaped_at = 0.0
        self._tick = None
        self._pages_key = keys.job(run, job, "pages")
        crawler.signals.connect(self._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(self._opened, signal=signals.spider_opened)
        crawler.signals.connect(self._finish, signal=signals.engine_stopped)
        self.logger.info("worker %s on run %s, job %s", self.worker, run, job)

    def _warn(self, text: str) -> None:
        self.logger.warning("%s", text)

    @property
    def scheduler(self):
        """The LeasedScheduler of this crawl (it introduces itself when it opens)."""
        return self._scheduler

    # --- heartbeat, leases, Redis trouble -------------------------------------
    def _opened(self, spider):
        from twisted.internet import task

        self.frontier.sadd(self.keys.worker_jobs(self.worker), f"{self.run_id} {self.job}")
        self._beat()
        self._tick = task.LoopingCall(self._on_tick)
        self._tick.start(TICK_SECONDS, now=False)

    def _beat(self) -> None:
        info = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "run": self.run_id, "job": self.job})
        with self.frontier.pipeline() as pipe:
            pipe.set(self.keys.worker(self.worker), info, ex=max(1, int(self.worker_ttl)))
            pipe.zadd(self.keys.workers, {self.worker: time.time()}, xx=True, ch=True)
            pipe.exists(self.keys.worker_jobs(self.worker))
            _, known, has_jobs = pipe.execute()
        if not known and not has_jobs and self._tick is not None:
            # Another worker found this one gone (it stalled past ARCHIVER_WORKER_TTL) and
            # gave its requests away: going on would only fetch them twice.
            self.logger.error("this worker was presumed gone (no heartbeat for %.0f s) and its requests were "
                              "given to other workers: stopping", self.worker_ttl)
            self.stop("presumed_gone")
            return
        if not known:
            self.frontier.zadd(self.keys.workers, {self.worker: time.time()})

    def _on_tick(self) -> None:
        from archiver.distributed.frontier import reap
        from archiver.distributed.outbox import describe_trouble, is_full, redis_trouble

        try:
            if self.outbox.drain():
                self.scheduler.release_done()
                self._beat()
                self.outbox.recovered()  # Redis took a write
                if time.monotonic() - self._reaped_at >= max(1.0, self.worker_ttl / 3):
                    self._reaped_at = time.monotonic()
                    reap(self.frontier, self.keys, self.worker_ttl)
                    self.scheduler.reconcile()
                self._check_idle()
        except Exception as exc:  # noqa: BLE001
            if not redis_trouble(exc):
                self.logger.exception("worker tick failed")
                return
            self.outbox.troubled(exc)
        if self.outbox.trouble is not None and self.outbox.troubled_for() >= self.redis_wait and not self.stopping:
            reason = "redis_full" if is_full(self.outbox.trouble) else "redis_unavailable"
            self.logger.error("%s for %.0f s (ARCHIVER_REDIS_WAIT): stopping; %d message(s) kept in %s for the "
                              "next worker started with this ARCHIVER_SPOOL_DIR",
                              describe_trouble(self.frontier, self.outbox.trouble), self.outbox.troubled_for(),
                              self.outbox.spooled, self.outbox.path)
            self.stop(reason)

    def spool_full(self, why: str) -> None:
        from archiver.distributed.outbox import is_full

        # A page was dropped: no lease is released any more, so its request is fetched again.
        self.keep_leases = True
        if self.stopping:
            return
        self.logger.error("%s: stopping (Redis has refused writes since %.0f s)", why, self.outbox.troubled_for())
        self.stop("redis_full" if is_full(self.outbox.trouble) else "redis_unavailable")

    def stop(self, reason: str) -> None:
        if self.stopping:
            return
        self.stopping = reason
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))

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
        """Queue the requests of up to SEED_BATCH seeds, through the revisit policy as on one machine."""
        from scrapy.utils.defer import deferred_from_coro

        from archiver.middlewares import RevisitMiddleware

        if self.stopping or not self.outbox.clear:
            return 0
        taken = self.redis.lpop(self.keys.job(self.run_id, self.job, "seeds"), SEED_BATCH) or []
        # Seeds reach the engine through crawl(), past the spider middlewares: the revisit
        # policy is applied here, as the middleware applies it to start requests.
        revisits = self.crawler.get_spider_middleware(RevisitMiddleware)
        entries = []
        for text in taken:
            try:
                seed = json.loads(text)
            except ValueError:
                self.logger.warning("ignoring a seed that is not JSON: %r", text)
                continue
            entries.extend(self.requests_for_seed(seed))
        if revisits is not None:
            revisits.prefetch(entries)
        for entry in entries:
            if isinstance(entry, scrapy.Request) and revisits is not None:
                entry = revisits.get_processed_request(entry, None)
            if isinstance(entry, scrapy.Request):
                self.crawler.engine.crawl(entry)
            else:  # a page recorded without fetching (not due, or a URL that cannot be fetched)
                deferred_from_coro(self.crawler.engine.scraper.start_itemproc_async(entry, response=None))
        return len(taken)

    # --- when the job is done ---------------------------------------------------
    # A job is done when nothing of it is left anywhere: no seeds, nothing queued,
    # and no request leased to any worker (one that is still fetching may find
    # more pages; one that died has its leases put back once found gone).
    def _on_idle(self, spider):
        if not self.stopping and self.outbox.clear:
            try:
                if self.take_seeds():
                    self._idle_since = None
            except Exception as exc:  # noqa: BLE001
                from archiver.distributed.outbox import redis_trouble

                if not redis_trouble(exc):
                    raise
        if self.stopping:
            return
        raise DontCloseSpider  # the tick decides when the job is done

    def job_has_no_work(self) -> bool:
        """Nothing queued, seeded or leased for the job, and nothing waiting to reach Redis."""
        if not self.outbox.clear or self.scheduler.leased:
            return False
        try:
            with self.frontier.pipeline(transaction=False) as pipe:
                pipe.llen(self.keys.job(self.run_id, self.job, "seeds"))
                pipe.zcard(self.keys.job(self.run_id, self.job, "requests"))
                pipe.hlen(self.keys.job(self.run_id, self.job, "leases"))
                return not any(pipe.execute())
        except Exception:  # noqa: BLE001 (Redis unreachable: not known to be done)
            return False

    def _check_idle(self) -> None:
        if self.stopping or not self.crawler.engine.spider_is_idle() or not self.job_has_no_work():
            self._idle_since = None
            return
        if self._idle_since is None:
            self._idle_since = time.monotonic()
        idle = time.monotonic() - self._idle_since
        if idle >= self.job_grace:
            self.logger.info("job done: nothing queued or leased for %.1f s: stopping", idle)
            self.frontier.set(self.keys.job(self.run_id, self.job, "done"), "finished",
                              ex=int(self._run_ttl()))
            self.stop("finished")

    def _run_ttl(self) -> float:
        from archiver.distributed.config import run_ttl

        return run_ttl(self.settings)

    # --- max_pages across all workers of the job ----------------------------
    @property
    def pages_requested(self) -> int:
        if getattr(self, "redis", None) is None:
            return getattr(self, "_pages_local", 0)
        if time.monotonic() - getattr(self, "_pages_read_at", 0.0) > PAGES_REFRESH_SECONDS:
            try:
                self._pages_seen = int(self.redis.get(self._pages_key) or 0)
            except Exception:  # noqa: BLE001 (Redis unreachable: the count is a limit, not a record)
                self._pages_seen = getattr(self, "_pages_seen", 0)
            self._pages_read_at = time.monotonic()
        return self._pages_seen

    @pages_requested.setter
    def pages_requested(self, value: int) -> None:
        if getattr(self, "redis", None) is None:
            self._pages_local = value
            return
        # `pages_requested += 1` reads then sets: add the difference atomically.
        seen = getattr(self, "_pages_seen", 0)
        try:
            self._pages_seen = int(self.redis.incrby(self._pages_key, value - seen))
        except Exception:  # noqa: BLE001
            self._pages_seen = value

    def closed(self, reason):
        if self._tick is not None and self._tick.running:
            self._tick.stop()
        self.stopping = self.stopping or reason
        parent = getattr(super(), "closed", None)
        if parent is not None:
            parent(reason)

    def _finish(self) -> None:
        """Last of all (after the pipeline's closing message): send, release, forget this job."""
        from archiver.distributed.outbox import redis_trouble

        try:
            if self.outbox.drain(now=True):
                scheduler = self.scheduler
                scheduler.release_done()
                given = scheduler.give_back()
                if given:
                    self.logger.info("%d unfinished request(s) put back on the queue", given)
                ttl = int(self._run_ttl())
                with self.frontier.pipeline() as pipe:
                    for key in [*self.keys.job_keys(self.run_id, self.job), self.keys.jobs(self.run_id)]:
                        pipe.expire(key, ttl)
                    pipe.srem(self.keys.worker_jobs(self.worker), f"{self.run_id} {self.job}")
                    pipe.execute()
                if not self.frontier.scard(self.keys.worker_jobs(self.worker)):
                    self.frontier.delete(self.keys.worker(self.worker))
                    self.frontier.zrem(self.keys.workers, self.worker)
        except Exception as exc:  # noqa: BLE001
            if not redis_trouble(exc):
                raise
            self.logger.error("Redis unreachable while stopping; its heartbeat will expire and other workers "
                              "will put its unfinished requests back")
        finally:
            self.outbox.close()
            self.redis.close()
            self.frontier.close()
