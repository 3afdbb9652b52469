"""`archiver enqueue`, `archiver worker` and `archiver ingest`: crawling on several machines.

Redis is imported only when one of these runs. Each reads the Redis URL from
--redis or ARCHIVER_REDIS_URL, and the key prefix and run TTL from the Scrapy
settings (`-s ARCHIVER_REDIS_PREFIX=... -s ARCHIVER_RUN_TTL=...`), as workers do.
"""

from __future__ import annotations

import functools
import signal
import sys
import time
from pathlib import Path

import click

from archiver.cli.options import (Seconds, archive_errors, check_warc_settings, db_option, due_sources, listed_urls,
                                  open_db, scrapy_settings, seed_options, selected_sources, settings_option,
                                  verbosity_options, warc_option)
from archiver.cli.output import report_run

REDIS_HELP = "Redis of the shared frontier, e.g. redis://:PASSWORD@host:6379/0."


def redis_option(func):
    return click.option("--redis", "redis_url", envvar="ARCHIVER_REDIS_URL", show_envvar=True,
                        required=True, metavar="URL", help=REDIS_HELP)(func)


def needs_distributed_extra(func):
    """A command that needs scrapy-redis and redis says which extra to install when they are missing."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from archiver.distributed.config import EXTRA_HINT, missing_extra  # imports Scrapy: only when run

        missing = missing_extra()
        if missing:
            raise click.ClickException(
                f"`archiver {click.get_current_context().info_name}` needs the distributed extra "
                f"({', '.join(missing)} is not installed): {EXTRA_HINT}")
        return func(*args, **kwargs)

    return wrapper


def _connect(redis_url: str):
    from archiver.distributed.registry import RedisUnavailable, connect

    try:
        return connect(redis_url)
    except RedisUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


# --- archiver worker ----------------------------------------------------------

@click.command()
@redis_option
@click.option("--run", "run_id", metavar="RUN",
              help="Work on this run only, until its jobs are done (default: every open run, oldest first).")
@click.option("--idle-timeout", type=Seconds(), default=0, metavar="SECONDS",
              help="Stop after this long with no open job (default: wait for new runs forever).")
@warc_option
@settings_option
@verbosity_options
@needs_distributed_extra
def worker(redis_url, run_id, idle_timeout, warc_dir, settings, verbose, quiet):
    """Work on distributed crawls: fetch and extract what `archiver enqueue` queued.

    Takes requests from the runs' shared queues in Redis and puts each page on
    Redis for `archiver ingest`; it never opens the archive. Works on every job
    of every open run side by side; a job's work ends when nothing of it is
    queued or taken by any worker, and the worker goes on to runs enqueued
    later. Requests a worker took are given back to the others if it dies;
    while Redis refuses writes, pages wait in a local spool (ARCHIVER_SPOOL_DIR).

    \b
    Example:
        archiver worker --redis redis://:secret@10.0.0.5:6379/0 --idle-timeout 120
        archiver worker --run 20240306-081500-ab12 -s CONCURRENT_REQUESTS_PER_DOMAIN=2
        archiver worker --warc warcs/     # this worker's exchanges, as WARC files on this machine
    """
    from redis import RedisError

    from archiver.distributed.config import keys_of, spool_dir
    from archiver.distributed.outbox import send_left_spools
    from archiver.distributed.worker import WorkerProcess, wait_for_work

    overrides = {**settings, "ARCHIVER_REDIS_URL": redis_url, "ARCHIVER_IDLE_TIMEOUT": str(idle_timeout)}
    if warc_dir:
        overrides["ARCHIVER_WARC_DIR"] = warc_dir
    check_warc_settings(overrides)
    crawl_settings = scrapy_settings("", overrides, verbose=verbose, quiet=quiet)
    keys = keys_of(crawl_settings)
    client = _connect(redis_url)
    try:
        # Pages an earlier worker on this machine kept while Redis refused them go first.
        send_left_spools(client, spool_dir(crawl_settings),
                         log=(lambda text: None) if quiet else (lambda text: click.echo(f"worker: {text}", err=True)))
        jobs = wait_for_work(client, keys, run_id, idle_timeout)
    except RedisError as exc:
        raise click.ClickException(f"Redis: {exc}") from exc
    finally:
        client.close()
    if not jobs and (run_id or idle_timeout):
        if not quiet:
            click.echo(f"no work: run {run_id} has no open job" if run_id else
                       "no work: no run in Redis yet (push seeds with `archiver enqueue`)", err=True)
        sys.exit(0)
    log = (lambda text: None) if quiet else (lambda text: click.echo(f"worker: {text}", err=True))
    results = WorkerProcess(crawl_settings, run=run_id, idle_timeout=idle_timeout, log=log).start()
    for r in results:
        if quiet and r.reason == "finished":
            continue
        click.echo(f"run {r.run} [{r.job}] {r.reason or 'not started'}: {r.pages} pages fetched, "
                   f"{r.queued} items queued for `archiver ingest`", err=True)
    sys.exit(0 if all(r.reason == "finished" for r in results) else 1)


# --- archiver enqueue ---------------------------------------------------------

@click.command()
@click.argument("urls", nargs=-1)
@seed_options
@redis_option
@click.option("--run", "run_id", metavar="RUN", help="Add to this run instead of starting a new one.")
@click.option("--job", "job_name", metavar="NAME", help="Name of the job the URLs go to (default: the mode).")
@db_option
@settings_option
@click.option("-q", "--quiet", is_flag=True, help="Print only the run id.")
@archive_errors
@needs_distributed_extra
def enqueue(urls, input_file, redis_url, run_id, job_name, mode, depth, max_pages, allow, deny, sources_file,
            only, due, db_path, settings, quiet):
    """Push seeds for a distributed crawl; print the run id.

    Starts a new run (or adds to --run): its own frontier and duplicate filter
    in Redis, so a scheduled run is not filtered away by the last one. Workers
    (`archiver worker`) take the work; `archiver ingest` writes it. With --due,
    a source whose last run is still open in Redis is skipped (--db is only
    read for --due). Give workers and ingest the same -s ARCHIVER_REDIS_PREFIX
    as enqueue.

    \b
    Example:
        archiver enqueue --redis redis://:secret@10.0.0.5:6379/0 --follow https://example.com/news/
        archiver enqueue --redis $ARCHIVER_REDIS_URL --sources sources.toml --due --db archive.db
        archiver enqueue --redis $ARCHIVER_REDIS_URL --run 20240306-081500-ab12 https://example.com/a.html
        archiver enqueue -s ARCHIVER_REDIS_PREFIX=team2 -s ARCHIVER_RUN_TTL=2d -i urls.txt
    """
    from archiver.distributed import registry
    from archiver.distributed.config import keys_of, run_ttl
    from archiver.distributed.keys import check_name, new_run_id
    from archiver.seeds import unsupported_url_reason

    if due and not sources_file:  # watch checks are made by `archiver crawl --due`
        raise click.UsageError("--due goes with --sources")
    listed, rejected = listed_urls(urls, input_file)
    jobs: list[tuple[str, registry.JobSpec, list[dict]]] = []
    sources = selected_sources(sources_file, listed + [r.url for r in rejected], mode, only, due)
    if sources is not None:
        if due and Path(db_path).exists():  # no archive yet: every source is due
            sources = due_sources(db_path, sources, quiet=quiet)
        for source in sources:
            try:
                check_name("source name", source.name)
            except ValueError as exc:
                raise click.ClickException(f"{exc} (a job's Redis keys carry it)") from exc
            jobs.append((source.name, *registry.job_from_source(source)))
    else:
        name = job_name or (mode or "urls")
        try:
            check_name("job", name)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--job") from exc
        jobs.append((name, *registry.job_from_urls(name, mode or "urls", listed, depth=depth, max_pages=max_pages,
                                                   allow=allow, deny=deny)))
    bad = [f"  {r.url}: {r.reason}" for r in rejected]
    bad += [f"  {seed['url']}: {reason}" for _, _, seeds in jobs for seed in seeds
            if (reason := unsupported_url_reason(seed["url"]))]
    if bad:
        raise click.ClickException("cannot enqueue:\n" + "\n".join(bad))
    if run_id:
        try:
            check_name("run", run_id)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--run") from exc
    run = run_id or new_run_id()
    if not jobs:
        click.echo("nothing due", err=True)
        sys.exit(0)

    crawl_settings = scrapy_settings(db_path, settings)
    try:
        keys, ttl = keys_of(crawl_settings), run_ttl(crawl_settings)
    except ValueError as exc:
        raise click.BadParameter(f"ARCHIVER_RUN_TTL: {exc}", param_hint="-s/--set") from exc
    client = _connect(redis_url)
    if due:
        from archiver.distributed.worker import open_jobs

        still_open = {job: r for r, job in open_jobs(client, keys)}
        for name in [name for name, _, _ in jobs if name in still_open]:
            click.echo(f"source {name}: run {still_open[name]} is still open; not enqueued again", err=True)
        jobs = [entry for entry in jobs if entry[0] not in still_open]
        if not jobs:
            client.close()
            click.echo("nothing due", err=True)
            sys.exit(0)
    for name, spec, seeds in jobs:
        registry.save_job(client, keys, run, name, spec, ttl)
        registry.push_seeds(client, keys, run, name, seeds, ttl)
    registry.announce_run(client, keys, run)
    client.close()
    click.echo(run)
    if not quiet:
        for name, _, seeds in jobs:
            click.echo(f"run {run} [{name}]: {len(seeds)} seed(s) queued", err=True)
        click.echo(f"workers: archiver worker --redis URL --run {run} --idle-timeout 60\n"
                   f"writer:  archiver ingest --redis URL --db archive.db", err=True)


# --- archiver ingest ----------------------------------------------------------

@click.command()
@redis_option
@db_option
@click.option("--idle-timeout", type=Seconds(), default=0, metavar="SECONDS",
              help="Stop after this long with nothing to write (default: run until stopped).")
@click.option("--batch", "batch_size", default=100, show_default=True, type=click.IntRange(1, 10_000),
              help="Items written per transaction at most.")
@click.option("--no-raw", is_flag=True, help="Do not keep raw responses (workers may also leave them out).")
@settings_option
@click.option("-q", "--quiet", is_flag=True, help="Only errors and run summaries.")
@archive_errors
@needs_distributed_extra
def ingest(redis_url, db_path, idle_timeout, batch_size, no_raw, settings, quiet):
    """Write the items of distributed workers into the archive: the single writer.

    Items leave Redis only after they are committed; after a crash, run it
    again and it writes what was left, nothing twice. A malformed item is
    quarantined on the rejected list with the reason. Each job of each run is
    recorded as a run (`archiver runs`), ended when its last worker stops or is
    found gone. It publishes the archive's fetch states for the workers'
    revisit rules, and waits out Redis restarts. Only one ingest per Redis and
    archive at a time.

    \b
    Example:
        archiver ingest --redis redis://:secret@10.0.0.5:6379/0 --db archive.db
        archiver ingest --redis $ARCHIVER_REDIS_URL --db archive.db --idle-timeout 300   # from cron
        archiver ingest --db archive.db -s ARCHIVER_REDIS_PREFIX=team2
    """
    from redis import RedisError

    from archiver.distributed.config import keys_of
    from archiver.distributed.fetchstates import FetchStatePublisher
    from archiver.distributed.frontier import reap
    from archiver.distributed.ingest import Ingest, WriterLock, WriterLocked
    from archiver.lock import CrawlLock, Locked

    open_db(db_path, readonly=False).conn.close()
    crawl_settings = scrapy_settings(db_path, settings)
    keys = keys_of(crawl_settings)
    worker_ttl = crawl_settings.getfloat("ARCHIVER_WORKER_TTL", 30)
    client = _connect(redis_url)
    stopping = []

    def stop(signum, frame):
        stopping.append(signum)

    def log(text):
        if not quiet:
            click.echo(f"ingest: {text}", err=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    lock = WriterLock(client, keys.ingest_lock)
    publisher = FetchStatePublisher(client, keys, log)
    reaped_at = [0.0]

    def tick():
        lock.refresh(reacquire=True)
        # Workers that died are found here too, so their runs end even when no worker is left.
        if time.monotonic() - reaped_at[0] >= max(1.0, worker_ttl / 3):
            reaped_at[0] = time.monotonic()
            for name, run, job, n in reap(client, keys, worker_ttl):
                log(f"worker {name} is gone: {n} request(s) of run {run} [{job}] put back on the queue")

    try:
        with CrawlLock(db_path, holder="archiver ingest"):
            # A killed writer's lock expires within seconds: wait that long for it.
            lock.acquire(wait=lock.ttl_ms / 1000 + 1)
            try:
                writer = Ingest(client, keys, db_path, batch_size=batch_size, keep_raw=not no_raw,
                                on_finished=lambda run_id: report_run(db_path, run_id, quiet=quiet), log=log,
                                on_written=lambda w, urls: publisher.publish(w.db, urls),
                                redis_wait=crawl_settings.getfloat("ARCHIVER_REDIS_WAIT", 120))
                db = open_db(db_path)
                published = publisher.publish_all(db)
                db.conn.close()
                log(f"published the fetch state of {published} archived URL(s) for the workers' revisit rules")
                counts = writer.run(idle_timeout=idle_timeout, stop=lambda: bool(stopping), tick=tick)
            finally:
                lock.release()
    except (Locked, WriterLocked) as exc:
        raise click.ClickException(f"{exc}; not starting another ({db_path})") from exc
    except RedisError as exc:
        raise click.ClickException(f"lost Redis ({exc}); what was not committed is still there: run ingest again") from exc
    if not quiet:
        click.echo(f"ingest: {counts.articles} pages and {counts.outcomes} outcomes written -> {db_path}"
                   + (f" ({counts.already_written} already written before a crash)" if counts.already_written else "")
                   + (f"; {counts.rejected} unusable item(s) quarantined on {keys.rejected}" if counts.rejected else ""),
                   err=True)


# --- archiver status ----------------------------------------------------------

@click.command()
@redis_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@settings_option
@needs_distributed_extra
def status(redis_url, as_json, settings):
    """Show the distributed crawl as Redis sees it: runs, workers, writer, memory.

    Open runs with their queues and the pages requested, requests leased to
    workers (and the URLs held by workers presumed gone), what waits for
    `archiver ingest` and what it quarantined, live workers with their last
    heartbeat, and Redis's memory use against its maxmemory.

    \b
    Example:
        archiver status --redis redis://:secret@10.0.0.5:6379/0
        archiver status --json -s ARCHIVER_REDIS_PREFIX=team2 | jq '.runs[].jobs[].queued'
    """
    import json

    from redis import RedisError

    from archiver.distributed.config import keys_of
    from archiver.distributed.registry import connect
    from archiver.distributed.status import cluster_status, describe

    crawl_settings = scrapy_settings("", settings)
    client = _connect(redis_url)
    try:
        report = cluster_status(client, connect(redis_url, decode=False), keys_of(crawl_settings),
                                crawl_settings.getfloat("ARCHIVER_WORKER_TTL", 30))
    except RedisError as exc:
        raise click.ClickException(f"Redis: {exc}") from exc
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        for line in describe(report):
            click.echo(line)
