"""Crashes and stops in the middle of a crawl: the archive stays whole and a re-run finishes the job.

The crawl runs as the installed CLI over a few hundred loopback pages; the test
kills or signals it once some batches are written. Scrapy's DEBUG log lists
every item the pipelines finished ("Scraped from" / "Dropped"), which tells how
many pages had reached the writer when the process died.
"""

from __future__ import annotations

import signal
import sqlite3
import threading

import pytest

from tests.conftest import FAST
from tests.support import procs
from tests.support.bulk import HELD_PATH, N_PAGES, held_page, many_articles, write_urls
from tests.support.server import FixtureSite

BATCH = 25


def crawl_args(*extra: str) -> list[str]:
    return ["crawl", "-i", "urls.txt", "--db", "a.db", *FAST, *extra]


def article_paths_requested(site: FixtureSite, since: int = 0) -> list[str]:
    return [p for p in site.paths_requested()[since:] if p.startswith("/news/")]


def one(db: sqlite3.Connection, sql: str, *params):
    return db.execute(sql, params).fetchone()[0]


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """A crawl killed with SIGKILL after two batches, then the same command again."""
    tmp = tmp_path_factory.mktemp("kill9")
    release = threading.Event()
    with FixtureSite({**many_articles(), HELD_PATH: held_page(release)}) as site:
        write_urls(site, tmp)
        with open(tmp / "urls.txt", "a") as fh:  # listed last: the crawl cannot end before the kill
            fh.write(f"{site.url}{HELD_PATH}\n")
        # Size-triggered batches only, so what reached the disk is whole batches.
        proc = procs.start(crawl_args("-s", f"ARCHIVER_BATCH_SIZE={BATCH}", "-s", "ARCHIVER_BATCH_SECONDS=600",
                                      "-s", "LOG_LEVEL=DEBUG"), tmp)
        reached = procs.wait_until(lambda: procs.count_rows(tmp / "a.db", "SELECT COUNT(*) FROM articles") >= 2 * BATCH,
                                   timeout=90)
        below = procs.descendants(proc.pid)  # extraction workers, if the crawl started any
        procs.send(proc, signal.SIGKILL)
        first = procs.finish(proc, timeout=30)
        release.set()
        # The workers notice within a second or two that the crawl is gone.
        procs.wait_until(lambda: not procs.alive(below), timeout=15)
        orphans = procs.alive(below)
        procs.kill_all(orphans)  # whatever the outcome, nothing of this test keeps running
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
        second = procs.run(crawl_args(), tmp, timeout=120)
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
                refetched=refetched, after=after, orphans=orphans)


def test_kill_9_leaves_an_intact_archive(killed):
    assert killed["reached"], killed["first"].stderr[-2000:]
    assert killed["first"].returncode == -signal.SIGKILL
    assert killed["state"]["integrity"] == "ok"


def test_kill_9_leaves_no_process_behind(killed):
    assert killed["orphans"] == set()


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
    assert after["stored"] == after["versions"] == N_PAGES + 1  # and the held story


def test_rerun_after_kill_does_not_fetch_what_is_stored(killed):
    assert killed["refetched"] == []


def test_the_next_crawl_records_the_killed_run_as_killed(killed):
    # The kill -9'd run could not say it ended; the next crawl, holding the lock, knows it is dead.
    assert killed["after"]["runs"] == [(1, "killed"), (2, "finished")]
    assert "run 1 (pid " in killed["second"].stderr and "recorded as killed" in killed["second"].stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_writes_pending_pages_and_records_an_interrupted_run(tmp_path, sig):
    release = threading.Event()
    with FixtureSite({**many_articles(), HELD_PATH: held_page(release)}) as site:
        write_urls(site, tmp_path)
        with open(tmp_path / "urls.txt", "a") as fh:  # the crawl cannot end before the signal
            fh.write(f"{site.url}{HELD_PATH}\n")
        # Nothing is written before the end unless the stop flushes it.
        proc = procs.start(crawl_args("-s", "ARCHIVER_BATCH_SIZE=10000", "-s", "ARCHIVER_BATCH_SECONDS=600",
                                      "-s", "LOG_LEVEL=DEBUG"), tmp_path)
        assert procs.wait_until(lambda: len(article_paths_requested(site)) >= 40, 90)
        procs.send(proc, sig)
        release.set()  # a graceful stop lets the downloads in flight finish
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


# --- a disk that fills up, an archive that cannot be written ------------------

def _snapshot(db_path) -> dict:
    db = sqlite3.connect(db_path)
    try:
        assert one(db, "PRAGMA integrity_check") == "ok"
        return {t: one(db, f"SELECT COUNT(*) FROM {t}")
                for t in ("articles", "article_versions", "responses", "run_pages", "fetches")}
    finally:
        db.close()


def test_a_full_disk_is_a_clear_error_and_rolls_the_batch_back(tmp_path):
    from archiver.store.schema import ArchiveError
    from archiver.store.writer import ArchiveWriter

    writer = ArchiveWriter(tmp_path / "a.db")
    writer.start_run(spider="article", mode="urls")
    # SQLite's own page limit: the file cannot grow, exactly as on a full disk.
    pages = writer.db.execute("PRAGMA page_count").fetchone()[0]
    writer.db.execute(f"PRAGMA max_page_count = {pages + 2}")
    for n in range(1, 40):
        writer.add_article(_page(n, f"http://127.0.0.1:9/news/{n}.html"))
    with pytest.raises(ArchiveError, match="full"):
        writer.flush()
    writer.close()
    assert _snapshot(tmp_path / "a.db") == dict.fromkeys(("articles", "article_versions", "responses",
                                                          "run_pages", "fetches"), 0)


def _file_size_limit(limit: int):
    import resource

    def apply():
        # Past the limit a write fails with EFBIG instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_crawl_that_fills_the_disk_stops_with_a_clear_error(tmp_path):
    with FixtureSite(many_articles(200)) as site:
        write_urls(site, tmp_path, 200)
        first = procs.run(["crawl", f"{site.url}/news/story-1.html", "--db", "a.db", *FAST], tmp_path)
        assert first.returncode == 0, first.stderr
        before = _snapshot(tmp_path / "a.db")
        # Room for a few batches, not for 200 pages.
        limit = (tmp_path / "a.db").stat().st_size + 400_000
        result = procs.run(crawl_args(), tmp_path, timeout=120, preexec_fn=_file_size_limit(limit))
    assert result.returncode == 1
    assert "cannot write to the archive a.db" in result.stderr and "disk full" in result.stderr
    assert "Traceback" not in result.stderr
    after = _snapshot(tmp_path / "a.db")
    # Whole batches only: each stored article has its version, raw response and run page.
    new = {t: after[t] - before[t] for t in after}
    assert new["articles"] == new["article_versions"] == new["responses"] < 200
    db = sqlite3.connect(tmp_path / "a.db")
    status = db.execute("SELECT status FROM runs ORDER BY id DESC").fetchone()[0]
    assert status in ("archive_error", "running")


class ReadOnly:
    """Makes files and folders read-only, for root too (chattr +i); `undo` puts them back."""

    def __init__(self):
        self.made: list = []

    def apply(self, *paths) -> None:
        import os
        import shutil
        import subprocess

        for path in paths:
            if os.geteuid() == 0:
                if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(path)]).returncode:
                    pytest.skip("running as root without chattr: nothing is read-only")
            else:
                path.chmod(0o555 if path.is_dir() else 0o444)
            self.made.append(path)

    def undo(self) -> None:
        import os
        import subprocess

        while self.made:
            path = self.made.pop()
            if os.geteuid() == 0:
                subprocess.run(["chattr", "-i", str(path)])
            path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture
def read_only():
    state = ReadOnly()
    yield state
    state.undo()


def test_a_read_only_archive_is_a_clear_error_before_any_fetch(tmp_path, read_only):
    folder = tmp_path / "ro"
    folder.mkdir()
    with FixtureSite(many_articles(5)) as site:
        first = procs.run(["crawl", f"{site.url}/news/story-1.html", "--db", "ro/a.db", *FAST], tmp_path)
        assert first.returncode == 0, first.stderr
        before = _snapshot(folder / "a.db")
        read_only.apply(folder / "a.db", folder)
        fetched = len(site.paths_requested())
        result = procs.run(["crawl", f"{site.url}/news/story-2.html", "--db", "ro/a.db", *FAST], tmp_path)
        assert len(site.paths_requested()) == fetched  # refused before fetching anything
    read_only.undo()
    assert result.returncode == 1
    assert result.stderr.startswith("Error:") and "ro/a.db" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(folder / "a.db") == before
