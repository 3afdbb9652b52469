"""Reading the archive from the terminal: search, show."""

from __future__ import annotations

import json

import click

from archiver.cli import cli
from archiver.cli.options import archive_errors, db_option, json_option, open_db

@cli.command()
@click.argument("query")
@db_option
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@archive_errors
def search(query, db_path, limit, as_json):
    """Full-text search over titles and bodies, best matches first.

    QUERY uses SQLite FTS5 syntax: words, "exact phrases", OR, NOT, prefix*.

    \b
    Example:
        archiver search "north korea" --limit 5
        archiver search 'diploma* NOT trade' --json
    """
    from archiver.store.queries import search as run_search

    rows = run_search(open_db(db_path), query, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no matches", err=True)
        return
    for row in rows:
        click.echo(f"[{row['id']}] {row['title'] or '(no title)'}")
        click.echo(f"    {row['published_at'] or 'undated'} · {row['site']} · {row['url']}")
        click.echo(f"    {(row['snippet'] or '').strip()}")


@cli.command()
@click.argument("ref", metavar="ID|URL")
@db_option
@json_option
@archive_errors
def show(ref, db_path, as_json):
    """Print one stored article, by id or URL.

    \b
    Example:
        archiver show 12
        archiver show https://example.com/news/story --json
    """
    from archiver.store.queries import get_article

    article = get_article(open_db(db_path), ref)
    if article is None:
        raise click.ClickException(f"no article {ref!r} in {db_path}")
    if as_json:
        click.echo(json.dumps(article, ensure_ascii=False, indent=2))
        return
    click.echo(article["title"] or "(no title)")
    for label, key in (("By", "byline"), ("Published", "published_at"), ("Modified", "modified_at"),
                       ("Site", "site_name"), ("URL", "url")):
        if article.get(key):
            click.echo(f"{label}: {article[key]}")
    if article.get("authors"):
        click.echo(f"Authors: {'; '.join(article['authors'])}")
    click.echo(f"Words: {article['word_count']}  Version: {article.get('version')}  "
               f"First seen: {article['first_seen_at']}  Last seen: {article['last_seen_at']}")
    click.echo("")
    click.echo(article["body"] or "")
    links = article.get("related_links") or []
    if links:
        click.echo("\nRelated:")
        for link in links:
            click.echo(f"  {link.get('text') or ''} <{link.get('url')}>")
