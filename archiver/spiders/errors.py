"""Readable reasons for fetch failures (what a person sees in the summary and run history)."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
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


def describe_failure(failure: Failure) -> str:
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"HTTP {status} {_HTTP_REASONS.get(status, '')}".strip()
    if isinstance(exc, IgnoreRequest):
        text = str(exc) or "request ignored"
        if "robots.txt" in text:
            return "forbidden by robots.txt"
        if "redirect" in text:
            return f"too many redirects ({text})"
        return text
    if isinstance(exc, (TimeoutError, TCPTimedOutError)):
        return "timeout: no complete answer within the download timeout"
    if isinstance(exc, DNSLookupError):
        return "DNS lookup failed: host not found"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, defer.CancelledError):
        return "download cancelled (larger than the maximum size, or stopped)"
    if isinstance(exc, (ResponseNeverReceived, ResponseFailed, ConnectionLost, ConnectionDone)):
        inner = getattr(exc, "reasons", None)
        detail = f": {inner[0].getErrorMessage()}" if inner else ""
        return f"connection lost before a complete response{detail}"
    if isinstance(exc, ConnectError):
        return f"cannot connect: {exc}"
    return f"{type(exc).__name__}: {exc}"
