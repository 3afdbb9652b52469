"""extract.xpath_scans against lxml's own evaluation of the same XPaths: the scans that
stand in for trafilatura's prune XPaths must select the same elements, in the same
order, on raw page trees and on the trees trafilatura's passes prune (cleaned and
converted: <list>, <item>, <hi>...)."""

import lxml.html
import pytest
from lxml import etree
from trafilatura import core
from trafilatura.settings import Extractor

from archiver.extract.trafilatura_passes import FIRST_LISTS, SCANNED, SCANNED_LISTS, mirror_applies
from archiver.extract.xpath_scans import Scan, compile_first, compile_scan
from tests.test_trafilatura_passes import ATTRIBUTE_MIX, COMMENTED, FIXTURES, _fixture

RE = {"re": "http://exslt.org/regular-expressions"}

# every attribute the prune XPaths read, alone, empty, and two of a union in both orders
_ATTRIBUTES = ['', 'id="nav"', 'class="nav"', 'id=""', 'class=""', 'style="display:none"', 'id="x" style="hidden"',
               'style="hidden" id="x"', 'id="reply-1" class="post"', 'class="post" id="reply-1"',
               'id="hidden-box" class="body"', 'aria-hidden="true"', 'aria-hidden="false"', 'role="Navigation"',
               'data-component="MostPopularStories"', 'data-lp-replacement-content=""', 'class="comments-title"',
               'class="Comment-list"', 'id="disqus_thread"', 'class="infinite-scroll"', 'id="mvp-post-add-box"',
               'class="tag-list teaser"', 'id="Teaser"', 'class="bottom-bar"', 'style="border: 1px"',
               'class="image-caption"', 'class="elementor-share-buttons"', 'class="cookie" id="main"',
               'id="main" class="cookie"']
MIXED = "<html><body>" + "".join(
    f"<{tag} {a}><{inner} {b}>text<h1>Head</h1></{inner}></{tag}>" if i % 5 == 0 else
    f"<{tag} {a}><{inner} {b}>text</{inner}></{tag}>"
    for tag in ("div", "section", "aside", "p", "span", "ul", "ol", "details", "article")
    for i, a in enumerate(_ATTRIBUTES) for inner, b in (("div", _ATTRIBUTES[i * 7 % len(_ATTRIBUTES)]), ("li", "")))
MIXED += "</body></html>"
# unions in both orders, empty and missing attributes, nested lists
SMALL = ("<html><body><div class='Nav' id='main'><li class='nav' id='x'>a</li></div><div id='main' class='nav'></div>"
         "<div id='navy'><p style='display:none'>b</p></div><div><li>c</li></div><p class='mainly'>d</p>"
         "<li id='nav'></li><li class='' id=''></li></body></html>")


def _trees(html: bytes | str, url: str | None):
    """The raw tree, and the trees trafilatura's passes prune: cleaned, then converted."""
    tree = lxml.html.fromstring(html)
    yield tree
    for focus in ("precision", "balanced"):
        cleaned, backup = core._prepare_tree(tree, Extractor(precision=focus == "precision", tables=True), url)
        yield backup
        yield cleaned


def _pages():
    yield from ((name, *_fixture(name)) for name in FIXTURES)
    yield "commented", COMMENTED, None
    yield "attribute-mix", ATTRIBUTE_MIX, None
    yield "mixed", MIXED, None


def test_the_prune_lists_run_as_scans():
    assert mirror_applies()
    assert {type(scan) for _, scan in SCANNED} == {Scan}
    from trafilatura import xpaths
    for name in SCANNED_LISTS + FIRST_LISTS:  # every expression of each list is a scan now
        assert all(isinstance(e, Scan) for e in getattr(xpaths, name)), name
    assert all(e.first for e in xpaths.BODY_XPATH)


def test_trafilatura_reads_only_the_first_element_of_a_body_xpath_selection():
    # The BODY_XPATH scans give only that element: if trafilatura reads more of the
    # selection, or reads BODY_XPATH elsewhere, they must give the whole selection.
    import inspect
    from pathlib import Path

    import trafilatura
    from trafilatura import main_extractor
    assert "subtree = next((s for s in expr(tree) if s is not None), None)" in inspect.getsource(main_extractor._extract)
    readers = {p.name for p in Path(trafilatura.__file__).parent.glob("*.py") if "BODY_XPATH" in p.read_text()}
    assert readers == {"xpaths.py", "main_extractor.py"}
    assert inspect.getsource(main_extractor).count("BODY_XPATH") == 2  # the import and that loop


@pytest.mark.parametrize(("name", "html", "url"), list(_pages()), ids=[p[0] for p in _pages()])
def test_every_scan_selects_what_its_xpath_selects(name, html, url):
    selected = 0
    for tree in _trees(html, url):
        for original, scan in SCANNED:
            expected = original(tree)[:1] if scan.first else original(tree)
            assert scan(tree) == expected, original.path
            selected += len(expected)
    assert selected or name not in ("commented", "attribute-mix", "mixed", "wordpress-voa-seed")


@pytest.mark.parametrize("path", [
    ".//*[@class='nav' or @id='x']",
    ".//*[@class]",
    ".//*[not(@class)]",
    ".//div[re:test(@class, '^$')]",  # '' for a missing attribute: matched
    ".//*[re:test(@class, 'NAV', 'i')]",
    ".//*[re:test(@id|@class, '^nav')]",  # the first of the two in the element
    ".//*[starts-with(@id|@class, 'main')]",
    ".//*[contains(translate(@class, 'NM', 'nm'), 'nav')]",
    ".//*[self::div or self::li][contains(@class, 'n')][not(.//li) or @id]",
    ".//*[self::div and not(self::li)][.//li]",
    ".//li[@id|@class='nav']",
    ".//*[(self::div or self::p) and (@id or contains(@style, 'none'))]",
])
def test_scans_follow_xpath_on_unions_missing_attributes_and_descendants(path):
    tree = lxml.html.fromstring(SMALL)
    scan = compile_scan(path)
    assert scan is not None, path
    assert scan(tree) == etree.XPath(path, namespaces=RE)(tree)


@pytest.mark.parametrize("path", [
    "(.//article)[1]",  # a position
    ".//*[self::div][1]",
    ".//div[count(p) > 2]",  # another function, a number
    ".//div/p",  # more than one step
    ".//*[ancestor::article]",  # another axis
    ".//*[contains(@class, @id)]",  # a computed argument
    ".//*[re:test(@class, '(')]",  # a pattern Python cannot compile
    ".//*[re:test(@class, 'a', 'x')]",  # flags other than i
    ".//*[translate(@class, 'ab', 'a') = 'x']",  # a translate that deletes
])
def test_an_xpath_beyond_the_subset_stays_an_xpath(path):
    assert compile_scan(path) is None


@pytest.mark.parametrize("path", [
    "(.//li)[1]",
    "(.//*[self::div or self::p][@id])[1]",
    ".//*[self::div or self::p][contains(@class, 'n')][1]",  # the first child of each parent; first overall
    ".//li[@class='nav'][1]",
    "(.//*[self::p][@style])[1]|(.//li)[1]",  # a union: the earlier of the two
    "(.//*[self::div][@class='nothing'])[1]|(.//li)[1]",
    "(.//main)[1]",  # nothing selected
])
def test_a_first_scan_gives_the_first_element_selected(path):
    tree = lxml.html.fromstring(SMALL)
    scan = compile_first(path)
    assert scan is not None and scan.first, path
    assert scan(tree) == etree.XPath(path, namespaces=RE)(tree)[:1]
    assert compile_scan(path) is None or "[1]" not in path


@pytest.mark.parametrize("path", ["(.//li)[2]", ".//li[2]", "(.//li[1])[1]", ".//li[1][@id]", "(.//li)"])
def test_other_positions_stay_xpaths(path):
    assert compile_first(path) is None
