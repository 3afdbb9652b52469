"""`archiver import-wayback` against a Wayback Machine on 127.0.0.1 (CDX API and id_ captures)."""

from __future__ import annotations

import json

from tests.conftest import FAST
from tests.support.pages import article_html, paragraphs
from tests.support.wayback import Capture, WaybackSite

STORY = "https://gazette.example/news/story-1.html"
OTHER = "https://gazette.example/news/story-2.html"


def edition(text: str, n: int = 1) -> bytes:
    return article_html(n, title=f"Story {n} ({text})", body=[f"{text} edition. {p}" for p in paragraphs(n)]).encode()


def captures() -> list[Capture]:
    return [
        Capture("20240301080000", STORY, edition("First")),
        Capture("20240302080000", STORY, edition("First")),  # the same again: collapsed by the CDX API
        Capture("20240305100000", STORY, edition("Second")),
        Capture("20240306100000", OTHER, edition("Only", 2)),
        Capture("20240307100000", OTHER, edition("Busy", 2), fail=True),
        Capture("20240308100000", "https://gazette.example/logo.png", b"\x89PNG", mimetype="image/png"),
    ]


def test_captures_become_versions_dated_by_their_timestamps(run_cli):
    with WaybackSite(captures()) as wayback:
        result = run_cli("import-wayback", STORY, "--wayback", wayback.url, "--db", "a.db", *FAST)
        assert result.returncode == 0, result.stderr
        assert "run 1 finished: 1 archived, 1 updated, 0 unchanged, 0 not due, 0 skipped, 0 failed" in result.stderr
        fetched = [p for p in wayback.paths_requested() if p.startswith("/web/")]
    # Scrapy fetches the newer capture first here: it still becomes version 2.
    assert sorted(fetched) == [f"/web/20240301080000id_/{STORY}", f"/web/20240305100000id_/{STORY}"]
    query = wayback.cdx_queries[0]
    assert query["url"] == [STORY] and query["output"] == ["json"] and query["collapse"] == ["digest"]
    history = json.loads(run_cli("history", STORY, "--db", "a.db", "--json").stdout)
    assert [(v["version"], v["fetched_at"], v["title"]) for v in history] == [
        (1, "2024-03-01T08:00:00+00:00", "Story 1 (First)"), (2, "2024-03-05T10:00:00+00:00", "Story 1 (Second)")]
    run = json.loads(run_cli("runs", "1", "--db", "a.db", "--json").stdout)
    assert run["run"]["mode"] == "wayback" and {p["url"] for p in run["pages"]} == {STORY}
    # Captures are not archiver's fetches: revisits of the URL are planned as if never fetched.
    assert run_cli("sql", "SELECT COUNT(*) AS n FROM fetches", "--db", "a.db", "--csv").stdout.split() == ["n", "0"]


def test_a_site_over_pages_and_dates_politely_resumed(run_cli):
    with WaybackSite(captures()) as wayback:
        base = ["import-wayback", "--site", "gazette.example", "--wayback", wayback.url, "--db", "a.db",
                "--from", "2024-03-02", "--to", "2024-03-31", *FAST, "-s", "RETRY_TIMES=1"]
        first = run_cli(*base)
        # Within the dates: story 1 (the 2nd, then a new edition on the 5th), story 2 and its
        # busy capture (503); the PNG is not listed (HTML only).
        assert first.returncode == 1, first.stderr
        assert "run 1 finished: 2 archived, 1 updated, 0 unchanged, 0 not due, 0 skipped, 1 failed" in first.stderr
        assert "failed: https://gazette.example/news/story-2.html: capture 20240307100000: HTTP 503" in first.stderr
        assert not any("logo.png" in p for p in wayback.paths_requested())
        assert wayback.cdx_queries[0]["matchType"] == ["domain"] and wayback.cdx_queries[0]["from"] == ["20240302"]
        before = len(wayback.paths_requested())
        wayback.captures[4].fail = False
        again = run_cli(*base)
        assert "run 2 finished: 0 archived, 1 updated, 0 unchanged, 0 not due, 0 skipped, 0 failed (3 records imported before)" \
            in again.stderr, again.stderr
        refetched = [p for p in wayback.paths_requested()[before:] if p.startswith("/web/")]
    assert refetched == [f"/web/20240307100000id_/{OTHER}"]  # only the capture that had failed


def test_cdx_pages_are_followed_with_resume_keys(run_cli):
    with WaybackSite(captures()) as wayback:
        result = run_cli("import-wayback", STORY, OTHER, "--wayback", wayback.url, "--db", "a.db", *FAST,
                         "-s", "RETRY_TIMES=0", "-s", "ARCHIVER_WAYBACK_CDX_LIMIT=1")
        # Story 1: two captures after collapsing (an update); story 2: one, and the busy one.
        assert "2 archived, 1 updated, 0 unchanged, 0 not due, 0 skipped, 1 failed" in result.stderr, result.stderr
    resumed = [q["resumeKey"] for q in wayback.cdx_queries if "resumeKey" in q]
    assert len(wayback.cdx_queries) == 4 and resumed == [["1"], ["1"]]


def test_usage_and_unreachable_wayback(run_cli):
    assert run_cli("import-wayback", "--db", "a.db").returncode == 2
    assert run_cli("import-wayback", STORY, "--site", "x.example", "--db", "a.db").returncode == 2
    down = run_cli("import-wayback", STORY, "--wayback", "http://127.0.0.1:9", "--db", "a.db", *FAST,
                   "-s", "RETRY_TIMES=0")
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert "failed: http://127.0.0.1:9/cdx/search/cdx?" in down.stderr
