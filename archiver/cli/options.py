"""Options and error handling shared by every command (one decorator each)."""

from __future__ import annotations

import functools

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


def json_option(func):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def archive_errors(func):
    """Turn the store's expected errors into `Error: ...` messages (exit 1)."""
    from archiver.store.queries import QueryError
    from archiver.store.schema import ArchiveError

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (ArchiveError, QueryError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def open_db(db_path: str, *, readonly: bool = True):
    from archiver.store.schema import connect

    return connect(db_path, readonly=readonly)


class DateTimeParam(click.ParamType):
    """A day (2024-03-06) or an ISO 8601 date-time (2024-03-06T08:00)."""

    name = "DATE"

    def convert(self, value, param, ctx):
        from archiver.store.queries import filter_date

        try:
            return filter_date(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def filter_options(func):
    """--site --author --tag --since --until, handed to the command as `filters`."""
    from archiver.store.queries import ArticleFilters

    @functools.wraps(func)
    def wrapper(*args, site, author, tag, since, until, **kwargs):
        filters = ArticleFilters(sites=tuple(site), authors=tuple(author), tags=tuple(tag), since=since, until=until)
        return func(*args, filters=filters, **kwargs)

    options = [
        click.option("--site", multiple=True, help="Only articles from this site (host name; repeatable)."),
        click.option("--author", multiple=True, help="Only articles with an author whose name contains this (repeatable)."),
        click.option("--tag", multiple=True, help="Only articles with this tag (repeatable)."),
        click.option("--since", type=DateTimeParam(), help="Only articles published on or after this date."),
        click.option("--until", type=DateTimeParam(), help="Only articles published on or before this date."),
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


_SEED_OPTIONS = [
    click.option("-i", "--input", "input_file", type=click.File("r", encoding="utf-8"),
                 help="Read URLs from a file, one per line ('-' for stdin)."),
    click.option("--follow", "mode", flag_value="follow",
                 help="URLs are home or section pages: follow links on the same site, archive the articles."),
    click.option("--feed", "mode", flag_value="feed",
                 help="URLs are RSS/Atom feeds (or pages announcing one): archive the articles they list."),
    click.option("--sitemap", "mode", flag_value="sitemap",
                 help="URLs are sitemaps or sitemap indexes (a site root: found via robots.txt)."),
    click.option("--depth", default=2, show_default=True, type=click.IntRange(0, 50),
                 help="With --follow: link hops from the start pages."),
    click.option("--max-pages", default=1000, show_default=True, type=click.IntRange(1),
                 help="With --follow: pages to request at most."),
    click.option("--allow", multiple=True, metavar="REGEX", help="With --follow: only follow URLs matching (repeatable)."),
    click.option("--deny", multiple=True, metavar="REGEX", help="With --follow: never follow URLs matching (repeatable)."),
    click.option("--sources", "sources_file", type=click.Path(dir_okay=False),
                 help="The sites of a sources file (TOML; see the README)."),
    click.option("--only", multiple=True, metavar="NAME", help="With --sources: only these sources (repeatable)."),
    click.option("--due", is_flag=True,
                 help="With --sources: only sources whose interval has elapsed since their last finished run."),
]


def seed_options(func):
    """What to crawl: URLs or a list of them, the mode they are in, or a sources file."""
    for option in reversed(_SEED_OPTIONS):
        func = option(func)
    return func


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


def verbosity_options(func):
    """-v (Scrapy's log) and -q (only errors), for the commands that crawl."""
    func = click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress and no summary details.")(func)
    return click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO level).")(func)


def scrapy_settings(db_path: str, overrides: dict[str, str], *, verbose: bool = False, quiet: bool = False):
    """archiver's Scrapy settings with the -s overrides, logging as -v/-q ask."""
    import sys

    from archiver.crawl import build_settings

    return build_settings(db_path, overrides, log_level="INFO" if verbose else "ERROR" if quiet else "WARNING",
                          progress=not quiet and not verbose and sys.stderr.isatty())


def selected_sources(sources_file, listed, mode, only, due):
    """The sources a `--sources FILE [--only NAME]` call names (None without --sources);
    usage errors for options that do not go together."""
    from archiver.sources import SourcesError, load_sources

    if not sources_file:
        if only or due:
            raise click.UsageError("--only and --due go with --sources")
        if not listed:
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


def due_sources(db_path: str, sources, *, quiet: bool):
    """The sources whose interval has elapsed since their last finished run."""
    from datetime import datetime, timedelta, timezone

    from archiver.store.queries import last_finished_run

    db = open_db(db_path)
    now = datetime.now(timezone.utc)
    due = []
    for source in sources:
        last = last_finished_run(db, source.name)
        if last is None:
            due.append(source)
            continue
        next_due = datetime.fromisoformat(last["started_at"]) + timedelta(seconds=source.interval)
        if now >= next_due:
            due.append(source)
        elif not quiet:
            click.echo(f"{source.name}: not due until {next_due.isoformat(timespec='seconds')}", err=True)
    db.conn.close()
    return due
