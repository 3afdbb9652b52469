"""Builds and runs a Scrapy crawl from CLI options; returns the recorded run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings


def parse_setting(text: str) -> tuple[str, str]:
    """`NAME=VALUE` as given to -s; ValueError when there is no '='."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


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


def run_spider(spider_cls, settings: Settings, **spider_args: Any) -> int | None:
    """Run one spider to completion in this process; the id of the run it recorded."""
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider_cls)
    process.crawl(crawler, **spider_args)
    process.start()
    return crawler.stats.get_value("archiver/run_id")
