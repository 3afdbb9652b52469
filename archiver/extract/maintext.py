"""Main text of an article page: plain paragraphs and where they came from.

Pure: HTML tree in, text out; no Scrapy, no IO. The page tree is never modified.
"""

from __future__ import annotations

import re

import trafilatura

_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+")

# trafilatura's output elements that each make one paragraph of ours.
_BLOCKS = frozenset({"p", "head", "quote", "code", "item", "row"})


def extract_body(tree, html: str, url: str, *, structured_body: str | None = None) -> tuple[str, str]:
    """Body text as paragraphs separated by one blank line, and its source label
    ("json-ld" | "dom" | "heuristic")."""
    dom_text = _trafilatura_body(tree, url)
    if structured_body and _structured_is_usable(structured_body, dom_text, tree):
        return _paragraphs_of_text(structured_body), "json-ld"
    if dom_text:
        return dom_text, "dom"
    return "", "heuristic"


def _trafilatura_body(tree, url: str) -> str:
    # bare_extraction copies an element it is given, so the caller's tree stays intact.
    try:
        doc = trafilatura.bare_extraction(
            tree, url=url or None, include_comments=False, include_tables=True, with_metadata=False
        )
    except Exception:  # noqa: BLE001 - a broken page must never stop the crawl
        return ""
    if doc is None or doc.body is None:
        return ""
    return "\n\n".join(_blocks_text(doc.body))


def _blocks_text(body) -> list[str]:
    out: list[str] = []
    for el in body.iter():
        if el.tag not in _BLOCKS:
            continue
        # a block nested in another block (item in a quote) is emitted by its parent
        if any(anc.tag in _BLOCKS for anc in el.iterancestors()):
            continue
        if el.tag == "row":
            text = " | ".join(_fold(c.xpath("string()")) for c in el if c.tag == "cell")
        elif el.tag == "item" or not el.xpath(".//item"):
            text = _fold(el.xpath("string()"))
        else:
            text = None
            for item in el.iter("item"):
                t = _fold(item.xpath("string()"))
                if t:
                    out.append(t)
        if text:
            out.append(text)
    return out


def _structured_is_usable(structured: str, dom_text: str, tree) -> bool:
    """JSON-LD articleBody wins when its words are on the page and it is not a
    teaser: sites sometimes fill it with the summary or the first paragraph."""
    s_words = _WORD.findall(structured.lower())
    if len(s_words) < 30:
        return False
    d_words = _WORD.findall(dom_text.lower())
    if len(s_words) < 0.6 * len(d_words):
        return False
    page_words = set(_WORD.findall(tree.text_content().lower()))
    if not page_words:
        return False
    shared = sum(1 for w in s_words if w in page_words)
    return shared >= 0.8 * len(s_words)


def _paragraphs_of_text(text: str) -> str:
    paras = [_fold(p) for p in re.split(r"\n\s*\n|\n", text)]
    return "\n\n".join(p for p in paras if p)


def _fold(text: str) -> str:
    return _WS.sub(" ", text).strip()
