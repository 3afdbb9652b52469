"""The archive's schema, created and upgraded through sqlite-utils migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000

migrations = Migrations("archiver")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db["articles"].create(
        {
            "id": int,
            "url": str,
            "site": str,
            "site_name": str,
            "title": str,
            "description": str,
            "byline": str,
            "authors": str,  # JSON list, also in article_authors
            "published_at": str,
            "modified_at": str,
            "language": str,
            "section": str,
            "tags": str,  # JSON list, also in article_tags
            "image": str,
            "body": str,
            "word_count": int,
            "related_links": str,  # JSON list of {url, text}, also in article_links
            "content_hash": str,
            "provenance": str,  # JSON {field: source}
            "version": int,
            "first_seen_at": str,
            "last_seen_at": str,
            "fetched_at": str,
        },
        pk="id",
        not_null={"url"},
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["site"])
    db["articles"].create_index(["published_at"])
    db["articles"].enable_fts(["title", "body"], create_triggers=True, tokenize="porter unicode61 remove_diacritics 2")

    db["article_authors"].create(
        {"article_id": int, "position": int, "name": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_authors"].create_index(["name"])
    db["article_tags"].create(
        {"article_id": int, "position": int, "tag": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_tags"].create_index(["tag"])
    db["article_links"].create(
        {"article_id": int, "position": int, "url": str, "text": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_links"].create_index(["url"])

    db["article_versions"].create(
        {
            "id": int,
            "article_id": int,
            "version": int,
            "title": str,
            "byline": str,
            "authors": str,
            "published_at": str,
            "modified_at": str,
            "body": str,
            "content_hash": str,
            "fetched_at": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_versions"].create_index(["article_id", "version"], unique=True)

    # Raw responses, zlib-compressed, so articles can be re-extracted later.
    db["responses"].create(
        {
            "id": int,
            "article_id": int,
            "version": int,
            "url": str,
            "final_url": str,
            "fetched_at": str,
            "status": int,
            "headers": str,
            "body": bytes,
            "compression": str,
            "size": int,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["responses"].create_index(["article_id"])

    # The memory of every URL fetched: what came of it, and validators for revisits.
    db["fetches"].create(
        {
            "url": str,
            "final_url": str,
            "article_id": int,
            "status": int,
            "outcome": str,
            "reason": str,
            "etag": str,
            "last_modified": str,
            "fetched_at": str,
        },
        pk="url",
    )

    db["runs"].create(
        {
            "id": int,
            "started_at": str,
            "ended_at": str,
            "status": str,
            "spider": str,
            "mode": str,
            "source": str,
            "args": str,
            "pid": int,
            "archived": int,
            "updated": int,
            "unchanged": int,
            "skipped": int,
            "failed": int,
        },
        pk="id",
        defaults={"archived": 0, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0},
    )
    db["run_pages"].create(
        {
            "id": int,
            "run_id": int,
            "url": str,
            "outcome": str,
            "reason": str,
            "status": int,
            "article_id": int,
            "at": str,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["run_pages"].create_index(["run_id", "outcome"])



@migrations()
def m002_not_due(db: sqlite_utils.Database) -> None:
    # Pages a run found already archived and not yet due for a revisit: counted,
    # not fetched.
    db["runs"].add_column("not_due", int, not_null_default=0)


@migrations()
def m003_export_state(db: sqlite_utils.Database) -> None:
    # Where each incremental export (`archiver export --since-last`) stopped:
    # the newest article version and raw response it included.
    db["export_state"].create(
        {"key": str, "version_mark": int, "response_mark": int, "path": str, "count": int, "exported_at": str},
        pk="key",
    )


class ArchiveError(Exception):
    """A problem with the archive file that the user can fix (path, permissions, disk)."""


def _migrate(db: sqlite_utils.Database) -> None:
    """Apply pending migrations under one write lock taken at once (IMMEDIATE).

    Two processes opening a new archive together would otherwise both start
    creating tables, and one fails at once with "database is locked" (SQLite
    cannot wait for a read transaction that wants to become a write).
    """
    if not migrations.pending(db):
        return
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")  # waits up to the busy timeout for the other one
    try:
        migrations.apply(db)  # re-reads what is pending, now under the lock
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def connect(path: str | Path, *, readonly: bool = False) -> sqlite_utils.Database:
    """Open the archive; a writable open creates it and applies migrations."""
    path = Path(path)
    try:
        if readonly:
            if not path.exists():
                raise ArchiveError(f"no archive at {path} (run `archiver crawl` first, or pass --db)")
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        else:
            if path.parent and not path.parent.exists():
                raise ArchiveError(f"folder {path.parent} does not exist")
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db = sqlite_utils.Database(conn)
        if readonly:
            if not db["articles"].exists():
                raise ArchiveError(f"{path} is not an archiver database")
            return db
        # WAL lets searches and exports read while a crawl writes.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(db)
        return db
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"cannot open archive {path}: {exc}") from exc
