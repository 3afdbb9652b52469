"""Pure parsers: feeds, sitemaps, sources files, word diffs."""

from __future__ import annotations

import gzip

import pytest

from archiver.diff import word_diff
from archiver.extract.feeds import parse_feed
from archiver.extract.sitemaps import SitemapTooLarge, parse_sitemap, sitemaps_from_robots, unpack
from archiver.sources import SourcesError, load_sources, parse_duration

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel>
<item><title>A &amp; B</title><link>https://x.example/a?utm_source=rss</link>
<pubDate>Wed, 06 Mar 2024 08:15:00 -0500</pubDate><author>desk@x.example (Ann Lee)</author></item>
<item><title>No link</title></item></channel></rss>"""

ATOM = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>T</title>
<link rel="self" href="/self"/><link rel="alternate" href="/b"/>
<published>2024-03-06T08:15:00Z</published><updated>2024-03-07T09:00:00Z</updated>
<author><name>Bo Chen</name></author></entry></feed>"""


def test_rss_entry():
    [entry] = parse_feed(RSS)
    assert entry.url == "https://x.example/a"
    assert entry.title == "A & B"
    assert entry.published_at == "2024-03-06T08:15:00-05:00"
    assert entry.authors == ["Ann Lee"]


def test_atom_entry_keeps_modified_apart():
    [entry] = parse_feed(ATOM, "https://x.example/feed")
    assert entry.url == "https://x.example/b"
    assert entry.published_at.startswith("2024-03-06T08:15")
    assert entry.modified_at.startswith("2024-03-07T09:00")
    assert entry.evidence()["source"] == "feed"


@pytest.mark.parametrize("body", [b"", b"not xml", b"<html><body>x</body></html>", b"\x00\xff" * 10,
                                  b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><rss><item><link>&e;</link></item></rss>'])
def test_feed_parser_never_raises(body):
    assert parse_feed(body) == [] or all(e.url.startswith("http") for e in parse_feed(body))


def test_news_sitemap_evidence():
    body = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://x.example/s</loc>
      <news:news><news:publication_date>2024-03-06T08:15:00+01:00</news:publication_date>
      <news:title>Title &amp; more</news:title></news:news></url></urlset>"""
    kind, [entry] = parse_sitemap(body)
    assert kind == "urlset"
    assert entry.evidence() == {"source": "sitemap", "title": "Title & more", "published_at": "2024-03-06T08:15:00+01:00"}


def test_gzip_sitemap_index():
    body = gzip.compress(b"<sitemapindex><sitemap><loc>/a.xml</loc></sitemap></sitemapindex>")
    kind, entries = parse_sitemap(body, "https://x.example/sitemap.xml.gz")
    assert kind == "sitemapindex" and entries[0].url == "https://x.example/a.xml"


def test_gzip_bomb_is_bounded():
    with pytest.raises(SitemapTooLarge):
        unpack(gzip.compress(b"<" * (2 * 1024 * 1024)), max_size=1024 * 1024)


def test_sitemaps_from_robots():
    text = "User-agent: *\nDisallow: /x\nSitemap: https://x.example/s1.xml\nsitemap: /s2.xml\n"
    assert sitemaps_from_robots(text, "https://x.example/robots.txt") == [
        "https://x.example/s1.xml", "https://x.example/s2.xml"]


@pytest.mark.parametrize("text,seconds", [("90", 90), ("45s", 45), ("30m", 1800), ("6h", 21600), ("1d", 86400),
                                          ("2w", 1209600), (0, 0), ("1.5h", 5400)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5 minutes", "-1h"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("toml,message", [
    ('[[sources]]\nfollow = ["http://a.example/"]\n', "needs a name"),
    ('[[sources]]\nname = "a"\n', "at least one of"),
    ('[[sources]]\nname = "a"\nfeeds = "http://a.example/f"\ninterval = "soon"\n', "not a duration"),
    ('[[sources]]\nname = "a"\nfeeds = ["x"]\ndeny = ["("]\n', "deny pattern"),
    ('[[sources]]\nname = "a"\nfeeds = ["x"]\n[[sources]]\nname = "a"\nfeeds = ["y"]\n', "unique"),
    ("not toml = = 1", "not valid TOML"),
])
def test_bad_sources_files(tmp_path, toml, message):
    path = tmp_path / "s.toml"
    path.write_text(toml)
    with pytest.raises(SourcesError, match=message):
        load_sources(path)


@pytest.mark.parametrize("old,new,expected", [
    ("a b c", "a b c", "a b c"),
    ("a b c", "a x c", "a [-b-] {+x+} c"),
    ("a b", "a b c", "a b {+c+}"),
    ("one\n\ntwo", "one\n\ntwo three", "one\n\ntwo {+three+}"),
])
def test_word_diff(old, new, expected):
    assert word_diff(old, new) == expected
