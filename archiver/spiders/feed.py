"""FeedSpider: archive the articles an RSS/Atom feed lists; feed data kept as evidence."""

from __future__ import annotations

import lxml.html
import scrapy
from lxml.etree import ParserError
from scrapy.http import Response

from archiver.extract.feeds import discover_feeds, looks_like_feed, parse_feed
from archiver.items import FailedFetch
from archiver.seeds import as_list
from archiver.spiders.base import ArchiverSpider, requested_url


class FeedMixin:
    """Reads feeds; a normal page given as a feed is searched for its announced feeds."""

    def __init__(self, feeds=None, **kwargs):
        super().__init__(**kwargs)
        self.feeds = list(dict.fromkeys(as_list(feeds)))

    def seed_requests(self):
        yield from super().seed_requests()
        for url in self.feeds:
            failed = self.checked(url)
            yield failed or self.feed_request(url, discover=True)

    def feed_request(self, url: str, *, discover: bool) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_feed, errback=self.on_error,
                              meta={"archiver_discover": discover}, dont_filter=True)

    def parse_feed(self, response: Response):
        body = response.body
        if looks_like_feed(body):
            entries = parse_feed(body, response.url)
            self.logger.info("feed %s lists %d entries", response.url, len(entries))
            for entry in entries:
                yield self.article_request(entry.url, listed=False, evidence=entry.evidence())
            return
        found = []
        if response.meta.get("archiver_discover"):
            try:
                found = discover_feeds(lxml.html.document_fromstring(body), response.url)
            except (ParserError, ValueError):
                found = []
        if not found:
            yield FailedFetch(url=requested_url(response.request),
                              reason="not a feed, and the page announces no RSS/Atom feed", status=response.status)
            return
        for url in found:
            yield self.feed_request(url, discover=False)


class FeedSpider(FeedMixin, ArchiverSpider):
    """scrapy crawl feed -a feeds=https://example.com/rss.xml"""

    name = "feed"
    mode = "feed"
