"""One fetched page, decoded once and parsed once, with the scans its extractors share.

Every extractor reads a `Page` and none changes its tree. What several of them
need (meta tags, JSON-LD objects, the naming attributes of elements, which
blocks are site furniture, paragraph texts) is computed on first use and kept
on the Page, never in module globals, so no state outlives a page.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import cached_property, lru_cache
from itertools import chain
from operator import add
from typing import NamedTuple

import lxml.html
from lxml import etree

from archiver import clock
from archiver.extract import structured
from archiver.extract.decode import decode_html
from archiver.normalize import vocab
from archiver.normalize.urls import canonical_url

MAX_HTML = 8_000_000  # characters; the rest of a bigger page is ads and scripts
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")

# Every attribute that names an element: read once per page.
_NAMING_ATTRS = frozenset({"class", "id", "role", "itemprop", "rel", "data-testid"})
# The attributes byline and date rules look at, and those site furniture is told by.
NAMING_ATTRS = frozenset({"class", "id", "itemprop", "rel", "data-testid"})
MARKER_ATTRS = frozenset({"class", "id", "role"})
_UNTESTED = object()

# class/id words of site furniture, and parts of those of related-story blocks.
RELATED_BLOCK = vocab.words(vocab.RELATED_CLASS_PARTS)
EXCLUDED_BLOCK = vocab.FURNITURE_CLASS_WORDS
EXCLUDED_PREFIXES = vocab.FURNITURE_CLASS_PREFIXES
_RELATED_PART = re.compile("|".join(map(re.escape, RELATED_BLOCK)))
# figcaption: its links credit the picture's source, they offer no story.
_FURNITURE_TAGS = ("nav", "header", "footer", "form", "button", "select", "noscript", "figcaption")


class Furniture(NamedTuple):
    """Site chrome and related-story blocks of one page."""

    excluded: set  # links and paragraphs inside site furniture
    related: list  # blocks whose class or id says they offer related stories
    blocks: list  # the furniture elements themselves (menus, share bars, comment threads...)


class Page:
    """A page as every extractor sees it: text, tree, URL and fetch time, plus shared scans."""

    def __init__(self, html: str, tree, url: str, fetched_at: datetime):
        self.html = html
        self.tree = tree
        self.url = url
        self.fetched_at = fetched_at
        self._verdicts: dict = {}
        self._found: dict = {}
        self._read: dict = {}
        self._texts: dict = {}

    @classmethod
    def parse(cls, body: bytes | str | None, url: str | None, *, content_type: str | None = None,
              fetched_at: datetime | None = None) -> Page | None:
        """The page of a response body; None when there is nothing to parse."""
        html = decode_html(body, content_type)
        tree = _parse(html)
        if tree is None:
            return None
        return cls(html, tree, page_url(url), aware(fetched_at))

    # --- what the page states about itself ---------------------------------
    @cached_property
    def meta(self) -> dict[str, list[str]]:
        return structured.meta_tags(self.tree)

    @cached_property
    def json_ld(self) -> list[dict]:
        return structured.json_ld_objects(self.tree)

    # --- the shared attribute scan -----------------------------------------
    @cached_property
    def naming(self) -> list[tuple]:
        """(attribute, value, element) for every class, id, role, itemprop, rel and
        data-testid attribute, in document order."""
        return [(name, value, el) for el in self.tree.iter(etree.Element)
                for name, value in el.items() if name in _NAMING_ATTRS]

    @cached_property
    def _value_positions(self) -> dict[str, dict[str, list[int]]]:
        """attribute -> value -> the places in `naming` where it is."""
        positions: dict = {}
        for i, (name, value, _) in enumerate(self.naming):
            by_value = positions.get(name)
            if by_value is None:
                by_value = positions[name] = {}
            found = by_value.get(value)
            if found is None:
                by_value[value] = [i]
            else:
                found.append(i)
        return positions

    def find(self, test, attrs: frozenset = NAMING_ATTRS) -> list[tuple]:
        """(element, verdict) for the values of `attrs` on which `test` says something,
        in document order; each distinct value is tested once, each question asked once."""
        key = (test, attrs)
        found = self._found.get(key)
        if found is None:
            hits = []
            verdicts = self._verdicts_of(test)
            for name in attrs:
                for value, positions in self._value_positions.get(name, {}).items():
                    verdict = verdicts.get(value, _UNTESTED)
                    if verdict is _UNTESTED:
                        verdict = verdicts[value] = test(value)
                    if verdict:
                        hits.extend((i, verdict) for i in positions)
            hits.sort(key=lambda hit: hit[0])
            naming = self.naming
            found = self._found[key] = [(naming[i][2], verdict) for i, verdict in hits]
        return found

    def verdict(self, test, value: str):
        """`test(value)`, computed once per distinct value on this page: a page repeats
        a few hundred attribute values over thousands of elements. (Any pure function of
        a string is cached so: maintext's shingles of a reading, compared several times.)"""
        verdicts = self._verdicts_of(test)
        try:
            return verdicts[value]
        except KeyError:
            result = verdicts[value] = test(value)
            return result

    def _verdicts_of(self, test) -> dict:
        verdicts = self._verdicts.get(test)
        if verdicts is None:
            verdicts = self._verdicts[test] = {}
        return verdicts

    def with_token(self, attr: str, *tokens: str) -> list:
        """Elements, in document order, whose `attr` lists one of the tokens
        (itemprop="url name", rel="author nofollow")."""
        return [el for el, _ in self.find(_token_test(tokens), frozenset({attr}))]

    def named(self, pattern: re.Pattern | vocab.Caseless, skip_tags: frozenset = frozenset()):
        """Elements (document order, each once in a row) with a naming attribute the pattern finds."""
        last = None
        for el, _ in self.find(pattern.search):
            if el is last or el is None or el.tag in skip_tags:
                continue
            last = el
            yield el

    def once(self, read):
        """`read(page)`, computed once per page: for readings several extractors ask for."""
        try:
            return self._read[read]
        except KeyError:
            result = self._read[read] = read(self)
            return result

    # --- text ---------------------------------------------------------------
    def text(self, el) -> str:
        """An element's text content, read once."""
        try:
            return self._texts[el]
        except KeyError:
            text = self._texts[el] = el.text_content()
            return text

    @cached_property
    def paragraphs(self) -> list[tuple]:
        """Every <p> with its text, in document order."""
        return [(p, self.text(p)) for p in self.tree.iter("p")]

    # --- site furniture -------------------------------------------------------
    @cached_property
    def furniture(self) -> Furniture:
        """Links and paragraphs inside site furniture (menus, share bars, forms...), and
        the blocks whose class or id says they offer related stories.

        Only the elements carrying a matching class, id or role value are looked at."""
        furniture, related = [], []
        for el, kind in self.find(marker_verdict, MARKER_ATTRS):
            if el.tag not in ("html", "body", "a"):
                (related if kind == "related" else furniture).append(el)
        related_set = set(related)
        roots = list(self.tree.iter(*_FURNITURE_TAGS))
        roots.extend(el for el in furniture if el.tag not in ("article", "main") and el not in related_set)
        # a block holding the headline holds the article: a layout wrapper whose class
        # happens to say "header" or "sidebar", not furniture
        headline = self.tree.find(".//h1")
        if headline is not None:
            around = set(headline.iterancestors())
            roots = [el for el in roots if el not in around]
        excluded = set()
        for root in roots:
            excluded.update(root.iter("a", "p"))
        return Furniture(excluded, list(dict.fromkeys(related)), roots)


@lru_cache(maxsize=None)
def _token_test(tokens: tuple[str, ...]):
    # One test function per token list, so its verdicts are cached per page.
    wanted = [f" {t} " for t in tokens]
    return lambda value: any(t in f" {value} " for t in wanted)


def marker_verdict(value: str) -> str:
    """"related", "furniture" or "" for one class, id or role value."""
    # words split at whitespace, "_" and "-" (str.split: faster than a regex split,
    # and the empty words that one leaves at the ends change no verdict)
    words = value.lower().replace("_", " ").replace("-", " ").split()
    squashed = "".join(words)
    if _RELATED_PART.search(squashed):
        return "related"
    # compound words too: "comment-form" -> "commentform", "most-read" -> "mostread"
    for word in chain(words, map(add, words, words[1:])):
        if word in EXCLUDED_BLOCK or word.startswith(EXCLUDED_PREFIXES):
            return "furniture"
    return ""


def _parser() -> lxml.html.HTMLParser:
    # Comments and processing instructions are no part of a page's text, and
    # trafilatura reads its own parses without them (its readings of trees
    # that kept them were worse on every development set).
    # lxml.html picks each element's class (FormElement, InputElement...) by a
    # Python callback every time Python touches an element; extraction needs
    # none of those classes, and one class looked up in C makes every
    # extractor's walk over the tree (and trafilatura's, on its copies) cheaper.
    # Comments are left out: no reader sees them, and trafilatura drops the text
    # after one inside a paragraph (server-rendered pages put "<!-- -->" between text nodes).
    # Processing instructions too, as trafilatura's own parser does.
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))
    return parser


def _parse(html: str):
    html = _XML_DECL.sub("", html[:MAX_HTML], count=1)
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html, parser=_parser())
    except Exception:  # noqa: BLE001 - lxml.etree.ParserError and friends on junk
        return None


def aware(moment: datetime | None) -> datetime:
    """A fetch time with a zone (UTC when none is given); now when there is none."""
    if not isinstance(moment, datetime):
        return clock.now()
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def absolute_url(value, base: str | None = None) -> str | None:
    """`value` as a canonical absolute URL, or None when it is no http(s) URL."""
    # Pages carry malformed links ("//[" is an invalid IPv6 host to urllib):
    # such a value is simply no URL.
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return canonical_url(value, base=base)
    except ValueError:
        return None


def page_url(url) -> str:
    """The URL a page was fetched from, canonical when it can be."""
    return absolute_url(url) or (url if isinstance(url, str) else "")
