"""The CLI's promises, as a new user meets them: quiet cron runs, usage errors that say
what is wrong in one line, "not due" counted as such, Scrapy's feed exports, the
distributed extra named when missing, and no tracebacks for huge numbers (issue 13,
cases 18, 20-24)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.lock import CrawlLock
from tests.conftest import FAST, archiver_cmd
from tests.support.archives import record, write_archive
from tests.support.redis_server import RedisServer

HUGE = "1" + "0" * 30


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Error")]


def write_sources(path: Path, base: str, *stories: int) -> None:
    urls = ", ".join(f'"{base}/news/story-{i}.html"' for i in stories)
    path.write_text(f'[[sources]]\nname = "gazette"\nurls = [{urls}]\ninterval = "1s"\n')


# --- case 18: -q prints nothing when nothing failed ---------------------------------

def test_quiet_cron_runs_print_nothing_unless_something_failed(site, run_cli, tmp_path):
    write_sources(tmp_path / "sources.toml", site.url, 1, 2)
    cron = ["crawl", "--sources", "sources.toml", "--due", "--db", "a.db", "-q", *FAST]
    first = run_cli(*cron)
    assert (first.returncode, first.stdout, first.stderr) == (0, "", "")
    # Due again or not (interval 1s), its articles are not due for a revisit: silence again.
    again = run_cli(*cron)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")

    # An overlapping run from cron: quiet, status 0.
    with CrawlLock(tmp_path / "a.db"):
        overlap = run_cli(*cron)
    assert (overlap.returncode, overlap.stdout, overlap.stderr) == (0, "", "")

    # Something failed: the summary and the failure, nothing about the pages that went well.
    write_sources(tmp_path / "sources.toml", site.url, 1, 404)
    failed = run_cli("crawl", "--sources", "sources.toml", "--db", "a.db", "-q", "--revisit-after", "0", *FAST)
    assert failed.returncode == 1
    lines = failed.stderr.splitlines()
    assert len(lines) == 2, failed.stderr
    assert lines[0].startswith("run ") and "1 failed" in lines[0]
    assert lines[1] == f"  failed: {site.url}/news/story-404.html: HTTP 404 Not Found"


def test_an_overlapping_run_says_so_without_q(site, run_cli, tmp_path):
    write_sources(tmp_path / "sources.toml", site.url, 1)
    with CrawlLock(tmp_path / "a.db"):
        due = run_cli("crawl", "--sources", "sources.toml", "--due", "--db", "a.db", *FAST)
        adhoc = run_cli("crawl", site.url + "/news/story-1.html", "--db", "a.db", "-q", *FAST)
    assert due.returncode == 0 and "another archiver crawl" in due.stderr
    assert adhoc.returncode == 1 and "another archiver crawl" in adhoc.stderr


# --- case 20: options that do not go together are usage errors -----------------------

USAGE_ERRORS = {
    "two modes": (["--follow", "--feed", "URL"], "choose one of --follow, --feed and --sitemap"),
    "--depth without --follow": (["--depth", "3", "URL"], "--depth goes with --follow"),
    "--allow with --feed": (["--feed", "--allow", "/news/", "URL"], "--allow goes with --follow"),
    "--deny with --sitemap": (["--sitemap", "--deny", "/tag/", "URL"], "--deny goes with --follow"),
    "--max-pages with article URLs": (["--max-pages", "5", "URL"], "--max-pages bounds the pages a crawl finds"),
    "--depth with --sources": (["--sources", "s.toml", "--depth", "1"], "--depth does not go with --sources"),
    "a timeout that is no number": (["-s", "DOWNLOAD_TIMEOUT=abc", "URL"], "DOWNLOAD_TIMEOUT=abc: not a number"),
    "a huge --revisit-after": (["--revisit-after", "99999999999999999999d", "URL"], "duration out of range"),
}


@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_usage_errors_exit_2_with_one_error_line(case, site, run_cli, tmp_path):
    args, message = USAGE_ERRORS[case]
    write_sources(tmp_path / "s.toml", site.url, 1)
    args = [site.url + "/news/story-1.html" if a == "URL" else a for a in args]
    result = run_cli("crawl", *args, "--db", "a.db", *FAST)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(error_lines(result.stderr)) == 1 and message in error_lines(result.stderr)[0], result.stderr
    assert site.paths_requested() == []
    assert not (tmp_path / "a.db").exists()  # and no archive made


# What -s values Scrapy (or archiver) could not use; the CLI turns each into the usage error above.
BAD_SETTINGS = {
    "CONCURRENT_REQUESTS=2.5": "not a whole number",
    "CONCURRENT_REQUESTS_PER_DOMAIN=0": "must be 1 or more",
    "DOWNLOAD_TIMEOUT=-5": "DOWNLOAD_TIMEOUT=-5: must be 0 or more",
    "DOWNLOAD_DELAY=inf": "not a finite number",
    "ROBOTSTXT_OBEY=maybe": "ROBOTSTXT_OBEY=maybe: give 1 or 0",
    "LOG_LEVEL=LOUD": "LOG_LEVEL=LOUD: not a log level",
    "ARCHIVER_REVISIT_AFTER=soon": "not a duration",
    "ARCHIVER_EXTRACT_WORKERS=\u00b2": "give a number of processes or auto",
    "DOWNLOAD_SLOTS=[1]": "give a JSON object",
}


@pytest.mark.parametrize("setting", sorted(BAD_SETTINGS))
def test_settings_scrapy_could_not_use_are_refused(setting):
    from archiver.crawl import check_overrides

    name, value = setting.split("=", 1)
    with pytest.raises(ValueError, match=BAD_SETTINGS[setting]):
        check_overrides({name: value})


@pytest.mark.parametrize("setting", ["DOWNLOAD_TIMEOUT=2.5", "DOWNLOAD_DELAY=0", "ROBOTSTXT_OBEY=False",
                                     "DEPTH_PRIORITY=-1", "ARCHIVER_EXTRACT_WORKERS=auto", "MY_OWN_SETTING=x"])
def test_settings_scrapy_can_use_pass(setting):
    from archiver.crawl import check_overrides

    name, value = setting.split("=", 1)
    check_overrides({name: value})


def test_a_crawl_that_cannot_start_says_why_in_one_line(site, run_cli, tmp_path):
    result = run_cli("crawl", site.url + "/news/story-1.html", "--db", "a.db", *FAST,
                     "-s", 'ITEM_PIPELINES={"archiver.pipelines.NoSuchPipeline": 100}')
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert error_lines(result.stderr) == [error_lines(result.stderr)[0]]
    assert error_lines(result.stderr)[0].startswith("Error: the crawl did not start: "), result.stderr
    assert "NoSuchPipeline" in result.stderr


# --- case 21: "not due" is counted as not due ----------------------------------------

def test_urls_not_due_for_a_revisit_count_as_not_due(site, run_cli, tmp_path):
    url = site.url + "/news/story-1.html"
    assert run_cli("crawl", url, "--db", "a.db", *FAST).returncode == 0
    again = run_cli("crawl", url, "--db", "a.db", *FAST)
    assert again.returncode == 0, again.stderr
    assert "0 archived, 0 updated, 0 unchanged, 1 not due, 0 skipped, 0 failed" in again.stderr
    db = sqlite3.connect(tmp_path / "a.db")
    assert db.execute("SELECT unchanged, not_due FROM runs WHERE id = 2").fetchone() == (0, 1)
    assert db.execute("SELECT outcome FROM run_pages WHERE run_id = 2").fetchall() == [("not_due",)]
    listed = run_cli("runs", "2", "--outcome", "not_due", "--db", "a.db")
    assert listed.returncode == 0 and f"not_due   {url}" in listed.stdout, listed.stdout
    runs = run_cli("runs", "--db", "a.db")
    assert "unchanged 0, not due 1" in runs.stdout


# --- case 22: the project is a plain Scrapy project, feed exports included -----------

def test_scrapy_crawl_with_a_feed_export_writes_the_records(site, tmp_path):
    scrapy = Path(sys.executable).with_name("scrapy")
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "archiver.settings"}
    env.pop("ARCHIVER_DB", None)
    url = site.url + "/news/story-2.html"
    result = subprocess.run([str(scrapy), "crawl", "article", "-a", f"urls={url}", "-s", "ARCHIVER_DB=x.db",
                             "-O", "feed.jsonl", *FAST, "-s", "LOG_LEVEL=WARNING"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "not JSON serializable" not in result.stderr
    records = [json.loads(line) for line in (tmp_path / "feed.jsonl").read_text().splitlines()]
    assert len(records) == 1
    assert records[0]["url"] == url and records[0]["title"] == "Story number 2 about the city budget"
    assert records[0]["authors"] == ["Jane Doe"] and records[0]["body"]
    assert sqlite3.connect(tmp_path / "x.db").execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 1


# --- case 23: the distributed commands name the extra they need ----------------------

def test_distributed_commands_without_the_extra_say_what_to_install(tmp_path):
    # A Python where redis and scrapy-redis cannot be imported, as without the extra.
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(
        'import sys\nsys.modules["redis"] = None\nsys.modules["scrapy_redis"] = None\n')
    env = {**os.environ, "PYTHONPATH": str(shim), "SCRAPY_SETTINGS_MODULE": "archiver.settings"}
    env.pop("ARCHIVER_DB", None)
    for args in (["enqueue", "--redis", "redis://127.0.0.1:9/0", "http://a.example/x"],
                 ["worker", "--redis", "redis://127.0.0.1:9/0"],
                 ["ingest", "--redis", "redis://127.0.0.1:9/0", "--db", "a.db"]):
        result = subprocess.run([*archiver_cmd(), *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr and "ModuleNotFoundError" not in result.stderr
        assert error_lines(result.stderr) == [
            f"Error: `archiver {args[0]}` needs the distributed extra (redis, scrapy_redis is not installed): "
            "pip install 'news-archiver[distributed]'"]
    # `scrapy crawl worker` (the plain Scrapy project, as Scrapyd runs it) says the same in one line.
    scrapy = Path(sys.executable).with_name("scrapy")
    worker = subprocess.run([str(scrapy), "crawl", "worker", "-s", "ARCHIVER_REDIS_URL=redis://127.0.0.1:9/0"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert worker.returncode == 2, worker.stderr
    assert "Traceback" not in worker.stderr
    assert "a worker needs the distributed extra (redis, scrapy_redis is not installed)" in worker.stderr
    # `archiver crawl` needs no Redis at all.
    crawl = subprocess.run([*archiver_cmd(), "crawl", "--help"], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=60)
    assert crawl.returncode == 0


def test_scrapy_crawl_worker_that_cannot_start_says_why_in_one_line(tmp_path):
    scrapy = Path(sys.executable).with_name("scrapy")
    env = {k: v for k, v in os.environ.items() if k not in ("ARCHIVER_REDIS_URL", "ARCHIVER_DB")}
    env["SCRAPY_SETTINGS_MODULE"] = "archiver.settings"
    for settings, message in (([], "a worker needs a Redis URL"),
                              (["-s", "ARCHIVER_REDIS_URL=redis://127.0.0.1:9/0"], "cannot use Redis at redis://127.0.0.1:9/0")):
        result = subprocess.run([str(scrapy), "crawl", "worker", *settings], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert message in result.stderr


# --- case 24: huge numbers are not tracebacks ----------------------------------------

@pytest.mark.parametrize(("args", "code", "message"), [
    (["show", HUGE], 1, f"no article '{HUGE}'"),
    (["show", "\u00b2"], 1, "no article"),
    (["history", HUGE], 1, f"no article '{HUGE}'"),
    (["diff", HUGE], 1, f"no article '{HUGE}'"),
    (["show", "1", "--version", HUGE], 2, "is not in the range"),
    (["diff", "1", "--from", HUGE], 2, "is not in the range"),
    (["runs", HUGE], 2, "is not in the range"),
    (["crawl", "--revisit-after", "1" + "0" * 400, "http://127.0.0.1:9/x"], 2, "duration out of range"),
    (["worker", "--redis", "redis://127.0.0.1:9/0", "--idle-timeout", "nan"], 2, "not a number of seconds"),
    (["ingest", "--redis", "redis://127.0.0.1:9/0", "--idle-timeout", "1e400"], 2, "not a number of seconds"),
])
def test_huge_numbers_get_a_message_not_a_traceback(args, code, message, run_cli, tmp_path):
    write_archive(tmp_path / "a.db", [record(1)])
    result = run_cli(*args, *([] if args[0] == "worker" else ["--db", "a.db"]))
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and "OverflowError" not in result.stderr
    assert message in result.stderr, result.stderr


def test_a_huge_revisit_in_a_sources_file_is_refused(run_cli, tmp_path):
    (tmp_path / "s.toml").write_text('[[sources]]\nname = "x"\nurls = ["http://a.example/"]\n'
                                     'revisit = "99999999999d"\n')
    result = run_cli("crawl", "--sources", "s.toml", "--db", "a.db")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Error: s.toml: source 'x': revisit: duration out of range" in result.stderr


@pytest.mark.skipif(not RedisServer.available(), reason="needs redis-server (CI installs it)")
def test_a_quiet_worker_with_no_work_prints_nothing(run_cli, tmp_path):
    with RedisServer(tmp_path / "redis") as redis:
        result = run_cli("worker", "--redis", redis.url, "--idle-timeout", "0.2", "-q")
        loud = run_cli("worker", "--redis", redis.url, "--idle-timeout", "0.2")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert loud.returncode == 0 and "no work" in loud.stderr
