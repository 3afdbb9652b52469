"""ArticleSpider: archive a given list of article URLs (ad-hoc runs)."""

from __future__ import annotations

from pathlib import Path

from archiver.seeds import as_url_list, read_url_list
from archiver.spiders.base import ArchiverSpider


class ArticleSpider(ArchiverSpider):
    """Fetch each URL and archive it if it is an article.

    scrapy crawl article -a urls=URL1,URL2 [-a urls_file=list.txt] -s ARCHIVER_DB=archive.db
    """

    name = "article"
    mode = "urls"

    def __init__(self, urls=None, urls_file: str | None = None, **kwargs):
        listed = as_url_list(urls)
        read = read_url_list(Path(urls_file).read_bytes(), urls_file) if urls_file else None
        super().__init__(urls=listed + (read.urls if read else []), **kwargs)
        if read:
            self.rejected += [vars(r) for r in read.rejected]
