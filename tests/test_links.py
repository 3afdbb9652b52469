from pathlib import Path

import lxml.etree
import pytest

from archiver.extract.links import _heading_like, extract_related_links
from archiver.extract.page import Page

FIXTURES = Path(__file__).parent / "fixtures_body"
URL = "https://www.coastalcourier.example/2024/03/05/harbour-town-votes-to-rebuild-its-old-pier/"


@pytest.fixture(scope="module")
def links():
    page = Page.parse((FIXTURES / "wordpress_story.html").read_text(encoding="utf-8"), URL)
    return extract_related_links(page, canonical=URL)


def test_related_and_in_body_links_in_page_order(links):
    assert links == [
        {"url": "https://www.coastalcourier.example/2024/01/15/pier-grant-approved-by-region/",
         "text": "approved by the region in January"},
        {"url": "https://www.coastalcourier.example/2024/02/20/fishing-season-opens-early-this-year/",
         "text": "Fishing season opens early this year"},
        {"url": "https://www.coastalcourier.example/2024/02/11/storm-damage-bill-reaches-new-high/",
         "text": "Storm damage bill reaches new high"},
    ]


@pytest.mark.parametrize(
    "fragment",
    ["facebook.com", "twitter.com", "mailto:", "/tag/", "/author/", "/category/", "/about-us/",
     "council-elects-new-mayor", "year-in-review", "#respond"],
)
def test_chrome_links_left_out(links, fragment):
    assert not any(fragment in link["url"] for link in links)


def _links_of(body_html, url="https://news.example.org/world/2024/05/01/some-long-story-title"):
    page = f"<html><body><article>{body_html}</article></body></html>"
    return [link["url"] for link in extract_related_links(Page.parse(page, url), canonical=url)]


PARA = "<p>" + "Filler words for a paragraph that is long enough to count. " * 2


@pytest.mark.parametrize(
    ("href", "kept"),
    [
        ("/world/2024/04/30/ministers-meet-over-water-deal", True),
        ("https://other-paper.example.com/news/ministers-meet-over-water-deal-123456.html", True),
        ("/news/article-123456789", True),
        ("/world/", False),
        ("/topics/water-and-climate-change/", False),
        ("/search?q=water+deal+talks", False),
        ("https://www.facebook.com/sharer/sharer.php?u=https://news.example.org/x", False),
        ("https://wa.me/?text=ministers-meet-over-water-deal", False),
        ("https://twitter.com/someone/status/1234567890123", False),
        ("javascript:void(0)", False),
        ("tel:+15551234567", False),
        ("/media/ministers-meet-over-water-deal.jpg", False),
        ("https://ads.example.net/click?dest=https%3A%2F%2Fshop.example%2Fbig-sale-today-only", False),
        ("/world/2024/05/01/some-long-story-title#comments", False),
        ("/41418-about-us.html", False),
        ("https://shop.example.com/products/blue-harbour-rain-jacket-large", False),
    ],
)
def test_story_url_rules(href, kept):
    urls = _links_of(f'{PARA}<a href="{href}">a link with text</a></p>')
    assert bool(urls) is kept, urls


def test_tracking_params_and_fragment_removed_and_duplicates_merged():
    html = (
        f'{PARA}<a href="/world/2024/04/30/ministers-meet-over-water-deal?utm_source=x&amp;fbclid=1#p2">one</a>'
        f' <a href="/world/2024/04/30/ministers-meet-over-water-deal">again</a></p>'
    )
    assert _links_of(html) == ["https://news.example.org/world/2024/04/30/ministers-meet-over-water-deal"]


def test_read_more_heading_block_without_class_names():
    html = (
        f"{PARA}</p><p>Read more:</p>"
        '<p><a href="https://news.example.org/sport/final-ends-in-a-draw-after-extra-time">Final ends in a draw</a></p>'
    )
    assert _links_of(html) == ["https://news.example.org/sport/final-ends-in-a-draw-after-extra-time"]


def test_picture_credit_links_left_out():
    html = (
        f'{PARA}</p><figure><img src="/a.jpg"><figcaption>Photo: '
        '<a href="https://photos.example.com/photo/harbour-at-dawn-with-boats_60363217.htm">Stock Photos</a>'
        "</figcaption></figure>"
    )
    assert _links_of(html) == []


def test_does_not_mutate_tree():
    page = Page.parse((FIXTURES / "wordpress_story.html").read_text(encoding="utf-8"), URL)
    before = lxml.etree.tostring(page.tree)
    extract_related_links(page, canonical=URL)
    assert lxml.etree.tostring(page.tree) == before


def test_heading_texts_are_measured_folded_as_xpath_folds_them():
    page = Page.parse("<html><body><h3>a \n\n b</h3><h3>\n Read \t more\n</h3><span>Mehr <b>zum</b> Thema</span>"
                      "<div>" + "x " * 40 + "</div></body></html>", "https://x.example/a")
    assert [text for _, text in _heading_like(page.tree)] == ["Read more", "Mehr zum Thema"]
