"""Export the archive: JSON Lines, JSON, CSV, Parquet, a Markdown folder, or WARC of the raw responses
(WACZ, a package around that WARC, is in archiver.wacz).

Every writer takes an iterator (records or responses) and writes as it goes, so memory
stays flat whatever the archive's size.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from archiver import warc
from archiver.record import BY_NAME, MOMENT_FIELDS, RECORD_FIELDS

EXPORT_DIR = Path("exports")
FORMATS = ("jsonl", "json", "csv", "parquet", "markdown", "warc", "wacz")
# Markdown is a folder of files, named without an extension.
EXTENSIONS = {"jsonl": ".jsonl", "json": ".json", "csv": ".csv", "parquet": ".parquet", "markdown": "",
              "warc": ".warc.gz", "wacz": ".wacz"}
# Formats of the raw responses rather than the article records.
RESPONSE_FORMATS = ("warc", "wacz")
# A spreadsheet runs a cell starting with these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def default_export_path(fmt: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    return EXPORT_DIR / f"articles-{stamp}{EXTENSIONS[fmt]}"


# --- JSON Lines, JSON, CSV ------------------------------------------------------

def _json_text(record: dict[str, Any] | str) -> str:
    # Records may come already serialized (the store builds JSON in SQL).
    return record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)


def write_jsonl(records: Iterable[dict[str, Any] | str], out: IO[str]) -> int:
    count = 0
    for record in records:
        out.write(_json_text(record))
        out.write("\n")
        count += 1
    return count


def write_json(records: Iterable[dict[str, Any] | str], out: IO[str]) -> int:
    """One JSON array, written an element at a time."""
    count = 0
    out.write("[")
    for record in records:
        out.write("\n" if count == 0 else ",\n")
        out.write(_json_text(record))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def csv_cell(value: Any) -> Any:
    """One CSV cell: lists joined with "; ", links as URLs, formulas neutralized."""
    if isinstance(value, list):
        value = "; ".join(v.get("url", "") if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    writer = csv.writer(out)
    writer.writerow(RECORD_FIELDS)
    for record in records:
        writer.writerow([csv_cell(record[name]) for name in RECORD_FIELDS])
        count += 1
    return count


# --- Parquet: typed columns for notebooks (pandas, polars, DuckDB) --------------

PARQUET_EXTRA = "news-archiver[parquet]"
PARQUET_ROWS = 1000  # records per row group: the most held in memory at once


class MissingExtra(Exception):
    """An optional dependency a format needs is not installed."""


def parquet_module():
    """pyarrow.parquet, or MissingExtra naming the extra that installs it."""
    try:
        import pyarrow.parquet
    except ImportError as exc:
        raise MissingExtra(f"the parquet format needs pyarrow, which is not installed: "
                           f"pip install '{PARQUET_EXTRA}'") from exc
    return pyarrow.parquet


def parquet_schema():
    """The export record as Arrow types: times as timestamps in UTC (time zone aware),
    numbers as int64, authors and tags as lists of strings, related links as a list
    of {url, text}; every column nullable."""
    import pyarrow as pa

    def arrow_type(name: str):
        field = BY_NAME[name]
        if field.moment:
            return pa.timestamp("us", tz="UTC")
        return {"int": pa.int64(), "flag": pa.bool_(), "list": pa.list_(pa.string()),
                "links": pa.list_(pa.struct([("url", pa.string()), ("text", pa.string())]))}.get(field.kind,
                                                                                             pa.string())

    return pa.schema([(name, arrow_type(name)) for name in RECORD_FIELDS])


def parse_moment(text: Any) -> datetime | None:
    """An ISO 8601 time as an aware datetime: a bare day is its midnight in UTC, a time
    without an offset is taken as UTC; None where the text is no time."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _parquet_row(record: dict[str, Any]) -> dict[str, Any]:
    row = {name: record.get(name) for name in RECORD_FIELDS}
    for name in MOMENT_FIELDS:
        if name in row:
            row[name] = parse_moment(row[name])
    for name in ("authors", "tags"):
        if row.get(name) is not None and not isinstance(row[name], list):
            row[name] = None
    links = row.get("related_links")
    row["related_links"] = [{"url": link.get("url"), "text": link.get("text")} for link in links
                            if isinstance(link, dict)] if isinstance(links, list) else None
    return row


def write_parquet(records: Iterable[dict[str, Any]], out: IO[bytes] | str | Path, *,
                  rows: int = PARQUET_ROWS) -> int:
    """Records as one Parquet file, a row group of `rows` records at a time (flat memory)."""
    pq = parquet_module()
    import pyarrow as pa

    schema = parquet_schema()
    count, batch = 0, []
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for record in records:
            batch.append(_parquet_row(record))
            if len(batch) == rows:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count, batch = count + len(batch), []
        if batch or not count:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


# --- Markdown: one file per article, metadata as front matter -------------------

_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def markdown_file_name(record: dict[str, Any]) -> str:
    """`<id>-<slug>.md`: only [a-z0-9-], so no title can name a path outside the folder."""
    folded = unicodedata.normalize("NFKD", record.get("title") or "").encode("ascii", "ignore").decode()
    slug = _SLUG_DROP.sub("-", folded.lower()).strip("-")[:60].rstrip("-") or "article"
    return f"{int(record['id']):06d}-{slug}.md"


def _md_text(text: str) -> str:
    # Article text is text: a Markdown viewer must not run HTML that a page smuggled in.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _md_link_text(text: str) -> str:
    return re.sub(r"([\[\]\\])", r"\\\1", _md_text(" ".join(text.split())))


# Characters JSON leaves as they are but YAML does not allow in a document (DEL,
# the C1 controls, NEL and the Unicode line separators, BOM, non-characters).
_NOT_YAML = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def yaml_value(value: Any) -> str:
    """A value as YAML: JSON, which YAML reads as a flow value, with the characters
    YAML forbids written as \\u escapes (which both JSON and YAML read back)."""
    return _NOT_YAML.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def markdown_document(record: dict[str, Any]) -> str:
    # JSON scalars, arrays and objects are valid YAML flow values, so the front
    # matter is YAML that any static-site tool reads, with no YAML writer needed.
    front = "\n".join(f"{name}: {yaml_value(record.get(name))}" for name in RECORD_FIELDS if name != "body")
    parts = [f"---\n{front}\n---\n", f"# {_md_text(record.get('title') or '(no title)')}\n"]
    if record.get("body"):
        parts.append(_md_text(record["body"]).strip() + "\n")
    links = [link for link in record.get("related_links") or [] if _is_web_url(link.get("url"))]
    if links:
        parts.append("## Related\n")
        parts.append("".join(
            f"- [{_md_link_text(link.get('text') or link['url'])}](<{link['url'].replace('>', '%3E')}>)\n"
            for link in links
        ))
    return "\n".join(parts)


def _is_web_url(url: Any) -> bool:
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def write_markdown(records: Iterable[dict[str, Any]], folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    root = folder.resolve()
    count = 0
    for record in records:
        target = (root / markdown_file_name(record)).resolve()
        if target.parent != root:  # cannot happen with the names above; refuse rather than trust
            raise ValueError(f"refusing to write outside {folder}: {target}")
        target.write_text(markdown_document(record), encoding="utf-8")
        count += 1
    return count


# --- WARC: the stored raw responses, replayable by pywb, readable by warcio ----

# The stored body is decoded (Scrapy undid the Content-Encoding) and whole: these
# headers describe bytes the archive does not hold. They keep their place and value
# under the prefix Common Crawl uses for the same case (X-Crawler-), so readers and
# replay tools see a body and headers that agree, and nothing received is lost.
_MASKED = {"content-encoding", "transfer-encoding"}
MASK_PREFIX = "X-Crawler-"


def stored_http_head(response: dict[str, Any]) -> bytes:
    """The head of a stored response: its status line and headers as received (the raw
    list where the crawl kept one, else the header dict), masked where the body changed."""
    body_length = str(len(response["body"]))
    headers = response.get("header_list") or list((response.get("headers") or {}).items())
    out, has_length = [], False
    for name, value in headers:
        lower = name.lower()
        if lower in _MASKED or (lower == "content-length" and value.strip() != body_length):
            out.append((MASK_PREFIX + name, value))
        else:
            has_length = has_length or lower == "content-length"
            out.append((name, value))
    if not has_length:
        out.append(("Content-Length", body_length))
    return warc.http_head(warc.status_line(response.get("protocol"), response.get("status")), out)


def target_uri(response: dict[str, Any]) -> str:
    """The URL the bytes were served at (after redirects); older archives kept only the
    article's canonical URL and the URL asked for."""
    return response.get("fetched_url") or response.get("final_url") or response["url"]


def response_record(response: dict[str, Any]) -> warc.Record:
    uri = target_uri(response)
    return warc.response(
        uri, stored_http_head(response), response["body"], date=warc.warc_date(response.get("fetched_at")),
        # The same response exported twice keeps its record id.
        record_id=warc.new_record_id(f"{uri}#{response['fetched_at']}#{response['id']}"),
    )


def write_warc(responses: Iterable[dict[str, Any]], out: IO[bytes], *, filename: str = "archive.warc.gz",
               on_record=None) -> int:
    """A warcinfo record, then one response record per stored response. `on_record(response,
    record, offset)` hears of each one (the WACZ index needs where it went)."""
    offset = 0
    info = warc.warcinfo(filename, record_id=warc.new_record_id(f"warcinfo:{filename}")).data
    out.write(info)
    offset += len(info)
    count = 0
    for response in responses:
        record = response_record(response)
        out.write(record.data)
        if on_record is not None:
            on_record(response, record, offset)
        offset += len(record.data)
        count += 1
    return count
