"""What the visible page says when markup says nothing: headline, byline, dates.

Each function reads a Page and returns raw candidate strings in the order they
are trusted; normalize/ decides which of them are names and dates.
"""

from __future__ import annotations

import re

from lxml import etree

from archiver.extract.page import Page
from archiver.normalize import vocab
from archiver.normalize.bylines import split_authors
from archiver.normalize.text import fold_spaces

MAX_CANDIDATES = 8
_MAX_BYLINE_TEXT = 250

# Regions whose names and dates belong to other stories or to readers.
_ELSEWHERE = vocab.Caseless(vocab.alternation(vocab.ELSEWHERE_CLASS_PARTS))
_BYLINE_ATTR = vocab.Caseless(
    r"byline|by-line|author|autor|auteur|authname|auth-name|writer|creator|reporter|journalist|contributor"
    r"|article-by|posted-by"
    r"|postedby|verfasser|credit")
_NOT_BYLINE_ATTR = vocab.Caseless(r"avatar|image|img|photo|bio|description|desc|social|follow|more|twitter|email|mail|thumb|pic|caption|date|time")
_DATE_ATTR = vocab.Caseless(r"date|time|publish|posted|dateline|timestamp|zeit|datum|fecha|meta|byline|info")
_MODIFIED_ATTR = vocab.Caseless(r"modif|updat|edited|aktualisiert|revis")
_BY_LINE = vocab.Caseless(rf"^\s*\(?(?:{vocab.alternation(vocab.BYLINE_LINE_PREFIXES)})\s*[:\-–—]?\s+\S")
_UPDATED_TEXT = vocab.Caseless(rf"\b(?:{vocab.alternation(vocab.words(vocab.UPDATED_WORDS))})\b")
_PUBLISHED_TEXT = vocab.Caseless(rf"\b(?:{vocab.alternation((*vocab.words(vocab.PUBLISHED_WORDS), 'on'))})\b")


# Elements are found through the page's naming attributes (Page.named): testing
# their values and touching only the few elements whose names match is far
# cheaper than visiting every element.
_NO_BYLINE_TAGS = frozenset({"meta", "link", "script", "style", "body", "html", "img", "svg", "path"})
_NO_DATE_TAGS = frozenset({"time", "meta", "link", "script", "style", "body", "html", "img", "svg", "path"})


# itemprop and rel hold space-separated lists ("url name"): Page.with_token matches a token.
def _props(page: Page, *names: str, skip: tuple = ("meta",)) -> list:
    return [el for el in page.with_token("itemprop", *names) if el.tag not in skip]


def _author_names(page: Page) -> list:
    """itemprop=name elements inside an itemprop=author one."""
    authors = set(page.with_token("itemprop", "author"))
    return [el for el in page.with_token("itemprop", "name") if any(a in authors for a in el.iterancestors())]


def _author_props(page: Page) -> list:
    """itemprop=author/creator elements that hold no itemprop=name of their own."""
    holders = {a for el in page.with_token("itemprop", "name") for a in el.iterancestors()}
    return [el for el in _props(page, "author", "creator", skip=("meta", "link")) if el not in holders]


def _rel_links(page: Page, rel: str) -> list:
    return [el for el in page.with_token("rel", rel) if el.tag == "a"]


def _attrs(el) -> str:
    return " ".join(filter(None, (el.get("class"), el.get("id"), el.get("itemprop"), el.get("rel"), el.get("data-testid"))))


def _text(el) -> str:
    try:
        return fold_spaces(el.text_content())
    except Exception:
        return ""


def _text_start(el, length: int = 40) -> str:
    """The first `length` characters of _text(el), reading no more of the element than that takes."""
    read = ""
    for chunk in el.itertext():
        read += chunk
        folded = fold_spaces(read)
        if len(folded) > length:
            return folded[:length]
    return fold_spaces(read)[:length]


def _elsewhere(el, stop_depth: int = 12) -> bool:
    """True when el sits in a comment box, related-stories list, sidebar or footer."""
    node = el
    for _ in range(stop_depth):
        node = node.getparent()
        if node is None:
            return False
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in ("footer", "aside", "nav"):
            return True
        if tag in ("article", "main", "body"):
            return False
        attrs = _attrs(node)
        if attrs and _ELSEWHERE.search(attrs):
            return True
    return False


# Plain strings (smart_strings=False): no reader needs the element a text came from.
_TITLE_TEXT = etree.XPath("//title/text()", smart_strings=False)


def title_tag(page: Page) -> str | None:
    return page.once(_title_tag)


def _title_tag(page: Page) -> str | None:
    try:
        found = _TITLE_TEXT(page.tree)
    except Exception:
        return None
    return found[0] if found else None


def headlines(page: Page) -> list[str]:
    """Visible headline candidates: itemprop=headline, then <h1>s outside side regions."""
    out = []
    try:
        marked = _props(page, "headline")
        h1s = list(page.tree.iter("h1"))
    except Exception:
        return out
    for el in marked[:2] + [h for h in h1s if not _elsewhere(h) and not _not_headline(h)][:3]:
        text = _headline_text(el)
        if text and len(text) < 1000:
            out.append(text)
    return out


def site_headings(page: Page) -> list[str]:
    """Texts of the <h1>s that hold the site's name (a logo, a link to the home page)."""
    try:
        return [t for t in (_text(h) for h in list(page.tree.iter("h1"))[:6]
                            if not _hidden(h) and _is_site_title(h)) if t and len(t) < 200]
    except Exception:
        return []


# Pages without <h1> (old table layouts, some blogs) still set the headline
# apart: a headline class, an <h2>, or big bold type.
_WEAK_HEADINGS = etree.XPath(
    "//*[contains(@class, 'headline') or contains(@class, 'entry-title') or contains(@class, 'post-title')]"
    "[not(self::meta or self::body or self::html or self::article)]"
    " | //h2 | //font[number(translate(@size, '+', '')) >= 4 or starts-with(@size, '+')]"
)


def weak_headlines(page: Page) -> list[str]:
    """Headline-like text when a page has no <h1>: first few, outside side regions."""
    out = []
    try:
        for el in _WEAK_HEADINGS(page.tree):
            text = _text(el)
            if text and 3 <= len(text) < 300 and not _elsewhere(el) and not _not_headline(el):
                out.append(text)
                if len(out) >= 2:
                    break
    except Exception:
        pass
    return out


_HIDDEN_ATTR = vocab.Caseless(r"offscreen|sr-only|screen-reader|visually-hidden|visuallyhidden")
_HIDDEN_CLASSES = frozenset(
    "hidden hide text-hide invisible element-invisible is-hidden u-hidden a11y-hidden navskip skip skiplink".split())
# A heading that holds the site's name or logo: its own class or id says so...
_SITE_TITLE_ATTR = vocab.Caseless(r"logo|site-?title|site-?name|blog-?title|branding")
# ...or it links to the site's home page (also through an archive's prefix).
_HOME_HREF = vocab.Caseless(r"^(?:/|\.?/?index\.\w+)?$|(?:^|/)(?:https?:)?//[^/?#]+/?(?:index\.\w+)?$")


def _hidden(el) -> bool:
    """Hidden from readers: screen-reader-only or hidden classes, hidden attributes."""
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    if "none" in (el.get("style") or "") and re.search(r"display\s*:\s*none", el.get("style"), re.I):
        return True
    attrs = _attrs(el)
    return bool(_HIDDEN_ATTR.search(attrs)) or not _HIDDEN_CLASSES.isdisjoint(attrs.lower().split())


def _not_headline(el) -> bool:
    """A heading that is not this story's: hidden, the site's name or logo, or a teaser
    inside a link to another page."""
    return _hidden(el) or any(anc.tag == "a" for anc in el.iterancestors()) or _is_site_title(el)


def _is_site_title(el) -> bool:
    if _SITE_TITLE_ATTR.search(" ".join(filter(None, (el.get("class"), el.get("id"))))):
        return True
    for inner in el.iter("a", "img", "svg"):
        if inner.tag == "a":
            if inner.get("rel") == "home" or _HOME_HREF.search((inner.get("href") or "x").strip()):
                return True
        else:
            said = [inner.get("alt"), inner.get("class"), inner.get("title"), inner.get("aria-label")]
            if inner.tag == "svg":
                said.append(_text(inner))
            if re.search(r"logo", " ".join(filter(None, said)), re.I):
                return True
    return False


def _headline_text(el) -> str:
    # <h1><span>Kicker</span><span>Headline</span></h1> renders as two lines;
    # text_content() would glue them ("KickerHeadline"), so keep a separator
    # that the title chooser knows how to cut. (Dropping the kicker outright
    # loses as often as it wins: many sites' own titles keep it.)
    children = [c for c in el if isinstance(c.tag, str) and c.tag not in ("br", "script", "style")]
    if 2 <= len(children) <= 4 and not (el.text or "").strip() and not any((c.tail or "").strip() for c in children):
        kept = [c for c in children if not _hidden(c)]
        parts = [p for p in (_text(c) for c in kept) if any(ch.isalnum() for ch in p)]
        if len(parts) >= 2:
            return ": ".join(parts)
        if len(parts) == 1:
            return parts[0]
    return _text(el)


def byline_candidates(page: Page) -> list[str]:
    """Byline texts of the story's own byline block, best kind of evidence first.

    Kinds: itemprop=author names, rel=author links, byline-named elements,
    "By ..." lines, then a "by ..." text right after the headline. The first kind that names someone wins, and only its
    elements inside the same small block count: author lists of related
    stories further down the page are not this story's authors.
    """
    tree = page.tree
    # Each kind is looked for only when the ones before it named nobody.
    kinds = (
        lambda: _author_names(page),
        lambda: _author_props(page),
        lambda: _rel_links(page, "author"),
        lambda: _attribute_bylines(page),
        lambda: _AUTHOR_PAGE_LINKS(tree)[: MAX_CANDIDATES * 2],
        lambda: _by_lines(tree),
    )
    try:
        for kind in kinds:
            named = [(el, text) for el in kind() if not _elsewhere(el)
                     for text in [_byline_text(el)] if text and split_authors(text)
                     and not _in_running_text(el, text)]
            if named:
                block = _byline_block(named[0][0])
                return [text for el, text in named if el is named[0][0] or _inside(el, block)][:MAX_CANDIDATES]
    except Exception:
        return []
    return _headline_tail_byline(tree)


def _headline_tail_byline(tree) -> list[str]:
    """A "by Jane Doe" written as bare text right after the headline, in no element of
    its own (`<h1>Story</h1>by Jane Doe, <time>...`): the last kind of byline looked for."""
    for h1 in tree.iter("h1"):
        tail = fold_spaces(h1.tail or "")
        if tail and len(tail) <= 150 and _BY_LINE.match(tail) and split_authors(tail):
            return [tail]
    return []


# Links to an author's page ("/author/jane-doe/") name the author even when no
# class says "byline".
_AUTHOR_PAGE_LINKS = etree.XPath(
    "//a[" + " or ".join(f"contains(@href, '/{segment}/')" for segment in vocab.AUTHOR_PATHS) + "]"
)


def _byline_text(el) -> str:
    value = el.get("content")
    if value:
        return value.strip()
    text = _text(el)
    if not text or len(text) > _MAX_BYLINE_TEXT:
        return ""
    if el.find(".//style") is not None or el.find(".//script") is not None:  # CSS-in-JS bylines
        text = fold_spaces(" ".join(el.xpath(".//text()[not(ancestor::style or ancestor::script)]", smart_strings=False)))
    # "<a>Jane Doe</a><a>John Roe</a>" renders as two names but text_content()
    # glues them into one; name the links one by one.
    links = [_text(a) for a in el.iter("a")]
    links = [t for t in links if t and len(t.split()) <= 5]
    if len(links) >= 2:
        return ", ".join(links)
    return text


def _in_running_text(el, text: str) -> bool:
    """A link or name inside a paragraph of the story ("...wie die der <a>patriarchalen
    Weiblichkeit</a> sind..."): it cites someone, it does not credit the story."""
    for anc in el.iterancestors("p", "li", "blockquote"):
        return len(_text(anc)) > 3 * len(text) + 80
    return False


def _byline_block(el, limit: int = 400):
    """The largest ancestor (up to four levels) that is still only a byline's worth of text."""
    block = el
    for _ in range(4):
        parent = block.getparent()
        if parent is None or len(_text(parent)) > limit:
            break
        block = parent
    return block


def _inside(el, block) -> bool:
    return any(anc is block for anc in el.iterancestors())


def _attribute_bylines(page: Page) -> list:
    out = []
    for el in page.named(_BYLINE_ATTR, _NO_BYLINE_TAGS):
        if _NOT_BYLINE_ATTR.search(_attrs(el)):
            continue
        text = _text(el)
        if not text or len(text) > _MAX_BYLINE_TEXT:
            continue
        out.append(el)
        if len(out) >= MAX_CANDIDATES * 2:
            break
    return out


# Elements a "By ..." line is printed in (a <div> only when it holds no blocks).
_BY_LINE_TAGS = ("p", "span", "div", "strong", "em", "i", "address", "td", "font", "b", "h3", "h4", "h5", "h6", "li")


def _by_lines(tree) -> list:
    out = []
    for el in tree.iter(*_BY_LINE_TAGS):
        if el.tag == "div" and next(el.iterdescendants("div", "p"), None) is not None:
            continue
        text = el.text or ""
        # an element without children starts with its own text: no second look needed
        if not _BY_LINE.match(text) and (not len(el) or not _BY_LINE.match(_text_start(el))):
            continue
        if len(_text(el)) <= 150:
            out.append(el)
            if len(out) >= 3:
                break
    return out


def date_candidates(page: Page) -> tuple[list[str], list[str]]:
    """(published, modified) raw date strings from <time>, itemprop and date-named elements."""
    published: list[str] = []
    modified: list[str] = []
    tree = page.tree
    try:
        for el in _props(page, "datePublished", "dateCreated"):
            published.append(el.get("content") or el.get("datetime") or _text(el))
        for el in _props(page, "dateModified"):
            modified.append(el.get("content") or el.get("datetime") or _text(el))
        for el in tree.iter("time"):
            if _elsewhere(el):
                continue
            value = el.get("datetime") or el.get("data-datetime") or _text(el)
            context = _attrs(el) + " " + _attrs(el.getparent()) if el.getparent() is not None else _attrs(el)
            label = _text(el.getparent())[:80] if el.getparent() is not None else ""
            if _MODIFIED_ATTR.search(context) or (_UPDATED_TEXT.search(label) and not _PUBLISHED_TEXT.search(label)):
                modified.append(value)
            else:
                published.append(value)
        published.extend(_dated_elements(page, modified))
    except Exception:
        pass
    return published[:MAX_CANDIDATES * 2], modified[:MAX_CANDIDATES]


def _dated_elements(page: Page, modified: list[str]) -> list[str]:
    out = []
    for el in page.named(_DATE_ATTR, _NO_DATE_TAGS):
        attrs = _attrs(el)
        text = _text(el)
        if not text or len(text) > 200 or _elsewhere(el):
            continue
        if _MODIFIED_ATTR.search(attrs) or (_UPDATED_TEXT.match(text) and not _PUBLISHED_TEXT.search(text)):
            modified.append(text)
        else:
            out.append(text)
        if len(out) >= MAX_CANDIDATES:
            break
    return out


def tag_links(page: Page) -> list[str]:
    """Texts of rel="tag" links (WordPress and most blog engines mark tags so)."""
    try:
        return [t for t in (_text(a) for a in _rel_links(page, "tag")[:50]) if t]
    except Exception:
        return []


# The text nodes of the page's body a reader sees, in document order.
VISIBLE_TEXT = etree.XPath("//body//text()[normalize-space()][not(ancestor::script or ancestor::style)]",
                          smart_strings=False)


def text_lines(page: Page, limit: int = 400) -> list[str]:
    """Short visible text lines, for date lines like "Posted by X on 04/18/2019"."""
    out = []
    try:
        for text in VISIBLE_TEXT(page.tree):
            text = fold_spaces(text)
            if 6 <= len(text) <= 160:
                out.append(text)
                if len(out) >= limit:
                    break
    except Exception:
        pass
    return out
