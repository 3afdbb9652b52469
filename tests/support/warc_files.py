"""Web archive files for the import tests, written with warcio (WARC), the `wacz` tool
(WACZ) and by hand (ARC, which no maintained library writes)."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

HTML = "text/html; charset=utf-8"


@dataclass
class Record:
    """One capture: a response (or a revisit of one) as a WARC holds it."""

    url: str
    date: str  # WARC-Date, e.g. 2024-03-05T10:00:00Z
    body: bytes = b""
    status: str = "200 OK"
    headers: list[tuple[str, str]] = field(default_factory=lambda: [("Content-Type", HTML)])
    kind: str = "response"


def write_warc(path: Path, records: list[Record], *, gzipped: bool = True, with_requests: bool = True) -> Path:
    """A WARC (warcinfo, then each record, with its request record before it)."""
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=gzipped)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for rec in records:
            date = {"WARC-Date": rec.date}
            if with_requests and rec.kind == "response":
                request = StatusAndHeaders(f"GET {rec.url} HTTP/1.1", [("Host", "fixture")], is_http_request=True)
                writer.write_record(writer.create_warc_record(rec.url, "request", http_headers=request,
                                                              warc_headers_dict=dict(date)))
            http = StatusAndHeaders(rec.status, [*rec.headers, ("Content-Length", str(len(rec.body)))],
                                    protocol="HTTP/1.1")
            if rec.kind == "revisit":
                record = writer.create_revisit_record(rec.url, "sha1:AAAA", rec.url, rec.date, http_headers=http)
                record.rec_headers.replace_header("WARC-Date", rec.date)
            else:
                record = writer.create_warc_record(rec.url, "response", payload=io.BytesIO(rec.body),
                                                   http_headers=http, warc_headers_dict=dict(date))
            writer.write_record(record)
    return path


def write_arc(path: Path, records: list[Record]) -> Path:
    """An ARC v1 file (gzip per record when the name ends in .gz)."""
    desc = b"1 0 tests\nURL IP-address Archive-date Content-type Archive-length\n"
    blocks = [b"filedesc://%s 0.0.0.0 20240101000000 text/plain %d\n%s\n" % (path.name.encode(), len(desc), desc)]
    for rec in records:
        head = "".join(f"{k}: {v}\r\n" for k, v in [*rec.headers, ("Content-Length", str(len(rec.body)))])
        http = f"HTTP/1.1 {rec.status}\r\n{head}\r\n".encode() + rec.body
        stamp = rec.date.replace("-", "").replace(":", "").replace("T", "")[:14]
        blocks.append(b"%s 127.0.0.1 %s text/html %d\n%s\n" % (rec.url.encode(), stamp.encode(), len(http), http))
    data = b"".join(gzip.compress(b) for b in blocks) if path.name.endswith(".gz") else b"".join(blocks)
    path.write_bytes(data)
    return path


def write_wacz(path: Path, warc: Path) -> Path:
    """A WACZ package of one WARC, made by the `wacz` tool (Webrecorder's py-wacz)."""
    script = Path(sys.executable).with_name("wacz")
    subprocess.run([str(script), "create", "-o", str(path), str(warc)], check=True, capture_output=True,
                   timeout=120)
    return path
