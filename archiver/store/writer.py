"""Writes articles and run history in short batched transactions.

The per-page statements are plain SQL prepared from the record's spec:
sqlite-utils' insert() inspects the table on every call, which cost a crawl
more than SQLite's own work."""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from archiver.record import BY_NAME, EXTRACTED_COLUMNS, JSON_COLUMNS, VERSIONED_FIELDS
from archiver.store import raw as raw_pages
from archiver.store.schema import ArchiveError, connect, damaged, is_damage

# Outcomes a page can have in a run; the summary counts them. "not_due": archived,
# and not fetched since its revisit is not due (links found so are only counted).
ARCHIVED, UPDATED, UNCHANGED, SKIPPED, FAILED = "archived", "updated", "unchanged", "skipped", "failed"
NOT_DUE = "not_due"
OUTCOMES = (ARCHIVED, UPDATED, UNCHANGED, NOT_DUE, SKIPPED, FAILED)

# The articles columns a write sets: what extraction found, then the archive's own.
_ARTICLE_COLUMNS = (*EXTRACTED_COLUMNS, "version", "first_seen_at", "last_seen_at", "fetched_at")
_UPDATED_COLUMNS = (*EXTRACTED_COLUMNS, "version", "last_seen_at", "fetched_at")
_VERSION_COLUMNS = ("article_id", "version", "fetched_at", *VERSIONED_FIELDS)
_RESPONSE_COLUMNS = ("article_id", "version", "url", "final_url", "fetched_at", "status", "headers", "fetched_url",
                     "protocol", "header_list", "body", "compression", "size")
_RUN_PAGE_COLUMNS = ("run_id", "url", "outcome", "reason", "status", "article_id", "at")
_FETCH_COLUMNS = ("url", "status", "outcome", "reason", "fetched_at")
_FETCH_RESPONSE_COLUMNS = (*_FETCH_COLUMNS, "final_url", "article_id", "etag", "last_modified")
# With WARC capture on: where the payload is held in full (a later identical payload is a revisit).
_FETCH_WARC_COLUMNS = (*_FETCH_RESPONSE_COLUMNS, "payload_digest", "warc_record_id", "warc_target_uri", "warc_date")


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _upsert(table: str, columns: tuple[str, ...], key: str) -> str:
    """Insert a row, or set these columns of the row with the same key (sqlite-utils' upsert)."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    return f"{_insert(table, columns)} ON CONFLICT({key}) DO UPDATE SET {updates}"


_SQL = {
    "article": _insert("articles", _ARTICLE_COLUMNS),
    "article_update": f"UPDATE articles SET {', '.join(f'{c} = ?' for c in _UPDATED_COLUMNS)} WHERE id = ?",
    "seen": "UPDATE articles SET last_seen_at = ?, fetched_at = ? WHERE id = ?",
    "version": _insert("article_versions", _VERSION_COLUMNS),
    "response": _insert("responses", _RESPONSE_COLUMNS),
    "run_page": _insert("run_pages", _RUN_PAGE_COLUMNS),
    "fetch": _upsert("fetches", _FETCH_COLUMNS, "url"),
    "fetch_response": _upsert("fetches", _FETCH_RESPONSE_COLUMNS, "url"),
    "fetch_warc": _upsert("fetches", _FETCH_WARC_COLUMNS, "url"),
    "author": _insert("article_authors", ("article_id", "position", "name")),
    "tag": _insert("article_tags", ("article_id", "position", "tag")),
    "link": _insert("article_links", ("article_id", "position", "url", "text")),
}


def write_error(path: str | Path, exc: sqlite3.Error) -> ArchiveError:
    """A failed write as a message a person can act on (nothing of the batch was kept)."""
    if is_damage(exc):
        return damaged(path, exc)
    text = str(exc)
    hint = ""
    if "full" in text or "I/O" in text:
        hint = " (is the disk full?)"
    elif "readonly" in text or "read-only" in text:
        hint = " (is the file or its folder read-only?)"
    return ArchiveError(f"cannot write to the archive {path}: {text}{hint}")


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# A run whose process died without ending it (kill -9, a crash, a power cut).
KILLED = "killed"


def end_abandoned_runs(path: str | Path) -> list[dict[str, Any]]:
    """Record as killed every run of this machine's crawls still marked running.

    Call it only while holding the archive's crawl lock: then no other crawl is
    writing, so a run marked running is one whose process died. Runs of a
    distributed crawl are left alone (`archiver ingest` ends them).
    """
    db = connect(path)
    try:
        rows = list(db.query(
            "SELECT id, pid, started_at FROM runs WHERE status = 'running' "
            "AND (args IS NULL OR json_extract(args, '$.redis_run') IS NULL)"))
        with db.conn:
            for row in rows:
                # The run ended, at the latest, with the last page it recorded.
                db.execute(
                    "UPDATE runs SET status = ?, ended_at = COALESCE("
                    "(SELECT MAX(at) FROM run_pages WHERE run_id = ?), started_at) WHERE id = ?",
                    [KILLED, row["id"], row["id"]])
        return rows
    except sqlite3.Error as exc:
        raise write_error(path, exc) from exc
    finally:
        db.conn.close()


@dataclass
class Fetched:
    """One fetched page, ready to be written."""

    requested_url: str
    record: dict[str, Any]
    fetched_at: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""
    raw_packed: bytes = b""  # `raw` already compressed, when the caller has it
    packed_as: str = raw_pages.FORMAT  # how raw_packed is compressed (a store.raw format)
    # What the downloader received (archiver.capture): url, protocol, headers (a list of
    # [name, value] in the order received) and, with WARC capture on, "warc": {"original":
    # the record holding this payload in full}.
    capture: dict[str, Any] = field(default_factory=dict)


@dataclass
class PageOutcome:
    url: str
    outcome: str
    reason: str | None = None
    status: int | None = None


class ArchiveWriter:
    """The single writer of a crawl: buffers pages and writes them a batch at a time."""

    def __init__(self, path: str | Path, *, keep_raw: bool = True):
        self.path = path
        self.db = connect(path)
        self.keep_raw = keep_raw
        self._articles: list[Fetched] = []
        self._outcomes: list[PageOutcome] = []
        self._not_due = 0
        self.run_id: int | None = None

    # --- runs -------------------------------------------------------------
    def start_run(self, *, spider: str, mode: str, source: str | None = None, args: Any = None) -> int:
        with self.db.conn:
            self.run_id = self.db["runs"].insert(
                {
                    "started_at": utcnow(),
                    "status": "running",
                    "spider": spider,
                    "mode": mode,
                    "source": source,
                    "args": json.dumps(args) if args is not None else None,
                    "pid": os.getpid(),
                }
            ).last_pk
        return self.run_id

    def resume_run(self, run_id: int) -> None:
        """Write into an existing run again (a distributed run that workers took up again)."""
        self.run_id = run_id
        with self._transaction():
            self.db.execute("UPDATE runs SET status = 'running', ended_at = NULL WHERE id = ? AND status != 'running'",
                            [run_id])

    def finish_run(self, status: str) -> None:
        self.flush()
        if self.run_id is None:
            return
        try:
            with self._transaction():
                self.db["runs"].update(self.run_id, {"ended_at": utcnow(), "status": status, **self._counts()})
        except sqlite3.Error as exc:
            raise write_error(self.path, exc) from exc

    def _counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        counts["not_due"] = self._not_due
        for outcome, n in self.db.execute(
            "SELECT outcome, COUNT(*) FROM run_pages WHERE run_id = ? GROUP BY outcome", [self.run_id]
        ):
            counts[outcome] = counts.get(outcome, 0) + n
        return counts

    # --- pages ------------------------------------------------------------
    def add_article(self, page: Fetched) -> None:
        self._articles.append(page)

    def add_outcome(self, url: str, outcome: str, reason: str | None = None, status: int | None = None) -> None:
        self._outcomes.append(PageOutcome(url, outcome, reason, status))

    def count_not_due(self, n: int = 1) -> None:
        """Pages found already archived and not due: counted in the run, not fetched."""
        self._not_due += n

    @property
    def pending(self) -> int:
        return len(self._articles) + len(self._outcomes)

    def flush(self) -> None:
        """Write everything buffered in one transaction."""
        if not self.pending:
            return
        articles, outcomes = self._articles, self._outcomes
        self._articles, self._outcomes = [], []
        run_pages: list[tuple] = []
        try:
            with self._transaction():
                for page in articles:
                    article_id, outcome = self._store_article(page)
                    self._record_page(run_pages, page.requested_url, outcome, None, page.status, article_id, page)
                for item in outcomes:
                    article_id = self._touch_unchanged(item.url) if item.status == 304 else None
                    self._record_page(run_pages, item.url, item.outcome, item.reason, item.status, article_id, None)
                self.db.conn.executemany(_SQL["run_page"], run_pages)
                if self.run_id is not None:
                    self.db["runs"].update(self.run_id, self._counts())
        except sqlite3.Error as exc:
            raise write_error(self.path, exc) from exc

    @contextmanager
    def _transaction(self):
        """One write transaction, taken at once (IMMEDIATE), so readers never
        see half a batch and a crash loses at most the batch being written.

        `with conn:` is not enough: sqlite-utils commits each insert or update
        by itself unless a transaction is already open.
        """
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _touch_unchanged(self, url: str) -> int | None:
        """A 304 for a URL we archived: the article was seen again, unchanged."""
        row = self.db.execute("SELECT article_id FROM fetches WHERE url = ?", [url]).fetchone()
        if row and row[0]:
            self.db.execute("UPDATE articles SET last_seen_at = ? WHERE id = ?", [utcnow(), row[0]])
            return row[0]
        return None

    def _record_page(self, run_pages: list, url, outcome, reason, status, article_id, page: Fetched | None) -> None:
        now = page.fetched_at if page else utcnow()
        if self.run_id is not None:
            run_pages.append((self.run_id, url, outcome, reason, status, article_id, now))
        if (status is None and outcome == FAILED) or outcome == NOT_DUE:
            return  # never fetched (refused URL, DNS, connection, not due): nothing to remember
        fetch = (url, status, outcome, reason, now)
        if page is not None:
            # Only a full response replaces what we know of the URL: its article
            # and the validators for conditional revisits.
            headers = {k.lower(): v for k, v in page.headers.items()}
            fetch = (*fetch, page.record.get("url"), article_id, headers.get("etag"), headers.get("last-modified"))
            original = (page.capture.get("warc") or {}).get("original")
            if original:
                self.db.execute(_SQL["fetch_warc"], (*fetch, original["payload_digest"], original["record_id"],
                                                     original["uri"], original["date"]))
            else:
                self.db.execute(_SQL["fetch_response"], fetch)
            return
        if outcome == UNCHANGED and status != 304:
            return
        self.db.execute(_SQL["fetch"], fetch)

    def _store_article(self, page: Fetched) -> tuple[int, str]:
        record = page.record
        row = {col: record.get(col) for col in EXTRACTED_COLUMNS}
        for col in JSON_COLUMNS:
            row[col] = json.dumps(row[col] if row[col] is not None else BY_NAME[col].empty(), ensure_ascii=False)
        existing = self.db.execute("SELECT id, content_hash, version FROM articles WHERE url = ?", [row["url"]]).fetchone()
        execute = self.db.conn.execute
        if existing is None:
            row.update(version=1, first_seen_at=page.fetched_at, last_seen_at=page.fetched_at, fetched_at=page.fetched_at)
            article_id = execute(_SQL["article"], [row[c] for c in _ARTICLE_COLUMNS]).lastrowid
            version, outcome = 1, ARCHIVED
        else:
            article_id, old_hash, version = existing
            if old_hash == row["content_hash"]:
                execute(_SQL["seen"], [page.fetched_at, page.fetched_at, article_id])
                return article_id, UNCHANGED
            version += 1
            row.update(version=version, last_seen_at=page.fetched_at, fetched_at=page.fetched_at)
            execute(_SQL["article_update"], [*(row[c] for c in _UPDATED_COLUMNS), article_id])
            outcome = UPDATED
        self._write_children(article_id, record)
        row.update(article_id=article_id)
        execute(_SQL["version"], [row[c] for c in _VERSION_COLUMNS])
        if self.keep_raw and (page.raw or page.raw_packed):
            body, compression = ((page.raw_packed, page.packed_as) if page.raw_packed
                                 else (raw_pages.pack(page.raw), raw_pages.FORMAT))
            execute(_SQL["response"], (article_id, version, page.requested_url, record.get("url"), page.fetched_at,
                                       page.status, json.dumps(page.headers, ensure_ascii=False),
                                       page.capture.get("url"), page.capture.get("protocol"),
                                       json.dumps(page.capture["headers"], ensure_ascii=False)
                                       if page.capture.get("headers") else None,
                                       body, compression, len(page.raw)))
        return article_id, outcome

    def _write_children(self, article_id: int, record: dict[str, Any]) -> None:
        conn = self.db.conn
        for table in ("article_authors", "article_tags", "article_links"):
            conn.execute(f"DELETE FROM {table} WHERE article_id = ?", [article_id])
        conn.executemany(_SQL["author"], ((article_id, i, name) for i, name in enumerate(record.get("authors") or [])))
        conn.executemany(_SQL["tag"], ((article_id, i, tag) for i, tag in enumerate(record.get("tags") or [])))
        conn.executemany(_SQL["link"], ((article_id, i, link.get("url"), link.get("text"))
                                        for i, link in enumerate(record.get("related_links") or [])))

    def close(self) -> None:
        self.db.conn.close()
