"""The shared frontier with leases: nothing a worker took is lost when the worker dies.

scrapy-redis keeps a job's queue (a sorted set) and duplicate filter in Redis.
LeasedScheduler takes a request from the queue and records it, in the same
step, in the job's lease hash under this worker's name. The lease is released
once the request is done with: its response scraped, its items and new
requests in Redis (not merely in the local spool). A worker that stops
beating its heartbeat (ARCHIVER_WORKER_TTL) is presumed gone: `reap` puts its
leases back on the queue, lists their URLs on the job's `requeued` list, and
tells the writer the worker closed, so runs whose workers are all gone end.

Queue entries are scrapy-redis's pickled requests with the URL in front
(`URL\\n` + pickle), so lost or queued URLs can be listed without unpickling.
"""

from __future__ import annotations

import logging
import pickle
import time
import uuid

from scrapy_redis.scheduler import Scheduler

from archiver.distributed import messages
from archiver.distributed.keys import Keys, worker_name
from archiver.distributed.outbox import Outbox, SpoolFull, redis_trouble

logger = logging.getLogger(__name__)

LEASE_META = "archiver_lease"
REQUEUED_KEPT = 1000  # URLs kept on a job's requeued list

# Take the first request of the queue and lease it to ARGV[1] (worker|token), with
# its score and the time: the lease field. The lease is written first, so a full
# Redis refuses the whole step rather than dropping the request.
_POP = """
local r = redis.call('zrange', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
local field = ARGV[1] .. '|' .. r[2] .. '|' .. ARGV[2]
redis.call('hset', KEYS[2], field, r[1])
redis.call('zrem', KEYS[1], r[1])
return {field, r[1]}
"""

# Put back every lease of worker ARGV[1] (fields 'worker|token|score|time') on the
# queue, and list its URL on the requeued list.
_REQUEUE = """
local all = redis.call('hgetall', KEYS[1])
local prefix = ARGV[1] .. '|'
local n = 0
for i = 1, #all, 2 do
  local field, data = all[i], all[i + 1]
  if string.sub(field, 1, #prefix) == prefix then
    local parts = {}
    for part in string.gmatch(field, '[^|]+') do parts[#parts + 1] = part end
    redis.call('zadd', KEYS[2], parts[3], data)
    redis.call('hdel', KEYS[1], field)
    local nl = string.find(data, '\\n', 1, true)
    if nl then redis.call('lpush', KEYS[3], string.sub(data, 1, nl - 1)) end
    n = n + 1
  end
end
if n > 0 then redis.call('ltrim', KEYS[3], 0, tonumber(ARGV[2]) - 1) end
return n
"""

# Put back the named leases (ARGV[2..]): ones Redis still holds for this worker although
# the worker released them (the release was lost when Redis restarted).
_REQUEUE_FIELDS = """
local n = 0
for i = 2, #ARGV do
  local data = redis.call('hget', KEYS[1], ARGV[i])
  if data then
    local parts = {}
    for part in string.gmatch(ARGV[i], '[^|]+') do parts[#parts + 1] = part end
    redis.call('zadd', KEYS[2], parts[3], data)
    redis.call('hdel', KEYS[1], ARGV[i])
    n = n + 1
  end
end
return n
"""

# Claim a presumed-gone worker: only if its heartbeat is still gone and nobody
# claimed it yet; then tell the writer it closed (ARGV[3..]) and forget it.
_CLAIM = """
if redis.call('exists', KEYS[3]) == 1 then return 0 end
if redis.call('zrem', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 3, #ARGV do redis.call('lpush', ARGV[2], ARGV[i]) end
redis.call('del', KEYS[2])
return 1
"""


# --- the queue's entry format (SCHEDULER_SERIALIZER names this module) ----------

def dumps(obj: dict) -> bytes:
    return obj["url"].encode("utf-8") + b"\n" + pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> dict:
    return pickle.loads(data.split(b"\n", 1)[1])


def entry_url(data: bytes | str) -> str:
    """The URL of a queue entry or lease, read without unpickling."""
    if isinstance(data, bytes):
        data = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    return data.split("\n", 1)[0]


def lease_worker(field: bytes | str) -> str:
    if isinstance(field, bytes):
        field = field.decode("utf-8", "replace")
    return field.split("|", 1)[0]


class LeasedScheduler(Scheduler):
    """scrapy-redis's scheduler with leases, atomic enqueueing, and an Outbox for Redis trouble."""

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        settings = crawler.settings
        scheduler.crawler = crawler
        scheduler.worker = worker_name()
        keys = Keys(settings.get("ARCHIVER_REDIS_PREFIX") or "archiver")
        run, job = settings.get("ARCHIVER_RUN_ID"), settings.get("ARCHIVER_JOB")
        scheduler.leases_key = keys.job(run, job, "leases")
        scheduler.leased = {}  # lease field -> request
        scheduler._pop = scheduler.server.register_script(_POP)
        scheduler._release_failed = False
        return scheduler

    def open(self, spider):
        super().open(spider)
        spider._scheduler = self

    @property
    def outbox(self) -> Outbox:
        return self.spider.outbox

    def enqueue_request(self, request) -> bool:
        # A retry or redirect of a leased request carries its lease in meta: the new
        # request is queued (and leased) on its own.
        request.meta.pop(LEASE_META, None)
        data = self.queue._encode_request(request)
        fingerprint = self.df.request_fingerprint(request)
        try:
            added = self.outbox.enqueue(self.df.key, self.queue.key, fingerprint, -request.priority, data,
                                        filtered=not request.dont_filter)
        except SpoolFull as exc:
            # Not kept: the request that found it stays leased, and is fetched again.
            self.spider.spool_full(str(exc))
            return False
        if added is False:
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        if not self.outbox.clear or self.spider.stopping:
            return None  # Redis refuses writes (or the job ends): take no more work
        token = f"{self.worker}|{uuid.uuid4().hex[:12]}"
        try:
            taken = self._pop(keys=[self.queue.key, self.leases_key], args=[token, f"{time.time():.0f}"])
        except Exception as exc:  # noqa: BLE001
            if not redis_trouble(exc):
                raise
            self.outbox.troubled(exc)
            return None
        if not taken:
            return None
        field, data = taken
        request = self.queue._decode_request(data)
        request.meta[LEASE_META] = field
        self.leased[field] = request
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        try:
            return len(self) > 0
        except Exception as exc:  # noqa: BLE001
            if not redis_trouble(exc):
                raise
            return False

    def release_done(self) -> int:
        """Release the leases of requests the engine is done with; only once nothing waits in the spool."""
        if not self.leased or not self.outbox.clear or self.spider.keep_leases:
            return 0
        engine = self.crawler.engine
        busy = in_progress(engine)
        if busy is not None:
            done = [field for field, request in self.leased.items() if request not in busy]
        elif getattr(engine, "_slot", None) is None or engine.spider_is_idle():
            done = list(self.leased)  # the engine has closed, or is idle: all done with
        else:
            done = []
        if not done:
            return 0
        try:
            self.server.hdel(self.leases_key, *done)
        except Exception as exc:  # noqa: BLE001
            if not redis_trouble(exc):
                raise
            self.outbox.troubled(exc)
            return 0
        for field in done:
            del self.leased[field]
        return len(done)

    def reconcile(self) -> int:
        """Put back leases Redis holds for this worker that it no longer holds itself.

        After Redis was killed and restarted from its append-only file, the last
        second of writes may be gone: a page pushed then, and the release of its
        lease with it. The lease left behind is the request: fetched again.
        """
        mine = f"{self.worker}|".encode()
        stale = [f for f in self.server.hkeys(self.leases_key) if f.startswith(mine) and f not in self.leased]
        if not stale:
            return 0
        n = int(self.server.eval(_REQUEUE_FIELDS, 2, self.leases_key, self.queue.key, "", *stale))
        if n:
            logger.warning("%d request(s) whose release Redis lost were put back on the queue", n)
        return n

    def give_back(self) -> int:
        """Put this worker's unfinished leases back on the queue (a worker that stops early)."""
        if not self.leased:
            return 0
        n = requeue(self.server, self.leases_key, self.queue.key, self.leases_key.rsplit(":", 1)[0] + ":requeued",
                    self.worker)
        self.leased.clear()
        return n


def in_progress(engine) -> set | None:
    """The requests the engine took from the scheduler and has not finished (response
    scraped, items through the pipelines, new requests scheduled).

    Scrapy has no public signal for "this request is done with"; the engine's slot
    keeps that set (ExecutionEngine._slot.inprogress, Scrapy 2.13 to 2.19). None when it
    is not there: leases are then released only when the engine is idle.
    """
    slot = getattr(engine, "_slot", None)
    busy = getattr(slot, "inprogress", None)
    return set(busy) if isinstance(busy, set) else None


def requeue(client, leases_key: str, queue_key: str, requeued_key: str, worker: str) -> int:
    return int(client.eval(_REQUEUE, 3, leases_key, queue_key, requeued_key, worker, REQUEUED_KEPT))


def reap(client, keys: Keys, ttl: float) -> list[tuple[str, str, str, int]]:
    """Give the leases of presumed-gone workers back to their jobs' queues and close them.

    Any worker and `archiver ingest` call this now and then. Returns (worker, run,
    job, requests put back) for each job of each worker found gone.
    """
    found = []
    for raw_name in client.zrangebyscore(keys.workers, "-inf", time.time() - ttl):
        name = raw_name.decode() if isinstance(raw_name, bytes) else raw_name
        if client.exists(keys.worker(name)):
            continue
        jobs = sorted(j.decode() if isinstance(j, bytes) else j for j in client.smembers(keys.worker_jobs(name)))
        put_back, closing = [], []
        for entry in jobs:
            run, job = entry.split(" ", 1)
            n = requeue(client, keys.job(run, job, "leases"), keys.job(run, job, "requests"),
                        keys.job(run, job, "requeued"), name)
            put_back.append((name, run, job, n))
            closing.append(messages.encode(messages.Origin(run=run, job=job, worker=name), "closed",
                                           status="workers_lost", lost=True))
        # Only the reaper that claims the worker tells the writer.
        if client.eval(_CLAIM, 3, keys.workers, keys.worker_jobs(name), keys.worker(name), name, keys.items, *closing):
            for _, run, job, n in put_back:
                logger.warning("worker %s is gone (no heartbeat for %.0f s): %d of its requests of run %s [%s] "
                               "put back on the queue", name, ttl, n, run, job)
            found.extend(put_back)
    return found
