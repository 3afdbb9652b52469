"""ARCHIVER_NOW: one clock for every command (fetch times, runs, revisits, exports' names)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest

from archiver import clock
from tests.conftest import FAST


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-03-06T08:00:00Z", datetime(2024, 3, 6, 8, tzinfo=timezone.utc)),
    ("2024-03-06T09:30:00+01:30", datetime(2024, 3, 6, 8, tzinfo=timezone.utc)),
    ("2024-03-06T08:00", datetime(2024, 3, 6, 8, tzinfo=timezone.utc)),  # no zone: UTC
    ("2024-03-06", datetime(2024, 3, 6, tzinfo=timezone.utc)),
])
def test_archiver_now_sets_the_clock(monkeypatch, text, expected):
    monkeypatch.setenv(clock.ENV, text)
    assert clock.now() == expected
    assert clock.stamp() == expected.isoformat(timespec="seconds")


def test_without_archiver_now_the_clock_is_real(monkeypatch):
    monkeypatch.delenv(clock.ENV, raising=False)
    before = datetime.now(timezone.utc)
    assert before <= clock.now() <= datetime.now(timezone.utc)


def test_a_bad_archiver_now_is_a_usage_error(monkeypatch, run_cli):
    monkeypatch.setenv(clock.ENV, "next tuesday")
    result = run_cli("list")
    assert result.returncode == 2
    assert "Error: ARCHIVER_NOW: 'next tuesday' is not an ISO 8601 time" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_time_a_command_keeps_comes_from_the_clock(site, monkeypatch, run_cli, tmp_path):
    url = site.url + "/news/story-1.html"
    monkeypatch.setenv(clock.ENV, "2024-03-06T08:00:00Z")
    assert run_cli("crawl", url, "--db", "a.db", *FAST).returncode == 0
    db = sqlite3.connect(tmp_path / "a.db")
    t0 = "2024-03-06T08:00:00+00:00"
    assert db.execute("SELECT first_seen_at, last_seen_at, fetched_at FROM articles").fetchone() == (t0, t0, t0)
    assert db.execute("SELECT started_at, ended_at FROM runs").fetchone() == (t0, t0)
    assert db.execute("SELECT fetched_at FROM fetches").fetchone() == (t0,)

    # The revisit policy reads the same clock: not due a day minus a minute later, due a day later.
    requested = len(site.requests)
    monkeypatch.setenv(clock.ENV, "2024-03-07T07:59:00Z")
    assert "1 not due" in run_cli("crawl", url, "--db", "a.db", *FAST).stderr
    assert site.paths_requested()[requested:] == []
    monkeypatch.setenv(clock.ENV, "2024-03-07T08:00:00Z")
    assert "1 unchanged" in run_cli("crawl", url, "--db", "a.db", *FAST).stderr
    assert [p for p in site.paths_requested()[requested:] if p != "/robots.txt"] == ["/news/story-1.html"]
    assert db.execute("SELECT last_seen_at FROM articles").fetchone() == ("2024-03-07T08:00:00+00:00",)

    result = run_cli("export", "--db", "a.db")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "exports" / "articles-20240307T080000Z.jsonl").exists()


def test_a_distributed_run_id_reads_the_clock(monkeypatch):
    from archiver.distributed.keys import new_run_id

    monkeypatch.setenv(clock.ENV, "2024-03-06T08:15:00Z")
    assert new_run_id().startswith("20240306-081500-")
