"""FeedSpider: archive the articles an RSS/Atom feed lists; feed data kept as evidence."""

from __future__ import annotations

import lxml.html
from lxml.etree import ParserError
from scrapy.http import Response

from archiver.extract.feeds import discover_feeds, looks_like_feed, parse_feed
from archiver.items import FailedFetch
from archiver.seeds import as_url_list
from archiver.spiders.base import ArchiverSpider, requested_url


class FeedMixin:
    """Reads feeds; a normal page given as a feed is searched for its announced feeds.
    Each feed is read once per run."""

    def __init__(self, feeds=None, **kwargs):
        super().__init__(**kwargs)
        self.feeds = list(dict.fromkeys(as_url_list(feeds)))
        self._feeds_requested: set[str] = set()

    def seed_requests(self):
        yield from super().seed_requests()
        for url in self.feeds:
            yield self.feed_request(url, discover=True)

    def feed_request(self, url: str, *, discover: bool):
        if url in self._feeds_requested:
            return None
        self._feeds_requested.add(url)
        return self.request(url, callback=self.parse_feed, meta={"archiver_discover": discover}, dont_filter=True)

    def parse_feed(self, response: Response):
        body = response.body
        if looks_like_feed(body):
            entries = parse_feed(body, response.url)
            self.logger.info("feed %s lists %d entries", response.url, len(entries))
            if not entries:
                yield FailedFetch(url=requested_url(response.request), reason="the feed lists no entries",
                                  status=response.status)
                return
            yield from self.found(self.article_request(entry.url, listed=False, evidence=entry.evidence(),
                                                       found={"by": "feed", "via": response.url})
                                  for entry in entries)
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
