"""What trafilatura's XPaths cost on the dev pages, as trafilatura ships them and as
archiver runs them (archiver.extract.trafilatura_passes, archiver.extract.xpath_scans).

Every XPath of trafilatura's lists that archiver changes runs once over each dev page's
parsed tree, in four forms: trafilatura's own; with each re:test call behind a test
that the attribute is there; with that and the test that the value contains one of the
literals every match of the pattern contains; and as extraction runs them (the prune
lists and BODY_XPATH as Python scans, the other XPaths in the third form; a BODY_XPATH
scan stops at the first element, all that trafilatura reads of it). Rounds alternate the order
of the forms; CPU ms per page is the median over the rounds, and every form is checked
to select the same elements as the original.
These are whole trees, before any prune: an extraction runs these XPaths on pruned
trees, and only some of them, so it saves less than the difference printed here.

Example: python bench/xpaths.py --rounds 5
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.benchdata import DEFAULT_DATA  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the benchdata folder (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, alternating the forms' order (default: 3)")
    parser.add_argument("--limit", type=int, default=0, help="at most this many pages (default: all)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    from lxml.etree import XPath

    from archiver.extract.page import Page
    from archiver.extract.trafilatura_passes import _REGEXP_NS, GUARDED, MAX_LITERALS, SCANNED, guarded_path

    files = sorted(args.data.glob("*/html/*.html.gz"))[: args.limit or None]
    if not files:
        print(f"Error: no pages under {args.data}/*/html/", file=sys.stderr)
        return 1
    trees = [page.tree for f in files if (page := Page.parse(gzip.open(f).read(), None)) is not None]
    originals = [original for original, _ in GUARDED + SCANNED]

    def guarded(original, max_literals: int):
        path = guarded_path(original.path, max_literals=max_literals)
        return original if path is None else XPath(path, namespaces=_REGEXP_NS)

    forms = {
        "trafilatura's": originals,
        "presence guard": [guarded(o, 0) for o in originals],
        "presence + literals": [guarded(o, MAX_LITERALS) for o in originals],
        "as extraction runs": [used for _, used in GUARDED + SCANNED],  # the prunes and BODY_XPATH as scans
    }
    times: dict[str, list[float]] = {name: [] for name in forms}
    selected: dict[str, list] = {}  # what each form selects, from the first round
    order = list(forms)
    for r in range(args.rounds):
        for name in order if r % 2 == 0 else order[::-1]:
            start = time.process_time()
            found = [[x(tree) for tree in trees] for x in forms[name]]
            times[name].append((time.process_time() - start) / len(trees) * 1000)
            selected.setdefault(name, found)
    # a scan standing in for a BODY_XPATH expression gives only the first element selected
    firsts = [False] * len(GUARDED) + [scan.first for _, scan in SCANNED]

    def compared(found: list) -> list:
        return [[r[:1] for r in per] if first else per for per, first in zip(found, firsts)]

    differ = [name for name in forms if compared(selected[name]) != compared(selected["trafilatura's"])]
    print(f"{len(originals)} XPaths of trafilatura ({len(SCANNED)} run as scans) over {len(trees)} dev pages' "
          f"trees, {args.rounds} rounds")
    reference = statistics.median(times["trafilatura's"])
    for name, values in times.items():
        ms = statistics.median(values)
        print(f"  {name:<20} {ms:6.1f} ms/page  {ms / reference:5.2f}x   rounds: "
              + " ".join(f"{v:.1f}" for v in values))
    print("same elements selected in every form" if not differ else f"Error: {', '.join(differ)} select otherwise")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
