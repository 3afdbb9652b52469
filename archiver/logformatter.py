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

    def item_error(self, item, exception, response, spider=None):
        # The page is recorded as failed with the error as its reason (StorePipeline);
        # the item and its traceback are for -v.
        entry = super().item_error(item, exception, response, spider)
        entry["level"] = logging.INFO
        return entry

    def scraped(self, item, response, spider=None):
        entry = super().scraped(item, response, spider)
        entry["msg"] = "Scraped from %(src)s"
        return entry
