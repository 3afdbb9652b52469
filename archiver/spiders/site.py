"""SiteSpider: start from a home or section page and follow links on the same site."""

from __future__ import annotations

import re

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor

from archiver.normalize.urls import canonical_url, same_site
from archiver.revisits import not_fetched
from archiver.seeds import as_list
from archiver.spiders.base import ArchiverSpider


class FollowMixin:
    """Follows links from start pages: every fetched page is extracted (articles are
    kept, the rest counted as skipped) and its same-site links followed to `depth`."""

    def __init__(self, follow=None, depth=2, max_pages=1000, allow=None, deny=None, **kwargs):
        super().__init__(**kwargs)
        self.follow = list(dict.fromkeys(as_list(follow)))
        self.depth = int(depth)
        self.max_pages = int(max_pages)
        self.allow = [re.compile(p) for p in as_list(allow)]
        self.deny = [re.compile(p) for p in as_list(deny)]
        self.pages_requested = 0
        self._links = LinkExtractor(canonicalize=False, unique=True)

    def seed_requests(self):
        yield from super().seed_requests()
        for url in self.follow:
            failed = self.checked(url)
            if failed:
                yield failed
                continue
            self.pages_requested += 1
            # Start pages are listings: fetched every run, whatever the archive holds.
            yield scrapy.Request(url, callback=self.parse_page, errback=self.on_error,
                                 meta={"archiver_depth": 0}, dont_filter=True)

    def wanted(self, url: str, base: str) -> bool:
        if not same_site(url, base) and not any(same_site(url, s) for s in self.follow):
            return False
        if self.allow and not any(p.search(url) for p in self.allow):
            return False
        return not any(p.search(url) for p in self.deny)

    async def parse_page(self, response: Response):
        async for entry in self.parse_article(response):
            yield entry
        depth = response.meta.get("archiver_depth", 0)
        if depth >= self.depth or not isinstance(response, TextResponse):
            return
        for link in self._links.extract_links(response):
            url = canonical_url(link.url)
            if not url or not self.wanted(url, response.url):
                continue
            if self.pages_requested >= self.max_pages:
                self.logger.info("max_pages (%d) reached; not following more links", self.max_pages)
                return
            entry = self.article_request(url, listed=False, callback=self.parse_page,
                                         meta={"archiver_depth": depth + 1})
            yield entry
            # By now the revisit middleware has seen the request: an archived page
            # that is not due is never requested, so it does not count.
            if isinstance(entry, scrapy.Request) and not not_fetched(entry.meta):
                self.pages_requested += 1


class SiteSpider(FollowMixin, ArchiverSpider):
    """scrapy crawl site -a follow=https://example.com/news/ [-a depth=2 -a max_pages=500]"""

    name = "site"
    mode = "follow"
