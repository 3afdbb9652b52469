"""Access status (paywalls, walls, challenges, soft 404s, script-only pages), a
source's cookies, and the detected language: real crawls of loopback fixture sites."""

from __future__ import annotations

import gzip
import json
import subprocess

import pytest

from archiver.extract import extract_article
from archiver.extract.language import choose_language, detect_language
from tests.conftest import FAST, archiver_cmd
from tests.support.pages import html_page
from tests.support.server import FixtureSite
from tests.support.walls import FRENCH, GERMAN, SUBSCRIBER_COOKIE, paywall_handler, paywalled, wall_site


def _cli(*args, cwd):
    return subprocess.run([*archiver_cmd(), *args], cwd=cwd, capture_output=True, text=True, timeout=180)


def _sql(db, query, cwd, *params):
    result = _cli("sql", query, "--db", str(db), *params, "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def walls(tmp_path_factory):
    """One crawl of every wall page and the three languages; (db, base URL, folder, crawl result)."""
    folder = tmp_path_factory.mktemp("walls")
    with FixtureSite(wall_site()) as site:
        urls = [site.url + path for path in wall_site()]
        result = _cli("crawl", *urls, "--db", "news.db", *FAST, cwd=folder)
        yield folder / "news.db", site.url, folder, result


@pytest.mark.parametrize(("path", "access", "reason"), [
    ("/news/free.html", "free", None),
    ("/news/paywalled.html", "paywalled", None),
    # Walls are not the article: skipped with the evidence, never stored as one.
    ("/news/consent.html", "consent-wall", "consent-wall: consent text 'Wir und unsere Partner' and "),
    ("/news/challenge.html", "bot-challenge", "bot-challenge: challenge markup '/cdn-cgi/challenge-platform'"),
    ("/news/gone.html", "soft-404", 'soft-404: "Sorry, we couldn\'t find that page" in the title'),
    ("/news/app.html", "js-required", "js-required: 296 words only in script data (__NEXT_DATA__)"),
])
def test_every_fetch_records_its_access_status(walls, path, access, reason):
    db, base, folder, _ = walls
    rows = _sql(db, "SELECT f.access, f.outcome, p.reason FROM fetches f JOIN run_pages p USING (url) "
                "WHERE url = :u", folder, "-p", "u", base + path)
    assert rows[0]["access"] == access
    assert rows[0]["reason"] is None if reason is None else rows[0]["reason"].startswith(reason)
    assert rows[0]["outcome"] == ("skipped" if reason else "archived")


def test_a_paywalled_teaser_is_stored_with_its_status_and_evidence(walls):
    db, base, folder, _ = walls
    shown = _cli("show", base + "/news/paywalled.html", "--db", str(db), "--json", cwd=folder)
    article = json.loads(shown.stdout)
    assert article["access"] == "paywalled"
    assert "JSON-LD isAccessibleForFree false" in article["access_evidence"]
    assert "body 75 of 447 declared words" in article["access_evidence"]
    text = _cli("show", base + "/news/paywalled.html", "--db", str(db), cwd=folder).stdout
    assert "Access: paywalled (JSON-LD isAccessibleForFree false" in text
    exported = _cli("export", "--format", "jsonl", "-o", "-", "--db", str(db), cwd=folder).stdout
    teaser = next(json.loads(line) for line in exported.splitlines() if "paywalled" in line)
    assert teaser["access"] == "paywalled"


@pytest.mark.parametrize(("path", "language", "declared"), [
    ("/news/de.html", "de", "en"),  # German marked as English
    ("/news/fr.html", "fr", None),  # French with no lang attribute
    ("/news/es.html", "es", "fr"),  # Spanish marked as French
    ("/news/free.html", "en", "en"),
    ("/news/short-de.html", "de", "de"),  # too short to tell: the declared language
])
def test_language_is_detected_from_the_text_and_the_declared_one_kept(walls, path, language, declared):
    db, base, folder, _ = walls
    rows = _sql(db, "SELECT language, declared_language, provenance FROM articles WHERE url = :u",
                folder, "-p", "u", base + path)
    assert (rows[0]["language"], rows[0]["declared_language"]) == (language, declared)
    source = json.loads(rows[0]["provenance"])["language"]
    # Detected from the text (a heuristic), or where the declaration came from.
    assert source == ("dom" if path == "/news/short-de.html" else "heuristic")


def test_a_language_mismatch_is_visible_in_show_and_stats(walls):
    db, base, folder, _ = walls
    text = _cli("show", base + "/news/de.html", "--db", str(db), cwd=folder).stdout
    assert "Language: de (the page declares en)" in text
    stats = json.loads(_cli("stats", "--db", str(db), "--json", cwd=folder).stdout)
    by_language = {row["language"]: row for row in stats["languages"]}
    assert by_language["es"]["mismatched"] == 1 and by_language["fr"]["mismatched"] == 0
    assert by_language["de"] == {"site": "127.0.0.1", "language": "de", "articles": 2, "mismatched": 1}


def test_stats_report_access_rates_per_site(walls):
    db, _, folder, _ = walls
    stats = json.loads(_cli("stats", "--db", str(db), "--json", cwd=folder).stdout)
    (row,) = stats["access"]
    assert row["site"] == "127.0.0.1" and row["pages"] == 10
    assert (row["free"], row["paywalled"], row["consent-wall"], row["bot-challenge"], row["soft-404"],
            row["js-required"]) == (5, 1, 1, 1, 1, 1)
    text = _cli("stats", "--db", str(db), cwd=folder).stdout
    assert "127.0.0.1 (10 pages): free 5 (50%), " in text and "paywalled 1 (10%)" in text


@pytest.mark.parametrize(("command", "languages", "expected"), [
    ("list", "de,fr", {"/news/de.html", "/news/fr.html", "/news/short-de.html"}),
    ("search", "es", {"/news/es.html"}),
    ("export", "fr", {"/news/fr.html"}),
])
def test_lang_filters_list_search_and_export(walls, command, languages, expected):
    db, base, folder, _ = walls
    args = {"list": ["list", "--json"], "search": ["search", "presupuesto OR budget OR Haushalt", "--json"],
            "export": ["export", "--format", "jsonl", "-o", "-"]}[command]
    result = _cli(*args, "--lang", languages, "--db", str(db), cwd=folder)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout) if command != "export" else [json.loads(x) for x in result.stdout.splitlines()]
    assert {r["url"].removeprefix(base) for r in rows} == expected


def test_lang_rejects_what_is_not_a_language_code(walls):
    db, _, folder, _ = walls
    result = _cli("list", "--lang", "german", "--db", str(db), cwd=folder)
    assert result.returncode == 2 and "not a language code" in result.stderr


def test_crawl_lang_skips_other_languages_with_the_reason(run_cli, tmp_path):
    with FixtureSite(wall_site()) as site:
        urls = [site.url + p for p in ("/news/de.html", "/news/fr.html", "/news/es.html")]
        result = run_cli("crawl", *urls, "--lang", "de,fr", "--db", "a.db", *FAST)
    assert result.returncode == 0, result.stderr
    runs = json.loads(run_cli("runs", "1", "--db", "a.db", "--json").stdout)
    outcomes = {p["url"].removeprefix(site.url): (p["outcome"], p["reason"]) for p in runs["pages"]}
    assert outcomes["/news/es.html"] == ("skipped", "language es (the crawl keeps de, fr)")
    assert outcomes["/news/de.html"][0] == outcomes["/news/fr.html"][0] == "archived"


COOKIES_TXT = "# Netscape HTTP Cookie File\n# a subscriber's browser export\n" + "".join(
    f"{domain}\t{'TRUE' if domain.startswith('.') else 'FALSE'}\t/\tFALSE\t0\t{name}\t{value}\n"
    for domain, name, value in [("127.0.0.1", *SUBSCRIBER_COOKIE), (".other.example", "theirs", "not-sent")]
)


def test_a_sources_cookies_file_unlocks_a_subscribers_full_text(run_cli, tmp_path):
    name, value = SUBSCRIBER_COOKIE
    with FixtureSite({}) as elsewhere:
        elsewhere.pages["/story.html"] = html_page(paywalled(True))

        def off_site(handler):  # a redirect to another site (another port: another site)
            handler.send_response(302)
            handler.send_header("Location", elsewhere.url + "/story.html")
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        with FixtureSite({"/news/paywalled.html": paywall_handler, "/news/moved.html": off_site}) as site:
            (tmp_path / "cookies.txt").write_text(COOKIES_TXT)
            (tmp_path / "sources.toml").write_text(
                f'[[sources]]\nname = "paper"\ncookies = "cookies.txt"\n'
                f'urls = ["{site.url}/news/paywalled.html", "{site.url}/news/moved.html"]\n')
            result = run_cli("crawl", "--sources", "sources.toml", "--db", "a.db", "-v", "--warc", "warcs", *FAST)
    assert result.returncode == 0, result.stderr
    shown = json.loads(run_cli("show", site.url + "/news/paywalled.html", "--db", "a.db", "--json").stdout)
    assert shown["access"] == "free" and shown["word_count"] == 447
    # Sent to the site it belongs to, never beyond it.
    assert all(f"{name}={value}" in h.get("Cookie", "") for _, p, h in site.requests if p != "/robots.txt")
    assert elsewhere.requests and not any("Cookie" in h for _, _, h in elsewhere.requests)
    # Never in logs, the run history, exports or the raw headers stored.
    assert value not in result.stderr + result.stdout
    dumped = run_cli("sql", "SELECT * FROM runs", "--db", "a.db", "--json").stdout
    dumped += run_cli("sql", "SELECT url, headers, header_list FROM responses", "--db", "a.db", "--json").stdout
    dumped += b"".join(gzip.decompress(p.read_bytes()) for p in (tmp_path / "warcs").rglob("*.warc.gz")).decode(
        "latin-1")
    assert "WARC/1" in dumped
    dumped += run_cli("export", "--format", "jsonl", "-o", "-", "--db", "a.db").stdout
    assert value not in dumped and "Set-Cookie" not in dumped


def test_without_the_cookies_the_same_page_is_a_teaser(run_cli):
    with FixtureSite({"/news/paywalled.html": paywall_handler}) as site:
        assert run_cli("crawl", site.url + "/news/paywalled.html", "--db", "a.db", *FAST).returncode == 0
    shown = json.loads(run_cli("show", site.url + "/news/paywalled.html", "--db", "a.db", "--json").stdout)
    assert shown["access"] == "paywalled" and shown["word_count"] == 75


@pytest.mark.parametrize(("content", "message"), [
    (None, "no cookies file at"),
    ("session=abc\n", "is not a cookies.txt file in the Netscape format"),
])
def test_an_unusable_cookies_file_is_a_clear_error(run_cli, tmp_path, content, message):
    if content is not None:
        (tmp_path / "cookies.txt").write_text(content)
    (tmp_path / "s.toml").write_text('[[sources]]\nname = "x"\ncookies = "cookies.txt"\n'
                                     'urls = ["http://127.0.0.1:9/a.html"]\n')
    result = run_cli("crawl", "--sources", "s.toml", "--db", "a.db")
    assert result.returncode == 1
    assert message in result.stderr and "source 'x': cookies:" in result.stderr
    assert "Traceback" not in result.stderr and "abc" not in result.stderr


# --- the pure functions ----------------------------------------------------------
def test_a_page_that_says_it_is_not_found_is_a_soft_404_by_the_one_rule():
    # extract.article_check.soft_404 decides, for the access status as for watched articles.
    record = extract_article("<html><head><title>Seite nicht gefunden – Fixture Zeitung</title></head><body>"
                             "<p>Leider nichts.</p></body></html>".encode(), "http://a.example/news/x.html")
    assert (record["access"], record["access_evidence"]) == ("soft-404", '"Seite nicht gefunden" in the title')
    long = extract_article(("<html><head><title>Seite nicht gefunden</title></head><body><article>"
                            + "".join(f"<p>Teil {i}: {' '.join(GERMAN[i * 9:] + GERMAN[:i * 9])}</p>" for i in range(3))
                            + "</article></body></html>").encode(),
                           "http://a.example/news/y.html")
    assert long["access"] != "soft-404"


def test_a_subscribers_full_text_is_free_though_the_page_is_not():
    record = extract_article(paywalled(True).encode(), "http://a.example/news/story.html")
    assert (record["access"], record["access_evidence"]) == ("free", None)


def test_language_detection_and_its_fallback():
    assert detect_language("Kurz.") is None
    assert detect_language(" ".join(FRENCH))[0] == "fr"
    assert choose_language(" ".join(GERMAN), "de-AT") == ("de-AT", "detected")
    assert choose_language(" ".join(GERMAN), "en-GB") == ("de", "detected")
    assert choose_language("Kurz.", "de-AT") == ("de-AT", "declared")


def test_a_registration_wall_is_told_from_a_paywall():
    html = paywalled(False).replace("Subscribe to continue reading. Already a subscriber?",
                                    "Register for free to continue reading this story.")
    html = html.replace('class="paywall-overlay"', 'class="regwall"')
    record = extract_article(html.encode(), "http://a.example/news/story.html")
    assert record["access"] == "registration"
    assert "registration markup 'regwall'" in record["access_evidence"]


@pytest.mark.parametrize("banner", [
    '<div class="cookie-consent"><p>We and our partners use cookies. Accept all cookies?</p></div>',
    '<nav><a class="subscriber-only" href="/plus">Subscriber-only stories</a></nav>',
    '<p class="paywall-note">Subscribe to read more stories like this.</p>',
])
def test_a_full_article_with_a_banner_or_wall_markup_is_free(banner):
    html = paywalled(True).replace("<main>", f"<main>{banner}")
    record = extract_article(html.encode(), "http://a.example/news/story.html")
    assert (record["access"], record["access_evidence"]) == ("free", None)


def test_a_304_or_a_failure_keeps_the_access_status_of_the_last_full_response(tmp_path):
    from archiver.store.writer import FAILED, SKIPPED, UNCHANGED, ArchiveWriter, Fetched

    url = "http://127.0.0.1:9/news/teaser.html"
    writer = ArchiveWriter(tmp_path / "a.db")
    writer.start_run(spider="article", mode="urls")
    record = {"url": url, "title": "A teaser", "body": "The first lines.", "content_hash": "h1",
              "access": "paywalled", "access_evidence": "paywall text"}
    writer.add_article(Fetched(requested_url=url, record=record, fetched_at="2024-03-06T08:15:00+00:00"))
    writer.flush()
    access = lambda: writer.db.execute("SELECT access FROM fetches WHERE url = ?", [url]).fetchone()[0]  # noqa: E731
    assert access() == "paywalled"
    writer.add_outcome(url, UNCHANGED, "not modified", 304)
    writer.flush()
    assert access() == "paywalled"
    writer.add_outcome(url, FAILED, "HTTP 503 Service Unavailable", 503)
    writer.flush()
    assert access() == "paywalled"
    writer.add_outcome(url, SKIPPED, "consent-wall: we and our partners", 200, access="consent-wall")
    writer.flush()
    assert access() == "consent-wall"
    writer.close()
