"""A site of a few hundred plain articles, and the URL list file a crawl reads."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.support.pages import article_html, html_page
from tests.support.server import FixtureSite, Page, send_page

N_PAGES = 300


def many_articles(n: int = N_PAGES) -> dict[str, Page]:
    pages = {f"/news/story-{i}.html": html_page(article_html(i)) for i in range(1, n + 1)}
    pages["/robots.txt"] = Page(b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
    return pages


def write_urls(site: FixtureSite, folder: Path, n: int = N_PAGES, name: str = "urls.txt") -> list[str]:
    urls = [f"{site.url}/news/story-{i}.html" for i in range(1, n + 1)]
    (folder / name).write_text("\n".join(urls) + "\n")
    return urls


HELD_PATH = "/news/held.html"


def held_page(release: threading.Event, timeout: float = 60):
    """An article that is answered only once `release` is set (or after `timeout`):
    a crawl that lists it cannot finish before the test says so."""
    page = html_page(article_html(999, title="The story held back by the server"))

    def handler(h: BaseHTTPRequestHandler) -> None:
        release.wait(timeout)
        send_page(h, page)

    return handler
