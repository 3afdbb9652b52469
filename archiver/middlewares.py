"""Middlewares: revisits of archived URLs (spider side) and robots.txt (downloader side)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
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
                self.db = None

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

    def get_processed_request(self, request: Request, response):
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


class RobotsTxtMiddleware(_ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with two changes.

    Every waiting request gets the parser: Scrapy 2.19 awaits one shared
    Deferred from each request that arrives while robots.txt is downloading,
    so only the first awaiter received the parser and the others got None,
    which means "allowed" - disallowed pages were fetched whenever several
    requests to a new host started together.

    A robots.txt that cannot be fetched (timeout, refused) is one warning
    line, not an error with a traceback; as in Scrapy, the site is then
    crawled as if it had none.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        netloc = url.netloc
        parser = self._parsers.get(netloc)
        if isinstance(parser, Deferred):
            own: Deferred = Deferred()

            def relay(result):
                own.callback(result)
                return result

            parser.addCallback(relay)
            return await maybe_deferred_to_future(own)
        if netloc in self._parsers:
            return parser
        self._parsers[netloc] = Deferred()
        robots = Request(f"{url.scheme}://{netloc}/robots.txt", priority=self.DOWNLOAD_PRIORITY,
                         meta={"dont_obey_robotstxt": True}, callback=NO_CALLBACK)
        try:
            response = await self.crawler.engine.download_async(robots)
            await self._parse_robots(response, netloc, request)
        except Exception as exc:  # noqa: BLE001 - any failure means "no robots.txt", as in Scrapy
            if not isinstance(exc, IgnoreRequest):
                logger.warning("robots.txt of %s could not be fetched (%s: %s); crawling as if it had none",
                               netloc, type(exc).__name__, str(exc)[:200])
            self._robots_error(exc, netloc)
        self._stats.inc_value("robotstxt/request_count")
        return self._parsers[netloc]
