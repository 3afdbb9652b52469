"""Is a page one story (an article) or something else (home, section list, about)?"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from archiver.normalize import vocab

MIN_WORDS = 80  # below this there is no story to archive, only a teaser or a form
MIN_DECLARED_WORDS = 25
_LANG = r"^/(?:[a-z]{2}(?:-[a-z]{2})?/)?"
# Pages about the site itself: never stories, whatever their markup says.
_SITE_PAGE_PATH = re.compile(_LANG + rf"(?:{vocab.alternation(vocab.words(vocab.SITE_PAGES))})(?:/|\.html?)?$", re.I)
# Lists of stories (by tag, author, section): not stories unless the page says it is one.
_LIST_PATH = re.compile(_LANG + rf"(?:{vocab.alternation(vocab.words(vocab.LISTING_PATHS))})(?:/[^/]+)?/?$", re.I)
_NON_ARTICLE_TYPES = frozenset({"website", "profile", "product", "video.other", "music.song", "book", "place"})


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _words(text: str) -> int:
    # Chinese and Japanese put no spaces between words: count about one word
    # per two of their characters so their stories are not "too short".
    text = text or ""
    cjk = len(_CJK.findall(text))
    return len(re.findall(r"\w+", _CJK.sub(" ", text))) + cjk // 2


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
    words = _words(body)
    paragraphs = [p for p in (body or "").split("\n\n") if p.strip()]
    if path is not None and (path == "/" or re.fullmatch(r"/(?:index\.\w+|home|[a-z]{2}(?:-[a-z]{2})?)/?", path, re.I)):
        return False, "home page"
    if path is not None and _SITE_PAGE_PATH.match(path):
        return False, "site page (about, contact or legal)"
    declared = bool(set(json_ld_types or ()) & story_types) or (og_type or "").lower() == "article"
    if path is not None and _LIST_PATH.match(path) and not declared:
        return False, "list of stories (tag, author or section page)"
    # A page that declares itself a story may be a short or paywalled one.
    if words < (MIN_DECLARED_WORDS if declared else MIN_WORDS):
        return False, f"too little text ({words} words)"
    if paragraphs and not declared:
        long_paragraphs = [p for p in paragraphs if _words(p) >= 12]
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
