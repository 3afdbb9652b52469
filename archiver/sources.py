"""The sources file (TOML): which sites to crawl, how, and how often."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml.cssselect import CSSSelector
from lxml.etree import XPathError

from archiver.record import SELECTOR_FIELDS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

EXAMPLE = """\
[[sources]]
name = "example"                             # used by --only and in the run history
follow = ["https://example.com/news/"]       # start pages: follow links on the site
feeds = ["https://example.com/feed.xml"]     # RSS / Atom feeds
sitemaps = ["https://example.com/"]          # sitemap files, or a site root (robots.txt)
urls = []                                    # article URLs to fetch as they are
allow = ["/news/"]                           # URL regexes to follow (default: all)
deny = ["/tag/", "/author/"]                 # URL regexes never to follow
depth = 2                                    # link hops from the start pages
max_pages = 500                              # pages per run at most
interval = "30m"                             # due again after this (s, m, h, d, w)
revisit = "1d"                               # archived articles are fetched again after this
delay = 1.0                                  # seconds between requests to the site
concurrency = 2                              # parallel requests to the site

[sources.selectors]                          # optional fixes where extraction is wrong
title = "h1.story-title"
byline = ".story-author"
"""


class SourcesError(ValueError):
    """A sources file that cannot be used, with the reason."""


def parse_duration(text: str | int | float) -> float:
    """Seconds in "90", "45s", "30m", "6h", "1d", "2w"."""
    if isinstance(text, (int, float)):
        return float(text)
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 45s, 30m, 6h, 1d)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]


@dataclass
class Source:
    name: str
    follow: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    depth: int = 2
    max_pages: int = 1000
    interval: float = 3600.0
    revisit: str | None = None
    delay: float | None = None
    concurrency: int | None = None
    selectors: dict[str, str] = field(default_factory=dict)

    @property
    def mode(self) -> str:
        kinds = [k for k in ("follow", "feeds", "sitemaps", "urls") if getattr(self, k)]
        return "+".join(kinds) or "none"

    @property
    def seed_urls(self) -> list[str]:
        return [*self.follow, *self.feeds, *self.sitemaps, *self.urls]


_LISTS = ("follow", "feeds", "sitemaps", "urls", "allow", "deny")


def _source(raw: dict, where: str) -> Source:
    if not isinstance(raw, dict):
        raise SourcesError(f"{where}: expected a table")
    known = {f for f in Source.__dataclass_fields__}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SourcesError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SourcesError(f"{where}: every source needs a name")
    values = dict(raw)
    for key in _LISTS:
        value = values.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SourcesError(f"source {name!r}: {key} must be a list of strings")
        values[key] = value
    for key in ("allow", "deny"):
        for pattern in values[key]:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise SourcesError(f"source {name!r}: {key} pattern {pattern!r}: {exc}") from exc
    try:
        values["interval"] = parse_duration(values.get("interval", 3600))
        if "revisit" in values:
            parse_duration(values["revisit"])
            values["revisit"] = str(values["revisit"])
    except ValueError as exc:
        raise SourcesError(f"source {name!r}: {exc}") from exc
    for key in ("depth", "max_pages", "concurrency"):
        if key in values and (not isinstance(values[key], int) or values[key] < 0):
            raise SourcesError(f"source {name!r}: {key} must be a whole number >= 0")
    if "delay" in values and not isinstance(values["delay"], (int, float)):
        raise SourcesError(f"source {name!r}: delay must be a number of seconds")
    selectors = values.get("selectors", {})
    if not isinstance(selectors, dict) or set(selectors) - set(SELECTOR_FIELDS):
        raise SourcesError(f"source {name!r}: selectors may set {', '.join(SELECTOR_FIELDS)}")
    for selector in selectors.values():
        try:
            if not isinstance(selector, str):
                raise ValueError(f"a selector is a string, not {selector!r}")
            CSSSelector(selector.partition("@")[0])  # "css@attribute" reads an attribute
        except (XPathError, ValueError, SyntaxError) as exc:
            raise SourcesError(f"source {name!r}: bad selector {selector!r}: {exc}") from exc
    source = Source(**values)
    if source.mode == "none":
        raise SourcesError(f"source {name!r}: give at least one of follow, feeds, sitemaps, urls")
    return source


def load_sources(path: str | Path) -> list[Source]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourcesError(f"no sources file at {path}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{path}: not valid TOML: {exc}") from exc
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise SourcesError(f"{path}: no [[sources]] tables (see `archiver crawl --help`)")
    sources = [_source(raw, f"{path}: sources[{i}]") for i, raw in enumerate(raw_sources)]
    names = [s.name for s in sources]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SourcesError(f"{path}: source names must be unique: {', '.join(dupes)}")
    return sources
