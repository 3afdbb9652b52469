"""`archiver import`: WARC (gzip or not), ARC and WACZ files built from the fixture site's
pages, imported by the installed CLI into a real SQLite archive."""

from __future__ import annotations

import gzip
import json

import pytest

from tests.support.pages import ABOUT_HTML, article_html, paragraphs
from tests.support.warc_files import Record, write_arc, write_wacz, write_warc

SITE = "https://gazette.example"
STORY = f"{SITE}/news/story-1.html"


def story(n: int, edition: str) -> bytes:
    body = [f"{edition} edition. {p}" for p in paragraphs(n)]
    return article_html(n, title=f"Story {n} ({edition})", body=body).encode()


def captures() -> list[Record]:
    """Two stories, what is not an article, a revisit, and last an old capture of story 1."""
    return [
        Record(STORY, "2024-03-05T10:00:00Z", story(1, "Second")),
        Record(f"{SITE}/news/story-2.html", "2024-03-05T10:05:00Z", story(2, "First")),
        Record(f"{SITE}/about.html", "2024-03-05T10:06:00Z", ABOUT_HTML.encode()),
        Record(f"{SITE}/report.pdf", "2024-03-05T10:07:00Z", b"%PDF-1.4\n", headers=[("Content-Type", "application/pdf")]),
        Record(f"{SITE}/gone.html", "2024-03-05T10:08:00Z", b"<h1>Not found</h1>", status="404 Not Found"),
        Record(STORY, "2024-03-07T09:00:00Z", kind="revisit"),
        Record(STORY, "2024-03-01T08:00:00Z", story(1, "First")),  # older than the one above
    ]


def cli_json(run_cli, *args):
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def warc(tmp_path):
    return write_warc(tmp_path / "crawl.warc.gz", captures())


def test_a_warc_becomes_articles_versions_and_a_run(run_cli, warc):
    result = run_cli("import", str(warc), "--db", "a.db")
    assert result.returncode == 0, result.stderr
    assert "run 1 finished: 2 archived, 1 updated, 1 unchanged, 0 not due, 3 skipped, 0 failed" in result.stderr

    # The older capture became version 1; the current fields stay those of the newer one.
    versions = cli_json(run_cli, "history", STORY, "--db", "a.db", "--json")
    assert [(v["version"], v["fetched_at"], v["title"]) for v in versions] == [
        (1, "2024-03-01T08:00:00+00:00", "Story 1 (First)"),
        (2, "2024-03-05T10:00:00+00:00", "Story 1 (Second)"),
    ]
    assert all(v["extractor"].startswith("archiver ") for v in versions)
    article = cli_json(run_cli, "show", STORY, "--db", "a.db", "--json")
    assert article["title"] == "Story 1 (Second)" and article["version"] == 2
    assert (article["first_seen_at"], article["last_seen_at"]) == ("2024-03-01T08:00:00+00:00",
                                                                   "2024-03-07T09:00:00+00:00")  # the revisit
    old = run_cli("show", STORY, "--version", "1", "--db", "a.db")
    assert "First edition" in old.stdout
    assert "title: 'Story 1 (First)' -> 'Story 1 (Second)'" in run_cli("diff", STORY, "--db", "a.db").stdout

    run = cli_json(run_cli, "runs", "1", "--db", "a.db", "--json")
    assert run["run"]["mode"] == "import"
    pages = {(p["url"], p["outcome"]): p["reason"] for p in run["pages"]}
    # The workers finish in any order: whichever capture of story 1 is written second
    # is the update (the older one says it is an earlier version); the versions above
    # are the same either way.
    assert pages.pop((STORY, "updated")) in (None, "an earlier version, fetched before version 2")
    assert pages == {
        (STORY, "archived"): None,
        (f"{SITE}/news/story-2.html", "archived"): None,
        (f"{SITE}/about.html", "skipped"): "not an article: site page (about, contact or legal)",
        (f"{SITE}/report.pdf", "skipped"): "not HTML (application/pdf)",
        (f"{SITE}/gone.html", "skipped"): "not a page: HTTP 404 response",
        (STORY, "unchanged"): "revisit record: the same content as an earlier capture",
    }


def test_importing_a_file_again_adds_nothing(run_cli, warc):
    assert run_cli("import", str(warc), "--db", "a.db", "-q").returncode == 0
    before = run_cli("sql", "SELECT article_id, version, fetched_at, content_hash FROM article_versions", "--db", "a.db",
                     "--csv").stdout
    again = run_cli("import", str(warc), "--db", "a.db")
    assert again.returncode == 0, again.stderr
    assert "run 2 finished: 0 archived, 0 updated, 0 unchanged, 0 not due, 0 skipped, 0 failed (7 records imported before)" \
        in again.stderr
    assert run_cli("sql", "SELECT article_id, version, fetched_at, content_hash FROM article_versions", "--db", "a.db",
                   "--csv").stdout == before


def test_the_same_pages_from_another_file_add_nothing_either(run_cli, tmp_path):
    # Other record ids, same captures: the writer finds each version it already has.
    first = write_warc(tmp_path / "one.warc.gz", captures())
    second = write_warc(tmp_path / "two.warc", list(reversed(captures())), gzipped=False)
    assert run_cli("import", str(first), "--db", "a.db", "-q").returncode == 0
    again = run_cli("import", str(second), "--db", "a.db")
    assert "0 archived, 0 updated, 4 unchanged, 0 not due, 3 skipped, 0 failed" in again.stderr, again.stderr
    assert len(cli_json(run_cli, "history", STORY, "--db", "a.db", "--json")) == 2


@pytest.mark.parametrize("kind", ["warc", "arc", "arc.gz", "wacz"])
def test_every_archive_format(run_cli, tmp_path, kind):
    records = [r for r in captures() if r.kind == "response"]
    if kind == "wacz":
        pytest.importorskip("wacz", reason="py-wacz (Python 3.11+) builds the WACZ")
        path = write_wacz(tmp_path / "pages.wacz", write_warc(tmp_path / "pages.warc.gz", records))
    elif kind.startswith("arc"):
        path = write_arc(tmp_path / f"pages.{kind}", records)
    else:
        path = write_warc(tmp_path / "pages.warc", records, gzipped=False)
    result = run_cli("import", str(path), "--db", "a.db")
    assert result.returncode == 0, result.stderr
    assert "2 archived, 1 updated, 0 unchanged, 0 not due, 3 skipped, 0 failed" in result.stderr
    assert [v["title"] for v in cli_json(run_cli, "history", STORY, "--db", "a.db", "--json")] == [
        "Story 1 (First)", "Story 1 (Second)"]


def test_a_gzip_encoded_payload_as_common_crawl_stores_it(run_cli, tmp_path):
    # Crawlers that keep the bytes as sent store a gzip body with its Content-Encoding.
    raw = story(3, "Only")
    record = Record(f"{SITE}/news/story-3.html", "2024-03-05T10:00:00Z", gzip.compress(raw),
                    headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
    path = write_warc(tmp_path / "CC-NEWS-20240305100000-00001.warc.gz", [record], with_requests=False)
    result = run_cli("import", str(path), "--db", "a.db")
    assert "1 archived" in result.stderr, result.stderr
    assert "Only edition" in cli_json(run_cli, "show", "1", "--db", "a.db", "--json")["body"]


def test_filters_pass_records_over_without_listing_them(run_cli, warc):
    result = run_cli("import", str(warc), "--db", "a.db", "--since", "2024-03-02", "--until", "2024-03-05",
                     "--url-regex", "/news/", "--site", "gazette.example")
    assert result.returncode == 0, result.stderr
    # Story 1 of the 5th and story 2; the old capture, the revisit (7th) and the other pages are outside.
    assert "2 archived, 0 updated, 0 unchanged, 0 not due, 0 skipped, 0 failed (5 records outside the filters)" in result.stderr
    other = run_cli("import", str(warc), "--db", "b.db", "--site", "elsewhere.example")
    assert "0 archived" in other.stderr and "(7 records outside the filters)" in other.stderr


def test_unreadable_files_and_records_fail_with_a_reason(run_cli, tmp_path, warc):
    junk = tmp_path / "notes.warc.gz"
    junk.write_bytes(b"these are notes, not a web archive\n")
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(warc.read_bytes()[: len(warc.read_bytes()) * 2 // 3])
    result = run_cli("import", str(junk), str(cut), "--db", "a.db")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"failed: {junk}: not a WARC or ARC file" in result.stderr
    assert f"failed: {cut}: unreadable record after offset" in result.stderr
    assert "archived" in result.stderr  # what came before the cut was imported


def test_usage_errors(run_cli, tmp_path):
    assert run_cli("import", "--db", "a.db").returncode == 2
    assert run_cli("import", str(tmp_path / "missing.warc"), "--db", "a.db").returncode == 2
    bad = run_cli("import", str(write_warc(tmp_path / "x.warc", [])), "--url-regex", "(", "--db", "a.db")
    assert bad.returncode == 2 and "not a regular expression" in bad.stderr


def test_a_stopped_import_ends_interrupted_and_the_next_one_takes_the_rest(run_cli, tmp_path):
    import signal
    import sqlite3
    import subprocess
    import time

    from tests.conftest import archiver_cmd

    many = [Record(f"{SITE}/news/{i}.html", "2024-03-05T10:00:00Z", article_html(i).encode()) for i in range(300)]
    warc = write_warc(tmp_path / "many.warc.gz", many, with_requests=False)
    proc = subprocess.Popen([*archiver_cmd(), "import", str(warc), "--db", "a.db", "--workers", "0"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    done = 0
    while done < 50 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        if (tmp_path / "a.db").exists():
            with sqlite3.connect(tmp_path / "a.db") as conn:
                done = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'run_pages'").fetchone()[0] and \
                    conn.execute("SELECT COUNT(*) FROM run_pages").fetchone()[0]
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "run 1 interrupted" in stderr, stderr
    with sqlite3.connect(tmp_path / "a.db") as conn:
        first = conn.execute("SELECT archived FROM runs WHERE id = 1").fetchone()[0]
    assert 0 < first < 300
    rest = run_cli("import", str(warc), "--db", "a.db")
    assert f"{300 - first} archived" in rest.stderr and f"({first} records imported before)" in rest.stderr, \
        rest.stderr


def test_a_progress_line_on_a_terminal_and_none_with_quiet(tmp_path, warc):
    import os
    import pty
    import subprocess

    from tests.conftest import archiver_cmd

    def stderr_on_a_terminal(*args: str) -> str:
        leader, follower = pty.openpty()
        proc = subprocess.Popen([*archiver_cmd(), "import", str(warc), *args], cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=follower)
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: the command ended
                break
            if not chunk:
                break
            out += chunk
        os.close(leader)
        assert proc.wait(timeout=120) == 0
        return out.decode()

    shown = stderr_on_a_terminal("--db", "a.db")
    assert "import: 7 records, " in shown and " records/s" in shown, shown
    assert stderr_on_a_terminal("--db", "b.db", "-q") == ""
