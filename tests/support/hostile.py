"""Hostile pages on 127.0.0.1 (port 0): huge, endless, silent, malformed, looping.

`HostileSite` serves every case in `CASES` plus a second socket that accepts
connections and never answers. Every streaming handler stops when the client
goes away, when the site closes, or after `MAX_HANDLER_SECONDS`, so no thread
outlives a test by long.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
import zlib
from dataclasses import dataclass
from functools import lru_cache
from http.server import BaseHTTPRequestHandler

from tests.support.pages import article_html, html_page, paragraphs
from tests.support.server import FixtureSite, Page

MB = 1024 * 1024
MAX_HANDLER_SECONDS = 60.0
CHUNK = 64 * 1024

# What a crawl must make of each case:
#   archived - stored as an article;   failed / skipped - a run_pages row with a reason;
#   recorded - some outcome with a reason (the case tests survival, not a verdict).
ARCHIVED, FAILED, SKIPPED, RECORDED = "archived", "failed", "skipped", "recorded"


@dataclass(frozen=True)
class Case:
    path: str
    what: str
    expect: str
    reason: str = ""  # a regular expression the recorded reason must match


CASES = [
    Case("/news/ok-1.html", "a valid article", ARCHIVED),
    Case("/news/ok-2.html", "a valid article", ARCHIVED),
    Case("/news/ok-3.html", "a valid article", ARCHIVED),
    Case("/huge-50mb.html", "50 MB HTML page with Content-Length", FAILED, "too large"),
    Case("/huge-50mb-stream.html", "50 MB HTML page, no Content-Length", FAILED,
         "too large|size limit"),
    Case("/slow-drip.html", "a page that sends one byte at a time and never finishes", FAILED,
         "timeout"),
    Case("/binary.html", "random binary data labelled text/html", SKIPPED, "not an article"),
    Case("/gzip-bomb.html", "gzip bomb: ~200 KB on the wire, 200 MB unpacked", FAILED,
         "too large.*decompressed"),
    Case("/deep-nesting.html", "HTML nested 100,000 levels deep", RECORDED),
    Case("/news/charset-mismatch.html", "header says ISO-8859-1, body is UTF-8", ARCHIVED),
    Case("/news/meta-charset-mismatch.html", "<meta> says UTF-8, body is windows-1252", ARCHIVED),
    Case("/news/invalid-utf8.html", "declared UTF-8 with invalid byte sequences", ARCHIVED),
    Case("/loop/a", "redirect loop a -> b -> a", FAILED, "too many redirects"),
    Case("/chain/0", "20-hop redirect chain to an article", FAILED, "too many redirects"),
    Case("/error-500.html", "500 with Retry-After: 30", FAILED, "HTTP 500.*retry after 30"),
    Case("/error-503.html", "503 with Retry-After: 120", FAILED, "HTTP 503.*retry after 120"),
    Case("/error-429.html", "429 Too Many Requests with Retry-After: 3600", FAILED,
         "HTTP 429.*retry after 3600"),
    Case("/empty.html", "an empty 200", SKIPPED, "not an article"),
    Case("/news/many-links.html", "an article with 50,000 links", RECORDED),
    Case("/news/jsonld-invalid.html", "an article whose JSON-LD is invalid JSON", ARCHIVED),
    Case("/news/jsonld-5mb.html", "an article with a 5 MB JSON-LD block", ARCHIVED),
    Case("/news/date-zero.html", 'an article dated "0000-00-00"', ARCHIVED),
    Case("/news/date-future.html", 'an article dated "2099-01-01"', ARCHIVED),
    Case("/news/title-100kb.html", "an article with a 100 KB title", ARCHIVED),
]
# Served by the second socket: accepts, then never sends a byte.
SILENT_CASE = Case("/news/silent.html", "a server that accepts and never answers", FAILED, "timeout")
REDIRECT_CHAIN_HOPS = 20


def _stream(handler: BaseHTTPRequestHandler, site: "HostileSite", chunks, *, delay: float = 0.0) -> None:
    """Write chunks until done, the client leaves, the site stops or time is up."""
    deadline = time.monotonic() + MAX_HANDLER_SECONDS
    try:
        for chunk in chunks:
            if site.stopping.is_set() or time.monotonic() > deadline:
                break
            handler.wfile.write(chunk)
            handler.wfile.flush()
            if delay:
                site.stopping.wait(delay)
    except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
        pass
    handler.close_connection = True


def _filler(total: int):
    block = (b"<p>" + b"filler text " * 400 + b"</p>\n")
    sent = 0
    while sent < total:
        piece = block[: total - sent]
        sent += len(piece)
        yield piece


def huge_page(site: "HostileSite", *, length_header: bool):
    total = 50 * MB

    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        if length_header:
            h.send_header("Content-Length", str(total))
        else:
            h.send_header("Connection", "close")
        h.end_headers()
        _stream(h, site, _filler(total))

    return handler


def slow_drip(site: "HostileSite"):
    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(10 * MB))
        h.end_headers()
        _stream(h, site, iter(lambda: b"<", None), delay=0.2)

    return handler


@lru_cache(maxsize=1)
def gzip_bomb(unpacked: int = 200 * MB) -> bytes:
    """A gzip member of `unpacked` bytes of HTML-ish filler, built without holding it."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    block = b"<p>" + b"a" * (MB - 7) + b"</p>\n"
    out = [packer.compress(b"<html><body>")]
    for _ in range(unpacked // len(block)):
        out.append(packer.compress(block))
    out.append(packer.flush())
    return b"".join(out)


def deep_nesting(levels: int = 100_000) -> bytes:
    return (b"<!doctype html><html><head><title>Deep</title></head><body>" + b"<div>" * levels
            + b"deep text" + b"</div>" * levels + b"</body></html>")


def binary_junk(size: int = 256 * 1024) -> bytes:
    return random.Random(6).randbytes(size)


def many_links(n: int = 50_000) -> str:
    links = "".join(f'<li><a href="/news/link-{i}.html">Link number {i}</a></li>' for i in range(n))
    html = article_html(41, title="A story with fifty thousand links")
    return html.replace("</article>", f"</article><ul class=\"links\">{links}</ul>")


def jsonld_invalid() -> str:
    html = article_html(42, title="A story with broken structured data")
    broken = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Broken,, [}</script>'
    return html.replace("</head>", broken + "</head>").replace('"@context"', '"@context",,', 1)


def jsonld_huge(size: int = 5 * MB) -> str:
    item = {"@type": "Thing", "name": "x" * 90, "description": "y" * 90}
    count = size // len(json.dumps(item))
    graph = json.dumps({"@context": "https://schema.org", "@graph": [item] * count})
    html = article_html(43, title="A story with five megabytes of structured data")
    return html.replace("</head>", f'<script type="application/ld+json">{graph}</script></head>')


def title_100kb() -> str:
    long_title = ("Council budget vote " * 5200)[: 100 * 1024]
    return article_html(44, title=long_title)


def charset_mismatch() -> bytes:
    body = [f"Zürich café “{p}” – naïve résumé" for p in paragraphs(45)]
    return article_html(45, title="Zürich café council vote – a résumé", body=body).encode("utf-8")


def meta_charset_mismatch() -> bytes:
    body = [f"Café in Zürich: {p} – smörgåsbord" for p in paragraphs(46)]
    html = article_html(46, title="Café owners in Zürich – the council decides", body=body)
    return html.encode("cp1252")  # <meta charset="utf-8"> stays in the markup


def invalid_utf8() -> bytes:
    html = article_html(47, title="A story with broken bytes").encode("utf-8")
    return html.replace(b"Paragraph 2", b"Paragraph \xff\xfe\xc3\x28 2").replace(b"Paragraph 4", b"\xed\xa0\x80Paragraph 4")


def redirect(location: str, status: int = 302) -> Page:
    return Page(b"", status=status, headers={"Location": location, "Content-Type": "text/html"})


def hostile_pages(site: "HostileSite") -> dict:
    pages: dict = {
        "/robots.txt": Page(b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"}),
        "/huge-50mb.html": huge_page(site, length_header=True),
        "/huge-50mb-stream.html": huge_page(site, length_header=False),
        "/slow-drip.html": slow_drip(site),
        "/binary.html": Page(binary_junk(), headers={"Content-Type": "text/html"}),
        "/gzip-bomb.html": Page(gzip_bomb(), headers={"Content-Type": "text/html; charset=utf-8",
                                                       "Content-Encoding": "gzip"}),
        "/deep-nesting.html": Page(deep_nesting()),
        "/news/charset-mismatch.html": Page(charset_mismatch(),
                                            headers={"Content-Type": "text/html; charset=iso-8859-1"}),
        "/news/meta-charset-mismatch.html": Page(meta_charset_mismatch(), headers={"Content-Type": "text/html"}),
        "/news/invalid-utf8.html": Page(invalid_utf8()),
        "/loop/a": redirect("/loop/b"),
        "/loop/b": redirect("/loop/a"),
        "/error-500.html": html_page("<h1>Server error</h1>", status=500, **{"Retry-After": "30"}),
        "/error-503.html": html_page("<h1>Down for maintenance</h1>", status=503, **{"Retry-After": "120"}),
        "/error-429.html": html_page("<h1>Slow down</h1>", status=429, **{"Retry-After": "3600"}),
        "/empty.html": Page(b""),
        "/news/many-links.html": html_page(many_links()),
        "/news/jsonld-invalid.html": html_page(jsonld_invalid()),
        "/news/jsonld-5mb.html": html_page(jsonld_huge()),
        "/news/date-zero.html": html_page(article_html(48, title="A story dated zero", published="0000-00-00")),
        "/news/date-future.html": html_page(article_html(49, title="A story from the future",
                                                         published="2099-01-01")),
        "/news/title-100kb.html": html_page(title_100kb()),
    }
    for i in (1, 2, 3):
        pages[f"/news/ok-{i}.html"] = html_page(article_html(i))
    for hop in range(REDIRECT_CHAIN_HOPS):
        pages[f"/chain/{hop}"] = redirect(f"/chain/{hop + 1}")
    pages[f"/chain/{REDIRECT_CHAIN_HOPS}"] = html_page(article_html(50, title="The end of a long chain"))
    return pages


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte."""

    def __init__(self, stopping: threading.Event):
        self.stopping = stopping
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.held: list[socket.socket] = []
        self.accepted = 0
        self.thread = threading.Thread(target=self._loop, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.sock.getsockname()
        return f"http://{host}:{port}"

    def _loop(self) -> None:
        deadline = time.monotonic() + 10 * MAX_HANDLER_SECONDS
        while not self.stopping.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted += 1
            self.held.append(conn)

    def close(self) -> None:
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.sock.close()


class HostileSite(FixtureSite):
    """The hostile corpus on one loopback port, and a silent server on another."""

    def __init__(self):
        self.stopping = threading.Event()
        super().__init__(hostile_pages(self))
        # Clients hanging up mid-body is the point here, not an error to print.
        self.server.handle_error = lambda request, address: None
        self.silent = SilentServer(self.stopping)

    def urls(self) -> dict[str, Case]:
        """Every hostile URL, mapped to its case."""
        out = {f"{self.url}{case.path}": case for case in CASES}
        out[f"{self.silent.url}{SILENT_CASE.path}"] = SILENT_CASE
        return out

    def __enter__(self) -> "HostileSite":
        super().__enter__()
        self.silent.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.silent.close()
        super().__exit__(*exc)
