"""Watching archived articles over a simulated clock (ARCHIVER_NOW): a loopback site whose
stories change, disappear (404, a redirect home, a soft 404) and return; the checks each
step makes (the server's log), versions and change records, gone and back, a comma
edit below min_change, the webhook each change sends, and front pages over time."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import FAST
from tests.support.pages import article_html, html_page, paragraphs
from tests.support.receiver import Receiver
from tests.support.server import FixtureSite, Page

T0 = datetime(2024, 3, 6, 8, 0, tzinfo=timezone.utc)
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

HARBOUR = "/news/harbour-dredging-delayed-by-storms.html"
ZEPPELIN = "/news/zeppelin-hangar-reopens-as-museum.html"
BUDGET = "/news/council-approves-new-budget-plan.html"
TRAM = "/news/tram-line-extension-opens-next-week.html"
STORIES = (HARBOUR, ZEPPELIN, BUDGET, TRAM)

NOT_FOUND = html_page("""<!doctype html><html><head><title>Page not found | Fixture Gazette</title></head>
<body><nav><a href="/">Home</a></nav><h1>Sorry</h1><p>We looked everywhere.</p></body></html>""")


def story(n: int, *, body: list[str] | None = None, title: str | None = None) -> Page:
    return html_page(article_html(n, title=title or f"Story {n} of the watched gazette", body=body or paragraphs(n)))


def home(paths) -> Page:
    items = "".join(f'<li><a href="{p}">Headline of {p.rsplit("/", 1)[1][:-5].replace("-", " ")}</a></li>'
                    for p in paths)
    return html_page(f"<!doctype html><html><head><title>Fixture Gazette</title></head><body>"
                     f"<nav><a href='/'>Home</a> <a href='/about.html'>About</a></nav>"
                     f"<main><h2>Top stories</h2><ul>{items}</ul></main></body></html>")


def at(delta: timedelta) -> str:
    return (T0 + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


class Clocked:
    """The installed CLI at a simulated time, against the archive in tmp_path."""

    def __init__(self, run_cli, monkeypatch, site: FixtureSite):
        self.run_cli, self.monkeypatch, self.site = run_cli, monkeypatch, site

    def __call__(self, delta: timedelta, *args: str):
        self.monkeypatch.setenv("ARCHIVER_NOW", at(delta))
        before = len(self.site.requests)
        result = self.run_cli(*args, "--db", "news.db")
        self.requested = [p for p in self.site.paths_requested()[before:] if p != "/robots.txt"]
        return result


@pytest.fixture
def gazette():
    pages = {path: story(i) for i, path in enumerate(STORIES, start=1)}
    pages["/"] = home(STORIES)
    pages["/robots.txt"] = Page(b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
    with FixtureSite(pages) as site, Receiver(fail_first=1) as receiver:
        yield site, receiver


def write_sources(folder: Path, site: FixtureSite, receiver: Receiver) -> None:
    (folder / "sources.toml").write_text(f"""
[[sources]]
name = "gazette"
follow = ["{site.url}/"]
depth = 1
allow = ["/news/"]
interval = "30d"
watch = "30d"
min_change = 2
notify = ["{receiver.url}/hook"]
""")


def changes_of(db: sqlite3.Connection) -> list[tuple]:
    return db.execute("SELECT c.kind, a.url, c.fields, c.words_added, c.words_removed, c.reason FROM changes c "
                      "JOIN articles a ON a.id = c.article_id ORDER BY c.id").fetchall()


def test_a_watched_site_over_a_simulated_month(gazette, run_cli, monkeypatch, tmp_path):
    site, receiver = gazette
    write_sources(tmp_path, site, receiver)
    crawl = Clocked(run_cli, monkeypatch, site)
    due = ("crawl", "--sources", "sources.toml", "--due", *FAST)
    url = {path: site.url + path for path in STORIES}

    # T0: the source's first run archives the four stories; each is watched from now.
    first = crawl(timedelta(0), *due)
    assert first.returncode == 0, first.stderr
    assert "4 archived, 0 updated, 0 unchanged, 0 not due, 1 skipped, 0 failed" in first.stderr
    assert crawl.requested[0] == "/" and sorted(crawl.requested[1:]) == sorted(STORIES)
    db = sqlite3.connect(tmp_path / "news.db")
    assert {r[0] for r in db.execute("SELECT next_check_at FROM watches")} == {"2024-03-06T09:00:00+00:00"}

    # Half an hour later nothing is due: no request at all.
    result = crawl(timedelta(minutes=30), *due)
    assert result.returncode == 0 and crawl.requested == []
    assert "gazette: not due until 2024-04-05T08:00:00+00:00" in result.stderr

    # One hour: the first check of each. Harbour was edited, zeppelin answers 404, budget
    # redirects to the home page, tram serves a "page not found" page with status 200.
    edited = paragraphs(1)
    edited[1] = "The harbour master said dredging would resume in April once the storms have passed. " + edited[1]
    site.pages[HARBOUR] = story(1, body=edited)
    zeppelin_page = site.pages.pop(ZEPPELIN)
    budget_page = site.pages[BUDGET]
    site.pages[BUDGET] = Page(b"", status=301, headers={"Location": "/"})
    site.pages[TRAM] = NOT_FOUND
    result = crawl(timedelta(hours=1), *due)
    assert result.returncode == 0, result.stderr
    assert sorted(crawl.requested) == sorted([*STORIES, "/"])  # "/" is where budget's redirect went
    assert "0 archived, 1 updated, 0 unchanged, 0 not due, 0 skipped, 0 failed, 3 gone, 4 watch checks" in result.stderr
    assert sorted(changes_of(db)) == [
        ("changed", url[HARBOUR], '["body"]', 14, 0, None),
        ("gone", url[BUDGET], "[]", None, None, f"sent to the home page ({site.url}/)"),
        ("gone", url[TRAM], "[]", None, None, 'soft 404: "Page not found" in the title'),
        ("gone", url[ZEPPELIN], "[]", None, None, "HTTP 404 Not Found"),
    ]
    gone = json.loads(run_cli("list", "--gone", "--json", "--db", "news.db").stdout)
    assert sorted(a["url"] for a in gone) == sorted([url[ZEPPELIN], url[BUDGET], url[TRAM]])
    assert {a["gone_at"] for a in gone} == {"2024-03-06T09:00:00+00:00"}

    # Two hours: every one changed, so every schedule started again (checks one hour on).
    # Zeppelin and budget are back as they were; harbour got a comma (below min_change 2);
    # tram is still gone (no new record).
    site.pages[ZEPPELIN] = zeppelin_page
    site.pages[BUDGET] = budget_page
    site.pages[HARBOUR] = story(1, body=[edited[0], edited[1].replace("April once", "April, once"), *edited[2:]])
    result = crawl(timedelta(hours=2), *due)
    assert sorted(crawl.requested) == sorted(STORIES)
    assert "0 archived, 0 updated, 3 unchanged, 0 not due, 0 skipped, 0 failed, 1 gone, 4 watch checks" in result.stderr
    reason = db.execute("SELECT reason FROM run_pages WHERE url = ? ORDER BY id DESC", [url[HARBOUR]]).fetchone()[0]
    assert reason.startswith("change below min_change (0 words in body; min_change 2 words)")
    assert db.execute("SELECT version FROM articles WHERE url = ?", [url[HARBOUR]]).fetchone() == (2,)
    assert sorted(c[:2] for c in changes_of(db)[4:]) == [("back", url[BUDGET]), ("back", url[ZEPPELIN])]
    assert json.loads(run_cli("list", "--gone", "--json", "--db", "news.db").stdout)[0]["url"] == url[TRAM]

    # The schedules now differ: zeppelin and budget (back) at 3h; harbour and tram at 2h + 3h.
    crawl(timedelta(hours=3), *due)
    assert sorted(crawl.requested) == sorted([ZEPPELIN, BUDGET])
    crawl(timedelta(hours=4, minutes=59), *due)
    assert crawl.requested == []
    site.pages[TRAM] = story(4, title="Tram line extension opens next week, the city says")
    result = crawl(timedelta(hours=5), *due)
    assert sorted(crawl.requested) == sorted([HARBOUR, TRAM])
    assert "0 archived, 1 updated, 1 unchanged" in result.stderr  # tram: back, with a new title
    assert [c[:3] for c in changes_of(db)[6:]] == [("back", url[TRAM], "[]"), ("changed", url[TRAM], '["title"]')]

    # Every change reached the webhook once; the first POST failed and was sent again.
    recorded = [r[0] for r in db.execute("SELECT id FROM changes ORDER BY id")]
    assert [body["change_id"] for body in receiver.delivered()] == recorded
    assert receiver.requests[0]["status"] == 500
    assert receiver.requests[1]["body"] == receiver.requests[0]["body"]
    assert len(receiver.requests) == len(recorded) + 1
    first_change = receiver.delivered()[0]
    assert first_change["event"] == "changed" and first_change["fields"] == ["body"]
    assert first_change["article"]["url"] == url[HARBOUR]
    assert "{+The harbour master said dredging would resume" in first_change["diff"]
    assert db.execute("SELECT status, attempts FROM notifications WHERE change_id = ?",
                      [recorded[0]]).fetchone() == ("sent", 2)
    (run_id,) = db.execute("SELECT run_id FROM notifications WHERE change_id = ?", [recorded[0]]).fetchone()
    assert f"  notifications to {receiver.url}/hook: 4 sent" in run_cli("runs", str(run_id), "--db", "news.db").stdout
    shown = json.loads(run_cli("runs", str(run_id), "--json", "--db", "news.db").stdout)
    assert shown["notifications"] == [{"target": f"{receiver.url}/hook", "status": "sent", "n": 4}]


@pytest.fixture
def gone_archive(gazette, run_cli, monkeypatch, tmp_path):
    """Two stories crawled as URLs; a day later one answers 404 (no watch: a due revisit)."""
    site, _ = gazette
    crawl = Clocked(run_cli, monkeypatch, site)
    urls = [site.url + HARBOUR, site.url + ZEPPELIN]
    assert "2 archived" in crawl(timedelta(0), "crawl", *urls, *FAST).stderr
    del site.pages[ZEPPELIN]
    result = crawl(timedelta(days=1), "crawl", *urls, *FAST)
    return site, result


def test_an_archived_article_that_answers_404_is_gone_not_failed(gone_archive, run_cli, tmp_path):
    site, result = gone_archive
    assert result.returncode == 0, result.stderr
    assert "0 archived, 0 updated, 1 unchanged, 0 not due, 0 skipped, 0 failed, 1 gone, 0 watch checks" in result.stderr
    assert f"gone: {site.url}{ZEPPELIN}: HTTP 404 Not Found" in result.stderr
    shown = run_cli("show", site.url + ZEPPELIN, "--db", "news.db").stdout
    assert "Gone since: 2024-03-07T08:00:00+00:00" in shown and "Gone because: HTTP 404 Not Found" in shown
    assert "Paragraph 1 of story 2" in shown  # the archived text stays
    assert run_cli("history", site.url + ZEPPELIN, "--db", "news.db").stdout.count("version 1") == 1
    listed = json.loads(run_cli("list", "--gone", "--json", "--db", "news.db").stdout)
    assert [(a["url"], a["gone_reason"]) for a in listed] == [(site.url + ZEPPELIN, "HTTP 404 Not Found")]
    exported = [json.loads(line) for line in
                run_cli("export", "-o", "-", "--db", "news.db", "-q").stdout.splitlines()]
    assert {r["url"]: r["gone_at"] for r in exported} == {site.url + HARBOUR: None,
                                                           site.url + ZEPPELIN: "2024-03-07T08:00:00+00:00"}
    csv_text = run_cli("export", "--format", "csv", "-o", "-", "--gone", "--db", "news.db", "-q").stdout
    assert csv_text.splitlines()[0].endswith("gone_at,gone_reason") and "HTTP 404 Not Found" in csv_text
    changes = json.loads(run_cli("changes", "--json", "--db", "news.db").stdout)
    assert [(c["kind"], c["reason"]) for c in changes] == [("gone", "HTTP 404 Not Found")]


def test_a_dead_webhook_holds_up_no_crawl_and_gets_what_it_missed(run_cli, monkeypatch, tmp_path):
    pages = {HARBOUR: story(1), ZEPPELIN: story(2)}
    with FixtureSite(pages) as site, Receiver(fail_first=10**6) as receiver:
        crawl = Clocked(run_cli, monkeypatch, site)
        urls = [site.url + HARBOUR, site.url + ZEPPELIN]
        hook = ("--notify", receiver.url + "/hook")
        assert "2 archived" in crawl(timedelta(0), "crawl", *urls, *hook, *FAST).stderr
        site.pages.clear()
        result = crawl(timedelta(days=1), "crawl", *urls, *hook, *FAST)
        assert result.returncode == 0 and "2 gone" in result.stderr
        # The first notification's three attempts failed: the second is left for the next crawl.
        assert len(receiver.requests) == 3
        assert "the next crawl tries again" in result.stderr
        db = sqlite3.connect(tmp_path / "news.db")
        query = "SELECT status, attempts FROM notifications ORDER BY id"
        assert db.execute(query).fetchall() == [("pending", 3), ("pending", 0)]
        receiver.fail_first = 0
        # A cron tick with nothing due still delivers what is pending.
        later = crawl(timedelta(days=1, minutes=5), "crawl", "--due", *FAST)
        assert later.returncode == 0 and crawl.requested == []
        assert sorted(b["article"]["url"] for b in receiver.delivered()) == sorted(urls)
        assert len(receiver.requests) == 5
        assert db.execute(query).fetchall() == [("sent", 4), ("sent", 1)]


def test_changes_lists_changes_and_removals_newest_first(gone_archive, run_cli, monkeypatch, tmp_path):
    from xml.etree import ElementTree

    site, _ = gone_archive
    crawl = Clocked(run_cli, monkeypatch, site)
    edited = paragraphs(1)
    edited[0] = "A correction: the dredging was delayed by two weeks, not three. " + edited[0]
    site.pages[HARBOUR] = story(1, body=edited)
    assert "1 updated" in crawl(timedelta(days=2), "crawl", site.url + HARBOUR, *FAST).stderr

    def changes(*args):
        result = run_cli("changes", *args, "--db", "news.db")
        assert result.returncode == 0, result.stderr
        return result.stdout

    # published_at changes too: at T0 the page's time (08:15 -05:00) was later than the
    # fetch, so version 1 kept the bare day.
    db = sqlite3.connect(tmp_path / "news.db")
    ids = dict(db.execute("SELECT url, id FROM articles"))
    lines = changes().splitlines()
    assert lines[0] == f"2024-03-08T08:00:00+00:00  changed [{ids[site.url + HARBOUR]} v1->v2] Story 1 of the watched gazette"
    assert lines[1] == "    published_at, body changed: +11 -0 words, 2% of the body"
    assert lines[3] == f"2024-03-07T08:00:00+00:00  gone    [{ids[site.url + ZEPPELIN]}] Story 2 of the watched gazette"
    assert lines[4] == "    HTTP 404 Not Found"
    assert [c["kind"] for c in json.loads(changes("--json"))] == ["changed", "gone"]
    assert [json.loads(line)["kind"] for line in changes("--since", "2024-03-08", "--nl").splitlines()] == ["changed"]
    assert changes("--site", "elsewhere.example") == ""
    assert [c["kind"] for c in json.loads(changes("--site", "127.0.0.1", "--json"))] == ["changed", "gone"]
    header, *rows = changes("--csv").splitlines()
    assert header.startswith("change_id,at,kind,article_id,site,title,fields") and len(rows) == 2
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ElementTree.fromstring(changes("--atom"))
    assert [e.find(f"{atom}title").text for e in feed.findall(f"{atom}entry")] == [
        "Changed: Story 1 of the watched gazette", "Gone: Story 2 of the watched gazette"]
    both = run_cli("changes", "--atom", "--json", "--db", "news.db")
    assert both.returncode == 2 and "choose one of --atom" in both.stderr

    shown = run_cli("diff", site.url + HARBOUR, "--db", "news.db").stdout
    assert "published_at, body changed: +11 -0 words, 2% of the body" in shown and "{+A correction:" in shown


def test_the_web_ui_shows_gone_articles_and_their_changes(gone_archive, tmp_path):
    from xml.etree import ElementTree

    from tests.support.browser import CHROMIUM, Browser, running_browse

    site, _ = gone_archive
    db = sqlite3.connect(tmp_path / "news.db")
    (gone_id,) = db.execute("SELECT id FROM articles WHERE url = ?", [site.url + ZEPPELIN]).fetchone()
    with running_browse(tmp_path / "news.db") as base:
        article = urlopen_text(f"{base}/news/articles/{gone_id}")
        assert 'class="notice gone"' in article and "This article is gone since 7 March 2024, 08:00 UTC" in article
        assert "HTTP 404 Not Found" in article and "Paragraph 1 of story 2" in article
        changes = urlopen_text(base + "/-/changes")
        assert "change-gone" in changes and f'href="/news/articles/{gone_id}"' in changes
        assert 'type="application/atom+xml"' in urlopen_text(base + "/")
        feed = ElementTree.fromstring(urlopen_text(base + "/-/changes.atom"))
        atom = "{http://www.w3.org/2005/Atom}"
        (entry,) = feed.findall(f"{atom}entry")
        assert entry.find(f"{atom}title").text == "Gone: Story 2 of the watched gazette"
        assert entry.find(f"{atom}link").get("href") == f"{base}/news/articles/{gone_id}"
        gone_query = urlopen_text(base + "/news/gone_articles")
        assert "HTTP 404 Not Found" in gone_query
        if CHROMIUM is not None:  # the gone notice on a phone, as a reader meets it
            with Browser() as browser:
                browser.open(f"{base}/news/articles/{gone_id}", width=390)
                ARTIFACTS.mkdir(exist_ok=True)
                browser.screenshot(ARTIFACTS / "reading-room-gone-article-390.png")
                assert browser.scroll_width() == (390, 390)
                assert browser.js("document.querySelector('.notice.gone').textContent").startswith(
                    "This article is gone since")


def urlopen_text(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return response.read().decode("utf-8")


def test_front_page_positions_over_three_fetches(gazette, run_cli, monkeypatch, tmp_path):
    site, _ = gazette
    crawl = Clocked(run_cli, monkeypatch, site)
    front = site.url + "/"
    orders = [STORIES, (ZEPPELIN, HARBOUR, TRAM), (ZEPPELIN, HARBOUR, TRAM)]
    for hours, order in enumerate(orders):
        site.pages["/"] = home(order)
        result = crawl(timedelta(hours=hours), "crawl", "--follow", front, "--depth", "0", *FAST)
        assert result.returncode == 0 and crawl.requested == ["/"], result.stderr

    def frontpage(*args):
        result = run_cli("frontpage", *args, "--db", "news.db", "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    latest = frontpage(front)
    assert [(r["position"], r["url"]) for r in latest] == [(1, site.url + ZEPPELIN), (2, site.url + HARBOUR),
                                                           (3, site.url + TRAM)]
    assert latest[0]["text"] == "Headline of zeppelin hangar reopens as museum"
    first = frontpage(front, "--at", "2024-03-06T08:30:00Z")
    assert [r["url"] for r in first] == [site.url + p for p in STORIES]
    assert [(r["fetched_at"], r["position"]) for r in frontpage(site.url + HARBOUR)] == [
        ("2024-03-06T08:00:00+00:00", 1), ("2024-03-06T09:00:00+00:00", 2), ("2024-03-06T10:00:00+00:00", 2)]
    assert [r["fetched_at"] for r in frontpage(site.url + BUDGET)] == ["2024-03-06T08:00:00+00:00"]

    # The third fetch showed what the second did: it points at it instead of storing the links again.
    db = sqlite3.connect(tmp_path / "news.db")
    assert db.execute("SELECT links, same_as FROM frontpages ORDER BY id").fetchall() == [(4, None), (3, None), (3, 2)]
    assert db.execute("SELECT COUNT(*) FROM frontpage_links").fetchone() == (7,)
    assert db.execute("SELECT COUNT(*) FROM frontpage_positions").fetchone() == (10,)

    text = run_cli("frontpage", front, "--db", "news.db")
    assert text.returncode == 0 and "fetched 2024-03-06T10:00:00+00:00: 3 stories" in text.stderr
    unknown = run_cli("frontpage", site.url + "/elsewhere", "--db", "news.db")
    assert unknown.returncode == 1 and "is neither a front page nor a story on one" in unknown.stderr
    early = run_cli("frontpage", front, "--at", "2024-03-05", "--db", "news.db")
    assert early.returncode == 1 and "was not fetched by 2024-03-05" in early.stderr


def test_an_ad_hoc_watch_is_checked_by_crawl_due(gazette, run_cli, monkeypatch, tmp_path):
    site, _ = gazette
    site.pages[HARBOUR].headers["ETag"] = '"harbour-1"'
    crawl = Clocked(run_cli, monkeypatch, site)
    assert "1 archived" in crawl(timedelta(0), "crawl", site.url + HARBOUR, "--watch", "2h", *FAST).stderr
    assert "Watched: 0 checks, next check 2024-03-06T09:00:00+00:00" in run_cli(
        "show", site.url + HARBOUR, "--db", "news.db").stdout
    early = crawl(timedelta(minutes=59), "crawl", "--due", *FAST)
    assert early.returncode == 0 and "no watch checks due" in early.stderr and crawl.requested == []
    result = crawl(timedelta(hours=1), "crawl", "--due", *FAST)
    assert result.returncode == 0 and crawl.requested == [HARBOUR]
    # The check is a conditional request; the 304 is "unchanged".
    assert site.requests[-1][2].get("If-None-Match") == '"harbour-1"'
    assert "not modified (HTTP 304)" in run_cli("runs", "2", "--db", "news.db").stdout
    assert "1 unchanged, 0 not due, 0 skipped, 0 failed, 0 gone, 1 watch check" in result.stderr
    # The next interval (3 hours) would end after the 2-hour window: the watch is over.
    assert "Watched: 1 checks, window over" in run_cli("show", site.url + HARBOUR, "--db", "news.db").stdout
    assert crawl(timedelta(days=1), "crawl", "--due", *FAST).returncode == 0 and crawl.requested == []


def test_watch_given_for_an_article_archived_before_watches_it(gazette, run_cli, monkeypatch, tmp_path):
    site, _ = gazette
    crawl = Clocked(run_cli, monkeypatch, site)
    assert "1 archived" in crawl(timedelta(0), "crawl", site.url + HARBOUR, *FAST).stderr
    # Not due for a revisit, so not fetched; watched from now on all the same.
    result = crawl(timedelta(hours=2), "crawl", site.url + HARBOUR, "--watch", "30d", *FAST)
    assert "1 not due" in result.stderr and crawl.requested == []
    assert "Watched: 0 checks, next check 2024-03-06T11:00:00+00:00" in run_cli(
        "show", site.url + HARBOUR, "--db", "news.db").stdout
    assert crawl(timedelta(hours=3), "crawl", "--due", *FAST).returncode == 0 and crawl.requested == [HARBOUR]


@pytest.mark.parametrize(("args", "message"), [
    (("--watch", "soon"), "not a duration: 'soon'"),
    (("--notify", "ftp://hooks.example/x"), "notify: 'ftp://hooks.example/x' is not an http(s) URL"),
    (("-s", "ARCHIVER_MIN_CHANGE=lots"), "min_change: 'lots' is not a number of words"),
])
def test_bad_watch_options_are_usage_errors(run_cli, args, message):
    result = run_cli("crawl", "https://example.com/news/a-story-here.html", *args, "--db", "a.db")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("crawl", "--due", "https://example.com/news/a-story-here.html"), "--due runs what is due: give no URLs"),
    (("crawl", "--due", "--follow"), "--due runs what is due: give no URLs or mode"),
    (("enqueue", "--due", "--redis", "redis://127.0.0.1:9/0"), "--due goes with --sources"),
])
def test_due_without_a_sources_file_takes_nothing_else(run_cli, args, message):
    result = run_cli(*args, "--db", "a.db")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(("entry", "message"), [
    ('watch = "a month"', "not a duration: 'a month'"),
    ("min_change = -3", "min_change: -3 is below 0"),
    ('notify = "mailto:desk@example.org"', "is not an http(s) URL"),
])
def test_bad_watch_keys_in_a_sources_file_are_clear(run_cli, tmp_path, entry, message):
    (tmp_path / "s.toml").write_text(f'[[sources]]\nname = "x"\nurls = ["https://example.com/a"]\n{entry}\n')
    result = run_cli("crawl", "--sources", "s.toml", "--db", "a.db")
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr


def test_a_source_that_starts_watching_watches_what_it_archived_before(gazette, run_cli, monkeypatch, tmp_path):
    site, _ = gazette
    crawl = Clocked(run_cli, monkeypatch, site)
    source = f'[[sources]]\nname = "gazette"\nurls = ["{site.url}{HARBOUR}"]\ninterval = "30d"\n'
    (tmp_path / "sources.toml").write_text(source)
    due = ("crawl", "--sources", "sources.toml", "--due", *FAST)
    assert "1 archived" in crawl(timedelta(0), *due).stderr
    assert crawl(timedelta(hours=2), *due).returncode == 0 and crawl.requested == []  # no watch yet
    (tmp_path / "sources.toml").write_text(source + 'watch = "30d"\n')
    result = crawl(timedelta(hours=3), *due)
    assert "gazette: not due until 2024-04-05T08:00:00+00:00; 1 watch check due" in result.stderr
    assert crawl.requested == [HARBOUR] and "1 watch check" in result.stderr
    # A window shorter than the article's age ends its watch.
    (tmp_path / "sources.toml").write_text(source + 'watch = "5h"\n')
    crawl(timedelta(hours=7), *due)
    assert crawl.requested == []
    db = sqlite3.connect(tmp_path / "news.db")
    assert db.execute("SELECT window, checks, next_check_at FROM watches").fetchone() == (18000.0, 1, None)
    # A cron tick reads only the pages of runs after the last one it enrolled.
    assert db.execute("SELECT source, run_id FROM watch_enrolment").fetchall() == [("gazette", 2)]


def test_an_archive_from_before_watching_is_upgraded_when_read(run_cli, tmp_path):
    import sqlite_utils

    from archiver.store.schema import migrations

    db = sqlite_utils.Database(tmp_path / "news.db")
    migrations.apply(db, stop_before="m010_change_records")
    db.conn.close()
    for args in (("list", "--gone"), ("changes",), ("frontpage", "https://example.com/")):
        result = run_cli(*args, "--db", "news.db")
        assert "Traceback" not in result.stderr and "no such" not in result.stderr, result.stderr
    assert run_cli("changes", "--db", "news.db").returncode == 0
    assert "m015_watch_enrolment" in {r[0] for r in sqlite3.connect(tmp_path / "news.db").execute(
        "SELECT name FROM _sqlite_migrations")}
