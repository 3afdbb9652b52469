"""The archive's schema, created and upgraded through sqlite-utils migrations."""

from __future__ import annotations

import sqlite3
import stat
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

    # Raw responses, compressed (the compression column: zstd, or zlib in older rows), so articles can be re-extracted later.
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


@migrations()
def m004_responses_as_received(db: sqlite_utils.Database) -> None:
    # A response as the downloader received it, before decompression: the URL the
    # bytes were served at, the protocol of the status line, and the headers as a
    # list in the order received (repeated headers one entry each). `headers` stays
    # the dict the pages and validators read.
    db["responses"].add_column("fetched_url", str)
    db["responses"].add_column("protocol", str)
    db["responses"].add_column("header_list", str)  # JSON [[name, value], ...]


@migrations()
def m005_warc_captures(db: sqlite_utils.Database) -> None:
    # The WARC record that holds a URL's last payload in full (written with
    # `crawl --warc`), so an identical payload fetched later is a revisit record.
    for column in ("payload_digest", "warc_record_id", "warc_target_uri", "warc_date"):
        db["fetches"].add_column(column, str)


@migrations()
def m006_agencies(db: sqlite_utils.Database) -> None:
    # Organisations credited (wire services, outlets), apart from the people in
    # `authors`. Rows archived before keep NULL: what extraction then put in
    # `authors` stays as it was until the article is extracted again.
    db["articles"].add_column("agencies", str)
    db["article_versions"].add_column("agencies", str)


@migrations()
def m007_extractor(db: sqlite_utils.Database) -> None:
    # Which extraction produced each article and version (record.py's `extractor`);
    # NULL for what was stored before it was recorded.
    db["articles"].add_column("extractor", str)
    db["article_versions"].add_column("extractor", str)


@migrations()
def m008_history_runs(db: sqlite_utils.Database) -> None:
    # Imports and re-extraction are runs too. `cursor`: where a re-extraction got
    # to, so a killed one resumes; `outside_filters`, `imported_before`: records an
    # import passed over (counted, not listed); a page's `capture` names the WARC
    # record or Wayback capture it came from, so importing it again is skipped.
    db["runs"].add_column("cursor", str)
    db["runs"].add_column("outside_filters", int, not_null_default=0)
    db["runs"].add_column("imported_before", int, not_null_default=0)
    db["run_pages"].add_column("capture", str)
    db["run_pages"].create_index(["capture"])


@migrations()
def m009_syndication_clusters(db: sqlite_utils.Database) -> None:
    # Syndication clusters (store/clusters.py): each article's cluster (the id of its
    # original), its MinHash signature and wire credit, and its band buckets, looked up
    # by an index (WITHOUT ROWID: the key is the index, stored once). Articles archived
    # before are filed now, in the order they were archived.
    db["articles"].add_column("cluster_id", int)
    db["articles"].create_index(["cluster_id"])
    db.execute("CREATE TABLE article_signatures (article_id INTEGER PRIMARY KEY REFERENCES articles(id), "
               "signature BLOB NOT NULL, shingles INTEGER NOT NULL, credit TEXT)")
    db.execute("CREATE TABLE signature_bands (bucket INTEGER NOT NULL, article_id INTEGER NOT NULL, "
               "PRIMARY KEY (bucket, article_id)) WITHOUT ROWID")
    from archiver.store.clusters import file_all

    file_all(db)


@migrations()
def m010_change_records(db: sqlite_utils.Database) -> None:
    # Each new version's change (which fields, how many words), and each removal
    # and return of an article, newest last; `archiver changes` lists them.
    db["changes"].create(
        {
            "id": int,
            "article_id": int,
            "kind": str,  # changed | gone | back
            "at": str,  # when the crawl saw it (the fetch time)
            "run_id": int,
            "version": int,  # the version it made (changed), or the article's version
            "from_version": int,
            "fields": str,  # JSON list of the fields that changed
            "words_added": int,
            "words_removed": int,
            "body_share": float,  # part of the body's words removed or added
            "reason": str,  # gone: why (HTTP 404, redirected to the home page, soft 404)
            "status": int,
            "excerpt": str,  # the change as notifications and the feed show it
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["changes"].create_index(["article_id", "id"])
    db["changes"].create_index(["at"])
    # The standfirst is compared between versions too; the latest version of each
    # article gets the description the article row holds.
    db["article_versions"].add_column("description", str)
    db.execute(
        "UPDATE article_versions SET description = (SELECT a.description FROM articles a "
        "WHERE a.id = article_versions.article_id AND a.version = article_versions.version)"
    )


@migrations()
def m011_gone(db: sqlite_utils.Database) -> None:
    # An article whose page answers 404/410, sends readers to the home or a section
    # page, or says "page not found": gone since the first check that saw it so,
    # until the page comes back. Its versions stay.
    db["articles"].add_column("gone_at", str)
    db["articles"].add_column("gone_reason", str)
    db["articles"].create_index(["gone_at"])
    db["runs"].add_column("gone", int, not_null_default=0)


@migrations()
def m012_watches(db: sqlite_utils.Database) -> None:
    # Watched articles and where each one's decaying check schedule stands
    # (archiver.revisits.Watch); checks are counted per run and marked per page.
    db["watches"].create(
        {
            "article_id": int,
            "url": str,  # what a check requests
            "source": str,  # the source that watches it; NULL: `crawl --watch`
            "started_at": str,  # the window counts from here (the article's first archiving)
            "window": float,  # seconds
            "last_at": str,  # the last check, or when the schedule restarted
            "step": int,  # checks since then
            "checks": int,  # checks made in all
            "next_check_at": str,  # NULL: the window is over
        },
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["watches"].create_index(["source", "next_check_at"])
    db["runs"].add_column("checks", int, not_null_default=0)
    db["run_pages"].add_column("watch_check", int, not_null_default=0)


@migrations()
def m013_front_pages(db: sqlite_utils.Database) -> None:
    # Each fetch of a followed home or section page, with its story links in page
    # order; a fetch whose links are those of an earlier one points at it (same_as)
    # instead of storing them again. frontpage_positions flattens that for SQL.
    db["frontpages"].create(
        {"id": int, "url": str, "fetched_at": str, "run_id": int, "links": int, "same_as": int},
        pk="id",
    )
    db["frontpages"].create_index(["url", "fetched_at"])
    db["frontpage_links"].create(
        {"frontpage_id": int, "position": int, "url": str, "text": str},
        pk=("frontpage_id", "position"),
        foreign_keys=[("frontpage_id", "frontpages", "id")],
    )
    db["frontpage_links"].create_index(["url"])
    db.create_view(
        "frontpage_positions",
        "SELECT f.url AS front_page, f.fetched_at, l.position, l.url, l.text, f.id AS frontpage_id "
        "FROM frontpages f JOIN frontpage_links l ON l.frontpage_id = COALESCE(f.same_as, f.id)",
    )


@migrations()
def m014_notifications(db: sqlite_utils.Database) -> None:
    # One JSON POST per change and target (`--notify`, a source's `notify`): pending
    # until a 2xx answer, with its attempts; the run is the one that saw the change.
    db["notifications"].create(
        {
            "id": int,
            "change_id": int,
            "target": str,
            "run_id": int,
            "status": str,  # pending | sent | failed (gave up)
            "attempts": int,
            "http_status": int,
            "error": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        foreign_keys=[("change_id", "changes", "id")],
        defaults={"attempts": 0, "status": "pending"},
    )
    db["notifications"].create_index(["change_id", "target"], unique=True)
    db["notifications"].create_index(["status"])


@migrations()
def m015_watch_enrolment(db: sqlite_utils.Database) -> None:
    # Per watching source, the last run whose articles were enrolled in `watches`: a
    # cron tick then reads only the pages of later runs, not the source's whole history.
    db["watch_enrolment"].create({"source": str, "run_id": int}, pk="source")


@migrations()
def m016_access_language(db: sqlite_utils.Database) -> None:
    # Whether a page could be read (free, paywalled, a wall...) and why, for
    # articles and for every fetch; the declared language beside the detected one.
    db["articles"].add_column("declared_language", str)
    db["articles"].add_column("access", str)
    db["articles"].add_column("access_evidence", str)
    db["articles"].create_index(["language"])
    db["fetches"].add_column("access", str)


@migrations()
def m017_fts_on_text_changes(db: sqlite_utils.Database) -> None:
    # The search index holds title and body only: an update of other columns (a
    # sighting's last_seen_at, the cluster a new article is filed in) no longer
    # deletes and re-inserts the article's index entries, each a re-tokenization.
    db.execute("DROP TRIGGER IF EXISTS articles_au")
    db.execute(
        'CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "body" ON "articles" BEGIN\n'
        '  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body") '
        "VALUES('delete', old.rowid, old.\"title\", old.\"body\");\n"
        '  INSERT INTO "articles_fts" (rowid, "title", "body") VALUES (new.rowid, new."title", new."body");\n'
        "END"
    )


class ArchiveError(Exception):
    """A problem with the archive file that the user can fix (path, permissions, disk)."""


def is_damage(exc: sqlite3.Error) -> bool:
    """True when SQLite says the file is damaged or not a database at all."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return True
    text = str(exc)
    return "malformed" in text or "not a database" in text


def damaged(path: str | Path, exc: sqlite3.Error | str) -> ArchiveError:
    """The message for a damaged archive: what SQLite said, how to check, what to do."""
    return ArchiveError(
        f"the archive {path} is damaged ({exc}). Check it with: "
        f"sqlite3 {path} \"PRAGMA integrity_check\" (then restore a backup, or recover what is left "
        f"with sqlite3's .recover command into a new file)"
    )


_FILE_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
               (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def _check_file(path: Path, *, writing: bool) -> None:
    """An archive is a regular file (a FIFO would block every command), with one name when written:
    SQLite keeps its journal beside the name used, so two names for one file would corrupt it."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ArchiveError(f"cannot open archive {path}: {exc.strerror}") from exc
    for test, kind in _FILE_KINDS:
        if test(info.st_mode):
            raise ArchiveError(f"{path} is {kind}, not an archive file; give a file with --db")
    if writing and info.st_nlink > 1:
        raise ArchiveError(
            f"{path} has {info.st_nlink} hard links (other names for the same file); archiver does not write "
            "to it, since SQLite keeps a journal per name and two of them corrupt the archive "
            "(https://www.sqlite.org/howtocorrupt.html#multiple_links_to_the_same_file). Remove the other "
            "links, or copy the file and use the copy")


def _check_is_archive(db: sqlite_utils.Database, path: Path) -> None:
    """Refuse to add archiver's tables to another application's database."""
    tables = db.table_names()
    if not tables:
        return  # a new (empty) file
    if Migrations.migrations_table in tables:
        applied = db.execute(f"SELECT COUNT(*) FROM [{Migrations.migrations_table}] WHERE migration_set = ?",
                             [migrations.name]).fetchone()[0]
        if applied:
            return
    shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
    raise ArchiveError(f"{path} is a SQLite database of another application (tables: {shown}), not an "
                       "archive; archiver never writes into it. Give a new file with --db")


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


def connect(path: str | Path, *, readonly: bool = False, check: bool = False) -> sqlite_utils.Database:
    """Open the archive; a writable open creates it and applies migrations.

    `check` runs SQLite's quick_check first (reads the whole file: about a second
    per GB when cached), so a damaged archive is refused before anything is written.
    """
    path = Path(path)
    _check_file(path, writing=not readonly)
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
        if check:
            problem = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
            if problem != "ok":
                raise damaged(path, problem)
        if readonly:
            if not db["articles"].exists():
                raise ArchiveError(f"{path} is not an archiver database")
            if migrations.pending(db):  # made by an older archiver: bring it up to date first
                conn.close()
                return _upgraded(path)
            return db
        _check_is_archive(db, path)
        # WAL lets searches and exports read while a crawl writes.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(db)
        return db
    except sqlite3.DatabaseError as exc:
        if is_damage(exc) and path.exists():
            if not _has_sqlite_header(path):
                raise ArchiveError(f"{path} is not a SQLite database, so not an archive; "
                                   "give another file with --db") from exc
            raise damaged(path, exc) from exc
        raise ArchiveError(f"cannot open archive {path}: {exc}") from exc


def _has_sqlite_header(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def _upgraded(path: Path) -> sqlite_utils.Database:
    """An archive made by an earlier archiver, upgraded once (the reads expect today's
    columns), then opened read-only."""
    try:
        connect(path).conn.close()
    except ArchiveError as exc:
        raise ArchiveError(f"{path} was made by an earlier archiver and must be upgraded, which needs "
                           f"write access: {exc}") from exc
    return connect(path, readonly=True)
