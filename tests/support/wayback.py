"""A Wayback Machine on 127.0.0.1: the CDX API (JSON output, its usual fields, filters,
collapse=digest, paging with resume keys) and raw captures at `/web/<timestamp>id_/<url>`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from tests.support.server import FixtureSite, Page, send_page


@dataclass
class Capture:
    timestamp: str  # yyyyMMddhhmmss
    url: str
    body: bytes
    mimetype: str = "text/html"
    status: int = 200
    fail: bool = False  # the capture answers 503 every time

    @property
    def digest(self) -> str:
        return hashlib.sha1(self.body).hexdigest().upper()


def _matches(capture: Capture, url: str, match_type: str) -> bool:
    strip = lambda u: u.split("://", 1)[-1].removeprefix("www.")  # noqa: E731
    if match_type == "domain":
        host = strip(capture.url).split("/", 1)[0]
        return host == url or host.endswith("." + url)
    return strip(capture.url) == strip(url)


class WaybackSite(FixtureSite):
    """Serves `captures`; `cdx_queries` and the FixtureSite request log show what was asked."""

    def __init__(self, captures: list[Capture]):
        self.captures = sorted(captures, key=lambda c: c.timestamp)
        self.cdx_queries: list[dict[str, list[str]]] = []
        super().__init__({"/cdx/search/cdx": self._cdx})
        for c in self.captures:
            self.pages[f"/web/{c.timestamp}id_/{c.url}"] = self.serve

    def _cdx(self, handler) -> None:
        query = parse_qs(urlsplit(handler.path).query)
        self.cdx_queries.append(query)
        one = lambda name, default=None: query.get(name, [default])[0]  # noqa: E731
        rows = [c for c in self.captures if _matches(c, one("url"), one("matchType", "exact"))]
        rows = [c for c in rows if c.timestamp >= (one("from") or "").ljust(14, "0")
                and c.timestamp <= (one("to") or "9").ljust(14, "9")]
        for rule in query.get("filter", []):
            name, _, value = rule.partition(":")
            rows = [c for c in rows if str({"statuscode": c.status, "mimetype": c.mimetype}[name]) == value]
        if one("collapse") == "digest":
            rows = [c for i, c in enumerate(rows) if i == 0 or rows[i - 1].digest != c.digest or rows[i - 1].url != c.url]
        start = int(one("resumeKey", "0"))
        limit = int(one("limit", "100000"))
        page, rest = rows[start:start + limit], rows[start + limit:]
        fields = one("fl").split(",")
        values = {"timestamp": "timestamp", "original": "url", "mimetype": "mimetype", "statuscode": "status",
                  "digest": "digest"}
        out = [fields] + [[str(getattr(c, values[f])) for f in fields] for c in page]
        if rest and one("showResumeKey") == "true":
            out += [[], [str(start + limit)]]
        send_page(handler, Page(json.dumps(out).encode(), headers={"Content-Type": "text/plain"}))

    def serve(self, handler) -> None:
        stamp, _, url = handler.path.removeprefix("/web/").partition("id_/")
        capture = next((c for c in self.captures if c.timestamp == stamp and c.url == url), None)
        if capture is None:
            send_page(handler, Page(b"not in the archive", status=404))
        elif capture.fail:
            send_page(handler, Page(b"busy", status=503))
        else:
            send_page(handler, Page(capture.body, headers={
                "Content-Type": f"{capture.mimetype}; charset=utf-8", "X-Archive-Orig-Server": "fixture",
                "X-Archive-Orig-Last-Modified": "Tue, 05 Mar 2024 10:00:00 GMT"}))

    def __enter__(self) -> "WaybackSite":
        super().__enter__()
        return self
