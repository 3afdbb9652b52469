"""Running the installed CLI as a child process: peak memory, signals, waiting on the archive."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import archiver_cmd


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    timed_out: bool = False


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "ARCHIVER_DB"}


def start(args: list[str], cwd: Path, *, preexec_fn: Callable[[], None] | None = None) -> subprocess.Popen:
    """Start `archiver ARGS` with its output in files under cwd (no pipe can fill up)."""
    stamp = f"{time.monotonic_ns()}"
    out = open(cwd / f"stdout-{stamp}.txt", "w+")
    err = open(cwd / f"stderr-{stamp}.txt", "w+")
    proc = subprocess.Popen([*archiver_cmd(), *args], cwd=cwd, env=clean_env(), stdout=out, stderr=err, text=True,
                            preexec_fn=preexec_fn)
    proc.out_file, proc.err_file = out, err  # type: ignore[attr-defined]
    return proc


def finish(proc: subprocess.Popen, timeout: float) -> Finished:
    """Wait for proc (killed after `timeout` s); its exit status, output and peak RSS.

    os.wait4 gives the rusage of this one child, so the peak RSS is the crawl's own.
    """
    began = time.monotonic()
    timed_out = threading.Event()

    def kill():
        timed_out.set()
        proc.kill()

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    outputs = []
    for fh in (proc.out_file, proc.err_file):  # type: ignore[attr-defined]
        fh.seek(0)
        outputs.append(fh.read())
        fh.close()
    return Finished(proc.returncode, outputs[0], outputs[1], time.monotonic() - began,
                    usage.ru_maxrss / 1024, timed_out.is_set())


def run(args: list[str], cwd: Path, timeout: float = 120, **kwargs) -> Finished:
    return finish(start(args, cwd, **kwargs), timeout)


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def count_rows(db_path: Path, sql: str) -> int:
    """A count read the way any other reader would; 0 while the archive does not exist yet."""
    if not db_path.exists():
        return 0
    try:
        conn = sqlite3.connect(db_path, timeout=10)
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0
        raise


def send(proc: subprocess.Popen, sig: signal.Signals) -> None:
    os.kill(proc.pid, sig)


def descendants(pid: int) -> set[int]:
    """Every live process below pid (Linux /proc), e.g. a crawl's extraction workers."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out


def kill_all(pids: set[int]) -> None:
    """SIGKILL the given processes (ones this test's crawl started), by id."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
