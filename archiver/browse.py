"""A Datasette web UI over the archive, opened read-only, with the archive's metadata.

Datasette is imported only here and in browse_plugin.py (the reading room's pages,
CSS and cell rendering), and only when `archiver browse` runs.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any

from archiver.record import DESCRIPTIONS

TABLES: dict[str, dict[str, Any]] = {
    "articles": {
        "description": "One row per article (canonical URL): the latest extracted version.",
        "description_html": 'One row per article (canonical URL): the latest extracted version. '
                            'Titles open the article; <a href="/-/search">search by relevance</a> with '
                            'highlighted snippets.',
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
        "description": "The raw HTTP response of each version, compressed as `compression` says (download it, "
                       "it is never shown as a page). `archiver export --format warc` turns these into a WARC file.",
        "columns": {"body": "Compressed response body (see compression)", "size": "Uncompressed size in bytes",
                    "compression": "zstd, or zlib for rows written before archiver used zstd"},
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
    # Bookkeeping, out of sight on the database page (`?_show_hidden=1` shows it).
    "article_signatures": {"description": "Each article's MinHash signature and wire credit, for its "
                                          "syndication cluster (articles.cluster_id).", "hidden": True},
    "signature_bands": {"description": "The band buckets of each signature: how copies are found.",
                        "hidden": True},
    "export_state": {"description": "Where each `archiver export --since-last` stopped.", "hidden": True},
    "_sqlite_migrations": {"description": "Schema migrations applied to the archive.", "hidden": True},
}

# Query results link `article_id` cells (and the titles beside them) to the article
# page, and `compare` cells to the compare page of that article's last two versions.
QUERIES: dict[str, dict[str, Any]] = {
    "latest_articles": {
        "title": "Latest articles",
        "description": "The 100 newest articles (publication time, else first seen).",
        "sql": "SELECT id AS article_id, published_at, site, title, byline, url FROM articles "
               "ORDER BY COALESCE(published_at, first_seen_at) DESC, id DESC LIMIT 100",
    },
    "articles_by_author": {
        "title": "Articles by author",
        "description": "Articles with an author whose name contains the text given.",
        "sql": "SELECT a.id AS article_id, a.published_at, a.site, a.title, aa.name AS author, a.url "
               "FROM articles a JOIN article_authors aa ON aa.article_id = a.id "
               "WHERE aa.name LIKE '%' || :author || '%' ORDER BY a.published_at DESC LIMIT 500",
    },
    "changed_articles": {
        "title": "Articles with changed versions",
        "description": "Articles stored in more than one version, most recently changed first.",
        "sql": "SELECT a.id AS article_id, a.title, a.version AS versions, a.id AS compare, "
               "MIN(v.fetched_at) AS first_fetched, MAX(v.fetched_at) AS last_changed, a.url "
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


def served_hosts(host: str, port: int) -> dict[str, Any]:
    """The Host headers the UI answers (DNS rebinding protection): the names it is
    reached by, on its port. A DNS name an attacker controls can point at 127.0.0.1,
    but the Host header is then the attacker's name, which is refused. Listening on
    all interfaces (0.0.0.0), any IP address is a name it is reached by."""
    names = {host.lower().strip("[]")}
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if host == "localhost" or (address is not None and address.is_loopback):
        names |= {"localhost", "127.0.0.1", "::1"}
    any_ip = address is not None and address.is_unspecified  # 0.0.0.0 or ::, all interfaces
    if any_ip:
        names |= {"localhost", socket.gethostname().lower(), socket.getfqdn().lower()}
    return {"names": sorted(names), "port": port, "any_ip": any_ip}


def _split_host(value: str) -> tuple[str, str]:
    value = value.strip().lower()
    if value.startswith("["):  # [::1]:8001
        name, _, rest = value[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else ""
    name, _, port = value.partition(":") if value.count(":") == 1 else (value, "", "")
    return name.rstrip("."), port


def host_allowed(header: str | None, *, names: list[str], port: int, any_ip: bool = False) -> bool:
    """Whether a Host header names this server: one of `names` (or any IP address
    when `any_ip`) on `port` (a Host without a port means 80)."""
    if not header:
        return False
    name, given_port = _split_host(header)
    if given_port != str(port) and not (given_port == "" and port == 80):
        return False
    if name in names:
        return True
    if any_ip:
        try:
            ipaddress.ip_address(name)
            return True
        except ValueError:
            return False
    return False


async def _plain_response(send, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": text.encode("utf-8")})


def only_hosts(app, *, names: list[str], port: int, any_ip: bool = False):
    """The ASGI app, answering only requests whose Host header names this server:
    a web page elsewhere cannot read the archive through DNS rebinding."""

    async def guarded(scope, receive, send):
        if scope["type"] == "http":
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if not host_allowed(host, names=names, port=port, any_ip=any_ip):
                served = ", ".join(f"[{n}]:{port}" if ":" in n else f"{n}:{port}" for n in names)
                await _plain_response(send, 421, f"Misdirected request: this archive is served as {served}, "
                                                 f"not as {host or '(no Host header)'}.\n")
                return
        await app(scope, receive, send)

    return guarded


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
        template_dir=str(browse_plugin.TEMPLATES),
        settings={"default_page_size": 50, "sql_time_limit_ms": 5000, "facet_time_limit_ms": 500,
                  "truncate_cells_html": 240, "allow_download": False},
    )


def serve(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 8001) -> None:
    import uvicorn

    app = only_hosts(make_datasette(db_path).app(), **served_hosts(host, port))
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="on")
