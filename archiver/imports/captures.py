"""Captures read from web archive files: WARC (gzip or not; CC-NEWS is WARC), ARC and WACZ.

Read with warcio, one record at a time: a file is never held in memory, and a
record's payload is read only when the record passes the filters. Each HTML
capture comes out with its target URI, capture time, status, headers and decoded
payload; what cannot be used comes out with the reason, for the run's pages.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from dateutil.parser import isoparse

from archiver.normalize.urls import site_of

# A record larger than this is not read (the crawl's download limit).
MAX_PAYLOAD = 20 * 1024 * 1024
# Headers that describe the bytes as sent, not the decoded payload that is kept.
_TRANSFER_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
_ARC_DATE = re.compile(r"^\d{14}$")

# warcio logs a warning for each malformed target URI it repairs; a few in a
# file of thousands are normal and say nothing the run's pages do not.
logging.getLogger("warcio").setLevel(logging.ERROR)


class UnreadableFile(Exception):
    """A file that is not a web archive at all (or not one archiver reads)."""


@dataclass
class Capture:
    """One response (or revisit) record: a page as an archive captured it."""

    url: str
    fetched_at: str  # UTC, ISO 8601 to the second: the archive's form for fetch times
    key: str  # the record's identity, so importing it again is noticed
    kind: str = "response"  # or "revisit": the same content as an earlier capture
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = field(default=b"", repr=False)
    problem: str | None = None  # why the record cannot be used


@dataclass(frozen=True)
class CaptureFilters:
    """Which captures an import takes: by site (host, subdomains too), capture time, URL."""

    sites: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    url_regex: re.Pattern | None = None

    def accepts(self, url: str, at: datetime) -> bool:
        if self.sites:
            host = site_of(url) or ""
            if not any(host == s or host.endswith("." + s) for s in self.sites):
                return False
        if (self.since and at < self.since) or (self.until and at > self.until):
            return False
        return not self.url_regex or bool(self.url_regex.search(url))


# Yielded for a record outside the filters: counted by the run, never listed.
OUTSIDE = "outside"


def archive_time(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="seconds")


def read_captures(path: str | Path, filters: CaptureFilters | None = None) -> Iterator[Capture | str]:
    """The response and revisit records of a WARC, ARC or WACZ file, in file order
    (OUTSIDE for those the filters leave out). Raises UnreadableFile when the file
    is not an archive; a record that breaks off the file ends it with a problem."""
    path = Path(path)
    filters = filters or CaptureFilters()
    if zipfile.is_zipfile(path):
        yield from _read_wacz(path, filters)
        return
    with open(path, "rb") as fh:
        yield from _read_stream(fh, str(path), filters)


def _read_wacz(path: Path, filters: CaptureFilters) -> Iterator[Capture | str]:
    with zipfile.ZipFile(path) as wacz:
        members = [n for n in wacz.namelist()
                   if n.startswith("archive/") and n.endswith((".warc", ".warc.gz", ".arc", ".arc.gz"))]
        if not members:
            raise UnreadableFile("a zip file without archive/*.warc.gz: not a WACZ package")
        for name in members:
            with wacz.open(name) as fh:
                yield from _read_stream(fh, f"{path}/{name}", filters)


def _read_stream(fh, where: str, filters: CaptureFilters) -> Iterator[Capture | str]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    records = ArchiveIterator(fh)
    first = True
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - a cut or corrupt file breaks warcio in many ways
            if first and isinstance(exc, ArchiveLoadFailed):
                raise UnreadableFile(f"not a WARC or ARC file ({_short(exc)})") from None
            offset = records.offset if hasattr(records, "offset") else "?"
            yield Capture(url=where, fetched_at=archive_time(datetime.now(timezone.utc)), key=f"{where}@{offset}",
                          problem=f"unreadable record after offset {offset}: the file is cut short or corrupt "
                                  f"({type(exc).__name__}); the rest of the file was not read")
            return
        if first and record.format == "arc" and record.rec_type != "arc_header":
            # warcio reads any line of words as an ARC header; a real ARC starts with its filedesc.
            raise UnreadableFile("not a WARC or ARC file (no WARC record or ARC file header at its start)")
        first = False
        capture = _capture(record, filters)
        if capture is not None:
            yield capture


def _capture(record, filters: CaptureFilters) -> Capture | str | None:
    if record.format == "arc":
        if record.rec_type != "response":
            return None
        url = record.rec_headers.get_header("uri") or ""
        when = record.rec_headers.get_header("archive-date") or ""
        at = datetime.strptime(when, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc) if _ARC_DATE.match(when) else None
        key = f"arc {when} {url}"
        kind = "response"
    else:
        if record.rec_type not in ("response", "revisit", "resource"):
            return None  # requests, metadata, warcinfo, conversions: no page of their own
        url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip("<> ")
        when = record.rec_headers.get_header("WARC-Date") or ""
        try:
            at = isoparse(when)
            at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
        except ValueError:
            at = None
        key = record.rec_headers.get_header("WARC-Record-ID") or f"warc {when} {url}"
        kind = "revisit" if record.rec_type == "revisit" else "response"
    if not url:
        return None
    if at is None:
        return Capture(url=url, fetched_at=archive_time(datetime.now(timezone.utc)), key=key,
                       problem=f"unreadable record: no capture time ({when!r})")
    if not filters.accepts(url, at):
        return OUTSIDE
    capture = Capture(url=url, fetched_at=archive_time(at), key=key, kind=kind)
    if record.http_headers is not None and record.rec_type != "resource":
        try:
            capture.status = int(record.http_headers.get_statuscode())
        except (TypeError, ValueError):
            capture.problem = f"unreadable record: no HTTP status ({record.http_headers.statusline!r})"
            return capture
        for name, value in record.http_headers.headers:
            previous = capture.headers.get(name)
            capture.headers[name] = f"{previous}, {value}" if previous else value
    else:
        capture.status = 200  # a resource record: the content itself, as served
        capture.headers["Content-Type"] = record.rec_headers.get_header("Content-Type") or ""
    if kind == "revisit" or not _is_html(capture.headers) or not 200 <= capture.status < 300:
        return capture  # its payload is not needed
    length = int(record.rec_headers.get_header("Content-Length") or record.length or 0)
    if length > MAX_PAYLOAD:
        capture.problem = f"record too large ({length} bytes; at most {MAX_PAYLOAD})"
        return capture
    try:
        capture.body = record.content_stream().read(MAX_PAYLOAD + 1)
    except Exception as exc:  # noqa: BLE001 - a broken gzip/brotli payload is this record's problem only
        capture.problem = f"unreadable record: its payload cannot be decoded ({_short(exc)})"
        return capture
    capture.headers = {k: v for k, v in capture.headers.items() if k.lower() not in _TRANSFER_HEADERS}
    return capture


def content_type(headers: dict[str, str]) -> str:
    return next((v for k, v in headers.items() if k.lower() == "content-type"), "")


def _is_html(headers: dict[str, str]) -> bool:
    from archiver.extract.decode import is_html_type

    return is_html_type(content_type(headers))


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
