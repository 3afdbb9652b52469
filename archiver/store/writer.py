"""Writes articles and run history in short batched transactions.

Besides the articles, a batch writes what a run learns about them: change records
(a new version, a removal, a return), the watch schedule of each watched article,
front pages (store.changes holds those writes), and the notifications still to send.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver import clock
from archiver.diff import CHANGE_FIELDS, MinChange, change_excerpt, measure_change
from archiver.record import BY_NAME, EXTRACTED_COLUMNS, JSON_COLUMNS, VERSIONED_FIELDS
from archiver.store import changes
from archiver.store.schema import ArchiveError, connect, damaged, is_damage

# Outcomes a page can have in a run; the summary counts them. "not_due": archived,
# and not fetched since its revisit is not due (links found so are only counted).
# "gone": an archived article whose page now says it is not there (404/410, the
# home page, a soft 404).
ARCHIVED, UPDATED, UNCHANGED, SKIPPED, FAILED = "archived", "updated", "unchanged", "skipped", "failed"
NOT_DUE, GONE = "not_due", "gone"
OUTCOMES = (ARCHIVED, UPDATED, UNCHANGED, NOT_DUE, SKIPPED, FAILED, GONE)



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
    return clock.stamp()


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
    check: bool = False  # a watch check


@dataclass
class PageOutcome:
    url: str
    outcome: str
    reason: str | None = None
    status: int | None = None
    check: bool = False


@dataclass(frozen=True)
class RunPolicy:
    """What a run does with the articles it sees, besides archiving them."""

    watch: float | None = None  # watch the articles it stores for this many seconds
    min_change: MinChange = MinChange()  # smaller changes are recorded as unchanged
    notify: tuple[str, ...] = ()  # URLs that get a JSON POST per change or removal


class ArchiveWriter:
    """The single writer of a crawl: buffers pages and writes them a batch at a time."""

    def __init__(self, path: str | Path, *, keep_raw: bool = True):
        self.path = path
        self.db = connect(path)
        self.keep_raw = keep_raw
        self._articles: list[Fetched] = []
        self._outcomes: list[PageOutcome] = []
        self._front_pages: list[tuple[str, str, list[dict]]] = []
        self._not_due = 0
        self.run_id: int | None = None
        self.source: str | None = None
        self.policy = RunPolicy()

    # --- runs -------------------------------------------------------------
    def start_run(self, *, spider: str, mode: str, source: str | None = None, args: Any = None,
                  policy: RunPolicy | None = None) -> int:
        self.source = source
        self.policy = policy or RunPolicy()
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
        counts["checks"] = 0
        for outcome, n, checks in self.db.execute(
            "SELECT outcome, COUNT(*), SUM(watch_check) FROM run_pages WHERE run_id = ? GROUP BY outcome",
            [self.run_id],
        ):
            counts[outcome] = counts.get(outcome, 0) + n
            counts["checks"] += checks or 0
        return counts

    # --- pages ------------------------------------------------------------
    def add_article(self, page: Fetched) -> None:
        self._articles.append(page)

    def add_outcome(self, url: str, outcome: str, reason: str | None = None, status: int | None = None,
                    *, check: bool = False) -> None:
        """A page without an article to store: skipped, failed, unchanged (304 or not due),
        or GONE (an archived article whose page says it is not there)."""
        self._outcomes.append(PageOutcome(url, outcome, reason, status, check))

    def add_front_page(self, url: str, fetched_at: str, links: list[dict]) -> None:
        """A fetch of a home or section page and its story links, in page order."""
        self._front_pages.append((url, fetched_at, links))

    def count_not_due(self, n: int = 1) -> None:
        """Pages found already archived and not due: counted in the run, not fetched."""
        self._not_due += n

    @property
    def pending(self) -> int:
        return len(self._articles) + len(self._outcomes) + len(self._front_pages)

    def flush(self) -> None:
        """Write everything buffered in one transaction."""
        if not self.pending:
            return
        articles, outcomes, front_pages = self._articles, self._outcomes, self._front_pages
        self._articles, self._outcomes, self._front_pages = [], [], []
        try:
            with self._transaction():
                for page in articles:
                    article_id, outcome, reason = self._store_article(page)
                    self._record_page(page.requested_url, outcome, reason, page.status, article_id, page, page.check)
                for item in outcomes:
                    article_id = None
                    if item.outcome == GONE:
                        article_id = self._mark_gone(item)
                        if article_id is None:  # nothing archived under that URL after all
                            item.outcome = FAILED
                    elif item.status == 304:
                        article_id = self._touch_unchanged(item.url, item.check)
                    elif item.outcome == NOT_DUE and self.policy.watch:
                        article_id = self._watch_not_due(item.url)
                    self._record_page(item.url, item.outcome, item.reason, item.status, article_id, None, item.check)
                for url, fetched_at, links in front_pages:
                    changes.store_front_page(self.db, url=url, fetched_at=fetched_at, links=links, run_id=self.run_id)
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

    def _touch_unchanged(self, url: str, check: bool) -> int | None:
        """A 304 for a URL we archived: the article was seen again, unchanged (back, if it was gone)."""
        article_id = changes.article_for_url(self.db, url)
        if article_id is None:
            return None
        now = utcnow()
        self.db["articles"].update(article_id, {"last_seen_at": now})
        back = self._came_back(article_id, now, 304)
        self._watched(article_id, now, changed=back is not None, check=check)
        return article_id

    def _watch_not_due(self, url: str) -> int | None:
        """A URL named to a watching run and archived, not due for a revisit: watched from
        now on, if it was not (its schedule, if it had one, is left as it is)."""
        article_id = changes.article_for_url(self.db, url)
        row = self.db.execute("SELECT a.url, a.first_seen_at FROM articles a WHERE a.id = ? AND NOT EXISTS "
                              "(SELECT 1 FROM watches w WHERE w.article_id = a.id)", [article_id]).fetchone()
        if row is not None:
            self._watched(article_id, utcnow(), changed=True, check=False, url=row[0], first_seen=row[1])
        return article_id

    def _mark_gone(self, item: PageOutcome) -> int | None:
        """An archived article whose page says it is not there: gone since now, unless it
        already was; its versions stay. None when the URL holds no article."""
        article_id = changes.article_for_url(self.db, item.url)
        if article_id is None:
            return None
        now = utcnow()
        gone_at, version = self.db.execute("SELECT gone_at, version FROM articles WHERE id = ?",
                                           [article_id]).fetchone()
        if gone_at is None:
            self.db["articles"].update(article_id, {"gone_at": now, "gone_reason": item.reason})
            self._change(article_id, "gone", now, version=version, reason=item.reason, status=item.status)
        self._watched(article_id, now, changed=gone_at is None, check=item.check)
        return article_id

    def _came_back(self, article_id: int, at: str, status: int | None) -> str | None:
        """The page of a gone article answers with the article again: why it counts as back, else None."""
        gone_at, version = self.db.execute("SELECT gone_at, version FROM articles WHERE id = ?",
                                           [article_id]).fetchone()
        if gone_at is None:
            return None
        self.db["articles"].update(article_id, {"gone_at": None, "gone_reason": None})
        reason = f"back: answers again (HTTP {status}; gone since {gone_at})"
        self._change(article_id, "back", at, version=version, status=status, reason=reason)
        return reason

    def _change(self, article_id: int, kind: str, at: str, **fields: Any) -> None:
        changes.record_change(self.db, article_id=article_id, kind=kind, at=at, run_id=self.run_id,
                              notify=self.policy.notify, **fields)

    def _watched(self, article_id: int, at: str, *, changed: bool, check: bool, url: str | None = None,
                 first_seen: str | None = None) -> None:
        changes.observe(self.db, article_id, at, changed=changed, check=check, source=self.source,
                        window=self.policy.watch, url=url, first_seen=first_seen)

    def _record_page(self, url, outcome, reason, status, article_id, page: Fetched | None, check: bool) -> None:
        now = page.fetched_at if page else utcnow()
        if self.run_id is not None:
            self.db["run_pages"].insert(
                {"run_id": self.run_id, "url": url, "outcome": outcome, "reason": reason,
                 "status": status, "article_id": article_id, "at": now, "watch_check": int(check)}
            )
        if (status is None and outcome == FAILED) or outcome == NOT_DUE:
            return  # never fetched (refused URL, DNS, connection, not due): nothing to remember
        fetch = {"url": url, "status": status, "outcome": outcome, "reason": reason, "fetched_at": now}
        if outcome == GONE:
            fetch["article_id"] = article_id
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

    def _store_article(self, page: Fetched) -> tuple[int, str, str | None]:
        """Store a page's article: (article id, outcome, reason). A new version also gets
        its change record, unless the change is below the run's min_change."""
        record = page.record
        at = page.fetched_at
        row = {col: record.get(col) for col in EXTRACTED_COLUMNS}
        for col in JSON_COLUMNS:
            row[col] = json.dumps(row[col] if row[col] is not None else BY_NAME[col].empty(), ensure_ascii=False)
        existing = next(self.db.query(
            f"SELECT id, content_hash, version, first_seen_at, {', '.join(CHANGE_FIELDS)} FROM articles WHERE url = ?",
            [row["url"]]), None)
        if existing is None:
            row.update(version=1, first_seen_at=at, last_seen_at=at, fetched_at=at)
            article_id = self.db["articles"].insert(row).last_pk
            version, outcome = 1, ARCHIVED
            self._watched(article_id, at, changed=True, check=page.check, url=row["url"], first_seen=at)
        else:
            article_id, version = existing["id"], existing["version"]
            back = self._came_back(article_id, at, page.status)
            watch = {"url": row["url"], "first_seen": existing["first_seen_at"], "check": page.check}
            reason = None
            if existing["content_hash"] != row["content_hash"]:
                old = {name: _decoded(name, existing[name]) for name in CHANGE_FIELDS}
                new = {name: record.get(name) for name in CHANGE_FIELDS}
                change = measure_change(old, new)
                if not self.policy.min_change.too_small(change):
                    version += 1
                    row.update(version=version, last_seen_at=at, fetched_at=at)
                    self.db["articles"].update(article_id, row)
                    self._change(article_id, "changed", at, version=version, from_version=version - 1,
                                 change=change, excerpt=change_excerpt(old, new, change))
                    self._watched(article_id, at, changed=True, **watch)
                    outcome = UPDATED
                else:
                    reason = self.policy.min_change.describe(change)
            if existing["content_hash"] == row["content_hash"] or reason:
                self.db["articles"].update(article_id, {"last_seen_at": at, "fetched_at": at})
                self._watched(article_id, at, changed=back is not None, **watch)
                return article_id, UNCHANGED, reason or back
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
        return article_id, outcome, None

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


def _decoded(name: str, value: Any) -> Any:
    """A stored column's value as extraction states it (JSON lists decoded)."""
    if name in JSON_COLUMNS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value
