from __future__ import annotations

import pytest

from archiver.extract.pagination import continuation_url, join_bodies


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
