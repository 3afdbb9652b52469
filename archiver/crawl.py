"""Builds and runs Scrapy crawls from CLI options; returns the runs they recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from archiver.sources import Source
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


def source_job(source: Source, revisit_after: str | None = None) -> CrawlJob:
    """A sources-file entry as a crawl: its seeds, rules and politeness."""
    politeness: dict[str, Any] = {}
    if source.delay is not None:
        politeness["DOWNLOAD_DELAY"] = source.delay
        politeness["AUTOTHROTTLE_START_DELAY"] = max(source.delay, 0.1)
    if source.concurrency:
        politeness["CONCURRENT_REQUESTS_PER_DOMAIN"] = source.concurrency
    args = dict(
        source_name=source.name, urls=source.urls, follow=source.follow, feeds=source.feeds,
        sitemaps=source.sitemaps, allow=source.allow, deny=source.deny, depth=source.depth,
        max_pages=source.max_pages, selectors=source.selectors, mode_label=source.mode,
    )
    if revisit_after is not None:
        args["revisit_after"] = revisit_after
    elif source.revisit is not None:
        args["revisit_after"] = source.revisit
    return CrawlJob(SourceSpider, args, politeness)


def run_jobs(jobs: list[CrawlJob], settings: Settings) -> list[int | None]:
    """Run the crawls side by side in this process; the id of the run each recorded."""
    process = CrawlerProcess(settings)
    crawlers = []
    for i, job in enumerate(jobs):
        job_settings = settings.copy()
        for name, value in job.settings.items():
            job_settings.set(name, value, priority="spider")
        crawler = Crawler(job.spider_cls, job_settings, init_reactor=(i == 0))
        process.crawl(crawler, **job.args)
        crawlers.append(crawler)
    process.start()
    return [c.stats.get_value("archiver/run_id") for c in crawlers]
