"""Reading while a crawl writes, and two crawls on one archive at once.

Readers are the installed CLI (`search`, `export`, `runs`) and the store's own
query functions in a thread; none may ever see "database is locked".
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading

from tests.conftest import FAST
from tests.support import procs
from tests.support.server import FixtureSite
from tests.support.bulk import HELD_PATH, held_page, many_articles, write_urls

N_PAGES = 150

READER_COMMANDS = [
    ["search", "budget", "--db", "a.db", "--json"],
    ["export", "--db", "a.db", "-o", "-"],
    ["runs", "--db", "a.db"],
]


def _cli_reader(tmp_path, command: list[str], crawl_done: threading.Event, results: list):
    while not crawl_done.is_set():
        results.append((command[0], procs.run(command, tmp_path, timeout=60)))


def _query_reader(db_path, crawl_done: threading.Event, errors: list, counts: list):
    from archiver.store import queries
    from archiver.store.schema import connect

    db = connect(db_path, readonly=True)
    try:
        while not crawl_done.is_set():
            try:
                counts.append(queries.count_articles(db))
                queries.search(db, "council budget", limit=5)
                list(queries.iter_filtered(db, batch=50))
            except sqlite3.Error as exc:
                errors.append(repr(exc))
    finally:
        db.conn.close()


def test_readers_never_see_a_locked_database_while_a_crawl_writes(tmp_path):
    with FixtureSite(many_articles(N_PAGES)) as site:
        write_urls(site, tmp_path, N_PAGES)
        # Small batches: many write transactions for the readers to run into.
        crawl = procs.start(["crawl", "-i", "urls.txt", "--db", "a.db", *FAST, "-s", "ARCHIVER_BATCH_SIZE=10",
                             "-s", "ARCHIVER_BATCH_SECONDS=0.2"], tmp_path)
        assert procs.wait_until(lambda: procs.count_rows(tmp_path / "a.db", "SELECT COUNT(*) FROM runs") > 0, 60)
        done = threading.Event()
        results: list = []
        errors: list = []
        counts: list = []
        readers = [threading.Thread(target=_cli_reader, args=(tmp_path, cmd, done, results)) for cmd in READER_COMMANDS]
        readers.append(threading.Thread(target=_query_reader, args=(tmp_path / "a.db", done, errors, counts)))
        for reader in readers:
            reader.start()
        try:
            crawled = procs.finish(crawl, timeout=150)
        finally:
            done.set()
            for reader in readers:
                reader.join(timeout=90)
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    assert errors == []
    assert results, "no reader ran during the crawl"
    for name, result in results:
        assert result.returncode == 0, f"{name}: {result.stderr[-2000:]}"
        assert "locked" not in result.stderr.lower()
    # Readers saw the archive grow batch by batch, never shrink.
    assert counts and counts == sorted(counts)
    db = sqlite3.connect(tmp_path / "a.db")
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == N_PAGES, crawled.stderr[-3000:]
    print(f"\n{len(results)} CLI reads and {len(counts)} query rounds during the crawl, none locked")


def test_two_crawls_at_once_never_corrupt_the_archive(tmp_path):
    with FixtureSite(many_articles(N_PAGES)) as site:
        urls = write_urls(site, tmp_path, N_PAGES)
        half = len(urls) // 2
        (tmp_path / "first.txt").write_text("\n".join(urls[:half]))
        (tmp_path / "second.txt").write_text("\n".join(urls[half:]))
        first = procs.start(["crawl", "-i", "first.txt", "--db", "a.db", *FAST], tmp_path)
        second = procs.start(["crawl", "-i", "second.txt", "--db", "a.db", *FAST], tmp_path)
        results = [procs.finish(first, timeout=150), procs.finish(second, timeout=150)]
    for result in results:
        assert not result.timed_out
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        assert "locked" not in result.stderr.replace("lock", "").lower() or "another archiver crawl" in result.stderr
    refused = [r for r in results if r.returncode != 0]
    # Either the lock turned one away with a message, or both finished.
    assert len(refused) <= 1
    for result in refused:
        assert "another archiver crawl" in result.stderr, result.stderr[-3000:]
    db = sqlite3.connect(tmp_path / "a.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = [u for (u,) in db.execute("SELECT url FROM articles")]
    assert len(stored) == len(set(stored))
    expected = half if refused else len(urls)
    assert len(stored) == expected
    runs = db.execute("SELECT status FROM runs").fetchall()
    assert [s for (s,) in runs] == ["finished"] * (2 - len(refused))


def test_a_second_crawl_is_refused_by_the_lock_with_a_message(tmp_path):
    release = threading.Event()
    with FixtureSite({**many_articles(20), HELD_PATH: held_page(release)}) as site:
        urls = write_urls(site, tmp_path, 20)
        held = f"{site.url}{HELD_PATH}"
        first = procs.start(["crawl", held, *urls, "--db", "a.db", *FAST], tmp_path)
        try:
            # The first crawl is running (and holds the lock) until the held page is answered.
            assert procs.wait_until(lambda: HELD_PATH in site.paths_requested(), 60)
            second = procs.run(["crawl", *urls, "--db", "a.db", *FAST], tmp_path, timeout=60)
        finally:
            release.set()
        first_result = procs.finish(first, timeout=120)
    assert first_result.returncode == 0, first_result.stderr[-2000:]
    assert second.returncode == 1
    assert "another archiver crawl" in second.stderr
    assert "Traceback" not in second.stderr


def _open_archive(path: str, barrier, results) -> None:
    from archiver.store.schema import connect

    barrier.wait(timeout=60)
    try:
        connect(path).conn.close()
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(repr(exc))


def test_processes_creating_one_new_archive_together_all_succeed(tmp_path):
    """Two crawls started together both create the schema of a new archive before the crawl lock."""
    ctx = multiprocessing.get_context("spawn")
    for round_ in range(3):
        path = str(tmp_path / f"new-{round_}.db")
        barrier, results = ctx.Barrier(3), ctx.Queue()
        workers = [ctx.Process(target=_open_archive, args=(path, barrier, results)) for _ in range(3)]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=90) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        assert outcomes == ["ok"] * 3
        db = sqlite3.connect(path)
        assert db.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0] >= 1
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
