"""Article extraction: response bytes + URL -> one normalized article record
(`archiver.extract` names these functions; this module holds them).

Each field is taken from the first source that states it, in a fixed order
(the site's own rules, then JSON-LD, then <meta>/OpenGraph, then the visible
page, then heuristics and the URL, then feed/sitemap evidence); titles are
chosen by agreement instead, unless the site's rules name the title.
`extract_article` never raises: a page that cannot be read yields an empty,
non-article record with the reason. `explain_article` runs the same extraction
and also returns every candidate value each source offered, and why the chosen
one won (`archiver extract --explain`).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime

import htmldate

from archiver import __version__, clock
from archiver.extract import dom, structured
from archiver.extract.access import access_status
from archiver.extract.article_check import check_article, soft_404
from archiver.extract.fields import Fields
from archiver.extract.language import choose_language, language_code
from archiver.extract.links import extract_related_links, story_links
from archiver.extract.maintext import extract_body
from archiver.extract.page import Page, absolute_url
from archiver.extract.pagination import next_page
from archiver.extract.sites import Site, site_values
from archiver.normalize import vocab
from archiver.normalize.body import clean_body
from archiver.normalize.bylines import (credits_person, normalize_authors, normalize_byline, split_authors,
                                        split_credits)
from archiver.normalize.dates import (date_from_url, in_running_text, latest_day, local_form, parse_date,
                                      why_no_date)
from archiver.normalize.titles import choose_title, clean_text
from archiver.normalize.urls import same_site, site_of
from archiver.record import EXTRACTED_FIELDS, finalize, new_record

__all__ = ["explain_article", "extract_article", "extract_page"]

_DATE_LINE = re.compile(
    rf"\b(?:{vocab.alternation((*vocab.words(vocab.PUBLISHED_WORDS), *vocab.words(vocab.DATE_PREPOSITIONS), 'date', 'dated'))})\b"
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}",
    re.I,
)
_UPDATED_LINE = re.compile(rf"\b(?:{vocab.alternation(vocab.words(vocab.UPDATED_WORDS))})\b", re.I)

FIELDS = EXTRACTED_FIELDS

# The version of extraction's rules, in each record's `extractor` beside archiver's
# version. Raise it with every change that makes extraction return other records,
# so an archive tells which pages were read by which rules (and `archiver
# reextract` can be pointed at the old ones).
RULES_VERSION = 1


def extractor_name(site: Site | None = None, fetched_at: datetime | None = None) -> str:
    """What a record's `extractor` says: archiver's and the rules' versions, and the
    site rules of the page's day when a site has any (by name and a digest of its selectors)."""
    name = f"archiver {__version__} rules {RULES_VERSION}"
    rules = site.rules_at(fetched_at or clock.now()) if site is not None else None
    if rules is not None:
        digest = hashlib.sha256(json.dumps(dict(rules.selectors), sort_keys=True).encode()).hexdigest()[:8]
        name += f" site {site.name}:{digest}"
    return name


def extract_article(body: bytes | str, url: str, *, content_type: str | None = None,
                    fetched_at: datetime | None = None, evidence: dict | None = None,
                    site: Site | None = None) -> dict:
    """One article record (see FIELDS) from a fetched page; never raises.

    `evidence`: what a feed or sitemap said about the page; `site`: the site's
    own rules (extract.sites), the first source of the fields they set."""
    return _extract(body, url, content_type, fetched_at, evidence, site, Fields())


def explain_article(body: bytes | str, url: str, *, content_type: str | None = None,
                    fetched_at: datetime | None = None, evidence: dict | None = None,
                    site: Site | None = None) -> tuple[dict, dict]:
    """(record, explanation): the record of `extract_article` and, per field, every
    candidate value offered with its source and what became of it (extract.fields)."""
    fields = Fields(explain=True)
    record = _extract(body, url, content_type, fetched_at, evidence, site, fields)
    return record, fields.explanation(record, FIELDS)


def _extract(body, url, content_type, fetched_at, evidence, site, fields: Fields) -> dict:
    try:
        page = Page.parse(body, url, content_type=content_type, fetched_at=fetched_at)
        if page is None:
            return _empty_record(url, "empty or unreadable page", site)
        return extract_page(page, evidence=evidence, site=site, fields=fields)
    except Exception as exc:  # noqa: BLE001 - one hostile page must not stop a crawl
        return _empty_record(url, f"extraction failed: {type(exc).__name__}", site)


def _empty_record(url: str | None, reason: str, site: Site | None) -> dict:
    clean = absolute_url(url) or (url if isinstance(url, str) else None)
    record = new_record()
    record.update(url=clean, body="", is_article=False, not_article_reason=reason,
                  extractor=_guarded(lambda: extractor_name(site), None))
    return finalize(record)


def extract_page(page: Page, *, evidence: dict | None = None, site: Site | None = None,
                 fields: Fields | None = None) -> dict:
    """The record of a parsed page (see FIELDS); `extract_article` is the never-raising way in."""
    evidence = evidence if isinstance(evidence, dict) else {}
    fields = fields if fields is not None else Fields()
    ld = structured.json_ld_fields(page.json_ld, page.url)
    meta = structured.meta_fields(page.meta)
    feed_source = evidence.get("source") if evidence.get("source") in ("feed", "sitemap") else "feed"
    ruled = site_values(page, site)
    for name in ("title", "byline", "published_at", "modified_at"):
        fields.offer(name, ruled.get(name), "site")

    canonical = _canonical(page, meta)
    site_name = clean_text(meta.get("site_name")) if meta.get("site_name_key") == "og:site_name" else None
    fields.offer("site_name", site_name, "meta")
    fields.offer("site_name", clean_text(ld.get("site_name") or ld.get("publisher")), "json-ld")
    fields.offer("site_name", clean_text(meta.get("site_name")), "meta")
    site_names = [n for n in (fields.values.get("site_name"), ld.get("publisher"), ld.get("org_name"),
                              ld.get("site_name"), site_of(canonical), *dom.site_headings(page)) if n]

    _title(fields, page, ld, meta, evidence, site_names, feed_source)
    _authors(fields, page, ld, meta, evidence, site_names, feed_source, ruled.get("authors"))
    _dates(fields, page, ld, meta, evidence, feed_source, canonical)
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
        has_author=bool(fields.values.get("authors") or fields.values.get("agencies")),
    )
    not_found = soft_404(titles=[title, dom.title_tag(page)], headings=lambda: dom.headlines(page), body=text)
    if not_found:
        is_article, reason = False, f"soft 404: {not_found}"
    declared = fields.values.pop("language", None)
    language, language_source = choose_language(text, declared)
    if declared:
        fields.provenance["declared_language"] = fields.provenance["language"]
    if language_source == "detected":  # from the text: a heuristic; else where the declaration came from
        fields.provenance["language"] = "heuristic"
    access, access_evidence = _guarded(lambda: access_status(page, text, ld, not_found), ("free", None))
    record = new_record()
    record.update(fields.values)
    record.update(url=canonical, body=text, related_links=related, provenance=fields.provenance,
                  language=language, declared_language=declared, access=access, access_evidence=access_evidence,
                  extractor=extractor_name(site, page.fetched_at), is_article=is_article, not_article_reason=reason,
                  soft_404=not_found,
                  # Pagination is decided here; the spider only fetches the page.
                  next_page=_guarded(lambda: next_page(page), None),
                  # A home or section page: what it offered, for the front-page history.
                  page_links=[] if is_article or not_found else _guarded(lambda: story_links(page), []))
    return finalize(record)


def _guarded(call, default):
    try:
        return call()
    except Exception:  # noqa: BLE001 - see the caller
        return default


def _canonical(page: Page, meta: dict) -> str:
    for candidate in (structured.link_href(page.tree, "canonical"), meta.get("url")):
        absolute = absolute_url(candidate, page.url or None)
        # A page saved without its URL is where its canonical link says it is.
        if absolute and (not page.url or same_site(absolute, page.url)):
            return absolute
    return page.url


def _title(fields: Fields, page: Page, ld: dict, meta: dict, evidence: dict, site_names, feed_source: str) -> None:
    if "title" in fields.values:
        return
    candidates = [("json-ld", ld.get("title")), ("meta", meta.get("title"))]
    visible = dom.headlines(page)
    candidates += [("h1", h) for h in visible] or [("heading", h) for h in dom.weak_headlines(page)]
    candidates += [("title", dom.title_tag(page)), (feed_source, evidence.get("title"))]
    trail = [] if fields.explaining else None
    title, source = choose_title([(s, t) for s, t in candidates if isinstance(t, str)], site_names=site_names,
                                 trail=trail)
    for src, raw, value, verdict, chosen in trail or ():
        fields.note("title", src, raw, verdict, value=value, chosen=chosen)
    fields.offer("title", title, source or "heuristic", explained=True)


def _authors(fields: Fields, page: Page, ld: dict, meta: dict, evidence: dict, site_names, feed_source: str,
             ruled: list[str] | None) -> None:
    # The first source that credits a person wins; a source that only names
    # the outlet ("USA TODAY", "Guardian") yields to a person found further
    # down. The page's byline elements are only searched when markup credits
    # nobody: they are the slowest source.
    sources = [("json-ld", lambda: ld.get("authors") or []), ("meta", lambda: meta.get("authors") or []),
               ("dom", lambda: dom.byline_candidates(page)), (feed_source, lambda: _as_list(evidence.get("authors")))]
    if ruled:  # the site's rules named them
        sources = [("site", lambda: ruled)]
    chosen = fallback = None
    seen: list[str] = []
    for source, get in sources:
        if chosen and not fields.explaining:
            break
        raw = get()
        names = normalize_authors(raw, site_names=site_names)
        person = bool(names) and credits_person(names, site_names)
        if chosen:
            if raw:
                fields.note("authors", source, raw, f"not used: {chosen[1]} came first", value=names)
            continue
        seen.extend(raw)
        if source == "dom":
            byline = next((normalize_byline(t) for t in raw if split_authors(t)), None)
            fields.offer("byline", byline if person else None, "dom", raw=raw[:1] or None,
                         why=None if person else "credits no person")
        if person:
            chosen = (names, source)
            fields.note("authors", source, raw, "chosen: the first source that credits a person",
                        value=names, chosen=True)
        elif raw:
            verdict = "names nobody" if not names else (
                "credits no person: used if no later source does" if fallback is None else "credits no person")
            fields.note("authors", source, raw, verdict, value=names)
        if names and fallback is None:
            fallback = (names, source)
    names, source = chosen or fallback or ([], None)
    if not names:
        return
    every_name = [n for text in seen for n in split_authors(text, fix_case=False)]
    names = _proper_case(names, every_name)
    people, agencies = split_credits(names, site_names)
    # authors hold people; the organisations credited (wire services, outlets) are agencies.
    fields.offer("authors", people, source, explained=True)
    fields.offer("agencies", agencies, source, raw=names, why="chosen: the organisations among the names credited")
    fields.offer("byline", ", ".join(names), source)


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


def _dates(fields: Fields, page: Page, ld, meta, evidence, feed_source, canonical: str) -> None:
    fetched_at = page.fetched_at

    def offer(field: str, raw, source: str) -> None:
        if not isinstance(raw, str) or not raw.strip() or (field in fields.values and not fields.explaining):
            return
        value = parse_date(raw, fetched_at=fetched_at)
        fields.offer(field, value, source, raw=raw, why=None if value else why_no_date(raw, fetched_at))

    offer("published_at", ld.get("published"), "json-ld")
    offer("modified_at", ld.get("modified"), "json-ld")
    offer("published_at", meta.get("published"), "meta")
    offer("modified_at", meta.get("modified"), "meta")
    published = fields.values.get("published_at")
    url_day = date_from_url(page.url or canonical, fetched_at)
    # The visible page is read when markup gives no date, or gives it in UTC
    # while readers see another day (a bare day shown, or the URL's day).
    if published is None or (published.endswith("+00:00") and fields.provenance["published_at"] != "site"):
        shown, modified = dom.date_candidates(page)
        if published:
            fields.replace("published_at", local_form(published, shown + [url_day], fetched_at=fetched_at),
                           "the day readers see: the page shows this day where the time falls on the next "
                           "or the previous one in UTC")
        for raw in shown:
            offer("published_at", raw, "dom")
        for raw in modified:
            offer("modified_at", raw, "dom")
    fields.offer("published_at", url_day, "url")
    offer("published_at", evidence.get("published_at"), feed_source)
    offer("modified_at", evidence.get("modified_at"), feed_source)
    if "published_at" not in fields.values or fields.explaining:
        for line in dom.text_lines(page):
            if _DATE_LINE.search(line) and not _UPDATED_LINE.search(line):
                _offer_date_line(fields, line, fetched_at)
    if "published_at" not in fields.values:
        fields.offer("published_at", _guess_date(page.html, fetched_at), "heuristic", raw="(htmldate's search)",
                     why="htmldate's search of the page found it")


def _offer_date_line(fields: Fields, line: str, fetched_at: datetime) -> None:
    # No record is dated from prose: a date inside a sentence is another event's.
    value = parse_date(line, fetched_at=fetched_at)
    if value and in_running_text(line):
        fields.note("published_at", "heuristic", line, "a date inside running text, not a date line", value=value)
        return
    fields.offer("published_at", value, "heuristic", raw=line, why=None if value else why_no_date(line, fetched_at))


def _guess_date(html: str, fetched_at: datetime) -> str | None:
    """htmldate's search of scripts, attributes and text, for pages nothing else dated.

    Given bytes, never text: htmldate downloads a str that looks like a URL, so a page
    whose whole body is "http://..." would make extraction fetch it.
    """
    try:
        return htmldate.find_date(html.encode("utf-8"), original_date=True, outputformat="%Y-%m-%d",
                                  max_date=latest_day(fetched_at).isoformat())
    except Exception:  # noqa: BLE001 - a heuristic that fails just finds nothing
        return None


def _descriptive(fields: Fields, page: Page, ld, meta, evidence, feed_source) -> None:
    for source, data in (("json-ld", ld), ("meta", meta), (feed_source, evidence)):
        fields.offer("description", clean_text(data.get("description")), source)
        fields.offer("section", clean_text(data.get("section")), source)
        fields.offer("tags", _tags(data.get("tags")), source)
        image = data.get("image")
        fields.offer("image", absolute_url(image, page.url), source)
    fields.offer("tags", _tags(dom.tag_links(page)), "dom")
    lang = page.tree.get("lang") or page.tree.get("xml:lang")
    fields.offer("language", language_code(ld.get("language")), "json-ld")
    fields.offer("language", language_code(lang), "dom")
    fields.offer("language", language_code(meta.get("language")), "meta")


def _tags(values) -> list[str]:
    seen: dict[str, str] = {}
    for value in _as_list(values):
        tag = clean_text(value)
        if tag and len(tag) <= 100:
            seen.setdefault(tag.casefold(), tag)
    return list(seen.values())[:50]
