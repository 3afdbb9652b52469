"""Archives for the read, export and browse tests: crawled from a loopback site, or
generated straight through ArchiveWriter when a test needs many articles or odd values."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from archiver.record import content_hash, word_count
from archiver.store.writer import FAILED, ArchiveWriter, Fetched
from tests.support.pages import article_html, html_page, news_site, paragraphs
from tests.support.server import FixtureSite, Page

FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0"]


def reading_site() -> dict[str, Page]:
    """The fixture news site plus two stories with words no other page uses."""
    pages = news_site(3)
    pages["/news/zeppelin.html"] = html_page(article_html(
        10, title="Zeppelin hangar reopens as a museum", author="Ann O'Brien",
        published="2024-04-02T10:00:00+02:00",
        body=[f"The old zeppelin hangar opened its doors again. {p}" for p in paragraphs(10)],
    ))
    pages["/news/harbour.html"] = html_page(article_html(
        11, title="Harbour dredging delayed by storms", author="Li Wei",
        published="2024-02-20T09:30:00Z",
        body=[f"Harbour dredging waits for calmer seas. {p}" for p in paragraphs(11)],
    ))
    return pages


CRAWLED_PATHS = ("/news/story-1.html", "/news/story-2.html", "/news/story-3.html",
                 "/news/zeppelin.html", "/news/harbour.html", "/missing.html")


@contextmanager
def crawled_archive(folder: Path) -> Iterator[tuple[Path, FixtureSite]]:
    """The reading site crawled into folder/news.db by the installed CLI: 5 articles and
    one 404. Yields the archive and the site, still serving."""
    from tests.conftest import archiver_cmd

    db = folder / "news.db"
    env = {k: v for k, v in os.environ.items() if k != "ARCHIVER_DB"}
    with FixtureSite(reading_site()) as site:
        result = subprocess.run(
            [*archiver_cmd(), "crawl", *(site.url + p for p in CRAWLED_PATHS), "--db", str(db), *FAST],
            cwd=folder, env=env, capture_output=True, text=True, timeout=180,
        )
        assert "5 archived" in result.stderr, result.stderr
        yield db, site


def record(i: int, **fields: Any) -> dict[str, Any]:
    """A stored article record, every field filled unless given."""
    site = fields.pop("site", f"site{i % 3}.example")
    title = fields.pop("title", f"Generated story {i}")
    body = fields.pop("body", "\n\n".join(paragraphs(i, 3)))
    rec = {
        "url": f"https://{site}/news/{i}.html",
        "site": site,
        "site_name": f"{site} news",
        "title": title,
        "description": f"Summary of story {i}",
        "byline": "Jane Doe",
        "authors": ["Jane Doe"],
        "agencies": ["The Associated Press"],
        "published_at": f"2024-03-{1 + i % 28:02d}T08:00:00+00:00",
        "modified_at": None,
        "language": "en",
        "section": "City",
        "tags": ["budget"],
        "image": f"https://{site}/img/{i}.jpg",
        "body": body,
        "related_links": [],
        "provenance": {"title": "json-ld", "body": "dom", "published_at": "json-ld"},
    }
    rec.update(fields)
    rec["word_count"] = word_count(rec["body"])
    rec["content_hash"] = content_hash(rec["title"], rec["body"])
    return rec


def write_archive(path: Path, records: Iterable[dict[str, Any]], *, failures: Iterable[str] = (),
                  fetched_at: str = "2024-03-10T12:00:00+00:00", batch: int = 500) -> None:
    """Store records as one finished run, each with a small raw HTML response."""
    writer = ArchiveWriter(path)
    writer.start_run(spider="generated", mode="test")
    for rec in records:
        raw = f"<html><head><title>{rec['title']}</title></head><body><p>{rec['body']}</p></body></html>"
        writer.add_article(Fetched(
            requested_url=rec["url"], record=rec, fetched_at=fetched_at, status=200,
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
            raw=raw.encode("utf-8"),
        ))
        if writer.pending >= batch:
            writer.flush()
    for url in failures:
        writer.add_outcome(url, FAILED, "HTTP 404 Not Found", 404)
    writer.finish_run("finished")
    writer.close()
