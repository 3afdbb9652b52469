"""Versions are numbered by fetch time, whatever order the pages arrive in: an older
capture becomes an earlier version, never the current one, and writing the same
captures again adds nothing."""

from __future__ import annotations

import itertools

import pytest

from archiver.store.queries import article_versions, get_article, version_numbers
from archiver.store.schema import connect
from archiver.store.writer import UNCHANGED, UPDATED, ArchiveWriter, Fetched
from tests.support.archives import record

URL = "https://site1.example/news/1.html"
DAY = "2024-03-{:02d}T12:00:00+00:00"


def page(day: int, text: str) -> Fetched:
    rec = record(1, title=f"Story ({text})", body=f"The text as it read: {text}.")
    return Fetched(requested_url=URL, record=rec, fetched_at=DAY.format(day), raw=f"<p>{text}</p>".encode())


def write(path, *pages: Fetched) -> list[tuple[str, str | None]]:
    writer = ArchiveWriter(path, remember_fetches=False)
    run = writer.start_run(spider="test", mode="import")
    for p in pages:
        writer.add_article(p)
    writer.finish_run("finished")
    rows = writer.db.execute("SELECT outcome, reason FROM run_pages WHERE run_id = ? ORDER BY id", [run]).fetchall()
    writer.close()
    return rows


def timeline(path) -> list[tuple[int, str, str]]:
    db = connect(path, readonly=True)
    article = get_article(db, URL)
    versions = article_versions(db, article["id"])
    # The current fields are the newest version's.
    assert article["version"] == versions[-1]["version"] == len(versions)
    assert article["title"] == versions[-1]["title"]
    return [(v["version"], v["fetched_at"][8:10], v["title"][7:-1]) for v in versions]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_captures_in_any_order_give_the_same_history(tmp_path, order):
    captures = [page(1, "first"), page(5, "second"), page(9, "third")]
    write(tmp_path / "a.db", *(captures[i] for i in order))
    assert timeline(tmp_path / "a.db") == [(1, "01", "first"), (2, "05", "second"), (3, "09", "third")]
    db = connect(tmp_path / "a.db", readonly=True)
    responses = db.execute("SELECT version, fetched_at FROM responses ORDER BY version").fetchall()
    assert [(v, at[8:10]) for v, at in responses] == [(1, "01"), (2, "05"), (3, "09")]


def test_an_older_capture_is_an_earlier_version_and_never_the_current_one(tmp_path):
    write(tmp_path / "a.db", page(9, "newest"))
    rows = write(tmp_path / "a.db", page(3, "oldest"))
    assert rows == [(UPDATED, "an earlier version, fetched before version 2")]
    assert timeline(tmp_path / "a.db") == [(1, "03", "oldest"), (2, "09", "newest")]
    db = connect(tmp_path / "a.db", readonly=True)
    article = get_article(db, URL)
    assert article["first_seen_at"] == DAY.format(3) and article["last_seen_at"] == DAY.format(9)


def test_writing_the_same_captures_again_adds_nothing(tmp_path):
    captures = [page(1, "a"), page(5, "b"), page(9, "a")]
    write(tmp_path / "a.db", *captures)
    before = timeline(tmp_path / "a.db")
    assert [t for _, _, t in before] == ["a", "b", "a"]
    assert write(tmp_path / "a.db", *reversed(captures)) == [(UNCHANGED, None)] * 3
    assert timeline(tmp_path / "a.db") == before


def test_an_earlier_capture_of_a_version_dates_it_from_then(tmp_path):
    write(tmp_path / "a.db", page(1, "a"), page(9, "b"))
    assert write(tmp_path / "a.db", page(5, "b")) == [(UNCHANGED, "an earlier capture of version 2")]
    assert timeline(tmp_path / "a.db") == [(1, "01", "a"), (2, "05", "b")]


def test_a_capture_between_the_current_version_and_its_last_sighting(tmp_path):
    # Seen as "a" on the 1st and again on the 9th; a capture of the 5th read "b":
    # "a" was back by the 9th, so it stays the current version.
    write(tmp_path / "a.db", page(1, "a"), page(9, "a"))
    write(tmp_path / "a.db", page(5, "b"))
    assert timeline(tmp_path / "a.db") == [(1, "01", "a"), (2, "05", "b"), (3, "09", "a")]
    assert version_numbers(connect(tmp_path / "a.db", readonly=True), 1) == [1, 2, 3]
