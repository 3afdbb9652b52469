"""Shared parse -> extract step and failure reporting for every archiver spider."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from archiver.extract import extract_article
from archiver.spiders.errors import describe_failure
from archiver.items import ArticleItem, FailedFetch

HTML_TYPES = ("text/html", "application/xhtml+xml")


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


def requested_url(request: scrapy.Request) -> str:
    """The URL as it was asked for, before any redirect."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


class ArchiverSpider(scrapy.Spider):
    """Base: turns responses into ArticleItems and failures into FailedFetch items."""

    mode = "urls"

    def article_request(self, url: str, **kwargs) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error, **kwargs)

    def parse_article(self, response: Response):
        fetched_at = datetime.now(timezone.utc)
        headers = {
            k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
        }
        content_type = headers.get("Content-Type", "")
        item = ArticleItem(
            requested_url=requested_url(response.request),
            fetched_at=fetched_at.isoformat(timespec="seconds"),
            status=response.status,
            headers=headers,
        )
        mime = content_type.split(";")[0].strip().lower()
        if not isinstance(response, TextResponse) or (mime and mime not in HTML_TYPES):
            item.skip_reason = f"not HTML ({mime or 'unknown type'})"
            yield item
            return
        item.raw = response.body
        item.fields = extract_article(
            response.body,
            response.url,
            content_type=content_type or None,
            fetched_at=fetched_at,
            evidence=response.meta.get("evidence"),
        )
        yield item

    def on_error(self, failure: Failure):
        request = failure.request
        status = getattr(getattr(failure.value, "response", None), "status", None)
        yield FailedFetch(url=requested_url(request), reason=describe_failure(failure), status=status)
