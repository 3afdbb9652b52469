"""Distributed runs over time: revisit rules from the archive, scheduling, runs that end honestly.

Real redis-server, real worker and writer processes, a loopback site; page counts
are read from the site's request log and from the archive.
"""

from __future__ import annotations

import json
import signal
import threading
import time

import pytest

from tests.conftest import FAST
from tests.support.cluster import (archiver, count, db_rows, drained, env_for, listing, needs_redis, news_site,
                                   redis_client, run, wait_until)
from tests.support.cluster import redis_server  # noqa: F401 (a fixture)
from tests.support.pages import html_page
from tests.support.server import FixtureSite, Page, send_page

QUICK = [*FAST, "-s", "ARCHIVER_JOB_GRACE=1", "-s", "ARCHIVER_WORKER_TTL=2"]


def worker(tmp_path, *extra: str) -> list[str]:
    return ["worker", *QUICK, "-s", f"ARCHIVER_SPOOL_DIR={tmp_path / 'spool'}", *extra]


def finished_runs(db) -> int:
    return count(db, "SELECT COUNT(*) FROM runs WHERE status = 'finished'")


@needs_redis
def test_a_second_run_sends_conditional_requests_only_for_pages_due(redis_server, tmp_path):
    env = env_for(redis_server.url)
    db = tmp_path / "archive.db"
    with FixtureSite(news_site(60, 4, 0, etags=True)) as site:
        stories = [p for p in site.pages if "/story-" in p]
        first = run("enqueue", "--follow", site.url + "/", "--depth", "2", "-q", cwd=tmp_path, env=env).stdout.strip()
        assert run(*worker(tmp_path, "--run", first), cwd=tmp_path, env=env, timeout=120).returncode == 0
        assert run("ingest", "--db", str(db), "--idle-timeout", "1", cwd=tmp_path, env=env).returncode == 0
        assert count(db, "SELECT COUNT(*) FROM articles") == 60

        # Ten articles were last fetched two days ago: due again (ARCHIVER_REVISIT_AFTER is 1d).
        due = sorted(stories)[:10]
        conn = __import__("sqlite3").connect(db)
        with conn:
            conn.executemany("UPDATE fetches SET fetched_at = datetime('now', '-2 days') WHERE url = ?",
                             [(site.url + p,) for p in due])
        conn.close()
        before = len(site.requests)
        # The writer publishes the archive's fetch states when it starts; workers read them.
        writer = archiver("ingest", "--db", str(db), cwd=tmp_path, env=env, name="ingest")
        wait_until(lambda: redis_client(redis_server.url).exists("archiver:fetch-states:published"), 30,
                   "the fetch states")
        second = run("enqueue", "--follow", site.url + "/", "--depth", "2", "-q", cwd=tmp_path, env=env).stdout.strip()
        assert run(*worker(tmp_path, "--run", second), cwd=tmp_path, env=env, timeout=120).returncode == 0
        wait_until(lambda: drained(redis_server.url) and finished_runs(db) == 2, 30, "the second run")
        writer.popen.terminate()
        assert writer.wait() == 0, writer.stderr

        again = [(path, headers) for _, path, headers in site.requests[before:] if path != "/robots.txt"]
        fetched_stories = sorted(p for p, _ in again if "/story-" in p)
        assert fetched_stories == due
        # Each due article asked with its ETag; listings fetched as always; nothing else.
        assert all(h.get("If-None-Match") == f'"v1-{p.split("-")[-1].split(".")[0]}"' for p, h in again
                   if "/story-" in p)
        assert sorted(p for p, _ in again if "/story-" not in p) == ["/", *(f"/section-{k}/" for k in range(1, 5))]
        assert db_rows(db, "SELECT archived, unchanged, not_due FROM runs ORDER BY id DESC LIMIT 1") == [(0, 10, 50)]


@needs_redis
def test_scheduling_open_runs_new_runs_and_an_honest_end(redis_server, site, tmp_path):
    env = env_for(redis_server.url)
    db = tmp_path / "archive.db"
    client = redis_client(redis_server.url)
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[sources]]\nname = "gazette"\nurls = ["{site.url}/news/story-1.html"]\n')
    # Two cron ticks before the first run is worked on: one run, not two.
    first = run("enqueue", "--sources", str(sources), "--due", "--db", str(db), "-q", cwd=tmp_path, env=env)
    again = run("enqueue", "--sources", str(sources), "--due", "--db", str(db), cwd=tmp_path, env=env)
    assert first.returncode == 0 and again.returncode == 0, again.stderr
    assert f"source gazette: run {first.stdout.strip()} is still open" in again.stderr
    assert client.zcard("archiver:runs") == 1
    # A second run of other URLs: a worker without --run works on both.
    other = run("enqueue", f"{site.url}/news/story-2.html", "-q", cwd=tmp_path, env=env).stdout.strip()
    writer = archiver("ingest", "--db", str(db), cwd=tmp_path, env=env, name="ingest")
    busy = archiver(*worker(tmp_path), cwd=tmp_path, env=env, name="worker")  # no --idle-timeout: stays
    wait_until(lambda: finished_runs(db) == 2, 60, "both runs")
    # Enqueued while the worker waits: taken up without a restart.
    late = run("enqueue", f"{site.url}/news/story-3.html", "-q", cwd=tmp_path, env=env).stdout.strip()
    wait_until(lambda: finished_runs(db) == 3, 60, "the run enqueued later")
    # Stopped once all is done: nothing is recorded as interrupted.
    busy.popen.send_signal(signal.SIGTERM)
    busy.wait()
    assert "Traceback" not in busy.stderr, busy.stderr
    wait_until(lambda: drained(redis_server.url), 30, "the writer")
    writer.popen.terminate()
    assert writer.wait() == 0
    rows = db_rows(db, "SELECT status, archived, json_extract(args, '$.redis_run') FROM runs ORDER BY id")
    assert rows == [("finished", 1, first.stdout.strip()), ("finished", 1, other), ("finished", 1, late)]
    assert sorted(p for p in site.paths_requested() if p != "/robots.txt") == [
        f"/news/story-{i}.html" for i in (1, 2, 3)]
    # Once its run is done, the source is due again by its own schedule, not blocked.
    status = json.loads(run("status", "--json", cwd=tmp_path, env=env).stdout)
    assert status["runs"] == [] and status["writer"]["items_waiting"] == 0


@pytest.fixture
def site():
    with FixtureSite(news_site(6, 2, 0)) as s:
        yield s


@needs_redis
def test_two_workers_keep_a_site_within_its_delay_and_concurrency(redis_server, tmp_path):
    env = env_for(redis_server.url)
    starts: list[float] = []
    in_flight = [0, 0]  # now, most at once
    lock = threading.Lock()

    def timed(page):
        def handler(request):
            with lock:
                starts.append(time.monotonic())
                in_flight[0] += 1
                in_flight[1] = max(in_flight)
            time.sleep(ANSWER_SECONDS)
            send_page(request, page)
            with lock:
                in_flight[0] -= 1

        return handler

    pages = news_site(40, 2, 0)
    # A page that fails is retried: retries must not keep the site's places taken.
    pages["/"] = html_page(listing("Home", ["/section-1/", "/section-2/", "/flaky.html"]))
    pages["/flaky.html"] = Page(b"busy", status=503)
    pages = {path: timed(page) for path, page in pages.items()}
    with FixtureSite(pages) as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(f'[[sources]]\nname = "gazette"\nfollow = ["{site.url}/"]\ndepth = 3\n'
                           f"delay = {DELAY}\nconcurrency = 2\n")
        assert run("enqueue", "--sources", str(sources), "-q", cwd=tmp_path, env=env).returncode == 0
        # The source's own delay and concurrency: no FAST here.
        polite = ["worker", "--idle-timeout", "1", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "ARCHIVER_JOB_GRACE=1",
                  "-s", f"ARCHIVER_SPOOL_DIR={tmp_path / 'spool'}"]
        workers = [archiver(*polite, cwd=tmp_path, env=env, name=f"worker{i}") for i in (1, 2)]
        for w in workers:
            assert w.wait() == 0, w.stderr
        assert all(int(w.stderr.split(" pages fetched")[0].rsplit(" ", 1)[-1]) > 0 for w in workers)
    assert len(starts) == len(pages) + 2  # two retries of the page that fails
    # Both workers together: at most one request per DELAY seconds, two at a time, as one machine.
    rate = (len(starts) - 1) / (max(starts) - min(starts))
    assert rate <= 1.1 / DELAY, f"{rate:.2f} requests/s"
    assert in_flight[1] <= 2


DELAY = 0.25
# Pages answer quickly, so each worker on its own could ask faster than the site's delay allows.
ANSWER_SECONDS = 0.1
