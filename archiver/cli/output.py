"""Rows to stdout as a text table, a JSON array, JSON lines or CSV (streaming where it can);
run summaries on stderr."""

from __future__ import annotations

import base64
import csv
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click

from archiver.cli.options import open_db


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$base64": True, "encoded": base64.b64encode(value).decode("ascii")}
    return value


def _text(value: Any, width: int = 60) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return f"<binary: {len(value)} bytes>"
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def emit_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]], output: str) -> int:
    """Write rows (sequences in `columns` order); the number written."""
    out = sys.stdout
    count = 0
    if output == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v for v in row])
            count += 1
    elif output in ("json", "nl"):
        out.write("[" if output == "json" else "")
        for row in rows:
            line = json.dumps({c: _jsonable(v) for c, v in zip(columns, row)}, ensure_ascii=False)
            if output == "json":
                out.write(("\n  " if count == 0 else ",\n  ") + line)
            else:
                out.write(line + "\n")
            count += 1
        if output == "json":
            out.write("\n]\n" if count else "]\n")
    else:
        cells = [[_text(v) for v in row] for row in rows]
        count = len(cells)
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
        click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
        click.echo("  ".join("-" * w for w in widths))
        for r in cells:
            click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return count


def emit_dicts(rows: list[dict[str, Any]], output: str, columns: Sequence[str] | None = None) -> int:
    columns = list(columns or (rows[0].keys() if rows else []))
    return emit_rows(columns, ([row.get(c) for c in columns] for row in rows), output)


def report_run(db_path: str, run_id: int | None, *, quiet: bool = False) -> int:
    """Print a run's summary on stderr; the exit status it deserves."""
    from archiver.store.queries import get_run, run_pages

    if run_id is None:
        click.echo("Error: the crawl did not start (see the log above)", err=True)
        return 1
    db = open_db(db_path)
    run = get_run(db, run_id)
    counts = ", ".join(f"{run[k]} {k}" for k in ("archived", "updated", "unchanged", "skipped", "failed"))
    source = f" [{run['source']}]" if run.get("source") else ""
    not_due = f" ({run['not_due']} archived links not due for a revisit)" if run.get("not_due") else ""
    click.echo(f"run {run_id}{source} {run['status']}: {counts}{not_due} -> {db_path}", err=True)
    if not quiet:
        for outcome in ("skipped", "failed"):
            for page in run_pages(db, run_id, outcome):
                click.echo(f"  {outcome}: {page['url']}: {page['reason']}", err=True)
    if run["failed"]:
        return 1
    return 0 if run["status"] == "finished" else 1
