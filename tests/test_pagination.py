from __future__ import annotations

import pytest

from archiver.extract import extract_article
from archiver.extract.page import Page
from archiver.extract.pagination import continuation_url, join_bodies, join_pages, next_page
from archiver.record import content_hash, finalize
from tests.support.pages import article_html


@pytest.mark.parametrize("url,href,expected", [
    ("https://x.example/news/story", "?page=2", "https://x.example/news/story?page=2"),
    ("https://x.example/news/story?page=2", "?page=3", "https://x.example/news/story?page=3"),
    ("https://x.example/news/story/", "/news/story/2/", "https://x.example/news/story/2/"),
    ("https://x.example/news/story.html", "/news/story-2.html", "https://x.example/news/story-2.html"),
    ("https://x.example/a/story/page/2", "/a/story/page/3", "https://x.example/a/story/page/3"),
    ("https://x.example/news/story", "/news/other-story", None),
    ("https://x.example/news/story", "https://y.example/news/story?page=2", None),
    ("https://x.example/news/story", "?utm_source=x", None),
    ("https://x.example/news/story", None, None),
    ("https://x.example/news/story", "javascript:void(0)", None),
    ("https://x.example/news/?page=1", "/news/?page=2", "https://x.example/news/?page=2"),
])
def test_continuation_url(url, href, expected):
    assert continuation_url(url, href) == expected


def test_join_bodies_drops_repeated_paragraphs():
    assert join_bodies("A\n\nB", "B\n\nC") == "A\n\nB\n\nC"
    assert join_bodies("A", "A") == "A"


def _page(head: str = "", body: str = "", url: str = "https://x.example/news/story"):
    return Page.parse(f"<html><head>{head}</head><body><p>Text.</p>{body}</body></html>", url)


@pytest.mark.parametrize("head, body, expected", [
    ('<link rel="next" href="/news/story?page=2">', "", "https://x.example/news/story?page=2"),
    ("", '<a rel="next nofollow" href="/news/story/2/">Next</a>', "https://x.example/news/story/2/"),
    ('<link rel="next" href="/news/other-story">', "", None),
    ('<link rel="prev" href="/news/story?page=0">', '<a rel="next">no href</a>', None),
    ("", "", None),
])
def test_extraction_finds_the_next_page(head, body, expected):
    assert next_page(_page(head, body)) == expected


def test_the_record_carries_the_next_page():
    html = article_html(3).replace("</head>", '<link rel="next" href="?page=2"></head>')
    assert extract_article(html, "https://x.example/news/story")["next_page"] == "https://x.example/news/story?page=2"
    assert extract_article(article_html(3), "https://x.example/news/story")["next_page"] is None


def test_join_pages_joins_the_bodies_and_finishes_the_record():
    first = finalize({"url": "https://x.example/a", "title": "T", "body": "One two.", "next_page": "https://x.example/a?p=2",
                      "is_article": True})
    joined = join_pages(first, {"body": "One two.\n\nThree four five.", "next_page": None, "title": "Other"})
    assert joined["body"] == "One two.\n\nThree four five."
    assert (joined["title"], joined["next_page"], joined["is_article"]) == ("T", None, True)
    assert joined["word_count"] == 5
    assert joined["content_hash"] == content_hash("T", joined["body"])
    assert first["body"] == "One two."  # a new record; page 1's is left as it was


def test_finalize_computes_the_derived_fields():
    record = finalize({"url": "HTTPS://WWW.X.example/a?utm_source=feed#top", "title": "A title", "body": "Two words"})
    assert record == {"url": "https://www.x.example/a", "site": "x.example", "title": "A title", "body": "Two words",
                      "word_count": 2, "content_hash": content_hash("A title", "Two words")}
    assert finalize({"url": None, "body": ""}, fallback_url="https://y.example/b")["url"] == "https://y.example/b"
