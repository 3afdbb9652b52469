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


