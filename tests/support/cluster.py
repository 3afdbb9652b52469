"""Pieces of the distributed-crawl tests: a slow fixture site, child processes with
their output in files, and reads of Redis and of the archive."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import archiver_cmd
from tests.support.pages import ABOUT_HTML, article_html, html_page
from tests.support.procs import alive, descendants, kill_all
from tests.support.redis_server import RedisServer
from tests.support.server import send_page

needs_redis = pytest.mark.skipif(not RedisServer.available(), reason="redis-server is not installed (apt-get install redis-server)")


def listing(title: str, links: list[str]) -> str:
    items = "".join(f'<li><a href="{href}">Headline for {href}</a></li>' for href in links)
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{title} | Fixture Gazette</title>'
            f'<meta property="og:type" content="website"></head><body><h1>{title}</h1><ul>{items}</ul></body></html>')


def slow(page, delay: float):
    def handler(request):
        time.sleep(delay)
        send_page(request, page)

    return handler


def news_site(articles: int, sections: int, delay: float, *, etags: bool = False) -> dict:
    """Home, a news index, `sections` sections of articles, an About page; articles answer after `delay` s."""
    per = articles // sections
    story = "/news/story-{}.html".format
    pages = {"/": html_page(listing("Home", [f"/section-{k}/" for k in range(1, sections + 1)])),
             "/news/": html_page(listing("News", [f"/section-{k}/" for k in range(1, sections + 1)])),
             "/about.html": html_page(ABOUT_HTML)}
    for k in range(sections):
        pages[f"/section-{k + 1}/"] = html_page(listing(f"Section {k + 1}", [story(k * per + i) for i in range(1, per + 1)]))
    for i in range(1, articles + 1):
        headers = {"ETag": f'"v1-{i}"'} if etags else {}
        page = html_page(article_html(i, related=[story(i % articles + 1)]), **headers)
        pages[story(i)] = slow(page, delay) if delay else page
    return pages


@pytest.fixture
def redis_server(tmp_path):
    if not RedisServer.available():
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with RedisServer(tmp_path / "redis") as server:
        yield server


def env_for(redis_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ARCHIVER_DB", "ARCHIVER_REDIS_URL")}
    if redis_url:
        env["ARCHIVER_REDIS_URL"] = redis_url
    return env


class Proc:
    """A child process with its output in files (no pipe can fill up)."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str], name: str):
        self.out = open(cwd / f"{name}.out", "w+")
        self.err = open(cwd / f"{name}.err", "w+")
        self.popen = subprocess.Popen(args, cwd=cwd, env=env, stdout=self.out, stderr=self.err, text=True)

    def wait(self, timeout: float = 90) -> int:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            raise AssertionError(f"timed out:\n{self.stderr}")

    def kill_tree(self) -> None:
        """SIGKILL this process and the processes it started (its extraction workers), by id."""
        children = descendants(self.popen.pid)
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()
        kill_all(alive(children))

    @property
    def stdout(self) -> str:
        self.out.seek(0)
        return self.out.read()

    @property
    def stderr(self) -> str:
        self.err.seek(0)
        return self.err.read()


def archiver(*args: str, cwd: Path, env: dict[str, str], name: str) -> Proc:
    return Proc([*archiver_cmd(), *args], cwd, env, name)


def run(*args: str, cwd: Path, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*archiver_cmd(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def redis_client(url: str):
    import redis

    return redis.Redis.from_url(url, decode_responses=True)


def db_rows(db: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def count(db: Path, sql: str) -> int:
    try:
        return db_rows(db, sql)[0][0] if db.exists() else 0
    except sqlite3.OperationalError:
        return 0  # the writer has not created the tables yet


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def drained(url: str) -> bool:
    client = redis_client(url)
    return client.llen("archiver:items") == 0 and client.llen("archiver:items:processing") == 0
