"""The reading room of `archiver browse`: home, search, article and compare pages, over an
archive crawled twice from a loopback site whose zeppelin story changed in between;
checked over HTTP and in headless Chromium (screenshots in test-artifacts/)."""

from __future__ import annotations

import csv
import http.client
import io
import json
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from archiver.export import csv_cell
from tests.conftest import archiver_cmd
from tests.support.archives import CRAWLED_PATHS, FAST, reading_site, record, write_archive
from tests.support.browser import CHROMIUM, Browser, running_browse
from tests.support.pages import article_html, html_page, paragraphs
from tests.support.procs import clean_env
from tests.support.server import FixtureSite

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FORMULA_TITLE = '=HYPERLINK("https://evil.example/","Click me")'
OLD_TITLE = "Zeppelin hangar reopens as a museum"
NEW_TITLE = "Zeppelin hangar reopens as a museum of flight"


def zeppelin(title: str, *, edited: bool) -> str:
    body = [f"The old zeppelin hangar opened its doors again. {p}" for p in paragraphs(10)]
    if edited:
        body[0] = body[0].replace("opened its doors again", "reopened its great doors on Saturday")
        body[2] = "A new paragraph about the airship exhibition was added. " + body[2]
    return article_html(10, title=title, author="Ann O'Brien", published="2024-04-02T10:00:00+02:00", body=body)


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*archiver_cmd(), *args], cwd=folder, env=clean_env(), capture_output=True, text=True,
                          timeout=180)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """The reading site crawled twice by the CLI, the zeppelin story edited in between;
    plus a story that mentions the zeppelin once, and one titled with a formula."""
    folder = tmp_path_factory.mktemp("reading-room")
    db = folder / "news.db"
    pages = reading_site()
    pages["/news/zeppelin.html"] = html_page(zeppelin(OLD_TITLE, edited=False))
    pages["/news/airships.html"] = html_page(article_html(
        13, title="A short history of airships", author="Li Wei", published="2024-04-01T09:00:00Z",
        body=["Before the zeppelin, balloons were all there was. " + paragraphs(13)[0], *paragraphs(13)[1:]],
    ))
    pages["/news/formula.html"] = html_page(article_html(12, title=FORMULA_TITLE, author="Max Mustermann"))
    paths = [*CRAWLED_PATHS, "/news/airships.html", "/news/formula.html"]
    with FixtureSite(pages) as site:
        first = cli(folder, "crawl", *(site.url + p for p in paths), "--db", str(db), *FAST)
        assert "7 archived" in first.stderr, first.stderr
        site.pages["/news/zeppelin.html"] = html_page(zeppelin(NEW_TITLE, edited=True))
        second = cli(folder, "crawl", site.url + "/news/zeppelin.html", "--db", str(db), "--revisit-after", "0", *FAST)
        assert "1 updated" in second.stderr, second.stderr
        original = pages["/news/zeppelin.html"].body
    ids = {r["url"].rsplit("/", 1)[1]: r["id"]
           for r in json.loads(cli(folder, "list", "--db", str(db), "--json").stdout)}
    return {"db": db, "folder": folder, "ids": ids, "zeppelin": ids["zeppelin.html"], "original": original,
            "base": site.url}


@pytest.fixture(scope="module")
def ui(archive):
    with running_browse(archive["db"]) as base:
        yield base


def fetch(url: str) -> tuple[int, Message, bytes]:
    """Status, headers (names in any case) and body of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def page(url: str) -> tuple[int, str]:
    status, _, body = fetch(url)
    return status, body.decode("utf-8")


# --- over HTTP --------------------------------------------------------------------

def test_home_is_the_archive_at_a_glance(ui, archive):
    status, html = page(ui + "/")
    assert status == 200
    content = html[html.index('<section class="content">'):]
    assert content.index('name="q"') < content.index("<h2>")  # the search box before anything else
    assert "<strong>7 articles</strong>" in html and "from 1 site" in html
    assert "published from 2024-02-20 to 2024-04-02" in html
    assert "Run 2" in html and "1 updated" in html
    assert f"{archive['base']}/missing.html</a>: HTTP 404 Not Found" in html  # run 1's failure, with its reason
    assert html.count("<rect ") == 4  # articles per day: 2024-02-20, 03-06, 04-01, 04-02
    assert '<svg class="chart"' in html and "127.0.0.1: 4 articles" in html
    assert 'class="plain health"' in html and "100%" in html  # no fixture page states a modification time
    for internal in ("_sqlite_migrations", "export_state", "articles_fts"):
        assert internal not in html


def test_internal_tables_are_out_of_sight(ui):
    status, html = page(ui + "/news")
    assert status == 200
    for internal in ("_sqlite_migrations", "export_state", "articles_fts_"):
        assert f">{internal}<" not in html
    assert ">articles</a>" in html
    assert '<textarea id="sql-editor" name="sql">select * from articles</textarea>' in html


def search_ids(ui: str, **params: str) -> list[int]:
    status, html = page(ui + "/-/search?" + urllib.parse.urlencode(params))
    assert status == 200, html
    return [int(i) for i in re.findall(r'<div class="hit-title"><a href="/news/articles/(\d+)"', html)]


@pytest.mark.parametrize(("query", "options"), [
    ("zeppelin", {}),
    ("budget", {"author": "li wei"}),
    ("budget", {"site": "127.0.0.1", "since": "2024-03-01", "until": "2024-03-31"}),
    ("hangar OR airships", {}),
    ("the", {"tag": "none-such"}),
])
def test_search_is_the_clis_search(ui, archive, query, options):
    args = [f"--{k}={v}" for k, v in options.items()]
    expected = [r["id"] for r in json.loads(cli(archive["folder"], "search", query, "--db", str(archive["db"]),
                                                "--json", "--limit", "50", *args).stdout)]
    assert search_ids(ui, q=query, **options) == expected


def test_search_ranks_and_highlights(ui, archive):
    status, html = page(ui + "/-/search?q=zeppelin")
    assert search_ids(ui, q="zeppelin") == [archive["zeppelin"], archive["ids"]["airships.html"]]
    first = html[html.index('<ol class="hits">'):].split("</li>")[0]
    assert NEW_TITLE in first and re.search(r"<mark>zeppelin</mark>", first, re.I)


def test_filters_without_words_list_articles_newest_first(ui, archive):
    assert search_ids(ui, author="Li Wei") == [archive["ids"]["airships.html"], archive["ids"]["harbour.html"]]


@pytest.mark.parametrize(("params", "message"), [
    ({"q": "zeppelin", "since": "last week"}, "since: &#39;last week&#39; is not a date"),
    ({"q": '"'}, "cannot search for"),
])
def test_bad_search_input_gets_a_clear_message(ui, params, message):
    status, html = page(ui + "/-/search?" + urllib.parse.urlencode(params))
    assert status == 400 and f'<p class="error">{message}' in html and "Traceback" not in html


def test_article_page_reads_like_an_article(ui, archive):
    article_url = f"{ui}/news/articles/{archive['zeppelin']}"
    status, html = page(article_url)
    assert status == 200
    assert html.count("<h1>") == 1 and f"<h1>{NEW_TITLE}</h1>" in html
    assert '<p class="byline">Ann O&#39;Brien</p>' in html
    assert "<p>The old zeppelin hangar reopened its great doors on Saturday." in html
    assert '<a href="/-/search?author=Ann+O%27Brien">Ann O&#39;Brien</a>' in html
    assert "2 April 2024, 10:00 UTC+02:00" in html
    assert "<td>title</td><td>json-ld</td>" in html  # where the field came from
    assert 'compare?from=1&amp;to=2">compare with version 1</a>' in html
    status, old = page(article_url + "?version=1")
    assert f"<h1>{OLD_TITLE}</h1>" in old and "You are reading version 1 of 2" in old
    assert "<p>The old zeppelin hangar opened its doors again. Paragraph 1" in old
    assert page(f"{ui}/news/articles/999999")[0] == 404


def test_article_page_lists_the_agencies_credited(tmp_path):
    write_archive(tmp_path / "wire.db", [record(1, authors=[], agencies=["The Associated Press"],
                                                byline="The Associated Press")])
    with running_browse(tmp_path / "wire.db") as base:
        status, html = page(f"{base}/wire/articles/1")
    assert status == 200
    assert "<dt>Agencies</dt>" in html
    assert "agencies__arraycontains=The+Associated+Press" in html and ">The Associated Press</a>" in html


def test_raw_response_is_a_download_of_the_bytes_served(ui, archive):
    _, html = page(f"{ui}/news/articles/{archive['zeppelin']}")
    first = re.search(r'href="(/news/articles/\d+/raw/\d+)" download>Download version 1<', html).group(1)
    status, headers, body = fetch(ui + first)
    assert status == 200 and body == archive["original"]
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"] == f'attachment; filename="article-{archive["zeppelin"]}-version-1.html"'
    other = archive["ids"]["harbour.html"]
    assert fetch(ui + first.replace(f"/articles/{archive['zeppelin']}/", f"/articles/{other}/"))[0] == 404


def test_compare_page_marks_the_changed_words(ui, archive):
    status, html = page(f"{ui}/news/articles/{archive['zeppelin']}/compare")
    assert status == 200
    assert '<p class="changed-fields">title, body</p>' in html
    assert f"<del>{OLD_TITLE}</del>" in html and f"<ins>{NEW_TITLE}</ins>" in html
    assert "hangar <del>opened</del> <ins>reopened</ins> its <ins>great</ins> doors" in html
    assert "<p><ins>A new paragraph about the airship exhibition was added.</ins> The old" in html
    status, same = page(f"{ui}/news/articles/{archive['zeppelin']}/compare?from=2&to=2")
    assert status == 200 and "Nothing changed between these versions." in same
    status, bad = page(f"{ui}/news/articles/{archive['zeppelin']}/compare?from=7")
    assert status == 400 and "has no version &#39;7&#39; (versions: 1, 2)" in bad
    status, single = page(f"{ui}/news/articles/{archive['ids']['harbour.html']}/compare")
    assert status == 200 and "stored in one version only" in single


def test_changes_page_links_each_change_to_its_compare_page(ui, archive):
    status, html = page(ui + "/-/changes")
    assert status == 200
    zeppelin = archive["zeppelin"]
    assert f'href="/news/articles/{zeppelin}/compare?from=1&amp;to=2">compare version 1 with 2</a>' in html
    assert "title, body changed: +" in html
    status, home = page(ui + "/")
    assert "<h2>Latest changes</h2>" in home and f"/news/articles/{zeppelin}/compare?from=1&amp;to=2" in home
    status, article = page(f"{ui}/news/articles/{zeppelin}")
    assert "<h2>Changes</h2>" in article and "compare version 1 with 2" in article


def test_canned_queries_link_to_the_stored_article(ui, archive):
    status, html = page(ui + "/news/changed_articles")
    zeppelin = archive["zeppelin"]
    assert f'<a href="/news/articles/{zeppelin}">{NEW_TITLE}</a>' in html
    assert f'<a href="/news/articles/{zeppelin}/compare">compare versions</a>' in html
    _, latest = page(ui + "/news/latest_articles")
    assert f'<a href="/news/articles/{zeppelin}">{zeppelin}</a>' in latest


@pytest.fixture(scope="module")
def exported_titles(archive) -> list[str]:
    """The titles in `archiver export --format csv`."""
    exported = cli(archive["folder"], "export", "--format", "csv", "-o", "-", "--db", str(archive["db"]))
    return [row["title"] for row in csv.DictReader(io.StringIO(exported.stdout))]


@pytest.mark.parametrize("path", [
    "/news/articles.csv?_col=title",
    "/news/articles.csv?_col=title&_dl=1",
    "/news/articles.csv?_col=title&_stream=on&_size=2",
    "/news.csv?sql=" + urllib.parse.quote("select title, -3 as n, 1.5e-3 as x from articles"),
    "/news/articles/{formula}.csv",
])
def test_download_csv_neutralizes_formulas_like_export(ui, archive, exported_titles, path):
    assert f"'{FORMULA_TITLE}" in exported_titles
    status, _, body = fetch(ui + path.format(formula=archive["ids"]["formula.html"]))
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    if "{formula}" not in path:
        assert sorted(r["title"] for r in rows) == sorted(exported_titles)
    assert csv_cell(FORMULA_TITLE) in [r["title"] for r in rows]
    if "n" in rows[0]:
        assert (rows[0]["n"], rows[0]["x"]) == ("-3", "0.0015")  # numbers are not formulas


def raw_get(ui: str, host: str) -> tuple[int, str]:
    address = urllib.parse.urlsplit(ui)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        conn.putrequest("GET", "/", skip_host=True)
        conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        conn.close()


def test_only_the_hosts_it_serves_are_answered(ui):
    port = urllib.parse.urlsplit(ui).port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}"):
        assert raw_get(ui, host)[0] == 200, host
    for host in ("evil.example", f"evil.example:{port}", f"rebind.127.0.0.1.nip.io:{port}", f"127.0.0.1:{port + 1}"):
        status, text = raw_get(ui, host)
        assert status == 421, host
        assert text.startswith("Misdirected request: this archive is served as") and host in text


def test_pages_load_nothing_from_elsewhere(ui, archive):
    _, headers, _ = fetch(f"{ui}/news/articles/{archive['zeppelin']}")
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


# --- in a real browser ------------------------------------------------------------

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run installs it)"
)


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run installs it)")
    with Browser() as b:
        yield b


@needs_chromium
def test_home_names_the_article_count_in_a_browser(browser, ui):
    browser.open(ui + "/")
    assert browser.js("document.querySelector('.summary strong').textContent") == "7 articles"
    assert browser.js("document.activeElement.name") == "q"  # type at once


@needs_chromium
def test_article_page_in_a_browser(browser, ui, archive):
    browser.open(f"{ui}/news/articles/{archive['zeppelin']}")
    assert browser.js("[...document.querySelectorAll('h1')].map(h => h.textContent)") == [NEW_TITLE]
    first = browser.js("document.querySelector('article .body > :first-child').outerHTML")
    assert first.startswith("<p>The old zeppelin hangar reopened its great doors on Saturday.")


@needs_chromium
def test_compare_page_in_a_browser(browser, ui, archive):
    browser.open(f"{ui}/news/articles/{archive['zeppelin']}/compare")
    marks = browser.js("[...document.querySelectorAll('.diff del, .diff ins')].map(e => e.tagName + ':' + e.textContent)")
    assert marks[:4] == ["DEL:opened", "INS:reopened", "INS:great", "DEL:again."]
    assert browser.js("getComputedStyle(document.querySelector('.diff del')).textDecorationLine") == "line-through"


@needs_chromium
def test_search_in_a_browser(browser, ui):
    browser.open(ui + "/-/search?q=zeppelin")
    hits = browser.js("[...document.querySelectorAll('ol.hits li')].map(li => li.querySelector('a').textContent)")
    assert hits == [NEW_TITLE, "A short history of airships"]
    assert browser.js("document.querySelector('ol.hits li mark').textContent").lower() == "zeppelin"


# Every page a reader meets, with the name of its screenshot.
PAGES = {
    "home": "/",
    "search": "/-/search?q=zeppelin",
    "article": "/news/articles/{zeppelin}",
    "article-version-1": "/news/articles/{zeppelin}?version=1",
    "compare": "/news/articles/{zeppelin}/compare",
    "changes": "/-/changes",
    "search-filters": "/-/search?author=li+wei",
    "changed-query": "/news/changed_articles",
    "articles-table": "/news/articles",
    "database": "/news",
}


@needs_chromium
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_horizontal_scroll(browser, ui, archive, name, width):
    browser.open(ui + PAGES[name].format(zeppelin=archive["zeppelin"]), width=width)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(ARTIFACTS / f"reading-room-{name}-{width}.png")
    assert browser.scroll_width() == (width, width)


# --- the pieces, one case at a time ------------------------------------------------

CSV_TEXT = ('title,n\r\n"=HYPERLINK(""https://evil.example/"",""x"")",-3\r\n"two\r\nlines, and ""quotes""",'
            '+1.5\r\n@SUM(A1),x\r\n-1+1,2\r\n')
CSV_EXPECTED = [["title", "n"], ["'=HYPERLINK(\"https://evil.example/\",\"x\")", "-3"],
                ['two\r\nlines, and "quotes"', "+1.5"], ["'@SUM(A1)", "x"], ["'-1+1", "2"]]


@pytest.mark.parametrize("chunk", [1, 2, 7, 64, len(CSV_TEXT)])
def test_csv_is_rewritten_whatever_the_chunks(chunk):
    from archiver.browse_plugin import CsvNeutralizer

    data = CSV_TEXT.encode("utf-8")
    rewriter = CsvNeutralizer()
    out = b"".join(rewriter.feed(data[i:i + chunk]) for i in range(0, len(data), chunk)) + rewriter.close()
    assert list(csv.reader(io.StringIO(out.decode("utf-8"), newline=""))) == CSV_EXPECTED


@pytest.mark.parametrize(("listen", "header", "allowed"), [
    ("127.0.0.1", "127.0.0.1:8001", True),
    ("127.0.0.1", "localhost:8001", True),
    ("127.0.0.1", "[::1]:8001", True),
    ("127.0.0.1", "127.0.0.1:8002", False),
    ("127.0.0.1", "127.0.0.1", False),  # no port: 80
    ("127.0.0.1", "attacker.example:8001", False),
    ("127.0.0.1", "192.168.1.5:8001", False),
    ("127.0.0.1", "", False),
    ("0.0.0.0", "192.168.1.5:8001", True),  # all interfaces: reached by any of its addresses
    ("0.0.0.0", "[fe80::1]:8001", True),
    ("0.0.0.0", "attacker.example:8001", False),
    ("archive.lan", "archive.lan:8001", True),
    ("archive.lan", "ARCHIVE.LAN.:8001", True),
    ("archive.lan", "localhost:8001", False),
])
def test_host_check(listen, header, allowed):
    from archiver.browse import served_hosts
    from archiver.browse import host_allowed

    assert host_allowed(header, **served_hosts(listen, 8001)) is allowed


def test_host_check_on_port_80():
    from archiver.browse import served_hosts
    from archiver.browse import host_allowed

    assert host_allowed("localhost", **served_hosts("localhost", 80))
    assert host_allowed("localhost:80", **served_hosts("localhost", 80))


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-04-02T10:00:00+02:00", "2 April 2024, 10:00 UTC+02:00"),
    ("2024-03-10T12:00:00+00:00", "10 March 2024, 12:00 UTC"),
    ("2024-03-10T12:00:00", "10 March 2024, 12:00"),
    ("2024-03-10", "10 March 2024"),
    ("sometime in May", "sometime in May"),
    (None, ""),
])
def test_dates_as_people_read_them(value, expected):
    from archiver.browse_plugin import when

    assert when(value) == expected


def test_day_chart_stacks_the_busiest_sites_and_groups_the_rest():
    from archiver.browse_plugin import OTHER_SITES, PALETTE, day_chart

    rows = [{"day": "2024-03-01", "site": f"site{i}.example", "articles": 10 - i} for i in range(10)]
    rows.append({"day": "2024-03-03", "site": "site0.example", "articles": 4})
    chart = day_chart(rows)
    names = [name for name, _ in chart["sites"]]
    assert names[:2] == ["site0.example", "site1.example"] and names[-1] == OTHER_SITES
    assert len(names) == len(PALETTE)
    assert (chart["first"], chart["last"]) == ("2024-03-01", "2024-03-03")
    first_day = [b for b in chart["bars"] if b["title"].startswith("2024-03-01")]
    assert round(sum(b["h"] for b in first_day), 3) == chart["height"]  # the busiest day fills the height
    assert any(b["title"] == f"2024-03-01 · {OTHER_SITES}: 6 articles" for b in first_day)
    assert day_chart([]) is None


def test_the_tables_own_search_points_to_the_search_by_relevance(ui):
    status, html = page(ui + "/news/articles?_search=zeppelin")
    assert status == 200 and '<a href="/-/search?q=zeppelin">Search by relevance</a>' in html
