"""One bad item never stops or empties a run: bad URLs, URL lists in other encodings,
bad sources files, failing components and empty feeds are each a failure with a
reason, and the rest of the run goes on (issue 13, cases 1-5 and 19)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from archiver import settings

from tests.conftest import FAST
from tests.support.newsroom import xml
from tests.support.pages import article_html, html_page
from tests.support.server import FixtureSite

REPO = Path(__file__).resolve().parents[1]


def outcomes(db_file) -> dict[str, tuple[str, str | None]]:
    db = sqlite3.connect(db_file)
    return {url: (outcome, reason) for url, outcome, reason in db.execute("SELECT url, outcome, reason FROM run_pages")}


def last_run(db_file) -> tuple:
    db = sqlite3.connect(db_file)
    return db.execute("SELECT status, archived, failed FROM runs ORDER BY id DESC LIMIT 1").fetchone()


# --- case 1: a URL with a bad port is one failed page ---------------------------------

BAD_PORTS = ["http://127.0.0.1:99999/x", "http://127.0.0.1:abc/x", "http://127.0.0.1:80:80/x"]


def test_urls_with_bad_ports_fail_one_by_one_and_the_rest_run(site, run_cli, tmp_path):
    first, last = f"{site.url}/news/story-1.html", f"{site.url}/news/story-2.html"
    (tmp_path / "urls.txt").write_text("\n".join([BAD_PORTS[0], last]) + "\n")
    result = run_cli("crawl", first, *BAD_PORTS[1:], "-i", "urls.txt", "--db", "a.db", *FAST)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    pages = outcomes(tmp_path / "a.db")
    assert pages[first][0] == pages[last][0] == "archived"
    for url in BAD_PORTS:
        assert pages[url][0] == "failed" and pages[url][1].startswith("not a valid URL"), pages[url]
    assert last_run(tmp_path / "a.db") == ("finished", 2, 3)


def test_a_feed_entry_with_a_bad_port_does_not_stop_the_feed(run_cli, tmp_path):
    pages = {"/news/a.html": html_page(article_html(1))}
    with FixtureSite(pages) as site:
        site.pages["/feed.xml"] = xml(f"""<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>
<item><title>Bad</title><link>http://127.0.0.1:99999/bad.html</link></item>
<item><title>A</title><link>{site.url}/news/a.html</link></item></channel></rss>""", "application/rss+xml")
        result = run_cli("crawl", "--feed", site.url + "/feed.xml", "--db", "a.db", *FAST)
    assert "Traceback" not in result.stderr
    assert outcomes(tmp_path / "a.db")[site.url + "/news/a.html"][0] == "archived", result.stderr


# --- case 2: -i reads one URL per line, commas and all ---------------------------------

def test_input_file_takes_one_url_per_line_even_with_commas(run_cli, tmp_path):
    path = "/news/7,75398,30123456,story.html"
    with FixtureSite({path: html_page(article_html(7))}) as site:
        (tmp_path / "urls.txt").write_text(f"# a comment\n\n{site.url}{path}\n")
        result = run_cli("crawl", "-i", "urls.txt", "--db", "a.db", *FAST)
        requested = site.paths_requested()
    assert result.returncode == 0, result.stderr
    assert list(outcomes(tmp_path / "a.db")) == [site.url + path]
    assert path in requested


def test_spider_arguments_split_on_commas_only_before_another_url():
    from archiver.seeds import as_url_list

    assert as_url_list("http://a.example/1,2.html,https://b.example/x, http://c.example/") == [
        "http://a.example/1,2.html", "https://b.example/x", "http://c.example/"]


# --- case 3: URL lists in other encodings ----------------------------------------------

ENCODED = {
    "utf-8 with a BOM": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    "utf-16 with a BOM": lambda text: text.encode("utf-16"),
    "utf-16-be with a BOM": lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
    "utf-16-le without a BOM": lambda text: text.encode("utf-16-le"),
    "utf-32 with a BOM": lambda text: text.encode("utf-32"),
    "windows line ends": lambda text: text.replace("\n", "\r\n").encode("utf-8"),
}


@pytest.mark.parametrize("encoding", sorted(ENCODED))
def test_url_lists_in_any_unicode_encoding_are_read(encoding):
    from archiver.seeds import read_url_list

    urls = ["https://a.example/caf\u00e9.html", "https://a.example/2.html"]
    read = read_url_list(ENCODED[encoding]("\n".join(urls) + "\n"), "urls.txt")
    assert (read.urls, read.rejected) == (urls, [])


@pytest.mark.parametrize("encoding", ["utf-8 with a BOM", "utf-16 with a BOM"])
def test_crawl_reads_url_lists_with_a_bom(encoding, site, run_cli, tmp_path):
    urls = [f"{site.url}/news/story-1.html", f"{site.url}/news/story-2.html"]
    (tmp_path / "urls.txt").write_bytes(ENCODED[encoding]("\n".join(urls) + "\n"))
    result = run_cli("crawl", "-i", "urls.txt", "--db", "a.db", *FAST)
    assert result.returncode == 0, result.stderr
    assert sorted(outcomes(tmp_path / "a.db")) == urls


@pytest.mark.parametrize("bad_line", [
    "{base}/news/caf\xe9.html".encode("latin-1"),  # a latin-1 file
    b"{base}/news/\xff\xfe-stray.html",  # a stray byte
])
def test_undecodable_lines_fail_by_number_and_the_others_run(bad_line, site, run_cli, tmp_path):
    good = [f"{site.url}/news/story-1.html", f"{site.url}/news/story-2.html"]
    data = b"\n".join([good[0].encode(), bad_line.replace(b"{base}", site.url.encode()), good[1].encode()])
    (tmp_path / "urls.txt").write_bytes(data + b"\n")
    result = run_cli("crawl", "-i", "urls.txt", "--db", "a.db", *FAST)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "UnicodeDecodeError" not in result.stderr
    assert "line 2 of urls.txt is not UTF-8 text" in result.stderr
    pages = outcomes(tmp_path / "a.db")
    assert [pages[u][0] for u in good] == ["archived", "archived"]
    assert sorted(o for o, _ in pages.values()) == ["archived", "archived", "failed"]


def test_read_url_list_reports_lines_it_cannot_decode():
    from archiver.seeds import read_url_list

    read = read_url_list(b"http://a.example/1\n# note\nhttp://a.example/caf\xe9\n\nhttp://a.example/3\n", "list.txt")
    assert read.urls == ["http://a.example/1", "http://a.example/3"]
    assert [r.reason.split(" (")[0] for r in read.rejected] == ["line 3 of list.txt is not UTF-8 text"]
    assert read.rejected[0].url == "http://a.example/caf\\xe9"


# --- case 19: tracking parameters are removed from the URLs given ----------------------

def test_tracking_parameters_are_removed_from_given_urls(site, run_cli, tmp_path):
    story = f"{site.url}/news/story-1.html"
    (tmp_path / "urls.txt").write_text(f"{story}?fbclid=abc123#comments\n")
    result = run_cli("crawl", f"{story}?utm_source=newsletter&utm_medium=email", "-i", "urls.txt",
                     "--db", "a.db", *FAST)
    assert result.returncode == 0, result.stderr
    assert [p for p in site.paths_requested() if p.startswith("/news/")] == ["/news/story-1.html"]
    assert list(outcomes(tmp_path / "a.db")) == [story]
    for command in ("show", "history"):
        found = run_cli(command, f"{story}?utm_campaign=spring", "--db", "a.db")
        assert found.returncode == 0, found.stderr
        assert "Story number 1" in found.stdout


# --- case 4: the sources file is checked when it loads ---------------------------------

SOURCE = '[[sources]]\nname = "gazette"\nurls = ["{url}"]\n'
BAD_SOURCES = {
    "a selector that is not text": ("[sources.selectors]\ntitle = 42\n", "selectors.title: expected a CSS selector"),
    "invalid CSS": ('[sources.selectors]\ntitle = "h1..headline"\n', "selectors.title: 'h1..headline' is not a CSS"),
    "an attribute that is no name": ('[sources.selectors]\npublished_at = "time@ bad"\n',
                                     "selectors.published_at: 'time@ bad': after @ comes an attribute"),
    "delay = true": ("delay = true\n", "delay must be a number of seconds"),
    "a negative delay": ("delay = -1\n", "delay must be a number of seconds"),
    "delay = nan": ("delay = nan\n", "delay must be a number of seconds"),
    "depth = true": ("depth = true\n", "depth must be a whole number from 0 to 50"),
    "depth = 100000": ("depth = 100000\n", "depth must be a whole number from 0 to 50"),
    "max_pages = 0": ("max_pages = 0\n", "max_pages must be a whole number from 1"),
    "concurrency = 0": ("concurrency = 0\n", "concurrency must be a whole number from 1 to 64"),
    "a huge interval": ('interval = "99999999d"\n', "interval: duration out of range"),
    "an interval of 1e300 seconds": ("interval = 1e300\n", "interval: duration out of range"),
    "a bad regex": ('deny = ["(unclosed"]\n', "deny pattern '(unclosed'"),
}


@pytest.mark.parametrize("case", sorted(BAD_SOURCES))
def test_a_bad_sources_file_is_refused_at_load_with_file_source_and_key(case, tmp_path):
    from archiver.sources import SourcesError, load_sources

    extra, message = BAD_SOURCES[case]
    # Keys go before a sub-table; the sub-table (selectors) comes last.
    (tmp_path / "sources.toml").write_text(SOURCE.format(url="https://a.example/x") + extra)
    with pytest.raises(SourcesError) as raised:
        load_sources(tmp_path / "sources.toml")
    assert str(raised.value).startswith(f"{tmp_path / 'sources.toml'}: source 'gazette': {message}"), raised.value


@pytest.mark.parametrize("case", ["a selector that is not text", "invalid CSS", "depth = true"])
def test_the_crawl_refuses_a_bad_sources_file_before_fetching(case, site, run_cli, tmp_path):
    extra, message = BAD_SOURCES[case]
    (tmp_path / "sources.toml").write_text(SOURCE.format(url=site.url + "/news/story-1.html") + extra)
    result = run_cli("crawl", "--sources", "sources.toml", "--db", "a.db", *FAST)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"Error: sources.toml: source 'gazette': {message}" in result.stderr, result.stderr
    assert [p for p in site.paths_requested() if p != "/robots.txt"] == []


def test_valid_selectors_still_load(tmp_path):
    from archiver.sources import load_sources

    (tmp_path / "s.toml").write_text(SOURCE.format(url="https://a.example/x") + "[sources.selectors]\n"
                                     'title = "h1.story-title"\npublished_at = "time.published@datetime"\n')
    assert load_sources(tmp_path / "s.toml")[0].selectors["published_at"] == "time.published@datetime"


# --- the class behind case 4: a page whose processing raises is a failed page ----------

# The shipped components, with a failing one among them.
PIPELINES = {**settings.ITEM_PIPELINES, "tests.support.faults.RaisingPipeline": 300}
SPIDER_MIDDLEWARES = {**settings.SPIDER_MIDDLEWARES, "tests.support.faults.RaisingSpiderMiddleware": 930}


@pytest.mark.parametrize(("setting", "value", "where"), [
    ("SPIDER_MIDDLEWARES", SPIDER_MIDDLEWARES, "while reading the page"),
    ("ITEM_PIPELINES", PIPELINES, "while storing the page"),
])
def test_a_component_that_raises_on_a_page_fails_that_page(setting, value, where, run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pages = {"/news/boom.html": html_page(article_html(1)), "/news/fine.html": html_page(article_html(2))}
    with FixtureSite(pages) as site:
        result = run_cli("crawl", site.url + "/news/boom.html", site.url + "/news/fine.html", "--db", "a.db",
                         "-s", f"{setting}={json.dumps(value)}", *FAST)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    pages = outcomes(tmp_path / "a.db")
    assert pages[site.url + "/news/fine.html"][0] == "archived"
    outcome, reason = pages[site.url + "/news/boom.html"]
    assert outcome == "failed" and reason.startswith(f"internal error {where} (RuntimeError: planted failure")
    assert f"failed: {site.url}/news/boom.html: internal error" in result.stderr


# --- case 5: a feed or sitemap that lists nothing is a failure of the source -----------

EMPTY = {
    "feed": ("/feed.xml", xml('<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
                              "application/rss+xml"), "the feed lists no entries"),
    "sitemap": ("/sitemap.xml", xml('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                                    'sitemap/0.9"></urlset>'), "the sitemap lists no URLs"),
}


@pytest.mark.parametrize("mode", sorted(EMPTY))
def test_a_feed_or_sitemap_listing_nothing_fails_with_a_reason(mode, run_cli, tmp_path):
    path, page, reason = EMPTY[mode]
    with FixtureSite({path: page}) as site:
        result = run_cli("crawl", f"--{mode}", site.url + path, "--db", "a.db", *FAST)
    assert result.returncode == 1, result.stderr
    assert f"failed: {site.url}{path}: {reason}" in result.stderr
    assert last_run(tmp_path / "a.db") == ("finished", 0, 1)
