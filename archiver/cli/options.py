"""Options and error handling shared by every command (one decorator each)."""

from __future__ import annotations

import functools
import re

import click

DEFAULT_DB = "archive.db"


def db_option(func):
    """--db PATH, shared by every command that opens the archive."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        envvar="ARCHIVER_DB",
        default=DEFAULT_DB,
        show_default=True,
        show_envvar=True,
        help="SQLite archive file.",
    )(func)


# An id or version number: SQLite's integers stop at 2**63 - 1.
ID = click.IntRange(1, 2**63 - 1)


class Seconds(click.ParamType):
    """A number of seconds: finite, from 0 to a century (nan and inf are not waits)."""

    name = "SECONDS"

    def convert(self, value, param, ctx):
        import math

        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(seconds) or not 0 <= seconds <= 100 * 365 * 86400:
            self.fail(f"{value!r} is not a number of seconds from 0 to 3153600000", param, ctx)
        return seconds


def find_article(db, ref: str):
    """An article by id or URL; a URL also as the crawl stores it (tracking parameters removed)."""
    from archiver.normalize.urls import canonical_url
    from archiver.store.queries import get_article

    article = get_article(db, ref)
    canonical = canonical_url(ref)
    if article is None and canonical and canonical != ref:
        article = get_article(db, canonical)
    return article


def json_option(func):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def archive_errors(func):
    """Turn the store's expected errors into `Error: ...` messages (exit 1); a damaged
    archive found while reading says so and how to check it. (The store is imported
    only when an error comes: sqlite-utils, which loads numpy, costs every command a
    seventh of a second, and a crawl's extraction workers start only after it.)"""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        path = kwargs.get("db_path") or DEFAULT_DB
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            import sqlite3

            from archiver.store.queries import QueryError
            from archiver.store.schema import ArchiveError, damaged, is_damage

            if isinstance(exc, (ArchiveError, QueryError)):
                raise click.ClickException(str(exc)) from exc
            if isinstance(exc, sqlite3.Error):
                if is_damage(exc):
                    raise click.ClickException(str(damaged(path, exc))) from exc
                raise click.ClickException(f"cannot read the archive {path}: {exc}") from exc
            raise

    return wrapper


def open_db(db_path: str, *, readonly: bool = True, check: bool = False):
    from archiver.store.schema import connect

    return connect(db_path, readonly=readonly, check=check)


def article_or_fail(db_path: str, ref: str):
    """The archive and the article `ref` names (id or URL); `Error: no article …` if none."""
    db = open_db(db_path)
    article = find_article(db, ref)
    if article is None:
        raise click.ClickException(f"no article {ref!r} in {db_path}")
    return db, article


class DateTimeParam(click.ParamType):
    """A day (2024-03-06) or an ISO 8601 date-time (2024-03-06T08:00)."""

    name = "DATE"

    def convert(self, value, param, ctx):
        from archiver.store.queries import filter_date

        try:
            return filter_date(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _languages(ctx, param, values) -> tuple[str, ...]:
    """`--lang de,fr` (repeatable) as language codes."""
    codes = []
    for value in values or ():
        for part in value.split(","):
            code = part.strip().lower()
            if not code:
                continue
            if not re.fullmatch(r"[a-z]{2,3}", code):
                raise click.BadParameter(f"{part.strip()!r} is not a language code (de, fr, en...)")
            codes.append(code)
    return tuple(dict.fromkeys(codes))


def lang_option(help_text: str):
    return click.option("--lang", "languages", multiple=True, metavar="CODES", callback=_languages,
                        help=help_text)


def filter_options(func):
    """--site --author --tag --since --until --lang --gone --dedupe, handed to the command as `filters`."""

    @functools.wraps(func)
    def wrapper(*args, site, author, tag, since, until, languages, gone, dedupe, **kwargs):
        from archiver.store.queries import ArticleFilters

        filters = ArticleFilters(sites=tuple(site), authors=tuple(author), tags=tuple(tag), since=since, until=until,
                                 languages=languages, gone=gone, dedupe=dedupe)
        return func(*args, filters=filters, **kwargs)

    options = [
        click.option("--site", multiple=True, help="Only articles from this site (host name; repeatable)."),
        click.option("--author", multiple=True, help="Only articles with an author whose name contains this (repeatable)."),
        click.option("--tag", multiple=True, help="Only articles with this tag (repeatable)."),
        click.option("--since", type=DateTimeParam(), help="Only articles published on or after this date."),
        click.option("--until", type=DateTimeParam(), help="Only articles published on or before this date."),
        lang_option("Only articles in these languages (the detected language; e.g. de,fr)."),
        click.option("--gone", is_flag=True,
                     help="Only articles found gone (404/410, sent to the home page, \"page not found\")."),
        click.option("--dedupe", is_flag=True,
                     help="One article per syndication cluster (copies of one story): its original, or, "
                          "where the other filters leave the original out, the first archived copy they match."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def output_options(func):
    """--json / --nl / --csv (default: text for people), handed on as `output`."""

    @functools.wraps(func)
    def wrapper(*args, as_json, as_nl, as_csv, **kwargs):
        chosen = [name for name, on in (("json", as_json), ("nl", as_nl), ("csv", as_csv)) if on]
        if len(chosen) > 1:
            raise click.UsageError("choose one of --json, --nl and --csv")
        return func(*args, output=chosen[0] if chosen else "text", **kwargs)

    wrapper = click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header row.")(wrapper)
    wrapper = click.option("--nl", "as_nl", is_flag=True, help="Print one JSON object per line.")(wrapper)
    return click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")(wrapper)


def quiet_option(func):
    return click.option("-q", "--quiet", is_flag=True, help="No progress bar or messages on stderr.")(func)


_MODES = "archiver_modes"
_FOLLOW_ONLY = ("depth", "allow", "deny")


def _mode_flag(name: str, help_text: str):
    def remember(ctx, param, value):
        if value:
            ctx.meta.setdefault(_MODES, []).append(name)

    return click.option(f"--{name}", is_flag=True, expose_value=False, callback=remember, help=help_text)


_SEED_OPTIONS = [
    click.option("-i", "--input", "input_file", type=click.File("rb"),
                 help="Read URLs from a file, one per line ('-' for stdin); UTF-8, or UTF-16 with a BOM."),
    _mode_flag("follow", "URLs are home or section pages: follow links on the same site, archive the articles."),
    _mode_flag("feed", "URLs are RSS/Atom feeds (or pages announcing one): archive the articles they list."),
    _mode_flag("sitemap", "URLs are sitemaps or sitemap indexes (a site root: found via robots.txt)."),
    click.option("--depth", default=2, show_default=True, type=click.IntRange(0, 50),
                 help="With --follow: link hops from the start pages."),
    click.option("--max-pages", default=1000, show_default=True, type=click.IntRange(1),
                 help="With --follow, --feed or --sitemap: pages to request at most (start pages, links, "
                      "feed and sitemap entries; not the feed and sitemap files)."),
    click.option("--allow", multiple=True, metavar="REGEX", help="With --follow: only follow URLs matching (repeatable)."),
    click.option("--deny", multiple=True, metavar="REGEX", help="With --follow: never follow URLs matching (repeatable)."),
    click.option("--sources", "sources_file", type=click.Path(dir_okay=False),
                 help="The sites of a sources file (TOML; see the README)."),
    click.option("--only", multiple=True, metavar="NAME", help="With --sources: only these sources (repeatable)."),
    click.option("--due", is_flag=True,
                 help="With --sources: only sources whose interval has elapsed since their last finished run, "
                      "and the watch checks that are due; alone: the due checks of articles watched with --watch."),
]


def _given(ctx: click.Context, name: str) -> bool:
    from click.core import ParameterSource

    return ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)


def _check_seed_options(ctx: click.Context, sources_file) -> str | None:
    """The mode the flags name; usage errors for options that do not go together."""
    modes = list(dict.fromkeys(ctx.meta.get(_MODES, [])))
    if len(modes) > 1:
        raise click.UsageError("choose one of --follow, --feed and --sitemap (a sources file can mix them per site)")
    mode = modes[0] if modes else None
    tuning = [name for name in (*_FOLLOW_ONLY, "max_pages") if _given(ctx, name)]
    option = "--" + (tuning[0].replace("_", "-") if tuning else "")
    if sources_file and tuning:
        raise click.UsageError(f"{option} does not go with --sources: set it per source in the file")
    if mode != "follow" and any(name in _FOLLOW_ONLY for name in tuning):
        option = "--" + next(n for n in tuning if n in _FOLLOW_ONLY)
        raise click.UsageError(f"{option} goes with --follow")
    if mode is None and not sources_file and "max_pages" in tuning:
        raise click.UsageError("--max-pages bounds the pages a crawl finds (--follow, --feed, --sitemap); "
                               "every URL you list is fetched")
    return mode


def seed_options(func):
    """What to crawl: URLs or a list of them, the mode they are in, or a sources file.
    The command gets `mode` (None: article URLs)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        mode = _check_seed_options(click.get_current_context(), kwargs.get("sources_file"))
        return func(*args, mode=mode, **kwargs)

    for option in reversed(_SEED_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def listed_urls(urls, input_file):
    """The URLs of the arguments and of `-i FILE`, and the lines of the file that could not be read."""
    from archiver.seeds import read_url_list

    if input_file is None:
        return list(urls), []
    name = "stdin" if input_file.name in ("-", "<stdin>") else input_file.name
    read = read_url_list(input_file.read(), name)
    return list(urls) + read.urls, read.rejected


def parse_setting(text: str) -> tuple[str, str]:
    """`NAME=VALUE` as given to -s; ValueError when there is no '='."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


def _settings_dict(ctx, param, values) -> dict[str, str]:
    try:
        return dict(parse_setting(text) for text in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from exc


def settings_option(func):
    """-s NAME=VALUE (repeatable), handed on as `settings`, a dict of Scrapy setting overrides."""
    return click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", callback=_settings_dict,
                        help="Override a Scrapy setting, as `scrapy crawl -s` does (repeatable).")(func)


def warc_option(func):
    """--warc DIR: the exchanges of a crawl written to WARC files as fetched (ARCHIVER_WARC_DIR)."""
    return click.option("--warc", "warc_dir", type=click.Path(file_okay=False), metavar="DIR",
                        help="Also write every exchange to WARC files in DIR, as fetched (ARCHIVER_WARC_DIR).")(func)


def check_warc_settings(settings: dict[str, str]) -> None:
    """Usage errors for a WARC folder that cannot be written or a size that is not one,
    before anything is fetched (`--warc DIR`, `-s ARCHIVER_WARC_DIR=`, `-s ARCHIVER_WARC_MAX_SIZE=`)."""
    import os
    from pathlib import Path

    from archiver.warc import parse_size

    if "ARCHIVER_WARC_MAX_SIZE" in settings:
        try:
            parse_size(settings["ARCHIVER_WARC_MAX_SIZE"])
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="-s ARCHIVER_WARC_MAX_SIZE") from exc
    folder = settings.get("ARCHIVER_WARC_DIR")
    if not folder:
        return
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.BadParameter(f"cannot create {folder}: {exc.strerror or exc}", param_hint="--warc") from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise click.BadParameter(f"{folder} is not writable", param_hint="--warc")


def verbosity_options(func):
    """-v (Scrapy's log) and -q (only what failed), for the commands that crawl."""
    func = click.option("-q", "--quiet", is_flag=True,
                        help="Print nothing when nothing failed (for cron); else the summary and the failures.")(func)
    return click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO level).")(func)


def scrapy_settings(db_path: str, overrides: dict[str, str], *, verbose: bool = False, quiet: bool = False):
    """archiver's Scrapy settings with the -s overrides, logging as -v/-q ask; a value
    Scrapy could not use (DOWNLOAD_TIMEOUT=abc) is a usage error before anything starts."""
    import sys

    from archiver.crawl import build_settings, check_overrides

    try:
        check_overrides(overrides)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="-s/--set") from exc
    return build_settings(db_path, overrides, log_level="INFO" if verbose else "ERROR" if quiet else "WARNING",
                          progress=not quiet and not verbose and sys.stderr.isatty())


def selected_sources(sources_file, listed, mode, only, due):
    """The sources a `--sources FILE [--only NAME]` call names (None without --sources);
    usage errors for options that do not go together."""
    from archiver.sources import SourcesError, load_sources

    if not sources_file:
        if only:
            raise click.UsageError("--only goes with --sources")
        if due and (listed or mode):
            raise click.UsageError("--due runs what is due: give no URLs or mode with it")
        if not listed and not due:
            raise click.UsageError("give at least one URL (or --input FILE, or --sources FILE)")
        return None
    if listed or mode:
        raise click.UsageError("--sources takes its URLs from the file; give no URLs or mode with it")
    try:
        sources = load_sources(sources_file)
    except SourcesError as exc:
        raise click.ClickException(str(exc)) from exc
    unknown = sorted(set(only) - {s.name for s in sources})
    if unknown:
        raise click.UsageError(f"no source named {', '.join(unknown)} in {sources_file}")
    return [s for s in sources if s.name in only] if only else sources


def next_run_due(db, source):
    """When a source's next run is due: its interval after its last finished run; None when it never ran."""
    from datetime import timedelta

    from archiver import clock
    from archiver.store.queries import last_finished_run

    last = last_finished_run(db, source.name)
    return clock.parse_time(last["started_at"]) + timedelta(seconds=source.interval) if last else None


def not_due_message(source, next_due, extra: str = "") -> None:
    click.echo(f"{source.name}: not due until {next_due.isoformat(timespec='seconds')}{extra}", err=True)


def due_sources(db_path: str, sources, *, quiet: bool):
    """The sources whose interval has elapsed since their last finished run."""
    from archiver import clock

    db = open_db(db_path)
    now = clock.now()
    due = []
    for source in sources:
        next_due = next_run_due(db, source)
        if next_due is None or now >= next_due:
            due.append(source)
        elif not quiet:
            not_due_message(source, next_due)
    db.conn.close()
    return due


def sources_sites(sources_file: str | None):
    """The per-site rules of a sources file (`--sources`), chosen by a page's host."""
    from archiver.extract.sites import Sites
    from archiver.sources import SourcesError, load_sources

    try:
        sources = load_sources(sources_file) if sources_file else []
        return Sites.of_selectors((s.name, s.selectors, s.seed_urls) for s in sources)
    except SourcesError as exc:
        raise click.ClickException(str(exc)) from exc


def sources_rules_option(func):
    return click.option("--sources", "sources_file", type=click.Path(exists=True, dir_okay=False),
                        help="A sources file: pages are read with the selectors of the source whose seeds are "
                             "on their host.")(func)


def workers_option(func):
    return click.option("--workers", default="auto", show_default=True, metavar="N|auto",
                        help="Extraction worker processes (auto: one per core; 0: in this process).")(func)


def extraction_pool(workers: str):
    from archiver.workers import ExtractionPool, configured_workers

    try:
        count = configured_workers(workers)
    except ValueError:
        raise click.BadParameter(f"{workers!r} is not a number or 'auto'", param_hint="--workers") from None
    if count < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--workers")
    return ExtractionPool(count)


def moment(text: str | None, *, end_of_day: bool = False):
    """A `--since`/`--until` value (a day or a date-time; UTC unless it says) as an
    aware datetime; a bare day as `--until` means the end of that day."""
    from datetime import datetime, time, timedelta, timezone

    if text is None:
        return None
    if len(text) == 10:
        day = datetime.combine(datetime.fromisoformat(text).date(), time(), timezone.utc)
        return day + timedelta(days=1, microseconds=-1) if end_of_day else day
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)
