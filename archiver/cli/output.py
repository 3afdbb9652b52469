"""Rows to stdout as a text table, a JSON array, JSON lines or CSV (streaming where it can)."""

from __future__ import annotations

import base64
import csv
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click


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
