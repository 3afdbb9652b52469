"""Could we read the page? Its access status, with the evidence, from the Page and its body.

`free`; `paywalled` or `registration` (a teaser: the article stops at a wall);
`consent-wall`, `bot-challenge`, `soft-404` (a "not found" page served as 200),
`js-required` (the text lives only in script data). Pure and cheap: the page's
visible text is only read when the body is too short to be the article.
"""

from __future__ import annotations

import re

from archiver.extract.article_check import count_words
from archiver.extract.dom import VISIBLE_TEXT, title_tag
from archiver.extract.page import Page
from archiver.normalize import vocab

FREE, PAYWALLED, REGISTRATION = "free", "paywalled", "registration"
CONSENT_WALL, BOT_CHALLENGE, SOFT_404, JS_REQUIRED = "consent-wall", "bot-challenge", "soft-404", "js-required"
STATUSES = (FREE, PAYWALLED, REGISTRATION, CONSENT_WALL, BOT_CHALLENGE, SOFT_404, JS_REQUIRED)
# Pages that are not the article at all: never stored as one.
WALLS = frozenset({CONSENT_WALL, BOT_CHALLENGE, SOFT_404, JS_REQUIRED})

# A body under this many words may be a wall instead of the article.
SHORT = 150
# A body under this share of the declared wordCount is a teaser; over FULL, the whole article.
# Without a declared wordCount, a walled page's teaser is under TEASER_WORDS words.
TEASER_WORDS = 250
TEASER_SHARE, FULL_SHARE = 0.6, 0.8
# A page showing fewer words than this may hold its text only in script data...
SCRIPT_ONLY_WORDS = 60
# ...when a script's string literals hold this many.
SCRIPT_TEXT_WORDS = 150


def _phrases(concept) -> re.Pattern:
    return re.compile(rf"(?<!\w)(?:{vocab.alternation(vocab.words(concept))})(?!\w)", re.I)


_PAYWALL_TEXT = _phrases(vocab.PAYWALL_WORDS)
_REGISTRATION_TEXT = _phrases(vocab.REGISTRATION_WORDS)
_CONSENT_TEXT = _phrases(vocab.CONSENT_WALL_WORDS)
_CHALLENGE_TEXT = _phrases(vocab.CHALLENGE_WORDS)
_JS_TEXT = _phrases(vocab.JS_REQUIRED_WORDS)
_SQUASH = re.compile(r"[\s_-]+")
_WORD = re.compile(r"\w+")
_LONG_STRING = re.compile(r'"((?:[^"\\]|\\.){80,})"')


def access_status(page: Page, body: str, ld: dict, not_found: str | None = None) -> tuple[str, str | None]:
    """(status, evidence) of a page whose extracted body is `body`; `ld` is its JSON-LD fields;
    `not_found` the evidence that it is a soft 404 (extract.article_check.soft_404, the one rule
    for pages that say the story is not there), or None."""
    words = count_words(body)
    if words < SHORT:
        visible = _visible_text(page)
        heads = " ".join(t for t in (_title(page), _h1(page)) if t)
        marker = next((m for m in vocab.CHALLENGE_MARKERS if m in page.html.lower()), None)
        said = _CHALLENGE_TEXT.search(heads)
        if marker or said:
            return BOT_CHALLENGE, f"challenge {'markup ' + repr(marker) if marker else 'text ' + repr(said.group(0))}"
    if not_found:
        return SOFT_404, not_found
    if words < SHORT:
        said = _CONSENT_TEXT.search(visible)
        if said and not ld.get("body"):
            return CONSENT_WALL, f"consent text {said.group(0)!r} and {words} words of body"
    wall = _wall(page, body, ld, words)
    if wall:
        return wall
    if words < SCRIPT_ONLY_WORDS:
        found = _script_text(page)
        if found:
            return JS_REQUIRED, found
    return FREE, None


def _wall(page: Page, body: str, ld: dict, words: int) -> tuple[str, str] | None:
    """A paywall or registration wall the article stops at, or None (also when the text is all there).

    Metered sites mark every page (isAccessibleForFree false, paywall scripts and
    classes) whether or not this reader got the whole text: those marks count
    only for a body short enough to be a teaser, or shorter than the page's own
    wordCount."""
    declared = _int(ld.get("word_count"))
    teaser = bool(declared and words < TEASER_SHARE * declared)
    if not teaser and (words >= TEASER_WORDS or (declared and words >= FULL_SHARE * declared)):
        return None
    signals = []
    free = ld.get("free")
    not_free = free is False or (isinstance(free, str) and free.strip().lower() == "false")
    if not_free:
        signals.append("JSON-LD isAccessibleForFree false")
    marked = _wall_markup(page)
    registration = bool(marked) and marked[0] == REGISTRATION
    if marked:
        signals.append(f"{marked[0]} markup {marked[1]!r}")
    if teaser:
        signals.append(f"body {words} of {declared} declared words")
    visible = _visible_text(page)
    said = _REGISTRATION_TEXT.search(visible)
    registration = registration or bool(said)
    said = said or _PAYWALL_TEXT.search(visible)
    if said:
        signals.append(f"text {said.group(0)!r}")
    # Either mark alone is on short free stories of metered sites too.
    if not (teaser or said or (not_free and marked)):
        return None
    return (REGISTRATION if registration else PAYWALLED), "; ".join(signals)


_MARKUP = re.compile(
    "|".join(f"(?P<{kind}>{'|'.join(parts)})" for kind, parts in (
        ("registration", vocab.REGISTRATION_CLASS_PARTS), ("paywalled", vocab.PAYWALL_CLASS_PARTS))))


def _wall_markup(page: Page) -> tuple[str, str] | None:
    """(kind, the class or id value) of the first paywall or registration-wall markup."""
    furniture = set(page.furniture.blocks)  # a menu's "subscriber-only" link is no wall
    for name, value, el in page.naming:
        if name in ("class", "id"):
            found = _MARKUP.search(_SQUASH.sub("", value.lower()))
            if found and el not in furniture and not any(a in furniture for a in el.iterancestors()):
                return found.lastgroup, value
    return None


def _script_text(page: Page) -> str | None:
    """Evidence that the page's text is only in script data (a JS app's state), or None."""
    best, where = 0, None
    for script in page.tree.iter("script"):
        kind = (script.get("type") or "").lower()
        if "ld+json" in kind or script.get("src"):
            continue
        words = sum(len(_WORD.findall(s)) for s in _LONG_STRING.findall(script.text or ""))
        if words > best:
            best, where = words, script.get("id") or kind or "inline script"
    if best >= SCRIPT_TEXT_WORDS:
        return f"{best} words only in script data ({where})"
    said = _JS_TEXT.search(" ".join(t for el in page.tree.iter("noscript") for t in el.itertext()))
    return f"noscript says {said.group(0)!r}" if said else None


def _visible_text(page: Page, limit: int = 20_000) -> str:
    try:
        return " ".join(VISIBLE_TEXT(page.tree))[:limit]
    except Exception:  # noqa: BLE001 - an odd tree just shows no text
        return ""


def _title(page: Page) -> str:
    return (title_tag(page) or "")[:300]


def _h1(page: Page) -> str:
    found = page.tree.find(".//h1")
    return (found.text_content() if found is not None else "")[:300]


def _int(value) -> int | None:
    try:
        return int(str(value).replace(",", "").strip())
    except (TypeError, ValueError):
        return None
