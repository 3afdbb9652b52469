"""Seeds: URL lists and URL checks, shared by the CLI, the spiders and `archiver enqueue`.

Pure: no Scrapy, no SQL, no network.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def as_list(value) -> list[str]:
    """A spider argument as a list: `-a feeds=URL1,URL2` arrives as one string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace("\n", ",").split(",") if v.strip()]
    return [str(v) for v in value]


def read_url_list(text: str) -> list[str]:
    """URLs from a comma/newline separated list; blank lines and # comments ignored."""
    urls = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            urls += as_list(line)
    return urls


def unsupported_url_reason(url: str) -> str | None:
    """Why a URL cannot be fetched, or None when it is a plain http(s) URL."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return f"not a valid URL: {url!r}"
    if parts.scheme.lower() not in ("http", "https"):
        if not parts.scheme:
            return f"not an absolute URL (no http:// or https://): {url!r}"
        return f"unsupported URL scheme {parts.scheme!r}: only http and https URLs are fetched"
    if not parts.hostname:
        return f"no host in URL: {url!r}"
    return None
