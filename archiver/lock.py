"""One crawl at a time per archive: an exclusive lock file beside the database."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class Locked(Exception):
    """Another process holds the archive's crawl lock."""


class CrawlLock:
    """`with CrawlLock(db):` — raises Locked when another crawl holds it.

    The lock belongs to the real file: a symlink to the archive takes the same
    lock. (A file with several hard links is refused by the store before any
    crawl starts.) flock is released by the kernel when the holder dies, so a
    killed crawl never leaves a stale lock behind.
    """

    def __init__(self, db_path: str | Path):
        self.path = Path(f"{os.path.realpath(db_path)}.lock")
        self._fd: int | None = None

    def holder(self) -> str:
        try:
            return self.path.read_text().strip() or "unknown"
        except OSError:
            return "unknown"

    def __enter__(self) -> "CrawlLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise Locked(f"another archiver crawl (pid {self.holder()}) is writing to this archive") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
