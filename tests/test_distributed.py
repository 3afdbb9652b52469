"""Distributed crawling with real components: redis-server, worker processes, one SQLite writer."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.store import raw as raw_pages
from tests.conftest import FAST
from tests.support.cluster import (Proc, archiver, count, db_rows, drained, env_for, needs_redis, news_site,
                                   redis_client, run, wait_until)
from tests.support.cluster import redis_server  # noqa: F401 (a fixture)
from tests.support.server import FixtureSite

N_ARTICLES = 45
SECTIONS = 5
# Articles answer slowly, as real sites do, so the crawl lasts long enough for
# both workers to take part and for the writer to be killed in the middle.
ARTICLE_DELAY = 0.3
# Both workers together stay polite: 2 requests at a time each.
WORKER_FAST = [*FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]


def big_site() -> dict:
    """Home, a news index, 5 sections of 9 articles, an About page: 53 pages."""
    return news_site(N_ARTICLES, SECTIONS, ARTICLE_DELAY)


@pytest.fixture
def bigsite():
    with FixtureSite(big_site()) as s:
        yield s


def all_paths() -> set[str]:
    return set(big_site())


@needs_redis
def test_two_workers_one_writer_killed_and_restarted_then_a_second_run(redis_server, bigsite, tmp_path):
    env = env_for(redis_server.url)
    db = tmp_path / "archive.db"

    enqueued = run("enqueue", "--follow", bigsite.url + "/", "--depth", "3", cwd=tmp_path, env=env)
    assert enqueued.returncode == 0, enqueued.stderr
    run1 = enqueued.stdout.strip()
    assert run1 and "seed(s) queued" in enqueued.stderr

    workers = [archiver("worker", "--redis", redis_server.url, "--run", run1, "--idle-timeout", "2", *WORKER_FAST,
                        cwd=tmp_path, env=env, name=f"worker{i}") for i in (1, 2)]
    writer = archiver("ingest", "--db", str(db), "--batch", "2", cwd=tmp_path, env=env, name="writer1")
    # Kill the writer in the middle: some articles written, most still to come.
    wait_until(lambda: count(db, "SELECT COUNT(*) FROM articles") >= 3, 60, "the first articles")
    writer.popen.send_signal(signal.SIGKILL)
    writer.wait()
    at_kill = count(db, "SELECT COUNT(*) FROM articles")
    assert at_kill < N_ARTICLES, "the crawl ended before the writer could be killed mid-ingest"

    writer = archiver("ingest", "--db", str(db), cwd=tmp_path, env=env, name="writer2")
    for worker in workers:
        assert worker.wait() == 0, worker.stderr
        assert "Traceback" not in worker.stderr and "Deprecat" not in worker.stderr, worker.stderr
    pages_by_worker = [int(w.stderr.split(" pages fetched")[0].rsplit(" ", 1)[-1]) for w in workers]
    assert all(n > 0 for n in pages_by_worker), f"a worker fetched nothing: {pages_by_worker}"

    wait_until(lambda: drained(redis_server.url) and count(
        db, "SELECT COUNT(*) FROM runs WHERE status = 'finished'") == 1, 30, "the writer to catch up")
    writer.popen.send_signal(signal.SIGTERM)
    assert writer.wait() == 0, writer.stderr
    assert f"run 1 finished: {N_ARTICLES} archived" in writer.stderr, writer.stderr

    # Every page fetched exactly once overall (robots.txt: once per worker).
    requested = [p for p in bigsite.paths_requested() if p != "/robots.txt"]
    assert sorted(requested) == sorted(all_paths())
    assert bigsite.paths_requested().count("/robots.txt") <= 2
    # Every article in SQLite exactly once; every page's outcome recorded once.
    assert count(db, "SELECT COUNT(*) FROM articles") == N_ARTICLES
    assert count(db, "SELECT COUNT(DISTINCT url) FROM articles") == N_ARTICLES
    assert count(db, "SELECT COUNT(*) FROM run_pages") == len(all_paths())
    assert count(db, "SELECT COUNT(DISTINCT url) FROM run_pages") == len(all_paths())
    run_row = db_rows(db, "SELECT status, mode, archived, skipped, failed, args FROM runs")[0]
    assert run_row[:5] == ("finished", "follow", N_ARTICLES, len(all_paths()) - N_ARTICLES, 0)
    assert json.loads(run_row[5]) == {"redis_run": run1, "job": "follow"}

    # The next scheduled run has keys of its own: its listings are fetched again, and
    # the articles go by the revisit rules, as on one machine (none is due yet, so
    # the pages only articles link to are not found either).
    before = len(bigsite.requests)
    enqueued = run("enqueue", "--follow", bigsite.url + "/", "--depth", "3", "-q", cwd=tmp_path, env=env)
    run2 = enqueued.stdout.strip()
    assert run2 and run2 != run1
    scrapy = Path(sys.executable).with_name("scrapy")
    workers = [
        # The default run is the one the last enqueue started.
        archiver("worker", "--idle-timeout", "2", *WORKER_FAST, cwd=tmp_path, env=env, name="worker3"),
        # What Scrapyd runs on a worker machine.
        Proc([str(scrapy), "crawl", "worker", "-s", "ARCHIVER_IDLE_TIMEOUT=2", "-s", "LOG_LEVEL=WARNING", *WORKER_FAST],
             tmp_path, {**env, "SCRAPY_SETTINGS_MODULE": "archiver.settings"}, "worker4"),
    ]
    for worker in workers:
        assert worker.wait() == 0, worker.stderr
    writer = archiver("ingest", "--db", str(db), "--idle-timeout", "1", cwd=tmp_path, env=env, name="writer3")
    assert writer.wait() == 0, writer.stderr
    again = [p for p in bigsite.paths_requested()[before:] if p != "/robots.txt"]
    assert sorted(again) == ["/", *(f"/section-{k}/" for k in range(1, SECTIONS + 1))]
    assert count(db, "SELECT COUNT(*) FROM articles") == N_ARTICLES
    rows = db_rows(db, "SELECT status, archived, unchanged, not_due, json_extract(args, '$.redis_run') "
                       "FROM runs ORDER BY id")
    assert rows[1] == ("finished", 0, 0, N_ARTICLES, run2)
    assert drained(redis_server.url)


@needs_redis
def test_ingest_recovers_taken_items_and_never_writes_one_twice(redis_server, bigsite, tmp_path):
    env = env_for(redis_server.url)
    db = tmp_path / "archive.db"
    urls = [f"{bigsite.url}/news/story-{i}.html" for i in range(1, 7)]
    run_id = run("enqueue", *urls, cwd=tmp_path, env=env).stdout.strip()
    # Seeds pushed twice to one run are fetched once, like any other request.
    assert run("enqueue", "--run", run_id, *urls[:2], cwd=tmp_path, env=env).returncode == 0
    worker = archiver("worker", "--run", run_id, "--idle-timeout", "1", *FAST, cwd=tmp_path, env=env, name="worker")
    assert worker.wait() == 0, worker.stderr
    assert sorted(p for p in bigsite.paths_requested() if p != "/robots.txt") == sorted(u[len(bigsite.url):] for u in urls)
    client = redis_client(redis_server.url)
    queued = client.lrange("archiver:items", 0, -1)[::-1]  # oldest first
    assert [json.loads(m)["kind"] for m in queued] == ["opened", *["article"] * 6, "closed"]
    # Raw pages travel compressed, as the worker has them (base64 in JSON).
    articles = [json.loads(m) for m in queued[1:7]]
    assert all(a["raw"] and a["compression"] == raw_pages.FORMAT for a in articles)
    assert all(len(a["raw"]) < a["raw_size"] for a in articles)

    # A writer died after taking three items, before committing them.
    for _ in range(3):
        client.lmove("archiver:items", "archiver:items:processing", "RIGHT", "LEFT")
    first = run("ingest", "--db", str(db), "--idle-timeout", "0.5", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "recovering 3 item(s)" in first.stderr
    assert count(db, "SELECT COUNT(*) FROM articles") == 6
    assert count(db, "SELECT COUNT(*) FROM run_pages") == 6

    # A writer died after committing two items, before removing them from Redis.
    client.lpush("archiver:items:processing", queued[2], queued[3])
    second = run("ingest", "--db", str(db), "--idle-timeout", "0.5", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert "2 already written before a crash" in second.stderr
    assert count(db, "SELECT COUNT(*) FROM articles") == 6
    assert count(db, "SELECT COUNT(*) FROM run_pages") == 6
    assert count(db, "SELECT COUNT(*) FROM article_versions") == 6
    assert db_rows(db, "SELECT status, archived, unchanged FROM runs") == [("finished", 6, 0)]
    assert drained(redis_server.url)

    # Junk on the list is kept aside, not lost and not stored.
    client.lpush("archiver:items", "not json")
    third = run("ingest", "--db", str(db), "--idle-timeout", "0.5", cwd=tmp_path, env=env)
    assert third.returncode == 0
    [kept] = [json.loads(entry) for entry in client.lrange("archiver:items:rejected", 0, -1)]
    assert kept["message"] == "not json" and kept["reason"].startswith("not JSON")


@needs_redis
def test_one_writer_at_a_time(redis_server, tmp_path):
    env = env_for(redis_server.url)
    first = archiver("ingest", "--db", "a.db", cwd=tmp_path, env=env, name="writer1")
    wait_until(lambda: redis_client(redis_server.url).exists("archiver:ingest:lock"), 30, "the first writer")
    second = run("ingest", "--db", "b.db", "--idle-timeout", "1", cwd=tmp_path, env=env)
    first.popen.send_signal(signal.SIGTERM)
    assert first.wait() == 0, first.stderr
    assert second.returncode == 1 and "another archiver ingest" in second.stderr


@needs_redis
def test_enqueue_workers_and_ingest_take_the_prefix_and_ttl_from_settings(redis_server, site, tmp_path):
    env = env_for(redis_server.url)
    team = ["-s", "ARCHIVER_REDIS_PREFIX=team2"]
    urls = [f"{site.url}/news/story-{i}.html" for i in (1, 2)]
    enqueued = run("enqueue", *urls, *team, "-s", "ARCHIVER_RUN_TTL=1h", cwd=tmp_path, env=env)
    assert enqueued.returncode == 0, enqueued.stderr
    run_id = enqueued.stdout.strip()
    client = redis_client(redis_server.url)
    assert client.get("team2:current-run") == run_id
    assert 3000 < client.ttl(f"team2:run:{run_id}:urls:seeds") <= 3600
    assert client.keys("archiver:*") == []
    # A worker with another prefix finds no run; one with the run's prefix does its work.
    elsewhere = run("worker", "--idle-timeout", "1", *FAST, cwd=tmp_path, env=env)
    assert elsewhere.returncode == 0 and "no run in Redis yet" in elsewhere.stderr
    worker = run("worker", "--idle-timeout", "1", *team, *FAST, cwd=tmp_path, env=env, timeout=120)
    assert worker.returncode == 0, worker.stderr
    assert "[urls] finished" in worker.stderr
    writer = run("ingest", "--db", "a.db", "--idle-timeout", "1", *team, cwd=tmp_path, env=env)
    assert writer.returncode == 0, writer.stderr
    assert count(tmp_path / "a.db", "SELECT COUNT(*) FROM articles") == 2
    assert client.llen("team2:items") == 0 and client.keys("archiver:*") == []
    bad_ttl = run("enqueue", *urls, "-s", "ARCHIVER_RUN_TTL=soon", cwd=tmp_path, env=env)
    assert bad_ttl.returncode == 2 and "ARCHIVER_RUN_TTL" in bad_ttl.stderr and "Traceback" not in bad_ttl.stderr


def test_an_exported_redis_url_leaves_a_one_machine_crawl_alone(tmp_path, site):
    env = env_for("redis://127.0.0.1:1/0")  # nothing listens there
    result = run("crawl", site.url + "/news/story-1.html", "--db", "a.db", *FAST, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert count(tmp_path / "a.db", "SELECT COUNT(*) FROM articles") == 1
    # The old way to start a worker says where it went.
    old = run("crawl", "--redis", "redis://127.0.0.1:1/0", cwd=tmp_path, env=env)
    assert old.returncode == 2 and "archiver worker" in old.stderr
    bad = run("enqueue", "ftp://example.com/x", cwd=tmp_path, env=env)
    assert bad.returncode == 1 and "unsupported URL scheme" in bad.stderr


def test_single_machine_crawl_never_imports_redis(site, tmp_path):
    code = f"""
import sys
sys.modules["redis"] = None  # any import of it now fails
sys.modules["scrapy_redis"] = None
from archiver.cli import main
sys.argv = ["archiver", "crawl", "{site.url}/news/story-1.html", "--db", "a.db", *{FAST!r}]
try:
    main()
except SystemExit as exc:
    status = exc.code
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("redis", "scrapy_redis") and sys.modules[m])
print("status", status, "loaded", loaded)
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env_for(), capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.strip() == "status 0 loaded []", result.stderr
    assert count(tmp_path / "a.db", "SELECT COUNT(*) FROM articles") == 1
