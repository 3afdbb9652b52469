"""One view of a distributed crawl, read from Redis only (`archiver status`).

Open runs with their queues, what waits for the writer, the live workers and
their heartbeats, leases outstanding, URLs held by workers presumed gone, and
Redis's memory use against its limit. Nothing here writes to Redis.
"""

from __future__ import annotations

import time
from typing import Any

from archiver.distributed.frontier import entry_url, lease_worker
from archiver.distributed.keys import Keys
from archiver.distributed.worker import open_jobs

SHOWN_URLS = 50  # requeued URLs per job in the report


def cluster_status(client, raw_client, keys: Keys, worker_ttl: float) -> dict[str, Any]:
    """Everything `archiver status` shows; `raw_client` reads leases (pickles) as bytes."""
    now = time.time()
    memory = client.info("memory")
    workers = []
    live = set()
    for name, beat in client.zrange(keys.workers, 0, -1, withscores=True):
        alive = bool(client.exists(keys.worker(name)))
        if alive:
            live.add(name)
        workers.append({"worker": name, "alive": alive, "last_heartbeat_s_ago": round(now - beat, 1),
                        "jobs": sorted(client.smembers(keys.worker_jobs(name)))})
    runs: dict[str, dict[str, Any]] = {}
    for run, job in open_jobs(client, keys):
        with client.pipeline(transaction=False) as pipe:
            pipe.llen(keys.job(run, job, "seeds"))
            pipe.zcard(keys.job(run, job, "requests"))
            pipe.get(keys.job(run, job, "pages"))
            pipe.smembers(keys.job(run, job, "workers"))
            pipe.lrange(keys.job(run, job, "requeued"), 0, SHOWN_URLS - 1)
            pipe.llen(keys.job(run, job, "requeued"))
            seeds, queued, pages, job_workers, requeued, requeued_count = pipe.execute()
        leases = raw_client.hgetall(keys.job(run, job, "leases"))
        by_worker: dict[str, int] = {}
        lost = []
        for field, data in leases.items():
            holder = lease_worker(field)
            by_worker[holder] = by_worker.get(holder, 0) + 1
            if holder not in live:
                lost.append({"worker": holder, "url": entry_url(data)})
        runs.setdefault(run, {"run": run, "jobs": []})["jobs"].append({
            "job": job, "seeds": seeds, "queued": queued, "pages_requested": int(pages or 0),
            "leases": len(leases), "leases_by_worker": by_worker, "workers": sorted(job_workers),
            "held_by_gone_workers": lost, "requeued": requeued_count, "requeued_urls": requeued,
        })
    rejected = client.lrange(keys.rejected, 0, 4)
    lock = client.get(keys.ingest_lock)
    return {
        "redis": {"used_memory": memory.get("used_memory"), "used_memory_human": memory.get("used_memory_human"),
                  "maxmemory": memory.get("maxmemory") or None,
                  "maxmemory_human": memory.get("maxmemory_human") if memory.get("maxmemory") else None,
                  "maxmemory_policy": memory.get("maxmemory_policy")},
        "writer": {"running": lock is not None, "holder": lock.rsplit(":", 1)[0] if lock else None,
                   "items_waiting": client.llen(keys.items) + client.llen(keys.processing),
                   "rejected": client.llen(keys.rejected), "latest_rejected": rejected},
        "runs": list(runs.values()),
        "workers": workers,
        "worker_ttl": worker_ttl,
    }


def describe(status: dict[str, Any]) -> list[str]:
    """The status as lines for a person."""
    import json

    r = status["redis"]
    limit = f"of maxmemory {r['maxmemory_human']} ({r['maxmemory_policy']})" if r["maxmemory"] else "(no maxmemory)"
    lines = [f"Redis: {r['used_memory_human']} used {limit}"]
    w = status["writer"]
    lines.append(f"writer: {'archiver ingest on ' + w['holder'] if w['running'] else 'none running'}; "
                 f"{w['items_waiting']} item(s) waiting; {w['rejected']} quarantined")
    for entry in w["latest_rejected"]:
        try:
            lines.append(f"  quarantined: {json.loads(entry)['reason']}")
        except (ValueError, KeyError, TypeError):
            lines.append(f"  quarantined: {entry[:100]}")
    if not status["runs"]:
        lines.append("no open run")
    for run in status["runs"]:
        lines.append(f"run {run['run']}:")
        for job in run["jobs"]:
            lines.append(f"  [{job['job']}] {job['queued']} queued, {job['seeds']} seed(s), "
                         f"{job['pages_requested']} page(s) requested, {job['leases']} leased, "
                         f"{job['requeued']} put back from gone workers")
            for lost in job["held_by_gone_workers"]:
                lines.append(f"    held by gone worker {lost['worker']}: {lost['url']}")
            for url in job["requeued_urls"]:
                lines.append(f"    put back: {url}")
    live = [x for x in status["workers"] if x["alive"]]
    lines.append(f"workers: {len(live)} live (heartbeat within {status['worker_ttl']:.0f} s)")
    for x in status["workers"]:
        state = "live" if x["alive"] else "presumed gone"
        lines.append(f"  {x['worker']}: {state}, last heartbeat {x['last_heartbeat_s_ago']:.1f} s ago; "
                     + (", ".join(x["jobs"]) or "no job"))
    return lines
