"""archiver's folder for what it keeps between runs and can make again:
$XDG_CACHE_HOME/archiver, by default ~/.cache/archiver.

What is kept there is read only when it is the user's own and nobody else may write
it (`read_trusted`), and written so that a reader never sees half a file
(`write_atomically`); a file that cannot be read is made again by whoever kept it.
"""

from __future__ import annotations

import mmap
import os
import tempfile
from pathlib import Path


def user_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "archiver"


def _trusted(fh) -> bool:
    """The open file is the user's own and nobody else may write it (what is kept
    there decides what runs compute)."""
    stat = os.fstat(fh.fileno())
    return stat.st_uid == os.getuid() and not stat.st_mode & 0o022


def read_trusted(path: Path) -> bytes | None:
    """The file's bytes; None when it is missing, unreadable or not trusted (`_trusted`)."""
    try:
        with open(path, "rb") as fh:
            return fh.read() if _trusted(fh) else None
    except OSError:
        return None


def map_trusted(path: Path) -> mmap.mmap | None:
    """The file mapped read-only into memory (pages are read from disk as they are
    first touched, and shared by every process that maps it); None when it is missing,
    empty, unreadable or not trusted (`_trusted`)."""
    try:
        with open(path, "rb") as fh:
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if _trusted(fh) else None
    except (OSError, ValueError):  # (ValueError: an empty file cannot be mapped)
        return None


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path`, mode 0600, through a temporary file beside it; nothing
    (and no temporary file left) where the folder cannot be made or written."""
    tmp = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")  # mode 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
