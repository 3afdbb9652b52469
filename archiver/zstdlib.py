"""zstd, from the standard library (Python 3.14's `compression.zstd`) or, before it,
backports.zstd (which Scrapy depends on already): one import for every user."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 14):
    from compression import zstd
else:  # pragma: no cover
    from backports import zstd

__all__ = ["zstd"]
