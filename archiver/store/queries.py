"""Read-side queries over the archive: search, show, export rows, run history."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlite_utils

from archiver.record import CHECKED_FIELDS, JSON_COLUMNS, RECORD_FIELDS, VERSIONED_FIELDS
from archiver.revisits import WATCH_MODE
from archiver.store import raw

_FTS_WORD = re.compile(r"\w+", re.UNICODE)


# SQLite's largest integer: an id above it names nothing (and cannot even be a parameter).
MAX_ID = 2**63 - 1
VERSIONED_LISTS = tuple(col for col in VERSIONED_FIELDS if col in JSON_COLUMNS)


class QueryError(Exception):
    """A query the user wrote that SQLite cannot run (e.g. bad FTS syntax)."""


def to_record(row: dict[str, Any], *, with_provenance: bool = False) -> dict[str, Any]:
    """A stored row in the export shape (lists decoded from JSON)."""
    row = dict(row)
    for col in JSON_COLUMNS:
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


def count_articles(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]


def get_article(db: sqlite_utils.Database, ref: str) -> dict[str, Any] | None:
    """An article by numeric id or by URL (as stored, or as the URL it was fetched from)."""
    rows: list[dict[str, Any]] = []
    if ref.isascii() and ref.isdigit() and int(ref) <= MAX_ID:
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


def search(
    db: sqlite_utils.Database, query: str, *, limit: int = 20, filters: ArticleFilters | None = None,
    marks: tuple[str, str] = ("[", "]"),
) -> list[dict[str, Any]]:
    """Full-text search over title and body, best matches (bm25, titles weighted 5x) first.
    The snippet puts `marks` around the words that matched.

    The ranking is set through FTS5's `rank` column so FTS5 sorts inside the
    index and snippets are made only for the rows returned: ten times faster
    than ORDER BY bm25(...) on a large archive.
    """
    filters = filters or ArticleFilters()
    # With --dedupe, the copy kept for a cluster must match the query too.
    matching = "b.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"

    def run(text: str) -> list[dict[str, Any]]:
        where, params = filters.where("a", member=(matching, [text]))
        sql = f"""
            SELECT a.id, a.title, a.published_at, a.site, a.url,
                   snippet(articles_fts, 1, ?, ?, '…', 16) AS snippet,
                   articles_fts.rank AS rank
            FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
            WHERE articles_fts MATCH ? AND articles_fts.rank MATCH 'bm25(5.0, 1.0)'
                  {"AND " + where if where else ""}
            ORDER BY articles_fts.rank LIMIT ?
        """
        return list(db.query(sql, [*marks, text, *params, limit]))

    try:
        return run(query)
    except sqlite3.OperationalError as exc:
        fallback = _quoted(query)
        if not fallback:
            raise QueryError(_fts_message(query, exc)) from exc
        try:
            return run(fallback)
        except sqlite3.OperationalError as exc2:
            raise QueryError(_fts_message(query, exc2)) from exc2


def _fts_message(query: str, exc: Exception) -> str:
    return (f"cannot search for {query!r} ({exc}); use words, \"exact phrases\", OR, NOT, "
            "prefix* (SQLite FTS5 syntax)")


# --- filtered reads: list, export, stats (archiver list/stats/sql/export) -----


def filter_date(text: str) -> str:
    """A day (2024-03-06) or an ISO 8601 date-time, as `since`/`until` take it; ValueError if not."""
    text = text.strip()
    try:
        if len(text) == 10:
            date.fromisoformat(text)
        else:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or ISO 8601 date-time") from None
    return text


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class ArticleFilters:
    """The filters `search`, `list` and `export` share. A repeated filter matches
    any of its values; different filters must all match."""

    sites: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()  # case-insensitive substring of an author's name
    tags: tuple[str, ...] = ()
    since: str | None = None  # publication date/time, inclusive, compared as the page wrote it
    until: str | None = None  # a bare day includes that whole day
    gone: bool = False  # only articles found gone (and not back)
    languages: tuple[str, ...] = ()  # "de" matches de, de-AT, de-CH...
    dedupe: bool = False  # one article per syndication cluster (see one_per_cluster)

    def where(self, alias: str = "a", *, member: tuple[str, list[Any]] = ("", [])) -> tuple[str, list[Any]]:
        """A SQL condition over articles aliased `alias`, and its parameters. With dedupe,
        `member` is a further condition (over alias "b") that another article of the
        cluster must meet to be the one kept instead (search: matching the query)."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.dedupe:
            inner, inner_params = replace(self, dedupe=False).where("b")
            extra = " AND ".join(c for c in (inner, member[0]) if c)
            clauses.append(one_per_cluster(alias, extra))
            params += [*inner_params, *member[1]]
        if self.sites:
            clauses.append(f"{alias}.site COLLATE NOCASE IN ({', '.join('?' * len(self.sites))})")
            params += self.sites
        if self.authors:
            likes = " OR ".join("aa.name LIKE ? ESCAPE '\\'" for _ in self.authors)
            clauses.append(f"EXISTS (SELECT 1 FROM article_authors aa WHERE aa.article_id = {alias}.id AND ({likes}))")
            params += [f"%{_like_escape(a)}%" for a in self.authors]
        if self.tags:
            marks = ", ".join("?" * len(self.tags))
            clauses.append(
                f"EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = {alias}.id "
                f"AND t.tag COLLATE NOCASE IN ({marks}))"
            )
            params += self.tags
        if self.languages:
            likes = " OR ".join(f"{alias}.language = ? COLLATE NOCASE OR {alias}.language LIKE ? ESCAPE '\\'"
                                for _ in self.languages)
            clauses.append(f"({likes})")
            for code in self.languages:
                params += [code, f"{_like_escape(code)}-%"]
        if self.since:
            clauses.append(f"{alias}.published_at >= ?")
            params.append(self.since)
        if self.until:
            if len(self.until) == 10:
                clauses.append(f"substr({alias}.published_at, 1, 10) <= ?")
            else:
                clauses.append(f"{alias}.published_at <= ?")
            params.append(self.until)
        if self.gone:
            clauses.append(f"{alias}.gone_at IS NOT NULL")
        return " AND ".join(clauses), params


def one_per_cluster(alias: str, condition: str = "") -> str:
    """Keep one article of each syndication cluster among those meeting `condition`
    (over alias "b"): the cluster's original, else its first archived copy."""
    other = f"b.cluster_id = {alias}.cluster_id AND b.id != {alias}.id"
    before = f"(b.id = b.cluster_id OR ({alias}.id != {alias}.cluster_id AND b.id < {alias}.id))"
    return (f"NOT EXISTS (SELECT 1 FROM articles b WHERE {other} AND {before}"
            + (f" AND {condition})" if condition else ")"))


@dataclass(frozen=True)
class ChangeWindow:
    """Articles (and responses) stored after one export and up to the next one."""

    after_version: int = 0
    upto_version: int | None = None
    after_response: int = 0
    upto_response: int | None = None


def list_articles(
    db: sqlite_utils.Database, filters: ArticleFilters | None = None, *, limit: int = 20
) -> list[dict[str, Any]]:
    """Articles newest first (publication time, else first seen), filtered."""
    where, params = (filters or ArticleFilters()).where("a")
    sql = (
        "SELECT a.id, a.title, a.published_at, a.site, a.byline, a.url, a.word_count, a.version, a.gone_at, "
        "a.gone_reason "
        f"FROM articles a {'WHERE ' + where if where else ''} "
        "ORDER BY COALESCE(a.published_at, a.first_seen_at) DESC, a.id DESC LIMIT ?"
    )
    return list(db.query(sql, [*params, limit]))


def _article_condition(filters: ArticleFilters | None, window: ChangeWindow | None) -> tuple[str, list[Any]]:
    where, params = (filters or ArticleFilters()).where("a")
    clauses = [where] if where else []
    if window is not None:
        clauses.append(
            "EXISTS (SELECT 1 FROM article_versions v WHERE v.article_id = a.id AND v.id > ?"
            + (" AND v.id <= ?)" if window.upto_version is not None else ")")
        )
        params.append(window.after_version)
        if window.upto_version is not None:
            params.append(window.upto_version)
    return " AND ".join(clauses), params


def count_filtered(
    db: sqlite_utils.Database, filters: ArticleFilters | None = None, window: ChangeWindow | None = None
) -> int:
    where, params = _article_condition(filters, window)
    return db.execute(f"SELECT COUNT(*) FROM articles a {'WHERE ' + where if where else ''}", params).fetchone()[0]


def iter_filtered(
    db: sqlite_utils.Database,
    filters: ArticleFilters | None = None,
    window: ChangeWindow | None = None,
    *,
    batch: int = 500,
) -> Iterator[dict[str, Any]]:
    """Matching articles in id order, as records, a batch at a time (flat memory)."""
    where, params = _article_condition(filters, window)
    columns = ", ".join(f"a.{name}" for name in RECORD_FIELDS)
    sql = f"SELECT {columns} FROM articles a WHERE a.id > ? {'AND ' + where if where else ''} ORDER BY a.id LIMIT ?"
    last_id = 0
    while True:
        rows = list(db.query(sql, [last_id, *params, batch]))
        if not rows:
            return
        for row in rows:
            yield to_record(row)
        last_id = rows[-1]["id"]


def iter_filtered_json(
    db: sqlite_utils.Database,
    filters: ArticleFilters | None = None,
    window: ChangeWindow | None = None,
    *,
    batch: int = 1000,
) -> Iterator[str]:
    """Matching articles as JSON text in the export shape, id order, a batch at a time.

    SQLite builds the JSON (json_object): decoding the stored lists into Python
    and encoding every record again cost more than the rest of an export.
    """
    where, params = _article_condition(filters, window)
    members = ", ".join(
        f"'{name}', " + (f"CASE WHEN json_valid(a.{name}) THEN json(a.{name}) END" if name in JSON_COLUMNS
                         else f"a.{name}")
        for name in RECORD_FIELDS
    )
    sql = (f"SELECT a.id, json_object({members}) FROM articles a "
           f"WHERE a.id > ? {'AND ' + where if where else ''} ORDER BY a.id LIMIT ?")
    last_id = 0
    while True:
        rows = db.execute(sql, [last_id, *params, batch]).fetchall()
        if not rows:
            return
        for _, text in rows:
            yield text
        last_id = rows[-1][0]


def _response_condition(filters: ArticleFilters | None, window: ChangeWindow | None) -> tuple[str, list[Any]]:
    where, params = (filters or ArticleFilters()).where("a")
    clauses = [where] if where else []
    if window is not None:
        clauses.append("r.id > ?")
        params.append(window.after_response)
        if window.upto_response is not None:
            clauses.append("r.id <= ?")
            params.append(window.upto_response)
    return " AND ".join(clauses), params


def count_responses(
    db: sqlite_utils.Database, filters: ArticleFilters | None = None, window: ChangeWindow | None = None
) -> int:
    where, params = _response_condition(filters, window)
    sql = f"SELECT COUNT(*) FROM responses r JOIN articles a ON a.id = r.article_id {'WHERE ' + where if where else ''}"
    return db.execute(sql, params).fetchone()[0]


def iter_responses(
    db: sqlite_utils.Database,
    filters: ArticleFilters | None = None,
    window: ChangeWindow | None = None,
) -> Iterator[dict[str, Any]]:
    """Stored raw responses of matching articles, one at a time, body decompressed."""
    where, params = _response_condition(filters, window)
    sql = (
        "SELECT r.id, r.article_id, r.version, r.url, r.final_url, r.fetched_url, r.fetched_at, r.status, "
        "r.protocol, r.headers, r.header_list, r.body, r.compression FROM responses r "
        "JOIN articles a ON a.id = r.article_id "
        f"WHERE r.id > ? {'AND ' + where if where else ''} ORDER BY r.id LIMIT 1"
    )
    last_id = 0
    while True:
        rows = list(db.query(sql, [last_id, *params]))
        if not rows:
            return
        last_id = rows[0]["id"]
        yield _decoded_response(rows[0])


def _decoded_response(row: dict[str, Any]) -> dict[str, Any]:
    body = row.pop("body") or b""
    row["body"] = raw.unpack(body, row.pop("compression"))
    for name, empty in (("headers", {}), ("header_list", [])):
        try:
            row[name] = json.loads(row.get(name) or "null") or empty
        except ValueError:
            row[name] = empty
    return row


_RESPONSE_COLUMNS = "id, article_id, version, url, final_url, fetched_at, status, headers, size"


def article_responses(db: sqlite_utils.Database, article_id: int) -> list[dict[str, Any]]:
    """The stored raw responses of an article, oldest first, without their bodies."""
    return list(db.query(
        f"SELECT {_RESPONSE_COLUMNS} FROM responses WHERE article_id = ? ORDER BY id", [article_id]
    ))


def get_response(db: sqlite_utils.Database, response_id: int) -> dict[str, Any] | None:
    """One stored raw response, body decompressed (the bytes as they were served)."""
    rows = list(db.query(f"SELECT {_RESPONSE_COLUMNS}, body, compression FROM responses WHERE id = ?",
                         [response_id]))
    return _decoded_response(rows[0]) if rows else None


def change_marks(db: sqlite_utils.Database) -> tuple[int, int]:
    """The newest article version and response ids: where an export stops."""
    versions = db.execute("SELECT COALESCE(MAX(id), 0) FROM article_versions").fetchone()[0]
    responses = db.execute("SELECT COALESCE(MAX(id), 0) FROM responses").fetchone()[0]
    return versions, responses


def last_export(db: sqlite_utils.Database, key: str) -> dict[str, Any] | None:
    if not db["export_state"].exists():
        return None
    rows = list(db.query("SELECT * FROM export_state WHERE key = ?", [key]))
    return rows[0] if rows else None


def remember_export(db: sqlite_utils.Database, key: str, *, version_mark: int, response_mark: int,
                    path: str, count: int, exported_at: str) -> None:
    """Where an incremental (`--since-last`) export stopped, for the next one."""
    with db.conn:
        db["export_state"].upsert(
            {"key": key, "version_mark": version_mark, "response_mark": response_mark,
             "path": path, "count": count, "exported_at": exported_at},
            pk="key",
        )


def get_version(db: sqlite_utils.Database, article_id: int, version: int) -> dict[str, Any] | None:
    """One stored version of an article (title, byline, dates, body as they were)."""
    rows = list(
        db.query("SELECT * FROM article_versions WHERE article_id = ? AND version = ?", [article_id, version])
    )
    if not rows:
        return None
    return _decoded_version(rows[0])


def _decoded_version(row: dict[str, Any]) -> dict[str, Any]:
    """A version row with its list fields (authors, agencies) decoded from JSON."""
    for col in VERSIONED_LISTS:
        if isinstance(row.get(col), str):
            try:
                row[col] = json.loads(row[col])
            except ValueError:
                row[col] = None
    return row


def version_numbers(db: sqlite_utils.Database, article_id: int) -> list[int]:
    return [v for (v,) in db.execute(
        "SELECT version FROM article_versions WHERE article_id = ? ORDER BY version", [article_id]
    )]


def site_stats(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query(
        "SELECT site, COUNT(*) AS articles, MIN(published_at) AS first_published, "
        "MAX(published_at) AS last_published, SUM(version > 1) AS changed "
        "FROM articles GROUP BY site ORDER BY articles DESC, site"
    ))


def day_stats(db: sqlite_utils.Database, *, limit: int = 30) -> list[dict[str, Any]]:
    """Articles per publication day (the page's own date), newest days first."""
    return list(db.query(
        "SELECT substr(published_at, 1, 10) AS day, COUNT(*) AS articles FROM articles "
        "WHERE published_at IS NOT NULL GROUP BY day ORDER BY day DESC LIMIT ?", [limit]
    ))


def day_site_stats(db: sqlite_utils.Database, *, days: int = 60) -> list[dict[str, Any]]:
    """Articles per publication day and site, for the `days` days up to the newest one."""
    return list(db.query(
        "SELECT substr(published_at, 1, 10) AS day, site, COUNT(*) AS articles FROM articles "
        "WHERE published_at IS NOT NULL AND substr(published_at, 1, 10) > ("
        "  SELECT date(MAX(substr(published_at, 1, 10)), ?) FROM articles WHERE published_at IS NOT NULL) "
        "GROUP BY day, site ORDER BY day, site", [f"-{days} days"]
    ))


def author_stats(db: sqlite_utils.Database, *, limit: int = 20) -> list[dict[str, Any]]:
    return list(db.query(
        "SELECT name AS author, COUNT(DISTINCT article_id) AS articles FROM article_authors "
        "GROUP BY name ORDER BY articles DESC, name LIMIT ?", [limit]
    ))


def missing_field_stats(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Per site, how many articles lack each field (NULL, empty text or empty list):
    the extraction health report."""
    missing = ", ".join(
        f"SUM({name} IS NULL OR TRIM({name}) IN ('', '[]')) AS {name}" for name in CHECKED_FIELDS
    )
    return list(db.query(f"SELECT site, COUNT(*) AS articles, {missing} FROM articles GROUP BY site ORDER BY site"))


def provenance_stats(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Per site and field, how many articles took the field from each source."""
    return list(db.query(
        "SELECT a.site, p.key AS field, p.value AS source, COUNT(*) AS articles "
        "FROM articles a, json_each(CASE WHEN json_valid(a.provenance) THEN a.provenance ELSE '{}' END) p "
        "WHERE p.value IS NOT NULL GROUP BY a.site, p.key, p.value ORDER BY a.site, p.key, articles DESC"
    ))


def access_stats(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Per site, the pages fetched and how many of them had each access status
    (free, paywalled, consent-wall...): which sites need attention (cookies, a browser)."""
    counts: dict[str, dict[str, int]] = {}
    # The host, as record.finalize() names a site: lower case, no port, no "www.".
    for site, access, n in db.execute(
        "WITH f AS (SELECT access, substr(url, instr(url, '://') + 3) AS rest FROM fetches WHERE access IS NOT NULL), "
        "h AS (SELECT access, lower(CASE WHEN instr(rest, '/') THEN substr(rest, 1, instr(rest, '/') - 1) "
        "ELSE rest END) AS host FROM f), "
        "p AS (SELECT access, CASE WHEN instr(host, ':') THEN substr(host, 1, instr(host, ':') - 1) ELSE host END "
        "AS host FROM h) "
        "SELECT CASE WHEN host LIKE 'www.%' THEN substr(host, 5) ELSE host END AS site, access, COUNT(*) "
        "FROM p GROUP BY site, access"
    ):
        per_site = counts.setdefault(site, {})
        per_site[access] = per_site.get(access, 0) + n
    return [{"site": site, "pages": sum(c.values()), **dict(sorted(c.items(), key=lambda kv: -kv[1]))}
            for site, c in sorted(counts.items())]


def _base(column: str) -> str:
    return (f"lower(CASE WHEN instr({column}, '-') THEN substr({column}, 1, instr({column}, '-') - 1) "
            f"ELSE {column} END)")


def language_stats(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Per site and language, the articles, and how many of them declare another language."""
    return list(db.query(
        f"SELECT site, {_base('language')} AS language, COUNT(*) AS articles, "
        f"SUM(declared_language IS NOT NULL AND {_base('declared_language')} != {_base('language')}) AS mismatched "
        "FROM articles WHERE language IS NOT NULL GROUP BY site, 2 ORDER BY site, articles DESC"
    ))


def run_readonly_sql(db: sqlite_utils.Database, sql: str, params: dict[str, Any] | None = None):
    """Run a user's SQL on a read-only connection: (column names, row cursor)."""
    db.conn.execute("PRAGMA query_only = ON")
    # query_only also covers ATTACHed files, but refuse attaching outright.
    db.conn.set_authorizer(
        lambda action, *_: sqlite3.SQLITE_DENY if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH)
        else sqlite3.SQLITE_OK
    )
    try:
        cursor = db.conn.execute(sql, params or {})
    except sqlite3.Error as exc:
        message = str(exc)
        if "readonly" in message or "query_only" in message or "not authorized" in message:
            message += " (archiver sql is read-only)"
        raise QueryError(f"cannot run the query: {message}") from exc
    columns = [d[0] for d in cursor.description or ()]

    def rows() -> Iterator[tuple]:
        try:
            yield from cursor
        except sqlite3.Error as exc:
            raise QueryError(f"cannot run the query: {exc}") from exc

    return columns, rows()


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


# Outcomes after which a URL holds an archived article.
_ARCHIVED_OUTCOMES = ("archived", "updated", "unchanged", "gone")


def fetch_state(db: sqlite_utils.Database, url: str) -> dict[str, Any] | None:
    """What the archive remembers of a URL: last fetch time, outcome, validators."""
    rows = list(
        db.query(
            "SELECT url, article_id, outcome, fetched_at, etag, last_modified, payload_digest, warc_record_id, "
            "warc_target_uri, warc_date FROM fetches WHERE url = ?", [url]
        )
    )
    if not rows:
        return None
    state = rows[0]
    state["archived"] = state["outcome"] in _ARCHIVED_OUTCOMES and state["article_id"] is not None
    return state


def last_finished_run(db: sqlite_utils.Database, source: str) -> dict[str, Any] | None:
    """The newest run of a source that finished (for --due scheduling); runs that only
    made watch checks (mode "watch") do not count."""
    rows = list(
        db.query(
            "SELECT * FROM runs WHERE source = ? AND status = 'finished' AND mode != ? "
            "ORDER BY started_at DESC, id DESC LIMIT 1",
            [source, WATCH_MODE]
        )
    )
    return rows[0] if rows else None


def article_versions(db: sqlite_utils.Database, article_id: int) -> list[dict[str, Any]]:
    """Every stored version of an article, oldest first."""
    rows = list(db.query("SELECT * FROM article_versions WHERE article_id = ? ORDER BY version", [article_id]))
    return [_decoded_version(row) for row in rows]


def distributed_run(db: sqlite_utils.Database, redis_run: str, job: str) -> int | None:
    """The run `archiver ingest` records for one job of a distributed run."""
    row = db.execute(
        "SELECT id FROM runs WHERE json_extract(args, '$.redis_run') = ? AND json_extract(args, '$.job') = ? "
        "ORDER BY id LIMIT 1", [redis_run, job],
    ).fetchone()
    return row[0] if row else None


def page_recorded(db: sqlite_utils.Database, run_id: int, url: str) -> bool:
    """Whether the run already has an outcome for this URL (re-ingesting after a crash)."""
    return db.execute("SELECT 1 FROM run_pages WHERE run_id = ? AND url = ? LIMIT 1", [run_id, url]).fetchone() is not None


def run_page_urls(db: sqlite_utils.Database, run_id: int) -> set[str]:
    """Every URL the run has an outcome for (a distributed writer skips pages sent twice)."""
    return {row[0] for row in db.execute("SELECT url FROM run_pages WHERE run_id = ?", [run_id])}


def archived_fetch_states(db: sqlite_utils.Database, urls: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Fetch states of the URLs that hold an archived article (all, or those of `urls`):
    what workers need to apply the revisit policy without the archive."""
    outcomes = ", ".join("?" * len(_ARCHIVED_OUTCOMES))
    sql = ("SELECT url, fetched_at, etag, last_modified FROM fetches "
           f"WHERE article_id IS NOT NULL AND outcome IN ({outcomes})")
    if urls is None:
        yield from db.query(sql, list(_ARCHIVED_OUTCOMES))
        return
    for start in range(0, len(urls), 500):
        chunk = urls[start:start + 500]
        yield from db.query(f"{sql} AND url IN ({', '.join('?' * len(chunk))})", [*_ARCHIVED_OUTCOMES, *chunk])


def capture_imported(db: sqlite_utils.Database, key: str) -> bool:
    """Whether a run already took this capture (WARC record, Wayback capture) in:
    stored it, found it unchanged or not an article. Failed ones are tried again."""
    return db.execute(
        "SELECT 1 FROM run_pages WHERE capture = ? AND outcome != 'failed' LIMIT 1", [key]
    ).fetchone() is not None


def _reextract_condition(filters: ArticleFilters | None, ids: tuple[int, ...],
                         fetched_since: str | None) -> tuple[str, list[Any]]:
    where, params = (filters or ArticleFilters()).where("a")
    clauses = [where] if where else []
    if ids:
        clauses.append(f"a.id IN ({', '.join('?' * len(ids))})")
        params.extend(ids)
    if fetched_since:
        clauses.append("(SELECT MAX(r.fetched_at) FROM responses r WHERE r.article_id = a.id) >= ?")
        params.append(fetched_since)
    return " AND ".join(clauses) or "1", params


def count_reextract(db: sqlite_utils.Database, filters: ArticleFilters | None = None, ids: tuple[int, ...] = (),
                    fetched_since: str | None = None, after_id: int = 0) -> int:
    where, params = _reextract_condition(filters, ids, fetched_since)
    return db.execute(f"SELECT COUNT(*) FROM articles a WHERE a.id > ? AND {where}", [after_id, *params]).fetchone()[0]


def reextract_articles(db: sqlite_utils.Database, filters: ArticleFilters | None = None, ids: tuple[int, ...] = (),
                       fetched_since: str | None = None, after_id: int = 0,
                       page: int = 100) -> Iterator[dict[str, Any]]:
    """Articles to extract again, in id order after `after_id`, each with `response`:
    the stored response of its current version, decompressed, or None when that
    version has none (crawled with ARCHIVER_KEEP_RAW=0, or re-extracted from none)."""
    where, params = _reextract_condition(filters, ids, fetched_since)
    while True:
        rows = list(db.query(f"SELECT a.* FROM articles a WHERE a.id > ? AND {where} ORDER BY a.id LIMIT ?",
                             [after_id, *params, page]))
        for row in rows:
            responses = list(db.query(
                f"SELECT {_RESPONSE_COLUMNS}, body, compression FROM responses r WHERE r.article_id = ? "
                "AND r.fetched_at >= (SELECT v.fetched_at FROM article_versions v WHERE v.article_id = r.article_id "
                "AND v.version = ?) ORDER BY r.fetched_at DESC, r.id DESC LIMIT 1", [row["id"], row["version"]]))
            row["response"] = _decoded_response(responses[0]) if responses else None
            yield to_record(row, with_provenance=True) | {"response": row["response"]}
        if len(rows) < page:
            return
        after_id = rows[-1]["id"]


def unfinished_run(db: sqlite_utils.Database, mode: str, args: Any) -> dict[str, Any] | None:
    """The newest run of `mode` with these arguments that never finished (killed or
    interrupted): the one a resumable command takes up again."""
    rows = list(db.query(
        "SELECT * FROM runs WHERE mode = ? AND args = ? AND status IN ('running', 'interrupted', 'killed') "
        "ORDER BY id DESC LIMIT 1", [mode, json.dumps(args)]))
    return rows[0] if rows else None
