"""Builds and runs Scrapy crawls from CLI options; returns the runs they recorded."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import BaseSettings, Settings

from archiver import collector
from archiver.revisits import WATCH_MODE
from archiver.normalize.urls import site_of
from archiver.sources import Source, parse_duration
from archiver.spiders.article import ArticleSpider
from archiver.spiders.feed import FeedSpider
from archiver.spiders.site import SiteSpider
from archiver.spiders.sitemap import SitemapSpider
from archiver.spiders.source import SourceSpider

SPIDERS_BY_MODE = {"urls": ArticleSpider, "follow": SiteSpider, "feed": FeedSpider, "sitemap": SitemapSpider}


@dataclass
class CrawlJob:
    """One spider run: its class, arguments, and settings of its own (per-site politeness)."""

    spider_cls: type
    args: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)


# Settings whose default is a whole number but that Scrapy reads as seconds (a float).
# Settings read as numbers that may have a fraction, whatever their default looks like.
_SECONDS = {"DOWNLOAD_TIMEOUT", "DNS_TIMEOUT", "ARCHIVER_EXTRACT_TIMEOUT", "ARCHIVER_IDLE_TIMEOUT",
            "ARCHIVER_JOB_GRACE", "ARCHIVER_REDIS_WAIT", "ARCHIVER_WORKER_TTL", "ARCHIVER_SPOOL_MAX_MB"}
# At least 1: with 0, nothing would ever be fetched or written.
_POSITIVE = {"CONCURRENT_REQUESTS_PER_DOMAIN", "CONCURRENT_ITEMS", "ARCHIVER_BATCH_SIZE", "ARCHIVER_MAX_SITEMAPS"}
_BOOLS = {"0", "1", "true", "false", "True", "False"}  # what Scrapy's getbool() accepts
_DURATIONS = {"ARCHIVER_REVISIT_AFTER", "ARCHIVER_RUN_TTL"}


def setting_problem(name: str, value: str, default: Any) -> str | None:
    """Why Scrapy (or archiver) could not use `-s NAME=VALUE`, judged by the type of
    the setting's default; None when it can, or when the setting is not one we know."""
    shown = f"{name}={value}"
    if name in _DURATIONS:
        try:
            parse_duration(value)
        except ValueError as exc:
            return f"{shown}: {exc}"
        return None
    if name == "LOG_LEVEL":
        known = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        return None if value.upper() in known else f"{shown}: not a log level ({', '.join(known)})"
    if name == "ARCHIVER_EXTRACT_WORKERS":
        if value.lower() == "auto" or (value.isascii() and value.isdigit()):
            return None
        return f"{shown}: give a number of processes or auto"
    if isinstance(default, bool):
        return None if value in _BOOLS else f"{shown}: give 1 or 0 (true or false)"
    if isinstance(default, (int, float)):
        whole = isinstance(default, int) and name not in _SECONDS
        try:
            number = int(value) if whole else float(value)
        except ValueError:
            return f"{shown}: not {'a whole number' if whole else 'a number'}"
        if not math.isfinite(number):
            return f"{shown}: not a finite number"
        if number < (1 if name in _POSITIVE else 0) and not name.endswith(("PRIORITY", "PRIORITY_ADJUST")):
            return f"{shown}: must be {'1 or more' if name in _POSITIVE else '0 or more'}"
        return None
    if isinstance(default, (dict, BaseSettings)):  # Scrapy keeps dict settings as BaseSettings
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        return None if isinstance(parsed, dict) else f"{shown}: give a JSON object"
    return None


def check_overrides(overrides: dict[str, str] | None) -> None:
    """ValueError naming the first -s override that cannot be used."""
    if not overrides:
        return
    defaults = Settings()
    defaults.setmodule("archiver.settings", priority="project")
    for name, value in overrides.items():
        problem = setting_problem(name, str(value), defaults.get(name))
        if problem:
            raise ValueError(problem)


def build_settings(db: str | Path, overrides: dict[str, str] | None = None, *, log_level: str = "WARNING",
                   progress: bool = False) -> Settings:
    settings = Settings()
    settings.setmodule("archiver.settings", priority="project")
    settings.set("ARCHIVER_DB", str(db), priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    settings.set("ARCHIVER_PROGRESS", progress, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def source_job(source: Source, revisit_after: str | None = None, *, checks: list[str] = (), seeds: bool = True,
               watch: str | None = None, notify: list[str] = ()) -> CrawlJob:
    """A sources-file entry as a crawl: its seeds (unless `seeds` is False: a run of its
    due watch checks only), rules and politeness; `watch` replaces the source's window."""
    politeness: dict[str, Any] = {}
    if source.delay is not None:
        politeness["DOWNLOAD_DELAY"] = source.delay
        politeness["AUTOTHROTTLE_START_DELAY"] = max(source.delay, 0.1)
    if source.concurrency:
        politeness["CONCURRENT_REQUESTS_PER_DOMAIN"] = source.concurrency
    if source.cookies:
        # Settings, not spider arguments: the run history records arguments.
        politeness["ARCHIVER_COOKIES_FILE"] = source.cookies
        politeness["ARCHIVER_COOKIES_SITES"] = sorted({u for u in source.seed_urls if site_of(u)})
    args = dict(
        source_name=source.name, selectors=source.selectors, checks=list(checks), watch=watch or source.watch,
        min_change=source.min_change, notify=[*source.notify, *notify],
    )
    if seeds:
        args.update(urls=source.urls, follow=source.follow, feeds=source.feeds, sitemaps=source.sitemaps,
                    allow=source.allow, deny=source.deny, depth=source.depth, max_pages=source.max_pages,
                    mode_label=source.mode)
    else:
        args["mode_label"] = WATCH_MODE
    if revisit_after is not None:
        args["revisit_after"] = revisit_after
    elif source.revisit is not None:
        args["revisit_after"] = source.revisit
    return CrawlJob(SourceSpider, args, politeness)


def checks_job(checks: list[str], notify: list[str] = ()) -> CrawlJob:
    """The due checks of the articles watched with `crawl --watch` (no source)."""
    return CrawlJob(ArticleSpider, {"checks": list(checks), "notify": list(notify), "mode_label": WATCH_MODE})


@dataclass
class JobResult:
    """What a crawl recorded: its run id, or why it could not start."""

    run_id: int | None
    error: str | None = None


def run_jobs(jobs: list[CrawlJob], settings: Settings) -> list[JobResult]:
    """Run the crawls side by side in this process; the run each recorded, or why it did not start.

    A crawl that fails to start (a setting Scrapy cannot use, a component that
    raises) is reported here in one line rather than by Twisted with tracebacks.
    """
    errors: dict[int, str] = {}

    def failed(failure, i: int):
        errors[i] = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500]

    try:
        process = CrawlerProcess(settings)
        crawlers = []
        for i, job in enumerate(jobs):
            job_settings = settings.copy()
            for name, value in job.settings.items():
                job_settings.set(name, value, priority="spider")
            crawler = Crawler(job.spider_cls, job_settings, init_reactor=(i == 0))
            process.crawl(crawler, **job.args).addErrback(failed, i)
            crawlers.append(crawler)
        collector.settle()
        process.start()
    except Exception as exc:  # noqa: BLE001 - a crawl that cannot be built is reported, not raised
        return [JobResult(None, f"{type(exc).__name__}: {exc}"[:500]) for _ in jobs]
    return [JobResult(c.stats.get_value("archiver/run_id") if c.stats else None, errors.get(i))
            for i, c in enumerate(crawlers)]
