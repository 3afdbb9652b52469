"""`archiver enqueue`, `archiver ingest`, and `archiver crawl --redis`: crawling on several machines.

Redis is imported only when one of these runs with a Redis URL.
"""

from __future__ import annotations

import functools
import signal
import sys
from pathlib import Path

import click

from archiver.cli import cli
from archiver.cli.options import archive_errors, db_option, seed_options

REDIS_HELP = "Redis of the shared frontier, e.g. redis://:PASSWORD@host:6379/0."


def redis_option(required: bool):
    return click.option("--redis", "redis_url", envvar="ARCHIVER_REDIS_URL", show_envvar=True,
                        required=required, metavar="URL", help=REDIS_HELP)


def _connect(redis_url: str):
    from archiver.distributed.registry import RedisUnavailable, connect

    try:
        return connect(redis_url)
    except RedisUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


# --- archiver crawl --redis: a worker -------------------------------------------

def worker_options(command):
    """Adds --redis/--run/--idle-timeout to `archiver crawl`; with a Redis URL it runs a worker."""

    @functools.wraps(command)
    def wrapper(*args, redis_url, run_id, idle_timeout, **kwargs):
        if not redis_url:
            if run_id or idle_timeout:
                raise click.UsageError("--run and --idle-timeout go with --redis")
            return command(*args, **kwargs)
        given = [name for name in ("urls", "input_file", "mode", "sources_file", "only", "due") if kwargs.get(name)]
        if given:
            raise click.UsageError(
                "a worker (--redis, or ARCHIVER_REDIS_URL set) takes its work from Redis: "
                "push URLs, feeds, sitemaps or sources with `archiver enqueue`")
        return crawl_worker(redis_url, run_id, idle_timeout or 0, kwargs)

    for option in reversed([
        click.option("--redis", "redis_url", envvar="ARCHIVER_REDIS_URL", show_envvar=True, metavar="URL",
                     help="Work as one worker of a distributed crawl (see `archiver enqueue`); "
                          "items go to Redis for `archiver ingest`, not to --db."),
        click.option("--run", "run_id", metavar="RUN",
                     help="With --redis: the run to work on (default: the one the last `archiver enqueue` started)."),
        click.option("--idle-timeout", type=click.FloatRange(0), metavar="SECONDS",
                     help="With --redis: stop after this long with nothing to fetch (default: wait for work forever)."),
    ]):
        wrapper = option(wrapper)
    # click lists parameters last-added first: show these after the crawl's own.
    params = wrapper.__click_params__
    params[:0] = [params.pop() for _ in range(3)][::-1]
    return wrapper


def crawl_worker(redis_url: str, run_id: str | None, idle_timeout: float, kwargs) -> None:
    from archiver.crawl import build_settings, parse_setting
    from archiver.distributed.config import keys_of
    from archiver.distributed.worker import run_worker, wait_for_run

    try:
        overrides = dict(parse_setting(s) for s in kwargs.get("settings") or ())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="-s/--set") from exc
    verbose, quiet = kwargs.get("verbose"), kwargs.get("quiet")
    overrides.update(ARCHIVER_REDIS_URL=redis_url, ARCHIVER_IDLE_TIMEOUT=str(idle_timeout))
    settings = build_settings("", overrides, log_level="INFO" if verbose else "ERROR" if quiet else "WARNING",
                              progress=not quiet and not verbose and sys.stderr.isatty())
    client = _connect(redis_url)
    run, jobs = wait_for_run(client, keys_of(settings), run_id, idle_timeout)
    client.close()
    if not jobs:
        click.echo(f"no work: run {run} has no jobs" if run else
                   "no work: no run in Redis yet (push seeds with `archiver enqueue`)", err=True)
        sys.exit(0)
    if not quiet:
        click.echo(f"worker on run {run}: {', '.join(jobs)}", err=True)
    results = run_worker(settings, run, jobs)
    for r in results:
        click.echo(f"run {run} [{r.job}] {r.reason or 'not started'}: {r.pages} pages fetched, "
                   f"{r.queued} items queued for `archiver ingest`", err=True)
    sys.exit(0 if all(r.reason == "finished" for r in results) else 1)


# --- archiver enqueue ---------------------------------------------------------

@cli.command()
@click.argument("urls", nargs=-1)
@seed_options
@redis_option(required=True)
@click.option("--run", "run_id", metavar="RUN", help="Add to this run instead of starting a new one.")
@click.option("--job", "job_name", metavar="NAME", help="Name of the job the URLs go to (default: the mode).")
@db_option
@click.option("-q", "--quiet", is_flag=True, help="Print only the run id.")
@archive_errors
def enqueue(urls, input_file, redis_url, run_id, job_name, mode, depth, max_pages, allow, deny, sources_file,
            only, due, db_path, quiet):
    """Push seeds for a distributed crawl; print the run id.

    Starts a new run (or adds to --run): its own frontier and duplicate filter
    in Redis, so every scheduled run fetches its pages again. Workers
    (`archiver crawl --redis URL`) take the work; `archiver ingest` writes it.
    --db is only read for --due.

    \b
    Example:
        archiver enqueue --redis redis://:secret@10.0.0.5:6379/0 --follow https://example.com/news/
        archiver enqueue --redis $ARCHIVER_REDIS_URL --sources sources.toml --due --db archive.db
        archiver enqueue --redis $ARCHIVER_REDIS_URL --run 20240306-081500-ab12 https://example.com/a.html
    """
    from archiver.cli.crawl_cmd import due_sources, selected_sources
    from archiver.distributed import registry
    from archiver.distributed.config import keys_of
    from archiver.distributed.keys import check_name, new_run_id
    from archiver.settings import ARCHIVER_REDIS_PREFIX, ARCHIVER_RUN_TTL
    from archiver.sources import parse_duration
    from archiver.seeds import read_url_list, unsupported_url_reason

    listed = list(urls) + (read_url_list(input_file.read()) if input_file is not None else [])
    jobs: list[tuple[str, registry.JobSpec, list[dict]]] = []
    sources = selected_sources(sources_file, listed, mode, only, due)
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
    bad = [f"  {seed['url']}: {reason}" for _, _, seeds in jobs for seed in seeds
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

    keys = keys_of({"ARCHIVER_REDIS_PREFIX": ARCHIVER_REDIS_PREFIX})
    ttl = parse_duration(ARCHIVER_RUN_TTL)
    client = _connect(redis_url)
    for name, spec, seeds in jobs:
        registry.save_job(client, keys, run, name, spec, ttl)
        registry.push_seeds(client, keys, run, name, seeds, ttl)
    registry.announce_run(client, keys, run)
    client.close()
    click.echo(run)
    if not quiet:
        for name, _, seeds in jobs:
            click.echo(f"run {run} [{name}]: {len(seeds)} seed(s) queued", err=True)
        click.echo(f"workers: archiver crawl --redis URL --run {run} --idle-timeout 60\n"
                   f"writer:  archiver ingest --redis URL --db archive.db", err=True)


# --- archiver ingest ----------------------------------------------------------

@cli.command()
@redis_option(required=True)
@db_option
@click.option("--idle-timeout", type=click.FloatRange(0), default=0, metavar="SECONDS",
              help="Stop after this long with nothing to write (default: run until stopped).")
@click.option("--batch", "batch_size", default=100, show_default=True, type=click.IntRange(1, 10_000),
              help="Items written per transaction at most.")
@click.option("--no-raw", is_flag=True, help="Do not keep raw responses (workers may also leave them out).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and run summaries.")
@archive_errors
def ingest(redis_url, db_path, idle_timeout, batch_size, no_raw, quiet):
    """Write the items of distributed workers into the archive: the single writer.

    Items leave Redis only after they are committed; after a crash, run it
    again and it writes what was left, nothing twice. Each job of each run is
    recorded as a run (`archiver runs`), finished when its last worker stops.
    Only one ingest per Redis and archive at a time.

    \b
    Example:
        archiver ingest --redis redis://:secret@10.0.0.5:6379/0 --db archive.db
        archiver ingest --redis $ARCHIVER_REDIS_URL --db archive.db --idle-timeout 300   # from cron
    """
    from redis import RedisError

    from archiver.cli.crawl_cmd import report_run
    from archiver.cli.options import open_db
    from archiver.distributed.config import keys_of
    from archiver.distributed.ingest import Ingest, WriterLock, WriterLocked
    from archiver.lock import CrawlLock, Locked
    from archiver.settings import ARCHIVER_REDIS_PREFIX

    open_db(db_path, readonly=False).conn.close()
    keys = keys_of({"ARCHIVER_REDIS_PREFIX": ARCHIVER_REDIS_PREFIX})
    client = _connect(redis_url)
    stopping = []

    def stop(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    lock = WriterLock(client, keys.ingest_lock)
    try:
        with CrawlLock(db_path):
            # A killed writer's lock expires within seconds: wait that long for it.
            lock.acquire(wait=lock.ttl_ms / 1000 + 1)
            try:
                writer = Ingest(client, keys, db_path, batch_size=batch_size, keep_raw=not no_raw,
                                on_finished=lambda run_id: report_run(db_path, run_id, quiet=quiet),
                                log=(lambda text: None) if quiet else (lambda text: click.echo(f"ingest: {text}", err=True)))
                counts = writer.run(idle_timeout=idle_timeout, stop=lambda: bool(stopping), tick=lock.refresh)
            finally:
                lock.release()
    except (Locked, WriterLocked) as exc:
        raise click.ClickException(f"{exc}; not starting another ({db_path})") from exc
    except RedisError as exc:
        raise click.ClickException(f"lost Redis ({exc}); what was not committed is still there: run ingest again") from exc
    if not quiet:
        click.echo(f"ingest: {counts.articles} pages and {counts.outcomes} outcomes written -> {db_path}"
                   + (f" ({counts.already_written} already written before a crash)" if counts.already_written else "")
                   + (f"; {counts.rejected} unreadable item(s) kept on {keys.rejected}" if counts.rejected else ""),
                   err=True)
