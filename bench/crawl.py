"""Crawl-to-SQLite benchmark: archiver against like-for-like references, same run, same pages.

    python bench/crawl.py [--pages 1000] [--data ../shared/benchdata] [--archive-size 100000]

On the same N real news pages (from the benchmark data, served from 127.0.0.1),
in one run, it measures four commands, each as a whole process tree:
  reference   trafilatura's bare_extraction(with_metadata=True) over the same bytes in a
              pool of as many processes as archiver has extraction workers (no fetching)
  plain       a plain Scrapy + trafilatura (with metadata) + sqlite3 script fetching the URLs
  fetch-only  a bare Scrapy spider fetching the pages and discarding them
  archiver    `archiver crawl` of the same URLs into a fresh SQLite file (all pipelines, FTS)
For each: wall seconds, CPU seconds of the whole tree (every descendant, short-lived
or orphaned ones included: see proctree.py), CPU ms per page, peak summed RSS and PSS;
then the ratios archiver/reference (targets: CPU ms/page and wall <= 1.0), a check
of the CPU accounting, and where archiver's time goes (by process, and by stage from
a cProfile of an inline run). Then it builds a large generated archive and measures
`archiver search` and `archiver export` (`--archive-size 0` skips that).
Ratios and CPU time, not wall seconds, are what to compare: these machines are shared.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from dataclasses import dataclass, field
from pathlib import Path

from benchdata import DEFAULT_DATA
from crawl_profile import profile_archiver
from proctree import Measured, become_subreaper, measure

REPO = Path(__file__).resolve().parent.parent
LIFT_POLITENESS = [
    "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0",
    "-s", "CONCURRENT_REQUESTS=32", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32",
]
LINKS_PER_INDEX = 50


def default_jobs() -> int:
    """archiver's default number of extraction workers: the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


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


# --- the contenders, each a command measured as a whole process tree ----------
# The reference's call, also in bench/extraction.py: bytes + URL, metadata on, comments off.
REFERENCE_POOL = """
import sys
import threading
from multiprocessing import Pool
from pathlib import Path

import trafilatura


def extract(task):
    body, url = task
    doc = trafilatura.bare_extraction(body, url=url, with_metadata=True, include_comments=False)
    return None if doc is None else {"title": doc.title, "author": doc.author, "date": doc.date, "text": doc.text}


def tasks(folder, base, n, in_flight):
    # Read as needed and at most `in_flight` pages out at once, as a crawl holds them:
    # Pool.imap would otherwise queue every page in memory at the start.
    count = len(list(folder.glob("*.html")))
    for i in range(n):
        in_flight.acquire()
        yield (folder / f"{i % count}.html").read_bytes(), f"{base}/a/{i}.html"


if __name__ == "__main__":
    folder, base, n, jobs = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    in_flight = threading.Semaphore(32)
    pool = Pool(jobs)
    done = 0
    for doc in pool.imap_unordered(extract, tasks(folder, base, n, in_flight), chunksize=4):
        in_flight.release()
        done += bool(doc and doc["text"])
    pool.close()
    pool.join()
    print(done)
"""

# Two references in one script: `URLS` fetches and discards the pages (fetch-only);
# `URLS DB` is what a plain script would do: one process, trafilatura in the callback,
# rows into sqlite3.
SCRAPY_SCRIPT = """
import sqlite3
import sys

import scrapy
from scrapy.crawler import CrawlerProcess

URLS, DB = sys.argv[1], (sys.argv[2:] or [None])[0]
if DB:
    import trafilatura


class Reference(scrapy.Spider):
    name = "reference"

    async def start(self):
        for line in open(URLS):
            yield scrapy.Request(line.strip(), callback=self.parse)

    def parse(self, response):
        if not DB:
            return
        doc = trafilatura.bare_extraction(response.body, url=response.url, with_metadata=True,
                                          include_comments=False)
        if doc is not None and doc.text:
            yield {"url": response.url, "title": doc.title, "author": doc.author, "date": doc.date,
                   "text": doc.text}


class SQLitePipeline:
    def open_spider(self):
        self.db = sqlite3.connect(DB)
        self.db.execute("CREATE TABLE IF NOT EXISTS articles"
                        " (url TEXT PRIMARY KEY, title TEXT, author TEXT, date TEXT, text TEXT)")
        self.pending = 0

    def process_item(self, item):
        self.db.execute("INSERT OR REPLACE INTO articles VALUES (:url, :title, :author, :date, :text)", item)
        self.pending += 1
        if self.pending >= 50:
            self.db.commit()
            self.pending = 0
        return item

    def close_spider(self):
        self.db.commit()
        self.db.close()


settings = {"LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": True, "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
            "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False,
            "ITEM_PIPELINES": {"__main__.SQLitePipeline": 300} if DB else {}}
process = CrawlerProcess(settings)
process.crawl(Reference)
process.start()
"""


def archiver_cmd() -> list[str]:
    script = Path(sys.executable).with_name("archiver")
    return [str(script)] if script.exists() else [sys.executable, "-m", "archiver"]


def stored_rows(db: Path) -> int:
    import sqlite3

    try:
        return sqlite3.connect(db).execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    except sqlite3.Error:
        return 0


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


def write_pages(pages: list[bytes], n: int, folder: Path) -> None:
    """The distinct pages the server sends, for the reference to read as the same bytes."""
    folder.mkdir()
    for k in range(min(n, len(pages))):
        (folder / f"{k}.html").write_bytes(pages[k])


def run_contenders(args, n: int, base: str, url_file: Path, work: Path) -> dict[str, Contender]:
    """Each contender measured in every round, by name."""
    pool_script, scrapy_script = work / "reference_pool.py", work / "reference_scrapy.py"
    pool_script.write_text(REFERENCE_POOL)
    scrapy_script.write_text(SCRAPY_SCRIPT)
    plain_db, db = work / "plain.db", work / "bench.db"
    if args.mode == "urls":
        crawl_args = ["crawl", "-i", str(url_file)]
    else:
        crawl_args = ["crawl", "--follow", f"{base}/", "--depth", str(n // LINKS_PER_INDEX + 2),
                      "--max-pages", str(n * 2)]
    contenders = [
        ("reference", f"trafilatura bare_extraction(with_metadata=True), pool of {args.jobs}, same bytes, no fetching",
         [sys.executable, str(pool_script), str(work / "pages"), base, str(n), str(args.jobs)], None),
        ("plain", "Scrapy + trafilatura (metadata) + sqlite3 in one process",
         [sys.executable, str(scrapy_script), str(url_file), str(plain_db)], plain_db),
        ("fetch-only", "bare Scrapy spider, pages discarded",
         [sys.executable, str(scrapy_script), str(url_file)], None),
        ("archiver", f"archiver crawl ({args.mode}): extraction workers, all pipelines, raw pages, FTS",
         [*archiver_cmd(), *crawl_args, "--db", str(db), "-q", *LIFT_POLITENESS], db),
    ]
    results = [Contender(name, what) for name, what, _, _ in contenders]
    # Rounds interleave the contenders, so a change in the machine's load hits them alike;
    # every other round runs them in reverse, so a drift within a round (a shared
    # machine slowing down or speeding up) does not favour the ones that run first.
    # The two the targets compare run next to each other (plain, fetch-only, reference,
    # archiver; then the other way round): a minute of plain's between them would let
    # the machine's drift into their ratio.
    measuring_order = [1, 2, 0, 3]
    for round_ in range(1, args.rounds + 1):
        order = [(results[i], contenders[i]) for i in measuring_order]
        for result, (name, _, cmd, store) in order if round_ % 2 else order[::-1]:
            for old in store.parent.glob(f"{store.name}*") if store else ():
                old.unlink()  # a fresh archive each round (and its -wal, -shm, lock)
            print(f"measuring {name} (round {round_} of {args.rounds}) ...", file=sys.stderr)
            measured = measure(cmd)
            if measured.returncode:
                print(f"{name} exited with {measured.returncode}:\n{measured.stderr[-2000:]}", file=sys.stderr)
            if store:
                result.stored = stored_rows(store)
            elif name == "reference" and measured.stdout.split():  # it prints how many pages gave a text
                result.stored = int(measured.stdout.split()[-1])
            result.runs.append(measured)
    return {result.name: result for result in results}


@dataclass
class Contender:
    """One contender's runs, one per round."""

    name: str
    what: str
    runs: list[Measured] = field(default_factory=list)
    stored: int = 0

    def median(self, attr: str) -> float:
        return statistics.median(getattr(m, attr) for m in self.runs)

    @property
    def typical(self) -> Measured:
        """The round of median CPU time (the lower one of two)."""
        return sorted(self.runs, key=lambda m: m.cpu)[(len(self.runs) - 1) // 2]


def ratio(a: Contender, b: Contender, attr: str) -> tuple[float, list[float]]:
    """Median over rounds of a/b, each round compared with itself, and the per-round ratios."""
    per_round = [getattr(x, attr) / getattr(y, attr) for x, y in zip(a.runs, b.runs)]
    return statistics.median(per_round), per_round


def print_contenders(results: dict[str, Contender], n: int) -> None:
    rounds = len(results["archiver"].runs)
    print(f"\n{'':<11} {'wall s':>7} {'pages/s':>8} {'CPU s':>7} {'CPU ms/page':>12} {'peak RSS':>9} "
          f"{'peak PSS':>9} {'load':>5} {'stored':>7}")
    for c in results.values():
        wall, cpu = c.median("wall"), c.median("cpu")
        print(f"{c.name:<11} {wall:>7.1f} {n / wall:>8.1f} {cpu:>7.1f} {1000 * cpu / n:>12.1f} "
              f"{c.median('peak_rss') / 2**20:>7.0f}MB {c.median('peak_pss') / 2**20:>7.0f}MB "
              f"{c.median('loadavg'):>5.1f} {c.stored:>7}   {c.what}")
    print("CPU: user+system of the whole process tree; peak RSS/PSS: summed over its live processes;"
          " load: 1-minute load average when it ended." + (f" Medians of {rounds} rounds." if rounds > 1 else ""))
    arch = results["archiver"]
    for name, label in (("reference", "reference (trafilatura pool)"), ("plain", "plain Scrapy+trafilatura+sqlite3"),
                        ("fetch-only", "fetch-only")):
        (cpu, cpus), (wall, walls) = ratio(arch, results[name], "cpu"), ratio(arch, results[name], "wall")
        target = "   (target <= 1.0)" if name == "reference" else ""
        rounds_note = (f"   rounds: CPU {' '.join(f'{x:.2f}' for x in cpus)}, wall {' '.join(f'{x:.2f}' for x in walls)}"
                       if rounds > 1 else "")
        print(f"archiver / {label + ':':<34} CPU ms/page {cpu:5.2f}x   wall {wall:5.2f}x{target}{rounds_note}")

    print("\nCPU accounting check, seconds (tree = the kernel's count for every process reaped;"
          " /proc = the same from the zombies' stat; sampled = per-process last samples, a lower bound;"
          " `time` = the launched process and the children it reaped itself):")
    for c in results.values():
        for m in c.runs:
            agree = "" if abs(m.cpu - m.cpu_exit) <= max(0.05 * m.cpu, 0.1) else "   MISMATCH: a descendant escaped"
            killed = f"   ({m.orphans_killed} orphans still running after the command were killed)" if m.orphans_killed else ""
            print(f"  {c.name:<11} tree {m.cpu:7.2f}  /proc {m.cpu_exit:7.2f}  sampled {m.cpu_sampled:7.2f}  "
                  f"`time` {m.cpu_root:7.2f}{agree}{killed}")


PROCESS_NAMES = {
    "command": "crawl process (Scrapy/Twisted, spider, pipelines, SQLite/FTS)",
    "children reaped by forkserver": "extraction workers (extraction + raw page compression)",
    "forkserver": "forkserver (imports the extraction code once, forks the workers)",
}


def print_where_time_goes(results: dict[str, Contender], n: int, profile: tuple[dict[str, float], float] | None,
                          profile_pages: int) -> None:
    arch, fetch = results["archiver"].typical, results["fetch-only"].typical
    print(f"\nwhere archiver's time goes, CPU ms per page (measured run of median CPU, by process;"
          f" total {1000 * arch.cpu / n:.1f}):")
    for key, seconds in sorted(arch.by_process.items(), key=lambda kv: -kv[1]):
        print(f"  {1000 * seconds / n:7.2f}  {PROCESS_NAMES.get(key, key)}")
    print(f"  ({1000 * fetch.cpu / n:.2f} of the crawl process is what a bare Scrapy fetch costs: the fetch-only run)")
    if profile:
        shares, seconds = profile
        per_page = 1000 * seconds / profile_pages
        print(f"\nby stage (cProfile of an inline run: {profile_pages} pages, extraction in the crawl process, "
              f"{per_page:.1f} ms/page busy while profiled, waits left out; the profiler inflates call-heavy"
              f" Python code a little; ≈ = share × the measured {1000 * arch.cpu / n:.1f}):")
        for name, share in shares.items():
            print(f"  {share:6.1%}  ≈{share * 1000 * arch.cpu / n:6.2f} ms  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000, help="N pages to crawl (default 1000)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="benchmark data folder")
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help="processes of the reference pool (default: the cores archiver's workers use)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure the contenders this many times, interleaved; the median round is shown")
    parser.add_argument("--archive-size", type=int, default=100_000, help="articles in the generated archive (0: skip)")
    parser.add_argument("--archive-db", type=Path,
                        help="keep the generated archive here and reuse it on the next run (it takes minutes)")
    parser.add_argument("--profile-pages", type=int, default=200, help="pages in the profiled run (0: skip)")
    parser.add_argument("--profile-out", type=Path, help="keep the profile here (for pstats or snakeviz)")
    parser.add_argument("--mode", choices=["urls", "follow"], default="urls",
                        help="archiver crawl of the URL list (default) or --follow from the index pages")
    args = parser.parse_args()
    if not become_subreaper():
        print("warning: could not become a child subreaper: CPU time of orphaned descendants is missed",
              file=sys.stderr)

    compile_archiver()
    work = Path(tempfile.mkdtemp(prefix="archiver-bench-"))
    try:
        bench(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the pages, the archives: hundreds of MB


def compile_archiver() -> None:
    """Byte-compile archiver's modules, as pip does for an installed package (trafilatura's and
    Scrapy's are): an editable checkout run where PYTHONDONTWRITEBYTECODE is set would compile
    them from source in the crawl process and again in the forkserver on every run (0.1 to
    0.2 s of CPU each)."""
    import compileall

    import archiver

    compileall.compile_dir(Path(archiver.__file__).parent, quiet=1)


def bench(args, work: Path) -> None:
    pages = load_pages(args.data)
    n = args.pages
    write_pages(pages, n, work / "pages")
    port, ready = multiprocessing.Value("i", 0), multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(pages, n, port, ready), daemon=True)
    server.start()
    ready.wait(30)
    base = f"http://127.0.0.1:{port.value}"
    url_file = work / "urls.txt"
    url_file.write_text("".join(f"{base}/a/{i}.html\n" for i in range(n)))
    avg_kb = sum(len(pages[i % len(pages)]) for i in range(n)) / n / 1024
    print(f"{n} pages from {len(pages)} real news pages (mean {avg_kb:.0f} KB), server {base}", file=sys.stderr)
    load_before = os.getloadavg()

    try:
        rate = server_max_rate(port.value, n)
        results = run_contenders(args, n, base, url_file, work)
        profile = (profile_archiver(url_file, min(args.profile_pages, n), work, LIFT_POLITENESS, args.profile_out)
                   if args.profile_pages else None)
    finally:
        server.terminate()

    arch = results["archiver"].runs[-1]
    db = work / "bench.db"
    # (the crawl runs with -q: it prints only when something failed)
    failures = arch.stderr.strip()
    print(f"\n{n} pages (mean {avg_kb:.0f} KB) from 127.0.0.1; fixture server max rate {rate:,.0f} pages/s "
          f"(keep-alive client, 8 threads); load average before: {' '.join(f'{x:.1f}' for x in load_before)}")
    print_contenders(results, n)
    stored = results["archiver"].stored
    print(f"\narchiver: {stored} of {n} stored; database {db.stat().st_size / 2**20:.1f} MB, "
          f"{db.stat().st_size / max(stored, 1) / 1024:.1f} KB per article (raw pages kept, compressed)")
    if failures:
        print(f"the crawl reported failures:\n{failures[-2000:]}")
    print_where_time_goes(results, n, profile, min(args.profile_pages, n))

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
        exports = [measure([*archiver_cmd(), "export", "--db", str(big), "-o", str(work / f"big{i}.jsonl"), "-q"])
                   for i in range(2)]
        for i in range(2):
            (work / f"big{i}.jsonl").unlink(missing_ok=True)
        print(f"\ngenerated archive: {args.archive_size:,} articles in {gen_s:.0f} s (nan: reused), "
              f"{big.stat().st_size / 2**20:.0f} MB")
        print(f"search (100 queries, in-process): median {med:.1f} ms, p95 {p95:.1f} ms   (target p95 < 50 ms)")
        print(f"`archiver search` command, whole process: median {statistics.median(cli_times) * 1000:.0f} ms")
        for label, exported in zip(("first", "again"), exports):
            failed = "" if exported.returncode == 0 else " FAILED: " + exported.stderr[-300:]
            print(f"export jsonl ({label}): {args.archive_size / exported.wall:,.0f} articles/s, "
                  f"peak RSS {exported.peak_rss / 2**20:.0f} MB (target >= 20,000/s){failed}")


if __name__ == "__main__":
    main()
