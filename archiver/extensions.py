"""Scrapy extensions: progress lines on stderr during long crawls."""

from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class Progress:
    """Every few seconds, one line on stderr: pages done, archived, skipped or failed, rate."""

    def __init__(self, stats, interval: float):
        self.stats = stats
        self.interval = interval
        self.started = time.monotonic()
        self._task: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ARCHIVER_PROGRESS"):
            raise NotConfigured
        ext = cls(crawler.stats, crawler.settings.getfloat("ARCHIVER_PROGRESS_INTERVAL", 2.0))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        self._task = task.LoopingCall(self.report)
        self._task.start(self.interval, now=False)

    def spider_closed(self, spider, reason):
        if self._task and self._task.running:
            self._task.stop()
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()

    def report(self):
        get = self.stats.get_value
        stored = get("item_scraped_count", 0)
        dropped = get("item_dropped_count", 0)
        responses = get("response_received_count", 0)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        sys.stderr.write(
            f"\r\033[Kfetched {responses} pages, {stored} stored, {dropped} skipped or failed, "
            f"{responses / elapsed:.1f} pages/s"
        )
        sys.stderr.flush()
