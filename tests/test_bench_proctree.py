"""bench/proctree.py counts the CPU time of descendants that outlive the measured command.

A forkserver pool is the case that matters: the forkserver reaps the workers and exits
after the command, so wait4() of the command alone misses the workers. Measured in a
child Python, since measure() makes its process the reaper of orphans.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

BURN = """
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

def burn(n):
    return sum(i * i for i in range(n))

if __name__ == "__main__":
    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver"))
    print(sum(pool.map(burn, [2_000_000] * 4)))
    pool.shutdown(wait=True)
"""

MEASURE = """
import json, sys
from bench.proctree import measure
m = measure([sys.executable, sys.argv[1]])
print(json.dumps({"returncode": m.returncode, "stdout": m.stdout, "cpu": m.cpu, "cpu_exit": m.cpu_exit,
                  "cpu_root": m.cpu_root, "cpu_sampled": m.cpu_sampled, "by_process": m.by_process,
                  "peak_rss": m.peak_rss}))
"""


def test_orphaned_forkserver_and_its_workers_are_counted(tmp_path):
    script = tmp_path / "burn.py"
    script.write_text(BURN)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(script)], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    m = json.loads(done.stdout)
    assert m["returncode"] == 0 and m["stdout"].strip()
    # The forkserver was reaped by the measuring process, with the workers it reaped.
    assert m["by_process"].get("forkserver", -1) >= 0
    workers = m["by_process"]["children reaped by forkserver"]
    assert workers > 0
    # The kernel's count and /proc's agree up to clock-tick rounding (10 ms per field
    # of each process); the command's own wait4() has none of the workers' time.
    assert abs(m["cpu"] - m["cpu_exit"]) <= 0.1
    assert m["cpu"] >= m["cpu_root"] + workers - 0.1
    assert 0 < m["cpu_sampled"] <= m["cpu"] + 0.1
    assert m["peak_rss"] > 0
