"""Politeness per site across all workers: a shared budget in Redis.

Each worker's Scrapy keeps its own DOWNLOAD_DELAY and CONCURRENT_REQUESTS_PER_DOMAIN;
on their own, two workers fetch twice as fast from a site as one machine.
SiteBudgetMiddleware asks Redis, before every download, for the site's next
free moment (one request per DOWNLOAD_DELAY across all workers) and for a
place among the site's requests in flight (CONCURRENT_REQUESTS_PER_DOMAIN
across all workers), in one Lua step on Redis's clock, so workers on machines
whose clocks differ still share one budget.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from scrapy import signals
from scrapy.utils.httpobj import urlparse_cached

from archiver.distributed.keys import worker_name

logger = logging.getLogger(__name__)

TOKEN_META = "archiver_site_token"
# How long a worker waits before asking again when the site's places are all taken.
FULL_WAIT_SECONDS = 0.1

# KEYS[1] the site's budget hash; ARGV: delay, concurrency, place ('worker|token'),
# seconds a place is held at most, the prefix of workers' heartbeat keys, this
# worker, and the places it holds now. A place is free again when its download
# ends, when it is held too long, when its worker's heartbeat is gone, or when
# its worker no longer holds it (its release was lost while Redis restarted).
# Returns {1, wait} with the seconds to wait before sending, or {0, 0} when all
# places are taken.
_ACQUIRE = """
local t = redis.call('time')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local delay, places = tonumber(ARGV[1]), tonumber(ARGV[2])
local mine = {}
for i = 7, #ARGV do mine['t:' .. ARGV[i]] = true end
local held = 0
local all = redis.call('hgetall', KEYS[1])
for i = 1, #all, 2 do
  local field = all[i]
  if string.sub(field, 1, 2) == 't:' then
    local bar = string.find(field, '|', 3, true)
    local worker = string.sub(field, 3, (bar or 0) - 1)
    if tonumber(all[i + 1]) < now or redis.call('exists', ARGV[5] .. worker) == 0
       or (worker == ARGV[6] and not mine[field]) then
      redis.call('hdel', KEYS[1], field)
    else
      held = held + 1
    end
  end
end
if places > 0 and held >= places then return {0, '0'} end
local at = math.max(now, tonumber(redis.call('hget', KEYS[1], 'next') or '0'))
redis.call('hset', KEYS[1], 'next', tostring(at + delay), 't:' .. ARGV[3], tostring(at + tonumber(ARGV[4])))
redis.call('expire', KEYS[1], 3600)
return {1, tostring(at - now)}
"""


class SiteBudgetMiddleware:
    """A downloader middleware of workers (see the module docstring)."""

    def __init__(self, crawler):
        from archiver.distributed import registry
        from archiver.distributed.config import keys_of

        settings = crawler.settings
        self.client = registry.connect(settings.get("ARCHIVER_REDIS_URL"))
        self.keys = keys_of(settings)
        self.delay = settings.getfloat("DOWNLOAD_DELAY")
        self.places = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.hold = settings.getfloat("DOWNLOAD_TIMEOUT", 180) + 30
        self.worker = worker_name()
        self.held: dict[str, set[str]] = {}  # site -> places this worker holds
        self._acquire = self.client.register_script(_ACQUIRE)
        self._warned = False

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler)
        # Fired however the download ended, even when a later middleware (retry,
        # redirect) answers with a new request and this one's process_* are skipped.
        crawler.signals.connect(middleware.request_left_downloader, signal=signals.request_left_downloader)
        return middleware

    def request_left_downloader(self, request, spider=None):
        self._release(request)

    async def process_request(self, request):
        self._release(request)  # a retry or redirect carries the place of the attempt before
        host = urlparse_cached(request).netloc
        token = f"{self.worker}|{uuid.uuid4().hex}"
        while True:
            try:
                granted, wait = self._acquire(keys=[self.keys.site_budget(host)],
                                              args=[self.delay, self.places, token, self.hold, self.keys.worker(""),
                                                    self.worker, *self.held.get(host, ())])
            except Exception as exc:  # noqa: BLE001
                self._unavailable(exc)
                return None
            if int(granted):
                break
            await asyncio.sleep(FULL_WAIT_SECONDS)
        request.meta[TOKEN_META] = (host, token)
        self.held.setdefault(host, set()).add(token)
        wait = float(wait)
        if wait > 0:
            await asyncio.sleep(wait)
        return None

    def process_response(self, request, response):
        self._release(request)
        return response

    def process_exception(self, request, exception):
        self._release(request)

    def _release(self, request) -> None:
        held = request.meta.pop(TOKEN_META, None)
        if held is None:
            return
        host, token = held
        self.held.get(host, set()).discard(token)
        try:
            self.client.hdel(self.keys.site_budget(host), f"t:{token}")
        except Exception as exc:  # noqa: BLE001 (the place frees itself when it expires)
            self._unavailable(exc)

    def _unavailable(self, exc: BaseException) -> None:
        from archiver.distributed.outbox import redis_trouble

        if not redis_trouble(exc):
            raise exc
        if not self._warned:
            logger.warning("Redis unavailable for the shared site budget (%s): this worker keeps only its own "
                           "politeness limits until it is back", exc)
            self._warned = True
