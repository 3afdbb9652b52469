from urllib.parse import urljoin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.normalize.urls import canonical_url, same_site, site_of


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://Example.COM:443/a/b?utm_source=x&id=3#frag", None, "https://example.com/a/b?id=3"),
        ("/2024/01/02/story-slug/?fbclid=abc", "https://news.example.org/x/y", "https://news.example.org/2024/01/02/story-slug/"),
        ("story.html", "https://news.example.org/world/index.html", "https://news.example.org/world/story.html"),
        ("//cdn.example.org/a", "https://news.example.org/", "https://cdn.example.org/a"),
        ("http://example.com:8080", None, "http://example.com:8080/"),
        ("mailto:someone@example.com", None, None),
        ("javascript:void(0)", None, None),
        ("", None, None),
        (None, None, None),
        ("http://[::1", None, None),
        ("//[", "https://example.org/", None),
        ("http://./x", None, None),
        ("http://[::1]:8080/a#b", None, "http://[::1]:8080/a"),
    ],
)
def test_canonical_url(url, base, expected):
    assert canonical_url(url, base) == expected


@pytest.mark.parametrize(("url", "base"), [
    ("/news/a/../b?x=1#f", "https://n.example/s/t"),
    ("/./a", "https://n.example/s/t"),
    ("/a/b/..", "https://n.example/"),
    ("https:///www.n.example/css/x.css", "https://n.example/story/"),
    ("HTTPS://N.example/A", "http://other.example/"),
    ("/a%20b?q=%C3%A4", "https://user@n.example:8443/x"),
    ("?page=2", "https://n.example/story?page=1"),
    ("/p", "https://n.example"),
])
def test_joining_is_urljoin(url, base):
    # Links from a site's root are joined without urljoin; the result must be urljoin's.
    assert canonical_url(url, base) == canonical_url(urljoin(base, url))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("https://www.bbc.co.uk/news/x", "https://bbc.co.uk/sport", True),
        ("https://news.example.com/a", "https://www.example.com/b", True),
        ("https://example.com/a", "https://example.org/a", False),
        ("https://bbc.co.uk/", "https://itv.co.uk/", False),
        (None, "https://example.com/", False),
        # An IP address is a site of its own, and a site is one port.
        ("http://127.0.0.1:8000/a", "http://127.1.0.1:8000/a", False),
        ("http://10.0.0.1/a", "http://10.0.0.1/b", True),
        ("http://127.0.0.1:8000/a", "http://127.0.0.1:8001/a", False),
        ("https://example.com:8443/a", "https://example.com/a", False),
        ("http://example.com/a", "https://www.example.com:443/b", True),
        ("http://example.com:80/a", "http://example.com/b", True),
        ("http://[::1]:8000/a", "http://[::2]:8000/a", False),
        ("http://localhost:8000/", "http://127.0.0.1:8000/", False),
        ("http://example.com:99999/", "http://example.com/", False),
    ],
)
def test_same_site(a, b, expected):
    assert same_site(a, b) is expected


def test_site_of_strips_www():
    assert site_of("https://WWW.Example.com/x") == "example.com"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_canonical_url_never_raises_and_is_idempotent(text):
    once = canonical_url(text, "https://example.org/base/")
    if once is not None:
        assert canonical_url(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abc/?=&#%.:-_ ", max_size=30))
def test_canonical_url_idempotent_on_url_like_paths(path):
    once = canonical_url("https://example.org/" + path)
    assert once is None or canonical_url(once) == once
