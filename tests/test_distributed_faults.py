"""Distributed crawls under faults: a worker killed, Redis restarted or full, poison items.

Real redis-server, real worker and writer processes, a loopback site; page counts
are read from the site's request log and from the archive.
"""

from __future__ import annotations

import json
import time

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


def worker_args(tmp_path, *extra: str) -> list[str]:
    return ["worker", *QUICK, "-s", f"ARCHIVER_SPOOL_DIR={tmp_path / 'spool'}", *extra]


@needs_redis
def test_a_worker_killed_mid_crawl_loses_no_page(redis_server, site, tmp_path):
    env = env_for(redis_server.url)
    db = tmp_path / "archive.db"
    client = redis_client(redis_server.url)
    run_id = run("enqueue", "--follow", site.url + "/", "--depth", "3", "-q", cwd=tmp_path, env=env).stdout.strip()
    writer = archiver("ingest", "--db", str(db), "-s", "ARCHIVER_WORKER_TTL=2", cwd=tmp_path, env=env, name="ingest")
    first = archiver(*worker_args(tmp_path, "--run", run_id), cwd=tmp_path, env=env, name="worker1")
    wait_until(lambda: count(db, "SELECT COUNT(*) FROM articles") >= 5, 60, "the first articles")
    first.kill_tree()
    at_kill = len(pages(site))
    leased = client.hlen(f"archiver:run:{run_id}:follow:leases")
    assert leased, "the killed worker held no request"

    # While its heartbeat lasts, status shows the worker and the URLs it holds.
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
    wait_until(lambda: drained(redis_server.url) and count(
        db, "SELECT COUNT(*) FROM runs WHERE status = 'finished'") == 1, 30, "the writer to finish the run")
    writer.popen.terminate()
    assert writer.wait() == 0, writer.stderr
    every_page_once(db, site)
    # Only what the killed worker held is fetched twice.
    requested = pages(site)
    assert set(requested) == set(site.pages)
    assert len(requested) - len(site.pages) <= leased <= at_kill
    assert db_rows(db, "SELECT status FROM runs") == [("finished",)]
