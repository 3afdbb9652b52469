"""`archiver crawl` and `archiver runs`: run crawls on this machine and read their history."""

from __future__ import annotations

import json
import sys

import click

from archiver.cli.options import (ID, archive_errors, check_warc_settings, db_option, json_option, lang_option,
                                  listed_urls, next_run_due, not_due_message, open_db, scrapy_settings, seed_options,
                                  selected_sources, settings_option, verbosity_options, warc_option)
from archiver.cli.output import end_killed_runs, notification_lines, report_run, run_counts


def _no_redis(ctx, param, value):
    if value is not None:
        raise click.UsageError("a worker of a distributed crawl is its own command now: archiver worker --redis URL")


@click.command()
@click.argument("urls", nargs=-1)
@seed_options
@click.option("--revisit-after", metavar="DURATION",
              help="Fetch archived articles again only after this (e.g. 30m, 6h, 1d; 0 = always). "
                   "Default: the source's `revisit`, else ARCHIVER_REVISIT_AFTER (1d).")
@click.option("--watch", metavar="DURATION",
              help="Watch the articles this crawl stores for this long (e.g. 30d): each is checked again on a "
                   "decaying schedule (1h, 3h, 9h, 1d, 3d, 7d, then weekly) by later `crawl --due` runs. "
                   "With --sources: every source's window.")
@click.option("--notify", multiple=True, metavar="URL",
              help="POST each change and removal this crawl finds to URL as JSON, retried (repeatable).")
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
def crawl(urls, input_file, mode, depth, max_pages, allow, deny, sources_file, only, due, revisit_after, watch,
          notify, warc_dir, languages, db_path, settings, verbose, quiet):
    """Fetch news pages and archive the articles.

    URLs are article pages unless --follow, --feed or --sitemap says what they
    are; --sources runs the sites of a sources file. Archived articles are not
    fetched again until their revisit is due, and then conditionally (a 304 is
    "unchanged"); a changed article gets a new version, and one whose page is
    gone (404/410, the home page instead, "page not found") is marked gone.

    --due runs what is due: with --sources, the sources whose interval has
    elapsed and every watch check that is due; alone, the checks of articles
    watched with --watch.

    Prints a summary on stderr: archived, updated (new version), unchanged,
    not due (archived, revisit not due yet), skipped (not an article),
    failed (each with its reason), and gone and watch checks when there were
    any; with -q nothing unless something failed. Exit status: 0 when nothing
    failed, 1 when any URL failed or the crawl could not run, 2 on usage
    errors. Only one crawl writes to an archive at a time; another one exits
    with a message (quietly with --due -q).

    \b
    Example:
        archiver crawl https://example.com/news/story-1 https://example.com/news/story-2
        archiver crawl -i urls.txt --db news.db -s DOWNLOAD_DELAY=2
        archiver crawl --follow https://example.com/news/ --depth 2 --max-pages 300
        archiver crawl --feed https://example.com/rss.xml
        archiver crawl --sitemap https://example.com/
        archiver crawl --sources sources.toml --due      # from cron, every 5 minutes
        archiver crawl -i urls.txt --warc warcs/ -s ARCHIVER_WARC_MAX_SIZE=100M
        archiver crawl https://example.com/news/story-1 --watch 30d --notify https://hooks.example.org/x
        archiver crawl --due --notify https://hooks.example.org/x   # its checks, from cron
        archiver crawl --feed https://example.com/rss.xml --lang de,fr
    """
    listed, rejected = listed_urls(urls, input_file)
    _check_options(revisit_after=revisit_after, watch=watch, notify=notify, settings=settings)
    sources = selected_sources(sources_file, listed + [r.url for r in rejected], mode, only, due)
    if warc_dir:
        settings["ARCHIVER_WARC_DIR"] = warc_dir
    check_warc_settings(settings)
    if not (sources_file or due) and (mode or "urls") == "urls":
        _start_workers_early(db_path, listed, settings)

    from archiver.crawl import SPIDERS_BY_MODE, CrawlJob, run_jobs
    from archiver.lock import CrawlLock, Locked

    crawl_settings = scrapy_settings(db_path, settings, verbose=verbose, quiet=quiet)
    if languages:
        crawl_settings.set("ARCHIVER_LANGUAGES", list(languages), priority="cmdline")

    # Fail on an unusable archive (not one, damaged, not a file) before any page is fetched.
    open_db(db_path, readonly=False, check=crawl_settings.getbool("ARCHIVER_QUICK_CHECK")).conn.close()
    try:
        with CrawlLock(db_path):
            end_killed_runs(db_path, quiet=quiet)
            if sources_file or due:
                jobs = _due_jobs(db_path, sources or [], due=due, revisit_after=revisit_after, watch=watch,
                                 notify=list(notify), quiet=quiet)
                if not jobs:
                    _deliver(db_path, quiet=quiet)  # what an earlier crawl could not deliver
                    sys.exit(0)
            else:
                args = {"urls" if (mode or "urls") == "urls" else _SEED_ARG[mode]: listed,
                        "rejected": [vars(r) for r in rejected]}
                if mode:
                    args["max_pages"] = max_pages
                if mode == "follow":
                    args.update(depth=depth, allow=list(allow), deny=list(deny))
                if revisit_after is not None:
                    args["revisit_after"] = revisit_after
                args.update(watch=watch, notify=list(notify))
                jobs = [CrawlJob(SPIDERS_BY_MODE[mode or "urls"], args)]
            results = run_jobs(jobs, crawl_settings)
            _deliver(db_path, quiet=quiet)
    except Locked as exc:
        # From cron an overlapping run is expected: the next tick catches up, quietly.
        if not (due and quiet):
            click.echo(f"{exc}; not starting another ({db_path})", err=True)
        sys.exit(0 if due else 1)
    sys.exit(max(report_run(db_path, r.run_id, quiet=quiet, error=r.error) for r in results))


def _start_workers_early(db_path: str, listed: list[str], overrides: dict[str, str]) -> None:
    """A list of URLs the archive does not hold: the extraction workers' forkserver
    starts now, before Scrapy is even imported, and its imports (2 to 4 s of CPU in a
    long run) run beside the crawl's own start-up instead of after the first pages
    arrive. (An archived URL may not be due, so it is not counted.) A run that stops
    before its crawl (a locked archive, a -s value Scrapy cannot use) leaves the
    forkserver to finish its imports and exit on its own. An ARCHIVER_EXTRACT_WORKERS
    that is not a number, or a --db that is not an archive, starts none: the checks
    that follow report them."""
    from pathlib import Path

    from archiver import settings as defaults
    from archiver.workers import configured_workers, start_forkserver

    try:
        workers = configured_workers(overrides.get("ARCHIVER_EXTRACT_WORKERS", defaults.ARCHIVER_EXTRACT_WORKERS))
    except ValueError:
        return
    archived = 0
    if Path(db_path).exists():  # (not made here: a usage error found next must leave no archive behind)
        # (the store only now: for a new archive the workers start before it is even imported)
        from archiver.store.queries import archived_fetch_states
        from archiver.store.schema import ArchiveError

        try:
            db = open_db(db_path)
        except ArchiveError:
            return  # not an archive: the check that follows says so
        try:
            archived = sum(1 for _ in archived_fetch_states(db, listed))
        finally:
            db.conn.close()
    start_forkserver(workers, len(listed) - archived)


def _check_options(*, revisit_after, watch, notify, settings) -> None:
    from archiver.diff import MinChange
    from archiver.sources import check_notify_url, parse_duration

    for name, value in (("--revisit-after", revisit_after), ("--watch", watch)):
        if value is not None:
            try:
                parse_duration(value)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint=name) from exc
    for url in notify:
        try:
            check_notify_url(url)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--notify") from exc
    if "ARCHIVER_MIN_CHANGE" in settings:
        try:
            MinChange.parse(settings["ARCHIVER_MIN_CHANGE"])
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="-s ARCHIVER_MIN_CHANGE") from exc


def _due_checks(db, source: str | None, window: float | None, now) -> list[str]:
    """The URLs of a source's watched articles whose check is due (None: `crawl --watch`'s)."""
    from archiver.revisits import Watch, check_due
    from archiver.store.changes import enroll_watches, watches_due

    if source is not None:
        if not window:
            return []
        enroll_watches(db, source=source, window=window)
    return [row["url"] for row in watches_due(db, source, now) if check_due(Watch.from_record(row), now)]


def _due_jobs(db_path: str, sources, *, due: bool, revisit_after, watch, notify: list[str], quiet: bool):
    """The crawls a `--sources` or `--due` call makes: each source that is due (all of
    them without --due) with its due watch checks, a run of checks only for a source
    that is not due but has some, and with --due the checks of `crawl --watch`."""
    from archiver import clock
    from archiver.crawl import checks_job, source_job
    from archiver.sources import parse_duration

    db = open_db(db_path, readonly=False)
    now = clock.now()
    jobs = []
    for source in sources:
        window = watch or source.watch
        checks = _due_checks(db, source.name, parse_duration(window) if window else None, now)
        next_due = next_run_due(db, source) if due else None
        if next_due is None or now >= next_due:
            jobs.append(source_job(source, revisit_after, checks=checks, watch=watch, notify=notify))
            continue
        if checks:
            jobs.append(source_job(source, revisit_after, checks=checks, seeds=False, watch=watch, notify=notify))
        if not quiet:
            not_due_message(source, next_due, f"; {len(checks)} watch check{'s' if len(checks) != 1 else ''} due"
                            if checks else "")
    if due:
        checks = _due_checks(db, None, None, now)
        if checks:
            jobs.append(checks_job(checks, notify))
        elif not sources and not quiet:
            click.echo("no watch checks due", err=True)
    db.conn.close()
    return jobs


def _deliver(db_path: str, *, quiet: bool) -> None:
    """Send the notifications the runs queued (and any an earlier crawl could not deliver)."""
    import sqlite3

    from archiver.notify import deliver_pending

    db = open_db(db_path, readonly=False)
    try:
        deliver_pending(db, log=(lambda message: None) if quiet else (lambda message: click.echo(message, err=True)))
    except sqlite3.Error as exc:  # the runs are recorded; the next crawl sends what is left
        click.echo(f"Error: notifications could not be recorded: {exc}", err=True)
    finally:
        db.conn.close()


_SEED_ARG = {"follow": "follow", "feed": "feeds", "sitemap": "sitemaps"}


@click.command()
@click.argument("run_id", required=False, type=ID)
@db_option
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--outcome",
              type=click.Choice(["archived", "updated", "unchanged", "not_due", "skipped", "failed", "gone"]),
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
    from archiver.store.changes import run_notifications
    from archiver.store.queries import get_run, list_runs, run_pages

    db = open_db(db_path)
    if run_id is not None:
        run = get_run(db, run_id)
        if run is None:
            raise click.ClickException(f"no run {run_id} in {db_path}")
        pages = run_pages(db, run_id, outcome)
        if as_json:
            click.echo(json.dumps({"run": run, "pages": pages, "notifications": run_notifications(db, run_id)},
                                  ensure_ascii=False, indent=2))
            return
        click.echo(_run_line(run))
        for page in pages:
            status = f" [{page['status']}]" if page["status"] else ""
            reason = f": {page['reason']}" if page["reason"] else ""
            click.echo(f"  {page['outcome']:<9} {page['url']}{status}{reason}")
        for line in notification_lines(db, run_id):
            click.echo(line)
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
