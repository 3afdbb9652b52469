"""archiver's folder for what it keeps between runs and can make again:
$XDG_CACHE_HOME/archiver, by default ~/.cache/archiver.

What is kept there is read only when it is the user's own and nobody else may write
it (`read_trusted`), and written so that a reader never sees half a file
(`write_atomically`); a file that cannot be read is made again by whoever kept it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def user_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "archiver"


def read_trusted(path: Path) -> bytes | None:
    """The file's bytes; None when it is missing, unreadable, someone else's, or
    others may write it (what is kept there decides what runs compute)."""
    try:
        with open(path, "rb") as fh:
            stat = os.fstat(fh.fileno())
            if stat.st_uid != os.getuid() or stat.st_mode & 0o022:
                return None
            return fh.read()
    except OSError:
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
