"""Reading WARC files back in the tests: every record's WARC headers and exact block bytes
(read here, independently of archiver's writer), and `warcio check` on a file."""

from __future__ import annotations

import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path


@dataclass
class WarcRecord:
    file: str
    offset: int
    length: int  # of its gzip member
    fields: dict[str, str]
    block: bytes

    @property
    def type(self) -> str:
        return self.fields["WARC-Type"]

    @property
    def head(self) -> bytes:
        """The HTTP head of a request/response/revisit block, with its blank line."""
        end = self.block.find(b"\r\n\r\n")
        return self.block[:end + 4]

    @property
    def body(self) -> bytes:
        return self.block[len(self.head):]

    @property
    def http_headers(self) -> list[tuple[str, str]]:
        lines = self.head.decode("latin-1").split("\r\n")[1:]
        return [tuple(line.split(": ", 1)) for line in lines if line]

    def warc_fields_block(self) -> dict[str, str]:
        return dict(line.split(": ", 1) for line in self.block.decode("utf-8").splitlines() if line)


def read_records(path: Path) -> list[WarcRecord]:
    """Every record of a .warc.gz (one gzip member per record, as archiver writes)."""
    data, offset, records = path.read_bytes(), 0, []
    while offset < len(data):
        member = zlib.decompressobj(wbits=31)
        raw = member.decompress(data[offset:])
        length = len(data) - offset - len(member.unused_data)
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.decode("utf-8").split("\r\n")
        assert lines[0] == "WARC/1.0", lines[0]
        fields = dict(line.split(": ", 1) for line in lines[1:])
        size = int(fields["Content-Length"])
        assert rest[size:] == b"\r\n\r\n", "a record ends with two CRLF"
        records.append(WarcRecord(path.name, offset, length, fields, rest[:size]))
        offset += length
    return records


def folder_records(folder: Path) -> list[WarcRecord]:
    return [r for path in sorted(folder.glob("*.warc.gz")) for r in read_records(path)]


def warcio_check(path: Path) -> None:
    """`warcio check -v` passes: every record parses and its digests verify."""
    tool = Path(sys.executable).with_name("warcio")
    result = subprocess.run([str(tool), "check", "-v", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "digest pass" in result.stdout and "fail" not in result.stdout, result.stdout
