"""Bylines and authors: every rule about who wrote a story lives here."""

from __future__ import annotations

import html
import re
import unicodedata

from archiver.normalize import vocab
from archiver.normalize.dates import MONTH_PATTERN

MAX_BYLINE = 300
MAX_AUTHORS = 12

_WS = re.compile(r"\s+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
_HANDLE = re.compile(r"(?<!\w)@\w+")
# Inline style rules that text_content() of a styled byline carries: "css-1fvj8jv{color:#ba0600;}".
_CSS_RULE = re.compile(r"[.#]?[\w-]*\{[^{}]*\}")
_DEBRIS = " \t\n,;:|-–—·•*/→»›"
_PREFIX = re.compile(rf"^(?:{vocab.alternation(vocab.words(vocab.BYLINE_PREFIXES))})\s*[:\-–—]?\s+", re.I)
# "BySaima Sidik": markup put "By" and the name in separate elements.
_GLUED_BY = re.compile(r"^(?:By|BY|Von|VON|Autor|Autorin|Author)(?=[A-Z][a-z])")
# Job titles that follow a name; they credit a role, not a person.
_ROLES = vocab.alternation(vocab.words(vocab.ROLES))
_DATE_LABELS = vocab.words(vocab.PUBLISHED_WORDS) + vocab.words(vocab.UPDATED_WORDS)
# Degrees and credentials after a name ("Jane Doe, MS, RD"): kept case-sensitive
# so a surname like "Md" in lower case is never touched.
_CREDENTIALS = re.compile(r"(?:,?\s+(?:MS|MSc|MA|MD|PhD|Ph\.D\.|RD|RDN|LD|LDN|MPH|DO|RN|CPT|CSCS|MBA|JD|Esq\.?|CFP|CFA|CPA|NASM-CPT|DVM|PharmD))+$")
# Credits for pictures, not for the story.
_PHOTO_CREDIT = re.compile(
    r"^\(?(?:photos?|photograph(?:s|y)?|image|images|picture|pictures|illustration|illustrator|ilustrator|video"
    r"|graphic|foto|fotos|bild|bilder"
    r"|quelle|source|credit|skjáskot|ljósmynd|grafik)\b(?:\s*(?:by|credit|von|:))?",
    re.I,
)
# News agencies: credited beside a reporter, never dropped as "the site's own name".
AGENCIES = frozenset(
    """ap afp dpa reuters sda apa kna epd sid ansa efe upi xinhua anp belga tass ria kyodo yonhap pti ani ians
    aap ats keystone-sda ntb tt ritzau stt ctk pap mti hina tanjug bta anadolu aa bernama antara""".split()
) | {"associated press", "the associated press", "agence france-presse", "agence france presse",
     "deutsche presse-agentur", "press association", "pa media", "canadian press", "the canadian press",
     "australian associated press", "united press international", "bloomberg", "anadolu ajansı", "anadolu agency"}
_ROLE_TAIL = re.compile(rf"(?:[,|\-–—]\s*|\s+)(?:the\s+)?(?:{_ROLES})(?:\s+(?:for|at|of|with)\b.*)?$", re.I)
_ROLE_ONLY = re.compile(rf"^(?:the\s+)?(?:(?:senior|chief|deputy|associate|assistant|digital|political|business|sports?|foreign|local|breaking news|tech|science|health)\s+)*(?:{_ROLES})s?$", re.I)
# What follows a name and is not part of it: "Jane Doe for Dailymail.com",
# "Jane Doe in Kyiv", "Jane Doe is a reporter at ...", "Updated 8:15 AM".
# ("on", "am", "le" only before a number: "Loïc Le Clerc" is a name, "Jane Doe le 3 mai" a date.)
_CUT_AFTER = re.compile(
    r"\s+(?:for|in|from|at|is|was|has|who|covers|reports|um|" + vocab.alternation(_DATE_LABELS) + r")\s.*$"
    rf"|\s+(?:{vocab.alternation(vocab.words(vocab.DATE_PREPOSITIONS))})\s+(?=\S*\d).*$|\s+\|.*$|\s*[\(\[].*$",
    re.I,
)
_DATEISH = re.compile(
    rf"\d{{1,4}}[:/.\-]\d{{1,2}}|\b(?:19|20)\d\d\b|\b\d+\s+(?:min|minutes?|hours?|days?)\b"
    rf"|\b(?:{MONTH_PATTERN})\.?\s+\d{{1,2}}\b|\b\d{{1,2}}\.?\s+(?:{MONTH_PATTERN})\b",
    re.I,
)
_WEEKDAY = rf"(?:(?:{vocab.alternation(vocab.words(vocab.WEEKDAYS))})\w*\.?,?\s+)?"
_CONJUNCTIONS = "and|und|et|y|e|en|og|och"
# "Alex Bozarjian Thursday": the day of a date line the markup cut off (full names only:
# "Sun" is a surname).
_WEEKDAY_TAIL = re.compile(
    rf"\s+(?:{vocab.alternation(w for w in vocab.words(vocab.WEEKDAYS) if len(w) > 5)})\.?,?$", re.I)
# "Interview: Jens Bergmann Foto: Michael Hudler": a picture's credit starts a part of its own.
_SPLIT = re.compile(rf"\s*(?:,|;|\s&\s|\s+(?:{_CONJUNCTIONS})\s+|\s/\s|\||／|\n"
                    r"|\s+(?=(?:fotos?|photos?|bild|bilder|illustrations?|grafik)\s*:))\s*", re.I)
_ARTICLES = frozenset(vocab.words(vocab.ARTICLES))


def _is_sentence(rest: str) -> bool:
    """After "By"/"Von": an (article and a) lower-case word, then capitalised ones, is a
    sentence ("Von der patriarchalen Weiblichkeit..."); "by the Associated Press" and
    "by jane doe" are credits."""
    words = rest.split()
    if words and words[0].casefold() in _ARTICLES:
        words = words[1:]
    return len(words) >= 2 and words[0][:1].islower() and any(w[:1].isupper() for w in words[1:])


# "Text und Interview: X" loses "Text" as a prefix, then the "und" it leaves.
_LEADING_AND = re.compile(rf"^(?:{_CONJUNCTIONS}|&)\s+(?=\S)", re.I)

# Texts that sit where a byline sits but name nobody.
_NOT_NAMES = frozenset(
    """minute read min read read more published updated share comments comment follow email print
    staff admin administrator editor editors guest anonymous unknown none null undefined author
    authors contributor contributors team news desk newsdesk the editorial board more articles
    subscribe sign in log in advertisement sponsored content opinion analysis home about us""".split()
)
_NOT_NAME_PHRASES = re.compile(
    r"^(?:\d+\s*)?(?:minutes?|min)\s+read$|^read\s+more|^more\s+(?:from|by|stories)|^(?:published|updated|posted|last updated)\b"
    r"|^(?:share|follow|contact|email|view)\b|^all\s+(?:posts|articles|stories)|^see\s+all|^editorial\s+(?:board|staff|team)$"
    r"|^about\s+(?:the\s+)?authors?\b|^(?:sponsored|advertisement|anzeige)\b|^(?:click|tap)\b|^listen\b|^(?:by|von)$|^staff$|^admin$",
    re.I,
)
# Words that mark a credit as an organization, not a person.
_ORG_WORDS = re.compile(
    r"\b(?:news|press|agency|agence|associated|reuters|afp|dpa|apa|kna|epd|sid|ansa|efe|upi|pa media|bloomberg"
    r"|staff|team|desk|redaktion|rédaction|redacción|redazione|newsroom|times|post|online|media|service|services"
    r"|network|group|wire|bureau|editorial|magazine|journal|daily|tribune|herald|gazette|radio|tv|television"
    r"|broadcasting|corporation|inc|ltd|llc|gmbh|voice of america|voa|bbc|cnn|nbc|abc|cbs|npr|dw"
    r"|report|today|channel|weekly|monthly|review|digest|insider|observer|chronicle|courier|telegraph|telegram"
    r"|guardian|independent|examiner|inquirer|dispatch|sentinel|mirror|standard|bulletin|zeitung|kurier|blatt"
    r"|rundschau|nachrichten|allgemeine|presse|anzeiger|tagblatt|quotidien|diario|corriere|gazzetta|redaktion)\b",
    re.I,
)
# Capitalised: "van der Fort" in a name is no article.
_NAME_ARTICLE = re.compile(
    rf"^(?:{vocab.alternation(f(w) for w in vocab.words(vocab.NAME_ARTICLES) for f in (str.capitalize, str.upper))})"
    r"\s+[^\W\d_]")
_NOT_NAME_WORDS = re.compile(rf"(?<!\w)(?:{vocab.alternation(vocab.words(vocab.NOT_NAME_WORDS))})(?!\w)", re.I)
# Words a credit made only of is a label without a name.
_LABEL_WORDS = frozenset(
    word for phrase in (*vocab.words(vocab.BYLINE_PREFIXES), *_DATE_LABELS, *vocab.words(vocab.DATE_PREPOSITIONS),
                        "artikel", "article", "beitrag")
    for word in phrase.split()
)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})


def _clean(text: str | None) -> str:
    if not text or not isinstance(text, str):
        return ""
    text = text[: MAX_BYLINE * 4]
    # Each step can uncover work for another ("[] \\", "&amp;amp;"): repeat
    # until nothing changes, so that cleaning twice equals cleaning once.
    while True:
        before = text
        if "&" in text:
            text = html.unescape(text)
        text = unicodedata.normalize("NFC", text).translate(_APOSTROPHES)
        text = _CONTROL.sub(" ", text)
        text = _EMAIL.sub(" ", text)
        text = _URL.sub(" ", text)
        text = _HANDLE.sub(" ", text)
        if "{" in text:
            text = _CSS_RULE.sub(" ", text)
        text = re.sub(r"\(\s*\)|\[\s*\]|<\s*>", " ", text)
        text = re.sub(r"^[^\w(\[]+", "", text)
        text = _WS.sub(" ", text).strip(_DEBRIS)
        if text == before:
            return text


def normalize_byline(text: str | None) -> str | None:
    """A byline as a reader would write it: no "By", e-mail, handle or date."""
    if not isinstance(text, str):
        return None
    # Removing "By" or a date can leave debris for the cleaner ("BY <"):
    # repeat until stable so that a normalized byline normalizes to itself.
    for _ in range(5):
        cleaned = _normalize_byline_once(text)
        if cleaned is None or cleaned == text:
            return cleaned
        text = cleaned
    return text


_DATE_TAIL = re.compile(
    rf"\s*(?:\b(?:{vocab.alternation(_DATE_LABELS + vocab.words(vocab.DATE_PREPOSITIONS))})\b\s*)?[,|]?\s*"
    + _WEEKDAY + f"(?:{_DATEISH.pattern})",
    re.I,
)
# "Greg PottsPublished 3 May": a label glued to the name by the markup.
_GLUED_LABEL = re.compile(rf"(?<=[a-z])(?:{vocab.alternation(w.capitalize() for w in _DATE_LABELS)})\b.*$")


def _normalize_byline_once(text: str) -> str | None:
    text = _clean(text)
    text = _GLUED_BY.sub("", text)
    for _ in range(3):
        stripped = _PREFIX.sub("", text).strip(_DEBRIS)
        if stripped != text:
            stripped = _LEADING_AND.sub("", stripped)
            if _is_sentence(stripped):
                return None
        if stripped == text:
            break
        text = stripped
    # "Jane Doe Updated 8:15 AM EST, March 6, 2024": a date ends the byline.
    text = _CREDENTIALS.sub("", text)
    m = _DATE_TAIL.search(text)
    if m and m.start() > 0:
        text = text[: m.start()].strip(_DEBRIS)
    elif m:
        return None
    if not text or len(text) > MAX_BYLINE:
        return None
    return text


def _clean_name(part: str, fix_case: bool = True, site_names=()) -> str | None:
    # Cutting one thing can expose another ("A'(" -> "A'" -> "A"): repeat
    # until stable so that a cleaned name cleans to itself.
    for _ in range(5):
        cleaned = _clean_name_once(part, site_names)
        if cleaned is None or cleaned == part:
            break
        part = cleaned
    if cleaned and fix_case and cleaned.isupper() and len(cleaned) > 3:
        cleaned = _title_case(cleaned)
    return cleaned


def _clean_name_once(part: str, site_names=()) -> str | None:
    part = re.sub(r"^[^\w(\[]+", "", part).strip(_DEBRIS + "\"'")
    if _PHOTO_CREDIT.match(part) or "©" in part or _is_photo_credit(part):  # pictures' credits
        return None
    part = _PREFIX.sub("", part).strip(_DEBRIS)
    if _ROLE_ONLY.match(part):
        return None
    # "capital von Jemima Kelly", "Report by Jane Doe", "Disko von Ernst Lohoff":
    # the credit starts later (but "Ursula von der Leyen" is one name).
    m = re.search(r"\s(?:by|von|par|por|door)\s+(?=[^\W\d_])", part, re.I)
    rest = part[m.end():] if m else ""
    if m and (m.group(0).strip().islower() and (part[:1].islower() or len(part[: m.start()].split()) >= 3)
              or _capitalised_words(rest) >= 2 and rest.split()[0].casefold() not in _PARTICLES):
        part = rest
    for _ in range(2):
        # "Jane Doe, Staff Writer" loses the role; "MND Staff" or "Guardian
        # staff reporter" are the whole credit and stay.
        shorter = _ROLE_TAIL.sub("", part).strip(_DEBRIS)
        if _full_name(shorter):
            part = shorter
        part = _CREDENTIALS.sub("", part).strip(_DEBRIS)
    part = _CUT_AFTER.sub("", part).strip(_DEBRIS)
    part = _GLUED_LABEL.sub("", part)
    shorter = _WEEKDAY_TAIL.sub("", part)
    if _full_name(shorter):
        part = shorter
    # A final period belongs to an initial ("Nelson C.J."), never to a full word.
    if part.endswith(".") and not re.search(r"(?:^|[\s.])\w\.$", part):
        part = part.rstrip(".")
    part = part.strip(_DEBRIS + "\"'")
    if not part or _ROLE_ONLY.match(part) or not is_name(part, site_names):
        return None
    return part


# "Alex Brandon/AP", "Mike Blake/Reuters files": a photographer and the agency
# of the picture, the way captions credit it ("det/dpa", initials, credits a writer).
_SLASH_CREDIT = re.compile(r"^(?P<name>[^\W\d_][\w.'-]*(?:\s+[^\W\d_][\w.'-]*)+)/(?P<agency>[^/]+?)"
                           r"(?:\s+(?:files?|pool|handout|via\s+.+))?$", re.I)


def _is_photo_credit(text: str) -> bool:
    m = _SLASH_CREDIT.match(text)
    return bool(m) and is_agency(m.group("agency")) and _capitalised_words(m.group("name")) >= 2


def _capitalised_words(text: str) -> int:
    words = text.split()
    if any(w[:1].islower() and w not in _PARTICLES for w in words):
        return 0
    return sum(1 for w in words if w[:1].isupper())


def _title_case(name: str) -> str:
    # "MARIA O'NEIL-GONZALEZ" -> "Maria O'Neil-Gonzalez"
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0)[0].upper() + m.group(0)[1:].lower(), name)


def is_agency(name: str | None) -> bool:
    return bool(name) and name.casefold().strip(" .") in AGENCIES


_DOMAIN = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}$")


def is_name(text: str | None, site_names=()) -> bool:
    """Could this credit a person or an organization? Rejects UI words and sentences."""
    if not text:
        return False
    if is_agency(text) or _DOMAIN.match(text) and len(text) <= 40:  # "dpa", "sportschau.de"
        return True
    if len(text) > 80 or _DATEISH.search(text):
        return False
    if text.casefold() in _NOT_NAMES or _NOT_NAME_PHRASES.search(text) or _NOT_NAME_WORDS.search(text):
        return False
    if all(w.casefold() in _LABEL_WORDS for w in text.split()):  # "Artikel von", "Publiziert am"
        return False
    if re.search(r"\w's\b", text):  # "Heather's mission": a phrase about someone
        return False
    words = text.split()
    org = bool(_ORG_WORDS.search(text)) and len(words) <= 6
    if any(c.isdigit() for c in text) and not org:  # "BR24 Redaktion" is a desk
        return False
    if len(words) > 6 and not _ORG_WORDS.search(text):
        return False
    if not any(c.isalpha() for c in text):
        return False
    if site_names and len(words) == 1 and is_organization(text, site_names):  # "kicker" on kicker.de
        return True
    letters = [w for w in words if w[:1].isalpha()]
    # Names are capitalised ("de", "van", "bin" excepted); sentences are not.
    # Scripts without case (CJK, Arabic...) pass: islower() is False there.
    lower = [w for w in letters if w[0].islower() and w not in _PARTICLES]
    if letters and all(w[0].islower() for w in letters):
        return False
    if org:  # "Guardian staff reporter", "FOCUS online"
        return True
    if " " not in text and len(text) > 20:  # a run of CJK text, not a name
        return False
    return len(lower) <= max(1, len(letters) // 3) if len(letters) > 1 else not lower


_PARTICLES = frozenset("de da del della der den di du la le van von vom zu y e bin bint al el ibn ten ter op dos das do of".split())


def split_authors(text: str | None, *, fix_case: bool = True, site_names=()) -> list[str]:
    """Names in one byline: "By A, B and C" -> ["A", "B", "C"]."""
    byline = normalize_byline(text)
    if not byline:
        return []
    parts = _SPLIT.split(byline)
    names = [n for n in (_clean_name(p, fix_case, site_names) for p in parts) if n]
    if len(parts) >= 3:
        # "News, Portugal, Business, Property": a list of single words is a
        # list of sections or tags, not of people (agencies excepted).
        names = [n for n in names if _full_name(n) or is_agency(n) or " " in n]
    return names


def _site_key(text: str) -> str:
    return re.sub(r"\.(?:com|org|net|co|de|at|ch|fr|es|it|uk|be|is|no|se|dk|nl|tv|in)\b|^www\.|^the\s+", "", text.casefold())


def is_organization(name: str, site_names=(), *, caps: bool = True, whole: bool = True) -> bool:
    """An outlet, agency, desk or the site itself rather than a person (`whole`: name is a
    whole credit, not the tail of one, where "Van Der Fort" is no article)."""
    if is_agency(name) or _ORG_WORDS.search(name) or re.search(r"[a-z0-9-]\.[a-z]{2,6}\b", name):
        return True
    if whole and _NAME_ARTICLE.match(name):  # "The Canadian", "Der Postillon"
        return True
    if caps and name.isupper() and len(name) <= 6:
        return True
    key = name_key(_site_key(name))
    for site in site_names or ():
        site_key = name_key(_site_key(site or ""))
        if len(site_key) >= 3 and (key == site_key or key.startswith(site_key) or site_key.startswith(key) and len(key) >= 3):
            return True
        if len(site_key) >= 5 and key.endswith(site_key):  # "Worcester Telegram" on telegram.com
            return True
    return False


def is_person(name: str, site_names=()) -> bool:
    # One word is a first name, a city or a section far more often than a
    # person's full credit; CJK names are written without spaces.
    if is_organization(name, site_names):
        return False
    return _full_name(name)


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def _full_name(text: str) -> bool:
    """Given and family name: two words ending in a capitalised one, or CJK script."""
    words = text.split()
    if _CJK.search(text):
        return True
    return len(words) >= 2 and words[-1][:1].isupper()


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).casefold().translate(_APOSTROPHES)
    return re.sub(r"[\W_]+", "", text)


def normalize_authors(candidates, *, site_name: str | None = None, site_names=()) -> list[str]:
    """Author names from bylines or name lists, best source first.

    Case variants fold into the properly cased one. When a person is
    credited, other organizations and the site's own name are dropped, news
    agencies kept ("Jane Doe, dpa").
    """
    if isinstance(candidates, str):
        candidates = [candidates]
    sites = [n for n in (site_name, *site_names) if n]
    names: list[str] = []
    for candidate in candidates or []:
        if isinstance(candidate, str):
            names.extend(split_authors(candidate, fix_case=False, site_names=sites))
    chosen: dict[str, str] = {}
    for name in names:
        key = name_key(name)
        if not key:
            continue
        if key not in chosen or (chosen[key].isupper() or chosen[key].islower()) and not name.isupper():
            chosen[key] = name
    result = [_title_case(n) if n.isupper() and len(n) > 3 and not is_agency(n) else n
              for n in (_without_outlet(n, sites) for n in chosen.values())]
    result = list({name_key(n): n for n in reversed(result)}.values())[::-1]
    if any(is_person(n, sites) for n in result):
        result = [n for n in result if is_person(n, sites) or is_agency(n)]
    return result[:MAX_AUTHORS]


def _without_outlet(name: str, sites) -> str:
    # "Kayla Jimenez USA TODAY", "Sarah Barnacle Worcester Telegram": a byline
    # element that printed the outlet right after the name.
    # One generic word is no outlet ("The Canadian Press", "Field Level Media"
    # are whole names): a one-word tail must be an agency or the site's name.
    words = name.split()
    if is_organization(" ".join(words[:2]), sites, caps=False):
        return name
    for cut in range(min(4, len(words) - 2), 0, -1):
        tail = " ".join(words[-cut:])
        head = " ".join(words[:-cut])
        if not is_organization(tail, sites, caps=False, whole=False):
            continue
        if cut == 1 and not is_agency(tail) and _ORG_WORDS.fullmatch(tail):
            continue
        if is_person(head, sites):
            return head
    return name


def split_credits(names: list[str], site_names=()) -> tuple[list[str], list[str]]:
    """(people, organisations) among credited names (normalize_authors' result):
    wire services, outlets and desks are organisations, every other name a person's."""
    people, organisations = [], []
    for name in names:
        (organisations if is_organization(name, site_names) else people).append(name)
    return people, organisations


def credits_person(names: list[str], site_names=()) -> bool:
    return any(is_person(n, site_names) for n in names)
