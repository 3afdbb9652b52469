"""SitemapSpider: sitemap and sitemap index files, gzip too, Google News sitemaps, robots.txt."""

from __future__ import annotations

from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from archiver.extract.sitemaps import MAX_UNPACKED, SitemapTooLarge, parse_sitemap, sitemaps_from_robots
from archiver.items import FailedFetch
from archiver.seeds import as_list
from archiver.spiders.base import ArchiverSpider, requested_url

# Index files may nest; real sites go two levels deep at most.
MAX_SITEMAP_NESTING = 4


def is_site_root(url: str) -> bool:
    return urlsplit(url).path in ("", "/")


class SitemapMixin:
    """Sitemap URLs are read as sitemaps; a site root is looked up in robots.txt."""

    def __init__(self, sitemaps=None, **kwargs):
        super().__init__(**kwargs)
        self.sitemaps = list(dict.fromkeys(as_list(sitemaps)))

    def seed_requests(self):
        yield from super().seed_requests()
        for url in self.sitemaps:
            failed = self.checked(url)
            if failed:
                yield failed
            elif is_site_root(url):
                root = url.rstrip("/")
                yield scrapy.Request(f"{root}/robots.txt", callback=self.parse_robots, errback=self.on_error,
                                     meta={"archiver_root": root}, dont_filter=True)
            else:
                yield self.sitemap_request(url, 0)

    def sitemap_request(self, url: str, nesting: int) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error, dont_filter=True,
                              meta={"archiver_nesting": nesting, "download_maxsize": MAX_UNPACKED})

    def parse_robots(self, response: Response):
        found = sitemaps_from_robots(response.text if hasattr(response, "text") else "", response.url)
        if not found:
            found = [f"{response.meta['archiver_root']}/sitemap.xml"]
        for url in found:
            yield self.sitemap_request(url, 0)

    def parse_sitemap(self, response: Response):
        try:
            kind, entries = parse_sitemap(response.body, response.url)
        except SitemapTooLarge as exc:
            yield FailedFetch(url=requested_url(response.request), reason=str(exc), status=response.status)
            return
        nesting = response.meta.get("archiver_nesting", 0)
        if kind == "sitemapindex":
            if nesting >= MAX_SITEMAP_NESTING:
                yield FailedFetch(url=response.url, reason="sitemap indexes nested too deep")
                return
            for entry in entries:
                yield self.sitemap_request(entry.url, nesting + 1)
        elif kind == "urlset":
            self.logger.info("sitemap %s lists %d URLs", response.url, len(entries))
            for entry in entries:
                yield self.article_request(entry.url, listed=False, evidence=entry.evidence())
        else:
            yield FailedFetch(url=requested_url(response.request), reason="not a sitemap (no <urlset> or <sitemapindex>)",
                              status=response.status)


class SitemapSpider(SitemapMixin, ArchiverSpider):
    """scrapy crawl sitemap -a sitemaps=https://example.com/sitemap.xml (or a site root)"""

    name = "sitemap"
    mode = "sitemap"
