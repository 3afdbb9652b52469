"""Export the archive as JSON Lines or CSV, streaming rows (constant memory)."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import sqlite_utils

from archiver.record import RECORD_FIELDS
from archiver.store.queries import iter_articles

EXPORT_DIR = Path("exports")
EXTENSIONS = {"jsonl": "jsonl", "csv": "csv"}
# A spreadsheet runs a cell starting with these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def default_export_path(fmt: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return EXPORT_DIR / f"articles-{stamp}.{EXTENSIONS[fmt]}"


def csv_cell(value: Any) -> Any:
    """One CSV cell: lists joined with "; ", links as URLs, formulas neutralized."""
    if isinstance(value, list):
        value = "; ".join(v.get("url", "") if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_articles(db: sqlite_utils.Database, fmt: str, out: IO[str]) -> int:
    """Write every article to `out`; the number written."""
    count = 0
    if fmt == "jsonl":
        for record in iter_articles(db):
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")
            count += 1
    elif fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(RECORD_FIELDS)
        for record in iter_articles(db):
            writer.writerow([csv_cell(record[name]) for name in RECORD_FIELDS])
            count += 1
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return count
