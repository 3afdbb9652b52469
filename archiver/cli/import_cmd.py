"""`archiver import`: web archive files (WARC, ARC, WACZ) into the archive."""

from __future__ import annotations

import re
import sys

import click

from archiver.cli.options import (DateTimeParam, archive_errors, db_option, extraction_pool, moment, open_db,
                                  quiet_option, scrapy_settings, settings_option, sources_rules_option, sources_sites,
                                  verbosity_options, workers_option)
from archiver.cli.output import ProgressLine, end_killed_runs, report_run


def _regex(ctx, param, value):
    try:
        return re.compile(value) if value else None
    except re.error as exc:
        raise click.BadParameter(f"{value!r} is not a regular expression: {exc}") from exc


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--site", multiple=True, help="Only captures from this site (host name, subdomains too; repeatable).")
@click.option("--since", type=DateTimeParam(), help="Only captures made on or after this date (UTC unless it says).")
@click.option("--until", type=DateTimeParam(), help="Only captures made on or before this date (a day: all of it).")
@click.option("--url-regex", callback=_regex, metavar="REGEX", help="Only captures whose URL matches this.")
@sources_rules_option
@workers_option
@db_option
@quiet_option
@archive_errors
def import_(files, site, since, until, url_regex, sources_file, workers, db_path, quiet):
    """Import the pages of WARC, ARC and WACZ files (gzip or not; CC-NEWS too).

    Each HTML response is extracted like a crawled page, with the capture time
    as its fetch time and the record's target URI as its URL; revisit records
    count as unchanged. A capture older than the article's newest one becomes
    an earlier version, never the current one. Records an earlier import took
    in are passed over, so importing a file again adds nothing. Every import is
    a run (`archiver runs`) with each record's outcome and reason.

    \b
    Example:
        archiver import crawl-2024-03.warc.gz
        archiver import CC-NEWS-20240301000000-00001.warc.gz --site example.com --since 2024-03-01
        archiver import collection.wacz --url-regex '/news/'
    """
    from archiver.imports.captures import CaptureFilters
    from archiver.imports.files import import_jobs
    from archiver.imports.runner import Runner
    from archiver.lock import CrawlLock, Locked
    from archiver.store.queries import capture_imported
    from archiver.store.writer import ArchiveWriter

    filters = CaptureFilters(sites=tuple(s.lower() for s in site), since=moment(since),
                             until=moment(until, end_of_day=True), url_regex=url_regex)
    sites = sources_sites(sources_file)
    open_db(db_path, readonly=False).conn.close()
    try:
        with CrawlLock(db_path):
            end_killed_runs(db_path, quiet=quiet)
            writer = ArchiveWriter(db_path, remember_fetches=False)
            run_id = writer.start_run(spider="import", mode="import", args={"files": [str(f) for f in files]})
            progress = ProgressLine("import", enabled=not quiet)
            runner = Runner(writer, extraction_pool(workers), on_progress=progress)
            runner.run_to_end(import_jobs(files, writer, filters=filters, sites=sites,
                                          known=lambda key: capture_imported(writer.db, key)))
    except Locked as exc:
        raise click.ClickException(f"{exc}; not importing now ({db_path})") from None
    sys.exit(report_run(db_path, run_id, quiet=quiet))


@click.command("import-wayback")
@click.argument("urls", nargs=-1)
@click.option("--site", help="All captures of this site (host name, subdomains too) instead of URLs.")
@click.option("--from", "from_date", type=DateTimeParam(), help="Only captures made on or after this date.")
@click.option("--to", "to_date", type=DateTimeParam(), help="Only captures made on or before this date.")
@click.option("--wayback", metavar="URL", envvar="ARCHIVER_WAYBACK_URL", show_envvar=True,
              help="The Wayback Machine's address (default: the ARCHIVER_WAYBACK_URL setting, https://web.archive.org).")
@db_option
@settings_option
@verbosity_options
@archive_errors
def import_wayback(urls, site, from_date, to_date, wayback, db_path, settings, verbose, quiet):
    """Import an article's history (or a site's) from the Wayback Machine.

    Captures are listed through its CDX API (HTML, status 200, identical
    neighbours collapsed) and each is fetched raw (`id_` URLs), politely: one
    request at a time, a second apart (-s DOWNLOAD_DELAY=…), with retries. Each
    capture becomes a version dated by its timestamp. Run again, it fetches only
    the captures it does not have yet (and those that failed).

    \b
    Example:
        archiver import-wayback https://example.com/news/story
        archiver import-wayback --site example.com --from 2023-01-01 --to 2023-06-30
    """
    from archiver.crawl import CrawlJob, run_jobs
    from archiver.lock import CrawlLock, Locked
    from archiver.spiders.wayback import WaybackSpider

    if bool(urls) == bool(site):
        raise click.UsageError("give article URLs or --site HOST (one of them)")
    if wayback:
        settings = {"ARCHIVER_WAYBACK_URL": wayback, **settings}
    open_db(db_path, readonly=False).conn.close()
    args = {"urls": list(urls), "site": site, "from_date": from_date, "to_date": to_date}
    try:
        with CrawlLock(db_path):
            end_killed_runs(db_path, quiet=quiet)
            result, = run_jobs([CrawlJob(WaybackSpider, args)],
                               scrapy_settings(db_path, settings, verbose=verbose, quiet=quiet))
    except Locked as exc:
        raise click.ClickException(f"{exc}; not importing now ({db_path})") from None
    sys.exit(report_run(db_path, result.run_id, quiet=quiet, error=result.error))
