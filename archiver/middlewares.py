"""Downloader middlewares."""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)


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
