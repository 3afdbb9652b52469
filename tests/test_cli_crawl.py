"""End to end: the installed CLI crawls a loopback site into a real SQLite file."""

from __future__ import annotations

import csv
import json
import sqlite3

from tests.conftest import FAST


def test_crawl_summary_outcomes_and_exit_code(site, run_cli, tmp_path):
    urls = [f"{site.url}{p}" for p in (
        "/news/story-1.html", "/news/story-2.html", "/old/story-1", "/about.html",
        "/report.pdf", "/missing.html", "/private/secret.html",
    )]
    result = run_cli("crawl", *urls, "--db", "a.db", *FAST)
    assert result.returncode == 1, result.stderr
    err = result.stderr
    assert "archived" in err and "failed" in err
    assert f"failed: {site.url}/missing.html: HTTP 404" in err
    assert f"failed: {site.url}/private/secret.html: forbidden by robots.txt" in err
    assert f"skipped: {site.url}/report.pdf: not HTML (application/pdf)" in err
    assert f"skipped: {site.url}/about.html: not an article" in err
    assert "/private/secret.html" not in site.paths_requested()

    db = sqlite3.connect(tmp_path / "a.db")
    stored = sorted(url for (url,) in db.execute("SELECT url FROM articles"))
    # The redirect lands on story 1, which is stored once under its final URL.
    assert stored == [f"{site.url}/news/story-1.html", f"{site.url}/news/story-2.html"]
    run = db.execute("SELECT archived, unchanged, skipped, failed, status FROM runs").fetchone()
    assert run == (2, 1, 2, 2, "finished")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    authors = db.execute("SELECT DISTINCT name FROM article_authors").fetchall()
    assert authors == [("Jane Doe",)]
    raw = db.execute("SELECT COUNT(*) FROM responses WHERE size > 0").fetchone()[0]
    assert raw == 2


def test_recrawl_is_idempotent(site, run_cli, tmp_path):
    urls = [f"{site.url}/news/story-1.html", f"{site.url}/news/story-2.html"]
    first = run_cli("crawl", *urls, "--db", "a.db", *FAST)
    assert first.returncode == 0, first.stderr
    second = run_cli("crawl", *urls, "--db", "a.db", *FAST)
    assert second.returncode == 0, second.stderr
    # Not fetched again: their revisit is not due (issue 13: "not due", no longer "unchanged").
    assert "0 archived" in second.stderr and "0 unchanged, 2 not due" in second.stderr
    db = sqlite3.connect(tmp_path / "a.db")
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 2
    assert db.execute("SELECT COUNT(*) FROM article_versions").fetchone()[0] == 2
    first_seen, last_seen = db.execute("SELECT first_seen_at, last_seen_at FROM articles LIMIT 1").fetchone()
    assert last_seen >= first_seen


def test_search_show_and_export(site, run_cli, tmp_path):
    urls = [f"{site.url}/news/story-{i}.html" for i in (1, 2, 3)]
    assert run_cli("crawl", *urls, "--db", "a.db", *FAST).returncode == 0

    found = run_cli("search", "story number 2", "--db", "a.db", "--json")
    assert found.returncode == 0, found.stderr
    rows = json.loads(found.stdout)
    assert rows[0]["url"] == f"{site.url}/news/story-2.html"

    text = run_cli("search", "budget", "--db", "a.db")
    assert "Story number" in text.stdout and site.url in text.stdout

    shown = run_cli("show", f"{site.url}/news/story-3.html", "--db", "a.db", "--json")
    record = json.loads(shown.stdout)
    assert record["title"] == "Story number 3 about the city budget"
    assert record["authors"] == ["Jane Doe"]
    assert record["published_at"].startswith("2024-03-06T08:15:00")

    exported = run_cli("export", "--db", "a.db")
    assert exported.returncode == 0, exported.stderr
    files = list((tmp_path / "exports").glob("articles-*.jsonl"))
    assert len(files) == 1
    records = [json.loads(line) for line in files[0].read_text().splitlines()]
    assert len(records) == 3
    assert {"id", "url", "title", "authors", "body", "related_links", "content_hash"} <= set(records[0])

    as_csv = run_cli("export", "--db", "a.db", "--format", "csv", "-o", "out.csv")
    assert as_csv.returncode == 0, as_csv.stderr
    with open(tmp_path / "out.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3 and rows[0]["authors"] == "Jane Doe"

    again = run_cli("export", "--db", "a.db", "--format", "csv", "-o", "out.csv")
    assert again.returncode == 1 and "--force" in again.stderr


def test_usage_errors_exit_2(run_cli):
    assert run_cli("crawl").returncode == 2
    assert run_cli("crawl", "http://127.0.0.1:9/x", "-s", "NOVALUE").returncode == 2


def test_non_http_urls_are_refused_with_a_reason(run_cli):
    result = run_cli("crawl", "file:///etc/passwd", "ftp://example.org/x", "--db", "a.db")
    assert result.returncode == 1
    assert "only http and https" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_archive_is_a_clear_error(run_cli):
    result = run_cli("search", "x", "--db", "nope.db")
    assert result.returncode == 1
    assert "Error: no archive at nope.db" in result.stderr


def test_unreachable_robots_txt_is_one_warning_not_a_traceback(run_cli, tmp_path):
    import time

    from tests.support.pages import article_html, html_page
    from tests.support.server import FixtureSite

    def slow_robots(handler):
        time.sleep(3)
        handler.send_response(200)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    pages = {"/robots.txt": slow_robots, "/a.html": html_page(article_html(1))}
    with FixtureSite(pages) as site:
        result = run_cli("crawl", site.url + "/a.html", "--db", "a.db", "-s", "DOWNLOAD_TIMEOUT=1",
                         "-s", "RETRY_ENABLED=0", *FAST)
    assert result.returncode == 0, result.stderr
    assert "robots.txt of 127.0.0.1" in result.stderr and "could not be fetched" in result.stderr
    assert "Traceback" not in result.stderr
    assert "1 archived" in result.stderr
