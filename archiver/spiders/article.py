"""ArticleSpider: archive a given list of article URLs (ad-hoc runs)."""

from __future__ import annotations

from pathlib import Path

from archiver.items import FailedFetch
from archiver.spiders.base import ArchiverSpider, unsupported_url_reason


def read_url_list(text: str) -> list[str]:
    """URLs from a comma/newline separated list; blank lines and # comments ignored."""
    urls = []
    for line in text.replace(",", "\n").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            urls.append(line)
    return urls


class ArticleSpider(ArchiverSpider):
    """Fetch each URL once and archive it if it is an article.

    scrapy crawl article -a urls=URL1,URL2 [-a urls_file=list.txt] -s ARCHIVER_DB=archive.db
    """

    name = "article"
    mode = "urls"

    def __init__(self, urls: str | list[str] | None = None, urls_file: str | None = None, **kwargs):
        super().__init__(**kwargs)
        listed = read_url_list(urls) if isinstance(urls, str) else list(urls or [])
        if urls_file:
            listed += read_url_list(Path(urls_file).read_text(encoding="utf-8"))
        # Keep order, drop repeats: one request per URL given.
        self.urls = list(dict.fromkeys(listed))

    async def start(self):
        for url in self.urls:
            reason = unsupported_url_reason(url)
            if reason:
                yield FailedFetch(url=url, reason=reason)
            else:
                # Each listed URL gets an outcome, even when a redirect leads to
                # a page already fetched in this run.
                yield self.article_request(url.strip(), dont_filter=True)
