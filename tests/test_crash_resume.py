"""Crashes and stops in the middle of a crawl: the archive stays whole and a re-run finishes the job.

The crawl runs as the installed CLI over a few hundred loopback pages; the test
kills or signals it once some batches are written. Scrapy's DEBUG log lists
every item the pipelines finished ("Scraped from" / "Dropped"), which tells how
many pages had reached the writer when the process died.
"""

from __future__ import annotations

import signal
import sqlite3

import pytest

from tests.conftest import FAST
from tests.support import procs
from tests.support.pages import article_html, html_page
from tests.support.server import FixtureSite, Page

N_PAGES = 300
BATCH = 25


def many_articles(n: int = N_PAGES) -> dict[str, Page]:
    pages = {f"/news/story-{i}.html": html_page(article_html(i)) for i in range(1, n + 1)}
    pages["/robots.txt"] = Page(b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
    return pages


def crawl_args(site: FixtureSite, *extra: str) -> list[str]:
    return ["crawl", "-i", "urls.txt", "--db", "a.db", *FAST, *extra]


def write_urls(site: FixtureSite, tmp_path) -> list[str]:
    urls = [f"{site.url}/news/story-{i}.html" for i in range(1, N_PAGES + 1)]
    (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
    return urls


def article_paths_requested(site: FixtureSite, since: int = 0) -> list[str]:
    return [p for p in site.paths_requested()[since:] if p.startswith("/news/")]


def one(db: sqlite3.Connection, sql: str, *params):
    return db.execute(sql, params).fetchone()[0]


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """A crawl killed with SIGKILL after two batches, then the same command again."""
    tmp = tmp_path_factory.mktemp("kill9")
    with FixtureSite(many_articles()) as site:
        write_urls(site, tmp)
        # Size-triggered batches only, so what reached the disk is whole batches.
        proc = procs.start(crawl_args(site, "-s", f"ARCHIVER_BATCH_SIZE={BATCH}", "-s", "ARCHIVER_BATCH_SECONDS=600",
                                      "-s", "LOG_LEVEL=DEBUG"), tmp)
        reached = procs.wait_until(lambda: procs.count_rows(tmp / "a.db", "SELECT COUNT(*) FROM articles") >= 2 * BATCH,
                                   timeout=90)
        procs.send(proc, signal.SIGKILL)
        first = procs.finish(proc, timeout=30)
        db = sqlite3.connect(tmp / "a.db")
        state = {
            "integrity": one(db, "PRAGMA integrity_check"),
            "stored": one(db, "SELECT COUNT(*) FROM articles"),
            "versions": one(db, "SELECT COUNT(*) FROM article_versions"),
            "responses": one(db, "SELECT COUNT(*) FROM responses"),
            "pages": one(db, "SELECT COUNT(*) FROM run_pages"),
            "stored_urls": {u for (u,) in db.execute("SELECT url FROM articles")},
        }
        db.close()
        processed = first.stderr.count("Scraped from") + first.stderr.count("Dropped:")
        before_rerun = len(site.paths_requested())
        second = procs.run(crawl_args(site), tmp, timeout=120)
        refetched = [p for p in article_paths_requested(site, before_rerun)
                     if f"{site.url}{p}" in state["stored_urls"]]
        db = sqlite3.connect(tmp / "a.db")
        after = {
            "integrity": one(db, "PRAGMA integrity_check"),
            "stored": one(db, "SELECT COUNT(*) FROM articles"),
            "versions": one(db, "SELECT COUNT(*) FROM article_versions"),
            "runs": db.execute("SELECT id, status FROM runs ORDER BY id").fetchall(),
        }
        db.close()
    print(f"\nkill -9: {processed} pages through the pipelines, {state['stored']} archived on disk "
          f"({state['pages']} run pages); re-run: exit {second.returncode}, {after['stored']} archived, "
          f"{len(refetched)} stored pages fetched again")
    return dict(reached=reached, first=first, state=state, processed=processed, second=second,
                refetched=refetched, after=after)


def test_kill_9_leaves_an_intact_archive(killed):
    assert killed["reached"], killed["first"].stderr[-2000:]
    assert killed["first"].returncode == -signal.SIGKILL
    assert killed["state"]["integrity"] == "ok"


def test_kill_9_loses_at_most_the_last_batch(killed):
    state = killed["state"]
    # No half-written batch: every stored article has its version and raw
    # response, and the run's pages are whole batches.
    assert state["stored"] == state["versions"] == state["responses"]
    assert state["pages"] % BATCH == 0
    # The item that fills a batch is logged just after the batch is written, so
    # a kill in between shows one more page written than logged.
    lost = killed["processed"] - state["pages"]
    assert -1 <= lost < BATCH, f"{killed['processed']} processed, {state['pages']} written"


def test_rerun_after_kill_archives_the_rest(killed):
    second, after = killed["second"], killed["after"]
    assert second.returncode == 0, second.stderr[-3000:]
    assert after["integrity"] == "ok"
    assert after["stored"] == after["versions"] == N_PAGES


def test_rerun_after_kill_does_not_fetch_what_is_stored(killed):
    assert killed["refetched"] == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_writes_pending_pages_and_records_an_interrupted_run(tmp_path, sig):
    with FixtureSite(many_articles()) as site:
        write_urls(site, tmp_path)
        # Nothing is written before the end unless the stop flushes it.
        proc = procs.start(crawl_args(site, "-s", "ARCHIVER_BATCH_SIZE=10000", "-s", "ARCHIVER_BATCH_SECONDS=600",
                                      "-s", "LOG_LEVEL=DEBUG"), tmp_path)
        assert procs.wait_until(lambda: proc.poll() is not None or len(article_paths_requested(site)) >= 40, 90)
        procs.send(proc, sig)
        result = procs.finish(proc, timeout=60)
    assert not result.timed_out, "the crawl did not stop after the signal"
    assert result.returncode == 1, result.stderr[-3000:]
    processed = result.stderr.count("Scraped from") + result.stderr.count("Dropped:")
    db = sqlite3.connect(tmp_path / "a.db")
    assert one(db, "PRAGMA integrity_check") == "ok"
    status, ended_at, archived = db.execute("SELECT status, ended_at, archived FROM runs").fetchone()
    assert status == "interrupted" and ended_at
    pages = one(db, "SELECT COUNT(*) FROM run_pages")
    assert pages == processed > 0
    assert archived == one(db, "SELECT COUNT(*) FROM articles") < N_PAGES
    assert "interrupted" in result.stderr


def _page(n: int, url: str | None) -> "Fetched":
    from archiver.store.writer import Fetched

    record = {"url": url, "title": f"Story {n}", "body": f"Body of story {n}.", "content_hash": f"h{n}"}
    return Fetched(requested_url=f"http://127.0.0.1:9/news/{n}.html", record=record,
                   fetched_at="2024-03-06T08:15:00+00:00", raw=b"<html>raw</html>")


def test_a_batch_is_written_whole_or_not_at_all(tmp_path):
    """A write that fails half-way through a batch leaves none of the batch behind."""
    from archiver.store.writer import ArchiveWriter

    writer = ArchiveWriter(tmp_path / "a.db")
    writer.start_run(spider="article", mode="urls")
    writer.add_article(_page(1, "http://127.0.0.1:9/news/1.html"))
    writer.add_outcome("http://127.0.0.1:9/x.html", "failed", "HTTP 404 Not Found", 404)
    writer.add_article(_page(2, None))  # articles.url is NOT NULL: the batch fails here
    with pytest.raises(Exception):
        writer.flush()
    db = writer.db
    counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("articles", "article_versions", "responses", "run_pages", "fetches")}
    assert counts == dict.fromkeys(counts, 0)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    writer.close()
