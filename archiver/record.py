"""The article record: the fields every layer agrees on (extraction, store, export)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from archiver.normalize.urls import canonical_url, site_of

# Export shape, in order. Lists: authors, tags, related_links ({url, text}).
RECORD_FIELDS = (
    "id",
    "url",
    "site",
    "site_name",
    "title",
    "description",
    "byline",
    "authors",
    "published_at",
    "modified_at",
    "language",
    "section",
    "tags",
    "image",
    "body",
    "word_count",
    "related_links",
    "content_hash",
    "first_seen_at",
    "last_seen_at",
)

_WORD = re.compile(r"\w+")
_WS = re.compile(r"\s+")


def word_count(text: str | None) -> int:
    return len(_WORD.findall(text or ""))


def content_hash(title: str | None, body: str | None) -> str:
    """Hash of the normalized title and body: whitespace, case and Unicode form
    changes do not change it, so they never make a new version."""
    folded = "\n".join(
        _WS.sub(" ", unicodedata.normalize("NFKC", part or "")).strip().casefold()
        for part in (title, body)
    )
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def finalize(record: dict, *, fallback_url: str | None = None) -> dict:
    """The record with its derived fields computed, the one place they are: the
    canonical URL (`fallback_url` when the record has none), site, word count and
    content hash. Returns the same dict."""
    url = record.get("url")
    record["url"] = canonical_url(url) or canonical_url(fallback_url) or url or fallback_url or url
    record["site"] = site_of(record["url"]) or record.get("site")
    record["word_count"] = word_count(record.get("body"))
    record["content_hash"] = content_hash(record.get("title"), record.get("body"))
    return record
