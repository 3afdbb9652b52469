"""`archiver extract --explain`: every candidate of every field, from extraction's own code path."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from archiver.extract import FIELDS, explain_article, extract_article
from tests.support.pages import article_html

PAGES = Path(__file__).parent / "pages"
FOLDERS = sorted(p for p in PAGES.iterdir() if (p / "page.html").exists())
WIRE = PAGES / "wire-story-local-day"


def _read(folder: Path) -> tuple[bytes, str, datetime | None]:
    meta = json.loads((folder / "meta.json").read_text()) if (folder / "meta.json").exists() else {}
    fetched = datetime.fromisoformat(meta["fetched_at"]) if meta.get("fetched_at") else None
    return (folder / "page.html").read_bytes(), meta.get("url", "https://example.com/"), fetched


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_explaining_extracts_the_same_record(folder):
    body, url, fetched = _read(folder)
    record, explanation = explain_article(body, url, fetched_at=fetched)
    assert record == extract_article(body, url, fetched_at=fetched)
    assert list(explanation) == [f for f in FIELDS if f in explanation]
    for field, entry in explanation.items():
        chosen = [c for c in entry["candidates"] if c["chosen"]]
        # A field with a value names the candidate it came from.
        assert bool(chosen) == (record[field] not in (None, "", [])), field


def _candidates(explanation, field):
    return [(c["source"], c["raw"], c["value"], c["verdict"], c["chosen"]) for c in explanation[field]["candidates"]]


def test_the_explanation_says_why_each_date_was_or_was_not_used():
    body, url, fetched = _read(WIRE)
    record, explanation = explain_article(body, url, fetched_at=fetched)
    dates = _candidates(explanation, "published_at")
    assert dates[0][:3] == ("json-ld", "2024-03-02T03:10:00Z", "2024-03-02T03:10:00+00:00") and dates[0][4]
    # The day readers see replaces the UTC day, and says so.
    fixed = [d for d in dates if d[2] == "2024-03-01" and d[4]]
    assert fixed and fixed[0][3].startswith("the day readers see")
    verdicts = {raw: verdict for _, raw, _, verdict, _ in dates}
    assert verdicts["Returns as of 08/10/2022"] == "a date inside running text, not a date line"
    assert record["published_at"] == "2024-03-01" and explanation["published_at"]["source"] == "json-ld"


def test_the_explanation_lists_the_credits_of_each_source():
    body, url, fetched = _read(WIRE)
    _, explanation = explain_article(body, url, fetched_at=fetched)
    authors = _candidates(explanation, "authors")
    # (raw is None where the source said exactly what was kept)
    assert (authors[0][0], authors[0][2]) == ("json-ld", ["The Canadian Press"])
    assert authors[0][3] == "credits no person: used if no later source does"
    assert explanation["agencies"]["value"] == ["The Canadian Press"]


def test_extract_explain_prints_each_field_and_its_candidates(run_cli, tmp_path):
    body, url, _ = _read(WIRE)
    (tmp_path / "page.html").write_bytes(body)
    result = run_cli("extract", "page.html", "--url", url, "--explain")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"== page.html ({url})"
    assert 'title: "Ferry service to resume on the north shore"  [json-ld]' in lines
    assert 'agencies: ["The Canadian Press"]  [json-ld]' in lines
    assert any(line.startswith("  * json-ld") and "2024-03-02T03:10:00Z" in line for line in lines)
    assert lines[-1] == "page: an article"


def test_extract_explain_json(run_cli, tmp_path):
    body, url, _ = _read(WIRE)
    (tmp_path / "page.html").write_bytes(body)
    result = run_cli("extract", "page.html", "--url", url, "--explain", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"source", "record", "explanation"}
    assert out["record"]["agencies"] == ["The Canadian Press"]
    entry = out["explanation"]["title"]
    assert entry["value"] == out["record"]["title"] and any(c["chosen"] for c in entry["candidates"])


def test_json_without_explain_is_a_usage_error(run_cli, tmp_path):
    (tmp_path / "page.html").write_text(article_html(1), encoding="utf-8")
    result = run_cli("extract", "page.html", "--json")
    assert result.returncode == 2 and "--json goes with --explain" in result.stderr


def test_a_page_in_a_batch_without_url_is_not_a_home_page(run_cli, tmp_path):
    (tmp_path / "page.html").write_text(article_html(1), encoding="utf-8")
    (tmp_path / "pages.tsv").write_text("page.html\t\n", encoding="utf-8")
    result = run_cli("extract", "--batch", "pages.tsv")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["is_article"] is True and record["not_article_reason"] is None
