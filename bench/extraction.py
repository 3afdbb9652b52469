"""Extraction quality and speed on the shared dev sets, against trafilatura in the same run.

Example: python bench/extraction.py --sets naeb-dev,fundus --limit 50 --dump /tmp/preds
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archiver.extract import extract_article  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "benchdata"


def load_scorer(data: Path):
    path = data.parent / "tools" / "score.py"
    spec = importlib.util.spec_from_file_location("shared_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pages(data: Path, name: str, limit: int | None):
    truth = json.loads((data / name / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)[:limit] if limit else sorted(truth)
    for page_id in ids:
        raw = gzip.decompress((data / name / "html" / f"{page_id}.html.gz").read_bytes())
        yield page_id, truth[page_id], raw


def run_archiver(raw: bytes, url: str) -> dict:
    # No fetch time is known for the saved pages: "now" is after all of them.
    record = extract_article(raw, url)
    return {k: record[k] for k in ("title", "authors", "published_at", "body")}


def run_trafilatura(raw: bytes, url: str) -> dict:
    import trafilatura

    doc = trafilatura.bare_extraction(raw, url=url, with_metadata=True)
    if doc is None:
        return {"title": None, "authors": [], "published_at": None, "body": ""}
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return {"title": doc.title, "authors": authors, "published_at": doc.date, "body": doc.text or ""}


def bench_set(data: Path, name: str, limit: int | None, extractors: dict) -> dict:
    truth_subset: dict = {}
    predictions = {label: {} for label in extractors}
    seconds = {label: 0.0 for label in extractors}
    for page_id, truth, raw in pages(data, name, limit):
        truth_subset[page_id] = truth
        for label, run in extractors.items():
            # CPU time, not wall time: other jobs on a shared machine would
            # otherwise decide which extractor looks faster.
            start = time.process_time()
            predictions[label][page_id] = run(raw, truth.get("url") or "")
            seconds[label] += time.process_time() - start
    return {"truth": truth_subset, "predictions": predictions, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding the sets")
    parser.add_argument("--sets", default="naeb-dev,fundus", help="comma-separated set names")
    parser.add_argument("--limit", type=int, default=None, help="first N pages of each set")
    parser.add_argument("--no-reference", action="store_true", help="skip trafilatura")
    parser.add_argument("--dump", type=Path, default=None, help="write predictions JSON here")
    args = parser.parse_args(argv)

    scorer = load_scorer(args.data)
    extractors = {"archiver": run_archiver}
    if not args.no_reference:
        extractors["trafilatura"] = run_trafilatura
    rows = []
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        result = bench_set(args.data, name, args.limit, extractors)
        n = len(result["truth"])
        for label in extractors:
            scores = scorer.score(result["truth"], result["predictions"][label])
            rows.append((name, label, scores, 1000 * result["seconds"][label] / max(n, 1)))
            if args.dump:
                args.dump.mkdir(parents=True, exist_ok=True)
                out = args.dump / f"{name}.{label}.json"
                out.write_text(json.dumps(result["predictions"][label], ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"{name}: {n} pages", file=sys.stderr)
    print_table(rows)
    return 0


def print_table(rows) -> None:
    header = ("set", "extractor", "body F1", "body P", "body R", "title", "author F1", "date day", "ms/page")
    print(" | ".join(header))
    for name, label, s, ms in rows:
        cells = (name, label, s["body_f1"], s["body_p"], s["body_r"], s.get("title_exact"),
                 s.get("author_f1"), s.get("date_day"), ms)
        print(" | ".join(c if isinstance(c, str) else "-" if c is None else f"{c:.3f}" if c < 10 else f"{c:.0f}"
                         for c in cells))


if __name__ == "__main__":
    sys.exit(main())
