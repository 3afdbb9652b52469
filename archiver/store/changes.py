"""What the archive learns about articles over time: change records (and the
notifications they owe), the watch schedule of each watched article, front pages with
their story links in order. The writes run inside the writer's transactions (and
`crawl`'s enrolment and deliveries); the reads serve the CLI, notify and the web UI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from archiver import clock
from archiver.diff import Change
from archiver.revisits import Watch, next_check, observed


def article_for_url(db: sqlite_utils.Database, url: str) -> int | None:
    """The article stored under a URL, or fetched from it."""
    row = db.execute("SELECT id FROM articles WHERE url = ?", [url]).fetchone()
    if row is None:
        row = db.execute("SELECT article_id FROM fetches WHERE url = ? AND article_id IS NOT NULL", [url]).fetchone()
    return row[0] if row else None


def record_change(db: sqlite_utils.Database, *, article_id: int, kind: str, at: str, run_id: int | None,
                  version: int | None, from_version: int | None = None, change: Change | None = None,
                  reason: str | None = None, status: int | None = None, excerpt: str | None = None,
                  notify: tuple[str, ...] = ()) -> int:
    """A change record (kind "changed", "gone" or "back") and a pending notification
    of it for each target."""
    change_id = db["changes"].insert({
        "article_id": article_id, "kind": kind, "at": at, "run_id": run_id, "version": version,
        "from_version": from_version, "fields": json.dumps(list(change.fields) if change else []),
        "words_added": change.words_added if change else None,
        "words_removed": change.words_removed if change else None,
        "body_share": change.body_share if change else None,
        "reason": reason, "status": status, "excerpt": excerpt,
    }).last_pk
    for target in dict.fromkeys(notify):
        db["notifications"].insert({"change_id": change_id, "target": target, "run_id": run_id,
                                    "status": "pending", "attempts": 0, "created_at": at})
    return change_id


def _time(text: str) -> datetime:
    return clock.parse_time(text)


def observe(db: sqlite_utils.Database, article_id: int, at: str, *, changed: bool, check: bool,
            source: str | None, window: float | None, url: str | None = None,
            first_seen: str | None = None) -> None:
    """A look at a watched article's page at `at` moves its schedule on (a change starts
    it again). With a `window` (a run that watches what it stores) an article not yet
    watched starts being watched, and a watched one takes the run's source and window."""
    row = next(db.query("SELECT * FROM watches WHERE article_id = ?", [article_id]), None)
    if row is None:
        if not window or url is None:
            return
        watch = Watch(url=url, started=_time(first_seen or at), window=timedelta(seconds=window), last=_time(at))
        checks = 0
    else:
        watch = Watch.from_record(row, timedelta(seconds=window) if window else None)
        watch = observed(watch, _time(at), changed=changed)
        checks = row["checks"] + int(check)
        source = source if window else row["source"]
    due = next_check(watch)
    db["watches"].upsert({
        "article_id": article_id, "url": watch.url, "source": source, "started_at": clock.stamp(watch.started),
        "window": watch.window.total_seconds(), "last_at": clock.stamp(watch.last), "step": watch.step,
        "checks": checks, "next_check_at": clock.stamp(due) if due else None,
    }, pk="article_id")


def enroll_watches(db: sqlite_utils.Database, *, source: str, window: float) -> int:
    """Watch the articles a source's earlier runs stored, from their first archiving,
    and give the source's watched articles its window; how many started being watched.
    Only schedules that are new or whose window changed are computed again."""
    with db.conn:
        before = db.execute("SELECT COUNT(*) FROM watches").fetchone()[0]
        enrolled = db.execute("SELECT run_id FROM watch_enrolment WHERE source = ?", [source]).fetchone()
        # next_check_at '' marks the rows whose next check is still to be computed. Only
        # the pages of runs after the last enrolment are read (runs of this source that
        # watched have enrolled their articles as they stored them).
        db.execute(
            "INSERT OR IGNORE INTO watches (article_id, url, source, started_at, window, last_at, step, checks, "
            "next_check_at) SELECT DISTINCT a.id, a.url, ?, a.first_seen_at, ?, COALESCE(a.fetched_at, "
            "a.first_seen_at), 0, 0, '' FROM runs r JOIN run_pages p ON p.run_id = r.id "
            "JOIN articles a ON a.id = p.article_id WHERE r.source = ? AND r.id > ? "
            "AND NOT EXISTS (SELECT 1 FROM watches w WHERE w.article_id = a.id)",
            [source, window, source, enrolled[0] if enrolled else 0])
        # Up to the first run still open (none should be: this runs under the crawl lock).
        db.execute("INSERT OR REPLACE INTO watch_enrolment (source, run_id) SELECT ?, MAX(id) FROM runs "
                   "WHERE source = ? AND id < COALESCE((SELECT MIN(id) FROM runs WHERE source = ? AND ended_at IS NULL), "
                   "9e18) HAVING MAX(id) IS NOT NULL", [source, source, source])
        db.execute("UPDATE watches SET window = ?, next_check_at = '' WHERE source = ? AND window != ?",
                   [window, source, window])
        rows = list(db.query("SELECT * FROM watches WHERE source = ? AND next_check_at = ''", [source]))
        db.conn.executemany("UPDATE watches SET next_check_at = ? WHERE article_id = ?",
                            ((clock.stamp(due) if due else None, row["article_id"])
                             for row in rows for due in [next_check(Watch.from_record(row))]))
        return db.execute("SELECT COUNT(*) FROM watches").fetchone()[0] - before


def store_front_page(db: sqlite_utils.Database, *, url: str, fetched_at: str, links: list[dict],
                     run_id: int | None) -> int:
    """One fetch of a front page. Links the same as the page's last fetch are not stored
    again: the fetch points at the one that holds them (same_as)."""
    ordered = [(i, link.get("url"), link.get("text") or "") for i, link in enumerate(links, start=1)]
    last = next(db.query("SELECT id, same_as FROM frontpages WHERE url = ? ORDER BY fetched_at DESC, id DESC "
                         "LIMIT 1", [url]), None)
    same_as = None
    if last is not None:
        holder = last["same_as"] or last["id"]
        stored = db.execute("SELECT position, url, text FROM frontpage_links WHERE frontpage_id = ? "
                            "ORDER BY position", [holder]).fetchall()
        if [tuple(r) for r in stored] == ordered:
            same_as = holder
    frontpage_id = db["frontpages"].insert({"url": url, "fetched_at": fetched_at, "run_id": run_id,
                                            "links": len(ordered), "same_as": same_as}).last_pk
    if same_as is None:
        db["frontpage_links"].insert_all(
            {"frontpage_id": frontpage_id, "position": i, "url": link_url, "text": text}
            for i, link_url, text in ordered)
    return frontpage_id


def record_delivery(db: sqlite_utils.Database, notification_id: int, *, sent: bool, attempts: int,
                    http_status: int | None, error: str | None, give_up: bool) -> None:
    """What came of delivering a notification: sent, still pending, or failed for good."""
    status = "sent" if sent else "failed" if give_up else "pending"
    update: dict[str, Any] = {"status": status, "attempts": attempts, "http_status": http_status, "error": error}
    if sent:
        update["sent_at"] = clock.stamp()
    with db.conn:
        db["notifications"].update(notification_id, update)


# --- reads -----------------------------------------------------------------------

_CHANGE_COLUMNS = ("c.id AS change_id, c.at, c.kind, c.article_id, a.site, a.title, c.fields, c.words_added, "
                   "c.words_removed, c.body_share, c.from_version, c.version, c.reason, c.status, c.run_id, "
                   "c.excerpt, a.url")


def _decoded_change(row: dict[str, Any]) -> dict[str, Any]:
    try:
        row["fields"] = json.loads(row["fields"] or "[]")
    except ValueError:
        row["fields"] = []
    return row


def list_changes(db: sqlite_utils.Database, *, since: str | None = None, sites: tuple[str, ...] = (),
                 article_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Changes and removals, newest first: `since` a time (UTC ISO 8601) they were seen at or after."""
    clauses, params = [], []
    if since:
        clauses.append("c.at >= ?")
        params.append(since)
    if sites:
        clauses.append(f"a.site COLLATE NOCASE IN ({', '.join('?' * len(sites))})")
        params += sites
    if article_id is not None:
        clauses.append("c.article_id = ?")
        params.append(article_id)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = db.query(f"SELECT {_CHANGE_COLUMNS} FROM changes c JOIN articles a ON a.id = c.article_id {where} "
                    "ORDER BY c.at DESC, c.id DESC LIMIT ?", [*params, limit])
    return [_decoded_change(row) for row in rows]


def pending_notifications(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Notifications not yet delivered, oldest first, with their change."""
    rows = db.query(f"SELECT n.id, n.target, n.attempts, {_CHANGE_COLUMNS} FROM notifications n "
                    "JOIN changes c ON c.id = n.change_id JOIN articles a ON a.id = c.article_id "
                    "WHERE n.status = 'pending' ORDER BY n.id")
    return [_decoded_change(row) for row in rows]


def run_notifications(db: sqlite_utils.Database, run_id: int) -> list[dict[str, Any]]:
    """A run's notifications per target and status: {target, status, n}."""
    if not db["notifications"].exists():
        return []
    return list(db.query("SELECT target, status, COUNT(*) AS n FROM notifications WHERE run_id = ? "
                         "GROUP BY target, status ORDER BY target, status", [run_id]))


def watches_due(db: sqlite_utils.Database, source: str | None, now: datetime) -> list[dict[str, Any]]:
    """The watches of a source (None: those of `crawl --watch`) whose next check is due by
    `now`, soonest first (next_check_at is indexed: a cron tick reads only these)."""
    return list(db.query("SELECT * FROM watches WHERE source IS ? AND next_check_at IS NOT NULL "
                         "AND next_check_at != '' AND next_check_at <= ? ORDER BY next_check_at, article_id",
                         [source, clock.stamp(now)]))


def get_watch(db: sqlite_utils.Database, article_id: int) -> dict[str, Any] | None:
    if not db["watches"].exists():
        return None
    return next(db.query("SELECT * FROM watches WHERE article_id = ?", [article_id]), None)


def front_page_urls(db: sqlite_utils.Database, url: str) -> list[str]:
    """The front pages stored under a URL (as given, or with or without its final slash)."""
    candidates = list(dict.fromkeys([url, url.rstrip("/"), url.rstrip("/") + "/"]))
    marks = ", ".join("?" * len(candidates))
    return [u for (u,) in db.execute(f"SELECT DISTINCT url FROM frontpages WHERE url IN ({marks})", candidates)]


def front_page_at(db: sqlite_utils.Database, url: str, at: str | None) -> dict[str, Any] | None:
    """The fetch of a front page last before (or at) `at` (None: the latest), with its links."""
    sql = "SELECT * FROM frontpages WHERE url = ?" + (" AND fetched_at <= ?" if at else "")
    params = [url, at] if at else [url]
    row = next(db.query(sql + " ORDER BY fetched_at DESC, id DESC LIMIT 1", params), None)
    if row is None:
        return None
    row["link_list"] = list(db.query(
        "SELECT l.position, l.text, l.url, a.id AS article_id FROM frontpage_links l "
        "LEFT JOIN articles a ON a.url = l.url WHERE l.frontpage_id = ? ORDER BY l.position",
        [row["same_as"] or row["id"]]))
    return row


def story_positions(db: sqlite_utils.Database, url: str) -> list[dict[str, Any]]:
    """Every stored fetch of a front page that linked to `url`, oldest first, with its place."""
    return list(db.query("SELECT front_page, fetched_at, position, text FROM frontpage_positions WHERE url = ? "
                         "ORDER BY fetched_at, front_page", [url]))
