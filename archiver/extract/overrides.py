"""Per-site CSS selector overrides for fields extraction gets wrong on a site."""

from __future__ import annotations

import logging

import lxml.html
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError, XPathError

from archiver.normalize.body import clean_body
from archiver.normalize.bylines import normalize_byline, split_authors
from archiver.normalize.dates import parse_date
from archiver.normalize.titles import clean_text, normalize_title
from archiver.record import content_hash, word_count

logger = logging.getLogger(__name__)


def _texts(tree, selector: str) -> list[str]:
    """Texts of the matched elements; `sel@attr` reads an attribute instead."""
    css, _, attr = selector.partition("@")
    try:
        matched = CSSSelector(css)(tree)
    except (XPathError, ValueError, SyntaxError) as exc:
        logger.warning("bad selector %r: %s", selector, exc)
        return []
    values = [(el.get(attr) if attr else el.text_content()) for el in matched]
    return [v.strip() for v in values if v and v.strip()]


def apply_selectors(fields: dict, html: str, selectors: dict[str, str]) -> dict:
    """`fields` with the values the selectors find; provenance "selector"."""
    if not selectors or not html:
        return fields
    try:
        tree = lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return fields
    fields = dict(fields)
    provenance = dict(fields.get("provenance") or {})
    for name, selector in selectors.items():
        found = _texts(tree, selector)
        if not found:
            continue
        if name == "title":
            value = normalize_title(found[0])
        elif name == "byline":
            value = normalize_byline(found[0])
            authors = [a for text in found for a in split_authors(text)]
            if authors:
                fields["authors"] = list(dict.fromkeys(authors))
                provenance["authors"] = "selector"
        elif name in ("published_at", "modified_at"):
            value = parse_date(found[0])
        elif name == "body":
            value = clean_body("\n\n".join(clean_text(t) or "" for t in found), title=fields.get("title"))
        else:
            continue
        if value:
            fields[name] = value
            provenance[name] = "selector"
    fields["provenance"] = provenance
    fields["word_count"] = word_count(fields.get("body"))
    fields["content_hash"] = content_hash(fields.get("title"), fields.get("body"))
    return fields
