"""Crawl modes, sources, scheduling and revisions against a loopback news site."""

from __future__ import annotations

import sqlite3

import pytest

from archiver.lock import CrawlLock
from tests.conftest import FAST
from tests.support.newsroom import STORIES, newsroom
from tests.support.pages import article_html, html_page, paragraphs
from tests.support.server import FixtureSite, Page


@pytest.fixture
def newsite():
    with FixtureSite(newsroom()) as s:
        yield s


def archived_paths(db_file, base: str) -> list[str]:
    db = sqlite3.connect(db_file)
    return sorted(url[len(base):] for (url,) in db.execute("SELECT url FROM articles"))


def last_run(db_file) -> dict:
    db = sqlite3.connect(db_file)
    db.row_factory = sqlite3.Row
    return dict(db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone())


def test_follow_archives_articles_only(newsite, run_cli, tmp_path):
    result = run_cli("crawl", "--follow", newsite.url + "/", "--depth", "3", "--db", "a.db", *FAST)
    assert result.returncode == 1, result.stderr  # the 404 linked from home
    assert archived_paths(tmp_path / "a.db", newsite.url) == sorted(STORIES.values())
    requested = newsite.paths_requested()
    assert "/private/secret.html" not in requested
    assert not any("utm_" in p or "fbclid" in p for p in requested)
    assert requested.count(STORIES[1]) == 1
    run = last_run(tmp_path / "a.db")
    assert run["mode"] == "follow" and run["archived"] == 5
    assert run["skipped"] >= 4  # home, two section pages, about
    db = sqlite3.connect(tmp_path / "a.db")
    skipped = {u[len(newsite.url):] for (u,) in db.execute("SELECT url FROM run_pages WHERE outcome='skipped'")}
    assert {"/", "/news/", "/news/?page=2", "/about.html"} <= skipped
    failed = dict(db.execute("SELECT url, reason FROM run_pages WHERE outcome='failed'"))
    assert failed[newsite.url + "/missing.html"].startswith("HTTP 404")


def test_follow_respects_depth_and_max_pages(newsite, run_cli, tmp_path):
    result = run_cli("crawl", "--follow", newsite.url + "/news/", "--depth", "1", "--max-pages", "3",
                     "--db", "a.db", *FAST)
    assert result.returncode == 0, result.stderr
    requested = [p for p in newsite.paths_requested() if p != "/robots.txt"]
    assert len(requested) == 3


def test_feed_mode_discovers_feeds_and_keeps_evidence(newsite, run_cli, tmp_path):
    result = run_cli("crawl", "--feed", newsite.url + "/", "--db", "a.db", *FAST)
    assert result.returncode == 0, result.stderr
    assert archived_paths(tmp_path / "a.db", newsite.url) == [STORIES[1], STORIES[2]]
    for feed in ("/atom.xml", "/rss1.rdf"):
        assert run_cli("crawl", "--feed", newsite.url + feed, "--db", "a.db", *FAST).returncode == 0
    assert archived_paths(tmp_path / "a.db", newsite.url) == [STORIES[i] for i in (1, 2, 3, 4)]


def test_feed_mode_on_a_page_without_feeds_fails_clearly(newsite, run_cli):
    result = run_cli("crawl", "--feed", newsite.url + "/about.html", "--db", "a.db", *FAST)
    assert result.returncode == 1
    assert "announces no RSS/Atom feed" in result.stderr


def test_sitemap_mode_from_robots_index_news_and_gzip(newsite, run_cli, tmp_path):
    result = run_cli("crawl", "--sitemap", newsite.url + "/", "--db", "a.db", *FAST)
    assert result.returncode == 0, result.stderr
    assert archived_paths(tmp_path / "a.db", newsite.url) == [STORIES[1], STORIES[4], STORIES[5]]
    requested = newsite.paths_requested()
    assert {"/sitemap_index.xml", "/sitemap-news.xml", "/sitemap-pages.xml.gz"} <= set(requested)
    run = last_run(tmp_path / "a.db")
    assert run["skipped"] == 1  # the About page listed in the sitemap


def write_sources(path, base: str, interval: str = "1h") -> None:
    path.write_text(f"""
[[sources]]
name = "gazette"
follow = ["{base}/news/"]
feeds = ["{base}/atom.xml"]
depth = 1
interval = "{interval}"
delay = 0
concurrency = 4

[[sources]]
name = "gazette-sitemap"
sitemaps = ["{base}/sitemap-news.xml"]
interval = "{interval}"
""")


def test_sources_due_runs_only_what_is_due(newsite, run_cli, tmp_path):
    write_sources(tmp_path / "sources.toml", newsite.url)
    first = run_cli("crawl", "--sources", "sources.toml", "--due", "--db", "a.db", *FAST)
    assert first.returncode == 0, first.stderr
    assert archived_paths(tmp_path / "a.db", newsite.url) == sorted(STORIES.values())
    db = sqlite3.connect(tmp_path / "a.db")
    assert sorted(s for (s,) in db.execute("SELECT source FROM runs")) == ["gazette", "gazette-sitemap"]

    before = len(newsite.requests)
    second = run_cli("crawl", "--sources", "sources.toml", "--due", "--db", "a.db", *FAST)
    assert second.returncode == 0, second.stderr
    assert "not due until" in second.stderr
    assert len(newsite.requests) == before  # nothing fetched inside the interval

    only = run_cli("crawl", "--sources", "sources.toml", "--only", "gazette-sitemap", "--db", "a.db", *FAST)
    assert only.returncode == 0, only.stderr
    # Its articles are archived and not due for a revisit: only the sitemap is fetched.
    assert [p for p in newsite.paths_requested()[before:] if p != "/robots.txt"] == ["/sitemap-news.xml"]


def test_sources_file_errors_are_clear(run_cli, tmp_path):
    (tmp_path / "bad.toml").write_text('[[sources]]\nname = "x"\nfolow = ["http://a.example/"]\n')
    result = run_cli("crawl", "--sources", "bad.toml", "--db", "a.db")
    assert result.returncode == 1
    assert "unknown key(s) folow" in result.stderr and "Traceback" not in result.stderr
    assert run_cli("crawl", "--sources", "missing.toml").returncode == 1
    # --due alone runs the due checks of articles watched with --watch (issue 16); with URLs
    # or --only it is still a usage error.
    assert run_cli("crawl", "--due", "http://a.example/x").returncode == 2
    assert run_cli("crawl", "--only", "x").returncode == 2


def test_changed_page_makes_exactly_one_new_version(newsite, run_cli, tmp_path):
    url = newsite.url + STORIES[2]
    assert run_cli("crawl", url, "--db", "a.db", *FAST).returncode == 0
    # Whitespace-only change: no new version.
    page = newsite.pages[STORIES[2]]
    newsite.pages[STORIES[2]] = html_page(page.body.decode().replace("</p>", "  </p>\n"))
    assert run_cli("crawl", url, "--db", "a.db", "--revisit-after", "0", *FAST).returncode == 0
    # A real edit: one new version.
    body = article_html(2)
    newsite.pages[STORIES[2]] = html_page(body.replace("Paragraph 2 of story 2", "Corrected paragraph 2 of story 2"))
    result = run_cli("crawl", url, "--db", "a.db", "--revisit-after", "0", *FAST)
    assert result.returncode == 0 and "1 updated" in result.stderr, result.stderr
    assert run_cli("crawl", url, "--db", "a.db", "--revisit-after", "0", *FAST).returncode == 0
    db = sqlite3.connect(tmp_path / "a.db")
    assert db.execute("SELECT COUNT(*) FROM article_versions").fetchone()[0] == 2
    assert db.execute("SELECT version FROM articles").fetchone()[0] == 2

    history = run_cli("history", url, "--db", "a.db")
    assert "version 1" in history.stdout and "version 2" in history.stdout
    diff = run_cli("diff", url, "--db", "a.db")
    assert diff.returncode == 0, diff.stderr
    assert "[-Paragraph-] {+Corrected paragraph+} 2 of story 2" in diff.stdout


def test_revisit_sends_validators_and_304_counts_unchanged(newsite, run_cli, tmp_path):
    url = newsite.url + STORIES[3]
    assert run_cli("crawl", url, "--db", "a.db", *FAST).returncode == 0
    result = run_cli("crawl", url, "--db", "a.db", "--revisit-after", "0", *FAST)
    assert result.returncode == 0 and "1 unchanged" in result.stderr, result.stderr
    sent = [h for _, p, h in newsite.requests if p == STORIES[3]]
    assert sent[-1].get("If-None-Match") == '"v1-3"'
    db = sqlite3.connect(tmp_path / "a.db")
    assert db.execute("SELECT status, reason FROM run_pages ORDER BY id DESC LIMIT 1").fetchone() == (
        304, "not modified (HTTP 304)")


def test_archived_pages_are_not_fetched_again_until_due(newsite, run_cli, tmp_path):
    url = newsite.url + STORIES[4]
    assert run_cli("crawl", url, "--db", "a.db", *FAST).returncode == 0
    before = newsite.paths_requested().count(STORIES[4])
    again = run_cli("crawl", url, "--db", "a.db", *FAST)
    assert again.returncode == 0 and "not due for a revisit" not in again.stderr
    assert newsite.paths_requested().count(STORIES[4]) == before


def test_second_crawl_on_the_same_archive_is_refused(newsite, run_cli, tmp_path):
    with CrawlLock(tmp_path / "a.db"):
        result = run_cli("crawl", newsite.url + STORIES[1], "--db", "a.db", *FAST)
        assert result.returncode == 1
        assert "another archiver crawl" in result.stderr
    assert run_cli("crawl", newsite.url + STORIES[1], "--db", "a.db", *FAST).returncode == 0


def test_runs_lists_history(newsite, run_cli):
    run_cli("crawl", newsite.url + STORIES[1], newsite.url + "/missing.html", "--db", "a.db", *FAST)
    result = run_cli("runs", "--db", "a.db")
    assert result.returncode == 0 and "archived 1" in result.stdout and "failed 1" in result.stdout
    one = run_cli("runs", "1", "--outcome", "failed", "--db", "a.db")
    assert one.returncode == 0
    assert f"failed    {newsite.url}/missing.html [404]: HTTP 404 Not Found" in one.stdout
    assert STORIES[1] not in one.stdout
    assert run_cli("runs", "9", "--db", "a.db").returncode == 1


def test_multi_page_article_is_joined(run_cli, tmp_path):
    first = article_html(7, body=["First page paragraph one of the long story about the harbour budget.",
                                  *paragraphs(7)])
    first = first.replace("</head>", '<link rel="next" href="/long/story?page=2"></head>')
    second = article_html(7, body=[*paragraphs(8),
                                   "Second page closing paragraph sums up what the council decided tonight."])
    pages = {"/long/story": html_page(first), "/long/story?page=2": html_page(second)}
    with FixtureSite(pages) as site:
        result = run_cli("crawl", site.url + "/long/story", "--db", "a.db", *FAST)
        assert result.returncode == 0, result.stderr
        assert "/long/story?page=2" in site.paths_requested()
    db = sqlite3.connect(tmp_path / "a.db")
    [(url, body)] = db.execute("SELECT url, body FROM articles").fetchall()
    assert url.endswith("/long/story")
    assert "First page paragraph one" in body and "Second page closing paragraph" in body
    assert body.index("First page") < body.index("Second page")


def crawl_with_selectors(run_cli, tmp_path, page: Page, selectors: str):
    """Crawl one page as a sources-file entry with `selectors` (TOML lines)."""
    with FixtureSite({"/s.html": page}) as site:
        (tmp_path / "s.toml").write_text(f'[[sources]]\nname = "fix"\nurls = ["{site.url}/s.html"]\n'
                                         f"[sources.selectors]\n{selectors}")
        return run_cli("crawl", "--sources", "s.toml", "--db", "a.db", *FAST)


def test_selector_overrides_from_the_sources_file(run_cli, tmp_path):
    page = article_html(3).replace("<h1>", '<p class="kicker">Sports</p><h2 class="real-title">The right title</h2><h1>')
    page = page.replace('<p class="byline">', '<span class="writer">Ann Lee and Bo Chen</span><p class="byline">')
    result = crawl_with_selectors(run_cli, tmp_path, html_page(page), 'title = "h2.real-title"\n'
                                  'byline = "span.writer"\npublished_at = "time@datetime"\n')
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(tmp_path / "a.db")
    title, authors, provenance = db.execute("SELECT title, authors, provenance FROM articles").fetchone()
    assert title == "The right title"
    assert authors == '["Ann Lee", "Bo Chen"]'
    assert '"title": "site"' in provenance


def test_selectors_read_the_page_as_extraction_decoded_it(run_cli, tmp_path):
    # Labelled UTF-8, written in windows-1252: the selector's title reads like the rest of the page.
    page = article_html(5).replace("<h1>", '<h2 class="real-title">Stadtrat beschließt Haushalt</h2><h1>')
    body = page.replace('<meta charset="utf-8">', "").encode("cp1252", errors="replace")
    result = crawl_with_selectors(run_cli, tmp_path, Page(body, headers={"Content-Type": "text/html; charset=utf-8"}),
                                  'title = "h2.real-title"\n')
    assert result.returncode == 0, result.stderr
    [(title,)] = sqlite3.connect(tmp_path / "a.db").execute("SELECT title FROM articles").fetchall()
    assert title == "Stadtrat beschließt Haushalt"
