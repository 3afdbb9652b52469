"""Per-site rules: the first source of the fields they set, read from the page extraction reads."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from archiver.extract import extract_article
from archiver.extract.sites import Site, SiteRules, Sites
from archiver.sources import SourcesError, load_sources
from tests.support.pages import article_html, paragraphs

URL = "https://news.example/city/budget.html"
JAN, JULY = datetime(2024, 1, 10, tzinfo=timezone.utc), datetime(2024, 7, 10, tzinfo=timezone.utc)


def page_with_two_titles() -> str:
    return article_html(4).replace("<h1>", '<h2 class="old-title">Old layout title</h2>'
                                           '<h2 class="new-title">New layout title</h2><h1>')


def test_selectors_read_the_page_extraction_decoded():
    # Labelled UTF-8 but written in windows-1252: the site's title must read as the rest does.
    html = article_html(2).replace("<h1>", '<h2 class="real">Stadtrat beschließt Haushalt</h2><h1>')
    body = html.replace('<meta charset="utf-8">', "").encode("cp1252", errors="replace")
    record = extract_article(body, URL, content_type="text/html; charset=utf-8",
                             site=Site.of_selectors("x", {"title": "h2.real"}))
    assert record["title"] == "Stadtrat beschließt Haushalt"
    assert record["provenance"]["title"] == "site"


def test_site_rules_are_the_first_source_of_their_fields():
    html = article_html(3).replace('<p class="byline">', '<span class="writer">Ann Lee and Bo Chen</span><p class="byline">')
    html = html.replace('<div class="article-body">', '<div class="article-body"><p class="teaser">A teaser line.</p>')
    site = Site.of_selectors("x", {"byline": "span.writer", "published_at": "time@datetime",
                                   "body": "div.article-body p:not(.teaser)"})
    record = extract_article(html, URL, site=site)
    assert record["authors"] == ["Ann Lee", "Bo Chen"]
    assert record["byline"] == "Ann Lee and Bo Chen"
    assert record["published_at"] == "2024-03-06T08:15:00-05:00"
    assert record["body"].split("\n\n") == paragraphs(3)
    assert {record["provenance"][f] for f in ("authors", "byline", "published_at", "body")} == {"site"}
    assert record["is_article"]


def test_a_selector_that_finds_nothing_leaves_the_field_to_extraction():
    record = extract_article(article_html(3), URL, site=Site.of_selectors("x", {"title": "h5.none"}))
    assert record["title"] == "Story number 3 about the city budget"
    assert record["provenance"]["title"] != "site"


def test_rules_of_the_day_the_page_was_fetched():
    site = Site("gazette", (SiteRules({"title": "h2.old-title"}),
                            SiteRules({"title": "h2.new-title"}, valid_from=date(2024, 6, 1))))
    html = page_with_two_titles()
    assert extract_article(html, URL, fetched_at=JAN, site=site)["title"] == "Old layout title"
    assert extract_article(html, URL, fetched_at=JULY, site=site)["title"] == "New layout title"


def test_no_rules_before_a_sites_first_version():
    site = Site("gazette", (SiteRules({"title": "h2.new-title"}, valid_from=date(2024, 6, 1)),))
    assert site.rules_at(JAN) is None
    assert extract_article(page_with_two_titles(), URL, fetched_at=JAN, site=site)["provenance"]["title"] != "site"


@pytest.mark.parametrize("url, name", [
    ("https://news.example/a.html", "gazette"),
    ("https://www.news.example/a.html", "gazette"),
    ("https://sport.news.example/a.html", "gazette"),
    ("https://other.example/a.html", None),
    ("", None),
])
def test_registry_chooses_by_host(url, name):
    sites = Sites([Site("gazette", (SiteRules({"title": "h1"}),), hosts=("news.example",))])
    found = sites.for_url(url)
    assert (found.name if found else None) == name


def test_sources_give_their_selectors_for_their_seed_hosts(tmp_path):
    (tmp_path / "s.toml").write_text("""
[[sources]]
name = "gazette"
follow = ["https://www.news.example/city/"]
feeds = ["https://feeds.news.example/rss"]
[sources.selectors]
title = "h2.real-title"

[[sources]]
name = "plain"
urls = ["https://plain.example/story"]
""")
    sites = Sites.of_selectors((s.name, s.selectors, s.seed_urls) for s in load_sources(tmp_path / "s.toml"))
    [gazette] = sites.sites
    assert gazette.hosts == ("news.example", "feeds.news.example")
    assert gazette.rules_at(JULY).selectors == {"title": "h2.real-title"}
    assert sites.for_url("https://plain.example/story") is None


def test_a_bad_selector_is_an_error_in_the_sources_file(tmp_path):
    (tmp_path / "s.toml").write_text('[[sources]]\nname = "x"\nurls = ["https://x.example/a"]\n'
                                     '[sources.selectors]\ntitle = "h1[["\n')
    with pytest.raises(SourcesError, match="selectors.title: .h1\\[\\[. is not a CSS selector"):
        load_sources(tmp_path / "s.toml")


def test_extract_command_reads_with_the_sources_selectors(run_cli, tmp_path):
    (tmp_path / "page.html").write_text(page_with_two_titles(), encoding="utf-8")
    (tmp_path / "s.toml").write_text('[[sources]]\nname = "gazette"\nfollow = ["https://news.example/"]\n'
                                     '[sources.selectors]\ntitle = "h2.new-title"\n')
    ruled = run_cli("extract", "page.html", "--url", URL, "--sources", "s.toml")
    other = run_cli("extract", "page.html", "--url", "https://other.example/a.html", "--sources", "s.toml")
    assert ruled.returncode == 0 and other.returncode == 0, ruled.stderr + other.stderr
    ruled, other = json.loads(ruled.stdout), json.loads(other.stdout)
    assert (ruled["title"], ruled["provenance"]["title"]) == ("New layout title", "site")
    assert other["title"] == "Story number 4 about the city budget"


def test_extract_command_refuses_a_broken_sources_file(run_cli, tmp_path):
    (tmp_path / "page.html").write_text(article_html(1), encoding="utf-8")
    (tmp_path / "s.toml").write_text("[[sources]\n")
    result = run_cli("extract", "page.html", "--url", URL, "--sources", "s.toml")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
