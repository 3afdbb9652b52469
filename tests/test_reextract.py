"""`archiver reextract`: after a rule change, exactly the expected versions; a dry run
that writes nothing; idempotent; resumable after a kill."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time

import pytest

from tests.conftest import archiver_cmd
from tests.support.pages import article_html
from tests.support.warc_files import Record, write_warc

GAZETTE, OTHER = "https://gazette.example", "https://other.example"
RULES = """
[[sources]]
name = "gazette"
urls = ["https://gazette.example/"]
[sources.selectors]
title = "p.byline"
"""


def pages(n: int, host: str = GAZETTE) -> list[Record]:
    return [Record(f"{host}/news/story-{i}.html", "2024-03-05T10:00:00Z", article_html(i).encode())
            for i in range(1, n + 1)]


@pytest.fixture
def archive(run_cli, tmp_path):
    warc = write_warc(tmp_path / "pages.warc.gz", pages(2) + pages(1, OTHER))
    assert "3 archived" in run_cli("import", str(warc), "--db", "a.db").stderr
    (tmp_path / "sources.toml").write_text(RULES)
    return tmp_path / "a.db"


def versions(db) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT a.site, v.version, v.title FROM article_versions v "
                            "JOIN articles a ON a.id = v.article_id ORDER BY a.url, v.version").fetchall()


def test_a_dry_run_reports_per_site_and_field_and_writes_nothing(run_cli, archive):
    before = versions(archive)
    result = run_cli("reextract", "--dry-run", "--sources", "sources.toml", "--db", "a.db", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"site": "gazette.example", "field": "title", "articles": 2},
        {"site": "gazette.example", "field": "(new versions)", "articles": 2},
    ]
    assert "2 of 3 articles would change (2 new versions)" in result.stderr
    assert versions(archive) == before


def test_a_rule_change_adds_exactly_the_expected_versions(run_cli, archive):
    result = run_cli("reextract", "--sources", "sources.toml", "--db", "a.db")
    assert result.returncode == 0, result.stderr
    assert "run 2 finished: 0 archived, 2 updated, 1 unchanged, 0 not due, 0 skipped, 0 failed" in result.stderr
    assert versions(archive) == [
        ("gazette.example", 1, "Story number 1 about the city budget"), ("gazette.example", 2, "By Jane Doe"),
        ("gazette.example", 1, "Story number 2 about the city budget"), ("gazette.example", 2, "By Jane Doe"),
        ("other.example", 1, "Story number 1 about the city budget"),
    ]
    run = json.loads(run_cli("runs", "2", "--db", "a.db", "--json").stdout)
    assert run["run"]["mode"] == "reextract"
    assert sorted(p["reason"] or "" for p in run["pages"]) == ["", "new version 2: title", "new version 2: title"]
    with sqlite3.connect(archive) as conn:
        extractors = conn.execute("SELECT version, extractor, fetched_at FROM article_versions WHERE article_id = "
                                  "(SELECT id FROM articles WHERE url LIKE '%/story-1.html' AND site = 'gazette.example')"
                                  " ORDER BY version").fetchall()
    # Dated as the response it was read from; the new version names the site's rules.
    assert [e[2] for e in extractors] == ["2024-03-05T10:00:00+00:00"] * 2
    assert " site gazette:" not in extractors[0][1] and " site gazette:" in extractors[1][1]

    again = run_cli("reextract", "--sources", "sources.toml", "--db", "a.db")
    assert "0 updated, 3 unchanged" in again.stderr, again.stderr
    # The old rules back: the old values are a version of their own again.
    back = run_cli("reextract", "--site", "gazette.example", "--db", "a.db")
    assert "2 updated, 0 unchanged" in back.stderr, back.stderr
    assert [v for v in versions(archive) if v[0] == "gazette.example"][-1] == (
        "gazette.example", 3, "Story number 2 about the city budget")


def test_selections(run_cli, archive):
    # Imported records come back from the workers in any order: look the id up.
    with sqlite3.connect(archive) as conn:
        (story_2,), = conn.execute("SELECT id FROM articles WHERE url = ?", [f"{GAZETTE}/news/story-2.html"])
    assert "1 updated, 0 unchanged" in run_cli("reextract", "--id", str(story_2), "--sources", "sources.toml",
                                               "--db", "a.db").stderr
    assert "0 updated, 0 unchanged" in run_cli("reextract", "--since", "2024-03-06", "--sources", "sources.toml",
                                               "--db", "a.db").stderr
    assert run_cli("reextract", "--since", "March", "--db", "a.db").returncode == 2


def test_a_killed_run_resumes_where_it_stopped(run_cli, tmp_path):
    warc = write_warc(tmp_path / "many.warc.gz", pages(240), with_requests=False)
    assert "240 archived" in run_cli("import", str(warc), "--db", "a.db").stderr
    (tmp_path / "sources.toml").write_text(RULES)
    db = tmp_path / "a.db"
    command = [*archiver_cmd(), "reextract", "--sources", "sources.toml", "--db", "a.db", "--workers", "0"]
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        cursor = None
        while cursor is None and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            with sqlite3.connect(db) as conn:
                cursor = conn.execute("SELECT cursor FROM runs WHERE mode = 'reextract'").fetchone()
                cursor = cursor[0] if cursor else None
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    with sqlite3.connect(db) as conn:
        status, cursor = conn.execute("SELECT status, cursor FROM runs WHERE mode = 'reextract'").fetchone()
    assert status == "running" and 0 < int(cursor) < 240, "the run ended before it could be killed"

    result = run_cli("reextract", "--sources", "sources.toml", "--db", "a.db")
    assert result.returncode == 0, result.stderr
    assert f"resuming run 2 after article {cursor}" in result.stderr
    assert "run 2 finished" in result.stderr
    with sqlite3.connect(db) as conn:
        per_article = conn.execute("SELECT COUNT(*), MIN(n), MAX(n) FROM (SELECT COUNT(*) AS n FROM article_versions "
                                   "GROUP BY article_id)").fetchone()
        runs = conn.execute("SELECT COUNT(*), SUM(updated) FROM runs WHERE mode = 'reextract'").fetchone()
    assert per_article == (240, 2, 2)  # every article exactly one new version, none twice
    assert runs == (1, 240)
