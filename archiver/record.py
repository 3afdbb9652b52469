"""The article record: its one field spec, from which every layer's lists are derived.

Extraction's record shape, the archive's columns and JSON columns, the export
order, the versioned fields, what `show`, `diff` and `stats` print, which fields
a site's selectors may set and the web UI's column descriptions all come from
SPEC. A new field is one entry here plus one migration in store/schema.py
(tests/test_record.py checks that the two agree).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from archiver.normalize.text import fold_spaces, visible_text
from archiver.normalize.urls import canonical_url, site_of

# Kinds: how a value is held. Lists, links and json are stored as JSON text; a
# url is text that finalize() leaves as it is (text and lists lose invisible characters).
KINDS = ("text", "url", "int", "flag", "list", "links", "json")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    description: str = ""  # for the web UI
    origin: str = "extract"  # "extract": extraction states it; "archive": the store keeps it
    stored: bool = True  # a column of the articles table
    exported: bool = True  # in the export record, in SPEC order
    versioned: bool = False  # kept with each version (article_versions)
    diffed: bool = False  # `archiver diff` prints it when it changed
    selectable: bool = False  # a site's CSS selector may set it (sources' [selectors])
    checked: bool = False  # `archiver stats` counts the articles without it
    label: str | None = None  # the line `archiver show` prints it on
    moment: bool = False  # a point in time, ISO 8601 text (Parquet exports a timestamp with time zone)

    @property
    def is_json(self) -> bool:
        return self.kind in ("list", "links", "json")

    @property
    def sql_type(self) -> type:
        return int if self.kind in ("int", "flag") else str

    def empty(self):
        """The value of a field nobody stated."""
        return {} if self.kind == "json" else [] if self.kind in ("list", "links") else None


SPEC: tuple[Field, ...] = (
    Field("id", "int", origin="archive"),
    Field("url", "url", "Canonical URL: rel=canonical/og:url on the same site, else the final URL", label="URL"),
    Field("site", "text", "Host name the article was fetched from"),
    Field("site_name", "text", "Publication name (og:site_name, JSON-LD publisher)", checked=True, label="Site"),
    Field("title", "text", "Headline, without the site name", versioned=True, diffed=True, selectable=True,
          checked=True),
    Field("description", "text", "Summary (standfirst) from the page's metadata", versioned=True, diffed=True,
          checked=True),
    Field("byline", "text", "Byline as shown, normalized", versioned=True, diffed=True, selectable=True,
          checked=True, label="By"),
    Field("authors", "list", "Names of the people credited (JSON list; also in article_authors)", versioned=True,
          diffed=True, checked=True, label="Authors"),
    Field("agencies", "list", "Organisations credited: wire services, outlets (JSON list)", versioned=True,
          diffed=True, checked=True, label="Agencies"),
    Field("published_at", "text", "Publication time, ISO 8601 with the page's UTC offset (a bare day when only "
          "the day is known)", versioned=True, diffed=True, selectable=True, checked=True, label="Published",
          moment=True),
    Field("modified_at", "text", "Last modification time the page states", versioned=True, diffed=True,
          selectable=True, checked=True, label="Modified", moment=True),
    Field("language", "text", "Language of the text, detected from the body (the declared one where the text "
          "is too short to tell)", checked=True, label="Language"),
    Field("declared_language", "text", "Language the page declares (JSON-LD inLanguage, the lang attribute, meta)"),
    Field("access", "text", "Could the page be read: free, paywalled, registration, consent-wall, bot-challenge, "
          "soft-404 or js-required", label="Access"),
    Field("access_evidence", "text", "What the access status was told by (JSON-LD isAccessibleForFree, paywall "
          "markup, a body shorter than the declared wordCount, wall text)"),
    Field("section", "text", "Section or category", checked=True),
    Field("tags", "list", "Tags and keywords (JSON list; also in article_tags)", checked=True),
    Field("image", "url", "Lead image URL", checked=True),
    Field("body", "text", "Article text, paragraphs separated by a blank line (plain text, never HTML)",
          versioned=True, selectable=True, checked=True),
    Field("word_count", "int", "Words in the body"),
    Field("related_links", "links", "Related stories linked from the article (JSON list of {url, text})"),
    Field("content_hash", "text", "Hash of normalized title and body; a change makes a new version", versioned=True),
    Field("cluster_id", "int", "Id of the original of the article's syndication cluster (copies of one story "
          "across sites and URLs); its own id when no copy is archived", origin="archive"),
    Field("provenance", "json", "Where each field came from: site, json-ld, meta, dom, heuristic, … (JSON)",
          exported=False),
    Field("extractor", "text", "Which extraction produced the fields: archiver's version, its rules' version and "
          "the site rules used", versioned=True, exported=False),
    Field("version", "int", "Number of the current version (1 = never changed)", origin="archive", exported=False),
    Field("first_seen_at", "text", "When the article was first archived (UTC)", origin="archive", moment=True),
    Field("last_seen_at", "text", "When a crawl last saw it (UTC)", origin="archive", moment=True),
    Field("fetched_at", "text", "When the stored version was fetched (UTC)", origin="archive", exported=False,
          label="Fetched"),
    Field("gone_at", "text", "When a check first found the article gone (HTTP 404/410, sent to the home or a "
          "section page, a \"page not found\" page); empty while it is there", origin="archive",
          label="Gone since", moment=True),
    Field("gone_reason", "text", "Why the article counts as gone", origin="archive", label="Gone because"),
    # What extraction tells the crawl about the page; never stored.
    Field("is_article", "flag", stored=False, exported=False),
    Field("not_article_reason", "text", stored=False, exported=False),
    Field("next_page", "url", stored=False, exported=False),
    # A page that says the story is not there (extract.article_check.soft_404): the evidence.
    Field("soft_404", "text", stored=False, exported=False),
    # A page that is no story (a home or section page): its story links in page order.
    Field("page_links", "links", stored=False, exported=False),
)
BY_NAME = {f.name: f for f in SPEC}

# Export shape, in order. Lists: authors, tags, related_links ({url, text}).
RECORD_FIELDS = tuple(f.name for f in SPEC if f.exported)
# What extraction returns for a page, in order.
EXTRACTED_FIELDS = tuple(f.name for f in SPEC if f.origin == "extract")
# Columns of the articles table: those extraction fills, and all of them.
EXTRACTED_COLUMNS = tuple(f.name for f in SPEC if f.stored and f.origin == "extract")
COLUMNS = tuple(f.name for f in SPEC if f.stored)
JSON_COLUMNS = tuple(f.name for f in SPEC if f.stored and f.is_json)
VERSIONED_FIELDS = tuple(f.name for f in SPEC if f.versioned)
DIFFED_FIELDS = tuple(f.name for f in SPEC if f.diffed)
SELECTOR_FIELDS = tuple(f.name for f in SPEC if f.selectable)
CHECKED_FIELDS = tuple(f.name for f in SPEC if f.checked)
MOMENT_FIELDS = tuple(f.name for f in SPEC if f.moment)
LABELS = tuple((f.label, f.name) for f in SPEC if f.label)
DESCRIPTIONS = {f.name: f.description for f in SPEC if f.stored and f.description}
# Extracted text, cleaned of invisible characters in finalize().
TEXT_FIELDS = tuple(f.name for f in SPEC if f.origin == "extract" and f.kind in ("text", "list"))


# What re-extraction compares: the fields extraction states, less its bookkeeping
# (provenance, extractor) and what finalize() derives from them.
COMPARED_FIELDS = tuple(f for f in EXTRACTED_COLUMNS
                        if f not in ("url", "site", "provenance", "extractor", "word_count", "content_hash"))
# Compared as the content hash sees them: whitespace, case and Unicode form never count.
_FOLDED_FIELDS = ("title", "body")


def new_record() -> dict:
    """An extracted record with every field empty."""
    return {f.name: f.empty() for f in SPEC if f.origin == "extract"}


_WORD = re.compile(r"\w+")


def word_count(text: str | None) -> int:
    return len(_WORD.findall(text or ""))


def content_hash(title: str | None, body: str | None) -> str:
    """Hash of the normalized title and body: whitespace, case and Unicode form
    changes do not change it, so they never make a new version."""
    folded = "\n".join(_folded(part) for part in (title, body))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def _folded(text: str | None) -> str:
    return fold_spaces(unicodedata.normalize("NFKC", text or "")).casefold()


def finalize(record: dict, *, fallback_url: str | None = None) -> dict:
    """The record with its derived fields computed, the one place they are: the
    canonical URL (`fallback_url` when the record has none), site, word count and
    content hash; every text field in NFC without invisible characters
    (normalize.text). Returns the same dict."""
    for name in TEXT_FIELDS:
        value = record.get(name)
        if isinstance(value, str):
            record[name] = visible_text(value)
        elif isinstance(value, list):
            record[name] = [v for v in (visible_text(x) if isinstance(x, str) else x for x in value) if v]
    url = record.get("url")
    record["url"] = canonical_url(url) or canonical_url(fallback_url) or url or fallback_url or url
    record["site"] = site_of(record["url"]) or record.get("site")
    record["word_count"] = word_count(record.get("body"))
    record["content_hash"] = content_hash(record.get("title"), record.get("body"))
    return record


def not_stored_reason(record: dict) -> str | None:
    """Why an extracted page is not stored as an article (None: it is one)."""
    if not record.get("is_article"):
        return f"not an article: {record.get('not_article_reason') or 'no article content'}"
    if not (record.get("body") or "").strip():
        return "not an article: no body text found"
    return None


def differences(old: dict, new: dict) -> tuple[str, ...]:
    """The COMPARED_FIELDS whose values differ between two records of one article, in SPEC order."""
    return tuple(f for f in COMPARED_FIELDS if _comparable(f, old.get(f)) != _comparable(f, new.get(f)))


def makes_version(changed: tuple[str, ...]) -> bool:
    """Whether these differences make a new version (a versioned field changed)."""
    return any(BY_NAME[f].versioned for f in changed)


def _comparable(name: str, value):
    if name in _FOLDED_FIELDS:
        return _folded(value)
    # An empty list and a missing value say the same: nothing found.
    return None if value in (None, "", [], {}) else value
