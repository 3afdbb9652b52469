"""Bounded work: each sitemap read once per run and at most ARCHIVER_MAX_SITEMAPS of them,
--max-pages / max_pages bounding every mode, robots.txt's Crawl-delay obeyed up to
ARCHIVER_MAX_CRAWL_DELAY (issue 13, cases 6 and 7)."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import FAST
from tests.support.newsroom import xml
from tests.support.pages import article_html, html_page
from tests.support.server import FixtureSite, Page

N = 60


def urlset(paths) -> Page:
    urls = "".join(f"<url><loc>{p}</loc></url>" for p in paths)
    return xml(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')


def sitemap_index(paths) -> Page:
    maps = "".join(f"<sitemap><loc>{p}</loc></sitemap>" for p in paths)
    return xml(f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
               f"{maps}</sitemapindex>")


def rss(paths) -> Page:
    items = "".join(f"<item><title>Story {p}</title><link>{p}</link></item>" for p in paths)
    return xml(f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{items}</channel></rss>',
               "application/rss+xml")


def stories(n: int = N) -> dict[str, Page]:
    return {f"/news/{i}.html": html_page(article_html(i)) for i in range(n)}


def article_requests(site) -> list[str]:
    return [p for p in site.paths_requested() if p.startswith("/news/")]


def test_each_sitemap_is_read_once_per_run(run_cli, tmp_path):
    pages = stories(4)
    # An index that lists itself ten times, and a sitemap listed by two indexes.
    pages["/sitemap_index.xml"] = sitemap_index(["/sitemap_index.xml"] * 10 + ["/a.xml", "/b.xml", "/a.xml"])
    pages["/b.xml"] = sitemap_index(["/a.xml", "/sitemap_index.xml", "/c.xml"])
    pages["/a.xml"] = urlset(["/news/0.html", "/news/1.html"])
    pages["/c.xml"] = urlset(["/news/2.html", "/news/3.html", "/news/1.html"])
    with FixtureSite(pages) as site:
        result = run_cli("crawl", "--sitemap", site.url + "/sitemap_index.xml", "--db", "a.db", *FAST)
        requested = site.paths_requested()
    assert result.returncode == 0, result.stderr
    for path in ("/sitemap_index.xml", "/a.xml", "/b.xml", "/c.xml"):
        assert requested.count(path) == 1, (path, requested)
    assert sorted(p for p in requested if p.startswith("/news/")) == [f"/news/{i}.html" for i in range(4)]


def test_a_run_reads_at_most_max_sitemaps(run_cli, tmp_path):
    pages = stories(1)
    pages["/sitemap_index.xml"] = sitemap_index([f"/maps/{i}.xml" for i in range(1000)])
    for i in range(1000):
        pages[f"/maps/{i}.xml"] = urlset(["/news/0.html"])
    with FixtureSite(pages) as site:
        result = run_cli("crawl", "--sitemap", site.url + "/sitemap_index.xml", "--db", "a.db", *FAST,
                         "-s", "ARCHIVER_MAX_SITEMAPS=6")
        requested = site.paths_requested()
    assert result.returncode == 0, result.stderr
    # The index and five of the sitemaps it lists.
    assert len([p for p in requested if p.endswith(".xml")]) == 6
    assert "ARCHIVER_MAX_SITEMAPS (6) reached" in result.stderr


@pytest.mark.parametrize("mode", ["sitemap", "feed"])
def test_max_pages_bounds_sitemaps_and_feeds(mode, run_cli, tmp_path):
    pages = stories()
    pages["/listing.xml"] = (urlset if mode == "sitemap" else rss)([f"/news/{i}.html" for i in range(N)])
    with FixtureSite(pages) as site:
        result = run_cli("crawl", f"--{mode}", site.url + "/listing.xml", "--max-pages", "10", "--db", "a.db", *FAST)
        assert result.returncode == 0, result.stderr
        assert len(article_requests(site)) == 10
    assert "max_pages (10) reached" in result.stderr
    assert sqlite3.connect(tmp_path / "a.db").execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 10


def test_a_sources_max_pages_bounds_all_its_seeds(run_cli, tmp_path):
    pages = stories()
    pages["/feed.xml"] = rss([f"/news/{i}.html" for i in range(0, 30)])
    pages["/sitemap.xml"] = urlset([f"/news/{i}.html" for i in range(30, N)])
    with FixtureSite(pages) as site:
        (tmp_path / "s.toml").write_text(
            f'[[sources]]\nname = "x"\nfeeds = ["{site.url}/feed.xml"]\nsitemaps = ["{site.url}/sitemap.xml"]\n'
            "max_pages = 10\n")
        result = run_cli("crawl", "--sources", "s.toml", "--db", "a.db", *FAST)
        assert result.returncode == 0, result.stderr
        assert len(article_requests(site)) == 10


def test_listed_urls_are_all_fetched_whatever_max_pages(run_cli, tmp_path):
    with FixtureSite(stories(5)) as site:
        (tmp_path / "s.toml").write_text(
            '[[sources]]\nname = "x"\nurls = [' + ", ".join(f'"{site.url}/news/{i}.html"' for i in range(5))
            + "]\nmax_pages = 1\n")
        result = run_cli("crawl", "--sources", "s.toml", "--db", "a.db", *FAST)
        assert result.returncode == 0, result.stderr
        assert len(article_requests(site)) == 5


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:])]


def test_robots_crawl_delay_is_obeyed(run_cli, tmp_path):
    pages = {**stories(3), "/robots.txt": Page(b"User-agent: *\nCrawl-delay: 1\n",
                                               headers={"Content-Type": "text/plain"})}
    with FixtureSite(pages) as site:
        result = run_cli("crawl", *(f"{site.url}/news/{i}.html" for i in range(3)), "--db", "a.db", *FAST)
        assert result.returncode == 0, result.stderr
        times = site.times_requested("/news/")
    assert len(times) == 3
    # The server saw the requests at least a Crawl-delay apart (a lower bound: load only adds to it;
    # without the delay, FAST settings send them at once).
    assert min(gaps(times)) >= 0.9, gaps(times)


def test_a_crawl_delay_above_the_maximum_is_capped(run_cli, tmp_path):
    pages = {**stories(3), "/robots.txt": Page(b"User-agent: *\nCrawl-delay: 3600\n",
                                               headers={"Content-Type": "text/plain"})}
    with FixtureSite(pages) as site:
        result = run_cli("crawl", *(f"{site.url}/news/{i}.html" for i in range(3)), "--db", "a.db", *FAST,
                         "-s", "ARCHIVER_MAX_CRAWL_DELAY=0.5", timeout=90)
        times = site.times_requested("/news/")
    assert result.returncode == 0, result.stderr
    assert len(times) == 3 and min(gaps(times)) >= 0.45, gaps(times)
