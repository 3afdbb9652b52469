"""Main text of an article page: plain paragraphs and where they came from.

Pure: a Page in, text out; no Scrapy, no IO. The page tree is never modified
(trafilatura copies an element it is given before cleaning it).

Two candidates are compared: trafilatura's reading of the DOM and the page's
JSON-LD articleBody. The JSON-LD text is written by the publisher and so free of
page chrome, but it is often a teaser, stale, HTML-escaped or a wall of text
without paragraph breaks; the DOM has the paragraph structure and the
subheadings but also some chrome. So the DOM paragraphs are kept where the
JSON-LD vouches for them, and the JSON-LD text is used alone only when the DOM
reading missed most of it.

trafilatura is checked against a second, cruder reading: the element holding
the most paragraph text (the "container"). It decides how many trafilatura
passes a page needs, trims teasers trafilatura kept after the article, and is
the fallback when trafilatura finds nothing. The standfirst a page prints above
the text (its meta description, shown) leads the body when trafilatura left it out.
"""

from __future__ import annotations

import html as html_lib
import re

import lxml.html
from lxml import etree

from archiver.extract.page import Page
from archiver.extract.trafilatura_passes import TrafilaturaPasses
from archiver.normalize.body import is_boilerplate
from archiver.normalize.text import fold_spaces

_TOKEN = re.compile(r"\w+")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-f]+|[a-z]+\d*);", re.I)
_TAG = re.compile(r"</?(p|br|div|span|a|strong|em|b|i|h[1-6]|ul|ol|li|figure|img|blockquote)\b[^>]*>", re.I)
# WordPress shortcodes left in feeds and JSON-LD: [caption id="1"], [ami-related url="..."], [/caption]
_SHORTCODE = re.compile(
    r"\[/?[a-z][\w-]*(?:\s+[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s\]]+))+\s*/?\]|\[/[a-z][\w-]*\]", re.I
)

# trafilatura's output elements that each make one paragraph of ours.
_BLOCKS = frozenset({"p", "head", "quote", "code", "item", "row"})
# Elements whose text is never body text when JSON-LD carries HTML.
_NON_TEXT = frozenset({"figure", "figcaption", "script", "style", "iframe", "noscript", "aside", "button"})
_HTML_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "tr", "dd", "dt"})

# trafilatura's precision mode leaves out more page chrome; when it also leaves out
# much of the article container's own paragraphs, its balanced mode is run too.
# Tables are kept: results, statistics, ingredients and specifications are part
# of the story (one paragraph per row); layout tables give their main columns.
# output_format "xml": the paragraphs are read from the document's body tree,
# and only the "python" format renders its text as well.
TRAFILATURA_OPTIONS = {"include_comments": False, "include_tables": True, "with_metadata": False,
                       "output_format": "xml"}
PRECISE = {"favor_precision": True}
CONTAINER_COVERED = 0.85
CONTAINER_DISAGREES = 0.2
CONTAINER_MIN_SHINGLES = 150  # below this the container may be a teaser box, not the article

# Shares of 4-word shingles, tuned on the development sets.
MIN_STRUCTURED_WORDS = 30
STRUCTURED_ON_PAGE = 0.8  # the JSON-LD words must be on the page, or it describes another story
STRUCTURED_MIN_SHARE = 0.6  # a JSON-LD text much shorter than the DOM body is a teaser
DOM_MISSED_MOST = 0.5  # the DOM reading holds less than this of the JSON-LD text: use the JSON-LD
PARAGRAPH_VOUCHED = 0.5  # a DOM paragraph is confirmed when this share of it is in the JSON-LD
SUBHEAD_MAX_WORDS = 14  # short unconfirmed lines between confirmed ones are subheadings
PROSE_MIN_WORDS = 40  # and long ones are text the JSON-LD copy lacks (it is often an older version)


def extract_body(page: Page, *, structured_body: str | None = None) -> tuple[str, str]:
    """Body text as paragraphs separated by one blank line, and its source label
    ("json-ld" | "dom" | "heuristic")."""
    paragraphs, label = _best_candidate(page, structured_body)
    if _is_binary_noise(paragraphs):
        return "", "heuristic"
    if paragraphs:
        lead = _visible_lead(page.tree, page.html)
        if lead and _share_in(page, lead, _shingles_of(page, " ".join(paragraphs))) < PARAGRAPH_VOUCHED:
            paragraphs = [lead, *paragraphs]
    return "\n\n".join(paragraphs), label


# Control characters and U+FFFD: binary data decoded as text is full of them,
# prose almost never has any.
_NOISE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")
MAX_NOISE_SHARE = 0.02


def _is_binary_noise(paragraphs: list[str]) -> bool:
    text = "".join(paragraphs)
    return bool(text) and len(_NOISE.findall(text)) > MAX_NOISE_SHARE * len(text)


def _best_candidate(page: Page, structured_body: str | None) -> tuple[list[str], str]:
    container = _main_container(page)
    dom = _trim_to_container(_dom_paragraphs(page, container), container, page)
    structured = structured_paragraphs(structured_body) if structured_body else []
    if structured and _structured_is_plausible(structured, dom, page.tree):
        merged = _merge(page, dom, structured)
        if merged is not None:
            return merged, "json-ld"
    if dom:
        return dom, "dom"
    # trafilatura found nothing it trusts: the container's own paragraphs
    if container is None:
        return [], "heuristic"
    return [t for p in container.iter("p") if len(t := flat_text(p)) >= MIN_PARAGRAPH_CHARS], "heuristic"


MIN_PARAGRAPH_CHARS = 25
CONTAINER_HOLDS_TEXT = 0.6  # trim only when the container holds this share of trafilatura's text
TAIL_MAX_CHARS = 300


def _main_container(page: Page):
    """The element that holds the article's paragraphs: each paragraph scores its
    parent with its length and its grandparent with half of it (readability's rule),
    so text split into one <div> per paragraph still finds the common ancestor."""
    excluded = page.furniture.excluded
    scores: dict = {}
    for p, text in page.paragraphs:
        if p in excluded:
            continue
        n = len(text.strip())
        if n < MIN_PARAGRAPH_CHARS:
            continue
        parent = p.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0) + n
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0) + n / 2
    return max(scores, key=scores.get) if scores else None


def _dom_paragraphs(page: Page, container) -> list[str]:
    """trafilatura's reading of the page: its precision passes, or its balanced pass
    where they keep only a stub of what it finds."""
    passes: dict = {}
    shared = TrafilaturaPasses(page.tree, page.url)

    def run(name: str) -> list[str]:
        if name not in passes:
            passes[name] = _trafilatura_paragraphs(shared, **PASSES[name])
        return passes[name]

    chosen = _precise_reading(page, container, run)
    # (a reading of nothing falls back to the container's own paragraphs, see _best_candidate)
    if (chosen or container is None) and _words_if_short(chosen) < STUB_WORDS:
        wider = run("balanced")
        if _extends(page, chosen, wider):
            return wider
    return chosen


def _words_if_short(paragraphs: list[str]) -> float:
    """The text words of a short reading (inf for a long one, without counting them all)."""
    if _word_count(paragraphs) >= STUB_WORDS * STUB_GROWTH:
        return float("inf")
    return _text_words(paragraphs)


def _extends(page: Page, stub: list[str], wider: list[str]) -> bool:
    """The wider reading holds the stub (or its text, if it has any) and much more text."""
    text = [p for p in stub if not is_boilerplate(p)]
    words = _word_count(text)
    held = max(_coverage(page, _shingles_of(page, " ".join(part)), wider) for part in (stub, text))
    return held >= PARAGRAPH_VOUCHED and _text_words(wider) >= max(STUB_GROWTH * words, words + STUB_MIN_GAIN)


PASSES = {"fast": {**PRECISE, "fast": True}, "precise": PRECISE, "balanced": {}}
# A reading with fewer text words than this may be a stub (a notice, a donation
# box, the byline alone) that the precision passes kept while the article is
# elsewhere; it is one when the balanced pass finds this many times its words,
# and this many more.
STUB_WORDS = 150
STUB_GROWTH = 3
STUB_MIN_GAIN = 60


def _word_count(paragraphs: list[str]) -> int:
    return sum(len(_TOKEN.findall(p)) for p in paragraphs)


def _text_words(paragraphs: list[str]) -> int:
    """Words of the paragraphs that are text, not furniture (normalize.body's rules)."""
    return sum(len(_TOKEN.findall(p)) for p in paragraphs if not is_boilerplate(p))


def _precise_reading(page: Page, container, run) -> list[str]:
    """As cheap as the page allows: the fast precision pass is enough when it covers
    a sizeable article container; the full precision pass (with its readability
    comparison) and the balanced pass are run only on the pages where it does not."""
    own = _shingles_of(page, " ".join(_container_paragraphs(page, container))) if container is not None else set()
    if len(own) >= CONTAINER_MIN_SHINGLES:
        fast = run("fast")
        if _coverage(page, own, fast) >= CONTAINER_COVERED:
            return fast
    precise = run("precise")
    if container is None:
        return precise
    covered = _coverage(page, own, precise)
    # not at all covered: the two disagree on where the article is, and the
    # container guess is the weaker of the two
    if covered >= CONTAINER_COVERED or covered < CONTAINER_DISAGREES:
        return precise
    balanced = run("balanced")
    # balanced mode wins when what it adds is mostly the container's own text
    inside = _shingles_of(page, page.text(container))
    gain_in, gain_out = (a - b for a, b in zip(_split_by(page, balanced, inside), _split_by(page, precise, inside)))
    return balanced if gain_in > gain_out else precise


def _split_by(page: Page, paragraphs: list[str], reference: set) -> tuple[int, int]:
    """How many of the paragraphs' shingles are in the reference, and how many not."""
    sh = _shingles_of(page, " ".join(paragraphs))
    inside = len(sh & reference)
    return inside, len(sh) - inside


def _container_paragraphs(page: Page, container) -> list[str]:
    return [t for p in container.iter("p") if len(t := fold_spaces(page.text(p))) >= MIN_PARAGRAPH_CHARS]


def _coverage(page: Page, reference: set, paragraphs: list[str]) -> float:
    total = len(reference)
    if not total:
        return 1.0
    return len(reference & _shingles_of(page, " ".join(paragraphs))) / total


def _trim_to_container(paragraphs: list[str], container, page: Page) -> list[str]:
    """Drop trailing paragraphs that lie outside the article container: related
    teasers, newsletter boxes and author cards that trafilatura kept. The head is
    left alone: leads often sit outside the container, above a picture."""
    if len(paragraphs) < 3 or container is None:
        return paragraphs
    inside = _shingles_of(page, page.text(container))
    shares = [_share_in(page, p, inside) for p in paragraphs]
    total = sum(len(p) for p in paragraphs)
    held = sum(len(p) for p, s in zip(paragraphs, shares) if s >= PARAGRAPH_VOUCHED)
    if held < CONTAINER_HOLDS_TEXT * total:
        return paragraphs
    last = max(i for i, s in enumerate(shares) if s >= PARAGRAPH_VOUCHED)
    # a long paragraph after the container is the story going on past an embed,
    # unless it sits in site furniture (a comment thread)
    long_tail = [p for p in paragraphs[last + 1 :] if len(p) > TAIL_MAX_CHARS]
    if long_tail:
        furniture = _shingles_of(page, " ".join(page.text(el) for el in page.furniture.blocks))
        if any(_share_in(page, p, furniture) < PARAGRAPH_VOUCHED for p in long_tail):
            return paragraphs
    return paragraphs[: last + 1]


# Text a reader sees: script data often repeats the article (Next.js state) and
# would vouch for any JSON-LD text. (Plain strings: "smart" ones, which know their
# element, cost an object and a tree reference per text node.)
_VISIBLE_TEXT = etree.XPath("//body//text()[not(parent::script or parent::style or parent::noscript)]",
                            smart_strings=False)
_DESCRIPTION_NAMES = (("property", "og:description"), ("name", "description"), ("name", "twitter:description"))
_TEXT_CONTAINING = etree.XPath("//body//text()[contains(., $key)]")
_LEAD_BLOCKS = frozenset({"p", "div", "h2", "h3", "section", "header", "span", "strong", "b"})
LEAD_MIN_CHARS = 40
LEAD_MAX_EXCESS = 1.15  # the element may hold a little more than the description (a dateline), not a headline


def _visible_lead(tree, html: str) -> str | None:
    """The standfirst shown above the text: the page's description, when the page
    also prints it. trafilatura often leaves it out as part of the header."""
    body_start = max(html.find("<body"), 0)
    for desc in dict.fromkeys(fold_spaces(d) for d in _descriptions(tree)):
        if len(desc) < LEAD_MIN_CHARS:
            continue
        # a key without quotes or apostrophes, which pages and meta tags write differently
        key = re.split(r"[\"'’‘“”„«»]", desc)[0][:40]
        # cheap test on the markup first: most pages never print their description
        if len(key) < 20 or html.find(key, body_start) < 0:
            continue
        for node in _TEXT_CONTAINING(tree, key=key):
            el = node.getparent()
            if node.is_tail:
                el = el.getparent()
            elif el.tag in ("script", "style", "noscript", "template"):
                continue
            while el is not None and el.tag not in _LEAD_BLOCKS:
                el = el.getparent()
            if el is None:
                continue
            text = flat_text(el)
            if len(text) <= LEAD_MAX_EXCESS * len(desc) + 10 or _completes(desc, text):
                return text
    return None


def _descriptions(tree) -> list[str]:
    """The contents of the description <meta> tags in the <head>, in document order."""
    return [meta.get("content") for head in tree.iter("head") for meta in head.iterchildren("meta")
            if meta.get("content") is not None and any(meta.get(a) == v for a, v in _DESCRIPTION_NAMES)]


LEAD_MAX_CHARS = 600


def _completes(desc: str, text: str) -> bool:
    """The text is the whole standfirst of a description cut short with an ellipsis."""
    cut = desc.rstrip(".… ")
    return len(cut) < len(desc) and len(text) <= LEAD_MAX_CHARS and _key(text).startswith(_key(cut))


def _key(text: str) -> str:
    return " ".join(_TOKEN.findall(text.lower()))


def _trafilatura_paragraphs(passes: TrafilaturaPasses, **options) -> list[str]:
    try:
        body = passes.extract(**TRAFILATURA_OPTIONS, **options)
    except Exception:  # noqa: BLE001 - a broken page must never stop the crawl
        return []
    return [] if body is None else _blocks_text(body)


def _blocks_text(body) -> list[str]:
    """trafilatura's output tree as paragraphs: one per block, one per list item,
    one per table row (cells joined by " | "); a table laid out as the page's
    columns gives the paragraphs of its main cells instead."""
    out: list[str] = []
    _emit_blocks(body, out)
    return [t for t in out if t]


def _emit_blocks(el, out: list[str]) -> None:
    for child in el:
        tag = child.tag
        if tag == "table":
            _emit_table(child, out)
        elif tag in _BLOCKS and not _holds_blocks(child):
            out.append(flat_text(child))
        elif isinstance(tag, str):
            # a list, or a block holding items or a table: its own text, then what it holds
            if child.text and child.text.strip() and tag in _TEXT_HOLDERS:
                out.append(fold_spaces(child.text))
            _emit_blocks(child, out)
        if child.tail and child.tail.strip() and el.tag in _TEXT_HOLDERS:
            loose = fold_spaces(child.tail)
            # trafilatura leaves credits, dates and notices loose between the blocks
            # of its output; prose there is the article's
            if el.tag != "body" or len(_TOKEN.findall(loose)) >= LOOSE_MIN_WORDS:
                out.append(loose)


# Elements of trafilatura's output whose loose text (between blocks) is body text.
_TEXT_HOLDERS = frozenset({"body", "cell", "item", "quote", "div", *_BLOCKS})
LOOSE_MIN_WORDS = 12  # loose text of fewer words between the output's blocks is left out
LAYOUT_CELL_CHARS = 400  # a table cell holding this much text, or several blocks, is a page column
LAYOUT_KEPT_SHARE = 0.3  # of a layout table's cells, those with this share of the largest one's text are kept


def _holds_blocks(el) -> bool:
    return el.find(".//item") is not None or el.find(".//table") is not None


def _emit_table(table, out: list[str]) -> None:
    rows = [r for r in table.iter("row") if next(r.iterancestors("table")) is table]
    cells = [c for r in rows for c in r if c.tag == "cell"]
    texts = {c: flat_text(c) for c in cells}
    if any(len(texts[c]) >= LAYOUT_CELL_CHARS or sum(1 for d in c.iterdescendants() if d.tag in _BLOCKS) >= 3
           for c in cells):
        # a layout table: the columns that hold text, block by block; menus and banners left out
        longest = max(len(t) for t in texts.values())
        for cell in cells:
            if len(texts[cell]) >= LAYOUT_KEPT_SHARE * longest:
                _emit_cell(cell, out)
        return
    for row in rows:
        line = " | ".join(t for c in row if c.tag == "cell" and (t := texts[c]))
        if line:
            out.append(TableRow(line))


class TableRow(str):
    """A paragraph that is one row of a data table, its cells joined by " | "."""


def _emit_cell(cell, out: list[str]) -> None:
    if cell.text and cell.text.strip():
        out.append(fold_spaces(cell.text))
    _emit_blocks(cell, out)


# Elements whose boundaries separate words; a line break is one too.
_SEPARATING = frozenset({"p", "div", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
                         "dd", "dt", "head", "item", "cell", "row", "list", "quote", "table", "ul", "ol"})
_BREAKS = frozenset({"br", "lb"})
_HIDDEN = frozenset({"script", "style", "noscript", "template"})


def flat_text(el) -> str:
    """An element's text on one line: a line break (<br>, trafilatura's <lb>) and
    the edge of a nested block separate words, where text_content() glues them."""
    if not len(el):
        return fold_spaces(el.text or "")
    parts: list[str] = []
    _collect(el, parts)
    return fold_spaces("".join(parts))


def _collect(el, parts: list[str]) -> None:
    if el.text:
        parts.append(el.text)
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in _HIDDEN:
            pass
        elif tag in _BREAKS:
            parts.append(" ")
        elif tag in _SEPARATING:
            parts.append(" ")
            _collect(child, parts)
            parts.append(" ")
        else:
            _collect(child, parts)
        if child.tail:
            parts.append(child.tail)


def structured_paragraphs(text: str) -> list[str]:
    """JSON-LD articleBody as paragraphs: entities decoded, HTML and shortcodes removed."""
    for _ in range(2):  # some sites escape twice (&amp;Ccedil;)
        if not _ENTITY.search(text):
            break
        text = html_lib.unescape(text)
    text = _SHORTCODE.sub(" ", text)
    if _TAG.search(text):
        return _html_paragraphs(text)
    return [p for p in (fold_spaces(line) for line in text.splitlines()) if p]


def _html_paragraphs(text: str) -> list[str]:
    try:
        root = lxml.html.fragment_fromstring(text, create_parent="div")
    except Exception:  # noqa: BLE001 - unparsable markup: fall back to tag stripping
        return [p for p in (fold_spaces(re.sub(r"<[^>]+>", " ", line)) for line in text.splitlines()) if p]
    out: list[str] = []
    loose: list[str] = []

    def flush():
        if loose:
            out.append(fold_spaces(" ".join(loose)))
            loose.clear()

    def walk(el):
        for child in el:
            if not isinstance(child.tag, str) or child.tag in _NON_TEXT:
                if child.tail:
                    loose.append(child.tail)
                continue
            if child.tag in _HTML_BLOCKS:
                flush()
                out.append(fold_spaces(child.text_content()))
            elif child.tag == "br":
                flush()
            elif any(d.tag in _HTML_BLOCKS or d.tag == "br" for d in child.iterdescendants()):
                flush()
                if child.text:
                    loose.append(child.text)
                walk(child)
                flush()
            else:
                loose.append(child.text_content())
            if child.tail:
                loose.append(child.tail)

    if root.text:
        loose.append(root.text)
    walk(root)
    flush()
    return [p for p in out if p]


def _structured_is_plausible(structured: list[str], dom: list[str], tree) -> bool:
    """The JSON-LD text is about this page and is not a teaser of it."""
    s_words = _TOKEN.findall(" ".join(structured).lower())
    if len(s_words) < MIN_STRUCTURED_WORDS:
        return False
    # JSON-LD texts never carry the tables of the story
    d_words = _TOKEN.findall(" ".join(p for p in dom if not isinstance(p, TableRow)).lower())
    if len(s_words) < STRUCTURED_MIN_SHARE * len(d_words):
        return False
    page_words = set(_TOKEN.findall(" ".join(_VISIBLE_TEXT(tree)).lower()))
    shared = sum(1 for w in s_words if w in page_words)
    return shared >= STRUCTURED_ON_PAGE * len(s_words)


def _merge(page: Page, dom: list[str], structured: list[str]) -> list[str] | None:
    """DOM paragraphs confirmed by the JSON-LD text (plus the subheadings between
    them), or the JSON-LD paragraphs when the DOM reading missed most of them."""
    s_sh = _shingles_of(page, " ".join(structured))
    d_sh = _shingles_of(page, " ".join(dom))
    if not s_sh:
        return None
    if len(s_sh & d_sh) < DOM_MISSED_MOST * len(s_sh):
        return structured
    vouched = [_share_in(page, p, s_sh) >= PARAGRAPH_VOUCHED for p in dom]
    if not any(vouched):
        return None
    first = vouched.index(True)
    last = len(vouched) - 1 - vouched[::-1].index(True)
    kept = []
    for i, para in enumerate(dom):
        words = len(_TOKEN.findall(para))
        if vouched[i] or (first < i < last and (words <= SUBHEAD_MAX_WORDS or words >= PROSE_MIN_WORDS)):
            kept.append(para)
    return kept


def _shingles(text: str) -> frozenset:
    """The text's distinct 4-word shingles (the benchmark's unit of comparison)."""
    toks = _TOKEN.findall(text.lower())
    if len(toks) < 4:
        return frozenset({tuple(toks)} if toks else ())
    return frozenset(zip(toks, toks[1:], toks[2:], toks[3:]))


def _shingles_of(page: Page, text: str) -> frozenset:
    """_shingles(text), computed once per page: a reading is compared with the container,
    the JSON-LD text and the lead, each time as a whole and paragraph by paragraph."""
    return page.verdict(_shingles, text)


def _share_in(page: Page, para: str, reference: set) -> float:
    sh = _shingles_of(page, para)
    return len(sh & reference) / len(sh) if sh else 0.0

