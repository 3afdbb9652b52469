"""Writes articles and run history in short batched transactions.

The per-page statements are plain SQL prepared from the record's spec:
sqlite-utils' insert() inspects the table on every call, which cost a crawl
more than SQLite's own work.

Besides the articles, a batch writes what a run learns about them: change records
(a new version, a removal, a return), the watch schedule of each watched article,
front pages (store.changes holds those writes), and the notifications still to send.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archiver import clock
from archiver.diff import CHANGE_FIELDS, MinChange, change_excerpt, measure_change
from archiver.record import BY_NAME, EXTRACTED_COLUMNS, JSON_COLUMNS, VERSIONED_FIELDS, differences, makes_version
from archiver.store import changes, clusters
from archiver.store import raw as raw_pages
from archiver.store.queries import to_record
from archiver.store.schema import ArchiveError, connect, damaged, is_damage

# Outcomes a page can have in a run; the summary counts them. "not_due": archived,
# and not fetched since its revisit is not due (links found so are only counted).
# "gone": an archived article whose page now says it is not there (404/410, the
# home page, a soft 404).
ARCHIVED, UPDATED, UNCHANGED, SKIPPED, FAILED = "archived", "updated", "unchanged", "skipped", "failed"
NOT_DUE, GONE = "not_due", "gone"
OUTCOMES = (ARCHIVED, UPDATED, UNCHANGED, NOT_DUE, SKIPPED, FAILED, GONE)
# What a run counts without listing: links not due for a revisit, and the records
# an import passed over (outside its filters, or imported by an earlier run).
TALLIES = ("not_due", "outside_filters", "imported_before")


# The articles columns a write sets: what extraction found, then the archive's own.
_ARTICLE_COLUMNS = (*EXTRACTED_COLUMNS, "version", "first_seen_at", "last_seen_at", "fetched_at")
_VERSION_COLUMNS = ("article_id", "version", "fetched_at", *VERSIONED_FIELDS)
_RESPONSE_COLUMNS = ("article_id", "version", "url", "final_url", "fetched_at", "status", "headers", "fetched_url",
                     "protocol", "header_list", "body", "compression", "size")
_RUN_PAGE_COLUMNS = ("run_id", "url", "outcome", "reason", "status", "article_id", "at", "capture", "watch_check")
_FETCH_COLUMNS = ("url", "status", "outcome", "reason", "fetched_at", "access")
# A gone article's URL keeps pointing at it (its page may have been one it was never fetched from).
_FETCH_GONE_COLUMNS = (*_FETCH_COLUMNS, "article_id")
_FETCH_RESPONSE_COLUMNS = (*_FETCH_COLUMNS, "final_url", "article_id", "etag", "last_modified")
# With WARC capture on: where the payload is held in full (a later identical payload is a revisit).
_FETCH_WARC_COLUMNS = (*_FETCH_RESPONSE_COLUMNS, "payload_digest", "warc_record_id", "warc_target_uri", "warc_date")


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _upsert(table: str, columns: tuple[str, ...], key: str, keep: tuple[str, ...] = ()) -> str:
    """Insert a row, or set these columns of the row with the same key (sqlite-utils' upsert);
    a NULL given for a `keep` column leaves the row's value."""
    updates = ", ".join(f"{c} = COALESCE(excluded.{c}, {table}.{c})" if c in keep else f"{c} = excluded.{c}"
                        for c in columns if c != key)
    return f"{_insert(table, columns)} ON CONFLICT({key}) DO UPDATE SET {updates}"


_SQL = {
    "article": _insert("articles", _ARTICLE_COLUMNS),
    "article_update": f"UPDATE articles SET {', '.join(f'{c} = ?' for c in _ARTICLE_COLUMNS)} WHERE id = ?",
    "seen": "UPDATE articles SET first_seen_at = ?, last_seen_at = ?, fetched_at = ? WHERE id = ?",
    "version": _insert("article_versions", _VERSION_COLUMNS),
    "response": _insert("responses", _RESPONSE_COLUMNS),
    "run_page": _insert("run_pages", _RUN_PAGE_COLUMNS),
    "fetch": _upsert("fetches", _FETCH_COLUMNS, "url", keep=("access",)),
    "fetch_gone": _upsert("fetches", _FETCH_GONE_COLUMNS, "url", keep=("access",)),
    "fetch_response": _upsert("fetches", _FETCH_RESPONSE_COLUMNS, "url", keep=("access",)),
    "fetch_warc": _upsert("fetches", _FETCH_WARC_COLUMNS, "url", keep=("access",)),
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
    raw_packed: bytes = b""  # `raw` already compressed, when the caller has it
    packed_as: str = raw_pages.FORMAT  # how raw_packed is compressed (a store.raw format)
    # What the downloader received (archiver.capture): url, protocol, headers (a list of
    # [name, value] in the order received) and, with WARC capture on, "warc": {"original":
    # the record holding this payload in full}.
    capture: dict[str, Any] = field(default_factory=dict)
    import_key: str | None = None  # an imported page: the WARC record or Wayback capture it came from
    # The id of the article whose stored response this is, extracted again (`archiver
    # reextract`): compared field by field with its current version, never a sighting.
    reextract_of: int | None = None
    check: bool = False  # a watch check


@dataclass
class PageOutcome:
    url: str
    outcome: str
    reason: str | None = None
    status: int | None = None
    access: str | None = None  # of a page read and not stored (a wall, another language)
    import_key: str | None = None
    seen_at: str | None = None  # an imported revisit record: the article was seen then, unchanged
    check: bool = False  # a watch check


@dataclass(frozen=True)
class RunPolicy:
    """What a run does with the articles it sees, besides archiving them."""

    watch: float | None = None  # watch the articles it stores for this many seconds
    min_change: MinChange = MinChange()  # smaller changes are recorded as unchanged
    notify: tuple[str, ...] = ()  # URLs that get a JSON POST per change or removal


class ArchiveWriter:
    """The single writer of a crawl, an import or a re-extraction: buffers pages and
    writes them a batch at a time.

    Pages may arrive in any order of fetch time: versions are numbered in the order
    their pages were fetched, and a page fetched before the article's newest
    sighting becomes an earlier version, never the current one (see _store_article).
    `remember_fetches=False` (imports, re-extraction) leaves the `fetches` table,
    archiver's own fetches that revisits are planned from, alone, and so the watch
    schedules and gone state, which only archiver's own fetches tell.
    """

    def __init__(self, path: str | Path, *, keep_raw: bool = True, remember_fetches: bool = True):
        self.path = path
        self.db = connect(path)
        self.keep_raw = keep_raw
        self.remember_fetches = remember_fetches
        self._articles: list[Fetched] = []
        self._outcomes: list[PageOutcome] = []
        self._front_pages: list[tuple[str, str, list[dict]]] = []
        self._tallies = dict.fromkeys(TALLIES, 0)
        self._cursor: str | None = None
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

    def continue_run(self, run_id: int) -> str | None:
        """Continue an interrupted run where it stopped (its counts go on); its cursor."""
        row = self.db.execute(f"SELECT cursor, {', '.join(TALLIES)} FROM runs WHERE id = ?", [run_id]).fetchone()
        if row is None:
            raise ArchiveError(f"no run {run_id} in {self.path}")
        self._cursor = row[0]
        self._tallies = dict(zip(TALLIES, (n or 0 for n in row[1:])))
        self.resume_run(run_id)
        return self._cursor

    def set_cursor(self, cursor: str) -> None:
        """Where the run has got to; written with the next batch, in its transaction."""
        self._cursor = cursor

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
        counts.update(self._tallies)
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

    def add_outcome(self, url: str, outcome: str, reason: str | None = None, status: int | None = None, *,
                    check: bool = False, import_key: str | None = None, seen_at: str | None = None,
                    access: str | None = None) -> None:
        """A page without an article to store: skipped, failed, unchanged (304 or not due),
        or GONE (an archived article whose page says it is not there)."""
        self._outcomes.append(PageOutcome(url, outcome, reason, status, access=access, import_key=import_key,
                                          seen_at=seen_at, check=check))

    def add_front_page(self, url: str, fetched_at: str, links: list[dict]) -> None:
        """A fetch of a home or section page and its story links, in page order."""
        self._front_pages.append((url, fetched_at, links))

    def count_not_due(self, n: int = 1) -> None:
        """Pages found already archived and not due: counted in the run, not fetched."""
        self.tally("not_due", n)

    def tally(self, name: str, n: int = 1) -> None:
        """Count records of the run that get no line of their own (see TALLIES)."""
        self._tallies[name] += n

    @property
    def pending(self) -> int:
        return len(self._articles) + len(self._outcomes) + len(self._front_pages)

    def flush(self) -> None:
        """Write everything buffered in one transaction."""
        if not self.pending and self._cursor is None:
            return
        articles, outcomes, front_pages = self._articles, self._outcomes, self._front_pages
        self._articles, self._outcomes, self._front_pages = [], [], []
        run_pages: list[tuple] = []
        try:
            with self._transaction():
                for page in articles:
                    article_id, outcome, reason = self._store_article(page)
                    self._record_page(run_pages, page.requested_url, outcome, reason, page.status, article_id,
                                      page, import_key=page.import_key, check=page.check)
                for item in outcomes:
                    article_id = None
                    if item.seen_at:
                        article_id = self._touch_seen(item.url, item.seen_at)
                    elif item.outcome == GONE:
                        article_id = self._mark_gone(item)
                        if article_id is None:  # nothing archived under that URL after all
                            item.outcome = FAILED
                    elif item.status == 304:
                        article_id = self._touch_unchanged(item.url, item.check)
                    elif item.outcome == NOT_DUE and self.policy.watch:
                        article_id = self._watch_not_due(item.url)
                    self._record_page(run_pages, item.url, item.outcome, item.reason, item.status, article_id,
                                      None, import_key=item.import_key, access=item.access, check=item.check)
                self.db.conn.executemany(_SQL["run_page"], run_pages)
                for url, fetched_at, links in front_pages:
                    changes.store_front_page(self.db, url=url, fetched_at=fetched_at, links=links, run_id=self.run_id)
                if self.run_id is not None:
                    cursor = {"cursor": self._cursor} if self._cursor is not None else {}
                    self.db["runs"].update(self.run_id, {**self._counts(), **cursor})
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
        self.db.execute("UPDATE articles SET last_seen_at = ? WHERE id = ?", [now, article_id])
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
            self.db.execute("UPDATE articles SET gone_at = ?, gone_reason = ? WHERE id = ?",
                            [now, item.reason, article_id])
            self._change(article_id, "gone", now, version=version, reason=item.reason, status=item.status)
        self._watched(article_id, now, changed=gone_at is None, check=item.check)
        return article_id

    def _came_back(self, article_id: int, at: str, status: int | None, gone_at: str | None = None,
                   version: int | None = None) -> str | None:
        """The page of a gone article answers with the article again: why it counts as back, else None.
        `gone_at` and `version`: the article's, when the caller has read them."""
        if not self.remember_fetches:
            return None  # an import or re-extraction: an old capture says nothing of the page now
        if version is None:
            gone_at, version = self.db.execute("SELECT gone_at, version FROM articles WHERE id = ?",
                                               [article_id]).fetchone()
        if gone_at is None:
            return None
        self.db.execute("UPDATE articles SET gone_at = NULL, gone_reason = NULL WHERE id = ?", [article_id])
        reason = f"back: answers again (HTTP {status}; gone since {gone_at})"
        self._change(article_id, "back", at, version=version, status=status, reason=reason)
        return reason

    def _change(self, article_id: int, kind: str, at: str, **fields: Any) -> None:
        changes.record_change(self.db, article_id=article_id, kind=kind, at=at, run_id=self.run_id,
                              notify=self.policy.notify, **fields)

    def _watched(self, article_id: int, at: str, *, changed: bool, check: bool, url: str | None = None,
                 first_seen: str | None = None) -> None:
        if not self.remember_fetches:
            return  # an import or re-extraction: not a look at the page as it is now
        changes.observe(self.db, article_id, at, changed=changed, check=check, source=self.source,
                        window=self.policy.watch, url=url, first_seen=first_seen)

    def _touch_seen(self, url: str, at: str) -> int | None:
        """An imported revisit record: the article at `url` was seen at `at`, unchanged."""
        row = self.db.execute("SELECT id, last_seen_at FROM articles WHERE url = ?", [url]).fetchone()
        if row is None:
            return None
        if at > (row[1] or ""):
            self.db["articles"].update(row[0], {"last_seen_at": at})
        return row[0]

    def _record_page(self, run_pages: list, url, outcome, reason, status, article_id, page: Fetched | None, *,
                     import_key: str | None = None, access: str | None = None, check: bool = False) -> None:
        now = page.fetched_at if page else utcnow()
        if self.run_id is not None:
            run_pages.append((self.run_id, url, outcome, reason, status, article_id, now, import_key, int(check)))
        if not self.remember_fetches:
            return
        if (status is None and outcome == FAILED) or outcome == NOT_DUE:
            return  # never fetched (refused URL, DNS, connection, not due): nothing to remember
        access = page.record.get("access") if page is not None else access
        # Without an access status (a 304, a failure) the fetch keeps what the last full response showed.
        fetch = (url, status, outcome, reason, now, access or None)
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
        if outcome == GONE:
            self.db.execute(_SQL["fetch_gone"], (*fetch, article_id))
            return
        self.db.execute(_SQL["fetch"], fetch)

    def _store_article(self, page: Fetched) -> tuple[int, str, str | None]:
        """Store a page as its article's first version, a new version, an earlier
        version or a sighting of one it has; (article id, outcome, reason).

        Versions are numbered by fetch time. A page fetched after everything known
        of the article is compared with the current version (a crawl's case); one
        fetched before the article's last sighting (an import of older captures)
        is compared with the version in force at its time and the one after it:
        the same content as either is a sighting (the later one then dates from
        this capture), other content an earlier version slotted in by its time,
        the later versions renumbered. The article's fields stay the current
        version's.

        On the newest sighting a new version gets its change record, unless the change
        is below the run's min_change (then it is a sighting, with that reason), and a
        gone article that answers again is back.
        """
        row = self._row(page.record)
        if page.reextract_of is not None:
            return self._reextracted(page.reextract_of, row, page)
        at = page.fetched_at
        existing = self.db.execute(
            "SELECT id, version, content_hash, first_seen_at, last_seen_at, gone_at FROM articles WHERE url = ?",
            [row["url"]],
        ).fetchone()
        if existing is None:
            row.update(version=1, first_seen_at=at, last_seen_at=at, fetched_at=at)
            article_id = self.db.conn.execute(_SQL["article"], [row[c] for c in _ARTICLE_COLUMNS]).lastrowid
            self._write_children(article_id, page.record)
            clusters.file_article(self.db, article_id, page.record)
            self._add_version(article_id, 1, row, page)
            self._watched(article_id, at, changed=True, check=page.check, url=row["url"], first_seen=at)
            return article_id, ARCHIVED, None
        article_id, current, current_hash, first_seen, last_seen, gone_at = existing
        seen = {"first_seen_at": min(first_seen or at, at), "last_seen_at": max(last_seen or at, at)}
        versions = self.db.execute(
            "SELECT version, content_hash, fetched_at FROM article_versions WHERE article_id = ? ORDER BY version",
            [article_id],
        ).fetchall()
        in_force = next((v for v in reversed(versions) if v[2] <= at), None)
        later = next((v for v in versions if v[2] > at), None)
        if later is None and at >= (last_seen or ""):
            # The newest sighting: the current version, or a new one.
            back = self._came_back(article_id, at, page.status, gone_at, current)
            watch = {"url": row["url"], "first_seen": first_seen, "check": page.check}
            reason = None
            if current_hash != row["content_hash"]:
                old = to_record(next(self.db.query(
                    f"SELECT {', '.join(CHANGE_FIELDS)} FROM articles WHERE id = ?", [article_id])))
                change = measure_change(old, page.record)
                if self.policy.min_change.too_small(change):
                    reason = self.policy.min_change.describe(change)
                else:
                    row.update(version=current + 1, fetched_at=at, **seen)
                    self.db.conn.execute(_SQL["article_update"], [*(row[c] for c in _ARTICLE_COLUMNS), article_id])
                    self._write_children(article_id, page.record)
                    clusters.file_article(self.db, article_id, page.record)
                    self._add_version(article_id, current + 1, row, page)
                    self._change(article_id, "changed", at, version=current + 1, from_version=current,
                                 change=change, excerpt=change_excerpt(old, page.record, change))
                    self._watched(article_id, at, changed=True, **watch)
                    return article_id, UPDATED, None
            self.db.conn.execute(_SQL["seen"], [seen["first_seen_at"], seen["last_seen_at"], at, article_id])
            self._watched(article_id, at, changed=back is not None, **watch)
            return article_id, UNCHANGED, reason or back
        if in_force is not None and in_force[1] == row["content_hash"]:
            self.db["articles"].update(article_id, seen)
            return article_id, UNCHANGED, None
        if later is not None and later[1] == row["content_hash"]:
            self.db.execute("UPDATE article_versions SET fetched_at = ? WHERE article_id = ? AND version = ?",
                            [at, article_id, later[0]])
            self.db["articles"].update(article_id, seen)
            return article_id, UNCHANGED, f"an earlier capture of version {later[0]}"
        number = in_force[0] + 1 if in_force is not None else 1
        self._renumber_from(article_id, number)
        self._add_version(article_id, number, row, page)
        added = 1
        reason = f"an earlier version, fetched before version {number + 1}"
        if later is None:
            # Captured between the current version and its last sighting: the
            # current content was seen again after this one.
            self._repeat_version(article_id, current, number + 1, last_seen)
            added, reason = 2, f"an earlier version, fetched before the article was last seen ({last_seen})"
        self.db["articles"].update(article_id, {**seen, "version": current + added})
        return article_id, UPDATED, reason

    def _reextracted(self, article_id: int, row: dict, page: Fetched) -> tuple[int, str, str | None]:
        """A stored response extracted again: a new current version when a versioned
        field changed, the article's other fields refreshed in place when only they did.
        The article keeps its URL (extraction may now read another canonical URL)."""
        stored = next(self.db.query("SELECT * FROM articles WHERE id = ?", [article_id]))
        current = stored["version"]
        changed = differences(to_record(stored), page.record)
        if not changed:
            return article_id, UNCHANGED, None
        row.update(url=stored["url"], site=stored["site"])
        self._write_children(article_id, page.record)
        clusters.file_article(self.db, article_id, page.record)
        if not makes_version(changed):
            self.db["articles"].update(article_id, row)
            return article_id, UPDATED, "refreshed without a new version: " + ", ".join(changed)
        row["version"] = current + 1
        self.db["articles"].update(article_id, row)
        self._add_version(article_id, current + 1, row, page)
        return article_id, UPDATED, f"new version {current + 1}: " + ", ".join(changed)

    def _row(self, record: dict[str, Any]) -> dict[str, Any]:
        row = {col: record.get(col) for col in EXTRACTED_COLUMNS}
        for col in JSON_COLUMNS:
            row[col] = json.dumps(row[col] if row[col] is not None else BY_NAME[col].empty(), ensure_ascii=False)
        return row

    def _add_version(self, article_id: int, version: int, row: dict[str, Any], page: Fetched) -> None:
        execute = self.db.conn.execute
        execute(_SQL["version"], [article_id, version, page.fetched_at, *(row[c] for c in VERSIONED_FIELDS)])
        if self.keep_raw and page.reextract_of is None and (page.raw or page.raw_packed):
            body, compression = ((page.raw_packed, page.packed_as) if page.raw_packed
                                 else (raw_pages.pack(page.raw), raw_pages.FORMAT))
            execute(_SQL["response"], (article_id, version, page.requested_url, page.record.get("url"),
                                       page.fetched_at, page.status, json.dumps(page.headers, ensure_ascii=False),
                                       page.capture.get("url"), page.capture.get("protocol"),
                                       json.dumps(page.capture["headers"], ensure_ascii=False)
                                       if page.capture.get("headers") else None,
                                       body, compression, len(page.raw)))

    def _renumber_from(self, article_id: int, number: int) -> None:
        """Make room for a version numbered `number`: later versions (and their
        responses) move up by one. Through negative numbers, since the unique
        (article_id, version) index is checked row by row."""
        self.db.execute("UPDATE article_versions SET version = -(version + 1) WHERE article_id = ? AND version >= ?",
                        [article_id, number])
        self.db.execute("UPDATE article_versions SET version = -version WHERE article_id = ? AND version < 0",
                        [article_id])
        self.db.execute("UPDATE responses SET version = version + 1 WHERE article_id = ? AND version >= ?",
                        [article_id, number])
        # Change records name the versions they compare: they follow the renumbering.
        self.db.execute("UPDATE changes SET version = version + 1 WHERE article_id = ? AND version >= ?",
                        [article_id, number])
        self.db.execute("UPDATE changes SET from_version = from_version + 1 WHERE article_id = ? AND from_version >= ?",
                        [article_id, number])

    def _repeat_version(self, article_id: int, source: int, number: int, fetched_at: str) -> None:
        columns = ", ".join(VERSIONED_FIELDS)
        self.db.execute(
            f"INSERT INTO article_versions (article_id, version, fetched_at, {columns}) "
            f"SELECT article_id, ?, ?, {columns} FROM article_versions WHERE article_id = ? AND version = ?",
            [number, fetched_at, article_id, source],
        )

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
