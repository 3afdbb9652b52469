"""Read-side queries over the archive: search, show, export rows, run history."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import sqlite_utils

from archiver.record import RECORD_FIELDS

_JSON_COLUMNS = ("authors", "tags", "related_links", "provenance")
_FTS_WORD = re.compile(r"\w+", re.UNICODE)


class QueryError(Exception):
    """A query the user wrote that SQLite cannot run (e.g. bad FTS syntax)."""


def to_record(row: dict[str, Any], *, with_provenance: bool = False) -> dict[str, Any]:
    """A stored row in the export shape (lists decoded from JSON)."""
    row = dict(row)
    for col in _JSON_COLUMNS:
        if col in row and isinstance(row[col], str):
            try:
                row[col] = json.loads(row[col])
            except ValueError:
                row[col] = None
    record = {name: row.get(name) for name in RECORD_FIELDS}
    if with_provenance:
        record["provenance"] = row.get("provenance") or {}
        record["version"] = row.get("version")
    return record


def iter_articles(db: sqlite_utils.Database, *, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Every article in id order, fetched in batches so memory stays flat."""
    last_id = 0
    columns = ", ".join(RECORD_FIELDS)
    while True:
        rows = list(
            db.query(f"SELECT {columns} FROM articles WHERE id > ? ORDER BY id LIMIT ?", [last_id, batch])
        )
        if not rows:
            return
        for row in rows:
            yield to_record(row)
        last_id = rows[-1]["id"]


def count_articles(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]


def get_article(db: sqlite_utils.Database, ref: str) -> dict[str, Any] | None:
    """An article by numeric id or by URL (as stored, or as the URL it was fetched from)."""
    rows: list[dict[str, Any]] = []
    if ref.isdigit():
        rows = list(db.query("SELECT * FROM articles WHERE id = ?", [int(ref)]))
    if not rows:
        rows = list(db.query("SELECT * FROM articles WHERE url = ?", [ref]))
    if not rows:
        rows = list(
            db.query(
                "SELECT a.* FROM articles a JOIN fetches f ON f.article_id = a.id WHERE f.url = ?", [ref]
            )
        )
    return to_record(rows[0], with_provenance=True) if rows else None


def _quoted(query: str) -> str:
    # Plain words as quoted terms: what a user typing "U.S. policy" means.
    return " ".join(f'"{word}"' for word in _FTS_WORD.findall(query))


def search(db: sqlite_utils.Database, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Full-text search over title and body, best matches (bm25) first."""
    sql = """
        SELECT a.id, a.title, a.published_at, a.site, a.url,
               snippet(articles_fts, 1, '[', ']', '…', 16) AS snippet,
               bm25(articles_fts, 5.0, 1.0) AS rank
        FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
        WHERE articles_fts MATCH ?
        ORDER BY rank LIMIT ?
    """
    try:
        return list(db.query(sql, [query, limit]))
    except sqlite3.OperationalError as exc:
        fallback = _quoted(query)
        if not fallback:
            raise QueryError(f"cannot search for {query!r}: {exc}") from exc
        try:
            return list(db.query(sql, [fallback, limit]))
        except sqlite3.OperationalError as exc2:
            raise QueryError(f"cannot search for {query!r}: {exc2}") from exc2


def get_run(db: sqlite_utils.Database, run_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM runs WHERE id = ?", [run_id]))
    return rows[0] if rows else None


def run_pages(db: sqlite_utils.Database, run_id: int, outcome: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT url, outcome, reason, status, article_id FROM run_pages WHERE run_id = ?"
    params: list[Any] = [run_id]
    if outcome:
        sql += " AND outcome = ?"
        params.append(outcome)
    return list(db.query(sql + " ORDER BY id", params))


def list_runs(db: sqlite_utils.Database, *, limit: int = 20) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [limit]))
