"""`archiver reextract`: today's extraction over the archive's stored responses."""

from __future__ import annotations

import sys

import click

from archiver.cli.options import (DateTimeParam, archive_errors, db_option, extraction_pool, json_option, moment,
                                  open_db, quiet_option, sources_rules_option, sources_sites, workers_option)
from archiver.cli.output import ProgressLine, emit_dicts, end_killed_runs, report_run


@click.command()
@click.option("--site", multiple=True, help="Only articles from this site (host name; repeatable).")
@click.option("--since", type=DateTimeParam(), help="Only articles whose stored response was fetched on or after this.")
@click.option("--id", "ids", multiple=True, type=click.IntRange(1), metavar="ID", help="Only this article (repeatable).")
@click.option("--dry-run", is_flag=True, help="Change nothing: report, per site and field, how many articles would change.")
@sources_rules_option
@workers_option
@db_option
@json_option
@quiet_option
@archive_errors
def reextract(site, since, ids, dry_run, sources_file, workers, db_path, as_json, quiet):
    """Extract the stored articles again with today's rules.

    Each article's current version is read again from its stored response. A new
    version is stored only where a versioned field (title, byline, authors, dates,
    body) changed; other fields (section, tags, description, ...) are refreshed in
    place; the record's `extractor` says which extraction produced it. Killed, it
    resumes where it stopped when run again with the same options; run again after
    it finished, it changes nothing.

    \b
    Example:
        archiver reextract --dry-run
        archiver reextract --site example.com --since 2024-03-01 --sources sources.toml
        archiver reextract --id 12 --id 15
    """
    from archiver.imports.reextract import no_longer, reextract_jobs
    from archiver.imports.runner import Runner
    from archiver.imports.captures import archive_time
    from archiver.lock import CrawlLock, Locked
    from archiver.store.queries import ArticleFilters, count_reextract, reextract_articles, unfinished_run
    from archiver.store.writer import ArchiveWriter

    filters = ArticleFilters(sites=tuple(s.lower() for s in site))
    fetched_since = archive_time(moment(since)) if since else None
    selection = dict(filters=filters, ids=tuple(ids), fetched_since=fetched_since)
    args = {"site": sorted(site), "since": since, "id": sorted(ids), "sources": sources_file}
    sites = sources_sites(sources_file)
    if dry_run:
        db = open_db(db_path)
        _dry_run(db, reextract_articles(db, **selection), count_reextract(db, **selection), sites, workers,
                 as_json=as_json, quiet=quiet)
        return
    open_db(db_path, readonly=False).conn.close()
    try:
        with CrawlLock(db_path):
            end_killed_runs(db_path, quiet=quiet)
            writer = ArchiveWriter(db_path, keep_raw=False, remember_fetches=False)
            previous = unfinished_run(writer.db, "reextract", args)
            after = 0
            if previous is not None:
                after = int(writer.continue_run(previous["id"]) or 0)
                if not quiet:
                    click.echo(f"resuming run {previous['id']} after article {after}", err=True)
            else:
                writer.start_run(spider="reextract", mode="reextract", args=args)
            run_id = writer.run_id
            progress = ProgressLine("reextract", total=count_reextract(writer.db, **selection, after_id=after),
                                    enabled=not quiet, noun="articles")
            runner = Runner(writer, extraction_pool(workers), on_progress=progress, skipped=no_longer)
            runner.run_to_end(reextract_jobs(reextract_articles(writer.db, **selection, after_id=after), writer,
                                             sites=sites))
    except Locked as exc:
        raise click.ClickException(f"{exc}; not re-extracting now ({db_path})") from None
    sys.exit(report_run(db_path, run_id, quiet=quiet))


def _dry_run(db, articles, total: int, sites, workers: str, *, as_json: bool, quiet: bool) -> None:
    from archiver.imports.reextract import DryRun, reextract_jobs
    from archiver.imports.runner import Runner

    tally = DryRun(db)
    progress = ProgressLine("reextract --dry-run", total=total, enabled=not quiet, noun="articles")
    runner = Runner(tally, extraction_pool(workers), on_progress=progress)
    try:
        runner.run(reextract_jobs(articles, tally, sites=sites))
    finally:
        progress.close()
        runner.pool.close()
    rows = tally.rows()
    if as_json:
        emit_dicts(rows, "json", ["site", "field", "articles"])
    elif rows:
        emit_dicts(rows, "text", ["site", "field", "articles"])
    would = sum(tally.articles.values())
    click.echo(f"{would} of {sum(tally.seen.values())} articles would change ({sum(tally.versions.values())} new "
               f"versions); {tally.skipped} skipped, {tally.failed} failed; nothing was written", err=True)
