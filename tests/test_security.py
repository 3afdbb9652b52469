"""Security: only http(s) is fetched, exported CSV cannot run formulas, SQL takes
user text only as parameters, and Scrapy's remote-control server and telnet console stay off."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest

from tests.conftest import FAST
from tests.support.pages import article_html, html_page
from tests.support.server import FixtureSite, Page


NON_HTTP = [
    "file:///etc/passwd",
    "ftp://127.0.0.1/pub/file.html",
    "data:text/html,<h1>hello</h1>",
    "s3://bucket/key.html",
    "javascript:alert(1)",
]


def test_non_http_urls_are_refused_with_a_message(run_cli, tmp_path):
    result = run_cli("crawl", *NON_HTTP, "--db", "a.db", *FAST)
    assert result.returncode == 1
    for url in NON_HTTP:
        assert f"failed: {url}: unsupported URL scheme" in result.stderr
    assert "only http and https" in result.stderr
    assert "Traceback" not in result.stderr
    db = sqlite3.connect(tmp_path / "a.db")
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0


def test_scrapy_cannot_fetch_other_schemes_even_when_asked():
    from archiver.crawl import build_settings

    handlers = build_settings("a.db").getwithbase("DOWNLOAD_HANDLERS")
    for scheme in ("file", "ftp", "data", "s3"):
        assert handlers.get(scheme) is None, scheme


REDIRECT_TARGETS = ["file:///etc/passwd", "data:text/html,<p>root:x:0:0</p>", "ftp://127.0.0.1/x"]


def test_a_redirect_to_another_scheme_is_not_followed(run_cli, tmp_path):
    pages = {f"/news/evil-{i}.html": Page(b"", status=302, headers={"Location": target})
             for i, target in enumerate(REDIRECT_TARGETS)}
    pages["/robots.txt"] = Page(b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
    with FixtureSite(pages) as site:
        urls = [f"{site.url}/news/evil-{i}.html" for i in range(len(REDIRECT_TARGETS))]
        result = run_cli("crawl", *urls, "--db", "a.db", *FAST)
    assert result.returncode in (0, 1)
    assert "Traceback" not in result.stderr
    db = sqlite3.connect(tmp_path / "a.db")
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0
    assert sorted(u for (u,) in db.execute("SELECT url FROM run_pages")) == sorted(urls)
    raw = b"".join(body or b"" for (body,) in db.execute("SELECT body FROM responses"))
    assert b"root:" not in raw


def test_remote_control_and_telnet_are_off_in_settings():
    from archiver.crawl import build_settings

    settings = build_settings("a.db", {"LOG_LEVEL": "INFO"})
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    # Nor among the extensions Scrapy loads (it imports each one it is given, even to find it off).
    extensions = settings.getwithbase("EXTENSIONS")
    assert "scrapy.extensions.corestats.CoreStats" in extensions  # the list is really there
    assert "scrapy.extensions.remote_control.RemoteControl" not in extensions
    assert "scrapy.extensions.telnet.TelnetConsole" not in extensions


def test_remote_control_and_telnet_are_not_among_the_enabled_extensions(site, run_cli):
    result = run_cli("crawl", f"{site.url}/news/story-1.html", "--db", "a.db", "-v", *FAST)
    assert result.returncode == 0, result.stderr[-2000:]
    log = result.stderr
    start = log.index("Enabled extensions:")
    enabled = log[start:log.index("]", start)]
    assert "CoreStats" in enabled  # the list is really there
    assert "RemoteControl" not in enabled and "TelnetConsole" not in enabled
    assert "Telnet console listening" not in log and "remote control" not in log.lower()


FORMULAS = {
    "title": "=HYPERLINK(\"http://evil.example\",\"Council vote\") budget story",
    "description": "+cmd|' /C calc'!A0 council",
}


def formula_pages() -> dict:
    html = article_html(7, title=FORMULAS["title"])
    html = html.replace("</head>", f'<meta name="description" content="{FORMULAS["description"]}"></head>')
    return {
        "/robots.txt": Page(b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"}),
        "/news/formula.html": html_page(html),
        "/news/o-brien.html": html_page(article_html(8, title="O'Brien's \"quoted\" budget; DROP TABLE articles; --",
                                                     author="Pat O'Brien")),
    }


@pytest.fixture
def formula_site():
    with FixtureSite(formula_pages()) as site:
        yield site


def test_csv_export_neutralizes_formulas(formula_site, run_cli, tmp_path):
    crawled = run_cli("crawl", f"{formula_site.url}/news/formula.html", "--db", "a.db", *FAST)
    assert crawled.returncode == 0, crawled.stderr
    stored = sqlite3.connect(tmp_path / "a.db").execute("SELECT title, description FROM articles").fetchone()
    assert stored[0].startswith("=") and stored[1].startswith("+")  # the attack reached the archive
    result = run_cli("export", "--db", "a.db", "--format", "csv", "-o", "out.csv")
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert any("HYPERLINK" in c for c in cells)
    dangerous = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == []


HOSTILE_TEXT = [
    "O'Brien",
    "\"; DROP TABLE articles; --",
    "'; DELETE FROM articles WHERE '1'='1",
    "1 OR 1=1",
    "budget\" OR \"1\"=\"1",
    "%' OR '%'='",
]


@pytest.fixture(scope="module")
def quoted_archive(tmp_path_factory):
    """An archive with quotes and SQL in its text, crawled once through the installed CLI."""
    from tests.support import procs

    tmp = tmp_path_factory.mktemp("quoted")
    with FixtureSite(formula_pages()) as site:
        urls = [f"{site.url}/news/formula.html", f"{site.url}/news/o-brien.html"]
        crawled = procs.run(["crawl", *urls, "--db", "a.db", *FAST], tmp)
    assert crawled.returncode == 0, crawled.stderr
    return tmp / "a.db"


def _cli(*args: str):
    """The read commands in-process (many calls; the crawl above used the installed CLI)."""
    from click.testing import CliRunner

    from archiver.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _intact(db_path) -> int:
    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_search_filters_take_quotes_as_text(quoted_archive, text):
    for args in (["search", text], ["search", "budget", "--site", text], ["search", "budget", "--author", text],
                 ["search", "budget", "--tag", text], ["export", "-o", "-", "--site", text],
                 ["export", "-o", "-", "--author", text]):
        result = _cli(*args, "--db", str(quoted_archive))
        assert result.exit_code in (0, 1), (args, result.output)
        if result.exit_code == 1:
            assert "Error:" in result.output, (args, result.output)
    assert _intact(quoted_archive) == 2


def test_search_finds_a_name_with_an_apostrophe(quoted_archive):
    result = _cli("search", "O'Brien", "--db", str(quoted_archive), "--json")
    assert result.exit_code == 0, result.output
    assert any("o-brien" in row["url"] for row in json.loads(result.stdout))
    by_author = _cli("search", "budget", "--author", "O'Brien", "--db", str(quoted_archive), "--json")
    assert by_author.exit_code == 0, by_author.output
    assert [row["url"].rsplit("/", 1)[1] for row in json.loads(by_author.stdout)] == ["o-brien.html"]


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_show_takes_quotes_as_text(quoted_archive, text):
    result = _cli("show", text, "--db", str(quoted_archive))
    assert result.exit_code == 1
    assert "Error: no article" in result.output
    assert _intact(quoted_archive) == 2


def test_a_page_that_is_only_a_url_is_never_fetched_by_extraction():
    # htmldate downloads a text argument that looks like a URL; extraction must not.
    from archiver.extract import extract_article

    with FixtureSite({"/target": Page(b"<html><body>2020-01-01</body></html>")}) as target:
        record = extract_article(f"{target.url}/target".encode(), "https://news.example/a.html")
        assert target.requests == []
    assert record["is_article"] is False
