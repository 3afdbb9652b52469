"""Crawl-to-SQLite benchmark: archiver against extraction alone and fetching alone.

    python bench/crawl.py [--pages 1000] [--data ../shared/benchdata] [--archive-size 100000]

On the same N real news pages (from the benchmark data, served from 127.0.0.1),
in one run, it measures:
  reference   trafilatura's default extraction in a plain loop, one process
  fetch-only  a bare Scrapy spider fetching the pages and discarding them
  archiver    `archiver crawl` of the same URLs into a fresh SQLite file (all pipelines, FTS)
and prints pages/s, the ratios archiver/reference and archiver/fetch-only, peak RSS,
database size per article, and a profile of where archiver's time goes. Then it
builds a large generated archive and measures `archiver search` and `archiver export`.
Ratios, not seconds, are what to compare: these machines are noisy.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import multiprocessing
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "benchdata"
LIFT_POLITENESS = [
    "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0",
    "-s", "CONCURRENT_REQUESTS=32", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32",
]
LINKS_PER_INDEX = 50


def load_pages(data: Path) -> list[bytes]:
    pages = []
    for path in sorted(data.glob("*/html/*.html.gz")):
        with gzip.open(path, "rb") as fh:
            pages.append(fh.read())
    if not pages:
        sys.exit(f"no pages under {data}/*/html/ (pass --data)")
    return pages


# --- the fixture site, in its own process -----------------------------------
def serve(pages: list[bytes], n: int, port_out, ready) -> None:
    index_count = (n + LINKS_PER_INDEX - 1) // LINKS_PER_INDEX
    indexes = {}
    for k in range(index_count):
        links = "".join(f'<li><a href="/a/{i}.html">Story {i}</a></li>'
                        for i in range(k * LINKS_PER_INDEX, min(n, (k + 1) * LINKS_PER_INDEX)))
        nxt = f'<a rel="next" href="/index/{k + 1}.html">next</a>' if k + 1 < index_count else ""
        indexes[f"/index/{k}.html"] = f"<html><head><title>Index {k}</title></head><body><ul>{links}</ul>{nxt}</body></html>".encode()
    indexes["/"] = indexes["/index/0.html"]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            body, ctype = None, "text/html"
            if self.path.startswith("/a/") and self.path.endswith(".html"):
                try:
                    i = int(self.path[3:-5])
                except ValueError:
                    i = -1
                if 0 <= i < n:
                    body = pages[i % len(pages)]
            elif self.path in indexes:
                body = indexes[self.path]
            elif self.path == "/robots.txt":
                body, ctype = b"User-agent: *\nDisallow: /private/\n", "text/plain"
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_out.value = server.server_address[1]
    ready.set()
    server.serve_forever()


def server_max_rate(port: int, n: int, seconds: float = 3.0, threads: int = 8) -> float:
    """Pages/s the fixture server delivers to a keep-alive client with nothing else to do."""
    done = [0] * threads
    stop = time.monotonic() + seconds

    def client(k: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        i = k
        while time.monotonic() < stop:
            conn.request("GET", f"/a/{i % n}.html")
            conn.getresponse().read()
            done[k] += 1
            i += threads

    workers = [threading.Thread(target=client, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done) / seconds


# --- measurements ------------------------------------------------------------
def tree_sampler(pid: int, peak: list[int], cpu: dict[int, int], stop: threading.Event) -> None:
    """Peak of the summed RSS of a process and its descendants, and the CPU ticks
    each of them used (sampled: CPU time survives machine load, wall time does not)."""
    while not stop.is_set():
        total = 0
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                # Fields after the command name, which may hold spaces.
                stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                if int(proc.name) == pid or _descends(int(stat[1]), pid):
                    total += int((proc / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
                    cpu[int(proc.name)] = int(stat[11]) + int(stat[12])
            except (OSError, IndexError, ValueError):
                continue
        peak[0] = max(peak[0], total)
        stop.wait(0.1)


def _descends(ppid: int, root: int, depth: int = 0) -> bool:
    if ppid == root:
        return True
    if ppid <= 1 or depth > 5:
        return False
    try:
        parent = (Path("/proc") / str(ppid) / "stat").read_text().rsplit(")", 1)[1].split()[1]
        return _descends(int(parent), root, depth + 1)
    except (OSError, IndexError, ValueError):
        return False


def timed_process(cmd: list[str], **kwargs) -> tuple[float, int, float, subprocess.CompletedProcess]:
    """Wall seconds, peak RSS of the process tree, CPU seconds of the tree, and the result."""
    peak, cpu, stop = [0], {}, threading.Event()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    sampler = threading.Thread(target=tree_sampler, args=(proc.pid, peak, cpu, stop), daemon=True)
    sampler.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    stop.set()
    sampler.join()
    cpu_seconds = sum(cpu.values()) / os.sysconf("SC_CLK_TCK")
    return elapsed, peak[0], cpu_seconds, subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def reference_loop(pages: list[bytes], n: int) -> tuple[float, float]:
    """Wall and CPU seconds of trafilatura's default extraction over the pages."""
    import trafilatura

    start, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        trafilatura.extract(pages[i % len(pages)])
    return time.perf_counter() - start, time.process_time() - cpu


FETCH_ONLY = """
import sys
import scrapy
from scrapy.crawler import CrawlerProcess

class FetchOnly(scrapy.Spider):
    name = "fetch_only"
    async def start(self):
        for line in open(sys.argv[1]):
            yield scrapy.Request(line.strip(), callback=self.parse)
    def parse(self, response):
        pass

settings = {"LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": True, "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
            "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False}
process = CrawlerProcess(settings)
process.crawl(FetchOnly)
process.start()
"""


def archiver_cmd() -> list[str]:
    script = Path(sys.executable).with_name("archiver")
    return [str(script)] if script.exists() else [sys.executable, "-m", "archiver"]


def profile_archiver(url_file: Path, pages: int, workdir: Path) -> dict[str, float]:
    """Where a crawl's time goes, from cProfile of an in-process run (extraction inline)."""
    subset = workdir / "profile-urls.txt"
    subset.write_text("\n".join(url_file.read_text().splitlines()[:pages]) + "\n")
    prof = workdir / "crawl.prof"
    argv = ["archiver", "crawl", "-i", str(subset), "--db", str(workdir / "profile.db"), "-q",
            *LIFT_POLITENESS, "-s", "ARCHIVER_EXTRACT_WORKERS=0"]
    script = workdir / "profile_crawl.py"
    script.write_text(
        "import cProfile, sys\n"
        "from archiver.cli import main\n"
        f"sys.argv = {argv!r}\n"
        "import time\nprofiler = cProfile.Profile(time.process_time)\n"
        "try:\n    profiler.runcall(main)\n"
        "except SystemExit:\n    pass\n"
        f"profiler.dump_stats({str(prof)!r})\n"
    )
    subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    stats = pstats.Stats(str(prof)).stats

    def cumulative(path_part: str, *functions: str) -> float:
        return sum(entry[3] for (filename, _line, func), entry in stats.items()
                   if path_part in filename.replace("\\", "/") and func in functions)

    total = cumulative("/archiver/cli/", "main") or 1.0
    groups = {
        "extraction (+ raw page compression)": cumulative("/archiver/workers.py", "extract_and_pack"),
        "normalize + validate pipelines": cumulative("/archiver/pipelines.py", "process_item")
        - cumulative("/archiver/pipelines.py", "_maybe_flush"),
        "storage (SQLite, FTS)": cumulative("/archiver/store/writer.py", "flush", "__init__", "start_run", "finish_run"),
    }
    groups["Scrapy, Twisted, start-up, other"] = total - sum(groups.values())
    return {k: v / total for k, v in groups.items()}


# --- the large archive --------------------------------------------------------
def build_archive(path: Path, size: int, data: Path) -> float:
    sys.path.insert(0, str(REPO))
    from archiver.record import content_hash, word_count
    from archiver.store.writer import ArchiveWriter, Fetched

    bodies = []
    for gt in sorted(data.glob("*/ground-truth.json")):
        for rec in json.loads(gt.read_text()).values():
            if rec.get("articleBody"):
                bodies.append((rec.get("title") or "Untitled", rec["articleBody"]))
    start = time.perf_counter()
    writer = ArchiveWriter(path, keep_raw=False)
    writer.start_run(spider="bench", mode="generated")
    for i in range(size):
        title, body = bodies[i % len(bodies)]
        title = f"{title} ({i})"
        body = f"{body}\n\nArchive copy {i}."
        record = {"url": f"https://bench.example/{i // 1000}/{i}.html", "site": f"site{i % 50}.example",
                  "title": title, "body": body, "authors": [f"Author {i % 300}"], "tags": [f"tag{i % 40}"],
                  "published_at": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", "related_links": [],
                  "word_count": word_count(body), "content_hash": content_hash(title, body), "provenance": {}}
        writer.add_article(Fetched(requested_url=record["url"], record=record, fetched_at="2024-06-01T00:00:00+00:00"))
        if writer.pending >= 2000:
            writer.flush()
    writer.finish_run("finished")
    writer.close()
    return time.perf_counter() - start


def search_latency(path: Path, queries: int = 100) -> tuple[float, float]:
    sys.path.insert(0, str(REPO))
    from archiver.store.queries import search
    from archiver.store.schema import connect

    db = connect(path, readonly=True)
    words = ["election", "minister", "police", "court", "climate", "market", "Regierung", "school", "health",
             "football", "budget", "war", "energy", "price", "president", "city", "water", "trade", "vote", "study"]
    times = []
    for i in range(queries):
        query = words[i % len(words)] if i % 3 else f"{words[i % len(words)]} {words[(i * 7) % len(words)]}"
        start = time.perf_counter()
        search(db, query, limit=20)
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.95) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000, help="N pages to crawl (default 1000)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark data folder")
    parser.add_argument("--archive-size", type=int, default=100_000, help="articles in the generated archive (0: skip)")
    parser.add_argument("--archive-db", type=Path,
                        help="keep the generated archive here and reuse it on the next run (it takes minutes)")
    parser.add_argument("--profile-pages", type=int, default=200, help="pages in the profiled run (0: skip)")
    parser.add_argument("--mode", choices=["urls", "follow"], default="urls",
                        help="archiver crawl of the URL list (default) or --follow from the index pages")
    args = parser.parse_args()

    pages = load_pages(args.data)
    n = args.pages
    work = Path(tempfile.mkdtemp(prefix="archiver-bench-"))
    port, ready = multiprocessing.Value("i", 0), multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(pages, n, port, ready), daemon=True)
    server.start()
    ready.wait(30)
    base = f"http://127.0.0.1:{port.value}"
    url_file = work / "urls.txt"
    url_file.write_text("".join(f"{base}/a/{i}.html\n" for i in range(n)))
    avg_kb = sum(len(pages[i % len(pages)]) for i in range(n)) / n / 1024
    print(f"{n} pages from {len(pages)} real news pages (mean {avg_kb:.0f} KB), server {base}", file=sys.stderr)

    try:
        rate = server_max_rate(port.value, n)
        ref_s, ref_cpu = reference_loop(pages, n)
        fetch_file = work / "fetch_only.py"
        fetch_file.write_text(FETCH_ONLY)
        fetch_s, fetch_rss, fetch_cpu, fetch = timed_process([sys.executable, str(fetch_file), str(url_file)])
        if fetch.returncode:
            print(fetch.stderr[-2000:], file=sys.stderr)
        db = work / "bench.db"
        if args.mode == "urls":
            crawl_args = ["crawl", "-i", str(url_file)]
        else:
            crawl_args = ["crawl", "--follow", f"{base}/", "--depth", str(n // LINKS_PER_INDEX + 2),
                          "--max-pages", str(n * 2)]
        arch_s, arch_rss, arch_cpu, arch = timed_process([*archiver_cmd(), *crawl_args, "--db", str(db), "-q", *LIFT_POLITENESS])
        summary = arch.stderr.strip().splitlines()[-1] if arch.stderr.strip() else ""
        import sqlite3

        stored = sqlite3.connect(db).execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        profile = profile_archiver(url_file, min(args.profile_pages, n), work) if args.profile_pages else {}
    finally:
        server.terminate()

    print(f"\nfixture server max rate: {rate:,.0f} pages/s (keep-alive client, 8 threads)")
    print(f"\n{'':<12} {'seconds':>8} {'pages/s':>9} {'CPU s':>8} {'peak RSS':>10}")
    print(f"{'reference':<12} {ref_s:>8.1f} {n / ref_s:>9.1f} {ref_cpu:>8.1f} {'-':>10}   "
          f"trafilatura.extract loop, 1 process")
    print(f"{'fetch-only':<12} {fetch_s:>8.1f} {n / fetch_s:>9.1f} {fetch_cpu:>8.1f} {fetch_rss / 2**20:>8.0f}MB   "
          f"bare Scrapy spider")
    print(f"{'archiver':<12} {arch_s:>8.1f} {n / arch_s:>9.1f} {arch_cpu:>8.1f} {arch_rss / 2**20:>8.0f}MB   "
          f"archiver crawl ({args.mode}), all pipelines + FTS, all its processes")
    print(f"\narchiver wall time / reference: {arch_s / ref_s:.2f}x   (target <= 1.0x)")
    print(f"archiver wall time / fetch-only: {arch_s / fetch_s:.2f}x")
    print(f"archiver CPU time / reference CPU time: {arch_cpu / ref_cpu:.2f}x   "
          f"(the work itself; wall time also depends on what else the machine runs: "
          f"load average {os.getloadavg()[0]:.1f} now)")
    print(f"articles stored: {stored} of {n}; database {db.stat().st_size / 2**20:.1f} MB, "
          f"{db.stat().st_size / max(stored, 1) / 1024:.1f} KB per article (raw pages kept, compressed)")
    print(f"crawl summary: {summary}")
    if profile:
        print(f"\nwhere archiver's time goes (cProfile, {min(args.profile_pages, n)} pages, extraction inline):")
        for name, share in profile.items():
            print(f"  {name:<24} {share:6.1%}")

    if args.archive_size:
        big = args.archive_db or work / "big.db"
        if big.exists():
            gen_s = float("nan")
        else:
            gen_s = build_archive(big, args.archive_size, args.data)
        med, p95 = search_latency(big)
        cli_times = []
        for word in ("election", "climate", "court", "market", "police"):
            start = time.perf_counter()
            subprocess.run([*archiver_cmd(), "search", word, "--db", str(big)], capture_output=True)
            cli_times.append(time.perf_counter() - start)
        # Twice: the first read of a large archive may come from disk, the second from the page cache.
        exports = [timed_process([*archiver_cmd(), "export", "--db", str(big), "-o", str(work / f"big{i}.jsonl"),
                                  "-q"]) for i in range(2)]
        for i in range(2):
            (work / f"big{i}.jsonl").unlink(missing_ok=True)
        print(f"\ngenerated archive: {args.archive_size:,} articles in {gen_s:.0f} s (nan: reused), "
              f"{big.stat().st_size / 2**20:.0f} MB")
        print(f"search (100 queries, in-process): median {med:.1f} ms, p95 {p95:.1f} ms   (target p95 < 50 ms)")
        print(f"`archiver search` command, whole process: median {statistics.median(cli_times) * 1000:.0f} ms")
        for label, (export_s, export_rss, _, exported) in zip(("first", "again"), exports):
            failed = "" if exported.returncode == 0 else " FAILED: " + exported.stderr[-300:]
            print(f"export jsonl ({label}): {args.archive_size / export_s:,.0f} articles/s, "
                  f"peak RSS {export_rss / 2**20:.0f} MB (target >= 20,000/s){failed}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
