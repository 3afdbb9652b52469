"""Whole-page extraction against hand-written fixtures in tests/pages/<style>/.

Each folder holds page.html, optional meta.json ({url, content_type, fetched_at})
and expected.json: the fields a person checked by reading the page. One test
per (page, field), so a wrong byline does not hide a wrong date. A field listed
in expected.json's "known_failures" is marked xfail with the reason given.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from archiver.extract import FIELDS, extract_article
from archiver.record import content_hash, word_count

PAGES = Path(__file__).parent / "pages"
SPECIAL = {"known_failures", "body_contains", "body_excludes"}


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _load(folder: Path) -> tuple[dict, dict]:
    return _json(folder / "meta.json"), _json(folder / "expected.json")


def _extract(folder: Path) -> dict:
    meta = _json(folder / "meta.json")
    fetched_at = datetime.fromisoformat(meta["fetched_at"]) if meta.get("fetched_at") else None
    return extract_article((folder / "page.html").read_bytes(), meta.get("url", "https://example.com/"),
                           content_type=meta.get("content_type"), fetched_at=fetched_at)


_CACHE: dict[str, dict] = {}


def record_of(folder: Path) -> dict:
    if folder.name not in _CACHE:
        _CACHE[folder.name] = _extract(folder)
    return _CACHE[folder.name]


FOLDERS = sorted(p for p in PAGES.iterdir() if (p / "expected.json").exists())
CASES = [
    pytest.param(folder, field, id=f"{folder.name}-{field}")
    for folder in FOLDERS
    for field in _load(folder)[1]
    if field != "known_failures"
]


def test_there_are_pages_of_every_kind():
    kinds = {_load(f)[1].get("is_article") for f in FOLDERS}
    assert len(FOLDERS) >= 9 and kinds == {True, False}


@pytest.mark.parametrize("folder, field", CASES)
def test_page_field(folder: Path, field: str):
    _, expected = _load(folder)
    reason = expected.get("known_failures", {}).get(field)
    if reason:
        pytest.xfail(reason)
    record = record_of(folder)
    if field == "body_contains":
        for fragment in expected[field]:
            assert fragment in record["body"]
    elif field == "body_excludes":
        for fragment in expected[field]:
            assert fragment not in record["body"]
    else:
        assert record[field] == expected[field]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_record_shape(folder: Path):
    record = record_of(folder)
    assert tuple(record) == FIELDS
    assert record["word_count"] == word_count(record["body"])
    assert record["content_hash"] == content_hash(record["title"], record["body"])
    assert set(record["provenance"].values()) <= {"json-ld", "meta", "feed", "sitemap", "dom", "heuristic", "url"}
    assert (record["not_article_reason"] is None) == record["is_article"]
