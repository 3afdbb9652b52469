"""WARC/1.0 records and files: the format's rules in one place, for the crawl's capture
(archiver.capture) and the exports (archiver.export, archiver.wacz). No Scrapy, no SQL.

Each record is its own gzip member (the .warc.gz convention, so any record can be read
from its offset). Blocks are written from the bytes given, never re-encoded: what the
caller hands in as received is what the file holds.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import itertools
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from typing import IO

from archiver import __version__, clock

WARC_VERSION = "WARC/1.0"
PROFILE_IDENTICAL = "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.0/revisit/server-not-modified"
SOFTWARE = f"archiver {__version__}"
# Records are compressed as they are written, in the crawl process: zlib's default level
# is within a few per cent of 9's size at a fraction of its time.
GZIP_LEVEL = 6

Headers = Iterable[tuple[str, str]]


@dataclass(frozen=True)
class Record:
    """One record, gzipped, with what other records need to point at it."""

    type: str
    record_id: str
    date: str
    uri: str | None
    data: bytes
    payload_digest: str | None = None


def warc_date(when: datetime | str | None = None) -> str:
    """A WARC-Date (UTC, seconds) from a datetime or an ISO 8601 text; now when missing or unreadable."""
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            when = None
    when = when or clock.now()
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_record_id(name: str | None = None) -> str:
    """A record id: random, or derived from `name` so that exporting twice gives the same ids."""
    value = uuid.uuid5(uuid.NAMESPACE_URL, name) if name else uuid.uuid4()
    return f"<urn:uuid:{value}>"


def digest(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


_LINE_BREAKS = re.compile(r"[\r\n]+")


def _one_line(value: object) -> str:
    # A header value is one line: a stray CR or LF would start a forged header.
    return _LINE_BREAKS.sub(" ", str(value))


def status_line(protocol: str | None, status: int | None) -> str:
    """`HTTP/1.1 200 OK`. The reason phrase is the standard one for the code: Scrapy does
    not keep the one the server sent."""
    status = status or 200
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    return f"{protocol or 'HTTP/1.1'} {status} {reason}".rstrip()


def http_head(start_line: str, headers: Headers) -> bytes:
    """An HTTP message head: start line, header lines in the order given, blank line.
    Latin-1, the bytes↔text mapping headers were decoded with, so values come back as received."""
    lines = [_one_line(start_line)] + [f"{_one_line(name)}: {_one_line(value)}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


def make_record(kind: str, block: bytes, *, content_type: str, uri: str | None = None, date: str | None = None,
                record_id: str | None = None, fields: Headers = (), payload_digest: str | None = None) -> Record:
    record_id = record_id or new_record_id()
    date = date or warc_date()
    head = [("WARC-Type", kind), ("WARC-Record-ID", record_id), ("WARC-Date", date)]
    if uri:
        head.append(("WARC-Target-URI", uri))
    head += list(fields)
    if payload_digest:
        head.append(("WARC-Payload-Digest", payload_digest))
    head += [("WARC-Block-Digest", digest(block)), ("Content-Type", content_type),
             ("Content-Length", str(len(block)))]
    text = WARC_VERSION + "\r\n" + "".join(f"{name}: {_one_line(value)}\r\n" for name, value in head) + "\r\n"
    data = gzip.compress(text.encode("utf-8") + block + b"\r\n\r\n", compresslevel=GZIP_LEVEL, mtime=0)
    return Record(kind, record_id, date, uri, data, payload_digest)


def warc_fields(fields: Headers) -> bytes:
    """An application/warc-fields block: `name: value` lines, UTF-8."""
    return "".join(f"{_one_line(name)}: {_one_line(value)}\r\n" for name, value in fields if value not in (None, "")
                   ).encode("utf-8")


def warcinfo(filename: str, info: Headers = (), *, record_id: str | None = None) -> Record:
    fields = [("software", SOFTWARE), ("format", "WARC File Format 1.0"),
              ("conformsTo", "http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf"), *info]
    return make_record("warcinfo", warc_fields(fields), content_type="application/warc-fields",
                       record_id=record_id, fields=[("WARC-Filename", filename)])


def response(uri: str, head: bytes, body: bytes, *, date: str, record_id: str | None = None,
             fields: Headers = ()) -> Record:
    """An HTTP response: `head` and `body` as they are to be read back."""
    return make_record("response", head + body, content_type="application/http; msgtype=response", uri=uri,
                       date=date, record_id=record_id, fields=fields, payload_digest=digest(body))


def request(uri: str, head: bytes, body: bytes, *, date: str, concurrent_to: str) -> Record:
    return make_record("request", head + body, content_type="application/http; msgtype=request", uri=uri,
                       date=date, fields=[("WARC-Concurrent-To", concurrent_to)])


@dataclass(frozen=True)
class Capture:
    """Where a payload was archived in full: what a revisit record points at."""

    record_id: str
    uri: str
    date: str
    payload_digest: str

    def as_dict(self) -> dict[str, str]:
        return {"record_id": self.record_id, "uri": self.uri, "date": self.date,
                "payload_digest": self.payload_digest}


def revisit(uri: str, head: bytes, *, date: str, profile: str, original: Capture | None,
            payload_digest: str | None = None, fields: Headers = ()) -> Record:
    """A revisit: the response's head only, pointing at the record that holds the payload."""
    refers = []
    if original is not None:
        refers = [("WARC-Refers-To", original.record_id), ("WARC-Refers-To-Target-URI", original.uri),
                  ("WARC-Refers-To-Date", original.date)]
    elif profile == PROFILE_NOT_MODIFIED:
        # The earlier capture is not known (fetched without --warc, or by another
        # worker), but it was of this URI: replay tools look the payload up by it.
        refers = [("WARC-Refers-To-Target-URI", uri)]
    return make_record("revisit", head, content_type="application/http; msgtype=response", uri=uri, date=date,
                       fields=[("WARC-Profile", profile), *refers, *fields], payload_digest=payload_digest)


def metadata(uri: str, fields: Headers, *, refers_to: str, date: str | None = None) -> Record:
    return make_record("metadata", warc_fields(fields), content_type="application/warc-fields", uri=uri,
                       date=date, fields=[("WARC-Refers-To", refers_to)])


# --- files ----------------------------------------------------------------------

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)b?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}


def parse_size(text: str | int) -> int:
    """Bytes from `1000000`, `500k`, `100M`, `1G` (powers of 1000); ValueError otherwise."""
    match = _SIZE.match(str(text))
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a size (e.g. 100M, 1G)")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])


_serials = itertools.count(1)


class WarcFiles:
    """A folder of .warc.gz files, each started with a warcinfo record and closed once it
    reaches `max_size` bytes. A file being written ends in `.open` (Heritrix's habit), so
    a file without it is complete."""

    def __init__(self, folder: str | Path, *, max_size: int, prefix: str = "archiver", info: Headers = ()):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_size = max_size
        self.prefix = prefix
        self.info = list(info)
        self.closed_files: list[Path] = []
        self._path: Path | None = None
        self._out: IO[bytes] | None = None
        self._size = 0

    @property
    def current(self) -> Path | None:
        return self._path

    def write(self, records: Iterable[Record]) -> Path:
        """Write records together (a request with its response), in one file; the file's name."""
        data = b"".join(r.data for r in records)
        if self._out is not None and self._size and self._size + len(data) > self.max_size:
            self.close()
        if self._out is None:
            self._open()
        self._out.write(data)
        self._out.flush()
        self._size += len(data)
        return self._path

    def _open(self) -> None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")[:17]
        name = f"{self.prefix}-{stamp}-{next(_serials):05d}-{os.getpid()}.warc.gz"
        self._path = self.folder / name
        self._out = open(self.folder / f"{name}.open", "xb")
        info = warcinfo(name, self.info).data
        self._out.write(info)
        self._size = len(info)

    def close(self) -> None:
        if self._out is None:
            return
        self._out.close()
        os.replace(self.folder / f"{self._path.name}.open", self._path)
        self.closed_files.append(self._path)
        self._out = None
