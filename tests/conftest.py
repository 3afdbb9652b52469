from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bench.benchdata import DEFAULT_DATA
from tests.support.pages import news_site
from tests.support.server import FixtureSite

# Loopback runs need no politeness delays; everything else stays as shipped.
FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0"]
# The shared dev sets (bench.benchdata: beside the checkout, or $ARCHIVER_BENCHDATA);
# the tests that read them skip without them.
BENCHDATA = DEFAULT_DATA

# What runs keep between runs (archiver.cachedir: dateparser's compiled locale patterns, the language model,
# a distributed worker's spool) goes to a folder of this test session's own, not the user's.
_CACHE_HOME = tempfile.mkdtemp(prefix="archiver-tests-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE_HOME
atexit.register(shutil.rmtree, _CACHE_HOME, ignore_errors=True)


def archiver_cmd() -> list[str]:
    """The installed console script next to this interpreter."""
    script = Path(sys.executable).with_name("archiver")
    return [str(script)] if script.exists() else [sys.executable, "-m", "archiver"]


@pytest.fixture
def run_cli(tmp_path):
    """Run the installed `archiver` command in tmp_path; returns CompletedProcess."""

    def run(*args: str, input: str | None = None, timeout: float = 120, cwd: Path | None = None):
        env = {k: v for k, v in os.environ.items() if k != "ARCHIVER_DB"}
        return subprocess.run(
            [*archiver_cmd(), *args], cwd=cwd or tmp_path, env=env, input=input,
            capture_output=True, text=True, timeout=timeout,
        )

    return run


@pytest.fixture
def site():
    with FixtureSite(news_site()) as s:
        yield s
