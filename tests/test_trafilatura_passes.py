"""The shared preparation of trafilatura's passes against trafilatura's own bare_extraction.

These fail when trafilatura's internals that archiver.extract.trafilatura_passes mirrors
change: a new trafilatura version (the mirror then falls back to bare_extraction, which
test_the_installed_trafilatura_is_the_one_the_mirror_was_checked_against shows), or a
mirror that no longer gives bare_extraction's output (the parity tests, which run the
mirror whatever the version).
"""

import json
import re
from pathlib import Path

import lxml.html
import pytest
import trafilatura
from lxml import etree

from archiver.extract.maintext import PASSES, TRAFILATURA_OPTIONS
from archiver.extract.page import Page
from archiver.extract.trafilatura_passes import (_REGEX_TEST, CHECKED_VERSION, GUARDED, SCANNED, TrafilaturaPasses,
                                                 guarded_path, mirror_applies, required_literals)

PAGES = Path(__file__).parent / "pages"
# varied layouts: an article with a table layout, a home page (nothing an extractor
# trusts: the baseline rescue), a section list, text beside a picture box (the
# balanced pass's recall escalation), a long WordPress page
FIXTURES = ["table-layout-posted-by", "home-page", "section-list", "text-beside-photo-box", "wordpress-voa-seed"]

_STORY = "<p>The harbour council voted on Tuesday to rebuild the old pier, after a long winter of storms. " * 3
COMMENTED = f"""<html><head><title>Pier</title></head><body>
<div class="infinite-scroll"><article><h2>Another story</h2><p>{_STORY}</p></article></div>
<article><h1>Council rebuilds the pier</h1>{_STORY}</p><p>{_STORY}</p>
<div class="elementor-share-buttons"><a href="/s">Share</a></div>
<ul class="comment-list"><li>First! This is a reader comment about the pier vote.</li></ul>
<div id="comments"><p>A reader: the pier was fine as it was, in my opinion.</p></div>
<dl class="comments"><dt>Reader</dt><dd>Another comment on the vote.</dd></dl>
</article></body></html>"""
FORUM = f"""<html><head><title>Thread</title>
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "DiscussionForumPosting",
"headline": "The pier vote"}}</script></head><body><h1>The pier vote</h1>
<div class="comments"><div class="comment"><p>{_STORY}</p></div><div class="comment"><p>Agreed.</p></div></div>
<dl class="comments"><dt>Harbour reader</dt><dd>{_STORY}</dd><dt>Pier fan</dt><dd>{_STORY}</dd></dl>
</body></html>"""
# the sequences the page runs (maintext._dom_paragraphs): each shares what the one before prepared
SEQUENCES = [("fast", "precise", "balanced"), ("precise", "balanced"), ("fast", "precise"), ("fast",), ("balanced",)]


def _fixture(name: str) -> tuple[bytes, str]:
    meta = json.loads((PAGES / name / "meta.json").read_text(encoding="utf-8"))
    return (PAGES / name / "page.html").read_bytes(), meta.get("url", "https://example.com/")


def _pages():
    yield from ((name, *_fixture(name)) for name in FIXTURES)
    yield "commented", COMMENTED.encode(), "https://harbour.example/pier"
    yield "forum", FORUM.encode(), "https://forum.example/t/1"


def _xml(body) -> bytes | None:
    return None if body is None else etree.tostring(body)


def test_the_installed_trafilatura_is_the_one_the_mirror_was_checked_against():
    # If this fails, trafilatura was upgraded: every pass now runs bare_extraction
    # (correct, but preparing the tree once per pass). Run the parity tests below; if
    # they pass, set CHECKED_VERSION; if not, bring the mirror in line with upstream.
    assert mirror_applies(), f"trafilatura {trafilatura.__version__}, mirror checked against {CHECKED_VERSION}"
    assert TrafilaturaPasses(lxml.html.fromstring(COMMENTED), None).shared
    assert GUARDED, "trafilatura's regex XPaths were left unguarded"


@pytest.mark.parametrize("sequence", SEQUENCES, ids="+".join)
@pytest.mark.parametrize(("body", "url"), [p[1:] for p in _pages()], ids=[p[0] for p in _pages()])
def test_every_pass_gives_what_bare_extraction_gives(body, url, sequence):
    page = Page.parse(body, url)
    shared = TrafilaturaPasses(page.tree, page.url, shared=True)
    for name in sequence:
        options = {**TRAFILATURA_OPTIONS, **PASSES[name]}
        doc = trafilatura.bare_extraction(page.tree, url=page.url, **options)
        assert _xml(shared.extract(**options)) == _xml(None if doc is None else doc.body), name


# with something to prune on the raw tree, and with nothing to prune
@pytest.mark.parametrize(("body", "url"), [(COMMENTED.encode(), "https://harbour.example/pier"),
                                           _fixture("text-beside-photo-box")], ids=["commented", "nothing-to-prune"])
def test_the_passes_leave_the_page_tree_as_it_was(body, url):
    page = Page.parse(body, url)
    before = etree.tostring(page.tree)
    shared = TrafilaturaPasses(page.tree, page.url, shared=True)
    for name in SEQUENCES[0]:
        shared.extract(**TRAFILATURA_OPTIONS, **PASSES[name])
    assert etree.tostring(page.tree) == before


@pytest.mark.parametrize("options", [{"include_comments": True}, {**TRAFILATURA_OPTIONS, "include_links": True},
                                     {**TRAFILATURA_OPTIONS, "with_metadata": True}])
def test_options_the_mirror_does_not_handle_are_bare_extraction(options):
    page = Page.parse(COMMENTED.encode(), "https://harbour.example/pier")
    doc = trafilatura.bare_extraction(page.tree, url=page.url, **options)
    assert _xml(TrafilaturaPasses(page.tree, page.url, shared=True).extract(**options)) == _xml(doc.body)


def test_a_precise_pass_prepared_otherwise_than_the_fast_one_prepares_its_own_tree():
    page = Page.parse((PAGES / "table-layout-posted-by" / "page.html").read_bytes(), "https://example.com/a")
    shared = TrafilaturaPasses(page.tree, page.url, shared=True)
    shared.extract(**{**TRAFILATURA_OPTIONS, "include_tables": False}, **PASSES["fast"])
    doc = trafilatura.bare_extraction(page.tree, url=page.url, **TRAFILATURA_OPTIONS, **PASSES["precise"])
    assert _xml(shared.extract(**TRAFILATURA_OPTIONS, **PASSES["precise"])) == _xml(doc.body)


# --- the guarded regex XPaths ---------------------------------------------------
@pytest.mark.parametrize(("path", "guarded"), [
    (".//*[re:test(@id, '[nv].')]", ".//*[((@id) and re:test(@id, '[nv].'))]"),
    # case-insensitive: no literal to look for
    (".//*[re:test(@id|@class, '^shar', 'i') or @role='x']",
     ".//*[((@id|@class) and re:test(@id|@class, '^shar', 'i')) or @role='x']"),
    # a comparison binds tighter than `and`: the guard keeps the call's own value
    (".//*[re:test(@class, '[ab]\\d') = false()]", ".//*[((@class) and re:test(@class, '[ab]\\d')) = false()]"),
    (".//*[not(re:test(@id, 'a?')) and re:test(@class, 'b+')]", None),
    (".//*[not(re:test(@id, '\\d')) and re:test(@class, '\\w')]",
     ".//*[not(((@id) and re:test(@id, '\\d'))) and ((@class) and re:test(@class, '\\w'))]"),
])
def test_a_regex_test_of_an_attribute_is_guarded_by_its_presence(path, guarded):
    assert guarded_path(path) == guarded


@pytest.mark.parametrize(("path", "guarded"), [
    (".//*[re:test(@id, 'nav')]", ".//*[((@id) and (contains(@id, 'nav')) and re:test(@id, 'nav'))]"),
    (".//*[re:test(@class, 'ad') = false()]",
     ".//*[((@class) and (contains(@class, 'ad')) and re:test(@class, 'ad')) = false()]"),
    (".//*[not(re:test(@id, '^a-')) and re:test(@id|@class, 'b|c')]",
     ".//*[not(((@id) and (contains(@id, 'a-')) and re:test(@id, '^a-'))) and "
     "((@id|@class) and (contains(@id|@class, 'b') or contains(@id|@class, 'c')) and re:test(@id|@class, 'b|c'))]"),
    # more literals than MAX_LITERALS: the presence alone
    (".//*[re:test(@id, 'a|b|c|d|e|f|g|h|i')]", ".//*[((@id) and re:test(@id, 'a|b|c|d|e|f|g|h|i'))]"),
])
def test_a_regex_test_is_guarded_by_the_literals_every_match_contains(path, guarded):
    assert guarded_path(path) == guarded


@pytest.mark.parametrize(("pattern", "literals"), [
    ("comments-title|nocomments|-reply-", ("comments-title", "nocomments", "-reply-")),
    ("^[Cc]omment(?!ary)|(?:article|post)-comments", ("omment", "-comments")),
    ("mvp-post-add-(?:box|wrap)|infinite-?scroll", ("mvp-post-add-", "infinite")),
    ("^(?:jp-|dpsp-content)|bmdh", ("jp-", "dpsp-content", "bmdh")),  # a group's alternatives
    ("(?:x|y)z", ("z",)),  # one literal rather than two
    ("(a)?b|(?P<n>cd)e", ("b", "cd")),
    ("\\.foo\\d", (".foo",)),
    ("a(?=b)c", ("a",)),  # a lookahead matches nothing of its own
    ("ab{2}c|x+y", ("a", "y")),
    ("^hide-| hidden", ("hide-", " hidden")),
])
def test_required_literals(pattern, literals):
    assert required_literals(pattern) == literals


@pytest.mark.parametrize("pattern", ["x*", "(?:^|$)", "a|", "a|.", "[abc]", "(?i)nav", "(?s:a)b", "a{", "ab)c",
                                     "(unclosed", "[unclosed", "a\\", "(?(1)a|b)", "*a",
                                     # escapes that spell a character or a group
                                     "\\x41", "\\u00e9t\\u00e9", "(a)\\1", "\\N{BULLET}"])
def test_no_literals_where_a_match_may_contain_none(pattern):
    assert required_literals(pattern) is None


def test_every_match_of_trafilaturas_patterns_contains_one_of_its_literals():
    # the patterns of every XPath archiver changes (those run as scans too: more to check)
    patterns = {m[2] for original, _ in GUARDED + SCANNED for m in _REGEX_TEST.finditer(original.path)}
    values = {v for name in FIXTURES for element in lxml.html.fromstring(_fixture(name)[0]).iter()
              for v in (element.get("id"), element.get("class"), element.get("style")) if v}
    values |= {f"{a}{word}{b}" for word in ("comment", "Comments", "nav", "share-box", "post-content", "hidden", "ad")
               for a in ("", "x", " ", "-") for b in ("", "s", "-x", " y", "ary")}
    checked = 0
    for pattern in patterns:
        literals = required_literals(pattern)
        if literals is None:
            continue
        compiled = re.compile(pattern)
        for value in values:
            if compiled.search(value):
                assert any(literal in value for literal in literals), (pattern, value)
                checked += 1
    assert checked > 50


@pytest.mark.parametrize("path", [
    ".//*[contains(@class, 'nav')]",  # nothing to guard
    ".//*[re:test(@id, 'nav') or re:test(@class, 'x*')]",  # 'x*' matches '': an absent class matches
    ".//*[re:test(@class, '(?:^|$)')]",
    ".//*[re:test(text(), 'nav')]",  # not an attribute
    ".//*[re:test(@class, '(unclosed')]",  # not a Python regex: left to lxml
])
def test_an_xpath_the_guard_could_change_is_left_alone(path):
    assert guarded_path(path) is None


# elements with and without the attributes trafilatura tests, empty ones, both orders
_ATTRIBUTES = ['', 'id="nav"', 'class="nav"', 'id=""', 'class=""', 'id="main" class="share-box"',
               'class="share-box" id="main"', 'style="display:none"', 'id="hidden"', 'class="comments-title"',
               'role="navigation"', 'class=" ad "', 'id="comments"', 'class="post-content"']
ATTRIBUTE_MIX = "<html><body>" + "".join(
    f"<{tag} {a}><{inner} {b}>x</{inner}></{tag}>"
    for tag in ("div", "section", "p", "span", "ul", "article")
    for inner in ("div", "li")
    for a in _ATTRIBUTES for b in _ATTRIBUTES[::3]) + "</body></html>"


@pytest.mark.parametrize("name", [*FIXTURES, "attribute-mix"])
def test_every_guarded_xpath_selects_what_trafilaturas_selects(name):
    tree = lxml.html.fromstring(ATTRIBUTE_MIX if name == "attribute-mix" else _fixture(name)[0])
    selected = 0
    for original, guarded in GUARDED:
        assert guarded(tree) == original(tree), original.path
        selected += len(original(tree))
    assert selected or name not in ("attribute-mix", "wordpress-voa-seed")


def test_preload_builds_justexts_stop_words_once_for_every_worker():
    from justext.core import define_stoplist
    from trafilatura import external

    from archiver.extract.trafilatura_passes import preload
    preload()
    built = external.JT_STOPLIST
    assert built and "the" in define_stoplist(built)
    hits = define_stoplist.cache_info().hits
    preload()  # again: nothing is built anew
    assert external.JT_STOPLIST is built and define_stoplist.cache_info().hits == hits + 1
