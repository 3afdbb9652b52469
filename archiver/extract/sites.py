"""Per-site rules: CSS selectors for the fields extraction gets wrong on a site.

A site's rules are the first source of the fields they set (provenance "site"),
read from the same Page as every other extractor. A site changes its layout
now and then, so its rules come in versions, each valid from a day: a page is
read with the version of the day it was fetched, and re-extracting an old page
uses the rules of its day (as Fundus' publisher parsers do). A `Sites`
registry chooses a site's rules by the page's host.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from lxml.cssselect import CSSSelector
from lxml.etree import XPathError

from archiver.extract.page import Page
from archiver.normalize.bylines import normalize_byline, split_authors
from archiver.normalize.dates import parse_date
from archiver.normalize.titles import clean_text, normalize_title
from archiver.normalize.urls import site_of

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1024)
def _compiled(css: str) -> CSSSelector:
    return CSSSelector(css)


@dataclass(frozen=True)
class SiteRules:
    """One version of a site's rules: field -> CSS selector ("sel@attr" reads an attribute)."""

    selectors: Mapping[str, str]
    valid_from: date | None = None


@dataclass(frozen=True)
class Site:
    """A site's rules in every version, oldest first, and the hosts it serves."""

    name: str
    versions: tuple[SiteRules, ...]
    hosts: tuple[str, ...] = ()

    @classmethod
    def of_selectors(cls, name: str, selectors: Mapping[str, str], hosts: Iterable[str] = ()) -> Site | None:
        """A site with one version of rules, valid always; None without selectors."""
        if not selectors:
            return None
        return cls(name, (SiteRules(dict(selectors)),), tuple(hosts))

    def rules_at(self, moment: datetime) -> SiteRules | None:
        """The version valid on the day of `moment` (the newest that started by then)."""
        day = moment.date()
        valid = [r for r in self.versions if r.valid_from is None or r.valid_from <= day]
        return max(valid, key=lambda r: r.valid_from or date.min) if valid else None


@dataclass
class Sites:
    """A registry of sites, chosen by the host of a page's URL (subdomains included)."""

    sites: list[Site] = field(default_factory=list)

    @classmethod
    def of_selectors(cls, entries: Iterable[tuple[str, Mapping[str, str], Iterable[str]]]) -> Sites:
        """Sites from (name, selectors, seed URLs) entries, such as a sources file's:
        each site serves the hosts of its seeds."""
        sites = []
        for name, selectors, urls in entries:
            hosts = dict.fromkeys(h for h in map(site_of, urls) if h)
            site = Site.of_selectors(name, selectors, hosts)
            if site is not None:
                sites.append(site)
        return cls(sites)

    def for_url(self, url: str | None) -> Site | None:
        host = site_of(url)
        if not host:
            return None
        for site in self.sites:
            if any(host == h or host.endswith("." + h) for h in site.hosts):
                return site
        return None


def _texts(page: Page, selector: str) -> list[str]:
    """Texts of the matched elements; `sel@attr` reads an attribute instead."""
    css, _, attr = selector.partition("@")
    try:
        matched = _compiled(css)(page.tree)
    except (XPathError, ValueError, SyntaxError) as exc:
        logger.warning("bad selector %r: %s", selector, exc)
        return []
    values = [(el.get(attr) if attr else page.text(el)) for el in matched]
    return [v.strip() for v in values if v and v.strip()]


def site_values(page: Page, site: Site | None) -> dict:
    """What the site's rules of the page's day find: title, byline, authors, dates,
    and the body's raw paragraphs ("body_paragraphs"; cleaned once the title is known)."""
    rules = site.rules_at(page.fetched_at) if site is not None else None
    if rules is None:
        return {}
    values: dict = {}
    for name, selector in rules.selectors.items():
        found = _texts(page, selector)
        if not found:
            continue
        if name == "title":
            values["title"] = normalize_title(found[0])
        elif name == "byline":
            values["byline"] = normalize_byline(found[0])
            values["authors"] = list(dict.fromkeys(a for text in found for a in split_authors(text)))
        elif name in ("published_at", "modified_at"):
            values[name] = parse_date(found[0], fetched_at=page.fetched_at)
        elif name == "body":
            values["body_paragraphs"] = [clean_text(t) or "" for t in found]
    return values
