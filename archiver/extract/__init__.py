"""Article extraction: response bytes + URL -> one normalized article record.

Each field is taken from the first source that states it, in a fixed order
(the site's own rules, then JSON-LD, then <meta>/OpenGraph, then the visible
page, then heuristics and the URL, then feed/sitemap evidence); titles are
chosen by agreement instead, unless the site's rules name the title.
`extract_article` never raises: a page that cannot be read yields an empty,
non-article record with the reason.
"""

from __future__ import annotations

import re
from datetime import datetime

import htmldate

from archiver.extract import dom, structured
from archiver.extract.article_check import check_article
from archiver.extract.links import extract_related_links
from archiver.extract.maintext import extract_body
from archiver.extract.page import Page, absolute_url
from archiver.extract.pagination import next_page
from archiver.extract.sites import Site, site_values
from archiver.normalize import vocab
from archiver.normalize.body import clean_body
from archiver.normalize.bylines import credits_person, normalize_authors, normalize_byline, split_authors
from archiver.normalize.dates import FUTURE_SLACK, date_from_url, local_form, parse_date
from archiver.normalize.titles import choose_title, clean_text
from archiver.normalize.urls import same_site, site_of
from archiver.record import EXTRACTED_FIELDS, finalize, new_record

__all__ = ["extract_article", "extract_page"]

_DATE_LINE = re.compile(
    rf"\b(?:{vocab.alternation((*vocab.words(vocab.PUBLISHED_WORDS), *vocab.words(vocab.DATE_PREPOSITIONS), 'date', 'dated'))})\b"
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}",
    re.I,
)
_UPDATED_LINE = re.compile(rf"\b(?:{vocab.alternation(vocab.words(vocab.UPDATED_WORDS))})\b", re.I)

FIELDS = EXTRACTED_FIELDS


def extract_article(body: bytes | str, url: str, *, content_type: str | None = None,
                    fetched_at: datetime | None = None, evidence: dict | None = None,
                    site: Site | None = None) -> dict:
    """One article record (see FIELDS) from a fetched page; never raises.

    `evidence`: what a feed or sitemap said about the page; `site`: the site's
    own rules (extract.sites), the first source of the fields they set."""
    try:
        page = Page.parse(body, url, content_type=content_type, fetched_at=fetched_at)
        if page is None:
            return _empty_record(url, "empty or unreadable page")
        return extract_page(page, evidence=evidence, site=site)
    except Exception as exc:  # noqa: BLE001 - one hostile page must not stop a crawl
        return _empty_record(url, f"extraction failed: {type(exc).__name__}")


def _empty_record(url: str | None, reason: str) -> dict:
    clean = absolute_url(url) or (url if isinstance(url, str) else None)
    record = new_record()
    record.update(url=clean, body="", is_article=False, not_article_reason=reason)
    return finalize(record)


class _Fields:
    """Collects field values and where each came from (the first wins)."""

    def __init__(self) -> None:
        self.values: dict = {}
        self.provenance: dict = {}

    def offer(self, field: str, value, source: str) -> None:
        if field in self.values or value in (None, "", []):
            return
        self.values[field] = value
        self.provenance[field] = source


def extract_page(page: Page, *, evidence: dict | None = None, site: Site | None = None) -> dict:
    """The record of a parsed page (see FIELDS); `extract_article` is the never-raising way in."""
    evidence = evidence if isinstance(evidence, dict) else {}
    ld = structured.json_ld_fields(page.json_ld, page.url)
    meta = structured.meta_fields(page.meta)
    feed_source = evidence.get("source") if evidence.get("source") in ("feed", "sitemap") else "feed"
    fields = _Fields()
    ruled = site_values(page, site)
    for name in ("title", "byline", "authors", "published_at", "modified_at"):
        fields.offer(name, ruled.get(name), "site")

    canonical = _canonical(page, meta)
    site_name = clean_text(meta.get("site_name")) if meta.get("site_name_key") == "og:site_name" else None
    fields.offer("site_name", site_name, "meta")
    fields.offer("site_name", clean_text(ld.get("site_name") or ld.get("publisher")), "json-ld")
    fields.offer("site_name", clean_text(meta.get("site_name")), "meta")
    site_names = [n for n in (fields.values.get("site_name"), ld.get("publisher"), ld.get("org_name"),
                              ld.get("site_name"), site_of(canonical)) if n]

    _title(fields, page, ld, meta, evidence, site_names, feed_source)
    _authors(fields, page, ld, meta, evidence, site_names, feed_source)
    _dates(fields, page, ld, meta, evidence, feed_source)
    _descriptive(fields, page, ld, meta, evidence, feed_source)

    title = fields.values.get("title")
    # A failure in the body or link extractor costs the body or the links,
    # never the metadata already read.
    text = clean_body("\n\n".join(ruled["body_paragraphs"]), title=title) if "body_paragraphs" in ruled else ""
    body_source = "site"
    if not text:
        text, body_source = _guarded(lambda: extract_body(page, structured_body=ld.get("body")), ("", "heuristic"))
        text = _guarded(lambda: clean_body(text, title=title), text) or ""
    fields.offer("body", text, body_source)
    related = _guarded(lambda: extract_related_links(page, canonical=canonical), [])

    is_article, reason = check_article(
        url=canonical, body=text, og_type=meta.get("type"), json_ld_types=ld.get("types"),
        story_types=structured.STORY_TYPES, has_date="published_at" in fields.values,
        has_author=bool(fields.values.get("authors")),
    )
    record = new_record()
    record.update(fields.values)
    record.update(url=canonical, body=text, related_links=related, provenance=fields.provenance,
                  is_article=is_article, not_article_reason=reason,
                  # Pagination is decided here; the spider only fetches the page.
                  next_page=_guarded(lambda: next_page(page), None))
    return finalize(record)


def _guarded(call, default):
    try:
        return call()
    except Exception:  # noqa: BLE001 - see the caller
        return default


def _canonical(page: Page, meta: dict) -> str:
    for candidate in (structured.link_href(page.tree, "canonical"), meta.get("url")):
        absolute = absolute_url(candidate, page.url)
        if absolute and same_site(absolute, page.url):
            return absolute
    return page.url


def _title(fields: _Fields, page: Page, ld: dict, meta: dict, evidence: dict, site_names, feed_source: str) -> None:
    if "title" in fields.values:
        return
    candidates = [("json-ld", ld.get("title")), ("meta", meta.get("title"))]
    visible = dom.headlines(page)
    candidates += [("h1", h) for h in visible] or [("heading", h) for h in dom.weak_headlines(page)]
    candidates += [("title", dom.title_tag(page)), (feed_source, evidence.get("title"))]
    title, source = choose_title([(s, t) for s, t in candidates if isinstance(t, str)], site_names=site_names)
    fields.offer("title", title, source or "heuristic")


def _authors(fields: _Fields, page: Page, ld: dict, meta: dict, evidence: dict, site_names, feed_source: str) -> None:
    # The first source that credits a person wins; a source that only names
    # the outlet ("USA TODAY", "Guardian") yields to a person found further
    # down. The page's byline elements are only searched when markup credits
    # nobody: they are the slowest source.
    sources = [("json-ld", lambda: ld.get("authors") or []), ("meta", lambda: meta.get("authors") or []),
               ("dom", lambda: dom.byline_candidates(page)), (feed_source, lambda: _as_list(evidence.get("authors")))]
    fallback = None
    seen: list[str] = []
    if "authors" in fields.values:  # the site's rules named them
        sources = []
    for source, get in sources:
        raw = get()
        seen.extend(raw)
        names = normalize_authors(raw, site_names=site_names)
        if source == "dom":
            byline = next((normalize_byline(t) for t in raw if split_authors(t)), None)
            fields.offer("byline", byline if names and credits_person(names, site_names) else None, "dom")
        if names and credits_person(names, site_names):
            fields.offer("authors", names, source)
            break
        if names and fallback is None:
            fallback = (names, source)
    if fallback and "authors" not in fields.values:
        fields.offer("authors", *fallback)
    if "authors" in fields.values:
        every_name = [n for text in seen for n in split_authors(text, fix_case=False)]
        fields.values["authors"] = _proper_case(fields.values["authors"], every_name)
        fields.offer("byline", ", ".join(fields.values["authors"]), fields.provenance["authors"])


def _proper_case(names: list[str], variants: list[str]) -> list[str]:
    # "MARIA GONZALEZ" in one source and "Maria González" in another: keep the
    # one a person typed with care.
    by_key = {}
    for variant in variants:
        if not variant.isupper() and not variant.islower():
            by_key.setdefault(variant.casefold(), variant)
    return [by_key.get(name.casefold(), name) for name in names]


def _as_list(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


def _dates(fields: _Fields, page: Page, ld, meta, evidence, feed_source) -> None:
    fetched_at = page.fetched_at

    def offer(field: str, raw, source: str) -> None:
        if field not in fields.values and isinstance(raw, str):
            fields.offer(field, parse_date(raw, fetched_at=fetched_at), source)

    offer("published_at", ld.get("published"), "json-ld")
    offer("modified_at", ld.get("modified"), "json-ld")
    offer("published_at", meta.get("published"), "meta")
    offer("modified_at", meta.get("modified"), "meta")
    published = fields.values.get("published_at")
    # The visible page is read when markup gives no date, or gives it in UTC
    # while readers see a local time (the day can differ).
    if published is None or (published.endswith("+00:00") and fields.provenance["published_at"] != "site"):
        shown, modified = dom.date_candidates(page)
        if published:
            fields.values["published_at"] = local_form(published, shown, fetched_at=fetched_at)
        for raw in shown:
            offer("published_at", raw, "dom")
        for raw in modified:
            offer("modified_at", raw, "dom")
    if "published_at" not in fields.values:
        for line in dom.text_lines(page):
            if _DATE_LINE.search(line) and not _UPDATED_LINE.search(line):
                offer("published_at", line, "heuristic")
    fields.offer("published_at", date_from_url(page.url, fetched_at), "url")
    offer("published_at", evidence.get("published_at"), feed_source)
    offer("modified_at", evidence.get("modified_at"), feed_source)
    if "published_at" not in fields.values:
        offer("published_at", _guess_date(page.html, fetched_at), "heuristic")


def _guess_date(html: str, fetched_at: datetime) -> str | None:
    """htmldate's search of scripts, attributes and text, for pages nothing else dated.

    Given bytes, never text: htmldate downloads a str that looks like a URL, so a page
    whose whole body is "http://..." would make extraction fetch it.
    """
    try:
        return htmldate.find_date(html.encode("utf-8"), original_date=True, outputformat="%Y-%m-%d",
                                  max_date=(fetched_at + FUTURE_SLACK).strftime("%Y-%m-%d"))
    except Exception:  # noqa: BLE001 - a heuristic that fails just finds nothing
        return None


def _descriptive(fields: _Fields, page: Page, ld, meta, evidence, feed_source) -> None:
    for source, data in (("json-ld", ld), ("meta", meta), (feed_source, evidence)):
        fields.offer("description", clean_text(data.get("description")), source)
        fields.offer("section", clean_text(data.get("section")), source)
        fields.offer("tags", _tags(data.get("tags")), source)
        image = data.get("image")
        fields.offer("image", absolute_url(image, page.url), source)
    fields.offer("tags", _tags(dom.tag_links(page)), "dom")
    lang = page.tree.get("lang") or page.tree.get("xml:lang")
    fields.offer("language", _language(ld.get("language")), "json-ld")
    fields.offer("language", _language(lang), "dom")
    fields.offer("language", _language(meta.get("language")), "meta")


def _tags(values) -> list[str]:
    seen: dict[str, str] = {}
    for value in _as_list(values):
        tag = clean_text(value)
        if tag and len(tag) <= 100:
            seen.setdefault(tag.casefold(), tag)
    return list(seen.values())[:50]


def _language(value) -> str | None:
    if not isinstance(value, str):
        return None
    m = re.match(r"\s*([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?\b", value)
    if not m:
        return None
    return m.group(1).lower() + (f"-{m.group(2).upper()}" if m.group(2) else "")
