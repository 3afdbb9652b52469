"""Middlewares: revisits of archived URLs (spider side) and robots.txt (downloader side)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware
from scrapy.http import Request
from scrapy.robotstxt import RobotParser
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet.defer import Deferred

from archiver.items import Unchanged
from archiver.revisits import ARTICLE_META, CONDITIONAL, NOT_DUE, REVISIT_META, FetchState, FetchStates, revisit
from archiver.store.queries import fetch_state
from archiver.store.schema import ArchiveError, connect

logger = logging.getLogger(__name__)


class ArchiveFetchStates:
    """Fetch states from the SQLite archive (ARCHIVER_DB), opened read-only once.

    No archive yet (or none configured, as on a distributed worker): every URL is new.
    """

    def __init__(self, path: str | None):
        self.db = None
        if path and Path(path).exists():
            try:
                self.db = connect(path, readonly=True)
            except ArchiveError:
                pass  # not an archive (yet): nothing in it is archived

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("ARCHIVER_DB"))

    def get(self, url: str) -> FetchState | None:
        row = fetch_state(self.db, url) if self.db is not None else None
        return FetchState.from_record(row) if row else None

    def close(self) -> None:
        if self.db is not None:
            self.db.conn.close()
            self.db = None


class RevisitMiddleware(BaseSpiderMiddleware):
    """Applies the revisit policy (archiver.revisits) to the article requests spiders yield.

    An article request (meta ARTICLE_META) whose URL is archived and not due is
    answered with an Unchanged item instead of being fetched; a due one gets the
    archive's validators and may come back as a 304. The decision is left on the
    request (meta REVISIT_META). Fetch states come from ARCHIVER_FETCH_STATES (a
    class path; by default the archive), so another source plugs in by setting.
    """

    def __init__(self, crawler, states: FetchStates):
        super().__init__(crawler)
        self.states = states

    @classmethod
    def from_crawler(cls, crawler):
        states = build_from_crawler(load_object(crawler.settings.get("ARCHIVER_FETCH_STATES")), crawler)
        middleware = cls(crawler, states)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_closed(self):
        self.states.close()

    def process_spider_input(self, response):
        # A source that looks many URLs up in one round trip (Redis) reads ahead the
        # links of a page before its callback asks for them one at a time.
        prefetch = getattr(self.states, "prefetch_links", None)
        if prefetch is not None:
            prefetch(response)

    def prefetch(self, entries: list) -> None:
        """Look the article requests among `entries` up at once, where the source can."""
        prefetch = getattr(self.states, "prefetch", None)
        if prefetch is not None:
            prefetch([e.url for e in entries if isinstance(e, Request) and ARTICLE_META in e.meta])

    def get_processed_request(self, request: Request, response):
        """The request, with the archive's validators when due; an Unchanged item when not due."""
        if ARTICLE_META not in request.meta:
            return request
        spider = self.crawler.spider
        decision = revisit(self.states.get(request.url), datetime.now(timezone.utc), spider.revisit_after)
        request.meta[REVISIT_META] = decision
        self.crawler.stats.inc_value(f"archiver/revisit/{decision.action}")
        if decision.action == NOT_DUE:
            return Unchanged(url=request.url, listed=request.meta[ARTICLE_META], reason=decision.reason)
        for name, value in decision.headers.items():
            request.headers[name] = value
        if decision.action == CONDITIONAL:
            request.meta["handle_httpstatus_list"] = [304]
        return request


# Scrapy's line for a robots.txt that could not be downloaded (an ERROR with a traceback).
SCRAPY_ROBOTS_ERROR = "Error downloading %(request)s: %(f_exception)s"


class _RobotsErrorAsWarning(logging.Filter):
    """Turns Scrapy's SCRAPY_ROBOTS_ERROR into one warning line without a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, dict) else {}
        if record.msg != SCRAPY_ROBOTS_ERROR or not isinstance(args.get("request"), Request):
            return True
        exc = args.get("f_exception")
        logger.warning("robots.txt of %s could not be fetched (%s: %s); crawling as if it had none",
                       urlparse_cached(args["request"]).netloc, type(exc).__name__, str(exc)[:200])
        return False


class RobotsTxtMiddleware(_ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with two changes.

    Every waiting request gets the parser. While robots.txt downloads, Scrapy
    keeps a Deferred in `_parsers[netloc]` and each request that arrives awaits
    it through maybe_deferred_to_future; turning a Deferred into a Future
    consumes its result, so only the first waiter received the parser and the
    others got None, which means "allowed": disallowed pages were fetched
    whenever several requests to a new host started together. Present in
    Scrapy 2.15 to 2.19; the await came with scrapy/scrapy#6802 ("Refactor
    RobotsTxtMiddleware to use async def process_request()"), whose review
    noted that this path had no test. No upstream issue about the bug was
    found. Here each waiter awaits a Deferred of its own, fed by the shared one;
    everything else is Scrapy's own code (tests/test_middlewares.py fails when
    the private parts relied on change, or when Scrapy fixes the bug).

    A robots.txt that cannot be fetched (timeout, refused) is one warning
    line, not an error with a traceback; as in Scrapy, the site is then
    crawled as if it had none.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        scrapy_logger = logging.getLogger(_ScrapyRobotsTxtMiddleware.__module__)
        if not any(isinstance(f, _RobotsErrorAsWarning) for f in scrapy_logger.filters):
            scrapy_logger.addFilter(_RobotsErrorAsWarning())

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)
        own: Deferred = Deferred()

        def relay(result):
            own.callback(result)
            return result

        pending.addCallback(relay)
        return await maybe_deferred_to_future(own)
