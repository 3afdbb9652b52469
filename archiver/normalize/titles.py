"""Titles: clean one headline, strip the site's name, choose among candidates."""

from __future__ import annotations

import html
import re
import unicodedata

MAX_TITLE = 400  # longer "titles" are whole paragraphs pasted into a tag

_WS = re.compile(r"\s+")
# Separators that set a site name apart. A hyphen or colon only counts with
# spaces around it, so "Covid-19" or "Re:Invent" are never cut.
_SEPARATORS = (" | ", " || ", " - ", " – ", " — ", " :: ", " · ", " • ", " » ", " « ", " / ", ": ", " ~ ", " — ")
_SPLIT = re.compile(r"\s+(?:\|\|?|-{1,2}|–|—|::|·|•|»|«|/|~)\s+|:\s+")
_QUOTES = str.maketrans({"\u00ab": '"', "\u00bb": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
                         "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'"})
_INVISIBLE = re.compile("[\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\ufeff\u00ad]")


def clean_text(text: str | None) -> str | None:
    """Unescape entities, drop invisible characters, fold whitespace."""
    if not text or not isinstance(text, str):
        return None
    if "&" in text:
        text = html.unescape(text)
    text = _INVISIBLE.sub("", text)
    text = _WS.sub(" ", text).strip()
    return text or None


def normalize_title(text: str | None, *, site_names: tuple[str, ...] | list[str] = ()) -> str | None:
    """One clean headline; the site's name is removed where it stands apart."""
    text = clean_text(text)
    if text is None:
        return None
    text = text[: MAX_TITLE * 3]
    if site_names:
        text = strip_site_name(text, site_names)
    text = text.translate(_QUOTES).strip()
    # Quotes that wrap the whole headline belong to the markup, not the story;
    # only strip them when no quote of that kind stands inside.
    if len(text) > 2 and text[0] in "\"'“" and text[-1] in "\"'”" and not any(q in text[1:-1] for q in "\"'“”"):
        text = text[1:-1].strip()
    if len(text) > MAX_TITLE:
        text = _shorten(text)
    return text or None


def _shorten(text: str) -> str:
    cut = text[:MAX_TITLE]
    space = cut.rfind(" ")
    return (cut[:space] if space > MAX_TITLE // 2 else cut).rstrip()


def fold(text: str | None) -> str:
    """Comparison key: case, accents' forms, punctuation and spacing folded."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"[\W_]+", "", text)


def _site_keys(site_names) -> set[str]:
    keys = set()
    for name in site_names:
        key = fold(name)
        if not key:
            continue
        keys.add(key)
        # Hosts: "www.nytimes.com" names the site as "nytimes".
        if "." in (name or "") and " " not in name:
            labels = [p for p in name.lower().split(".") if p not in {"www", "com", "org", "net", "co", "uk", "de", "at", "ch", "fr", "es", "it", "news"}]
            keys.update(fold(p) for p in labels if len(p) > 2)
    return keys


def _is_site(part: str, keys: set[str]) -> bool:
    key = fold(part)
    if not key:
        return False
    for site in keys:
        if key == site:
            return True
        # "The Guardian" vs "guardian", "Reuters.com" vs "reuters", "NYTimes" vs "nytimes".
        if len(site) >= 4 and (key.startswith(site) or key.endswith(site)) and len(key) <= len(site) + 10:
            return True
        if len(key) >= 4 and site.startswith(key) and len(site) <= len(key) + 10:
            return True
    return False


def strip_site_name(title: str, site_names) -> str:
    """Remove a leading or trailing segment that names the site."""
    keys = _site_keys(site_names)
    if not keys:
        return title
    while True:  # "Story | Site | Network" loses its tail one step at a time
        parts = _SPLIT.split(title)
        if len(parts) < 2:
            break
        seps = _SPLIT.findall(title)
        if _is_site(parts[-1], keys):
            cut = title.rfind(seps[-1])
            title = title[:cut].strip()
        elif _is_site(parts[0], keys) and seps[0].strip() not in ":":
            title = title[title.find(seps[0]) + len(seps[0]):].strip()
        elif _is_site(parts[0], keys) and seps[0].strip() == ":" and len(parts[0]) < 30:
            title = title[title.find(seps[0]) + len(seps[0]):].strip()
        else:
            break
    return title


def title_parts(title: str) -> list[str]:
    return [p for p in _SPLIT.split(title) if p.strip()]


def choose_title(candidates: list[tuple[str, str]], *, site_names=()) -> tuple[str | None, str | None]:
    """Pick (title, source) from ordered (source, raw text) candidates by agreement.

    A headline that two sources give alike wins; otherwise a candidate that
    another one contains as a whole segment ("Story | Site" holds "Story");
    otherwise the first in source order.
    """
    cleaned = []
    for source, raw in candidates:
        title = normalize_title(raw, site_names=site_names)
        if title:
            cleaned.append((source, title, raw))
    if not cleaned:
        return None, None
    # Exact agreement between two different sources.
    for i, (source, title, _) in enumerate(cleaned):
        key = fold(title)
        if any(fold(other) == key for j, (_, other, _) in enumerate(cleaned) if j != i):
            return title, source
    # A candidate that stands as a segment of another ("Story | Section | Site").
    for source, title, _ in cleaned:
        key = fold(title)
        for other_source, other, raw in cleaned:
            if other is title:
                continue
            segments = title_parts(clean_text(raw) or "")
            if len(segments) > 1 and any(fold(seg) == key for seg in segments):
                return title, source
            # "Story: more words" in <title> vs "Story" in h1: the shorter whole
            # prefix followed by a separator.
            raw_clean = clean_text(raw) or ""
            for sep in _SEPARATORS:
                if fold(raw_clean.split(sep, 1)[0]) == key and sep in raw_clean:
                    return title, source
    source, title, _ = cleaned[0]
    return title, source
