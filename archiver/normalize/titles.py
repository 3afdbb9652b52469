"""Titles: clean one headline, strip the site's name, choose among candidates."""

from __future__ import annotations

import html
import re
import unicodedata

from archiver.normalize import vocab
from archiver.normalize.text import fold_spaces

MAX_TITLE = 400  # longer "titles" are whole paragraphs pasted into a tag

# Separators that set a site name apart. A hyphen or colon only counts with
# spaces around it, so "Covid-19" or "Re:Invent" are never cut.
_SPLIT = re.compile(r"\s+(?:\|\|?|-{1,2}|–|—|::|·|•|»|«|/|~)\s+|:\s+")
# Labels that announce the medium, not the story: "(video)", "[Watch]", "WATCH:".
_MEDIA_MARK = re.compile(
    r"\s*[\(\[](?:video|videos|watch|photos?|pictures|gallery|audio|podcast|listen|poll|quiz)[\)\]]\s*$"
    r"|^(?:WATCH|VIDEO|PHOTOS|LISTEN|GALLERY)\s*:\s*",
    re.I,
)
_INVISIBLE = re.compile("[\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\ufeff\u00ad]")


def clean_text(text: str | None) -> str | None:
    """Unescape entities, drop invisible characters, fold whitespace."""
    if not text or not isinstance(text, str):
        return None
    while "&" in text:  # "&amp;quot;" is common: unescape until stable
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = _INVISIBLE.sub("", text)
    text = fold_spaces(text)
    return text or None


def normalize_title(text: str | None, *, site_names: tuple[str, ...] | list[str] = ()) -> str | None:
    """One clean headline; the site's name is removed where it stands apart."""
    text = clean_text(text)
    if text is None:
        return None
    text = text[: MAX_TITLE * 3]
    if site_names:
        text = strip_site_name(text, site_names)
    text = _MEDIA_MARK.sub("", text).strip()
    # Doubled quotes come from templates that quote an already quoted value.
    text = re.sub(r'^(["\'])\1(.*)\1\1$', r"\1\2\1", text).strip()
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
    return re.sub(r"[\W_]+", "", _plain(text))


_HOST_NOISE = frozenset("www com org net co uk de at ch fr es it news".split())


def _site_keys(site_names) -> set[str]:
    keys = set()
    for name in site_names:
        key = fold(name)
        if not key:
            continue
        keys.add(key)
        # Hosts: "www.nytimes.com" names the site as "nytimes".
        if "." in (name or "") and " " not in name:
            labels = [p for p in name.lower().split(".") if p not in _HOST_NOISE]
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
        if len(site) >= 3 and (key.startswith(site) or key.endswith(site)) and len(key) <= len(site) + 10:
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
        # The site's name, or a section's heading beside it ("Site » Blog Archive » Story").
        if _is_site(parts[-1], keys) or is_generic_heading(parts[-1]):
            cut = title.rfind(seps[-1])
            title = title[:cut].strip()
        # A leading "Site:" only when short: "Guardian: ..." is a site, a long
        # first clause before a colon is the headline's own kicker.
        elif (_is_site(parts[0], keys) or is_generic_heading(parts[0])) and (seps[0].strip() != ":" or len(parts[0]) < 30):
            title = title[title.find(seps[0]) + len(seps[0]):].strip()
        else:
            break
    return title


# How much a source's headline counts when titles are chosen by agreement: the
# visible headline most, the <title> tag (often an SEO variant) least.
SOURCE_WEIGHT = {"h1": 4.0, "heading": 2.0, "json-ld": 3.0, "meta": 3.0, "title": 1.0, "feed": 1.0, "sitemap": 1.0}
# Equal support: the headline a source states for this page specifically
# (JSON-LD headline) before the one made for sharing (og:title).
TIE_ORDER = {"h1": 5, "json-ld": 4, "meta": 3, "heading": 2, "title": 1}
# When sources agree on the words, whose spelling to keep: markup values keep
# the separators a rendered <h1> loses between its kicker and headline spans.
SPELLING_WEIGHT = {"meta": 3.1, "json-ld": 3.0, "h1": 2.0, "heading": 1.5, "title": 1.0}
# A variant made by cutting a kicker or a tail off a headline counts much less
# than a headline stated whole, and must keep most of the headline's length.
PART_WEIGHT = 0.3
PART_MIN_SHARE = 0.4


def title_variants(title: str) -> list[str]:
    """The title cut at each separator: "Kicker: Story | Site" -> "Story | Site", "Story", ..."""
    pieces = _SPLIT.split(title)
    seps = _SPLIT.findall(title)
    if len(pieces) < 2 or len(pieces) > 8:
        return []
    variants = []
    for i in range(len(pieces)):
        for j in range(i + 1, len(pieces) + 1):
            if (i, j) == (0, len(pieces)):
                continue
            text = (pieces[i] + "".join(seps[k] + pieces[k + 1] for k in range(i, j - 1))).strip()
            if len(text.split()) >= 2 and len(text) >= PART_MIN_SHARE * len(title):
                variants.append(text)
    return variants


def choose_title(candidates: list[tuple[str, str]], *, site_names=(),
                 trail: list | None = None) -> tuple[str | None, str | None]:
    """Pick (title, source) among (source, raw headline) candidates by agreement.

    Each headline votes for itself with its source's weight and, weakly, for
    what is left of it without a kicker or tail (cut at a separator, or equal
    to another candidate it starts or ends with); the best-supported text wins,
    then the one more sources state. `trail` (a list) receives, per candidate,
    (source, raw, title, verdict, chosen).
    """
    keys = _site_keys(site_names)
    stated = []
    raws = []  # the raw text of each stated headline
    seen_sources: set[str] = set()
    for source, raw in candidates:
        title = normalize_title(raw, site_names=site_names)
        if not title or _is_site(title, keys):
            if trail is not None:
                trail.append((source, raw, None, "the site's name" if title else "empty once cleaned", False))
            continue
        # Only the first headline of a kind speaks with full weight; later
        # <h1>s are often teasers or the site logo.
        weight = SOURCE_WEIGHT.get(source, 1.0) * (0.25 if source in seen_sources else 1.0)
        seen_sources.add(source)
        stated.append((source, title, fold(title), weight))
        raws.append(raw)
    if not stated:
        return None, None
    # Section headings ("Categories", "Our Work") yield to any headline.
    generic = [is_generic_heading(title) for _, title, _, _ in stated]
    if not all(generic):
        if trail is not None:
            trail.extend((source, raw, title, "a section's heading, not a story's", False)
                         for (source, title, _, _), raw, g in zip(stated, raws, generic) if g)
        raws = [raw for raw, g in zip(raws, generic) if not g]
        stated = [entry for entry, g in zip(stated, generic) if not g]
    votes: dict[str, float] = {}
    supporters: dict[str, set[str]] = {}
    spellings: dict[str, dict[str, float]] = {}
    spelled_by: dict[tuple[str, str], str] = {}
    for source, title, key, weight in stated:
        votes[key] = votes.get(key, 0.0) + weight
        supporters.setdefault(key, set()).add(source)
        spelling = spellings.setdefault(key, {})
        spelling[title] = spelling.get(title, 0.0) + SPELLING_WEIGHT.get(source, 0.5)
        spelled_by.setdefault((key, title), source)
    for source, title, key, weight in stated:
        parts = {fold(v): v for v in title_variants(title)}
        for _, other, other_key, _ in stated:
            if other_key != key and len(other_key) >= PART_MIN_SHARE * len(key) and (
                key.startswith(other_key) or key.endswith(other_key)
            ):
                parts.setdefault(other_key, other)
        for part_key, part in parts.items():
            if part_key and part_key != key:
                votes[part_key] = votes.get(part_key, 0.0) + weight * PART_WEIGHT
                spellings.setdefault(part_key, {}).setdefault(part, 0.0)
                spelled_by.setdefault((part_key, part), source)
    best = max(votes, key=lambda k: (round(votes[k], 6), len(supporters.get(k, ())),
                                     max((TIE_ORDER.get(src, 0) for src in supporters.get(k, ())), default=0)))
    title = max(spellings[best], key=lambda t: spellings[best][t])
    source = spelled_by[(best, title)]
    if trail is not None:
        _explain_votes(trail, raws, stated, votes, best, title)
    fuller = _fuller_headline(stated, title)
    if fuller is not None:
        if trail is not None:
            trail[:] = [(s, r, t, f"{v}; the page's headline continues it" if c else v, False)
                        for s, r, t, v, c in trail]
            trail.append(("h1", None, fuller, "chosen: the page's headline, the best supported one continued "
                          "(metadata often cuts a headline short)", True))
        title, source = fuller, "h1"
    return title, ("dom" if source in ("h1", "heading", "title") else source)


# A site's or section's tail after a headline ("Story | Site", "Story • News"); a
# colon or a word goes on with the headline itself.
_TAIL_SEPARATOR = re.compile(r"\s(?:\|\|?|-{1,2}|–|—|::|·|•|»|«|/|~)(?:\s|$)")


def _plain(text: str) -> str:
    """Case, Unicode forms, curly quotes and spacing folded; punctuation kept."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return fold_spaces(text)


def _fuller_headline(stated, title: str) -> str | None:
    """The page's first <h1> when it is the chosen headline continued: social and
    search titles are often cut short ("... after visiting Israel" beside the
    headline "... after visiting Israeli kibbutz attacked by Hamas ..."). Not when
    what follows is a site's or section's tail."""
    h1 = next((text for source, text, _, _ in stated if source == "h1"), None)
    if not h1:
        return None
    head, full = _plain(title).rstrip(" .…"), _plain(h1)
    if len(head) < 20 or len(full) <= len(head) or not full.startswith(head):
        return None
    tail = full[len(head):]
    return None if _TAIL_SEPARATOR.search(tail) or not fold(tail) else h1


_GENERIC = frozenset(fold(h) for h in vocab.words(vocab.GENERIC_HEADINGS))


def is_generic_heading(text: str | None) -> bool:
    """A heading of the site's sections and blocks ("Our Work", "Categories")."""
    return fold(text) in _GENERIC


def _explain_votes(trail: list, raws: list, stated, votes: dict, best: str, title: str) -> None:
    spelled = False
    for (source, text, key, weight), raw in zip(stated, raws):
        chosen = key == best and text == title and not spelled
        spelled = spelled or chosen
        if chosen:
            verdict = f"chosen: the best supported headline (support {votes[key]:.2f})"
        elif key == best:
            verdict = "supports the chosen headline" + ("" if text == title else ", spelled otherwise")
        else:
            verdict = f"support {votes[key]:.2f} (its own weight {weight:.2f}), less than {votes[best]:.2f}"
        trail.append((source, raw, text, verdict, chosen))
    if best not in {key for _, _, key, _ in stated}:
        trail.append(("part", None, title, f"support {votes[best]:.2f}: what several headlines share without "
                      "a kicker or a tail", True))
