"""`archiver crawl` and `archiver runs`: run crawls on this machine and read their history."""

from __future__ import annotations

import json
import sys

import click

from archiver.cli.options import (ID, archive_errors, check_warc_settings, db_option, due_sources, json_option,
                                  lang_option, listed_urls, open_db, scrapy_settings, seed_options, selected_sources,
                                  settings_option, verbosity_options, warc_option)
from archiver.cli.output import end_killed_runs, report_run, run_counts


def _no_redis(ctx, param, value):
    if value is not None:
        raise click.UsageError("a worker of a distributed crawl is its own command now: archiver worker --redis URL")


@click.command()
@click.argument("urls", nargs=-1)
@seed_options
@click.option("--revisit-after", metavar="DURATION",
              help="Fetch archived articles again only after this (e.g. 30m, 6h, 1d; 0 = always). "
                   "Default: the source's `revisit`, else ARCHIVER_REVISIT_AFTER (1d).")
@warc_option
@lang_option("Archive only articles in these languages (detected from the text; e.g. de,fr); the others "
             "are skipped, with their language as the reason.")
@db_option
@settings_option
@verbosity_options
# `crawl --redis` was a worker; say where it went (no envvar: an exported
# ARCHIVER_REDIS_URL never changes what `archiver crawl` does).
@click.option("--redis", hidden=True, expose_value=False, callback=_no_redis)
@archive_errors
def crawl(urls, input_file, mode, depth, max_pages, allow, deny, sources_file, only, due, revisit_after,
          warc_dir, languages, db_path, settings, verbose, quiet):
    """Fetch news pages and archive the articles.

    URLs are article pages unless --follow, --feed or --sitemap says what they
    are; --sources runs the sites of a sources file. Archived articles are not
    fetched again until their revisit is due, and then conditionally (a 304 is
    "unchanged"); a changed article gets a new version.

    Prints a summary on stderr: archived, updated (new version), unchanged,
    not due (archived, revisit not due yet), skipped (not an article) and
    failed, each failure with its reason; with -q nothing unless something
    failed. Exit status: 0 when nothing failed, 1 when any URL failed or the
    crawl could not run, 2 on usage errors. Only one crawl writes to an archive
    at a time; another one exits with a message (quietly with --due -q).

    \b
    Example:
        archiver crawl https://example.com/news/story-1 https://example.com/news/story-2
        archiver crawl -i urls.txt --db news.db -s DOWNLOAD_DELAY=2
        archiver crawl --follow https://example.com/news/ --depth 2 --max-pages 300
        archiver crawl --feed https://example.com/rss.xml
        archiver crawl --sitemap https://example.com/
        archiver crawl --sources sources.toml --due      # from cron, every 5 minutes
        archiver crawl -i urls.txt --warc warcs/ -s ARCHIVER_WARC_MAX_SIZE=100M
        archiver crawl --feed https://example.com/rss.xml --lang de,fr
    """
    from archiver.crawl import SPIDERS_BY_MODE, CrawlJob, run_jobs, source_job
    from archiver.lock import CrawlLock, Locked
    from archiver.sources import parse_duration

    listed, rejected = listed_urls(urls, input_file)
    if revisit_after is not None:
        try:
            parse_duration(revisit_after)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--revisit-after") from exc
    sources = selected_sources(sources_file, listed + [r.url for r in rejected], mode, only, due)
    if warc_dir:
        settings["ARCHIVER_WARC_DIR"] = warc_dir
    check_warc_settings(settings)
    crawl_settings = scrapy_settings(db_path, settings, verbose=verbose, quiet=quiet)
    if languages:
        crawl_settings.set("ARCHIVER_LANGUAGES", list(languages), priority="cmdline")

    # Fail on an unusable archive (not one, damaged, not a file) before any page is fetched.
    open_db(db_path, readonly=False, check=crawl_settings.getbool("ARCHIVER_QUICK_CHECK")).conn.close()
    try:
        with CrawlLock(db_path):
            end_killed_runs(db_path, quiet=quiet)
            if sources_file:
                if due:
                    sources = due_sources(db_path, sources, quiet=quiet)
                    if not sources:
                        sys.exit(0)
                jobs = [source_job(s, revisit_after) for s in sources]
            else:
                args = {"urls" if (mode or "urls") == "urls" else _SEED_ARG[mode]: listed,
                        "rejected": [vars(r) for r in rejected]}
                if mode:
                    args["max_pages"] = max_pages
                if mode == "follow":
                    args.update(depth=depth, allow=list(allow), deny=list(deny))
                if revisit_after is not None:
                    args["revisit_after"] = revisit_after
                jobs = [CrawlJob(SPIDERS_BY_MODE[mode or "urls"], args)]
            results = run_jobs(jobs, crawl_settings)
    except Locked as exc:
        # From cron an overlapping run is expected: the next tick catches up, quietly.
        if not (due and quiet):
            click.echo(f"{exc}; not starting another ({db_path})", err=True)
        sys.exit(0 if due else 1)
    sys.exit(max(report_run(db_path, r.run_id, quiet=quiet, error=r.error) for r in results))


_SEED_ARG = {"follow": "follow", "feed": "feeds", "sitemap": "sitemaps"}


@click.command()
@click.argument("run_id", required=False, type=ID)
@db_option
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--outcome", type=click.Choice(["archived", "updated", "unchanged", "not_due", "skipped", "failed"]),
              help="With RUN_ID: only pages with this outcome.")
@json_option
@archive_errors
def runs(run_id, db_path, limit, outcome, as_json):
    """List recent crawl runs with their counts, or the pages of one run.

    \b
    Example:
        archiver runs --limit 5
        archiver runs 12 --outcome failed     # each failure of run 12 with its reason
    """
    from archiver.store.queries import get_run, list_runs, run_pages

    db = open_db(db_path)
    if run_id is not None:
        run = get_run(db, run_id)
        if run is None:
            raise click.ClickException(f"no run {run_id} in {db_path}")
        pages = run_pages(db, run_id, outcome)
        if as_json:
            click.echo(json.dumps({"run": run, "pages": pages}, ensure_ascii=False, indent=2))
            return
        click.echo(_run_line(run))
        for page in pages:
            status = f" [{page['status']}]" if page["status"] else ""
            reason = f": {page['reason']}" if page["reason"] else ""
            click.echo(f"  {page['outcome']:<9} {page['url']}{status}{reason}")
        return
    rows = list_runs(db, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(_run_line(r))


def _run_line(r: dict) -> str:
    source = f" [{r['source']}]" if r.get("source") else ""
    counts = run_counts(r, label_first=True)
    return f"{r['id']:>5}  {r['started_at']}  {r['status']:<11} {r['mode']:<8}{source} {counts}"
