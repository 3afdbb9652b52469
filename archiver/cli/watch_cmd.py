"""`archiver changes` and `archiver frontpage`: what changed in the archive over time."""

from __future__ import annotations

import sys

import click

from archiver.cli.options import DateTimeParam, archive_errors, db_option, open_db, output_options
from archiver.cli.output import emit_dicts

CHANGE_COLUMNS = ("change_id", "at", "kind", "article_id", "site", "title", "fields", "words_added",
                  "words_removed", "body_share", "from_version", "version", "reason", "url")


def utc_time(text: str, *, end_of_day: bool) -> str:
    """A day or ISO 8601 time as archiver stores times (UTC, to the second); a bare day
    is its first second, or with end_of_day its last."""
    from archiver import clock

    moment = clock.parse_time(text)
    if end_of_day and len(text.strip()) == 10:
        moment = moment.replace(hour=23, minute=59, second=59)
    return clock.stamp(moment)


@click.command()
@db_option
@click.option("--since", type=DateTimeParam(), help="Only changes seen on or after this day or time (UTC).")
@click.option("--site", multiple=True, help="Only articles from this site (host name; repeatable).")
@click.option("-n", "--limit", default=50, show_default=True, type=click.IntRange(1, 1_000_000))
@output_options
@click.option("--atom", is_flag=True, help="Print an Atom feed of the changes (for a feed reader).")
@archive_errors
def changes(db_path, since, site, limit, output, atom):
    """List changes and removals of archived articles, newest first.

    A change is a new version: the fields that changed (title, description,
    byline, authors, dates, body) and how much (words added and removed, the
    share of the body). A removal is an article found gone (HTTP 404/410, sent
    to the home or a section page, a "page not found" page); "back" is its
    return. `archiver diff ID --to VERSION` shows a change word by word.

    \b
    Example:
        archiver changes --since 2024-03-01
        archiver changes --site example.com --csv
        archiver changes --atom > changes.atom
    """
    from archiver.diff import change_summary
    from archiver.store.changes import list_changes

    if atom and output != "text":
        raise click.UsageError("choose one of --atom, --json, --nl and --csv")
    rows = list_changes(open_db(db_path), since=utc_time(since, end_of_day=False) if since else None,
                        sites=tuple(site), limit=limit)
    if atom:
        from archiver.export import write_atom

        write_atom(rows, sys.stdout, feed_key=f"{db_path} {' '.join(sorted(site))}")
        return
    if output != "text":
        emit_dicts(rows, output, CHANGE_COLUMNS)
        return
    if not rows:
        click.echo("no changes", err=True)
        return
    for row in rows:
        versions = f" v{row['from_version']}->v{row['version']}" if row["kind"] == "changed" else ""
        click.echo(f"{row['at']}  {row['kind']:<7} [{row['article_id']}{versions}] {row['title'] or '(no title)'}")
        click.echo(f"    {change_summary(row)}")
        click.echo(f"    {row['url']}")


@click.command()
@click.argument("url")
@db_option
@click.option("--at", "at", type=DateTimeParam(),
              help="The front page as it was last fetched by this day or time (UTC); default: the latest.")
@output_options
@archive_errors
def frontpage(url, db_path, at, output):
    """A front page's stories in order as it was fetched, or where a story was on front pages.

    URL is a home or section page a crawl followed (`crawl --follow`, a source's
    `follow`): its story links with their text and position at its fetch by
    --at. Or URL is a story: every fetch of a front page that showed it, with
    its position. The tables frontpages and frontpage_links (and the view
    frontpage_positions) hold the same for SQL.

    \b
    Example:
        archiver frontpage https://example.com/
        archiver frontpage https://example.com/ --at 2024-03-06T12:00
        archiver frontpage https://example.com/news/story-1 --csv
    """
    from archiver.normalize.urls import canonical_url
    from archiver.store.changes import front_page_at, front_page_urls, story_positions

    db = open_db(db_path)
    pages = front_page_urls(db, url)
    if pages:
        page = front_page_at(db, pages[0], utc_time(at, end_of_day=True) if at else None)
        if page is None:
            raise click.ClickException(f"{pages[0]} was not fetched by {at}")
        if output == "text":
            click.echo(f"{page['url']} fetched {page['fetched_at']}: {page['links']} stories", err=True)
        emit_dicts(page["link_list"], output, ("position", "text", "url", "article_id"))
        return
    rows = story_positions(db, canonical_url(url) or url)
    if not rows:
        raise click.ClickException(f"{url} is neither a front page nor a story on one in {db_path}")
    emit_dicts(rows, output, ("fetched_at", "front_page", "position", "text"))
