"""SiteSpider: start from a home or section page and follow links on the same site."""

from __future__ import annotations

import re

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor

from archiver.items import FOUND_META
from archiver.normalize.urls import canonical_url, same_site
from archiver.seeds import as_list, as_url_list, seed_urls
from archiver.spiders.base import ArchiverSpider


class FollowMixin:
    """Follows links from start pages: every fetched page is extracted (articles are
    kept, the rest counted as skipped) and its same-site links followed to `depth`.
    Start pages count towards max_pages."""

    def __init__(self, follow=None, depth=2, allow=None, deny=None, **kwargs):
        super().__init__(**kwargs)
        self.follow = seed_urls(as_url_list(follow))
        self.depth = int(depth)
        self.allow = [re.compile(p) for p in as_list(allow)]
        self.deny = [re.compile(p) for p in as_list(deny)]
        self._links = LinkExtractor(canonicalize=False, unique=True)

    def seed_requests(self):
        yield from super().seed_requests()
        for url in self.follow:
            # Start pages are listings: fetched every run, whatever the archive holds.
            entry = self.request(url, callback=self.parse_page, meta={"archiver_depth": 0, FOUND_META: {"by": "seed"}},
                                 dont_filter=True)
            if isinstance(entry, scrapy.Request):
                self.pages_requested += 1
            yield entry

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
        # A 304 or a 404 of an archived page has no links to follow.
        if depth >= self.depth or not isinstance(response, TextResponse) or response.status != 200:
            return
        for entry in self.found(self._link_requests(response, depth)):
            yield entry

    def _link_requests(self, response: TextResponse, depth: int):
        for link in self._links.extract_links(response):
            url = canonical_url(link.url)
            if url and self.wanted(url, response.url):
                yield self.article_request(url, listed=False, callback=self.parse_page,
                                           meta={"archiver_depth": depth + 1},
                                           found={"by": "link", "via": response.url, "depth": depth + 1})


class SiteSpider(FollowMixin, ArchiverSpider):
    """scrapy crawl site -a follow=https://example.com/news/ [-a depth=2 -a max_pages=500]"""

    name = "site"
    mode = "follow"
