"""Extraction quality and speed on the shared dev sets: archiver and trafilatura side by side.

naeb-dev and fundus are scored with ../shared/tools/score.py (4-token shingles, macro
P/R), tfeval-dev with score_snippets.py (trafilatura's snippet rule, micro counts). Each
body-F1 difference comes with a paired bootstrap 95% interval: pages resampled with
replacement, the same resample for both extractors. Extraction runs in a pool of
processes; CPU ms/page is the CPU time of the extraction calls themselves.

Example: python bench/extraction.py --sets naeb-dev,fundus --limit 50 --dump /tmp/preds
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.benchdata import DEFAULT_DATA  # noqa: E402
SETS = ("naeb-dev", "fundus", "tfeval-dev")
# Sets whose ground truth is snippets (with/without), scored by trafilatura's own rule.
SNIPPET_SETS = frozenset({"tfeval-dev"})
FIELDS = ("title", "authors", "published_at", "body")


# --- the extractors: page bytes + URL -> an export-shaped record -------------
def run_archiver(raw: bytes, url: str) -> dict:
    from archiver.extract import extract_article

    # No fetch time is known for the saved pages: "now" is after all of them.
    record = extract_article(raw, url)
    out = {k: record.get(k) for k in FIELDS}
    # The sets' "authors" are the credits (people and outlets alike, as trafilatura's
    # author is): archiver's credits are its authors (people) and agencies together.
    out["authors"] = (record.get("authors") or []) + (record.get("agencies") or [])
    return out


def run_trafilatura(raw: bytes, url: str) -> dict:
    import trafilatura

    # The reference call of the benchdata README (and of bench/crawl.py): bytes + URL,
    # metadata on, tables on, comments off.
    doc = trafilatura.bare_extraction(raw, url=url, with_metadata=True, include_comments=False)
    if doc is None:
        return {"title": None, "authors": [], "published_at": None, "body": ""}
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return {"title": doc.title, "authors": authors, "published_at": doc.date, "body": doc.text or ""}


EXTRACTORS = {"archiver": run_archiver, "trafilatura": run_trafilatura}


# --- running the sets -----------------------------------------------------------
WARM_UP = b"<html><head><title>Warm-up</title></head><body><article><p>One sentence of text.</p></article></body></html>"


def _warm(labels) -> None:
    """Worker initializer: imports and first-call set-up happen here, not in a page's CPU time."""
    for label in labels:
        EXTRACTORS[label](WARM_UP, "https://example.com/2024/01/01/warm-up.html")


def _extract_page(task: tuple) -> tuple[str, str, list[tuple[str, dict, float]]]:
    """In a worker: one page through each extractor, with the CPU seconds of each call."""
    path, name, page_id, url, labels = task
    raw = gzip.decompress(Path(path).read_bytes())
    out = []
    for label in labels:
        start = time.process_time()
        prediction = EXTRACTORS[label](raw, url)
        out.append((label, prediction, time.process_time() - start))
    return name, page_id, out


def load_truth(data: Path, name: str, limit: int | None = None) -> dict:
    truth = json.loads((data / name / "ground-truth.json").read_text(encoding="utf-8"))
    return {k: truth[k] for k in sorted(truth)[:limit]} if limit else truth


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def extract_sets(data: Path, names, labels=("archiver", "trafilatura"), limit: int | None = None,
                 jobs: int | None = None) -> dict:
    """{set: {"truth", "predictions": {label: {id: record}}, "seconds": {label: CPU s}}}."""
    runs = {}
    tasks = []
    for name in names:
        truth = load_truth(data, name, limit)
        runs[name] = {"truth": truth, "predictions": {label: {} for label in labels},
                      "seconds": dict.fromkeys(labels, 0.0)}
        tasks += [(str(data / name / "html" / f"{page_id}.html.gz"), name, page_id, rec.get("url") or "", labels)
                  for page_id, rec in truth.items()]
    # spawn: fresh workers, neither a fork of a threaded process nor the shared
    # forkserver (whose preload archiver's own pool sets).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs or default_jobs(), mp_context=context,
                             initializer=_warm, initargs=(labels,)) as pool:
        for name, page_id, out in pool.map(_extract_page, tasks, chunksize=4):
            for label, prediction, seconds in out:
                runs[name]["predictions"][label][page_id] = prediction
                runs[name]["seconds"][label] += seconds
    return runs


# --- scoring ----------------------------------------------------------------------
def load_scorer(data: Path, name: str):
    """The shared scorer for a set: score_snippets.py for snippet sets, else score.py."""
    module = "score_snippets" if name in SNIPPET_SETS else "score"
    path = data.parent / "tools" / f"{module}.py"
    spec = importlib.util.spec_from_file_location(f"shared_{module}", path)
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    return scorer


def page_body_counts(scorer, name: str, truth: dict, predictions: dict) -> list[tuple]:
    """Per page, what the scorer's body figure is made of: (tp, fp, fn, tn) snippet counts,
    or (precision, recall) of the shingles, None where the scorer leaves the page out."""
    rows = []
    for page_id, gt in truth.items():
        pred = predictions.get(page_id) or {}
        body = pred.get("body") or ""
        if name in SNIPPET_SETS:
            rows.append(scorer.snippet_counts(gt, body))
        else:
            tp, fp, fn = scorer.body_counts(gt.get("articleBody", ""), body or pred.get("articleBody") or "")
            rows.append((tp / (tp + fp) if tp + fp > 0 else None, tp / (tp + fn) if tp + fn > 0 else None))
    return rows


def body_f1(name: str, rows: list[tuple]) -> float:
    """Body F1 as the set's scorer computes it, from page_body_counts rows."""
    if name in SNIPPET_SETS:  # micro: from the summed counts
        tp, fp, fn = (sum(r[i] for r in rows) for i in range(3))
        return 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0
    precisions = [p for p, _ in rows if p is not None]
    recalls = [r for _, r in rows if r is not None]
    if not precisions or not recalls:
        return 0.0
    p, r = statistics.fmean(precisions), statistics.fmean(recalls)
    return 2 * p * r / (p + r) if p + r else 0.0


def paired_bootstrap(name: str, a: list[tuple], b: list[tuple], resamples: int = 2000,
                     seed: int = 12) -> tuple[float, float, float]:
    """Body F1 of a minus b, and the 2.5/97.5 percentiles of that difference over
    resamples of the pages (with replacement, the same pages for a and b)."""
    rng = random.Random(seed)
    n = len(a)
    diffs = []
    for _ in range(resamples):
        pick = [rng.randrange(n) for _ in range(n)]
        diffs.append(body_f1(name, [a[i] for i in pick]) - body_f1(name, [b[i] for i in pick]))
    diffs.sort()
    return body_f1(name, a) - body_f1(name, b), diffs[int(0.025 * resamples)], diffs[int(0.975 * resamples) - 1]


def _moment(value) -> datetime | date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None
    if len(text) <= 10:
        return moment.date()
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def dated_after(predictions: dict, start: datetime) -> list[str]:
    """Ids of records dated after start (a date alone: a later day than start's, in UTC)."""
    late = []
    for page_id, pred in predictions.items():
        moment = _moment(pred.get("published_at"))
        if isinstance(moment, datetime):
            if moment > start:
                late.append(page_id)
        elif moment is not None and moment > start.date():
            late.append(page_id)
    return late


def dated_on(predictions: dict, day: date) -> list[str]:
    """Ids of records dated on the given day (for saved pages: a date the page cannot state)."""
    return [k for k, pred in predictions.items() if str(pred.get("published_at") or "")[:10] == day.isoformat()]


def score_run(data: Path, name: str, run: dict, start: datetime) -> dict:
    """{label: scores} with the scorer's figures plus future/today counts and CPU ms/page."""
    scorer = load_scorer(data, name)
    n = max(len(run["truth"]), 1)
    out = {}
    for label, predictions in run["predictions"].items():
        scores = scorer.score(run["truth"], predictions)
        rows = page_body_counts(scorer, name, run["truth"], predictions)
        if abs(body_f1(name, rows) - scores["body_f1"]) > 1e-9:
            raise RuntimeError(f"{name}: the shared scorer's body rule changed; update bench/extraction.py")
        scores.update(rows=rows, future=dated_after(predictions, start), today=dated_on(predictions, start.date()),
                      cpu_ms=1000 * run["seconds"][label] / n)
        out[label] = scores
    return out


# --- the report ---------------------------------------------------------------------
def fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_report(results: dict, resamples: int) -> None:
    header = ("set", "extractor", "body F1", "body P", "body R", "title", "author F1", "date day",
              "future", "today", "CPU ms/page")
    print(" | ".join(header))
    for name, by_label in results.items():
        for label, s in by_label.items():
            print(" | ".join((name, label, fmt(s["body_f1"]), fmt(s["body_p"]), fmt(s["body_r"]),
                              fmt(s.get("title_exact")), fmt(s.get("author_f1")), fmt(s.get("date_day")),
                              str(len(s["future"])), str(len(s["today"])), f"{s['cpu_ms']:.0f}")))
    print("future: records dated after the run started (target 0); today: dated on the run's day"
          " (saved pages cannot state it). CPU: the extraction call alone, per page.")
    for name, by_label in results.items():
        for label, s in by_label.items():
            if "tp" in s:
                print(f"{name} {label}: TP/FP/FN/TN {s['tp']}/{s['fp']}/{s['fn']}/{s['tn']}, "
                      f"accuracy {s['body_acc']:.3f}")
    for name, by_label in results.items():
        if {"archiver", "trafilatura"} <= by_label.keys():
            a, b = by_label["archiver"]["rows"], by_label["trafilatura"]["rows"]
            diff, lo, hi = paired_bootstrap(name, a, b, resamples)
            print(f"{name}: body F1 archiver - trafilatura {diff:+.3f}, 95% interval [{lo:+.3f}, {hi:+.3f}]"
                  f" (paired bootstrap, {resamples} resamples of {len(a)} pages)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding the sets")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated set names (default {','.join(SETS)})")
    parser.add_argument("--limit", type=int, default=None, help="first N pages of each set")
    parser.add_argument("--no-reference", action="store_true", help="skip trafilatura")
    parser.add_argument("--dump", type=Path, default=None, help="write predictions JSON here, one file per set and extractor")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="extraction processes (default: one per core)")
    parser.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples (default 2000)")
    args = parser.parse_args(argv)

    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    missing = [name for name in names if not (args.data / name / "ground-truth.json").is_file()]
    if missing:
        parser.error(f"no set {', '.join(missing)} under {args.data} (pass --data)")
    labels = ("archiver",) if args.no_reference else ("archiver", "trafilatura")
    start, wall = datetime.now(timezone.utc), time.perf_counter()
    runs = extract_sets(args.data, names, labels, args.limit, args.jobs)
    wall = time.perf_counter() - wall
    results = {name: score_run(args.data, name, run, start) for name, run in runs.items()}
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        for name, run in runs.items():
            for label, predictions in run["predictions"].items():
                (args.dump / f"{name}.{label}.json").write_text(
                    json.dumps(predictions, ensure_ascii=False, indent=1), encoding="utf-8")
    pages = sum(len(run["truth"]) for run in runs.values())
    print(f"{pages} pages in {wall:.0f} s with {args.jobs} processes; load average {os.getloadavg()[0]:.1f}",
          file=sys.stderr)
    print_report(results, args.bootstrap)
    return 0


if __name__ == "__main__":
    sys.exit(main())
