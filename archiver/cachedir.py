"""archiver's folder for what it keeps between runs and can make again:
$XDG_CACHE_HOME/archiver, by default ~/.cache/archiver."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "archiver"
