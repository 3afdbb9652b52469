"""`archiver browse`: Datasette over a crawled archive, checked over HTTP and in headless Chromium."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support.archives import crawled_archive, record, write_archive
from tests.support.browser import running_browse

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
HOSTILE_TITLE = '<script>document.title="pwned"</script>Hostile <b id="injected">markup</b> story'
HOSTILE_BODY = '<img src=x onerror="document.title=\'pwned\'"> <iframe id="framed" src="https://a.example/"></iframe>'


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def get_json(url: str):
    status, text = get(url)
    assert status == 200, text
    return json.loads(text)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A crawled archive (one 404), plus an article with hostile markup stored in two versions."""
    with crawled_archive(tmp_path_factory.mktemp("browse")) as (db, site):
        base = site.url
    links = [{"url": "javascript:alert(1)", "text": "evil link"}, {"url": "https://safe.example/next", "text": "Next"}]
    write_archive(db, [record(1, title=HOSTILE_TITLE + " v1", body=HOSTILE_BODY, related_links=links)])
    write_archive(db, [record(1, title=HOSTILE_TITLE, body=HOSTILE_BODY + " Corrected.", related_links=links)],
                  fetched_at="2024-03-11T12:00:00+00:00")
    return db, base


@pytest.fixture(scope="module")
def ui(archive):
    """`archiver browse` running on a free port; its base URL."""
    db, _ = archive
    with running_browse(db) as base:
        yield base


def test_metadata_describes_tables_and_columns(ui):
    meta = get_json(ui + "/-/metadata.json")
    tables = meta["databases"]["news"]["tables"]
    assert tables["articles"]["description"].startswith("One row per article")
    assert "ISO 8601" in tables["articles"]["columns"]["published_at"]
    assert {"articles", "article_versions", "responses", "runs", "run_pages"} <= set(tables)
    status, page = get(ui + "/news/articles")
    assert status == 200 and "Canonical URL: rel=canonical" in page


def test_full_text_search_and_facets(ui, archive):
    _, base = archive
    rows = get_json(ui + "/news/articles.json?_search=zeppelin&_shape=array")
    assert [r["url"] for r in rows] == [f"{base}/news/zeppelin.html"]
    table = get_json(ui + "/news/articles.json")
    assert {"site", "authors", "section", "published_at"} <= set(table["facet_results"])
    sites = {f["value"]: f["count"] for f in table["facet_results"]["site"]["results"]}
    assert sites == {"127.0.0.1": 5, "site1.example": 1}
    authors = {f["value"] for f in table["facet_results"]["authors"]["results"]}
    assert {"Ann O'Brien", "Li Wei", "Jane Doe"} <= authors


def test_canned_queries(ui, archive):
    _, base = archive
    latest = get_json(ui + "/news/latest_articles.json?_shape=array")
    assert latest[0]["url"] == f"{base}/news/zeppelin.html" and len(latest) == 6
    by_author = get_json(ui + "/news/articles_by_author.json?author=" + urllib.parse.quote("O'Brien") + "&_shape=array")
    assert [r["title"] for r in by_author] == ["Zeppelin hangar reopens as a museum"]
    changed = get_json(ui + "/news/changed_articles.json?_shape=array")
    assert [(r["title"], r["versions"]) for r in changed] == [(HOSTILE_TITLE, 2)]
    failures = get_json(ui + "/news/crawl_failures.json?_shape=array")
    assert [(r["url"], r["status"]) for r in failures] == [(f"{base}/missing.html", 404)]


def test_the_archive_is_read_only(ui, archive):
    db, _ = archive
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    status, text = get(ui + "/news.json?sql=" + urllib.parse.quote("DELETE FROM articles"))
    assert status == 400 and "must be a SELECT" in text
    status, _ = get(ui + "/news.db")
    assert status in (403, 404)  # no whole-file download
    assert get_json(ui + "/news.json?sql=select+count(*)+as+n+from+articles&_shape=array") == [{"n": 6}]
    # A stored raw response is a download, never a page the browser renders.
    with urllib.request.urlopen(ui + "/news/responses/1.blob?_blob_column=body", timeout=30) as resp:
        assert resp.headers["Content-Type"] == "application/binary"
        assert resp.headers["Content-Disposition"].startswith("attachment")
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


# --- a real browser -------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; .ci/run installs it)"
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--window-size=1280,1000", *args],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@needs_chromium
def test_search_in_a_real_browser(ui, archive, tmp_path):
    _, base = archive
    home = chromium(tmp_path, "--dump-dom", ui + "/news/articles").stdout
    assert 'name="_search"' in home  # the search box a person types into
    url = ui + "/news/articles?" + urllib.parse.urlencode({"_search": "zeppelin"})
    dom = chromium(tmp_path, "--dump-dom", url).stdout
    assert "Zeppelin hangar reopens as a museum" in dom
    assert f'href="{base}/news/zeppelin.html"' in dom  # article URLs are links
    assert "Harbour dredging" not in dom and "Story number 1" not in dom
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "browse-search.png"
    shot.unlink(missing_ok=True)
    chromium(tmp_path, f"--screenshot={shot}", url)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


@needs_chromium
def test_stored_markup_is_shown_as_text_never_run(ui, tmp_path):
    url = ui + "/news/articles?" + urllib.parse.urlencode({"_search": "hostile"})
    dom = chromium(tmp_path, "--dump-dom", "--virtual-time-budget=2000", url).stdout
    assert "Hostile" in dom
    assert "<title>pwned</title>" not in dom
    assert 'id="injected"' not in dom.replace('&lt;b id="injected"&gt;', "")
    assert "&lt;b id=" in dom and "&lt;script&gt;" in dom
    assert "<iframe" not in dom and "<img src=\"x\"" not in dom
    # Related links render as links, http(s) only.
    assert '<a href="https://safe.example/next" rel="nofollow noreferrer">Next</a>' in dom
    assert 'href="javascript:' not in dom
    article_id = get_json(ui + "/news/articles.json?_search=hostile&_shape=array")[0]["id"]
    row = chromium(tmp_path, "--dump-dom", f"{ui}/news/articles/{article_id}").stdout
    assert "&lt;iframe" in row and "<iframe" not in row


def test_the_reading_room_shows_stored_markup_as_text(ui):
    article_id = get_json(ui + "/news/articles.json?_search=hostile&_shape=array")[0]["id"]
    for path in ("/-/search?q=hostile", f"/news/articles/{article_id}", f"/news/articles/{article_id}/compare",
                 f"/news/articles/{article_id}?version=1", "/"):
        status, html = get(ui + path)
        assert status == 200, path
        assert "<script>document.title" not in html and 'id="injected"' not in html.replace("&lt;b id=", "")
        assert "<iframe" not in html and "<img src=x" not in html
    _, search = get(ui + "/-/search?q=hostile")
    assert "&lt;script&gt;document.title=" in search and "&lt;iframe id=&#34;framed&#34;" in search
    _, article = get(f"{ui}/news/articles/{article_id}")
    assert '<a href="https://safe.example/next" rel="nofollow noreferrer">Next</a>' in article
    assert 'href="javascript:' not in article
