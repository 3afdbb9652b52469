"""Item pipelines: validate, store. Each small; records arrive finished from extraction
(record.finalize), the rules live in extract/ and normalize/."""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from archiver.diff import MinChange
from archiver.extract.access import WALLS
from archiver.extract.article_check import gone_reason
from archiver.extract.language import base_language
from archiver.items import ArticleItem, FailedFetch, Gone, NotDue, PassedOver, Unchanged
from archiver.record import RECORD_FIELDS, not_stored_reason
from archiver.sources import parse_duration
from archiver.store.schema import ArchiveError
from archiver.store.writer import FAILED, GONE, NOT_DUE, SKIPPED, UNCHANGED, ArchiveWriter, Fetched, RunPolicy

logger = logging.getLogger(__name__)

# A run that stopped because the archive could not be written.
ARCHIVE_ERROR = "archive_error"


class ValidatePipeline:
    """Marks pages that must not be stored as articles, with the reason: not an
    article, a wall instead of the article, or a language the crawl skips
    (ARCHIVER_LANGUAGES, `crawl --lang`). An archived article's page that says the
    article is gone becomes a Gone item."""

    def __init__(self, languages=()):
        self.languages = frozenset(base_language(code) for code in languages)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getlist("ARCHIVER_LANGUAGES"))

    def process_item(self, item):
        if not isinstance(item, ArticleItem) or item.skip_reason:
            return item
        fields = item.fields
        if item.recheck:
            reason = gone_reason(fields, requested_url=item.requested_url)
            if reason:
                return Gone(url=item.requested_url, reason=reason, status=item.status, check=item.check)
        access = fields.get("access")
        if access in WALLS:
            item.skip_reason = f"{access}: {fields.get('access_evidence') or 'not the article'}"
        elif reason := not_stored_reason(fields):
            if not fields.get("is_article") and access not in (None, "free"):
                reason += f" ({access}: {fields.get('access_evidence')})"
            item.skip_reason = reason
        elif self.languages and base_language(fields.get("language")) not in self.languages:
            kept = ", ".join(sorted(self.languages))
            item.skip_reason = f"language {fields.get('language') or 'unknown'} (the crawl keeps {kept})"
        return item


# Assigned by the archive when the batch is written, so not known to a feed export.
_STORE_FIELDS = ("id", "first_seen_at", "last_seen_at")


def exported_record(item: ArticleItem) -> dict:
    """The article as Scrapy's feed exports write it: the record's fields, JSON-ready."""
    record = {name: item.fields.get(name) for name in RECORD_FIELDS if name not in _STORE_FIELDS}
    record.update(requested_url=item.requested_url, fetched_at=item.fetched_at)
    return record


class StorePipeline:
    """Hands pages to the archive writer and records every outcome in the run."""

    def __init__(self, crawler, db_path: str, batch_size: int, batch_seconds: float, keep_raw: bool,
                 min_change: str = "0"):
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_path = db_path
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.keep_raw = keep_raw
        self.min_change = min_change
        self.writer: ArchiveWriter | None = None
        self._timer: task.LoopingCall | None = None
        self.error: str | None = None  # the first write error; the crawl stops on it

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        pipeline = cls(
            crawler,
            db_path=s.get("ARCHIVER_DB"),
            batch_size=s.getint("ARCHIVER_BATCH_SIZE", 50),
            batch_seconds=s.getfloat("ARCHIVER_BATCH_SECONDS", 2.0),
            keep_raw=s.getbool("ARCHIVER_KEEP_RAW", True),
            min_change=s.get("ARCHIVER_MIN_CHANGE", "0"),
        )
        # Only spider_closed knows why the crawl ended (pipelines close first).
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.item_error, signal=signals.item_error)
        return pipeline

    def item_error(self, item, response, spider, failure):
        """A pipeline raised on an item: the page is failed, not lost."""
        if self.writer is None or self.error:
            return
        url = getattr(item, "requested_url", None) or getattr(item, "url", None) or getattr(response, "url", "")
        reason = f"internal error while storing the page ({failure.type.__name__}: {failure.getErrorMessage()})"
        self.writer.add_outcome(url, FAILED, reason[:300], getattr(item, "status", None))
        self._maybe_flush()

    def open_spider(self):
        spider = self.crawler.spider
        # An import (the Wayback's captures) is no fetch of archiver's own: the fetch
        # states revisits are planned from stay as they are.
        self.writer = ArchiveWriter(self.db_path, keep_raw=self.keep_raw,
                                    remember_fetches=getattr(spider, "remember_fetches", True))
        run_id = self.writer.start_run(
            spider=spider.name,
            mode=getattr(spider, "mode", spider.name),
            source=getattr(spider, "source_name", None),
            args=getattr(spider, "run_args", None),
            policy=self.policy(spider),
        )
        self.stats.set_value("archiver/run_id", run_id)
        self.stats.set_value("archiver/db", self.db_path)
        self._timer = task.LoopingCall(self._flush)
        self._timer.start(self.batch_seconds, now=False)

    def policy(self, spider) -> RunPolicy:
        """The spider's watch window, min_change (else ARCHIVER_MIN_CHANGE) and notify targets."""
        watch = getattr(spider, "watch", None)
        min_change = getattr(spider, "min_change", None)
        return RunPolicy(
            watch=parse_duration(watch) if watch else None,
            min_change=MinChange.parse(self.min_change if min_change in (None, "") else min_change),
            notify=tuple(getattr(spider, "notify", None) or ()),
        )

    def close_spider(self):
        if self._timer and self._timer.running:
            self._timer.stop()
        self._flush()

    def spider_closed(self, spider, reason):
        if self.writer is None:
            return
        # "shutdown" is Ctrl-C or SIGTERM: Scrapy's graceful stop.
        status = "finished" if reason == "finished" else ("interrupted" if reason == "shutdown" else reason)
        try:
            self.writer.finish_run(ARCHIVE_ERROR if self.error else status)
        except ArchiveError as exc:
            logger.error("%s: the run could not be recorded as ended", exc)
        self.writer.close()
        self.writer = None

    def _flush(self) -> None:
        """Write what is buffered. A write error (disk full, read-only file) stops
        the crawl: every later page would be fetched only to be lost."""
        if self.error:
            return
        try:
            self.writer.flush()
        except ArchiveError as exc:
            self.error = str(exc)
            self.stats.set_value("archiver/error", self.error)
            logger.error("%s; stopping the crawl (the pages of this batch were not archived)", exc)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=ARCHIVE_ERROR))

    def process_item(self, item):
        if self.error:
            raise DropItem(f"not archived: {self.error}")
        if isinstance(item, PassedOver):
            self.writer.tally(item.tally)
            raise DropItem("passed over: imported before")
        if isinstance(item, (FailedFetch, Gone)):
            failed = isinstance(item, FailedFetch)
            outcome = FAILED if failed else GONE
            self.writer.add_outcome(item.url, outcome, item.reason, item.status, check=item.check,
                                    import_key=item.import_key if failed else None)
            self._maybe_flush()
            raise DropItem(f"{outcome}: {item.url}: {item.reason}")
        if isinstance(item, Unchanged):
            self.writer.add_outcome(item.url, UNCHANGED, item.reason, item.status, check=item.check)
            self._maybe_flush()
            raise DropItem(f"unchanged: {item.url}: {item.reason}")
        if isinstance(item, NotDue):
            if item.listed:
                self.writer.add_outcome(item.url, NOT_DUE, item.reason)
                self._maybe_flush()
            else:
                self.writer.count_not_due()
            raise DropItem(f"not due: {item.url}: {item.reason}")
        adapter = ItemAdapter(item)
        if adapter.get("skip_reason"):
            links = item.fields.get("page_links")
            if item.followed and links:
                self.writer.add_front_page(item.requested_url, item.fetched_at, links)
            self.writer.add_outcome(item.requested_url, SKIPPED, item.skip_reason, item.status, check=item.check,
                                    import_key=item.import_key, access=item.fields.get("access"))
            self._maybe_flush()
            raise DropItem(f"skipped: {item.requested_url}: {item.skip_reason}")
        self.writer.add_article(
            Fetched(
                requested_url=item.requested_url,
                record=item.fields,
                fetched_at=item.fetched_at,
                status=item.status,
                headers=item.headers,
                raw=item.raw,
                raw_packed=item.raw_packed,
                capture=item.capture,
                check=item.check,
                import_key=item.import_key,
            )
        )
        self._maybe_flush()
        # Downstream (Scrapy's feed exports, `scrapy crawl -O file.jsonl`) gets the
        # record, as `archiver export` writes it; never the raw bytes.
        return exported_record(item)

    def _maybe_flush(self):
        if self.writer.pending >= self.batch_size:
            self._flush()
