"""The full-text index follows the articles' title and body through every kind of write:
a first version, a new version, a sighting, a filing in a syndication cluster, a removal
and a return; updates of other columns leave it alone."""

from __future__ import annotations

from archiver.store.queries import search
from archiver.store.schema import connect
from archiver.store.writer import GONE, ArchiveWriter, Fetched
from tests.support.archives import record

DAY = "2024-03-{:02d}T12:00:00+00:00"


def store(path, day: int, *records, gone: tuple[str, ...] = ()) -> None:
    writer = ArchiveWriter(path)
    writer.start_run(spider="test", mode="urls")
    for rec in records:
        writer.add_article(Fetched(requested_url=rec["url"], record=rec, fetched_at=DAY.format(day)))
    for url in gone:
        writer.add_outcome(url, GONE, "HTTP 404 Not Found", 404)
    writer.finish_run("finished")
    writer.close()


def found(path, query: str) -> set[str]:
    return {hit["url"] for hit in search(connect(path, readonly=True), query)}


def index_is_whole(path) -> None:
    db = connect(path)
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
    db.conn.close()


def test_the_index_follows_versions_sightings_clusters_and_removals(tmp_path):
    path = tmp_path / "news.db"
    body = "\n\n".join(f"Paragraph {i} of the zeppelin hangar story, told at length for the copy." for i in range(30))
    first, copy = record(1, body=body), record(2, body=body, site="other.example")
    store(path, 1, first, copy)  # the copy is filed in the first one's cluster
    assert found(path, "zeppelin") == {first["url"], copy["url"]}
    changed = record(1, body=body.replace("zeppelin", "airship"))
    store(path, 2, changed, copy)  # a new version of one, a sighting of the other
    store(path, 3, copy, gone=(first["url"],))
    store(path, 4, changed)  # back
    assert found(path, "zeppelin") == {copy["url"]}
    assert found(path, "airship") == {first["url"]}
    index_is_whole(path)
