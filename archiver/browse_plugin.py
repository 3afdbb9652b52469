"""Datasette plugin hooks for `archiver browse`: the reading room (home, search, article,
compare versions), its CSS and cell rendering, and the guards around every response.

Imported only when the UI runs; archiver.browse registers it. Every read goes through
archiver.store.queries, on Datasette's read-only connections; every page is a Jinja
template in archiver/templates (autoescaped), and links are http(s) only.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from archiver.diff import ADDED, REMOVED, VERSION_FIELDS, changed_fields, diff_paragraphs
from archiver.export import csv_cell
from archiver.store import clusters, queries

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STYLE_PATH = "/-/archiver.css"
STYLE = (HERE / "static" / "archiver.css").read_text(encoding="utf-8")

# Pages load nothing from elsewhere: no scripts, images or fonts of the archived sites.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self' 'unsafe-inline'; object-src 'none'; frame-src 'none'; base-uri 'none'; "
       "form-action 'self'")

# Snippet marks for matched words: characters no article has, replaced by <mark> after escaping.
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"
SEARCH_LIMIT = 50


def _web_url(url: Any) -> bool:
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def related_links_html(value: Any):
    """A JSON list of {url, text} as a list of links (http/https only, text escaped);
    None for anything else, which Datasette then shows as escaped text."""
    try:
        links = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return None
    if not isinstance(links, list):
        return None
    items = [
        f'<li><a href="{escape(link["url"])}" rel="nofollow noreferrer">{escape(link.get("text") or link["url"])}</a></li>'
        for link in links
        if isinstance(link, dict) and _web_url(link.get("url"))
    ]
    return Markup(f"<ul>{''.join(items)}</ul>") if items else None


def paragraphs(body: str | None) -> list[str]:
    """A stored body (plain text, paragraphs separated by a blank line) as paragraphs."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", body or "") if p.strip()]


def marked(snippet: str | None) -> Markup:
    """A search snippet, escaped, with the matched words in <mark>."""
    text = str(escape(" ".join((snippet or "").split())))
    return Markup(text.replace(_MARK_OPEN, "<mark>").replace(_MARK_CLOSE, "</mark>"))


# --- cells in Datasette's own tables and queries --------------------------------

def _link(href: str, text: Any) -> Markup:
    return Markup(f'<a href="{escape(href)}">{escape(text)}</a>')


# Long text in the articles table: three lines at most, so a row stays a row.
_CLAMPED = {"body", "description", "provenance", "content_hash"}


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if table == "articles" and column == "related_links":
        return related_links_html(value)
    if table in ("articles", "article_versions") and column in _CLAMPED and isinstance(value, str):
        return Markup(f'<div class="clamp">{escape(value)}</div>')
    if table == "articles" and column == "title" and "id" in row.keys():
        return _link(datasette.urls.row(database, "articles", row["id"]), value or "(no title)")
    if table is None and value is not None:  # a query's result: see browse.QUERIES
        columns = row.keys()
        if column == "article_id" and isinstance(value, int):
            return _link(datasette.urls.row(database, "articles", value), value)
        if column == "title" and "article_id" in columns and isinstance(row["article_id"], int):
            return _link(datasette.urls.row(database, "articles", row["article_id"]), value or "(no title)")
        if column == "compare" and isinstance(value, int):
            return _link(datasette.urls.row(database, "articles", value) + "/compare", "compare versions")
    return None


@hookimpl
def extra_css_urls():
    return [STYLE_PATH]


# --- the reading room's pages ---------------------------------------------------

def _database(datasette, route: str | None = None):
    """The archive (the one database served), or the one a URL names."""
    try:
        return datasette.get_database(route=route) if route else datasette.get_database()
    except (KeyError, IndexError):
        raise NotFound(f"no database {route!r}") from None


async def _read(db, fn, *args, **kwargs):
    """fn(sqlite_utils.Database, ...) on one of Datasette's read-only connections."""
    import sqlite_utils

    return await db.execute_fn(lambda conn: fn(sqlite_utils.Database(conn), *args, **kwargs))


async def _page(datasette, request, template: str, context: dict[str, Any], *, status: int = 200) -> Response:
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html, status=status)


def _home_report(db) -> dict[str, Any]:
    sites = queries.site_stats(db)
    runs = queries.list_runs(db, limit=5)
    for run in runs:
        run["failures"] = queries.run_pages(db, run["id"], "failed") if run.get("failed") else []
    published = [d for s in sites for d in (s["first_published"], s["last_published"]) if d]
    return {
        "count": queries.count_articles(db),
        "sites": sites,
        "first_published": min(published, default=None),
        "last_published": max(published, default=None),
        "runs": runs,
        "days": queries.day_site_stats(db),
        "missing": queries.missing_field_stats(db),
    }


async def home(datasette, request):
    db = _database(datasette)
    report = await _read(db, _home_report)
    context = {
        **report, "database": db.name, "title": datasette.metadata("title") or "archiver",
        "day_chart": day_chart(report["days"]), "health": health_rows(report["missing"]),
        "queries": (datasette.metadata("queries", database=db.name) or {}),
    }
    return await _page(datasette, request, "archiver-home.html", context)


def _filters(args) -> tuple[queries.ArticleFilters, list[str]]:
    """The CLI's filters from a query string (repeatable like the options), and errors."""
    errors = []
    dates = {}
    for name in ("since", "until"):
        value = (args.get(name) or "").strip()
        if value:
            try:
                dates[name] = queries.filter_date(value)
            except ValueError as exc:
                errors.append(f"{name}: {exc}")

    def values(name: str) -> tuple[str, ...]:
        return tuple(v.strip() for v in args.getlist(name) if v.strip())

    filters = queries.ArticleFilters(sites=values("site"), authors=values("author"), tags=values("tag"),
                                     since=dates.get("since"), until=dates.get("until"))
    return filters, errors


async def search(datasette, request):
    db = _database(datasette)
    q = (request.args.get("q") or "").strip()
    filters, errors = _filters(request.args)
    hits: list[dict[str, Any]] = []
    filtered = filters != queries.ArticleFilters()
    if not errors and (q or filtered):
        try:
            if q:
                hits = await _read(db, queries.search, q, limit=SEARCH_LIMIT, filters=filters,
                                   marks=(_MARK_OPEN, _MARK_CLOSE))
            else:
                hits = await _read(db, queries.list_articles, filters, limit=SEARCH_LIMIT)
        except queries.QueryError as exc:
            errors.append(str(exc))
    for hit in hits:
        hit["snippet_html"] = marked(hit.get("snippet")) if q else None
    sites = await _read(db, queries.site_stats)
    context = {
        "database": db.name, "q": q, "filters": filters, "errors": errors, "hits": hits,
        "searched": bool(q or filtered), "filtered": filtered, "limit": SEARCH_LIMIT, "sites": [s["site"] for s in sites],
    }
    return await _page(datasette, request, "archiver-search.html", context, status=400 if errors else 200)


def _article_report(db, article_id: int) -> dict[str, Any] | None:
    article = queries.get_article(db, str(article_id))
    if article is None or article["id"] != article_id:
        return None
    return {"article": article, "versions": queries.article_versions(db, article_id),
            "responses": queries.article_responses(db, article_id),
            "copies": [m for m in clusters.cluster_members(db, article_id) if m["id"] != article_id]}


async def _article_or_404(datasette, request):
    db = _database(datasette, request.url_vars["database"])
    article_id = int(request.url_vars["id"])
    report = await _read(db, _article_report, article_id)
    if report is None:
        raise NotFound(f"no article {article_id}")
    return db, report


# List fields of people and who they write for, each name linked to that name's articles.
PEOPLE = (("authors", "Authors"), ("agencies", "Agencies"))


def _people(datasette, database: str, article: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    out = []
    for field, label in PEOPLE:
        if field not in article:
            continue
        names = [n for n in article.get(field) or [] if isinstance(n, str)]
        if field == "authors":  # the search page's author filter, as `--author`
            links = [(n, "/-/search?" + urlencode({"author": n})) for n in names]
        else:  # Datasette's filter on a JSON list column
            table = datasette.urls.table(database, "articles")
            links = [(n, f"{table}?" + urlencode({f"{field}__arraycontains": n})) for n in names]
        out.append((label, links))
    return out


# What a version keeps besides its title, byline, authors and dates.
_VERSION_TEXT = ("body", "content_hash", "fetched_at")


async def article(datasette, request):
    db, report = await _article_or_404(datasette, request)
    article, versions = report["article"], report["versions"]
    by_number = {v["version"]: v for v in versions}
    shown = article
    reading = request.args.get("version")
    if reading and reading.isdigit() and int(reading) in by_number and int(reading) != article["version"]:
        stored = by_number[int(reading)]
        shown = {**article, **{k: stored.get(k) for k in (*VERSION_FIELDS, *_VERSION_TEXT)},
                 "version": stored["version"]}
    numbers = [v["version"] for v in versions]
    context = {
        "database": db.name, "article": shown, "latest": article, "versions": versions,
        "responses": report["responses"], "paragraphs": paragraphs(shown.get("body")),
        "copies": report["copies"],
        "people": _people(datasette, db.name, shown),
        "timeline": [(v, numbers[i - 1] if i else None) for i, v in reversed(list(enumerate(versions)))],
        "links": [link for link in shown.get("related_links") or []
                  if isinstance(link, dict) and _web_url(link.get("url"))],
        "web_url": _web_url, "provenance": sorted((shown.get("provenance") or {}).items()),
        "article_url": datasette.urls.row(db.name, "articles", article["id"]),
    }
    return await _page(datasette, request, "archiver-article.html", context)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return "" if value is None else str(value)


async def compare(datasette, request):
    db, report = await _article_or_404(datasette, request)
    article, versions = report["article"], report["versions"]
    numbers = [v["version"] for v in versions]
    by_number = {v["version"]: v for v in versions}
    errors = []

    def number(name: str, default: int | None) -> int | None:
        value = (request.args.get(name) or "").strip()
        if not value:
            return default
        if value.isdigit() and int(value) in by_number:
            return int(value)
        errors.append(f"article {article['id']} has no version {value!r} (versions: {', '.join(map(str, numbers))})")
        return default

    to_version = number("to", numbers[-1] if numbers else None)
    from_version = number("from", max((n for n in numbers if to_version and n < to_version), default=None))
    context: dict[str, Any] = {
        "database": db.name, "article": article, "versions": versions, "errors": errors,
        "from_version": from_version, "to_version": to_version,
        "article_url": datasette.urls.row(db.name, "articles", article["id"]),
    }
    if not errors and from_version is not None and to_version is not None:
        old, new = by_number[from_version], by_number[to_version]
        fields = changed_fields(old, new, (*VERSION_FIELDS, "body"))
        body_diff = diff_paragraphs(old.get("body") or "", new.get("body") or "") if "body" in fields else []
        counts = {REMOVED: 0, ADDED: 0}
        for kind, words in (run for runs in body_diff for run in runs):
            if kind in counts:
                counts[kind] += len(words.split())
        context.update(
            old=old, new=new, changed=fields, body_diff=body_diff,
            field_changes=[(f, _shown(old.get(f)), _shown(new.get(f))) for f in fields if f != "body"],
            words_removed=counts[REMOVED], words_added=counts[ADDED],
        )
    return await _page(datasette, request, "archiver-compare.html", context, status=400 if errors else 200)


_EXTENSIONS = {"text/html": ".html", "application/xhtml+xml": ".xhtml", "text/plain": ".txt",
               "application/json": ".json", "application/pdf": ".pdf"}


async def raw_response(datasette, request):
    """A stored raw response as a download: never a page the browser renders."""
    db = _database(datasette, request.url_vars["database"])
    article_id, response_id = int(request.url_vars["id"]), int(request.url_vars["response"])
    response = await _read(db, queries.get_response, response_id)
    if response is None or response["article_id"] != article_id:
        raise NotFound(f"article {article_id} has no stored response {response_id}")
    content_type = next((v for k, v in response["headers"].items() if k.lower() == "content-type"), "")
    extension = _EXTENSIONS.get(content_type.split(";")[0].strip().lower(), ".bin")
    name = f"article-{article_id}-version-{response['version']}{extension}"
    return Response(response["body"], content_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff",
    })


async def _style(request):
    return Response(STYLE, content_type="text/css; charset=utf-8")


@hookimpl
def register_routes():
    article_path = r"^/(?P<database>[^/.]+)/articles/(?P<id>\d+)"
    return [
        (r"^/$", home),
        (r"^/-/search$", search),
        (article_path + "$", article),
        (article_path + "/compare$", compare),
        (article_path + r"/raw/(?P<response>\d+)$", raw_response),
        (r"^/-/archiver\.css$", _style),
    ]


def when(value: Any) -> str:
    """An ISO 8601 day or time as people read it: 2 April 2024, 10:00 UTC+02:00."""
    from datetime import date, datetime

    text = "" if value is None else str(value)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return f"{day.day} {day:%B %Y}"
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    offset = moment.strftime("%z")
    zone = "" if not offset else " UTC" if offset == "+0000" else f" UTC{offset[:3]}:{offset[3:]}"
    return f"{moment.day} {moment:%B %Y}, {moment:%H:%M}{zone}"


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["when"] = when
    env.filters["query_string"] = lambda params: urlencode(
        [(k, v) for k, v in params.items() if v not in (None, "")], doseq=True)


# --- charts: SVG drawn here, nothing loaded from the internet --------------------

PALETTE = ("#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5")
OTHER_SITES = "other sites"


def day_chart(rows: list[dict[str, Any]], *, width: int = 600, height: int = 100) -> dict[str, Any] | None:
    """Articles per publication day, stacked by site (the busiest sites, then the rest):
    bars in SVG units that stretch to the page's width; axis labels are HTML text."""
    from datetime import date, timedelta

    days: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for row in rows:
        try:
            date.fromisoformat(row["day"])
        except (TypeError, ValueError):
            continue
        days.setdefault(row["day"], {})[row["site"]] = row["articles"]
        totals[row["site"]] = totals.get(row["site"], 0) + row["articles"]
    if not days:
        return None
    top = sorted(totals, key=lambda s: (-totals[s], s))[: len(PALETTE) - 1]
    sites = top + ([OTHER_SITES] if len(totals) > len(top) else [])
    colors = dict(zip(sites, PALETTE[: len(top)] + ("#9c9c9c",)))
    first, last = date.fromisoformat(min(days)), date.fromisoformat(max(days))
    span = [(first + timedelta(n)).isoformat() for n in range((last - first).days + 1)]
    peak = max(sum(counts.values()) for counts in days.values())
    step = width / len(span)
    bars = []
    for i, day in enumerate(span):
        counts: dict[str, int] = {}
        for site, n in days.get(day, {}).items():
            key = site if site in top else OTHER_SITES
            counts[key] = counts.get(key, 0) + n
        y = float(height)
        for site in sites:
            n = counts.get(site, 0)
            if n:
                h = height * n / peak
                y -= h
                bars.append({"x": round(i * step + step * 0.1, 3), "y": round(y, 3), "w": round(step * 0.8, 3),
                             "h": round(h, 3), "color": colors[site],
                             "title": f"{day} · {site}: {n} article{'s' if n != 1 else ''}"})
    ticks = sorted({0, peak // 2, peak})
    return {
        "width": width, "height": height, "bars": bars, "sites": [(s, colors[s]) for s in sites],
        "y_ticks": [{"y": round(height - height * t / peak, 3), "top": round(100 - 100 * t / peak, 1), "label": t}
                    for t in ticks],
        "first": span[0], "last": span[-1],
    }


def health_rows(rows: list[dict[str, Any]], *, limit: int = 20) -> dict[str, Any]:
    """Per site, the share of its articles missing each field: a heat map's cells."""
    rows = sorted(rows, key=lambda r: (-r["articles"], r["site"]))[:limit]
    fields = [k for k in (rows[0] if rows else {}) if k not in ("site", "articles")]
    table = []
    for row in rows:
        cells = []
        for field in fields:
            share = (row[field] or 0) / row["articles"] if row["articles"] else 0
            # white (nothing missing) to deep red (all missing)
            lightness = round(97 - 50 * share)
            cells.append({"field": field, "share": share, "percent": round(share * 100),
                          "style": f"background: hsl(5, {70 if share else 0}%, {lightness}%);"
                                   f"color: {'#fff' if share > 0.6 else '#222'}"})
        table.append({"site": row["site"], "articles": row["articles"], "cells": cells})
    return {"fields": fields, "rows": table}


# --- around every response: formula-free CSV, no remote loads --------------------

_NUMBER = re.compile(r"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?")


class CsvNeutralizer:
    """Rewrites a CSV stream cell by cell through export.csv_cell, the rule
    `archiver export --format csv` follows: a spreadsheet never runs a cell as a formula.

    Datasette writes CSV as text, so numbers arrive as text: a cell that is a plain
    number (-3, 1.5e-4) is a number, not a formula, and is left as it is.
    """

    def __init__(self):
        self._pending = b""

    @staticmethod
    def _cell(text: str) -> str:
        return text if _NUMBER.fullmatch(text) else csv_cell(text)

    def _rewrite(self, record: bytes) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        for row in csv.reader(io.StringIO(record.decode("utf-8", "replace"), newline="")):
            writer.writerow([self._cell(c) for c in row])
        return out.getvalue().encode("utf-8")

    def feed(self, chunk: bytes) -> bytes:
        """The complete records in what has arrived (a record is complete at a line end
        outside quotes: its quote count is even)."""
        self._pending += chunk
        end = 0
        quotes = 0
        start = 0
        while True:
            newline = self._pending.find(b"\n", start)
            if newline < 0:
                break
            quotes += self._pending.count(b'"', start, newline)
            start = newline + 1
            if quotes % 2 == 0:
                end = start
        done, self._pending = self._pending[:end], self._pending[end:]
        return self._rewrite(done) if done else b""

    def close(self) -> bytes:
        done, self._pending = self._pending, b""
        return self._rewrite(done) if done else b""


def _is_csv_request(scope) -> bool:
    if scope.get("path", "").endswith(".csv"):
        return True
    return "csv" in parse_qs(scope.get("query_string", b"").decode("latin-1")).get("_format", [])


def _header(headers, name: bytes) -> bytes:
    return next((v for k, v in headers if k.lower() == name), b"")


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def guarded(scope, receive, send):
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            neutralizer: CsvNeutralizer | None = None
            csv_request = _is_csv_request(scope)

            async def send_guarded(message):
                nonlocal neutralizer
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers") or [])
                    content_type = _header(headers, b"content-type").lower()
                    if content_type.startswith(b"text/html"):
                        headers.append((b"content-security-policy", CSP.encode()))
                    elif csv_request and content_type.startswith((b"text/csv", b"text/plain")):
                        neutralizer = CsvNeutralizer()
                        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                    if not _header(headers, b"x-content-type-options"):
                        headers.append((b"x-content-type-options", b"nosniff"))
                    message = {**message, "headers": headers}
                elif message["type"] == "http.response.body" and neutralizer is not None:
                    body = neutralizer.feed(message.get("body", b""))
                    if not message.get("more_body"):
                        body += neutralizer.close()
                    message = {**message, "body": body}
                await send(message)

            await app(scope, receive, send_guarded)

        return guarded

    return wrap
