"""A distributed run in Redis: its jobs (what to crawl, how) and their seeds.

`archiver enqueue` writes a run here; workers read their jobs from it. Each job
is what one single-machine crawl would be (a source of the sources file, or the
URLs of one mode) and gets its own frontier keys.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from archiver.distributed.keys import Keys
from archiver.sources import Source

# Spider arguments that are seeds: they go on the job's seed list, not in its spec.
SEED_KINDS = ("urls", "follow", "feeds", "sitemaps")
MODE_KINDS = {"urls": "urls", "follow": "follow", "feed": "feeds", "sitemap": "sitemaps"}


class RedisUnavailable(Exception):
    """Redis cannot be reached or refused us, with a message a person can act on."""


def redacted(url: str) -> str:
    """A Redis URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def connect(url: str, *, decode: bool = True):
    """A checked client for `url` (redis://[user:password@]host:port/db, rediss://, unix://)."""
    import redis

    try:
        client = redis.Redis.from_url(url, decode_responses=decode, socket_connect_timeout=10,
                                      socket_timeout=30, health_check_interval=30)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise RedisUnavailable(f"cannot use Redis at {redacted(url)}: {exc}") from exc
    return client


def redis_memory(client) -> str:
    """Redis's memory use and limit, for messages: 'used 5.2M of maxmemory 5.0M'."""
    try:
        info = client.info("memory")
    except Exception:  # noqa: BLE001 (only for a message)
        return "memory use unknown"
    limit = info.get("maxmemory_human") if info.get("maxmemory") else "no maxmemory"
    return f"used {info.get('used_memory_human')} of maxmemory {limit}, policy {info.get('maxmemory_policy')}"


@dataclass
class JobSpec:
    """How a job is crawled: spider arguments (no seeds) and per-site politeness."""

    args: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> JobSpec:
        obj = json.loads(text)
        return cls(args=dict(obj.get("args") or {}), settings=dict(obj.get("settings") or {}))


def job_from_source(source: Source, revisit_after: str | None = None) -> tuple[JobSpec, list[dict[str, str]]]:
    """A sources-file entry as a job spec and its seeds, exactly as a single-machine crawl runs it."""
    from archiver.crawl import source_job

    crawl_job = source_job(source, revisit_after)
    args = dict(crawl_job.args)
    seeds = [{"kind": kind, "url": url} for kind in SEED_KINDS for url in args.pop(kind, None) or []]
    return JobSpec(args=args, settings=dict(crawl_job.settings)), seeds


def job_from_urls(name: str, mode: str, urls: list[str], *, depth: int = 2, max_pages: int = 1000,
                  allow=(), deny=(), revisit_after: str | None = None) -> tuple[JobSpec, list[dict[str, str]]]:
    """URLs of one mode (urls, follow, feed, sitemap) as a job, like `archiver crawl --MODE URL...`."""
    kind = MODE_KINDS[mode]
    source = Source(name=name, **{kind: list(urls)}, depth=depth, max_pages=max_pages,
                    allow=list(allow), deny=list(deny))
    spec, seeds = job_from_source(source, revisit_after)
    # A run of URLs from the command line has no source name, as on one machine.
    spec.args.update(source_name=None, mode_label=mode)
    return spec, seeds


def announce_run(client, keys: Keys, run: str) -> None:
    """Record the run and make it the one workers without --run work on."""
    client.zadd(keys.runs, {run: time.time()}, nx=True)
    client.set(keys.current_run, run)


def save_job(client, keys: Keys, run: str, job: str, spec: JobSpec, ttl: float) -> None:
    with client.pipeline() as pipe:
        pipe.hset(keys.jobs(run), job, spec.to_json())
        pipe.expire(keys.jobs(run), int(ttl))
        pipe.delete(keys.job(run, job, "done"))  # seeds added to a done job open it again
        pipe.execute()


def push_seeds(client, keys: Keys, run: str, job: str, seeds: list[dict[str, str]], ttl: float) -> int:
    if not seeds:
        return 0
    key = keys.job(run, job, "seeds")
    with client.pipeline() as pipe:
        pipe.rpush(key, *(json.dumps(s, separators=(",", ":")) for s in seeds))
        pipe.expire(key, int(ttl))
        pipe.execute()
    return len(seeds)


def load_jobs(client, keys: Keys, run: str) -> dict[str, JobSpec]:
    return {name: JobSpec.from_json(text) for name, text in sorted(client.hgetall(keys.jobs(run)).items())}


def load_job(client, keys: Keys, run: str, job: str) -> JobSpec | None:
    text = client.hget(keys.jobs(run), job)
    return JobSpec.from_json(text) if text else None


def current_run(client, keys: Keys) -> str | None:
    return client.get(keys.current_run)
