"""Capture as archivists do: each HTTP exchange noted as the downloader received it, and
with ARCHIVER_WARC_DIR (`archiver crawl --warc DIR`) written to WARC files at fetch time.

CaptureMiddleware sits nearest the network (after redirects, retries, decompression and
cookies have had their say on the request, before they touch the response), so it sees
the response with its Content-Encoding and encoded bytes, every redirect and retry, and
robots.txt, feeds and sitemaps as well as articles. What it can and cannot see exactly
is in the README ("Capture as archivists do").
"""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro
from twisted.web.http_headers import Headers as TwistedHeaders

from archiver import warc
from archiver.items import ARTICLE_ITEM_META, CAPTURE_META, ArticleItem
from archiver.revisits import REVISIT_META
from archiver.sources import COOKIES_META

logger = logging.getLogger(__name__)

# The reason a crawl stops when its WARC files cannot be written.
WARC_ERROR = "warc_error"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def received_headers(response: Response) -> list[list[str]]:
    """The response's headers as Scrapy holds them: [name, value] per value, in order (latin-1)."""
    return [[name.decode("latin-1"), value.decode("latin-1")]
            for name, values in response.headers.items() for value in values]


def request_head(request: Request) -> bytes:
    """The request as Scrapy's HTTP/1.1 handler writes it through Twisted: request line with
    the origin-form target (the absolute URL through a proxy), a Content-Length when there
    is a body, the headers in Twisted's order and capitalization, Host last."""
    parts = urlsplit(request.url)
    if request.meta.get("proxy") and parts.scheme == "http":
        target = request.url.split("#")[0]
    else:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = []
    if request.body or request.method in ("POST", "PUT"):
        headers.append(("Content-Length", str(len(request.body))))
    twisted_headers = TwistedHeaders(dict(request.headers))
    private = request.meta.get(COOKIES_META)  # a subscriber's cookies are never archived
    headers += [(name.decode("latin-1"), value.decode("latin-1"))
                for name, values in twisted_headers.getAllRawHeaders() for value in values
                if not (private and name.lower() == b"cookie")]
    if not twisted_headers.hasHeader(b"Host"):
        host = parts.netloc.rpartition("@")[2]
        if parts.port is not None and parts.port == _DEFAULT_PORTS.get(parts.scheme):
            host = host.rpartition(":")[0]
        headers.append(("Host", host))
    return warc.http_head(f"{request.method} {target} HTTP/1.1", headers)


class CaptureMiddleware:
    """Downloader middleware: puts what was received (url, protocol, header list) on the
    request's meta (CAPTURE_META) for the archive; with a WARC folder, also writes each
    exchange there (request and response records; a revisit for a 304, or for a payload
    identical to the URL's last capture) and a metadata record per page once extracted."""

    def __init__(self, crawler, files: warc.WarcFiles | None):
        self.crawler = crawler
        self.files = files
        self.error: str | None = None

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        files = None
        if s.get("ARCHIVER_WARC_DIR"):
            files = warc.WarcFiles(
                s.get("ARCHIVER_WARC_DIR"), max_size=warc.parse_size(s.get("ARCHIVER_WARC_MAX_SIZE")),
                prefix=s.get("ARCHIVER_WARC_PREFIX"),
                info=[("robots", "obey" if s.getbool("ROBOTSTXT_OBEY") else "ignore"),
                      ("http-header-user-agent", s.get("USER_AGENT"))],
            )
        middleware = cls(crawler, files)
        if files is not None:
            crawler.signals.connect(middleware.item_scraped, signal=signals.item_scraped)
            crawler.signals.connect(middleware.item_dropped, signal=signals.item_dropped)
            crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    # --- exchanges -----------------------------------------------------------
    def process_response(self, request: Request, response: Response):
        if "cached" in response.flags:  # from HTTPCACHE: not an exchange of this crawl
            return response
        headers = received_headers(response)
        if request.meta.get(COOKIES_META):  # the session of a subscriber's cookies is not archived
            headers = [h for h in headers if h[0].lower() != "set-cookie"]
        capture = {"url": response.url, "protocol": response.protocol, "headers": headers}
        if self.files is not None and self.error is None:
            capture["warc"] = self._write(lambda: self.write_exchange(request, response, capture["headers"]))
        request.meta[CAPTURE_META] = capture
        return response

    def write_exchange(self, request: Request, response: Response, headers) -> dict:
        """Writes the exchange; what the archive keeps of it (CAPTURE_META's "warc")."""
        uri, date = response.url, warc.warc_date()
        head = warc.http_head(warc.status_line(response.protocol, response.status), headers)
        fields = [("WARC-IP-Address", str(response.ip_address))] if response.ip_address else []
        if "dataloss" in response.flags:
            fields.append(("WARC-Truncated", "unspecified"))
        decision = request.meta.get(REVISIT_META)
        last = decision.state.last_capture if decision is not None and decision.state is not None else None
        last = warc.Capture(**last) if last else None
        if response.status == 304:
            original = last
            record = warc.revisit(uri, head, date=date, profile=warc.PROFILE_NOT_MODIFIED, original=last,
                                  fields=fields)
        elif last is not None and last.uri == uri and last.payload_digest == warc.digest(response.body):
            original = last
            record = warc.revisit(uri, head, date=date, profile=warc.PROFILE_IDENTICAL, original=last,
                                  payload_digest=last.payload_digest, fields=fields)
        else:
            record = warc.response(uri, head, response.body, date=date, fields=fields)
            original = warc.Capture(record.record_id, uri, date, record.payload_digest)
        sent = warc.request(uri, request_head(request) + (request.body or b""), b"", date=date,
                            concurrent_to=record.record_id)
        path = self.files.write([record, sent])
        self.crawler.stats.inc_value(f"archiver/warc/{record.type}")
        return {"record_id": record.record_id, "type": record.type, "uri": uri, "date": date,
                "file": path.name, "original": original.as_dict() if original else None}

    # --- one metadata record per page, once extraction has said what it is ------
    def item_scraped(self, item, response):
        # The store hands on the record as exported (a dict) in place of the ArticleItem;
        # the spider left the item on the page's meta (ARTICLE_ITEM_META).
        if not isinstance(item, ArticleItem) and response is not None:
            item = response.meta.get(ARTICLE_ITEM_META)
        if isinstance(item, ArticleItem):
            self._page_done(item, "article")

    def item_dropped(self, item, exception):
        if isinstance(item, ArticleItem):
            self._page_done(item, f"skipped: {item.skip_reason}" if item.skip_reason else str(exception))

    def _page_done(self, item: ArticleItem, outcome: str) -> None:
        capture = item.capture.get("warc")
        if not capture or self.error is not None:
            return
        block = page_metadata(item.fields, requested_url=item.requested_url, found=item.found, outcome=outcome)
        self._write(lambda: self.files.write([warc.metadata(capture["uri"], block, refers_to=capture["record_id"])]))

    # --- files -------------------------------------------------------------------
    def _write(self, write):
        """Run a write; a failure (disk full, folder gone) stops the crawl, as archive
        write errors do: pages fetched from then on would be missing from the WARC."""
        try:
            return write()
        except OSError as exc:
            self.error = f"cannot write WARC files to {self.files.folder}: {exc}"
            self.crawler.stats.set_value("archiver/error", self.error)
            logger.error("%s; stopping the crawl", self.error)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=WARC_ERROR))
            return None

    def spider_closed(self):
        try:
            self.files.close()
        except OSError as exc:
            logger.error("cannot close the WARC file %s: %s", self.files.current, exc)


def page_metadata(fields: dict, *, requested_url: str, found: dict, outcome: str) -> list[tuple[str, str]]:
    """How a page was found and what extraction made of it, as warc-fields."""
    pairs = [
        ("found-by", found.get("by")), ("via", found.get("via")), ("hops-from-seed", found.get("depth")),
        ("requested-url", requested_url), ("outcome", outcome), ("extractor", warc.SOFTWARE),
        ("canonical-url", fields.get("url")), ("content-hash", fields.get("content_hash")),
    ]
    if fields.get("provenance"):
        pairs.append(("provenance", json.dumps(fields["provenance"], ensure_ascii=False, sort_keys=True)))
    return [(name, str(value)) for name, value in pairs if value not in (None, "")]
