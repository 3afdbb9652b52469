"""`archiver crawl --warc DIR`: every exchange written as fetched, revisits for 304s and
identical payloads, a metadata record per page, files rotated by size; and the WARC export
writing the stored responses with what was received."""

from __future__ import annotations

import gzip
import json
import sqlite3

import pytest

from tests.conftest import FAST
from tests.support.cluster import env_for, needs_redis, run
from tests.support.cluster import redis_server  # noqa: F401 (a fixture)
from tests.support.newsroom import STORIES, newsroom
from tests.support.pages import article_html, html_page
from tests.support.raw_http import RawSite
from tests.support.server import FixtureSite
from tests.support.warcs import folder_records, read_records, warcio_check


@pytest.fixture
def newsite():
    with FixtureSite(newsroom()) as s:
        yield s


def by_type(records, kind: str, uri: str | None = None):
    return [r for r in records if r.type == kind and (uri is None or r.fields.get("WARC-Target-URI") == uri)]


def test_every_exchange_is_written_and_warcio_checks_it(newsite, run_cli, tmp_path):
    urls = [newsite.url + STORIES[1], newsite.url + "/old/story-1", newsite.url + "/missing.html",
            newsite.url + "/about.html"]
    result = run_cli("crawl", *urls, "--db", "a.db", "--warc", "warcs", *FAST)
    assert result.returncode == 1, result.stderr  # the 404
    files = sorted((tmp_path / "warcs").iterdir())
    assert [f.name.endswith(".warc.gz") for f in files] == [True], files  # closed: no `.open` left
    warcio_check(files[0])
    records = read_records(files[0])
    assert records[0].type == "warcinfo"
    assert records[0].warc_fields_block()["software"].startswith("archiver ")
    responses = {r.fields["WARC-Target-URI"][len(newsite.url):]: r for r in by_type(records, "response")}
    # robots.txt, the redirect itself and the 404 are exchanges too.
    assert set(responses) == {"/robots.txt", STORIES[1], "/old/story-1", "/missing.html", "/about.html"}
    assert responses["/old/story-1"].head.startswith(b"HTTP/1.1 301 Moved Permanently\r\n")
    assert responses["/missing.html"].head.startswith(b"HTTP/1.1 404 Not Found\r\n")
    assert responses[STORIES[1]].body == newsite.pages[STORIES[1]].body
    for response in responses.values():
        request = next(r for r in by_type(records, "request")
                       if r.fields["WARC-Concurrent-To"] == response.fields["WARC-Record-ID"])
        assert request.fields["WARC-Target-URI"] == response.fields["WARC-Target-URI"]
        assert request.fields["WARC-Date"] == response.fields["WARC-Date"]
        assert request.block.startswith(b"GET /")
        assert response.fields["WARC-IP-Address"] == "127.0.0.1"
    # A metadata record per page extraction saw: the article and the About page, which is
    # not an article. The article's URL is fetched twice (listed, and the redirect's
    # target), in an order the run does not fix: each of its metadata records refers to
    # one of its responses, none to the same one.
    metadata = {r.fields["WARC-Target-URI"][len(newsite.url):]: r for r in by_type(records, "metadata")}
    assert set(metadata) == {STORIES[1], "/about.html"}
    story = metadata[STORIES[1]].warc_fields_block()
    refers = [r.fields["WARC-Refers-To"] for r in by_type(records, "metadata", newsite.url + STORIES[1])]
    story_responses = {r.fields["WARC-Record-ID"] for r in by_type(records, "response", newsite.url + STORIES[1])}
    assert set(refers) <= story_responses and len(set(refers)) == len(refers)
    assert story["found-by"] == "seed" and story["outcome"] == "article"
    assert story["canonical-url"] == newsite.url + STORIES[1] and len(story["content-hash"]) == 64
    assert json.loads(story["provenance"])["title"] == "json-ld"
    assert metadata["/about.html"].warc_fields_block()["outcome"].startswith("skipped: not an article")


@pytest.mark.parametrize(("mode", "seed", "found_by", "story"), [
    ("--feed", "/feed.rss", "feed", 2),
    ("--sitemap", "/sitemap-news.xml", "sitemap", 4),
    ("--follow", "/news/", "link", 2),
])
def test_metadata_says_how_each_page_was_found(newsite, run_cli, tmp_path, mode, seed, found_by, story):
    args = ["--depth", "1"] if mode == "--follow" else []
    result = run_cli("crawl", mode, newsite.url + seed, *args, "--db", "a.db", "--warc", "w", *FAST)
    assert result.returncode == 0, result.stderr
    records = folder_records(tmp_path / "w")
    found = {r.fields["WARC-Target-URI"]: r.warc_fields_block() for r in by_type(records, "metadata")}
    page = found[newsite.url + STORIES[story]]
    assert page["found-by"] == found_by and page["via"] == newsite.url + seed
    if mode == "--follow":
        assert page["hops-from-seed"] == "1"
        # The start page was a seed (it is fetched again where it links to itself).
        start_page = [r.warc_fields_block() for r in by_type(records, "metadata", newsite.url + seed)]
        assert start_page[0]["found-by"] == "seed" and "via" not in start_page[0]
    else:
        # The feed or sitemap itself was fetched and recorded, not described as a page.
        assert by_type(records, "response", newsite.url + seed)
        assert not by_type(records, "metadata", newsite.url + seed)


def test_revisits_for_304_and_for_an_identical_payload(newsite, run_cli, tmp_path):
    etag_story = newsite.url + STORIES[3]  # answers 304 to If-None-Match
    newsite.pages["/plain.html"] = html_page(article_html(7))  # no validators: fetched in full again
    plain, changing = newsite.url + "/plain.html", newsite.url + STORIES[4]
    first = run_cli("crawl", etag_story, plain, changing, "--db", "a.db", "--warc", "w1", *FAST)
    assert first.returncode == 0, first.stderr
    originals = {r.fields["WARC-Target-URI"]: r for r in by_type(folder_records(tmp_path / "w1"), "response")}

    newsite.pages[STORIES[4]] = html_page(article_html(4, title="Story 4, corrected"), ETag='"v2-4"')
    second = run_cli("crawl", etag_story, plain, changing, "--db", "a.db", "--warc", "w2", "--revisit-after", "0",
                     *FAST)
    assert second.returncode == 0 and "1 updated, 2 unchanged" in second.stderr, second.stderr
    files = sorted((tmp_path / "w2").glob("*.warc.gz"))
    for path in files:
        warcio_check(path)
    records = folder_records(tmp_path / "w2")
    not_modified, = by_type(records, "revisit", etag_story)
    assert not_modified.fields["WARC-Profile"].endswith("/revisit/server-not-modified")
    assert not_modified.head.startswith(b"HTTP/1.1 304 Not Modified\r\n") and not_modified.body == b""
    identical, = by_type(records, "revisit", plain)
    assert identical.fields["WARC-Profile"].endswith("/revisit/identical-payload-digest")
    assert identical.fields["WARC-Payload-Digest"] == originals[plain].fields["WARC-Payload-Digest"]
    assert identical.body == b"" and identical.head.startswith(b"HTTP/1.1 200 OK\r\n")
    for revisit, url in ((not_modified, etag_story), (identical, plain)):
        assert revisit.fields["WARC-Refers-To"] == originals[url].fields["WARC-Record-ID"]
        assert revisit.fields["WARC-Refers-To-Target-URI"] == url
        assert revisit.fields["WARC-Refers-To-Date"] == originals[url].fields["WARC-Date"]
    changed, = by_type(records, "response", changing)
    assert b"Story 4, corrected" in changed.body
    # A third visit still points at the record that holds the payload, not at a revisit.
    third = run_cli("crawl", plain, "--db", "a.db", "--warc", "w3", "--revisit-after", "0", *FAST)
    assert third.returncode == 0, third.stderr
    again, = by_type(folder_records(tmp_path / "w3"), "revisit", plain)
    assert again.fields["WARC-Refers-To"] == originals[plain].fields["WARC-Record-ID"]


def test_a_multi_page_article_has_one_metadata_record_for_its_first_page(run_cli, tmp_path):
    first = article_html(7).replace("</head>", '<link rel="next" href="/long/story?page=2"></head>')
    pages = {"/long/story": html_page(first), "/long/story?page=2": html_page(article_html(8))}
    with FixtureSite(pages) as site:
        result = run_cli("crawl", site.url + "/long/story", "--db", "a.db", "--warc", "w", *FAST)
        assert result.returncode == 0 and "1 archived" in result.stderr, result.stderr
    records = folder_records(tmp_path / "w")
    assert {r.fields["WARC-Target-URI"] for r in by_type(records, "response")} >= {
        site.url + "/long/story", site.url + "/long/story?page=2"}
    page, = by_type(records, "metadata")
    first_response, = by_type(records, "response", site.url + "/long/story")
    assert page.fields["WARC-Target-URI"] == site.url + "/long/story"
    assert page.fields["WARC-Refers-To"] == first_response.fields["WARC-Record-ID"]
    assert page.warc_fields_block()["outcome"] == "article"


def test_a_304_whose_earlier_capture_is_not_in_a_warc_still_names_its_uri(newsite, run_cli, tmp_path):
    story = newsite.url + STORIES[3]  # answers 304 to If-None-Match
    assert run_cli("crawl", story, "--db", "a.db", *FAST).returncode == 0
    again = run_cli("crawl", story, "--db", "a.db", "--warc", "w", "--revisit-after", "0", *FAST)
    assert again.returncode == 0 and "1 unchanged" in again.stderr, again.stderr
    revisit, = by_type(folder_records(tmp_path / "w"), "revisit", story)
    assert revisit.fields["WARC-Profile"].endswith("/revisit/server-not-modified")
    assert revisit.fields["WARC-Refers-To-Target-URI"] == story
    assert "WARC-Refers-To" not in revisit.fields and "WARC-Refers-To-Date" not in revisit.fields


def test_files_rotate_by_size(newsite, run_cli, tmp_path):
    urls = [newsite.url + path for path in STORIES.values()]
    result = run_cli("crawl", *urls, "--db", "a.db", "--warc", "w", "-s", "ARCHIVER_WARC_MAX_SIZE=4k", *FAST)
    assert result.returncode == 0, result.stderr
    files = sorted((tmp_path / "w").iterdir())
    assert len(files) >= 3 and all(f.name.endswith(".warc.gz") for f in files), files
    for path in files:
        warcio_check(path)
        records = read_records(path)
        assert records[0].type == "warcinfo" and records[0].fields["WARC-Filename"] == path.name
        # A file is closed before the record that would take it past the limit (a single
        # exchange larger than the limit gets a file of its own).
        if len(records) > 3:
            assert path.stat().st_size <= 4000, path
        # A request always sits in the file of its response.
        ids = {r.fields["WARC-Record-ID"] for r in records}
        assert all(r.fields["WARC-Concurrent-To"] in ids for r in by_type(records, "request"))
    records = folder_records(tmp_path / "w")
    assert sorted(r.fields["WARC-Target-URI"] for r in by_type(records, "metadata")) == sorted(urls)


def test_a_warc_folder_that_cannot_be_written_is_a_usage_error(run_cli, tmp_path):
    (tmp_path / "taken").write_text("a file")
    result = run_cli("crawl", "https://example.com/a", "--db", "a.db", "--warc", "taken")
    assert result.returncode == 2 and "Error" in result.stderr and "--warc" in result.stderr
    result = run_cli("crawl", "https://example.com/a", "--db", "a.db", "-s", "ARCHIVER_WARC_DIR=taken/sub")
    assert result.returncode == 2 and "cannot create taken/sub" in result.stderr
    result = run_cli("crawl", "https://example.com/a", "--db", "a.db", "--warc", "w", "-s",
                     "ARCHIVER_WARC_MAX_SIZE=big")
    assert result.returncode == 2 and "is not a size" in result.stderr
    assert "Traceback" not in result.stderr


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
    """The raw site crawled with --warc, then its archive exported as WARC."""
    import subprocess

    from tests.conftest import archiver_cmd

    folder = tmp_path_factory.mktemp("exchanged")
    with RawSite(RAW_RESPONSES) as site:
        crawl = subprocess.run([*archiver_cmd(), "crawl", site.url + "/gzip.html", site.url + "/chunked.html",
                                "--db", "a.db", "--warc", "w", *FAST], cwd=folder, capture_output=True, text=True)
        assert "2 archived" in crawl.stderr, crawl.stderr
        base, received = site.url, dict(site.received)
    export = subprocess.run([*archiver_cmd(), "export", "--db", "a.db", "--format", "warc", "-o", "e.warc.gz"],
                            cwd=folder, capture_output=True, text=True)
    assert export.returncode == 0, export.stderr
    return folder, base, received


def test_requests_are_recorded_as_sent(exchanged):
    folder, base, received = exchanged
    records = folder_records(folder / "w")
    for path in ("/robots.txt", "/gzip.html", "/chunked.html"):
        request, = by_type(records, "request", base + path)
        assert request.block == received[path]


def test_responses_are_recorded_as_received(exchanged):
    folder, base, _ = exchanged
    records = folder_records(folder / "w")
    gzipped, = by_type(records, "response", base + "/gzip.html")
    # The encoded bytes as sent; Scrapy's header names (title case), grouped repeats and
    # Content-Length first; Connection is Twisted's and never reaches Scrapy; the reason
    # phrase is the standard one (Scrapy does not keep the server's).
    assert gzipped.body == GZIPPED
    assert gzipped.head == (b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Lower-Case: yes\r\nSet-Cookie: a=1\r\n"
                            b"Set-Cookie: b=2\r\nContent-Type: text/html; charset=utf-8\r\nEtag: \"v1\"\r\n"
                            b"Content-Encoding: gzip\r\n\r\n" % len(GZIPPED))
    chunked, = by_type(records, "response", base + "/chunked.html")
    # De-chunked by Twisted, and Transfer-Encoding with it: body and headers agree.
    assert chunked.body == PAGE
    assert chunked.http_headers == [("Content-Type", "text/html; charset=utf-8")]
    for path in sorted((folder / "w").glob("*.warc.gz")):
        warcio_check(path)
    from warcio.archiveiterator import ArchiveIterator

    with open(sorted((folder / "w").glob("*.warc.gz"))[0], "rb") as fh:
        bodies = {r.rec_headers.get_header("WARC-Target-URI"): r.content_stream().read()
                  for r in ArchiveIterator(fh) if r.rec_type == "response"}
    assert bodies[base + "/gzip.html"] == bodies[base + "/chunked.html"] == PAGE  # as a reader decodes them


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


@pytest.mark.parametrize(("text", "size"), [("1000", 1000), ("4k", 4000), ("100M", 100_000_000), ("1G", 10**9),
                                             ("1.5gb", 1_500_000_000), (250, 250)])
def test_sizes(text, size):
    from archiver.warc import parse_size

    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "0", "-5", "big", "1T"])
def test_not_sizes(text):
    from archiver.warc import parse_size

    with pytest.raises(ValueError):
        parse_size(text)


# --- distributed crawls ------------------------------------------------------------------

@needs_redis
def test_a_worker_writes_warc_and_ingest_keeps_the_response_as_received(redis_server, newsite, tmp_path):
    env = env_for(redis_server.url)
    urls = [newsite.url + STORIES[1], newsite.url + STORIES[2]]
    run_id = run("enqueue", *urls, cwd=tmp_path, env=env).stdout.strip()
    worker = run("worker", "--run", run_id, "--idle-timeout", "1", "--warc", "w", *FAST, cwd=tmp_path, env=env,
                 timeout=120)
    assert worker.returncode == 0, worker.stderr
    files = sorted((tmp_path / "w").iterdir())
    assert files and all(f.name.endswith(".warc.gz") for f in files), files
    for path in files:
        warcio_check(path)
    records = folder_records(tmp_path / "w")
    assert {r.fields["WARC-Target-URI"] for r in by_type(records, "response")} >= set(urls)
    assert sorted(r.fields["WARC-Target-URI"] for r in by_type(records, "metadata")) == sorted(urls)
    ingest = run("ingest", "--db", "a.db", "--idle-timeout", "1", cwd=tmp_path, env=env)
    assert ingest.returncode == 0, ingest.stderr
    rows = sqlite3.connect(tmp_path / "a.db").execute("SELECT protocol, header_list FROM responses").fetchall()
    assert len(rows) == 2 and all(protocol == "HTTP/1.1" and json.loads(headers) for protocol, headers in rows)


def test_a_worker_with_a_warc_folder_it_cannot_write_is_a_usage_error(run_cli, tmp_path):
    (tmp_path / "taken").write_text("a file")
    result = run_cli("worker", "--redis", "redis://127.0.0.1:1/0", "--warc", "taken")
    assert result.returncode == 2 and "--warc" in result.stderr and "Traceback" not in result.stderr


def _article_message(capture: dict) -> str:
    from archiver.distributed.messages import Origin, encode_article
    from archiver.store.writer import Fetched

    page = Fetched(requested_url="https://example.com/a", record={"url": "https://example.com/a"},
                   fetched_at="2024-03-06T08:15:00+00:00", raw=b"<html></html>", capture=capture)
    return encode_article(Origin(run="r1", job="article", worker="w1"), page, keep_raw=True)


def test_a_workers_message_carries_the_response_as_received_to_ingest():
    from archiver.distributed.messages import decode, to_fetched

    received = {"url": "https://example.com/a", "protocol": "HTTP/1.0",
                "headers": [["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"], ["Content-Encoding", "gzip"]]}
    # The worker's WARC record names a file on its own machine: it is not sent.
    fetched = to_fetched(decode(_article_message({**received, "warc": {"record_id": "<urn:uuid:x>"}})))
    assert fetched.capture == received
    assert to_fetched(decode(_article_message({}))).capture == {}


@pytest.mark.parametrize("received", ["text", {"protocol": 1}, {"headers": [["only a name"]]},
                                      {"headers": {"Content-Type": "text/html"}}])
def test_a_message_with_a_bad_received_part_is_refused(received):
    from archiver.distributed.messages import BadMessage, decode

    message = json.loads(_article_message({}))
    message["received"] = received
    with pytest.raises(BadMessage, match="'received' must be"):
        decode(json.dumps(message))
