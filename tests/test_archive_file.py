"""The archive file: never written when it is another application's database or damaged,
locked as the real file (symlinks, hard links), never a FIFO (issue 13, cases 10-12;
case 13, killed runs, is in test_crash_resume.py)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from archiver.lock import CrawlLock
from tests.conftest import FAST
from tests.support.archives import record, write_archive

INTEGRITY_HINT = 'PRAGMA integrity_check"'


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr and "sqlite3." not in result.stderr, result.stderr


# --- case 10: another application's SQLite file --------------------------------------

@pytest.fixture
def other_app_db(tmp_path) -> Path:
    path = tmp_path / "contacts.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO contacts (name) VALUES ('Ada')")
    db.commit()
    db.close()
    return path


@pytest.mark.parametrize("command", [
    ["crawl", "URL"],
    ["export", "--since-last", "-o", "out.jsonl"],
    ["ingest", "--redis", "redis://127.0.0.1:9/0", "--idle-timeout", "0.1"],
])
def test_another_applications_database_is_never_written(command, other_app_db, site, run_cli, tmp_path):
    before = digest(other_app_db)
    args = [site.url + "/news/story-1.html" if a == "URL" else a for a in command]
    result = run_cli(*args, "--db", other_app_db.name, *(FAST if command[0] == "crawl" else []))
    assert result.returncode == 1, result.stderr
    no_traceback(result)
    assert "contacts.db is a SQLite database of another application (tables: contacts), not an archive" \
        in result.stderr
    assert digest(other_app_db) == before
    assert not Path(f"{other_app_db}-wal").exists()
    assert sqlite3.connect(other_app_db).execute("SELECT name FROM sqlite_master").fetchall() == [("contacts",)]
    assert site.paths_requested() == []


def test_a_file_that_is_no_database_is_not_an_archive(site, run_cli, tmp_path):
    (tmp_path / "notes.db").write_text("shopping list\n" * 100)
    result = run_cli("crawl", site.url + "/news/story-1.html", "--db", "notes.db", *FAST)
    assert result.returncode == 1
    no_traceback(result)
    assert "notes.db is not a SQLite database, so not an archive" in result.stderr


def test_an_empty_file_becomes_an_archive(site, run_cli, tmp_path):
    (tmp_path / "new.db").touch()
    result = run_cli("crawl", site.url + "/news/story-1.html", "--db", "new.db", *FAST)
    assert result.returncode == 0, result.stderr


# --- case 11: a damaged archive --------------------------------------------------------

@pytest.fixture(scope="module")
def damaged_archive(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("damaged") / "news.db"
    write_archive(path, (record(i) for i in range(1, 401)))
    size = path.stat().st_size
    with open(path, "r+b") as fh:  # 64 KiB overwritten, three times over
        for offset in (size // 4, size // 2, 3 * size // 4):
            fh.seek(offset)
            fh.write(b"\x5a" * 65536)
    return path


@pytest.mark.parametrize("command", [
    ["search", "story"], ["list", "-n", "1000"], ["stats"], ["export", "-o", "out.jsonl"], ["crawl", "URL"],
])
def test_a_damaged_archive_is_reported_and_never_written(command, damaged_archive, site, run_cli, tmp_path):
    before = digest(damaged_archive)
    args = [site.url + "/news/story-1.html" if a == "URL" else a for a in command]
    result = run_cli(*args, "--db", str(damaged_archive), *(FAST if command[0] == "crawl" else []))
    assert result.returncode == 1, result.stderr
    no_traceback(result)
    assert f"Error: the archive {damaged_archive} is damaged" in result.stderr
    assert f'sqlite3 {damaged_archive} "{INTEGRITY_HINT}' in result.stderr
    assert digest(damaged_archive) == before
    assert site.paths_requested() == []
    assert not (tmp_path / "out.jsonl").exists() and not list(tmp_path.glob(".out.jsonl.*"))


# --- case 12: the lock belongs to the real file; archives are regular files -----------

def test_a_symlink_to_the_archive_takes_the_same_lock(site, run_cli, tmp_path):
    assert run_cli("crawl", site.url + "/news/story-1.html", "--db", "a.db", *FAST).returncode == 0
    (tmp_path / "link.db").symlink_to(tmp_path / "a.db")
    with CrawlLock(tmp_path / "a.db"):
        result = run_cli("crawl", site.url + "/news/story-2.html", "--db", "link.db", *FAST)
    assert result.returncode == 1
    assert "another archiver crawl" in result.stderr


def test_an_archive_with_hard_links_is_not_written(site, run_cli, tmp_path):
    assert run_cli("crawl", site.url + "/news/story-1.html", "--db", "a.db", *FAST).returncode == 0
    os.link(tmp_path / "a.db", tmp_path / "b.db")
    before = digest(tmp_path / "a.db")
    for name in ("a.db", "b.db"):
        result = run_cli("crawl", site.url + "/news/story-2.html", "--db", name, *FAST)
        assert result.returncode == 1
        no_traceback(result)
        assert f"{name} has 2 hard links" in result.stderr
    assert digest(tmp_path / "a.db") == before
    # Reading is fine.
    assert run_cli("list", "--db", "b.db").returncode == 0


@pytest.mark.parametrize("command", [["runs"], ["list"], ["search", "x"], ["crawl", "http://127.0.0.1:9/x"]])
def test_a_fifo_is_not_an_archive(command, run_cli, tmp_path):
    os.mkfifo(tmp_path / "pipe.db")
    result = run_cli(*command, "--db", "pipe.db", timeout=30)
    assert result.returncode == 1
    assert "Error: pipe.db is a FIFO, not an archive file" in result.stderr


def test_export_never_replaces_a_fifo(site, run_cli, tmp_path):
    assert run_cli("crawl", site.url + "/news/story-1.html", "--db", "a.db", *FAST).returncode == 0
    os.mkfifo(tmp_path / "out.jsonl")
    result = run_cli("export", "--db", "a.db", "-o", "out.jsonl", "--force", timeout=30)
    assert result.returncode == 1
    assert "out.jsonl is not a regular file; give a file name, or '-' for stdout" in result.stderr
    assert (tmp_path / "out.jsonl").is_fifo()
