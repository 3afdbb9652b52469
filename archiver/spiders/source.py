"""SourceSpider: one source of the sources file, with all its seed kinds in one run."""

from __future__ import annotations

from archiver.spiders.base import ArchiverSpider
from archiver.spiders.feed import FeedMixin
from archiver.spiders.site import FollowMixin
from archiver.spiders.sitemap import SitemapMixin


class SourceSpider(FollowMixin, FeedMixin, SitemapMixin, ArchiverSpider):
    """Article URLs, start pages to follow, feeds and sitemaps of one site.

    scrapy crawl source -a source_name=NAME -a follow=URL -a feeds=URL -a sitemaps=URL
    """

    name = "source"
    mode = "source"
