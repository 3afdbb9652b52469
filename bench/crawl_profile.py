"""Where a crawl's time goes, by stage: cProfile of an `archiver crawl` run in one process.

Extraction runs inline there (ARCHIVER_EXTRACT_WORKERS=0), as the workers would run it.
Stages are sets of functions; a set's time is counted where it is entered from outside
it, so nested calls are not counted twice.
"""

from __future__ import annotations

import pstats
import shutil
import subprocess
import sys
from pathlib import Path


def time_under(stats: dict, inside) -> float:
    """CPU seconds spent in functions for which inside(func) holds, counting each
    call where it is entered from outside the set (nested calls are not counted twice)."""
    total = 0.0
    for func, (_cc, _nc, _tt, ct, callers) in stats.items():
        if not inside(func):
            continue
        if not callers:
            total += ct
        total += sum(edge[3] for caller, edge in callers.items() if not inside(caller))
    return total


def calls_between(stats: dict, caller_inside, callee_inside) -> float:
    """CPU seconds of direct calls from one set of functions into another."""
    return sum(edge[3] for func, (*_, callers) in stats.items() if callee_inside(func)
               for caller, edge in callers.items() if caller_inside(caller) and not callee_inside(caller))


def in_file(part: str):
    """Functions of files whose path holds part; module bodies (imports: start-up) excluded."""
    return lambda func: part in func[0].replace("\\", "/") and func[2] != "<module>"


def is_waiting(func) -> bool:
    """Builtins in which a process waits without using the CPU (the reactor's poll, locks, sleeps)."""
    name = func[2]
    return func[0] == "~" and any(word in name for word in ("'poll' of", "'select' of", "'acquire' of",
                                                                "time.sleep", "'control' of", "'wait' of"))


def is_compression(func) -> bool:
    name = func[2]
    builtin = func[0] == "~" or "zstd" in func[0] or "zlib" in func[0]
    return builtin and "compress" in name and "decompress" not in name


def is_extraction(func) -> bool:
    return func[2] == "extract_article" and "/archiver/extract/" in func[0].replace("\\", "/")


def profile_archiver(url_file: Path, pages: int, workdir: Path, crawl_options: list[str],
                     keep: Path | None = None) -> tuple[dict[str, float], float] | None:
    """Shares of a crawl's busy time by stage, and the profiled run's busy seconds,
    from cProfile of an in-process run (extraction inline, as the workers would do it)."""
    subset = workdir / "profile-urls.txt"
    subset.write_text("\n".join(url_file.read_text().splitlines()[:pages]) + "\n")
    prof = workdir / "crawl.prof"
    argv = ["archiver", "crawl", "-i", str(subset), "--db", str(workdir / "profile.db"), "-q",
            *crawl_options, "-s", "ARCHIVER_EXTRACT_WORKERS=0"]
    script = workdir / "profile_crawl.py"
    script.write_text(
        "import cProfile, importlib, pkgutil, sys\n"
        "import archiver\n"
        "from archiver.cli import main\n"
        # Imports are start-up, not the cost of a page: done before profiling.
        "for module in pkgutil.walk_packages(archiver.__path__, 'archiver.', onerror=lambda name: None):\n"
        "    try:\n        module.name.endswith('__main__') or importlib.import_module(module.name)\n"
        "    except Exception:\n        pass\n"
        f"sys.argv = {argv!r}\n"
        # The default (wall) timer: a CPU-time timer doubles the cost of every call
        # and so distorts the shares; the reactor's idle waits are taken out below.
        "profiler = cProfile.Profile()\n"
        "try:\n    profiler.runcall(main)\n"
        "except SystemExit:\n    pass\n"
        f"profiler.dump_stats({str(prof)!r})\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    if not prof.exists():
        print(f"the profiled run failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    if keep:
        shutil.copy(prof, keep)
    stats = pstats.Stats(str(prof)).stats
    total = sum(entry[2] for func, entry in stats.items() if not is_waiting(func)) or 1.0
    spiders, pipelines, store = in_file("/archiver/spiders/"), in_file("/archiver/pipelines.py"), in_file("/archiver/store/")
    extraction, compression = time_under(stats, is_extraction), time_under(stats, is_compression)
    storage = time_under(stats, store)
    groups = {
        "extraction (extract_article)": extraction,
        "compression of raw pages": compression,
        "spider callbacks besides extraction": max(0.0, time_under(stats, spiders) - extraction - compression
                                                   - calls_between(stats, spiders, store)),
        "pipelines (normalize, validate, outcomes)": max(0.0, time_under(stats, pipelines)
                                                         - calls_between(stats, pipelines, store)),
        "storage (SQLite writes, FTS, archive reads)": storage,
    }
    if not extraction:
        print("warning: the profile found no archiver.extract.extract_article: update bench/crawl.py",
              file=sys.stderr)
    groups["Scrapy, Twisted (engine, downloads), set-up, other"] = max(0.0, total - sum(groups.values()))
    return {k: v / total for k, v in groups.items()}, total
