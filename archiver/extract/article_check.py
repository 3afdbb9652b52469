"""Is a page one story (an article) or something else (home, section list, about)?"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from archiver.normalize import vocab
from archiver.normalize.urls import canonical_url

MIN_WORDS = 80  # below this there is no story to archive, only a teaser or a form
MIN_DECLARED_WORDS = 25
_LANG = r"^/(?:[a-z]{2}(?:-[a-z]{2})?/)?"
# Pages about the site itself: never stories, whatever their markup says.
_SITE_PAGE_PATH = re.compile(_LANG + rf"(?:{vocab.alternation(vocab.words(vocab.SITE_PAGES))})(?:/|\.html?)?$", re.I)
# Lists of stories (by tag, author, section): not stories unless the page says it is one.
_LIST_PATH = re.compile(_LANG + rf"(?:{vocab.alternation(vocab.words(vocab.LISTING_PATHS))})(?:/[^/]+)?/?$", re.I)
HOME_PAGE = "home page"
SITE_PAGE = "site page (about, contact or legal)"
_NON_ARTICLE_TYPES = frozenset({"website", "profile", "product", "video.other", "music.song", "book", "place"})


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_WORD = re.compile(r"\w+")


def count_words(text: str) -> int:
    """Words of a text as the article checks count them (CJK text by its characters)."""
    # Chinese and Japanese put no spaces between words: count about one word
    # per two of their characters so their stories are not "too short".
    text = text or ""
    if not _CJK.search(text):  # (most texts: one scan, not three)
        return len(_WORD.findall(text))
    cjk = len(_CJK.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + cjk // 2


def check_article(
    *,
    url: str | None,
    body: str,
    og_type: str | None,
    json_ld_types: list[str] | None,
    story_types: frozenset[str],
    has_date: bool,
    has_author: bool,
) -> tuple[bool, str | None]:
    """(is_article, reason when not). The page's own claim counts first, then shape."""
    # A page saved without its URL (an empty URL in `extract --batch`) has no path to judge.
    try:
        path = (urlsplit(url).path or "/") if url else None
    except ValueError:  # a malformed URL says nothing about the page
        path = None
    words = count_words(body)
    paragraphs = [p for p in (body or "").split("\n\n") if p.strip()]
    if path is not None and (path == "/" or re.fullmatch(r"/(?:index\.\w+|home|[a-z]{2}(?:-[a-z]{2})?)/?", path, re.I)):
        return False, HOME_PAGE
    if path is not None and _SITE_PAGE_PATH.match(path):
        return False, SITE_PAGE
    declared = bool(set(json_ld_types or ()) & story_types) or (og_type or "").lower() == "article"
    if path is not None and _LIST_PATH.match(path) and not declared:
        return False, "list of stories (tag, author or section page)"
    # A page that declares itself a story may be a short or paywalled one.
    if words < (MIN_DECLARED_WORDS if declared else MIN_WORDS):
        return False, f"too little text ({words} words)"
    if paragraphs and not declared:
        long_paragraphs = [p for p in paragraphs if count_words(p) >= 12]
        # Section fronts are many one-line teasers; stories have real paragraphs.
        if len(long_paragraphs) < 2 and len(paragraphs) >= 6:
            return False, "list of links, no paragraphs"
    if declared:
        return True, None
    if (og_type or "").lower() in _NON_ARTICLE_TYPES and not (has_date or has_author):
        return False, f"page type {og_type}"
    if has_date or has_author or words >= 250:
        return True, None
    return False, "no date, author or long text"


# A page whose title or headline is mostly a "page not found" phrase, with little text,
# is a 404 answered with 200 (a soft 404); so is a very short text saying so in a
# phrase of three words or more. A story about 404 errors, or headlined "Missing
# hiker not found", is longer or says more in its headline.
SOFT_404_MAX_WORDS = 150
SOFT_404_TEXT_WORDS = 60
_NOT_FOUND = re.compile(rf"(?<!\w)(?:{vocab.alternation(vocab.words(vocab.NOT_FOUND))})(?!\w)", re.I)
_TITLE_PARTS = re.compile(r"\s+[|–—:·-]\s+|\s*[|–—·]\s*")


def soft_404(*, titles: list[str | None], headings: Callable[[], list[str]], body: str | None) -> str | None:
    """The evidence that a page with status 200 says its story is not there (a soft 404),
    or None. A phrase of normalize.vocab.NOT_FOUND (every language listed) that makes up
    at least half of a part of a title (the chosen one, the <title>; parts are split at
    | – — : ·) or of a headline; or, in a text of at most SOFT_404_TEXT_WORDS words, one of
    three words or more. Never for a page of more than SOFT_404_MAX_WORDS words.
    `headings` is called for short pages only."""
    # Over 20 characters per word a soft 404 may have: too long, without counting its words.
    if len(body or "") > 20 * SOFT_404_MAX_WORDS:
        return None
    words = count_words(body or "")
    if words > SOFT_404_MAX_WORDS:
        return None
    for where, texts in (("title", lambda: titles), ("headline", headings)):
        for text in texts():
            for part in _TITLE_PARTS.split(" ".join((text or "").split())):
                found = _NOT_FOUND.search(part)
                if found and 2 * len(found.group(0)) >= len(part.strip(" .!?")):
                    return f'"{part}" in the {where}'
    if words <= SOFT_404_TEXT_WORDS:
        for found in _NOT_FOUND.finditer(body or ""):
            if len(found.group(0).split()) >= 3:
                return f'"{" ".join(found.group(0).split())}" in the text'
    return None


def gone_reason(record: dict, *, requested_url: str) -> str | None:
    """Why a fetched page says the archived article at `requested_url` is gone, or None:
    it is a soft 404, or the URL now leads elsewhere (a redirect, or a canonical URL
    naming another page) to a page that is no story: the home page, a section or
    list page. Another story, the article itself, or a page about the site (a login
    or subscription page: a wall, not a removal) is not a removal."""
    if record.get("soft_404"):
        return f"soft 404: {record['soft_404']}"
    if record.get("is_article"):
        return None
    landed = record.get("url") or ""
    if landed.rstrip("/") == (canonical_url(requested_url) or requested_url or "").rstrip("/"):
        return None
    reason = record.get("not_article_reason") or ""
    if reason == HOME_PAGE:
        return f"sent to the home page ({landed})"
    if reason.startswith(SITE_PAGE):
        return None
    return f"sent to a page that is no story ({landed}: {reason})"
