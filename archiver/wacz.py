"""WACZ 1.1.1 (Webrecorder's web archive collection zipped) from the stored responses:
`archive/data.warc.gz`, a CDXJ index (`indexes/index.cdx`), `pages/pages.jsonl` (each
article's title and text, for ReplayWeb.page's page list and search) and
`datapackage.json` with the size and SHA-256 of every file, in one ZIP.

The WARC is written once to a file beside the target, hashing as it goes, then stored
in the ZIP uncompressed (STORE: its records are gzip members a replay tool reads by
offset). Only the index lines (one short line per response) are held in memory.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote_to_bytes, urlsplit

from archiver import warc
from archiver.export import target_uri, write_warc

WACZ_VERSION = "1.1.1"
WARC_NAME = "data.warc.gz"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_WWW = re.compile(r"^www\d*\.")


# --- SURT: the sort key replay tools look URLs up by --------------------------

def _escape_minimally(data: bytes) -> str:
    # What the Internet Archive's canonicalizer keeps escaped after unescaping: controls,
    # space, non-ASCII, '#' and '%'.
    return "".join(f"%{b:02x}" if b <= 0x20 or b >= 0x7F or b in b"#%" else chr(b) for b in data)


def _unescaped(text: str) -> bytes:
    data = text.encode("utf-8")
    while b"%" in data:
        decoded = unquote_to_bytes(data)
        if decoded == data:
            break
        data = decoded
    return data


def _normalized_path(path: str) -> str:
    # Dot segments resolved, empty segments and the trailing slash dropped.
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in (".", ""):
            segments.append(segment)
    return "/" + "/".join(segments)


def surt(url: str) -> str:
    """The SURT of a URL as pywb's and cdxj-indexer's `surt` library writes it by default for
    ordinary web URLs: host reversed without `www`, default port dropped, path and query
    unescaped then minimally escaped, dot segments and trailing slash dropped, query arguments
    sorted, all in lower case, no fragment. (That library also strips session ids; not here.)"""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").strip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    host = _WWW.sub("", host.lower())
    key = ",".join(reversed(host.split("."))) if host else ""
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        key += f":{port}"
    path = _escape_minimally(_unescaped(_normalized_path(parts.path or "/")))
    query = ""
    if parts.query:
        query = "?" + "&".join(sorted(_escape_minimally(_unescaped(arg)) for arg in parts.query.split("&")))
    return f"{key}){path}{query}".lower()


def _timestamp(date: str) -> str:
    return re.sub(r"\D", "", date)[:14]


def cdxj_line(response: dict[str, Any], record: warc.Record, offset: int) -> str:
    """The index line of a response record at `offset` in WARC_NAME (the fields cdxj-indexer writes)."""
    headers = {name.lower(): value for name, value in (response.get("header_list")
                                                        or (response.get("headers") or {}).items())}
    fields = {
        "url": record.uri,
        "mime": (headers.get("content-type") or "").split(";")[0].strip() or "unk",
        "status": str(response.get("status") or 200),
        "digest": record.payload_digest,
        "length": str(len(record.data)),
        "offset": str(offset),
        "filename": WARC_NAME,
    }
    return f"{surt(record.uri)} {_timestamp(record.date)} {json.dumps(fields)}"


# --- the package ----------------------------------------------------------------

class _Hashing:
    """A binary file that counts and hashes what is written to it."""

    def __init__(self, out: IO[bytes]):
        self.out, self.sha256, self.size = out, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.out.write(data)

    def resource(self, path: str) -> dict[str, Any]:
        return {"name": path.rsplit("/", 1)[-1], "path": path, "hash": "sha256:" + self.sha256.hexdigest(),
                "bytes": self.size}


def page_lines(articles: Iterable[dict[str, Any]], captures: dict[int, tuple[str, str]]) -> Iterator[str]:
    """pages.jsonl: its header, then each article that has a capture in the WARC, at the URL
    and time of its newest one, with its title and text."""
    yield json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "Articles", "hasText": True})
    for article in articles:
        capture = captures.get(article["id"])
        if capture is None:  # no raw response kept (--no-raw): nothing to replay
            continue
        uri, date = capture
        yield json.dumps({"id": str(article["id"]), "url": uri, "ts": warc.warc_date(date),
                          "title": article.get("title") or "", "text": article.get("body") or ""},
                         ensure_ascii=False)


def write_wacz(responses: Iterable[dict[str, Any]], articles: Callable[[], Iterable[dict[str, Any]]],
               target: Path, *, title: str = "archiver export") -> int:
    """Write the WACZ to `target`; the number of responses in it. `articles` is called once
    the responses are written and gives the records of the exported articles."""
    index: list[str] = []
    captures: dict[int, tuple[str, str]] = {}

    def on_record(response: dict[str, Any], record: warc.Record, offset: int) -> None:
        index.append(cdxj_line(response, record, offset))
        captures[response["article_id"]] = (target_uri(response), response.get("fetched_at") or record.date)

    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}.") as tmp:
        warc_path, pages_path = Path(tmp) / WARC_NAME, Path(tmp) / "pages.jsonl"
        with open(warc_path, "wb") as fh:
            archive = _Hashing(fh)
            count = write_warc(responses, archive, filename=WARC_NAME, on_record=on_record)
        with open(pages_path, "wb") as fh:
            pages = _Hashing(fh)
            for line in page_lines(articles(), captures):
                pages.write(line.encode("utf-8") + b"\n")
        index.sort()  # SURT, then timestamp: the order replay tools binary-search
        index_bytes = "".join(line + "\n" for line in index).encode("utf-8")
        resources = [
            archive.resource(f"archive/{WARC_NAME}"),
            {"name": "index.cdx", "path": "indexes/index.cdx",
             "hash": "sha256:" + hashlib.sha256(index_bytes).hexdigest(), "bytes": len(index_bytes)},
            pages.resource("pages/pages.jsonl"),
        ]
        package = json.dumps({
            "profile": "data-package", "wacz_version": WACZ_VERSION, "title": title,
            "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "software": warc.SOFTWARE,
            "resources": resources,
        }, indent=2).encode("utf-8")
        package_digest = json.dumps({"path": "datapackage.json",
                                     "hash": "sha256:" + hashlib.sha256(package).hexdigest()}, indent=2)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.write(warc_path, f"archive/{WARC_NAME}", compress_type=zipfile.ZIP_STORED)
            zf.writestr("indexes/index.cdx", index_bytes)
            zf.write(pages_path, "pages/pages.jsonl")
            zf.writestr("datapackage.json", package)
            zf.writestr("datapackage-digest.json", package_digest)
    return count
