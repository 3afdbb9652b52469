"""The Page: one decoding, one parse and one set of shared scans per response."""

from __future__ import annotations

import lxml.etree
import pytest

from archiver.extract import extract_page
from archiver.extract.page import Page, marker_verdict
from tests.support.pages import article_html

URL = "https://news.example/city/2024/03/06/budget-vote"

LAYOUT = """<html><head><title>Budget vote</title></head><body>
<nav class="main-menu"><a href="/politics/">Politics</a></nav>
<article><h1>Budget vote</h1>
<p>The council voted on the budget on Tuesday evening after a long debate in the hall.</p>
<div class="related-stories"><a href="/city/2024/03/01/earlier-budget-story">Earlier story</a></div>
</article>
<footer><p>Contact the newsroom.</p></footer>
</body></html>"""


def test_a_page_is_decoded_once_with_its_declared_or_detected_encoding():
    # Labelled UTF-8, written in windows-1252: every extractor reads the same text.
    body = '<html><head><meta charset="utf-8"><title>Stadtrat beschließt Haushalt</title></head><body><p>Der Stadtrat beschließt.</p></body></html>'.encode("cp1252")
    page = Page.parse(body, URL, content_type="text/html; charset=utf-8")
    assert "beschließt" in page.html
    assert page.tree.findtext(".//title") == "Stadtrat beschließt Haushalt"


def test_nothing_to_parse_is_no_page():
    assert Page.parse(b"   ", URL) is None
    assert Page.parse(None, URL) is None


def test_furniture_and_related_blocks_are_read_from_the_page():
    page = Page.parse(LAYOUT, URL)
    furniture = page.furniture
    excluded_links = {a.get("href") for a in furniture.excluded if a.tag == "a"}
    assert "/politics/" in excluded_links
    assert [el.get("class") for el in furniture.related] == ["related-stories"]
    assert {el.tag for el in furniture.blocks} >= {"nav", "footer"}
    assert page.furniture is furniture  # computed once per page


def test_scans_belong_to_their_page():
    # Pages read in turn (as in a worker) never see each other's results.
    a = Page.parse(LAYOUT, URL)
    b = Page.parse("<html><body><p>Plain page without any furniture at all, only text.</p></body></html>", URL)
    assert a.furniture.blocks and not b.furniture.blocks
    assert a.furniture.related and not b.furniture.related


def test_each_distinct_attribute_value_is_tested_once():
    page = Page.parse("<html><body>" + '<div class="byline">x</div>' * 50 + '<p id="other">y</p></body></html>', URL)
    seen = []

    def test(value):
        seen.append(str(value))
        return "byline" in value

    assert [page.verdict(test, v) for _, v, _ in page.naming].count(True) == 50
    assert sorted(seen) == ["byline", "other"]


def test_extraction_leaves_the_tree_as_it_was():
    page = Page.parse(article_html(3), "https://x.example/news/3.html")
    before = lxml.etree.tostring(page.tree)
    record = extract_page(page)
    assert record["body"] and lxml.etree.tostring(page.tree) == before


def test_paragraph_texts_are_read_once():
    page = Page.parse(LAYOUT, URL)
    (p, text), *_ = page.paragraphs
    assert text.startswith("The council voted")
    assert page.text(p) is text


def test_comments_are_no_part_of_the_page():
    page = Page.parse("<html><body><!-- By Someone Else --><p>Text of the page itself.</p><?php x ?></body></html>", URL)
    assert page.tree.xpath("//comment() | //processing-instruction()") == []
    assert page.tree.findtext(".//p") == "Text of the page itself."


@pytest.mark.parametrize(("value", "verdict"), [
    ("related-posts", "related"), ("more_stories box", "related"), ("site-nav", "furniture"),
    ("comment-form", "furniture"), ("most_read", "furniture"), ("-ad-", "furniture"), ("Advert_Box", "furniture"),
    ("ad\u00a0vert", "furniture"), ("col-md-6 text-center", ""), ("", ""), ("__", ""),
])
def test_a_class_value_says_whether_it_is_furniture_or_related_stories(value, verdict):
    assert marker_verdict(value) == verdict
