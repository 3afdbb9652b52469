"""How raw responses are kept: compressed, with the format named in `responses.compression`.

New rows are zstd (a third of zlib's CPU, and smaller); rows written as zlib
by earlier versions are read as they are, wherever responses are read.
"""

from __future__ import annotations

import zlib

from archiver.zstdlib import zstd

FORMAT = "zstd"
LEVEL = 3
# Every format a stored (or sent) raw page may be in.
FORMATS = ("zstd", "zlib")
# What unpack raises for bytes that are not what their format says.
CorruptData = (zstd.ZstdError, zlib.error)


def pack(data: bytes) -> bytes:
    """A raw response as it is stored (in FORMAT)."""
    return zstd.compress(data, level=LEVEL)


def unpack(body: bytes, compression: str | None) -> bytes:
    """A stored response body as it was fetched."""
    if compression == "zstd":
        return zstd.decompress(body)
    if compression == "zlib":
        return zlib.decompress(body)
    return body
