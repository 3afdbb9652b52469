"""Extraction quality on the shared dev sets stays above the committed floors.

The sets live beside the checkout in ../shared/benchdata (ARCHIVER_BENCHDATA points
elsewhere), with their scorers in ../shared/tools; without them these tests skip. The
pages are extracted once (two processes) and scored as bench/extraction.py scores them.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.conftest import BENCHDATA as DATA
from tests.quality_floors import FLOORS

CASES = [(name, field) for name, fields in FLOORS.items() for field in fields]


@pytest.fixture(scope="module")
def scores():
    """{set: archiver's scores}, from one extraction of every dev set."""
    missing = [name for name in FLOORS if not (DATA / name / "ground-truth.json").is_file()]
    tools = [DATA.parent / "tools" / f"{tool}.py" for tool in ("score", "score_snippets")]
    if missing or not all(tool.is_file() for tool in tools):
        pytest.skip(f"the shared dev sets and scorers are not beside the checkout ({DATA}: "
                    f"missing {', '.join(missing) or 'the scorers in ../tools'}); set ARCHIVER_BENCHDATA")
    from bench.extraction import extract_sets, score_run

    start = datetime.now(timezone.utc)
    runs = extract_sets(DATA, list(FLOORS), labels=("archiver",), jobs=2)
    return {name: score_run(DATA, name, run, start)["archiver"] for name, run in runs.items()}


@pytest.mark.parametrize(("dev_set", "field"), CASES, ids=[f"{name}-{field}" for name, field in CASES])
def test_quality_stays_above_its_floor(scores, dev_set, field):
    value, floor = scores[dev_set][field], FLOORS[dev_set][field]
    assert value >= floor, f"{dev_set} {field} fell to {value:.4f}, below its floor {floor:.3f}"


@pytest.mark.parametrize("dev_set", list(FLOORS))
def test_no_record_is_dated_in_the_future(scores, dev_set):
    assert scores[dev_set]["future"] == [], f"{dev_set}: records dated after the run started"
