"""Quieter log lines: skipped and failed pages go to the run summary, not warnings."""

from __future__ import annotations

import logging

from scrapy import logformatter


class ArchiverLogFormatter(logformatter.LogFormatter):
    def dropped(self, item, exception, response, spider=None):
        entry = super().dropped(item, exception, response, spider)
        entry["level"] = logging.DEBUG
        entry["msg"] = "Dropped: %(exception)s"
        return entry

    def scraped(self, item, response, spider=None):
        entry = super().scraped(item, response, spider)
        entry["msg"] = "Scraped from %(src)s"
        return entry
