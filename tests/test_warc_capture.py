"""The exchange as received, kept in the archive and written by the WARC export."""

from __future__ import annotations

import gzip
import json
import sqlite3

import pytest

from tests.conftest import FAST
from tests.support.pages import article_html
from tests.support.raw_http import RawSite
from tests.support.warcs import read_records, warcio_check


def by_type(records, kind: str, uri: str | None = None):
    return [r for r in records if r.type == kind and (uri is None or r.fields.get("WARC-Target-URI") == uri)]


# --- records as exchanged ---------------------------------------------------------

PAGE = article_html(1).encode("utf-8")
GZIPPED = gzip.compress(PAGE, mtime=0)


def _chunked(data: bytes, size: int = 1000) -> bytes:
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


RAW_RESPONSES = {
    # A reason phrase of its own, a lower-case name, Set-Cookie twice around another
    # header, a gzip body, and a connection header.
    "/gzip.html": (b"HTTP/1.1 200 Fine Thanks\r\nx-lower-case: yes\r\nSet-Cookie: a=1\r\n"
                   b"Content-Type: text/html; charset=utf-8\r\nSet-Cookie: b=2\r\nETag: \"v1\"\r\n"
                   b"Content-Encoding: gzip\r\nConnection: close\r\n"
                   b"Content-Length: %d\r\n\r\n" % len(GZIPPED)) + GZIPPED,
    "/chunked.html": (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                      b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n") + _chunked(PAGE),
}


@pytest.fixture(scope="module")
def exchanged(tmp_path_factory):
    """The raw site crawled, then its archive exported as WARC."""
    import subprocess

    from tests.conftest import archiver_cmd

    folder = tmp_path_factory.mktemp("exchanged")
    with RawSite(RAW_RESPONSES) as site:
        crawl = subprocess.run([*archiver_cmd(), "crawl", site.url + "/gzip.html", site.url + "/chunked.html",
                                "--db", "a.db", *FAST], cwd=folder, capture_output=True, text=True)
        assert "2 archived" in crawl.stderr, crawl.stderr
        base, received = site.url, dict(site.received)
    export = subprocess.run([*archiver_cmd(), "export", "--db", "a.db", "--format", "warc", "-o", "e.warc.gz"],
                            cwd=folder, capture_output=True, text=True)
    assert export.returncode == 0, export.stderr
    return folder, base, received


def test_the_archive_keeps_the_exchange_and_the_export_writes_it(exchanged):
    folder, base, _ = exchanged
    db = sqlite3.connect(folder / "a.db")
    protocol, fetched_url, header_list = db.execute(
        "SELECT protocol, fetched_url, header_list FROM responses WHERE url LIKE '%gzip.html'").fetchone()
    assert protocol == "HTTP/1.1" and fetched_url == base + "/gzip.html"
    assert ["Set-Cookie", "b=2"] in json.loads(header_list)
    warcio_check(folder / "e.warc.gz")
    exported = {r.fields["WARC-Target-URI"]: r for r in by_type(read_records(folder / "e.warc.gz"), "response")}
    gzipped = exported[base + "/gzip.html"]
    # The archive keeps the decoded body: the headers that described the encoding keep
    # their place and value under X-Crawler-, and Content-Length is the body's.
    assert gzipped.body == PAGE
    assert gzipped.http_headers == [
        ("X-Crawler-Content-Length", str(len(GZIPPED))), ("X-Lower-Case", "yes"), ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"), ("Content-Type", "text/html; charset=utf-8"), ("Etag", '"v1"'),
        ("X-Crawler-Content-Encoding", "gzip"), ("Content-Length", str(len(PAGE)))]
    assert gzipped.head.startswith(b"HTTP/1.1 200 OK\r\n")
    chunked = exported[base + "/chunked.html"]
    assert chunked.http_headers == [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(PAGE)))]
