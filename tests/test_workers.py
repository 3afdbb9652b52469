"""The mechanism that makes crawls fast: extraction runs in worker processes."""

from __future__ import annotations

import asyncio
import gc
import os
import re

from archiver.store import raw
from archiver.extract import language
from archiver import collector
from archiver.workers import WARM_DATES_PAGES, ExtractionPool
from tests.conftest import FAST
from tests.support.pages import article_html, html_page
from tests.support.server import FixtureSite


def test_pool_extracts_in_other_processes():
    async def run():
        pool = ExtractionPool(2, inline_first=0)
        pool.start()
        pool._warming.join(60)
        html = article_html(1).encode()
        results = await asyncio.gather(*(pool.extract(body=html, url=f"http://x.example/{i}") for i in range(6)))
        pool.close()
        return pool, html, results

    pool, html, results = asyncio.run(run())
    assert all(record["title"] == "Story number 1 about the city budget" for record, _ in results)
    assert all(raw.unpack(packed, raw.FORMAT) == html for _, packed in results)
    assert pool.pooled == 6 and pool.pids and os.getpid() not in pool.pids


def _worker_state():
    return gc.get_freeze_count(), gc.get_threshold(), language._identifier.cache_info().currsize


def test_workers_fork_from_a_warmed_process():
    # The forkserver loads the language model and the extraction tables once and
    # freezes them; a worker starts with them loaded and a collector that leaves them be.
    pool = ExtractionPool(1, inline_first=0)
    pool.start()
    pool._warming.join(60)
    try:
        frozen, threshold, models = pool._pool().submit(_worker_state).result(60)
    finally:
        pool.close()
    assert frozen > 0
    assert threshold == collector.THRESHOLD
    assert models == 1


def test_small_runs_do_not_start_workers():
    async def run():
        pool = ExtractionPool(2, inline_first=4)
        for i in range(3):
            await pool.extract(body=article_html(i).encode(), url=f"http://x.example/{i}")
        return pool

    pool = asyncio.run(run())
    assert pool._warming is None and pool.pids == {os.getpid()}


def test_pages_wait_for_workers_that_are_starting():
    # Once the workers are starting, even the first pages go to them: extracting
    # them here would load the extraction code's models in this process too.
    async def run():
        pool = ExtractionPool(2, inline_first=4)
        pool.start()
        for i in range(2):
            await pool.extract(body=article_html(i).encode(), url=f"http://x.example/{i}")
        pool.close()
        return pool

    pool = asyncio.run(run())
    assert pool.pooled == 2 and os.getpid() not in pool.pids


def test_crawl_uses_the_worker_pool(run_cli, tmp_path):
    pages = {f"/news/{i}.html": html_page(article_html(i)) for i in range(120)}
    with FixtureSite(pages) as site:
        urls = "\n".join(site.url + path for path in pages)
        result = run_cli("crawl", "-i", "-", "--db", "a.db", "-v", "-s", "ARCHIVER_EXTRACT_WORKERS=2", *FAST,
                         input=urls)
    assert result.returncode == 0, result.stderr[-2000:]
    match = re.search(r"extraction: (\d+) pages, (\d+) of them in (\d+) worker processes", result.stderr)
    assert match, result.stderr[-2000:]
    pages_done, in_workers, processes = map(int, match.groups())
    assert pages_done == 120
    assert in_workers > 0 and processes >= 1
    # a long run: its forkserver loads dateparser's locales for every worker
    assert "(dateparser's locales preloaded)" in result.stderr


_LOCALES = """
from archiver.workers import ExtractionPool
def locales():
    from dateparser.languages.loader import default_loader
    return len(default_loader._loaded_locales)
if __name__ == "__main__":
    pool = ExtractionPool(2, inline_first=0)
    pool.start(expected_pages={pages})
    pool._warming.join(60)
    print(pool.preloads_dates, pool._pool().submit(locales).result(60))
    pool.close()
"""


def test_a_long_runs_workers_fork_with_dateparsers_locales_loaded(tmp_path):
    # (in a process of its own: a process starts its forkserver once)
    import subprocess
    import sys

    outputs = {}
    for pages in (WARM_DATES_PAGES - 1, WARM_DATES_PAGES):
        script = tmp_path / f"locales_{pages}.py"
        script.write_text(_LOCALES.format(pages=pages))
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        outputs[pages] = result.stdout.split()
    short, long = outputs.values()
    assert short[0] == "False" and int(short[1]) < 10
    assert long[0] == "True" and int(long[1]) > 100


_EARLY = """
import os
from multiprocessing import forkserver
from archiver import workers
from archiver.workers import ExtractionPool, start_forkserver
if __name__ == "__main__":
    start_forkserver(2, {pages})
    started = forkserver._forkserver._forkserver_pid
    pool = ExtractionPool(2, inline_first=0)
    pool.start()  # as a crawl does at its fifth page, knowing no more of the run
    pool._warming.join(60)
    parent = pool._pool().submit(os.getppid).result(60)
    print(started is not None, parent == started, pool.preloads_dates, workers._forkserver_preload is not None)
    pool.close()
"""


def test_a_url_lists_forkserver_starts_before_the_crawl_and_the_pool_forks_from_it(tmp_path):
    # (in a process of its own: a process starts its forkserver once)
    import subprocess
    import sys

    outputs = []
    for pages in (ExtractionPool.INLINE_FIRST, WARM_DATES_PAGES):
        script = tmp_path / f"early_{pages}.py"
        script.write_text(_EARLY.format(pages=pages))
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        outputs.append(result.stdout.split())
    few, many = outputs
    # a run of a few pages may extract them all here: no forkserver until its pool starts
    assert few == ["False", "False", "False", "True"]
    # a long list: started at once, with dateparser's locales, and the workers fork from it
    assert many == ["True", "True", "True", "True"]


def test_workers_start_once_more_article_pages_download_than_are_extracted_in_the_crawl():
    from scrapy import Request, signals
    from scrapy.utils.test import get_crawler

    from archiver.revisits import ARTICLE_META
    from archiver.spiders.article import ArticleSpider

    crawler = get_crawler(ArticleSpider, {"ARCHIVER_EXTRACT_WORKERS": 2})
    spider = ArticleSpider.from_crawler(crawler, urls=[f"http://x.example/{i}" for i in range(10)])

    def reach_downloader(**meta):
        crawler.signals.send_catch_log(signals.request_reached_downloader, request=Request("http://x.example/",
                                                                                          meta=meta), spider=spider)

    reach_downloader()  # robots.txt, a feed: not a page to extract
    for _ in range(spider.pool.inline_first):
        reach_downloader(**{ARTICLE_META: True})
    assert spider.pool._warming is None
    reach_downloader(**{ARTICLE_META: True})
    assert spider.pool._warming is not None
    # ten pages ahead: too few to load dateparser's locales for every worker
    assert "archiver.worker_warmup_dates" not in spider.pool._preload
    spider.pool.close()


def test_a_crawl_process_whose_pages_go_to_workers_never_loads_the_extraction_code():
    import subprocess
    import sys

    code = ("import sys, archiver.cli, archiver.crawl, archiver.pipelines, archiver.middlewares, archiver.workers, "
            "archiver.spiders.article, archiver.spiders.site, archiver.spiders.feed, archiver.spiders.sitemap\n"
            "print([m for m in ('archiver.extract.article', 'trafilatura', 'htmldate', 'py3langid') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
    # and the package still names its functions, loading them when asked
    from archiver import extract
    from archiver.extract import article

    assert extract.extract_article is article.extract_article and extract.RULES_VERSION == article.RULES_VERSION


_EARLY_CLI = """
import sys
from multiprocessing import forkserver
from archiver.cli.crawl_cmd import _start_workers_early
if __name__ == "__main__":
    urls = sys.argv[2:]
    _start_workers_early(sys.argv[1], urls, {overrides})
    # started before the crawl imports Scrapy (and, for a new archive, the store)
    print(forkserver._forkserver._forkserver_pid is not None, "scrapy" in sys.modules, "sqlite_utils" in sys.modules)
"""


def test_crawl_starts_the_forkserver_early_only_for_urls_the_archive_does_not_hold(run_cli, tmp_path):
    import subprocess
    import sys

    pages = {f"/news/{i}.html": html_page(article_html(i)) for i in range(12)}
    with FixtureSite(pages) as site:
        urls = [site.url + path for path in pages]
        result = run_cli("crawl", *urls[:6], "--db", "a.db", "-s", "ARCHIVER_EXTRACT_WORKERS=0", *FAST)
    assert result.returncode == 0, result.stderr[-2000:]

    def started(listed, workers="2", db="a.db"):
        script = tmp_path / "early_cli.py"
        script.write_text(_EARLY_CLI.format(overrides={} if workers is None else {"ARCHIVER_EXTRACT_WORKERS": workers}))
        run = subprocess.run([sys.executable, str(script), str(tmp_path / db), *listed],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
        forked, scrapy_loaded, store_loaded = run.stdout.split()
        assert scrapy_loaded == "False"
        assert store_loaded == "False" or (tmp_path / db).exists()  # a new archive: not even imported
        return forked == "True"

    assert started(urls[6:])  # six pages to fetch
    assert started(urls[6:], workers=None)  # the settings' default: one worker per core
    assert not started(urls[:6])  # all archived: maybe none is due, and the pool may never start
    assert not started(urls[:6] + urls[6:9])  # three new: a few pages are extracted in the crawl process
    assert not started(urls[6:], workers="0")
    assert not started(urls[6:], workers="many")  # the settings' check reports it
    assert started(urls[6:], db="new.db") and not (tmp_path / "new.db").exists()  # made by the crawl, not here
    (tmp_path / "junk.db").write_bytes(b"not a database" * 100)
    assert not started(urls[6:], db="junk.db")  # the archive's check reports it
