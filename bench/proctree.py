"""CPU time and peak memory of a command's whole process tree (Linux).

`time cmd` and wait4() count a process and the children it reaped itself. A
descendant that outlives its parent escapes both: multiprocessing's forkserver,
for one, is started by the crawl process, reaps the extraction workers, and
exits after the crawl process has gone, so it is re-parented to init and its
CPU time (and the workers') is counted nowhere. Here the bench process becomes
a child subreaper: such orphans are re-parented to it instead, it reaps them,
and the kernel adds their time to its RUSAGE_CHILDREN. Three independent
figures are kept to check each other (see `Measured`).
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
PR_SET_CHILD_SUBREAPER = 36
# The sampler runs on the cores it measures, so it samples sparingly: reading the tree's
# /proc/PID/stat costs about 4 ms, and a PSS (smaps_rollup, which walks every mapping)
# about 3 ms per large process; every 0.1 s, with PSS each time, it took 14% of a core
# beside archiver's five processes and 8% beside the reference's three, a difference that
# was charged to archiver's wall time. Now about 3% and 2%.
SAMPLE_SECONDS = 0.25
PSS_EVERY = 4  # samples: PSS once a second (peaks last longer: workers grow and stay)
ORPHAN_DEADLINE = 120.0  # seconds an orphan may run on after the command exits


def become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants; False where Linux cannot.

    For the bench process only: from then on it must reap them (measure() does).
    """
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


@dataclass
class Measured:
    """One run of a command.

    cpu:         CPU seconds (user + system) of the whole tree: the kernel's
                 RUSAGE_CHILDREN of this process, which reaps the command and
                 every orphan it leaves. The figure to use.
    cpu_exit:    the same read from /proc: utime+stime+cutime+cstime of the
                 command and of each orphan, read as zombies just before they
                 are reaped. Equals `cpu` up to clock-tick rounding when no
                 descendant escaped.
    cpu_root:    what `time` or wait4() of the command alone reports (misses the
                 orphans' time).
    cpu_sampled: own utime+stime of every process seen in the tree, last value
                 sampled every 0.25 s (misses short-lived processes and the last
                 slice of each: a lower bound).
    by_process:  CPU seconds by process: each process reaped here, and the
                 children each of them reaped.
    peak_rss, peak_pss: peak of the summed RSS / PSS of the live processes of
                 the tree (RSS counts pages shared by forked workers once per
                 worker; PSS splits them).
    """

    cmd: list[str]
    returncode: int
    stdout: str
    stderr: str
    wall: float
    cpu: float
    cpu_exit: float
    cpu_root: float
    cpu_sampled: float
    peak_rss: int
    peak_pss: int
    loadavg: float
    by_process: dict[str, float] = field(default_factory=dict)
    orphans_killed: int = 0


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name, which may hold spaces and ')'."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


# Indexes into _stat(): field numbers of proc(5) minus 3.
_PPID, _UTIME, _STIME, _CUTIME, _CSTIME, _RSS = 1, 11, 12, 13, 14, 21


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _label(pid: int) -> str | None:
    """A short name from the command line; None once it is gone (an exiting process)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    text = " ".join(a.decode(errors="replace") for a in argv if a)
    if not text:
        return None
    if "forkserver" in text:
        return "forkserver"
    if "resource_tracker" in text:
        return "resource tracker"
    return " ".join(Path(a).name for a in text.split()[:2])


def _children_of_self() -> set[int]:
    me = os.getpid()
    kids = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat and int(stat[_PPID]) == me:
                kids.add(int(entry.name))
    return kids


class _Sampler(threading.Thread):
    """Follows the tree of `root`: membership, summed RSS/PSS, last CPU ticks per process."""

    def __init__(self, root: int):
        super().__init__(daemon=True, name="proctree-sampler")
        self.members = {root}
        self.labels: dict[int, str] = {}
        self.ticks: dict[int, int] = {}
        self.peak_rss = self.peak_pss = 0
        self.samples = 0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            self.sample()
            self.halt.wait(SAMPLE_SECONDS)

    def sample(self) -> None:
        stats = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                stat = _stat(int(entry.name))
                if stat:
                    stats[int(entry.name)] = stat
        grown = True
        while grown:  # a child may be listed before its parent joins the tree
            grown = False
            for pid, stat in stats.items():
                if pid not in self.members and int(stat[_PPID]) in self.members:
                    self.members.add(pid)
                    grown = True
        rss = pss = 0
        with_pss = self.samples % PSS_EVERY == 0
        self.samples += 1
        for pid in self.members & stats.keys():
            stat = stats[pid]
            self.ticks[pid] = max(self.ticks.get(pid, 0), int(stat[_UTIME]) + int(stat[_STIME]))
            if stat[0] != "Z":
                # Labelled while it runs (a zombie has no command line), again and again:
                # a child may be caught between fork and exec.
                self.labels[pid] = _label(pid) or self.labels.get(pid)
                rss += int(stat[_RSS]) * PAGE_SIZE
                pss += _pss(pid) if with_pss else 0
        self.peak_rss = max(self.peak_rss, rss)
        if with_pss:
            self.peak_pss = max(self.peak_pss, pss)


def _exited(pid: int, block: bool) -> bool:
    """Whether pid has exited; it stays a zombie (WNOWAIT) so /proc can still be read."""
    flags = os.WEXITED | os.WNOWAIT | (0 if block else os.WNOHANG)
    try:
        return os.waitid(os.P_PID, pid, flags) is not None
    except ChildProcessError:
        return True


def measure(cmd: list[str], **popen_kwargs) -> Measured:
    """Run cmd to its end (and its orphans to theirs) and measure the whole tree."""
    become_subreaper()
    before_kids = _children_of_self()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, **popen_kwargs)
        sampler = _Sampler(proc.pid)
        sampler.start()
        by_process: dict[str, float] = {}
        exit_ticks = 0

        def reap(pid: int, name: str):
            """Read a zombie's times, then reap it; returns its wait status and rusage."""
            nonlocal exit_ticks
            stat = _stat(pid)
            if stat:
                own, reaped = int(stat[_UTIME]) + int(stat[_STIME]), int(stat[_CUTIME]) + int(stat[_CSTIME])
                sampler.ticks[pid] = own
                exit_ticks += own + reaped
                by_process[name] = by_process.get(name, 0.0) + own / CLK_TCK
                if reaped:
                    key = f"children reaped by {name}"
                    by_process[key] = by_process.get(key, 0.0) + reaped / CLK_TCK
            _, status, usage = os.wait4(pid, 0)
            return status, usage

        _exited(proc.pid, block=True)
        wall = time.perf_counter() - start
        sampler.sample()
        status, root_usage = reap(proc.pid, "command")
        proc.returncode = os.waitstatus_to_exitcode(status)

        deadline, killed = time.monotonic() + ORPHAN_DEADLINE, 0
        while True:
            orphans = _children_of_self() - before_kids
            if not orphans:
                break
            for pid in orphans:
                if _exited(pid, block=False):
                    reap(pid, sampler.labels.get(pid) or f"process {pid} (never sampled alive)")
                else:
                    sampler.labels[pid] = _label(pid) or sampler.labels.get(pid)
            if time.monotonic() > deadline:
                for pid in orphans:
                    killed += 1
                    os.kill(pid, signal.SIGKILL)
                deadline = float("inf")
            time.sleep(0.02)
        sampler.halt.set()
        sampler.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")

    def cpu_of(usage) -> float:
        return usage.ru_utime + usage.ru_stime

    return Measured(
        cmd=cmd, returncode=proc.returncode, stdout=stdout, stderr=stderr, wall=wall,
        cpu=cpu_of(after) - cpu_of(before), cpu_exit=exit_ticks / CLK_TCK, cpu_root=cpu_of(root_usage),
        cpu_sampled=sum(sampler.ticks.values()) / CLK_TCK,
        peak_rss=sampler.peak_rss, peak_pss=sampler.peak_pss, loadavg=os.getloadavg()[0],
        by_process=by_process, orphans_killed=killed,
    )
