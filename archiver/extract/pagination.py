"""Multi-page articles: which "next" link continues the same story, and joining the pages."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from archiver.extract.page import Page
from archiver.normalize.urls import canonical_url
from archiver.record import finalize

# A continuation names its page: ?page=2, ?p=2, /2/, /page/2, -2.html, _2.html, /seite-2.
_PAGE_QUERY_KEYS = {"page", "p", "pg", "seite", "pagina", "pagenum", "start"}
_PAGE_PATH = re.compile(r"(?:/(?:page|seite|pagina|p)[/-]?\d{1,3}/?|/\d{1,2}/?|[-_]\d{1,2}(?:\.\w{2,5})?)$", re.I)
MAX_PAGES = 10


_EXTENSION = re.compile(r"\.\w{2,5}$")


def _strip_page(path: str) -> str:
    return _EXTENSION.sub("", _PAGE_PATH.sub("", path.rstrip("/"))) or "/"


def continuation_url(url: str, next_href: str | None) -> str | None:
    """The absolute URL of the article's next page, when `next_href` is one.

    A rel=next link is taken as a continuation only when it is the same path
    with a page marker added or changed; a link to another story is not.
    """
    target = canonical_url(next_href, url)
    here = canonical_url(url)
    if not target or not here or target == here:
        return None
    a, b = urlsplit(here), urlsplit(target)
    if a.netloc != b.netloc:
        return None
    b_query = dict(parse_qsl(b.query))
    if a.path == b.path:
        a_query = dict(parse_qsl(a.query))
        changed = {k for k in set(a_query) | set(b_query) if a_query.get(k) != b_query.get(k)}
        return target if changed and changed <= _PAGE_QUERY_KEYS else None
    if _PAGE_PATH.search(b.path.rstrip("/") or "/") and _strip_page(a.path) == _strip_page(b.path):
        return target
    return None


def next_page(page: Page) -> str | None:
    """The URL of the page that continues this story (its first rel=next link), if it has one."""
    for el, _ in page.find(_says_next, _REL):  # rel values are in the page's attribute scan
        href = el.get("href") if el.tag in ("link", "a") else None
        if href is not None:
            return continuation_url(page.url, href) if page.url else None
    return None


_REL = frozenset({"rel"})


def _says_next(rel: str) -> bool:
    return "next" in rel.split()


def join_pages(first: dict, following: dict) -> dict:
    """The record of a story's pages so far: page 1's fields, both bodies, the next page's link."""
    joined = dict(first, body=join_bodies(first.get("body") or "", following.get("body") or ""),
                  next_page=following.get("next_page"))
    return finalize(joined)


def join_bodies(first: str, following: str) -> str:
    """The body of page 1 and the next page, without repeating shared paragraphs."""
    seen = {p.strip() for p in first.split("\n\n")}
    extra = [p for p in following.split("\n\n") if p.strip() and p.strip() not in seen]
    return "\n\n".join([first.rstrip(), *extra]) if extra else first
