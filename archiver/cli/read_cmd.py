"""Reading the archive from the terminal: search, list, show, stats, sql."""

from __future__ import annotations

import json
import re
import sys

import click

from archiver.cli.options import (ID, archive_errors, article_or_fail, db_option, filter_options, json_option, open_db,
                                  output_options)
from archiver.cli.output import emit_dicts, emit_rows

_LIST_COLUMNS = ("id", "published_at", "site", "title", "byline", "url")
_CLUSTER_COLUMNS = ("id", "published_at", "site", "similarity", "contained", "credit", "title")
_MATCH = re.compile(r"\[([^\[\]]*)\]")  # the markers queries.search puts around matches


@click.command()
@click.argument("query")
@db_option
@filter_options
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@output_options
@archive_errors
def search(query, db_path, filters, limit, output):
    """Full-text search over titles and bodies, best matches first.

    QUERY uses SQLite FTS5 syntax: words, "exact phrases", OR, NOT, prefix*.
    Matches in the snippet are highlighted on a terminal, else shown in [brackets].

    \b
    Example:
        archiver search "north korea" --limit 5
        archiver search budget --site example.com --since 2024-03-01 --author doe
        archiver search 'diploma* NOT trade' --json
    """
    from archiver.store.queries import search as run_search

    rows = run_search(open_db(db_path), query, limit=limit, filters=filters)
    if output != "text":
        emit_dicts(rows, output, ("id", "title", "published_at", "site", "url", "snippet", "rank"))
        return
    if not rows:
        click.echo("no matches", err=True)
        return
    highlight = sys.stdout.isatty()
    for row in rows:
        snippet = " ".join((row["snippet"] or "").split())
        if highlight:
            snippet = _MATCH.sub(lambda m: click.style(m.group(1), bold=True, fg="yellow"), snippet)
        click.echo(f"[{row['id']}] {row['title'] or '(no title)'}")
        click.echo(f"    {row['published_at'] or 'undated'} · {row['site']} · {row['url']}")
        click.echo(f"    {snippet}")


@click.command("list")
@db_option
@filter_options
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 1_000_000))
@output_options
@archive_errors
def list_(db_path, filters, limit, output):
    """List stored articles, newest first (publication time, else first seen).

    \b
    Example:
        archiver list --limit 10
        archiver list --site example.com --since 2024-03-01 --until 2024-03-31 --csv
        archiver list --author "Jane Doe" --tag climate --json
        archiver list --gone          # articles found gone, with since when and why
    """
    from archiver.store.queries import list_articles

    rows = list_articles(open_db(db_path), filters, limit=limit)
    if output == "text" and not rows:
        click.echo("no articles match", err=True)
        return
    columns = (*_LIST_COLUMNS[:-1], "gone_at", "gone_reason", "url") if filters.gone else _LIST_COLUMNS
    emit_dicts(rows, output, columns if output == "text" else None)


@click.command()
@click.argument("ref", metavar="ID|URL")
@db_option
@click.option("--version", "version", type=ID, help="Show this stored version instead of the latest.")
@json_option
@archive_errors
def show(ref, db_path, version, as_json):
    """Print one stored article, by id or URL (or one of its earlier versions).

    \b
    Example:
        archiver show 12
        archiver show 12 --version 1
        archiver show https://example.com/news/story --json
    """
    from archiver.extract.language import mismatch
    from archiver.record import LABELS, VERSIONED_FIELDS
    from archiver.store.changes import get_watch
    from archiver.store.queries import get_version, version_numbers

    db, article = article_or_fail(db_path, ref)
    versions = version_numbers(db, article["id"])
    if version is not None:
        stored = get_version(db, article["id"], version)
        if stored is None:
            have = ", ".join(map(str, versions)) or "none"
            raise click.ClickException(f"article {article['id']} has no version {version} (stored versions: {have})")
        # A version keeps title, byline, dates and body; the rest is the article's.
        article.update({k: stored[k] for k in VERSIONED_FIELDS})
        article.update(version=version, fetched_at=stored["fetched_at"])
    article["versions"] = versions
    if as_json:
        article["watch"] = get_watch(db, article["id"])
        click.echo(json.dumps(article, ensure_ascii=False, indent=2))
        return
    click.echo(article["title"] or "(no title)")
    notes = {"language": f" (the page declares {article.get('declared_language')})"
             if mismatch(article.get("language"), article.get("declared_language")) else "",
             "access": f" ({article['access_evidence']})" if article.get("access_evidence") else ""}
    for label, key in LABELS:
        value = article.get(key)
        if value:
            click.echo(f"{label}: {'; '.join(value) if isinstance(value, list) else value}{notes.get(key, '')}")
    click.echo(f"Words: {article['word_count']}  Version: {article.get('version')} of {len(versions)}  "
               f"First seen: {article['first_seen_at']}  Last seen: {article['last_seen_at']}")
    watch = get_watch(db, article["id"])
    if watch:
        following = f"next check {watch['next_check_at']}" if watch["next_check_at"] else "window over"
        click.echo(f"Watched: {watch['checks']} checks, {following}")
    click.echo("")
    click.echo(article["body"] or "")
    links = article.get("related_links") or []
    if links:
        click.echo("\nRelated:")
        for link in links:
            click.echo(f"  {link.get('text') or ''} <{link.get('url')}>")


@click.command()
@click.argument("ref", metavar="ID|URL")
@db_option
@output_options
@archive_errors
def cluster(ref, db_path, output):
    """List the copies of an article's story across sites and URLs: its syndication cluster.

    The original comes first: the copy published first (a page that states only
    the day counts as published at the day's end), then one on a news agency's own
    site, then the first archived; wire credits ("(AP)", "Reuters", "Voice of
    America News") are shown as evidence. Similarity is the share of 5-word runs
    two texts share (estimated), contained the share of the shorter text found in
    the other (a copy trimmed for length).

    \b
    Example:
        archiver cluster 12
        archiver cluster https://example.com/news/story --json
    """
    from archiver.store.clusters import cluster_members
    from archiver.syndication import original_evidence

    db, article = article_or_fail(db_path, ref)
    members = cluster_members(db, article["id"])
    evidence = original_evidence(members[0], members[1:])
    for member in members:
        member["evidence"] = evidence if member["is_original"] else None
    if output != "text":
        emit_dicts(members, output, _CLUSTER_COLUMNS + ("is_original", "evidence", "url", "site_name"))
        return
    if len(members) == 1:
        click.echo(f"article {article['id']} has no copies in the archive", err=True)
        return
    original = members[0]
    click.echo(f"{len(members)} copies of {original['title'] or '(no title)'!r}")
    click.echo(f"Original: [{original['id']}] {original['site']}: {'; '.join(evidence)}\n")
    emit_dicts(members, "text", _CLUSTER_COLUMNS)


@click.command()
@db_option
@click.option("--days", default=14, show_default=True, type=click.IntRange(1, 100_000),
              help="How many publication days to list.")
@json_option
@archive_errors
def stats(db_path, days, as_json):
    """Counts per site, per day and per author, and the extraction health report.

    The report says, per site, how many articles lack each field and where the
    fields came from (site, json-ld, meta, dom, heuristic, …).

    \b
    Example:
        archiver stats
        archiver stats --json | jq '.missing'
    """
    from archiver.store import queries

    db = open_db(db_path)
    report = {
        "articles": queries.count_articles(db),
        "sites": queries.site_stats(db),
        "days": queries.day_stats(db, limit=days),
        "authors": queries.author_stats(db),
        "missing": queries.missing_field_stats(db),
        "sources": queries.provenance_stats(db),
        "access": queries.access_stats(db),
        "languages": queries.language_stats(db),
    }
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    click.echo(f"{report['articles']} articles in {db_path}\n")
    for title, key in (("Sites", "sites"), (f"Publication days (newest {days})", "days"), ("Authors", "authors")):
        click.echo(f"{title}:")
        if report[key]:
            emit_dicts(report[key], "text")
        else:
            click.echo("  (none)")
        click.echo("")
    click.echo("Missing fields per site (articles without the field):")
    for row in report["missing"]:
        total = row.pop("articles")
        site = row.pop("site")
        gaps = [f"{field} {n} ({n * 100 // total}%)" for field, n in row.items() if n]
        click.echo(f"  {site} ({total} articles): {', '.join(gaps) or 'nothing missing'}")
    click.echo("\nAccess per site (pages fetched; anything but free needs attention):")
    for row in report["access"]:
        site, pages = row.pop("site"), row.pop("pages")
        click.echo(f"  {site} ({pages} pages): " + ", ".join(f"{k} {n} ({n * 100 // pages}%)" for k, n in row.items()))
    click.echo("\nLanguages per site (detected; mismatched: the page declares another):")
    by_language: dict[str, list[str]] = {}
    for row in report["languages"]:
        mismatched = f", {row['mismatched']} mismatched" if row["mismatched"] else ""
        by_language.setdefault(row["site"], []).append(f"{row['language']} {row['articles']}{mismatched}")
    for site, parts in by_language.items():
        click.echo(f"  {site}: {'; '.join(parts)}")
    click.echo("\nWhere fields came from:")
    by_site: dict[tuple[str, str], list[str]] = {}
    for row in report["sources"]:
        by_site.setdefault((row["site"], row["field"]), []).append(f"{row['source']} {row['articles']}")
    for (site, field), parts in by_site.items():
        click.echo(f"  {site}  {field}: {', '.join(parts)}")


@click.command()
@click.argument("query")
@db_option
@click.option("-p", "--param", "params", multiple=True, type=(str, str), metavar="NAME VALUE",
              help="A named parameter for :NAME in the query (repeatable).")
@output_options
@archive_errors
def sql(query, db_path, params, output):
    """Run a read-only SQL query against the archive.

    The archive is opened read-only: statements that would change it fail.

    \b
    Example:
        archiver sql "SELECT site, COUNT(*) AS n FROM articles GROUP BY site"
        archiver sql "SELECT title FROM articles WHERE site = :site" -p site example.com --csv
    """
    from archiver.store.queries import run_readonly_sql

    columns, cursor = run_readonly_sql(open_db(db_path), query, dict(params))
    emit_rows(columns, cursor, output)
