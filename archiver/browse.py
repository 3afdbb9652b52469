"""A Datasette web UI over the archive, opened read-only, with the archive's metadata.

Datasette is imported only here and in browse_plugin.py (its CSS and cell
rendering), and only when `archiver browse` runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archiver.record import DESCRIPTIONS

TABLES: dict[str, dict[str, Any]] = {
    "articles": {
        "description": "One row per article (canonical URL): the latest extracted version.",
        "sort_desc": "published_at",
        "label_column": "title",
        "facets": ["site", {"array": "authors"}, "section", {"date": "published_at"}],
        "columns": DESCRIPTIONS,
    },
    "article_authors": {
        "description": "Authors of each article, one row per author, in byline order.",
        "facets": ["name"],
    },
    "article_tags": {"description": "Tags of each article, one row per tag.", "facets": ["tag"]},
    "article_links": {"description": "Related links found in each article."},
    "article_versions": {
        "description": "Every distinct version of an article as it was fetched: title, byline, dates, body.",
        "sort_desc": "fetched_at",
        "columns": {"version": "1 for the first version, then one more for each change"},
    },
    "responses": {
        "description": "The raw HTTP response of each version, zlib-compressed (download it, it is never "
                       "shown as a page). `archiver export --format warc` turns these into a WARC file.",
        "columns": {"body": "zlib-compressed response body", "size": "Uncompressed size in bytes"},
    },
    "fetches": {
        "description": "Every URL fetched, with its latest outcome and its validators for revisits.",
        "facets": ["outcome", "status"],
    },
    "runs": {"description": "Every crawl run: start, end, status and counts.", "sort_desc": "id"},
    "run_pages": {
        "description": "Each page of each run with its outcome (archived, updated, unchanged, skipped, failed) "
                       "and the reason.",
        "facets": ["outcome", "reason"],
    },
    "export_state": {"description": "Where each `archiver export --since-last` stopped."},
}

QUERIES: dict[str, dict[str, Any]] = {
    "latest_articles": {
        "title": "Latest articles",
        "description": "The 100 newest articles (publication time, else first seen).",
        "sql": "SELECT id, published_at, site, title, byline, url FROM articles "
               "ORDER BY COALESCE(published_at, first_seen_at) DESC, id DESC LIMIT 100",
    },
    "articles_by_author": {
        "title": "Articles by author",
        "description": "Articles with an author whose name contains the text given.",
        "sql": "SELECT a.id, a.published_at, a.site, a.title, aa.name AS author, a.url "
               "FROM articles a JOIN article_authors aa ON aa.article_id = a.id "
               "WHERE aa.name LIKE '%' || :author || '%' ORDER BY a.published_at DESC LIMIT 500",
    },
    "changed_articles": {
        "title": "Articles with changed versions",
        "description": "Articles stored in more than one version, most recently changed first.",
        "sql": "SELECT a.id, a.title, a.version AS versions, MIN(v.fetched_at) AS first_fetched, "
               "MAX(v.fetched_at) AS last_changed, a.url "
               "FROM articles a JOIN article_versions v ON v.article_id = a.id "
               "WHERE a.version > 1 GROUP BY a.id ORDER BY last_changed DESC LIMIT 500",
    },
    "crawl_failures": {
        "title": "Crawl failures",
        "description": "Pages that failed in a crawl, newest first, with the reason.",
        "sql": "SELECT p.at, p.run_id, p.status, p.reason, p.url FROM run_pages p "
               "WHERE p.outcome = 'failed' ORDER BY p.id DESC LIMIT 500",
    },
}


def database_name(db_path: str | Path) -> str:
    """The name Datasette gives a database file (its stem)."""
    return Path(db_path).stem


def build_metadata(db_path: str | Path) -> dict[str, Any]:
    return {
        "title": "archiver",
        "description": "News articles archived by archiver: search, facet and query them. "
                       "The archive is opened read-only.",
        "databases": {
            database_name(db_path): {
                "description": "Articles, their versions and raw responses, and the history of every crawl.",
                "tables": TABLES,
                "queries": QUERIES,
            }
        },
    }


def make_datasette(db_path: str | Path):
    """A Datasette instance over the archive. A file Datasette treats as mutable is
    opened with SQLite's mode=ro, so the UI cannot change the archive while a crawl
    keeps writing to it."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from archiver import browse_plugin

    if not pm.is_registered(browse_plugin):
        pm.register(browse_plugin, name="archiver-browse")
    return Datasette(
        [str(db_path)],
        metadata=build_metadata(db_path),
        settings={"default_page_size": 50, "sql_time_limit_ms": 5000, "facet_time_limit_ms": 500,
                  "truncate_cells_html": 240, "allow_download": False},
    )


def serve(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8001) -> None:
    import uvicorn

    ds = make_datasette(db_path)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
