"""JSON-LD and <meta> reading, and the orchestrator's never-raise promise."""

from __future__ import annotations

import json

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.extract import FIELDS, extract_article
from archiver.extract.article_check import check_article
from archiver.extract.decode import decode_html
from archiver.extract.structured import (
    STORY_TYPES,
    json_ld_fields,
    json_ld_objects,
    main_article,
    meta_fields,
    meta_tags,
)


def tree_of(head: str, body: str = "") -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(f"<html><head>{head}</head><body>{body or '<p>x</p>'}</body></html>")


def ld(data) -> str:
    text = data if isinstance(data, str) else json.dumps(data)
    return f'<script type="application/ld+json">{text}</script>'


ARTICLE = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Reef story",
           "author": {"@type": "Person", "name": "Priya Raman"}, "datePublished": "2023-09-14T06:30:00+02:00"}


@pytest.mark.parametrize(
    "script",
    [
        ld(ARTICLE),
        ld([{"@type": "BreadcrumbList"}, ARTICLE]),
        ld({"@context": "https://schema.org", "@graph": [{"@type": "WebSite", "name": "Site"}, ARTICLE]}),
        ld({"@type": "WebPage", "mainEntity": ARTICLE}),
        ld(dict(ARTICLE, **{"@type": ["ReportageNewsArticle", "Thing"]})),
        ld(dict(ARTICLE, **{"@type": "http://schema.org/BlogPosting"})),
        # Broken but common: trailing commas, HTML comments, CDATA, raw newlines in strings.
        ld(json.dumps(ARTICLE)[:-1] + ",}"),
        ld("<!--" + json.dumps(ARTICLE) + "-->"),
        ld("//<![CDATA[\n" + json.dumps(ARTICLE) + "\n//]]>"),
        ld(json.dumps(ARTICLE).replace("Reef story", "Reef\nstory").replace("\\n", "\n")),
    ],
)
def test_article_found_in_json_ld_shapes(script):
    fields = json_ld_fields(json_ld_objects(tree_of(script)), "https://example.com/a")
    assert fields["title"].replace("\n", " ") == "Reef story"
    assert fields["authors"] == ["Priya Raman"]
    assert fields["published"] == "2023-09-14T06:30:00+02:00"


def test_graph_author_references_are_resolved():
    graph = {"@graph": [{"@type": "Person", "@id": "#p1", "name": "Tomasz Nowak"},
                        {"@type": "Organization", "@id": "#org", "name": "Northline"},
                        dict(ARTICLE, author=[{"@id": "#p1"}], publisher={"@id": "#org"})]}
    fields = json_ld_fields(json_ld_objects(tree_of(ld(graph))))
    assert fields["authors"] == ["Tomasz Nowak"] and fields["publisher"] == "Northline"


def test_the_object_for_this_url_wins():
    other = dict(ARTICLE, headline="Other story", url="https://example.com/other")
    mine = dict(ARTICLE, headline="My story", url="https://example.com/mine")
    assert main_article([other, mine], "https://example.com/mine/")["headline"] == "My story"


@pytest.mark.parametrize(
    "head, field, expected",
    [
        ('<meta property="og:title" content="OG title">', "title", "OG title"),
        ('<meta name="twitter:title" content="Tw title">', "title", "Tw title"),
        ('<meta property="article:published_time" content="2024-01-02">', "published", "2024-01-02"),
        ('<meta name="parsely-pub-date" content="2024-01-03">', "published", "2024-01-03"),
        ('<meta name="DC.date.issued" content="2024-01-04">', "published", "2024-01-04"),
        ('<meta name="sailthru.date" content="2024-01-05">', "published", "2024-01-05"),
        ('<meta itemprop="datePublished" content="2024-01-06">', "published", "2024-01-06"),
        ('<meta property="article:modified_time" content="2024-01-07">', "modified", "2024-01-07"),
        ('<meta property="og:site_name" content="Ferrytown Gazette">', "site_name", "Ferrytown Gazette"),
        ('<meta property="og:type" content="article">', "type", "article"),
        ('<meta name="author" content="Dana Whitfield">', "authors", ["Dana Whitfield"]),
        # Profile links are not names.
        ('<meta property="article:author" content="https://facebook.com/x">', "authors", []),
        ('<meta property="article:tag" content="a"><meta property="article:tag" content="b">', "tags", ["a", "b"]),
        ('<meta name="keywords" content="x, y ,z">', "tags", ["x", "y", "z"]),
    ],
)
def test_meta_fields(head, field, expected):
    assert meta_fields(meta_tags(tree_of(head))).get(field) == expected


@pytest.mark.parametrize(
    "body, content_type, expected",
    [
        ("café “x”".encode("cp1252"), None, "café “x”"),
        ("café".encode(), "text/html; charset=ISO-8859-1", "café"),  # stale label, UTF-8 bytes
        (b'<meta charset="windows-1252">\x93hi\x94', None, '<meta charset="windows-1252">“hi”'),
        ("中文".encode("gb2312"), "text/html; charset=gb2312", "中文"),
        (b"\xef\xbb\xbfhi", None, "hi"),
        (b"x", "text/html; charset=no-such-codec", "x"),
        ("already text", None, "already text"),
    ],
)
def test_decode_html(body, content_type, expected):
    assert decode_html(body, content_type) == expected


HOSTILE = [
    b"",
    b"\x00\xff\xfe" * 1000,
    "<div>" * 100_000,
    "<html><head>" + ld("{" * 50_000) + "</head><body><p>text</p></body></html>",
    "<html><head>" + ld({"@type": "NewsArticle", "headline": "x" * 5_000_000}) + "</head></html>",
    "<html><head><title>" + "T" * 100_000 + "</title></head><body><h1>" + "H " * 50_000 + "</h1></body></html>",
    '<html><head><meta property="article:published_time" content="0000-00-00"></head></html>',
    '<html><head><meta property="article:published_time" content="2099-01-01"></head></html>',
    '<?xml version="1.0" encoding="utf-8"?><html><body><p>x</p></body></html>',
    "<html><body><a href='http://[::1'>bad url</a></body></html>",
]


@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
def test_extract_article_never_raises(body):
    record = extract_article(body, "https://example.com/2024/01/01/x")
    assert tuple(record) == FIELDS
    assert record["published_at"] in (None, "2024-01-01")
    assert record["title"] is None or len(record["title"]) <= 400


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000) | st.text(max_size=2000))
def test_extract_article_never_raises_on_junk(body):
    assert tuple(extract_article(body, "https://example.com/a")) == FIELDS


def test_feed_evidence_fills_gaps_but_never_overrides_the_page():
    page = ('<html><head><meta property="og:title" content="Page title"></head><body>'
            + "<p>Some text of the story goes here for a while.</p>" * 5 + "</body></html>")
    evidence = {"title": "Feed title", "published_at": "2024-03-06T08:15:00-05:00",
                "authors": ["Feed Author"], "source": "feed"}
    record = extract_article(page, "https://example.com/a", evidence=evidence)
    assert record["title"] == "Page title"
    assert record["published_at"] == "2024-03-06T08:15:00-05:00"
    assert record["authors"] == ["Feed Author"]
    assert record["provenance"]["published_at"] == "feed" and record["provenance"]["title"] == "meta"


def test_canonical_url_only_on_the_same_site():
    page = '<html><head><link rel="canonical" href="https://elsewhere.example/x"></head><body><p>x</p></body></html>'
    assert extract_article(page, "https://example.com/a?utm_source=x")["url"] == "https://example.com/a"
    page = '<html><head><link rel="canonical" href="/b"></head><body><p>x</p></body></html>'
    assert extract_article(page, "https://www.example.com/a")["url"] == "https://www.example.com/b"


@pytest.mark.parametrize("url", ["//[", "", "http://[::1]:99999/x", "javascript:alert(1)", "https://example.com/" + "a" * 100_000])
def test_extract_article_never_fails_on_bad_urls(url):
    page = ('<html><head><link rel="canonical" href="//["><meta property="og:image" content="http://[x"></head>'
            "<body><h1>Title</h1><p>text</p></body></html>")
    record = extract_article(page, url)
    assert not (record["not_article_reason"] or "").startswith("extraction failed")
    assert record["title"] == "Title"


STORY = "\n\n".join(["A paragraph of a real story that goes on for a while and says something new."] * 8)
TEASERS = "\n\n".join(f"Short teaser headline number {i}" for i in range(12))


@pytest.mark.parametrize(
    "url, body, og_type, types, has_date, expected",
    [
        ("https://example.com/2024/05/03/story", STORY, "article", [], True, True),
        ("https://example.com/story", STORY, None, ["newsarticle"], False, True),
        ("https://example.com/story", STORY, None, [], True, True),  # undeclared, dated, long
        ("https://example.com/story", "Kurz. " * 30, None, ["newsarticle"], True, True),  # short but declared
        ("https://example.com/", STORY, "website", [], False, False),  # home page
        ("https://example.com/de/", STORY, None, [], False, False),
        ("https://example.com/about-us/", STORY, "article", [], False, False),
        ("https://example.com/impressum", STORY, None, [], False, False),
        ("https://example.com/tag/coral/", TEASERS, None, [], False, False),
        ("https://example.com/news/local/", TEASERS, None, [], False, False),  # list of one-liners
        ("https://example.com/story", "Too short to be a story.", None, [], True, False),
        ("https://example.jp/articles/1", "東京で新しい橋が開通した。" * 20, None, [], True, True),  # no spaces
        # A page saved without its URL: nothing to say about its path, not a home page.
        ("", STORY, "article", [], True, True),
        (None, STORY, None, [], True, True),
    ],
)
def test_check_article(url, body, og_type, types, has_date, expected):
    is_article, reason = check_article(url=url, body=body, og_type=og_type, json_ld_types=types,
                                       story_types=STORY_TYPES, has_date=has_date, has_author=False)
    assert is_article is expected and (reason is None) is expected


def _words_as_counted_before(text):
    import re

    from archiver.extract.article_check import _CJK

    text = text or ""
    return len(re.findall(r"\w+", _CJK.sub(" ", text))) + len(_CJK.findall(text)) // 2


@pytest.mark.parametrize("text,words", [("", 0), (None, 0), ("One two, three.", 3),
                                        ("東京で会議が開かれた。 hello world", 7), ("Zürich – 3 Tage", 3)])
def test_words_are_counted_cjk_by_its_characters(text, words):
    from archiver.extract.article_check import count_words

    assert count_words(text) == words == _words_as_counted_before(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab Zü東京でかー。 ,\n1")))
def test_word_counts_match_the_three_scan_count(text):
    from archiver.extract.article_check import count_words

    assert count_words(text) == _words_as_counted_before(text)
