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
    killed crawl never leaves a stale lock behind. The file names its holder
    ("PID WHAT", e.g. "1234 archiver ingest"), so the refusal says what is writing.
    """

    def __init__(self, db_path: str | Path, holder: str = "archiver crawl"):
        self.path = Path(f"{os.path.realpath(db_path)}.lock")
        self.what = holder
        self._fd: int | None = None

    def holder(self) -> tuple[str, str]:
        """(pid, what) of the process holding the lock, as far as its file says."""
        try:
            text = self.path.read_text().strip()
        except OSError:
            text = ""
        pid, _, what = text.partition(" ")
        return pid or "unknown", what or "archiver crawl"

    def __enter__(self) -> "CrawlLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            pid, what = self.holder()
            raise Locked(f"another {what} (pid {pid}) is writing to this archive") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {self.what}".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
