"""Import speed: `archiver import` of a WARC built from the dev-set pages, records/s on every core.

Builds the WARC (gzip per record, written with warcio) in a temporary folder from
../shared/benchdata (never in the repository), then measures, as whole process
trees (bench/proctree.py; with where the CPU went, by process): the WARC reader alone (warcio, and FastWARC when it is
installed: the reader choice of the README), `archiver import` with extraction in
this process (--workers 0) and with one worker per core, and each again on a WARC
`--repeat` times larger (the same pages under other URLs), whose peak memory
should match: reading streams.

Example: python bench/imports.py --repeat 3
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdata import DEFAULT_DATA  # noqa: E402
from proctree import become_subreaper, measure  # noqa: E402

SETS = ("naeb-dev", "fundus", "tfeval-dev")

READER = """
import sys, time
which, path = sys.argv[1], sys.argv[2]
n = 0
if which == "warcio":
    from warcio.archiveiterator import ArchiveIterator
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type == "response":
                rec.rec_headers.get_header("WARC-Target-URI"); rec.http_headers.get_header("Content-Type")
                rec.content_stream().read(); n += 1
else:
    from fastwarc.warc import ArchiveIterator, WarcRecordType
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh, record_types=WarcRecordType.response, parse_http=True):
            rec.headers.get("WARC-Target-URI"); rec.http_headers.get("Content-Type")
            rec.reader.read(); n += 1
print(n)
"""


def build_warc(data: Path, path: Path, repeat: int) -> int:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    count = 0
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for r in range(repeat):
            for name in SETS:
                truth = json.loads((data / name / "ground-truth.json").read_text(encoding="utf-8"))
                for page in sorted((data / name / "html").glob("*.html.gz")):
                    pid = page.name.split(".")[0]
                    url = (truth.get(pid) or {}).get("url") or f"https://{name}.example/{pid}.html"
                    url = url.strip().replace(" ", "%20") + (f"{'&' if '?' in url else '?'}copy={r}" if r else "")
                    body = gzip.decompress(page.read_bytes())
                    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                                       ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
                    writer.write_record(writer.create_warc_record(
                        url, "response", payload=io.BytesIO(body), http_headers=http,
                        warc_headers_dict={"WARC-Date": "2024-01-01T00:00:00Z"}))
                    count += 1
    return count


def archiver_cmd() -> list[str]:
    script = Path(sys.executable).with_name("archiver")
    return [str(script)] if script.exists() else [sys.executable, "-m", "archiver"]


def row(label: str, records: int, m) -> str:
    return (f"{label:<34} {records:>6} {m.wall:>8.1f} {records / m.wall:>9.1f} {m.cpu:>8.1f} "
            f"{1000 * m.cpu / records:>9.2f} {m.peak_pss / 2**20:>8.0f} {m.loadavg:>5.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3, help="size of the larger WARC, in copies of the dev sets")
    args = parser.parse_args()
    if not (args.data / SETS[0]).is_dir():
        sys.exit(f"no dev sets in {args.data} (--data)")
    if not become_subreaper():
        print("warning: not a child subreaper; CPU of orphaned processes may be missed", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="archiver-import-bench-"))
    try:
        sizes = {}
        for copies in sorted({1, args.repeat}):
            warc = work / f"dev-x{copies}.warc.gz"
            sizes[warc] = build_warc(args.data, warc, copies)
            print(f"{warc.name}: {sizes[warc]} records, {warc.stat().st_size / 2**20:.0f} MB", file=sys.stderr)
        print(f"cores: {len(os.sched_getaffinity(0))}")
        print(f"{'run':<34} {'records':>6} {'wall s':>8} {'records/s':>9} {'CPU s':>8} {'CPU ms/rec':>9} "
              f"{'PSS MB':>8} {'load':>5}")
        readers = ["warcio"]
        try:
            import fastwarc  # noqa: F401

            readers.append("fastwarc")
        except ImportError:
            pass
        for warc, records in sizes.items():
            for reader in readers:
                m = measure([sys.executable, "-c", READER, reader, str(warc)])
                print(row(f"read only, {reader}, {warc.name}", records, m))
            for workers in ("0", "auto"):
                db = work / f"bench-{workers}.db"
                m = measure([*archiver_cmd(), "import", str(warc), "--db", str(db), "--workers", workers, "-q"])
                if m.returncode not in (0, 1):
                    sys.exit(f"archiver import failed: {m.stderr[-2000:]}")
                print(row(f"import --workers {workers}, {warc.name}", records, m))
                for name, seconds in sorted(m.by_process.items(), key=lambda kv: -kv[1]):
                    print(f"    {name:<60} {seconds:>7.1f} s CPU")
                for suffix in ("", "-wal", "-shm", ".lock"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
