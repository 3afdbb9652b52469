"""The revisit policy (a pure function) and the middleware that applies it to article requests."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from archiver.revisits import CONDITIONAL, FETCH, NOT_DUE, FetchState, revisit
from tests.conftest import FAST
from tests.support.pages import article_html, html_page
from tests.support.server import FixtureSite

T0 = datetime(2024, 3, 6, 8, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def state(archived=True, etag=None, last_modified=None) -> FetchState:
    return FetchState(url="https://example.com/a", fetched_at=T0, archived=archived, etag=etag,
                      last_modified=last_modified)


@pytest.mark.parametrize(("fetch_state", "now", "action", "reason", "headers"), [
    (None, T0, FETCH, "never fetched", {}),
    (state(archived=False), T0 + timedelta(minutes=1), FETCH, "nothing archived from the last fetch", {}),
    (state(), T0 + timedelta(hours=23), NOT_DUE,
     "not due for a revisit (fetched 2024-03-06T08:00:00+00:00, due 2024-03-07T08:00:00+00:00)", {}),
    (state(etag='"v1"'), T0 + DAY, CONDITIONAL,
     "due for a revisit (fetched 2024-03-06T08:00:00+00:00, due 2024-03-07T08:00:00+00:00)",
     {"If-None-Match": '"v1"'}),
    (state(last_modified="Wed, 06 Mar 2024 08:00:00 GMT"), T0 + 2 * DAY, CONDITIONAL, None,
     {"If-Modified-Since": "Wed, 06 Mar 2024 08:00:00 GMT"}),
    (state(etag='"v1"', last_modified="Wed, 06 Mar 2024 08:00:00 GMT"), T0 + 2 * DAY, CONDITIONAL, None,
     {"If-None-Match": '"v1"', "If-Modified-Since": "Wed, 06 Mar 2024 08:00:00 GMT"}),
    # Archived without validators: fetched again, and a 304 is still understood.
    (state(), T0 + DAY, CONDITIONAL, None, {}),
], ids=["never-fetched", "last-fetch-failed", "not-due", "due-etag", "due-last-modified", "due-both",
        "due-no-validators"])
def test_revisit_policy(fetch_state, now, action, reason, headers):
    decision = revisit(fetch_state, now, DAY)
    assert decision.action == action
    assert decision.headers == headers
    if reason:
        assert decision.reason == reason


def test_revisit_interval_zero_means_always_due():
    assert revisit(state(), T0, timedelta(0)).action == CONDITIONAL


@pytest.mark.parametrize("fetched_at", ["2024-03-06T08:00:00+00:00", "2024-03-06T08:00:00"])
def test_fetch_state_from_a_stored_row_is_in_utc(fetched_at):
    row = {"url": "https://example.com/a", "fetched_at": fetched_at, "archived": 1, "etag": "", "last_modified": None}
    assert FetchState.from_record(row) == state()


def test_a_decision_keeps_the_state_it_was_made_from_with_the_last_capture():
    row = {"url": "https://example.com/a", "fetched_at": "2024-03-06T08:00:00+00:00", "archived": 1,
           "payload_digest": "sha1:ABC", "warc_record_id": "<urn:uuid:1>",
           "warc_target_uri": "https://example.com/a?x", "warc_date": "2024-03-06T08:00:00Z"}
    fetch_state = FetchState.from_record(row)
    assert fetch_state.last_capture == {"record_id": "<urn:uuid:1>", "uri": "https://example.com/a?x",
                                        "date": "2024-03-06T08:00:00Z", "payload_digest": "sha1:ABC"}
    assert revisit(fetch_state, T0 + DAY, DAY).state is fetch_state
    assert revisit(None, T0, DAY).state is None


@pytest.fixture
def frontpage():
    stories = [f"/news/story-{i}.html" for i in range(1, 5)]
    pages = {path: html_page(article_html(i)) for i, path in enumerate(stories, start=1)}
    links = "".join(f'<li><a href="{path}">Headline {path}</a></li>' for path in stories)
    pages["/"] = html_page(f"<!doctype html><html><head><title>Home</title></head><body><ul>{links}</ul></body></html>")
    with FixtureSite(pages) as site:
        yield site, stories


def test_links_not_due_do_not_use_up_max_pages(frontpage, run_cli, tmp_path):
    site, stories = frontpage
    assert run_cli("crawl", *(site.url + p for p in stories[:3]), "--db", "a.db", *FAST).returncode == 0
    before = len(site.requests)
    # The home page is one page; the three archived stories are not due and not requested,
    # so the budget of two still reaches the new story.
    result = run_cli("crawl", "--follow", site.url + "/", "--depth", "1", "--max-pages", "2", "--db", "a.db", *FAST)
    assert result.returncode == 0, result.stderr
    assert [p for p in site.paths_requested()[before:] if p != "/robots.txt"] == ["/", stories[3]]
    db = sqlite3.connect(tmp_path / "a.db")
    assert db.execute("SELECT archived, not_due FROM runs ORDER BY id DESC LIMIT 1").fetchone() == (1, 3)


def test_fetch_states_come_from_the_setting(frontpage, run_cli, tmp_path, monkeypatch):
    site, stories = frontpage
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[1]))
    result = run_cli("crawl", site.url + stories[0], "--db", "a.db", *FAST,
                     "-s", "ARCHIVER_FETCH_STATES=tests.support.fetch_states.FetchedJustNow")
    assert result.returncode == 0, result.stderr
    assert "0 archived, 0 updated, 0 unchanged, 1 not due" in result.stderr
    assert [p for p in site.paths_requested() if p != "/robots.txt"] == []
    db = sqlite3.connect(tmp_path / "a.db")
    (reason,) = db.execute("SELECT reason FROM run_pages").fetchone()
    assert reason.startswith("not due for a revisit (fetched ")
