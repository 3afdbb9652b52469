"""Readable reasons for fetch failures (what a person sees in the summary and run history)."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet.error import (
    ConnectError,
    ConnectionDone,
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

_HTTP_REASONS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    408: "Request Timeout", 410: "Gone", 429: "Too Many Requests", 451: "Unavailable For Legal Reasons",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}


_TOO_LARGE = "too large: over the download size limit (DOWNLOAD_MAXSIZE)"


def http_reason(status: int) -> str:
    """"HTTP 404 Not Found"."""
    return f"HTTP {status} {_HTTP_REASONS.get(status, '')}".strip()


def describe_failure(failure: Failure) -> str:
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        reason = http_reason(status)
        # Retries are immediate and bounded (RETRY_TIMES); the server's wish is
        # reported so the user can come back later.
        retry_after = (exc.response.headers.get("Retry-After") or b"").decode("latin-1").strip()
        return f"{reason} (server asks to retry after {retry_after[:40]})" if retry_after else reason
    if isinstance(exc, IgnoreRequest):
        text = str(exc) or "request ignored"
        if "robots.txt" in text:
            return "forbidden by robots.txt"
        if "redirect" in text:
            return f"too many redirects ({text})"
        if "during decompression" in text:
            return f"{_TOO_LARGE} once decompressed (a compression bomb?)"
        return text[:300]
    if isinstance(exc, (TimeoutError, TCPTimedOutError, DownloadTimeoutError)):
        return "timeout: no complete answer within the download timeout"
    if isinstance(exc, (DNSLookupError, CannotResolveHostError)):
        return "DNS lookup failed: host not found"
    if isinstance(exc, (ConnectionRefusedError, DownloadConnectionRefusedError)):
        return "connection refused"
    if isinstance(exc, (defer.CancelledError, DownloadCancelledError)):
        # Scrapy cancels a download whose Content-Length, or whose bytes so
        # far, exceed DOWNLOAD_MAXSIZE; a stopped crawl cancels the rest.
        if "max size" in str(exc):
            return _TOO_LARGE
        return f"download cancelled: {str(exc)[:200] or 'over the size limit (DOWNLOAD_MAXSIZE), or the crawl stopped'}"
    if isinstance(exc, (DownloadFailedError, ResponseDataLossError)):
        return "connection lost before a complete response"
    if isinstance(exc, (ResponseNeverReceived, ResponseFailed, ConnectionLost, ConnectionDone)):
        inner = getattr(exc, "reasons", None)
        detail = f": {inner[0].getErrorMessage()}" if inner else ""
        return f"connection lost before a complete response{detail}"
    if isinstance(exc, ConnectError):
        return f"cannot connect: {exc}"
    return f"{type(exc).__name__}: {exc}"[:300]
