"""Sitemaps: urlset and sitemap index files (gzip too), Google News entries, robots.txt lines."""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass

from lxml import etree

from archiver.normalize.dates import parse_date
from archiver.normalize.titles import clean_text
from archiver.normalize.urls import canonical_url

# Sitemaps are at most 50 MB unpacked by the protocol; never unpack more than that.
MAX_UNPACKED = 50 * 1024 * 1024
_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True,
                          remove_comments=True, remove_pis=True)


class SitemapTooLarge(ValueError):
    pass


@dataclass
class SitemapEntry:
    url: str
    lastmod: str | None = None
    news_title: str | None = None
    news_published_at: str | None = None

    def evidence(self) -> dict | None:
        """A news sitemap's statements about the article; None when it says nothing."""
        if not (self.news_title or self.news_published_at):
            return None
        return {"source": "sitemap", "title": self.news_title, "published_at": self.news_published_at}


def unpack(body: bytes, max_size: int = MAX_UNPACKED) -> bytes:
    """The XML of a sitemap, gunzipped when it is gzip, bounded in size."""
    if body[:2] != b"\x1f\x8b":
        return body
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
        try:
            while chunk := fh.read1(65536):
                out.write(chunk)
                if out.tell() > max_size:
                    raise SitemapTooLarge(f"sitemap unpacks to more than {max_size} bytes")
        except (OSError, EOFError, zlib.error):
            if not out.tell():
                raise
    return out.getvalue()


def _local(tag) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def parse_sitemap(body: bytes, base_url: str | None = None) -> tuple[str, list[SitemapEntry]]:
    """("urlset" | "sitemapindex" | "unknown", entries)."""
    try:
        root = etree.fromstring(unpack(body), _PARSER)
    except (etree.XMLSyntaxError, ValueError, OSError, EOFError, zlib.error):
        return "unknown", []
    if root is None:
        return "unknown", []
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        return "unknown", []
    entries = []
    for elem in root:
        if _local(elem.tag) not in ("url", "sitemap"):
            continue
        values: dict[str, str] = {}
        for child in elem.iter():
            name = _local(child.tag)
            if name in ("loc", "lastmod", "title", "publication_date") and child.text and name not in values:
                values[name] = child.text.strip()
        url = canonical_url(values.get("loc"), base_url)
        if url:
            entries.append(
                SitemapEntry(
                    url=url,
                    lastmod=parse_date(values.get("lastmod")),
                    news_title=clean_text(values.get("title")),
                    news_published_at=parse_date(values.get("publication_date")),
                )
            )
    return kind, entries


def sitemaps_from_robots(text: str, base_url: str) -> list[str]:
    """The `Sitemap:` lines of a robots.txt."""
    found = []
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap":
            url = canonical_url(value.strip(), base_url)
            if url and url not in found:
                found.append(url)
    return found
