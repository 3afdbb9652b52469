"""Syndication clusters in the archive: filed as articles are written, the original named
by publication time, re-filed when an article changes, and made for an older archive
when it is upgraded. Real SQLite files, written through ArchiveWriter."""

from __future__ import annotations

import sqlite3

import sqlite_utils

from archiver.store.clusters import cluster_members
from archiver.store.schema import connect, migrations
from tests.support.archives import record, write_archive
from tests.support.stories import REEF, REEF_EDITED, REEF_OTHER, UNRELATED, body


def _clusters(path) -> dict[str, int]:
    db = connect(path, readonly=True)
    return {site: cluster for site, cluster in db.execute("SELECT site, cluster_id FROM articles")}


def _story(i, site, paragraphs, published, **fields):
    return record(i, site=site, title="U.S. offers help to monitor Pacific reefs", body=body(paragraphs),
                  published_at=published, **fields)


WIRE = [
    _story(1, "harbordaily.example", REEF, "2021-05-07", byline="Voice of America News"),
    _story(2, "voa.example", REEF, "2021-05-07T14:00:00+00:00", site_name="Voice of America"),
    _story(3, "islandtimes.example", REEF_EDITED, "2021-05-08T14:00:00+12:00"),
    _story(4, "reefwatch.example", REEF_OTHER, "2021-05-06T09:00:00+00:00"),
    _story(5, "citypaper.example", UNRELATED, "2021-05-07T08:00:00+00:00"),
]


def test_copies_share_the_id_of_the_original_and_other_stories_stay_alone(tmp_path):
    write_archive(tmp_path / "a.db", WIRE)
    clusters = _clusters(tmp_path / "a.db")
    ids = {site: i for i, site in enumerate([r["site"] for r in WIRE], start=1)}
    # The agency's copy states the earliest time (a bare day counts as its end).
    assert clusters["harbordaily.example"] == clusters["islandtimes.example"] == ids["voa.example"]
    assert clusters["voa.example"] == ids["voa.example"]
    assert clusters["reefwatch.example"] == ids["reefwatch.example"]
    assert clusters["citypaper.example"] == ids["citypaper.example"]


def test_members_with_similarity_credit_and_the_original_first(tmp_path):
    write_archive(tmp_path / "a.db", WIRE)
    members = cluster_members(connect(tmp_path / "a.db", readonly=True), 1)
    assert [m["site"] for m in members] == ["voa.example", "harbordaily.example", "islandtimes.example"]
    assert [m["is_original"] for m in members] == [True, False, False]
    assert members[0]["similarity"] == members[1]["similarity"] == 1.0
    assert 0.35 < members[2]["similarity"] < 0.9 and members[2]["contained"] > 0.6
    # The dateline, the byline; the edited copy's new lede dropped the credit.
    assert [m["credit"] for m in members] == ["Voice of America", "Voice of America", None]
    alone = cluster_members(connect(tmp_path / "a.db", readonly=True), 5)
    assert [m["site"] for m in alone] == ["citypaper.example"]


def test_an_earlier_copy_archived_later_becomes_the_original(tmp_path):
    path = tmp_path / "a.db"
    write_archive(path, [WIRE[0], WIRE[2]])
    assert set(_clusters(path).values()) == {1}
    write_archive(path, [WIRE[1]])  # the agency's own page, stating an earlier time
    assert set(_clusters(path).values()) == {3}


def test_a_changed_article_is_filed_again(tmp_path):
    path = tmp_path / "a.db"
    write_archive(path, [WIRE[1], WIRE[0], WIRE[2]])
    assert set(_clusters(path).values()) == {1}
    # The original's page now carries another story: it leaves, the next copy in
    # publication order takes over, and the band index forgets its old text.
    write_archive(path, [{**WIRE[1], "body": body(UNRELATED), "content_hash": "changed"}])
    clusters = _clusters(path)
    assert clusters == {"voa.example": 1, "harbordaily.example": 2, "islandtimes.example": 2}
    db = connect(path, readonly=True)
    assert db.execute("SELECT COUNT(*) FROM signature_bands").fetchone()[0] == 3 * 42


def test_a_short_body_is_alone(tmp_path):
    write_archive(tmp_path / "a.db", [record(1, body="Subscribe to read more."), record(2, body="Subscribe to read more.")])
    assert sorted(_clusters(tmp_path / "a.db").values()) == [1, 2]


def test_a_story_copied_many_times_is_one_cluster(tmp_path):
    copies = [_story(i, f"site{i}.example", REEF if i % 2 else REEF_EDITED, f"2021-05-{7 + i % 20:02d}")
              for i in range(1, 61)]
    write_archive(tmp_path / "a.db", copies)
    clusters = _clusters(tmp_path / "a.db")
    assert len(set(clusters.values())) == 1
    # Published first: day 7 (i = 20, 40, 60); a bare day each, so the first archived.
    assert set(clusters.values()) == {20}


def test_an_archive_made_before_clusters_gets_them_when_upgraded(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(sqlite3.connect(path))
    # Whatever its number once migrations are ordered on merge.
    clusters_migration = next(m.name for m in migrations._migrations if m.name.endswith("_syndication_clusters"))
    migrations.apply(db, stop_before=clusters_migration)
    for rec in WIRE:
        db["articles"].insert({k: v for k, v in rec.items() if k in db["articles"].columns_dict} | {
            "authors": "[]", "tags": "[]", "related_links": "[]", "provenance": "{}"})
    db.conn.commit()
    db.conn.close()
    # A read opens it: it is upgraded first, and its articles filed in archived order.
    clusters = _clusters(path)
    assert clusters["harbordaily.example"] == clusters["islandtimes.example"] == clusters["voa.example"] == 2
    assert clusters["reefwatch.example"] == 4
