"""Export the archive: JSON Lines, JSON, CSV, a Markdown folder, or WARC of the raw responses.

Every writer takes an iterator (records or responses) and writes as it goes, so memory
stays flat whatever the archive's size.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import json
import re
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any


from archiver import __version__
from archiver.record import RECORD_FIELDS

EXPORT_DIR = Path("exports")
FORMATS = ("jsonl", "json", "csv", "markdown", "warc")
# Markdown is a folder of files, named without an extension.
EXTENSIONS = {"jsonl": ".jsonl", "json": ".json", "csv": ".csv", "markdown": "", "warc": ".warc.gz"}
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

# The stored body is already decoded and whole: these headers would describe
# another encoding or length than the bytes in the record.
_DROP_HTTP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def _warc_date(timestamp: str | None) -> str:
    try:
        when = datetime.fromisoformat((timestamp or "").replace("Z", "+00:00"))
    except ValueError:
        when = datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def _field(value: Any) -> str:
    # Header values are one line: a stray CR/LF would start a forged header.
    return " ".join(str(value).split())


def warc_record(fields: list[tuple[str, str]], block: bytes) -> bytes:
    """One WARC/1.0 record as its own gzip member (the .warc.gz convention)."""
    head = "WARC/1.0\r\n" + "".join(f"{name}: {_field(value)}\r\n" for name, value in fields)
    head += f"Content-Length: {len(block)}\r\n\r\n"
    return gzip.compress(head.encode("utf-8") + block + b"\r\n\r\n", mtime=0)


def http_response_block(status: int | None, headers: dict[str, str], body: bytes) -> bytes:
    status = status or 200
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    lines = [f"HTTP/1.1 {status} {reason}".rstrip()]
    lines += [f"{_field(k)}: {_field(v)}" for k, v in headers.items() if k.lower() not in _DROP_HTTP_HEADERS]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body


def warcinfo_record(filename: str) -> bytes:
    info = f"software: archiver {__version__}\r\nformat: WARC File Format 1.0\r\n".encode()
    fields = [
        ("WARC-Type", "warcinfo"),
        ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'warcinfo:' + filename)}>"),
        ("WARC-Date", _warc_date(None)),
        ("WARC-Filename", filename),
        ("Content-Type", "application/warc-fields"),
    ]
    return warc_record(fields, info)


def response_record(response: dict[str, Any]) -> bytes:
    # The bytes were served at the article's URL (after redirects), which is also
    # the URL people look up in a replay tool.
    uri = response.get("final_url") or response["url"]
    block = http_response_block(response.get("status"), response.get("headers") or {}, response["body"])
    record_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{uri}#{response['fetched_at']}#{response['id']}")
    fields = [
        ("WARC-Type", "response"),
        ("WARC-Record-ID", f"<urn:uuid:{record_id}>"),
        ("WARC-Date", _warc_date(response.get("fetched_at"))),
        ("WARC-Target-URI", uri),
        ("WARC-Payload-Digest", _digest(response["body"])),
        ("WARC-Block-Digest", _digest(block)),
        ("Content-Type", "application/http; msgtype=response"),
    ]
    return warc_record(fields, block)


def write_warc(responses: Iterable[dict[str, Any]], out: IO[bytes], *, filename: str = "archive.warc.gz") -> int:
    out.write(warcinfo_record(filename))
    count = 0
    for response in responses:
        out.write(response_record(response))
        count += 1
    return count
