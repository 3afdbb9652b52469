"""Downloader middlewares."""

from __future__ import annotations

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxtMiddleware
from scrapy.http import Request
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class RobotsTxtMiddleware(_ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with every waiting request given the parser.

    Scrapy 2.19 awaits the one shared Deferred from each request that arrives
    while robots.txt is downloading; only the first awaiter receives the parser
    and the others get None, which means "allowed" - so disallowed pages were
    fetched whenever several requests to a new host started together. Each
    waiter here gets a Deferred of its own that is fired with the parser.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(parser, Deferred):
            own: Deferred = Deferred()

            def relay(result):
                own.callback(result)
                return result

            parser.addCallback(relay)
            return await maybe_deferred_to_future(own)
        return await super().robot_parser(request)
