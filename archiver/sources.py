"""The sources file (TOML): which sites to crawl, how, and how often."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from archiver.diff import MinChange
from archiver.record import SELECTOR_FIELDS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_ATTRIBUTE = re.compile(r"^[A-Za-z_:][-A-Za-z0-9_:.]*$")
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
watch = "30d"                                # check every article again for 30 days, listed or not
min_change = 3                               # smaller edits (words; or "2%" of the body) count as unchanged
notify = ["https://hooks.example.org/news"]  # POST each change and removal as JSON
delay = 1.0                                  # seconds between requests to the site
concurrency = 2                              # parallel requests to the site

[sources.selectors]                          # optional fixes where extraction is wrong
title = "h1.story-title"
byline = ".story-author"
"""


class SourcesError(ValueError):
    """A sources file that cannot be used, with the reason."""


# Durations (intervals, revisits, watch windows) up to a century: longer ones would
# overflow date arithmetic and mean "never" anyway.
MAX_DURATION_DAYS = 36500


def check_notify_url(url: str) -> str:
    """A notification target: an http(s) URL; ValueError otherwise."""
    if not re.match(r"^https?://[^/\s]+", url or "", re.I):
        raise ValueError(f"notify: {url!r} is not an http(s) URL")
    return url


def parse_duration(text: str | int | float) -> float:
    """Seconds in "90", "45s", "30m", "6h", "1d", "2w" (0 to MAX_DURATION_DAYS days)."""
    if isinstance(text, bool):
        raise ValueError(f"not a duration: {text!r} (use e.g. 45s, 30m, 6h, 1d)")
    if isinstance(text, (int, float)):
        seconds = float(text)
    else:
        match = _DURATION.match(str(text))
        if not match:
            raise ValueError(f"not a duration: {text!r} (use e.g. 45s, 30m, 6h, 1d)")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if not 0 <= seconds <= MAX_DURATION_DAYS * 86400:  # also false for NaN
        raise ValueError(f"duration out of range: {text!r} (0 to {MAX_DURATION_DAYS}d)")
    return seconds


def selector_problem(selector) -> str | None:
    """Why a field selector cannot be used, or None: CSS, optionally `@attribute` to read."""
    from lxml.cssselect import CSSSelector, SelectorError  # only when a sources file has selectors

    if not isinstance(selector, str) or not selector.strip():
        return f"expected a CSS selector as text, got {selector!r}"
    css, at, attr = selector.partition("@")
    if at and not _ATTRIBUTE.match(attr):
        return f"{selector!r}: after @ comes an attribute name (e.g. time.published@datetime)"
    try:
        CSSSelector(css)
    except SelectorError as exc:
        return f"{selector!r} is not a CSS selector lxml can use: {exc}"
    return None


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
    watch: str | None = None
    min_change: str | None = None
    notify: list[str] = field(default_factory=list)
    delay: float | None = None
    concurrency: int | None = None
    selectors: dict[str, str] = field(default_factory=dict)
    # A cookies.txt (Netscape format, as browsers export it), relative to the sources
    # file: its cookies for this source's sites are sent to those sites only.
    cookies: str | None = None

    @property
    def mode(self) -> str:
        kinds = [k for k in ("follow", "feeds", "sitemaps", "urls") if getattr(self, k)]
        return "+".join(kinds) or "none"

    @property
    def seed_urls(self) -> list[str]:
        return [*self.follow, *self.feeds, *self.sitemaps, *self.urls]


_LISTS = ("follow", "feeds", "sitemaps", "urls", "allow", "deny", "notify")
# Whole-number keys and their ranges (depth as `crawl --depth`).
_WHOLE_RANGES = {"depth": (0, 50), "max_pages": (1, 10_000_000), "concurrency": (1, 64)}
MAX_DELAY = 3600


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
    for key in ("interval", "revisit", "watch"):
        if key in values:
            try:
                seconds = parse_duration(values[key])
            except ValueError as exc:
                raise SourcesError(f"source {name!r}: {key}: {exc}") from exc
            values[key] = seconds if key == "interval" else str(values[key])
    try:
        if "min_change" in values:
            MinChange.parse(values["min_change"])
            values["min_change"] = str(values["min_change"])
        for target in values["notify"]:
            check_notify_url(target)
    except ValueError as exc:
        raise SourcesError(f"source {name!r}: {exc}") from exc
    for key, (low, high) in _WHOLE_RANGES.items():
        value = values.get(key)
        if key in values and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
            raise SourcesError(f"source {name!r}: {key} must be a whole number from {low} to {high}, "
                               f"not {value!r}")
    delay = values.get("delay")
    if "delay" in values and (isinstance(delay, bool) or not isinstance(delay, (int, float))
                              or not 0 <= delay <= MAX_DELAY):
        raise SourcesError(f"source {name!r}: delay must be a number of seconds from 0 to {MAX_DELAY}, "
                           f"not {delay!r}")
    selectors = values.get("selectors", {})
    if not isinstance(selectors, dict) or set(selectors) - set(SELECTOR_FIELDS):
        raise SourcesError(f"source {name!r}: selectors may set {', '.join(SELECTOR_FIELDS)}")
    for field_name, selector in selectors.items():
        problem = selector_problem(selector)
        if problem:
            raise SourcesError(f"source {name!r}: selectors.{field_name}: {problem}")
    if "cookies" in values and not isinstance(values["cookies"], str):
        raise SourcesError(f"source {name!r}: cookies must be the path of a cookies.txt file")
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
    try:
        sources = [_source(raw, f"sources[{i}]") for i, raw in enumerate(raw_sources)]
    except SourcesError as exc:
        raise SourcesError(f"{path}: {exc}") from exc
    for source in sources:
        if source.cookies:
            source.cookies = str(Path(path).parent / source.cookies)
            problem = cookies_problem(source.cookies)
            if problem:
                raise SourcesError(f"{path}: source {source.name!r}: cookies: {problem}")
    names = [s.name for s in sources]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SourcesError(f"{path}: source names must be unique: {', '.join(dupes)}")
    return sources


# Request meta of a request carrying a source's cookies: nothing of it (its Cookie header,
# the Set-Cookie answers) is archived or written to WARC.
COOKIES_META = "archiver_cookies"


def load_cookies(path: str | Path):
    """A cookies.txt file (Netscape format) as a cookie jar, session cookies included."""
    import warnings
    from http.cookiejar import MozillaCookieJar

    jar = MozillaCookieJar(str(path))
    with warnings.catch_warnings():  # a malformed line makes http.cookiejar print a traceback
        warnings.simplefilter("ignore")
        jar.load(ignore_discard=True, ignore_expires=True)
    for cookie in jar:
        if cookie.expires == 0:  # browsers export a session cookie with expiry 0
            cookie.expires, cookie.discard = None, True
    return jar


def cookies_problem(path: str | Path) -> str | None:
    """Why a cookies file cannot be used (never showing its contents), or None."""
    from http.cookiejar import LoadError

    try:
        load_cookies(path)
    except FileNotFoundError:
        return f"no cookies file at {path}"
    except (LoadError, UnicodeDecodeError):
        return f"{path} is not a cookies.txt file in the Netscape format browsers export"
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or type(exc).__name__}"
    return None
