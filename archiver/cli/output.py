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


class ProgressLine:
    """`label: N records, R records/s` on stderr, rewritten in place at most twice a
    second; only on a terminal, and not with --quiet. Call it with the count so far."""

    def __init__(self, label: str, *, total: int | None = None, enabled: bool = True, noun: str = "records"):
        import time

        self.label, self.total, self.noun = label, total, noun
        self.enabled = enabled and sys.stderr.isatty()
        self.started = self._shown = time.monotonic()
        self.count = 0

    def __call__(self, count: int) -> None:
        import time

        self.count = count
        now = time.monotonic()
        if self.enabled and now - self._shown >= 0.5:
            self._shown = now
            self._show(now)

    def _show(self, now: float) -> None:
        of = f"/{self.total}" if self.total is not None else ""
        rate = self.count / max(now - self.started, 1e-6)
        click.echo(f"\r{self.label}: {self.count}{of} {self.noun}, {rate:.1f} {self.noun}/s ", nl=False, err=True)

    def close(self) -> None:
        import time

        if self.enabled:
            self._show(time.monotonic())
            click.echo("", err=True)


# What a run counted without listing (besides links not due), as its summary words it.
_PASSED = (("outside_filters", "records outside the filters"), ("imported_before", "records imported before"))


# The counts of a run, in the order the summary and `archiver runs` show them.
RUN_COUNTS = (("archived", "archived"), ("updated", "updated"), ("unchanged", "unchanged"),
              ("not_due", "not due"), ("skipped", "skipped"), ("failed", "failed"))


def run_counts(run: dict, *, label_first: bool = False) -> str:
    """"3 archived, 0 updated, …" (or "archived 3, …" for the lines of `archiver runs`)."""
    parts = ((label, run.get(key) or 0) for key, label in RUN_COUNTS)
    return ", ".join(f"{label} {n}" if label_first else f"{n} {label}" for label, n in parts)


def end_killed_runs(db_path: str, *, quiet: bool = False) -> None:
    """Under the crawl lock: record the runs whose process died as killed, and say so."""
    from archiver.store.writer import end_abandoned_runs

    for run in end_abandoned_runs(db_path):
        if not quiet:
            click.echo(f"run {run['id']} (pid {run['pid']}) was killed before it ended; recorded as killed", err=True)


def report_run(db_path: str, run_id: int | None, *, quiet: bool = False, error: str | None = None) -> int:
    """Print a run's summary on stderr; the exit status it deserves.

    Quiet (cron): nothing at all when the run finished and nothing failed, else
    the summary and the failures.
    """
    from archiver.store.queries import get_run, run_pages

    if run_id is None:
        click.echo(f"Error: the crawl did not start: {error or 'see the log above'}", err=True)
        return 1
    db = open_db(db_path)
    run = get_run(db, run_id)
    ok = not run["failed"] and run["status"] == "finished" and not error
    if quiet and ok:
        return 0
    source = f" [{run['source']}]" if run.get("source") else ""
    passed = [f"{run[key]} {words}" for key, words in _PASSED if run.get(key)]
    passed = f" ({', '.join(passed)})" if passed else ""
    click.echo(f"run {run_id}{source} {run['status']}: {run_counts(run)}{passed} -> {db_path}", err=True)
    for outcome in ("failed",) if quiet else ("skipped", "failed"):
        for page in run_pages(db, run_id, outcome):
            click.echo(f"  {outcome}: {page['url']}: {page['reason']}", err=True)
    if error:
        click.echo(f"Error: {error}", err=True)
    return 0 if ok else 1
