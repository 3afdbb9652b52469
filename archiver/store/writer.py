"""Writes articles and run history in short batched transactions."""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from archiver.record import BY_NAME, EXTRACTED_COLUMNS, JSON_COLUMNS, VERSIONED_FIELDS
from archiver.store.schema import ArchiveError, connect, damaged, is_damage

# Outcomes a page can have in a run; the summary counts them. "not_due": archived,
# and not fetched since its revisit is not due (links found so are only counted).
ARCHIVED, UPDATED, UNCHANGED, SKIPPED, FAILED = "archived", "updated", "unchanged", "skipped", "failed"
NOT_DUE = "not_due"
OUTCOMES = (ARCHIVED, UPDATED, UNCHANGED, NOT_DUE, SKIPPED, FAILED)



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
    raw_zlib: bytes = b""  # `raw` already compressed (zlib), when the caller has it
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
    access: str | None = None  # of a page read and not stored (a wall, another language)


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

    def add_outcome(self, url: str, outcome: str, reason: str | None = None, status: int | None = None,
                    access: str | None = None) -> None:
        self._outcomes.append(PageOutcome(url, outcome, reason, status, access))

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
        try:
            with self._transaction():
                for page in articles:
                    article_id, outcome = self._store_article(page)
                    self._record_page(page.requested_url, outcome, None, page.status, article_id, page)
                for item in outcomes:
                    article_id = self._touch_unchanged(item.url) if item.status == 304 else None
                    self._record_page(item.url, item.outcome, item.reason, item.status, article_id, None, item.access)
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
            self.db["articles"].update(row[0], {"last_seen_at": utcnow()})
            return row[0]
        return None

    def _record_page(self, url, outcome, reason, status, article_id, page: Fetched | None,
                     access: str | None = None) -> None:
        now = page.fetched_at if page else utcnow()
        if self.run_id is not None:
            self.db["run_pages"].insert(
                {"run_id": self.run_id, "url": url, "outcome": outcome, "reason": reason,
                 "status": status, "article_id": article_id, "at": now}
            )
        if (status is None and outcome == FAILED) or outcome == NOT_DUE:
            return  # never fetched (refused URL, DNS, connection, not due): nothing to remember
        fetch = {"url": url, "status": status, "outcome": outcome, "reason": reason, "fetched_at": now}
        access = page.record.get("access") if page is not None else access
        if access:  # a 304 keeps what the last full response showed
            fetch["access"] = access
        if page is not None:
            # Only a full response replaces what we know of the URL: its article
            # and the validators for conditional revisits.
            headers = {k.lower(): v for k, v in page.headers.items()}
            fetch.update(final_url=page.record.get("url"), article_id=article_id,
                         etag=headers.get("etag"), last_modified=headers.get("last-modified"))
            original = (page.capture.get("warc") or {}).get("original")
            if original:
                fetch.update(payload_digest=original["payload_digest"], warc_record_id=original["record_id"],
                             warc_target_uri=original["uri"], warc_date=original["date"])
        if outcome == UNCHANGED and page is None and status != 304:
            return
        self.db["fetches"].upsert(fetch, pk="url")

    def _store_article(self, page: Fetched) -> tuple[int, str]:
        record = page.record
        row = {col: record.get(col) for col in EXTRACTED_COLUMNS}
        for col in JSON_COLUMNS:
            row[col] = json.dumps(row[col] if row[col] is not None else BY_NAME[col].empty(), ensure_ascii=False)
        existing = next(
            self.db.execute("SELECT id, content_hash, version FROM articles WHERE url = ?", [row["url"]]), None
        )
        if existing is None:
            row.update(version=1, first_seen_at=page.fetched_at, last_seen_at=page.fetched_at, fetched_at=page.fetched_at)
            article_id = self.db["articles"].insert(row).last_pk
            version, outcome = 1, ARCHIVED
        else:
            article_id, old_hash, version = existing
            if old_hash == row["content_hash"]:
                self.db["articles"].update(article_id, {"last_seen_at": page.fetched_at, "fetched_at": page.fetched_at})
                return article_id, UNCHANGED
            version += 1
            row.update(version=version, last_seen_at=page.fetched_at, fetched_at=page.fetched_at)
            self.db["articles"].update(article_id, row)
            outcome = UPDATED
        self._write_children(article_id, record)
        self.db["article_versions"].insert(
            {"article_id": article_id, "version": version, "fetched_at": page.fetched_at,
             **{col: row[col] for col in VERSIONED_FIELDS}}
        )
        if self.keep_raw and (page.raw or page.raw_zlib):
            self.db["responses"].insert(
                {
                    "article_id": article_id,
                    "version": version,
                    "url": page.requested_url,
                    "final_url": record.get("url"),
                    "fetched_at": page.fetched_at,
                    "status": page.status,
                    "headers": json.dumps(page.headers, ensure_ascii=False),
                    "fetched_url": page.capture.get("url"),
                    "protocol": page.capture.get("protocol"),
                    "header_list": json.dumps(page.capture["headers"], ensure_ascii=False)
                    if page.capture.get("headers") else None,
                    "body": page.raw_zlib or zlib.compress(page.raw, 6),
                    "compression": "zlib",
                    "size": len(page.raw),
                }
            )
        return article_id, outcome

    def _write_children(self, article_id: int, record: dict[str, Any]) -> None:
        for table in ("article_authors", "article_tags", "article_links"):
            self.db.execute(f"DELETE FROM {table} WHERE article_id = ?", [article_id])
        self.db["article_authors"].insert_all(
            {"article_id": article_id, "position": i, "name": name} for i, name in enumerate(record.get("authors") or [])
        )
        self.db["article_tags"].insert_all(
            {"article_id": article_id, "position": i, "tag": tag} for i, tag in enumerate(record.get("tags") or [])
        )
        self.db["article_links"].insert_all(
            {"article_id": article_id, "position": i, "url": link.get("url"), "text": link.get("text")}
            for i, link in enumerate(record.get("related_links") or [])
        )

    def close(self) -> None:
        self.db.conn.close()
