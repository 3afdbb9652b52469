"""`archiver export`: the archive as files for other tools."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import sys
from pathlib import Path

import click

from archiver.cli.options import archive_errors, db_option, filter_options, open_db, quiet_option
from archiver.export import FORMATS, RESPONSE_FORMATS


@click.command()
@db_option
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(allow_dash=True),
              help="Output file ('-' for stdout), or folder for markdown. "
                   "Default: exports/articles-<UTC timestamp>.<ext>")
@filter_options
@click.option("--since-last", is_flag=True,
              help="Only articles new or changed since the last --since-last export with the same "
                   "format and filters; remembers where this one stops.")
@click.option("--force", is_flag=True, help="Overwrite an existing output file (or write into a non-empty folder).")
@quiet_option
@archive_errors
def export(db_path, fmt, output, filters, since_last, force, quiet):
    """Write stored articles to JSON Lines, JSON, CSV, Parquet, Markdown, WARC or WACZ, streaming.

    CSV flattens lists with "; " (related links as their URLs) and neutralizes
    cells that a spreadsheet would run as formulas. Parquet (the optional extra
    news-archiver[parquet]) keeps the types for pandas, polars and DuckDB: times
    as timestamps with time zone (UTC), lists as lists. Markdown writes one file per
    article with the metadata as YAML front matter. WARC holds the raw responses
    as they were fetched (every stored version), for replay tools such as pywb;
    WACZ packages that WARC with its index and the articles' titles and text, for
    ReplayWeb.page.

    \b
    Example:
        archiver export
        archiver export --format csv -o articles.csv --site example.com --since 2024-03-01
        archiver export --format parquet -o articles.parquet --dedupe
        archiver export --format markdown -o notes/
        archiver export --format warc -o archive.warc.gz
        archiver export --format wacz -o archive.wacz --site example.com
        archiver export --since-last -o - | jq .title
    """
    from archiver.export import default_export_path
    from archiver.store import queries

    db = open_db(db_path, readonly=not since_last)
    window, key, marks = None, None, None
    if since_last:
        key = _state_key(fmt, filters)
        previous = queries.last_export(db, key) or {}
        marks = queries.change_marks(db)
        window = queries.ChangeWindow(
            after_version=previous.get("version_mark") or 0, upto_version=marks[0],
            after_response=previous.get("response_mark") or 0, upto_response=marks[1],
        )
    path = output or str(default_export_path(fmt))
    if fmt == "markdown" and path == "-":
        raise click.UsageError("markdown is a folder of files: give -o FOLDER, not '-'")
    if fmt == "wacz" and path == "-":
        raise click.UsageError("wacz is a ZIP file: give -o FILE.wacz, not '-'")
    if fmt == "parquet":
        if path == "-":
            raise click.UsageError("parquet is written to a file (its index comes last): give -o FILE, not '-'")
        from archiver.export import MissingExtra, parquet_module

        try:
            parquet_module()
        except MissingExtra as exc:
            raise click.ClickException(str(exc)) from exc
    if path != "-":
        _check_target(Path(path), fmt, force)

    if fmt in RESPONSE_FORMATS:
        items, count_items = queries.iter_responses, queries.count_responses
    elif fmt in ("jsonl", "json"):
        items, count_items = queries.iter_filtered_json, queries.count_filtered
    else:
        items, count_items = queries.iter_filtered, queries.count_filtered
    with _progress(items(db, filters, window), fmt, enabled=not quiet and sys.stderr.isatty(),
                   total=lambda: count_items(db, filters, window)) as tracked:
        count = _write(fmt, tracked, path, articles=lambda: queries.iter_filtered(db, filters, window))
    if since_last:
        from archiver.store.writer import utcnow

        queries.remember_export(db, key, version_mark=marks[0], response_mark=marks[1],
                                path=path, count=count, exported_at=utcnow())
    if not quiet:
        noun = "responses" if fmt in RESPONSE_FORMATS else "articles"
        click.echo(f"exported {count} {noun} to {path}", err=True)


def _state_key(fmt: str, filters) -> str:
    parts = [fmt]
    for name in ("sites", "authors", "tags", "languages"):
        parts += [f"{name}={v}" for v in sorted(getattr(filters, name))]
    parts += [f"{name}={getattr(filters, name)}" for name in ("since", "until") if getattr(filters, name)]
    parts += ["dedupe"] if filters.dedupe else []
    return " ".join(parts)


def _check_target(path: Path, fmt: str, force: bool) -> None:
    if fmt == "markdown":
        if path.exists() and not path.is_dir():
            raise click.ClickException(f"{path} is a file; markdown needs a folder")
        if path.is_dir() and any(path.iterdir()) and not force:
            raise click.ClickException(f"{path} is not empty; use --force to write into it")
        return
    if path.is_dir():
        raise click.ClickException(f"{path} is a folder; give a file name")
    if path.exists() and not path.is_file():
        # A FIFO, a device, a socket: replacing it would break whatever uses it.
        raise click.ClickException(f"{path} is not a regular file; give a file name, or '-' for stdout")
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists; use --force to overwrite it")


@contextlib.contextmanager
def _progress(items, fmt: str, *, enabled: bool, total):
    """A progress bar on stderr around `items`; `total` is only counted when shown."""
    if not enabled:
        yield items
        return
    with click.progressbar(items, length=total(), label=f"export {fmt}", file=sys.stderr,
                           show_pos=True, show_eta=True) as bar:
        yield bar


def _write(fmt: str, items, path: str, *, articles) -> int:
    """Write the export; `articles` gives the article records a WACZ lists as its pages."""
    from archiver import export as writers

    if path == "-":
        if fmt == "warc":
            count = writers.write_warc(items, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return count
        return _text_writer(fmt)(items, sys.stdout)
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_write(path, exc) from exc
    _remove_stale_parts(target)
    # Write beside the target and move it in place when done: an interrupted
    # export never leaves half a file (or half a folder) under the name asked for.
    tmp = target.with_name(f".{target.name}.{os.getpid()}{PART}")
    with _terminate_as_exit():
        try:
            if fmt == "markdown":
                count = writers.write_markdown(items, tmp)
                _move_folder(tmp, target)
            elif fmt == "warc":
                with open(tmp, "wb") as fh:
                    count = writers.write_warc(items, fh, filename=target.name)
                os.replace(tmp, target)
            elif fmt == "wacz":
                from archiver.wacz import write_wacz

                count = write_wacz(items, articles, tmp)
                os.replace(tmp, target)
            elif fmt == "parquet":
                with open(tmp, "wb") as fh:
                    count = writers.write_parquet(items, fh)
                os.replace(tmp, target)
            else:
                with open(tmp, "w", encoding="utf-8", newline="") as fh:
                    count = _text_writer(fmt)(items, fh)
                os.replace(tmp, target)
        except OSError as exc:  # a folder that cannot be written, a full disk
            raise _cannot_write(path, exc) from exc
        finally:
            _remove(tmp)
    return count


PART = ".part"


def _cannot_write(path: str, exc: OSError) -> click.ClickException:
    return click.ClickException(f"cannot write {path}: {exc.strerror or exc}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _remove_stale_parts(target: Path) -> None:
    """Parts (`.NAME.PID.part`) left beside the target by exports that were killed."""
    for part in target.parent.glob(f".{glob.escape(target.name)}.*{PART}"):
        pid = part.name[len(target.name) + 2:-len(PART)]
        if pid.isascii() and pid.isdigit() and not _alive(int(pid)):
            _remove(part)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _move_folder(built: Path, target: Path) -> None:
    """Put a folder built beside `target` in its place: at once when the target is
    absent or empty, else (--force) file by file, each replaced in one step."""
    if not target.exists() or (target.is_dir() and not any(target.iterdir())):
        os.replace(built, target)
        return
    for entry in built.iterdir():
        os.replace(entry, target / entry.name)
    built.rmdir()


@contextlib.contextmanager
def _terminate_as_exit():
    """SIGTERM (kill, systemd stop) ends the export like Ctrl-C does: cleanup runs."""
    def terminate(signum, frame):
        sys.exit(128 + signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _text_writer(fmt: str):
    from archiver import export as writers

    return {"jsonl": writers.write_jsonl, "json": writers.write_json, "csv": writers.write_csv}[fmt]
