"""Distributed crawls under faults: a worker killed, Redis restarted or full, poison items.

Real redis-server, real worker and writer processes, a loopback site; page counts
are read from the site's request log and from the archive.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import FAST
from tests.support.cluster import (archiver, count, db_rows, drained, env_for, needs_redis, news_site, redis_client,
                                   run, wait_until)
from tests.support.cluster import redis_server  # noqa: F401 (a fixture)
from tests.support.server import FixtureSite

ARTICLES = 30
SECTIONS = 3
# Workers presumed gone after 2 s without a heartbeat; jobs done after 1 s with nothing left.
QUICK = [*FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "ARCHIVER_WORKER_TTL=2",
         "-s", "ARCHIVER_JOB_GRACE=1"]


@pytest.fixture
def site():
    with FixtureSite(news_site(ARTICLES, SECTIONS, 0.25)) as s:
        yield s


def pages(site) -> list[str]:
    return [p for p in site.paths_requested() if p != "/robots.txt"]


def every_page_once(db, site) -> None:
    """Each page of the site has exactly one outcome in the run; each article is archived once."""
    assert count(db, "SELECT COUNT(*) FROM articles") == ARTICLES
    recorded = db_rows(db, "SELECT url, outcome FROM run_pages ORDER BY url")
    assert sorted(u[len(site.url):] for u, _ in recorded) == sorted(site.pages)
    assert {o for _, o in recorded} <= {"archived", "skipped"}


def enqueue_site(site, tmp_path, env) -> str:
    return run("enqueue", "--follow", site.url + "/", "--depth", "3", "-q", cwd=tmp_path, env=env).stdout.strip()


def finish_writing(writer, db, redis_url: str, site) -> None:
    """Wait for the writer to finish the run, stop it, and check every page is in the archive once."""
    wait_until(lambda: drained(redis_url) and count(
        db, "SELECT COUNT(*) FROM runs WHERE status = 'finished'") == 1, 30, "the writer to finish the run")
    writer.popen.terminate()
    assert writer.wait() == 0, writer.stderr
    every_page_once(db, site)


def worker_args(tmp_path, *extra: str) -> list[str]:
    return ["worker", *QUICK, "-s", f"ARCHIVER_SPOOL_DIR={tmp_path / 'spool'}", *extra]


@needs_redis
def test_a_worker_killed_mid_crawl_loses_no_page(redis_server, site, tmp_path):
    env = env_for(redis_server.url)
    db = tmp_path / "archive.db"
    client = redis_client(redis_server.url)
    run_id = enqueue_site(site, tmp_path, env)
    writer = archiver("ingest", "--db", str(db), "-s", "ARCHIVER_WORKER_TTL=6", cwd=tmp_path, env=env, name="ingest")
    first = archiver(*worker_args(tmp_path, "--run", run_id, "-s", "ARCHIVER_WORKER_TTL=6"), cwd=tmp_path, env=env,
                     name="worker1")
    wait_until(lambda: count(db, "SELECT COUNT(*) FROM articles") >= 5, 60, "the first articles")
    first.kill_tree()
    at_kill = len(pages(site))
    leased = client.hlen(f"archiver:run:{run_id}:follow:leases")
    assert leased, "the killed worker held no request"

    # While its heartbeat lasts (6 s: the status command must start within it on a loaded
    # machine), status shows the worker and the URLs it holds.
    status = json.loads(run("status", "--json", cwd=tmp_path, env=env).stdout)
    [job] = status["runs"][0]["jobs"]
    assert job["leases"] == leased and status["workers"][0]["jobs"] == [f"{run_id} follow"]
    assert status["redis"]["used_memory"] > 0 and "items_waiting" in status["writer"]

    # Nobody is left: the writer finds the worker gone, puts its requests back and ends the run.
    wait_until(lambda: count(db, "SELECT COUNT(*) FROM runs WHERE status = 'workers_lost'") == 1, 30,
               "the run to end as workers_lost")
    assert client.hlen(f"archiver:run:{run_id}:follow:leases") == 0
    status = run("status", cwd=tmp_path, env=env)
    assert f"{leased} put back from gone workers" in status.stdout and "put back: http://" in status.stdout

    # A new worker takes the run up where it stopped: nothing is filtered away as seen.
    second = archiver(*worker_args(tmp_path, "--run", run_id), cwd=tmp_path, env=env, name="worker2")
    assert second.wait() == 0, second.stderr
    finish_writing(writer, db, redis_server.url, site)
    # Only what the killed worker held is fetched twice.
    requested = pages(site)
    assert set(requested) == set(site.pages)
    assert len(requested) - len(site.pages) <= leased <= at_kill
    assert db_rows(db, "SELECT status FROM runs") == [("finished",)]


@needs_redis
@pytest.mark.parametrize("kill", [False, True], ids=["restart", "kill-9"])
def test_redis_restarted_mid_crawl_loses_no_page(redis_server, site, tmp_path, kill):
    env = env_for(redis_server.url)
    db = tmp_path / "archive.db"
    run_id = enqueue_site(site, tmp_path, env)
    writer = archiver("ingest", "--db", str(db), cwd=tmp_path, env=env, name="ingest")
    worker = archiver(*worker_args(tmp_path, "--run", run_id), cwd=tmp_path, env=env, name="worker")
    wait_until(lambda: count(db, "SELECT COUNT(*) FROM articles") >= 5, 60, "the first articles")
    # Down for 2 s (SIGTERM: Redis writes its append-only file; kill -9: the last second may be lost).
    redis_server.restart(down_for=2, kill=kill)
    assert worker.wait() == 0, worker.stderr
    assert "keeping pages in" in worker.stderr and "Redis takes writes again" in worker.stderr
    finish_writing(writer, db, redis_server.url, site)
    assert "Redis is back" in writer.stderr
    assert set(pages(site)) == set(site.pages)


@needs_redis
def test_redis_full_stops_the_worker_and_loses_no_page(redis_server, site, tmp_path):
    env = env_for(redis_server.url)
    db = tmp_path / "archive.db"
    client = redis_client(redis_server.url)
    run_id = enqueue_site(site, tmp_path, env)
    # No writer yet: items pile up until Redis is full.
    first = archiver(*worker_args(tmp_path, "--run", run_id, "-s", "ARCHIVER_REDIS_WAIT=3"), cwd=tmp_path, env=env,
                     name="worker1")
    wait_until(lambda: client.llen("archiver:items") >= 8, 60, "the first items")
    client.config_set("maxmemory", int(client.info("memory")["used_memory"]) * 4 // 5)
    assert first.wait() == 1, first.stderr
    assert "Redis is full" in first.stderr and "maxmemory" in first.stderr, first.stderr
    assert "[follow] redis_full" in first.stderr
    assert list((tmp_path / "spool").glob("*.spool")), "the pages Redis refused are not kept"

    # Room again: the writer empties the list, a new worker sends what the first one kept,
    # takes the requests it held once it is presumed gone, and finishes the run.
    client.config_set("maxmemory", 0)
    writer = archiver("ingest", "--db", str(db), cwd=tmp_path, env=env, name="ingest")
    second = archiver(*worker_args(tmp_path, "--run", run_id), cwd=tmp_path, env=env, name="worker2")
    assert second.wait() == 0, second.stderr
    assert "a stopped worker had kept" in second.stderr
    finish_writing(writer, db, redis_server.url, site)
    assert not list((tmp_path / "spool").glob("*.spool"))


def _valid(run_id: str, kind: str, **data) -> str:
    from archiver.distributed import messages

    return messages.encode(messages.Origin(run=run_id, job="urls", worker="host:1:ab"), kind, **data)


POISON = {
    "an article without requested_url": lambda good: {**good, "requested_url": None},
    "a record that is a list": lambda good: {**good, "record": ["title", "body"]},
    "raw that is not base64": lambda good: {**good, "raw": "@@not base64@@"},
    "raw that is not zlib": lambda good: {**good, "raw": "bm90IHpsaWI=", "compression": "zlib"},
    "a status that is text": lambda good: {**good, "status": "200 OK"},
    "an unknown compression": lambda good: {**good, "compression": "lzma"},
}


@needs_redis
def test_poison_items_are_quarantined_and_the_items_behind_them_written(redis_server, site, tmp_path):
    env = env_for(redis_server.url)
    db = tmp_path / "archive.db"
    client = redis_client(redis_server.url)
    urls = [f"{site.url}/news/story-{i}.html" for i in (1, 2, 3)]
    run_id = run("enqueue", *urls, "-q", cwd=tmp_path, env=env).stdout.strip()
    worker = archiver(*worker_args(tmp_path, "--run", run_id), cwd=tmp_path, env=env, name="worker")
    assert worker.wait() == 0, worker.stderr
    queued = client.lrange("archiver:items", 0, -1)[::-1]  # oldest first
    assert [json.loads(m)["kind"] for m in queued] == ["opened", "article", "article", "article", "closed"]
    good = json.loads(queued[1])
    bad = {name: json.dumps(make(good)) for name, make in POISON.items()}
    bad.update({
        "an outcome without url": _valid(run_id, "outcome", outcome="failed", reason="x"),
        "a count that is not a number": _valid(run_id, "not_due", count="many"),
        "a list": json.dumps([1, 2]),
    })
    # Poison before, between and after the good items; two of them during recovery.
    client.delete("archiver:items")
    stream = [queued[0], *list(bad.values())[:4], queued[1], queued[2], *list(bad.values())[4:7], queued[3],
              queued[4]]
    client.lpush("archiver:items", *stream)
    client.lpush("archiver:items:processing", list(bad.values())[7], list(bad.values())[8])
    writer = run("ingest", "--db", str(db), "--idle-timeout", "1", cwd=tmp_path, env=env)
    assert writer.returncode == 0, writer.stderr
    assert "Traceback" not in writer.stderr
    assert count(db, "SELECT COUNT(*) FROM articles") == 3
    assert db_rows(db, "SELECT status, archived FROM runs") == [("finished", 3)]
    rejected = [json.loads(e) for e in client.lrange("archiver:items:rejected", 0, -1)]
    assert sorted(r["message"] for r in rejected) == sorted(bad.values())
    assert all(r["reason"] and r["at"] for r in rejected)
    reasons = " | ".join(r["reason"] for r in rejected)
    for expected in ("'requested_url'", "'record' must be an object", "not valid base64", "not valid zlib",
                     "'status' must be an integer", "unknown compression", "'url'", "'count'", "not an archiver"):
        assert expected in reasons
    assert drained(redis_server.url)
    # Run again: nothing is left to trip over.
    again = run("ingest", "--db", str(db), "--idle-timeout", "0.5", cwd=tmp_path, env=env)
    assert again.returncode == 0 and count(db, "SELECT COUNT(*) FROM articles") == 3


@needs_redis
def test_a_one_machine_crawl_is_refused_while_ingest_writes(redis_server, tmp_path):
    env = env_for(redis_server.url)
    writer = archiver("ingest", "--db", "a.db", cwd=tmp_path, env=env, name="ingest")
    wait_until(lambda: redis_client(redis_server.url).exists("archiver:ingest:lock"), 30, "the writer")
    crawl = run("crawl", "http://127.0.0.1:1/a.html", "--db", "a.db", cwd=tmp_path, env=env)
    writer.popen.terminate()
    assert writer.wait() == 0
    assert crawl.returncode == 1 and "another archiver ingest (pid" in crawl.stderr, crawl.stderr


@needs_redis
def test_a_page_neither_redis_nor_the_spool_takes_is_fetched_again(redis_server, site, tmp_path):
    env = env_for(redis_server.url)
    db = tmp_path / "archive.db"
    client = redis_client(redis_server.url)
    run_id = enqueue_site(site, tmp_path, env)
    # A spool of 2 KB: not even one page fits.
    first = archiver(*worker_args(tmp_path, "--run", run_id, "-s", "ARCHIVER_SPOOL_MAX_MB=0.002"), cwd=tmp_path,
                     env=env, name="worker1")
    wait_until(lambda: client.llen("archiver:items") >= 5, 60, "the first items")
    redis_server.stop()
    assert first.wait() == 1, first.stderr
    assert "not kept (Redis refuses writes and the spool" in first.stderr and "will be fetched again" in first.stderr
    assert "[follow] redis_unavailable" in first.stderr
    redis_server.__enter__()  # back, with its data

    writer = archiver("ingest", "--db", str(db), cwd=tmp_path, env=env, name="ingest")
    second = archiver(*worker_args(tmp_path, "--run", run_id), cwd=tmp_path, env=env, name="worker2")
    assert second.wait() == 0, second.stderr
    finish_writing(writer, db, redis_server.url, site)


def test_every_kind_of_record_field_is_checked_in_messages():
    # A field kind added to the record's spec must get a check, or every message holding
    # it would fail validation in ingest.
    from archiver import record
    from archiver.distributed import messages

    assert set(record.KINDS) <= set(messages._KIND_OK)
    good = {f.name: ("x" if f.kind in ("text", "url") else 1 if f.kind in ("int", "flag") else f.empty())
            for f in record.SPEC}
    messages._check_record(good)


def test_a_raw_page_sent_as_zlib_by_an_older_worker_is_kept_as_sent(tmp_path):
    # Workers now send raw pages as zstd; a message with zlib (an older worker) is still written and read back.
    import zlib

    from archiver.distributed import messages
    from archiver.store import queries, raw, writer
    from archiver.store.schema import connect
    from tests.support.archives import record

    html = b"<html><body><p>" + b"An older worker's page. " * 50 + b"</p></body></html>"
    rec = record(1)
    origin = messages.Origin(run="r1", job="urls", worker="host:1:ab")
    sent = [writer.Fetched(requested_url=rec["url"], record=rec, fetched_at="2024-03-10T12:00:00+00:00", raw=html,
                           raw_packed=zlib.compress(html), packed_as="zlib"),
            writer.Fetched(requested_url=rec["url"] + "?2", record={**record(2)}, fetched_at="2024-03-10T12:00:00+00:00",
                           raw=html)]
    wire = [json.loads(messages.encode_article(origin, page, keep_raw=True)) for page in sent]
    assert [m["compression"] for m in wire] == ["zlib", raw.FORMAT]
    out = writer.ArchiveWriter(tmp_path / "a.db")
    for text in wire:
        out.add_article(messages.to_fetched(messages.decode(json.dumps(text))))
    out.flush()
    out.close()
    db = connect(tmp_path / "a.db")
    stored = [(row["compression"], queries.get_response(db, row["id"])["body"])
              for row in db.query("SELECT id, compression FROM responses ORDER BY id")]
    assert stored == [("zlib", html), (raw.FORMAT, html)]
