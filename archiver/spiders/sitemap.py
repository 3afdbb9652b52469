"""SitemapSpider: sitemap and sitemap index files, gzip too, Google News sitemaps, robots.txt."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.http import Response

from archiver.extract.sitemaps import MAX_UNPACKED, SitemapTooLarge, parse_sitemap, sitemaps_from_robots
from archiver.items import FailedFetch
from archiver.seeds import as_url_list
from archiver.spiders.base import ArchiverSpider, requested_url

# Index files may nest; real sites go two levels deep at most.
MAX_SITEMAP_NESTING = 4


def is_site_root(url: str) -> bool:
    try:
        return urlsplit(url).path in ("", "/")
    except ValueError:
        return False


class SitemapMixin:
    """Sitemap URLs are read as sitemaps; a site root is looked up in robots.txt.

    Each sitemap is fetched once per run, at most ARCHIVER_MAX_SITEMAPS of them,
    and none once max_pages is reached.
    """

    def __init__(self, sitemaps=None, **kwargs):
        super().__init__(**kwargs)
        self.sitemaps = list(dict.fromkeys(as_url_list(sitemaps)))
        self._sitemaps_requested: set[str] = set()
        self._sitemaps_left_out = 0

    @property
    def max_sitemaps(self) -> int:
        return self.settings.getint("ARCHIVER_MAX_SITEMAPS", 500)

    def seed_requests(self):
        yield from super().seed_requests()
        for url in self.sitemaps:
            if is_site_root(url):
                root = url.rstrip("/")
                yield self.request(f"{root}/robots.txt", callback=self.parse_robots,
                                   meta={"archiver_root": root}, dont_filter=True)
            else:
                yield self.sitemap_request(url, 0)

    def sitemap_request(self, url: str, nesting: int):
        """A request for a sitemap not yet requested in this run, within the bounds; else None."""
        if url in self._sitemaps_requested or self.page_limit_reached:
            return None
        if len(self._sitemaps_requested) >= self.max_sitemaps:
            self._sitemaps_left_out += 1
            if self._sitemaps_left_out == 1:
                self.logger.warning("ARCHIVER_MAX_SITEMAPS (%d) reached: no more sitemaps read in this run",
                                    self.max_sitemaps)
            self.crawler.stats.inc_value("archiver/sitemaps_left_out")
            return None
        self._sitemaps_requested.add(url)
        return self.request(url, callback=self.parse_sitemap, dont_filter=True,
                            meta={"archiver_nesting": nesting, "download_maxsize": MAX_UNPACKED})

    def parse_robots(self, response: Response):
        found = sitemaps_from_robots(response.text if hasattr(response, "text") else "", response.url)
        if not found:
            found = [f"{response.meta['archiver_root']}/sitemap.xml"]
        for url in found:
            yield self.sitemap_request(url, 0)

    def parse_sitemap(self, response: Response):
        url = requested_url(response.request)
        try:
            kind, entries = parse_sitemap(response.body, response.url)
        except SitemapTooLarge as exc:
            yield FailedFetch(url=url, reason=str(exc), status=response.status)
            return
        nesting = response.meta.get("archiver_nesting", 0)
        if kind == "sitemapindex":
            if nesting >= MAX_SITEMAP_NESTING:
                yield FailedFetch(url=url, reason="sitemap indexes nested too deep")
            elif not entries:
                yield FailedFetch(url=url, reason="the sitemap index lists no sitemaps", status=response.status)
            for entry in entries if nesting < MAX_SITEMAP_NESTING else ():
                yield self.sitemap_request(entry.url, nesting + 1)
        elif kind == "urlset":
            self.logger.info("sitemap %s lists %d URLs", response.url, len(entries))
            if not entries:
                yield FailedFetch(url=url, reason="the sitemap lists no URLs", status=response.status)
            yield from self.found(self.article_request(entry.url, listed=False, evidence=entry.evidence(),
                                                       found={"by": "sitemap", "via": response.url})
                                  for entry in entries)
        else:
            yield FailedFetch(url=url, reason="not a sitemap (no <urlset> or <sitemapindex>)", status=response.status)


class SitemapSpider(SitemapMixin, ArchiverSpider):
    """scrapy crawl sitemap -a sitemaps=https://example.com/sitemap.xml (or a site root)"""

    name = "sitemap"
    mode = "sitemap"
