"""`archiver crawl` and `archiver runs`: run crawls and read their history."""

from __future__ import annotations

import json
import sys

import click

from archiver.cli import cli
from archiver.cli.options import archive_errors, db_option, json_option, open_db

@cli.command()
@click.argument("urls", nargs=-1)
@click.option("-i", "--input", "input_file", type=click.File("r", encoding="utf-8"),
              help="Read article URLs from a file, one per line ('-' for stdin).")
@db_option
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, as `scrapy crawl -s` does (repeatable).")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO level).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress and no summary details.")
@archive_errors
def crawl(urls, input_file, db_path, settings, verbose, quiet):
    """Fetch article pages and archive them.

    Prints a summary on stderr: archived, updated (new version), unchanged,
    skipped (not an article) and failed, each failure with its reason.
    Exit status: 0 when nothing failed, 1 when any URL failed, 2 on usage errors.

    \b
    Example:
        archiver crawl https://example.com/news/story-1 https://example.com/news/story-2
        archiver crawl -i urls.txt --db news.db -s DOWNLOAD_DELAY=2
    """
    from archiver.crawl import build_settings, parse_setting, run_spider
    from archiver.spiders.article import ArticleSpider, read_url_list

    listed = list(urls)
    if input_file is not None:
        listed += read_url_list(input_file.read())
    if not listed:
        raise click.UsageError("give at least one URL (or --input FILE)")
    try:
        overrides = dict(parse_setting(s) for s in settings)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="-s/--set") from exc
    # Fail on an unusable archive before any page is fetched.
    open_db(db_path, readonly=False).conn.close()
    log_level = "INFO" if verbose else "ERROR" if quiet else "WARNING"
    progress = not quiet and not verbose and sys.stderr.isatty()
    run_id = run_spider(
        ArticleSpider, build_settings(db_path, overrides, log_level=log_level, progress=progress), urls=listed
    )
    sys.exit(report_run(db_path, run_id, quiet=quiet))


def report_run(db_path: str, run_id: int | None, *, quiet: bool = False) -> int:
    """Print a run's summary on stderr; the exit status it deserves."""
    from archiver.store.queries import get_run, run_pages

    if run_id is None:
        click.echo("Error: the crawl did not start (see the log above)", err=True)
        return 1
    db = open_db(db_path)
    run = get_run(db, run_id)
    counts = ", ".join(f"{run[k]} {k}" for k in ("archived", "updated", "unchanged", "skipped", "failed"))
    click.echo(f"run {run_id} {run['status']}: {counts} -> {db_path}", err=True)
    if not quiet:
        for outcome in ("skipped", "failed"):
            for page in run_pages(db, run_id, outcome):
                click.echo(f"  {outcome}: {page['url']}: {page['reason']}", err=True)
    if run["failed"]:
        return 1
    return 0 if run["status"] == "finished" else 1



@cli.command()
@db_option
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@json_option
@archive_errors
def runs(db_path, limit, as_json):
    """List recent crawl runs with their counts.

    \b
    Example:
        archiver runs --limit 5
    """
    from archiver.store.queries import list_runs

    rows = list_runs(open_db(db_path), limit=limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(
            f"{r['id']:>5}  {r['started_at']}  {r['status']:<11} {r['mode']:<8} "
            f"archived {r['archived']}, updated {r['updated']}, unchanged {r['unchanged']}, "
            f"skipped {r['skipped']}, failed {r['failed']}"
        )
