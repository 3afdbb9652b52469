"""Dates: any page's way of writing a moment -> ISO 8601 string, or None.

A result keeps the offset the page states ("2024-03-06T08:15:00-05:00"), is a
bare day ("2024-03-06") when only the day is known, and is None when the text
holds no plausible date: before 1990, or later than the fetch (a day or a clock
without a zone: later than that day or clock has begun anywhere, at UTC+14), or a
relative date ("today", "3 hours ago") in running text rather than a date label.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from dateutil import parser as dateutil_parser

from archiver import clock
from archiver.normalize import vocab

MIN_YEAR = 1990
# The earliest zone: a day or a local clock time is in the past once it has begun there.
EARLIEST_OFFSET = timedelta(hours=14)
_MAX_INPUT = 400  # a date never needs more; long strings are sentences, not dates

# Month names and abbreviations in the languages the archive meets most (normalize/vocab.py).
MONTH_NUMBER = vocab.month_numbers()
MONTH_PATTERN = "|".join(sorted((re.escape(m) for m in MONTH_NUMBER), key=len, reverse=True))
_MONTH_RE = MONTH_PATTERN

# Zone abbreviations pages print after a time. "ET"/"PT" (no daylight flag) are
# left out on purpose: guessing wrong moves the day for late-evening stories.
TZ_OFFSETS = {
    "utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 60, "cet": 60, "mez": 60, "cest": 120,
    "mesz": 120, "eet": 120, "eest": 180, "msk": 180, "ist": 330, "sgt": 480, "hkt": 480,
    "jst": 540, "kst": 540, "aest": 600, "aedt": 660, "nzst": 720, "nzdt": 780,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360,
    "pst": -480, "pdt": -420, "akst": -540, "akdt": -480, "hst": -600,
}
_TZINFOS = {name.upper(): minutes * 60 for name, minutes in TZ_OFFSETS.items()}
_TZ_RE = "|".join(sorted(TZ_OFFSETS, key=len, reverse=True))

_ISO = re.compile(
    r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})"
    r"(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?(?!\d)"
)
_EPOCH = re.compile(r"^\s*(\d{10})(\d{3})?\s*$")
_DAY_MONTH_YEAR = re.compile(
    rf"(?<![\w.])(\d{{1,2}})(?:st|nd|rd|th|er|º)?\.?\s*(?:de\s+)?({_MONTH_RE})\.?,?\s*(?:de\s+)?(\d{{4}})(?!\d)",
    re.I,
)
_MONTH_DAY_YEAR = re.compile(
    rf"(?<!\w)({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)", re.I
)
_YEAR_FIRST = re.compile(r"(?<!\d)(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?!\d)")
_NUMERIC = re.compile(r"(?<![\d/.])(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/])")
_TIME = re.compile(
    rf"(?<!\d)(\d{{1,2}})[:h.](\d{{2}})(?::(\d{{2}}))?\s*(a\.?m\.?|p\.?m\.?)?(?:\s*(?:uhr|h))?"
    rf"\s*(?:\(?\b({_TZ_RE})\b\)?|(?:utc|gmt)?\s*([+-]\d{{1,2}}(?::?\d{{2}})?))?",
    re.I,
)

_RELATIVE = re.compile(
    r"(?:(\d+|an?|one)\s+(second|sec|minute|min|hour|hr|day|week)s?\s+ago"
    r"|vor\s+(\d+|einer?|einem)\s+(sekunde|minute|stunde|tag|woche)(?:en|n|e)?"
    r"|il y a\s+(\d+|une?)\s+(seconde|minute|heure|jour|semaine)s?"
    r"|hace\s+(\d+|una?)\s+(segundo|minuto|hora|día|dia|semana)s?)",
    re.I,
)
_UNIT_SECONDS = {
    "second": 1, "sec": 1, "sekunde": 1, "seconde": 1, "segundo": 1,
    "minute": 60, "min": 60, "minuto": 60,
    "hour": 3600, "hr": 3600, "stunde": 3600, "heure": 3600, "hora": 3600,
    "day": 86400, "tag": 86400, "jour": 86400, "día": 86400, "dia": 86400,
    "week": 604800, "woche": 604800, "semaine": 604800, "semana": 604800,
}
_YESTERDAY = re.compile(r"\b(yesterday|gestern|hier|ayer|ieri)\b", re.I)
_TODAY = re.compile(r"\b(today|heute|aujourd'hui|hoy|oggi)\b", re.I)


def _now(fetched_at: datetime | None) -> datetime:
    if fetched_at is None:
        return clock.now()
    if fetched_at.tzinfo is None:
        return fetched_at.replace(tzinfo=timezone.utc)
    return fetched_at


def _offset(text: str | None) -> timezone | None:
    if not text:
        return None
    key = text.lower()
    if key in TZ_OFFSETS:
        return timezone(timedelta(minutes=TZ_OFFSETS[key]))
    m = re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})?", text)
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    if minutes > 14 * 60:
        return None
    return timezone(timedelta(minutes=-minutes if m.group(1) == "-" else minutes))


def latest_day(fetched_at: datetime | None) -> date:
    """The last calendar day a page fetched then can state: the one begun at UTC+14."""
    return (_now(fetched_at).astimezone(timezone.utc) + EARLIEST_OFFSET).date()


def _plausible(day: date, fetched_at: datetime | None) -> bool:
    return MIN_YEAR <= day.year and day <= latest_day(fetched_at)


def _format(year: int, month: int, day: int, clock: tuple | None, fetched_at: datetime | None) -> str | None:
    try:
        d = date(year, month, day)
    except (ValueError, OverflowError):
        return None
    if not _plausible(d, fetched_at):
        return None
    if clock is None:
        return d.isoformat()
    hour, minute, second, tz = clock
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return d.isoformat()
    # A clock without a zone is local time somewhere: at the latest, UTC+14.
    instant = moment if tz is not None else moment.replace(tzinfo=timezone(EARLIEST_OFFSET))
    if instant > _now(fetched_at):
        return None
    return moment.isoformat()


def _clock_from(match: re.Match | None) -> tuple | None:
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    second = int(match.group(3) or 0)
    meridiem = (match.group(4) or "").replace(".", "").lower()
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second, _offset(match.group(5) or match.group(6))


def _clock_near(text: str, start: int, end: int) -> tuple | None:
    # A time belongs to a date when it stands right after it, or right before
    # it ("8:15 AM EST, Wed March 6, 2024").
    after = _TIME.match(text[end:end + 40].lstrip(" ,|-–—at@um,à"))
    if after is None:
        after = _TIME.search(text[end:end + 12])
    if after is not None:
        return _clock_from(after)
    before = None
    for before in _TIME.finditer(text[max(0, start - 45):start]):
        pass
    return _clock_from(before)


def _iso(match: re.Match, fetched_at: datetime | None) -> str | None:
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
    clock = None
    if match.group(4):
        tz = _offset(match.group(7)) if match.group(7) else None
        clock = (int(match.group(4)), int(match.group(5)), int(match.group(6) or 0), tz)
        if clock[0] > 23 or clock[1] > 59 or clock[2] > 59:
            clock = None
    return _format(year, month, day, clock, fetched_at)


def _from_epoch(match: re.Match, fetched_at: datetime | None) -> str | None:
    try:
        moment = datetime.fromtimestamp(int(match.group(1)), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    clock = (moment.hour, moment.minute, moment.second, timezone.utc)
    return _format(moment.year, moment.month, moment.day, clock, fetched_at)


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _text_candidates(text: str, fetched_at: datetime | None):
    """Every (position, iso) found in free text, in the order they appear."""
    found = []
    for m in _DAY_MONTH_YEAR.finditer(text):
        month = MONTH_NUMBER.get(m.group(2).lower())
        if month:
            found.append((m.start(), m.start(), m.end(), int(m.group(3)), month, int(m.group(1))))
    for m in _MONTH_DAY_YEAR.finditer(text):
        month = MONTH_NUMBER.get(m.group(1).lower())
        if month:
            found.append((m.start(), m.start(), m.end(), int(m.group(3)), month, int(m.group(2))))
    for m in _YEAR_FIRST.finditer(text):
        found.append((m.start(), m.start(), m.end(), int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in _NUMERIC.finditer(text):
        first, second, year = int(m.group(1)), int(m.group(3)), _year(m.group(4))
        # "/" is month-first (US) unless that is impossible; "." and "-" are day-first.
        if m.group(2) == "/" and first <= 12:
            month, day = first, second
        else:
            day, month = first, second
        if month > 12:
            day, month = month, day
        found.append((m.start(), m.start(), m.end(), year, month, day))
    found.sort()
    for _, start, end, year, month, day in found:
        iso = _format(year, month, day, _clock_near(text, start, end), fetched_at)
        if iso:
            yield start, iso


def relative_date(text: str | None, fetched_at: datetime | None = None) -> str | None:
    """"3 hours ago", "vor 2 Tagen", "yesterday" -> a moment (UTC) or day.

    Only a date label says so ("Updated 3 hours ago", "Heute, 10:00"): in running
    text ("It is clear today that...", "Join for $1 today") the word dates nothing."""
    if not text or len(text) > _MAX_INPUT:
        return None
    m = _RELATIVE.search(text) or _YESTERDAY.search(text) or _TODAY.search(text)
    if m is None or not is_date_label(text, m.start(), m.end()):
        return None
    now = _now(fetched_at)
    if m.re is _YESTERDAY:
        return (now - timedelta(days=1)).date().isoformat()
    if m.re is _TODAY:
        return now.date().isoformat()
    groups = [g for g in m.groups() if g]
    amount = int(groups[0]) if groups[0].isdigit() else 1
    seconds = _UNIT_SECONDS.get(groups[1].lower())
    if seconds is None:
        return None
    moment = now - timedelta(seconds=amount * seconds)
    if seconds >= 86400:
        return moment.date().isoformat()
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


# What a date label holds beside its date: the label, a weekday, a clock, a zone.
_LABEL_WORDS = frozenset(
    word for phrase in (*vocab.words(vocab.PUBLISHED_WORDS), *vocab.words(vocab.UPDATED_WORDS),
                        *vocab.words(vocab.DATE_PREPOSITIONS), *vocab.words(vocab.WEEKDAYS),
                        *vocab.words(vocab.DATE_LABEL_WORDS), *TZ_OFFSETS)
    for word in phrase.split()
)
_LETTER_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


# Words a date line may hold before its date besides labels and a dateline's
# capitalised place names: who posted it ("Posted by Jane van Dyke on").
_LINE_WORDS = _LABEL_WORDS | frozenset(
    word for phrase in vocab.words(vocab.BYLINE_PREFIXES) for word in phrase.split()
) | frozenset("van von de der du la le da di del".split())


def in_running_text(text: str) -> bool:
    """True when the first date in text stands inside a sentence ("Ich habe am 12. Mai
    2006 eine Mail..."): before it, more than six words, or a lower-case word that is
    no label. A date line starts with its date, a label or a dateline ("Wiesbaden,")."""
    iso = _ISO.search(text)
    found = next(_text_candidates(text, None), None)
    starts = [pos for pos in (iso.start() if iso else None, found[0] if found else None) if pos is not None]
    if not starts:
        return False
    before = _LETTER_WORDS.findall(text[: min(starts)])
    return len(before) > 6 or any(w[:1].islower() and w.lower() not in _LINE_WORDS for w in before)


def is_date_label(text: str, start: int = 0, end: int = 0) -> bool:
    """True when text is a date label: nothing but the date (text[start:end]), label
    words ("Updated", "on"), weekdays, clock times and zones."""
    rest = _TIME.sub(" ", text[:start] + " " + text[end:])
    return all(word.lower() in _LABEL_WORDS for word in _LETTER_WORDS.findall(rest))


def parse_date(text: str | None, *, fetched_at: datetime | None = None) -> str | None:
    """The first plausible date in text as ISO 8601, or None."""
    if not text or not isinstance(text, str):
        return None
    text = text.strip()[:_MAX_INPUT]
    if not text:
        return None
    m = _ISO.search(text)
    if m and m.start() < 3:
        iso = _iso(m, fetched_at)
        if iso:
            return iso
    m = _EPOCH.match(text)
    if m:
        return _from_epoch(m, fetched_at)
    for _, iso in _text_candidates(text, fetched_at):
        return iso
    if m := _ISO.search(text):
        if iso := _iso(m, fetched_at):
            return iso
    return _dateutil(text, fetched_at) or relative_date(text, fetched_at)


def normalize_date(text: str | None, *, fetched_at: datetime | None = None) -> str | None:
    """The normalizer form (str | None -> str | None) of parse_date: idempotent."""
    return parse_date(text, fetched_at=fetched_at)


def _dateutil(text: str, fetched_at: datetime | None) -> str | None:
    # Last resort for layouts the patterns above miss; demand a year so a bare
    # clock time never turns into "today".
    if not re.search(r"(?<!\d)(19|20)\d\d(?!\d)", text) or len(text) > 80:
        return None
    try:
        moment = dateutil_parser.parse(text, default=datetime(1, 1, 1), tzinfos=_TZINFOS)
    except (ValueError, OverflowError, TypeError, dateutil_parser.ParserError):
        return None
    if moment.year == 1:
        return None
    has_clock = bool(re.search(r"\d:\d\d", text))
    clock = (moment.hour, moment.minute, moment.second, moment.tzinfo) if has_clock else None
    return _format(moment.year, moment.month, moment.day, clock, fetched_at)


def date_from_url(url: str | None, fetched_at: datetime | None = None) -> str | None:
    """The day a URL path states: /2021/05/12/, /2021-05-12-, /20210512/."""
    if not url:
        return None
    path = url.split("?", 1)[0][:500]
    m = re.search(r"(?<!\d)((?:19|20)\d\d)[/_-]([01]?\d)[/_-]([0-3]?\d)(?!\d)", path) or re.search(
        r"[/_-]((?:19|20)\d\d)([01]\d)([0-3]\d)(?=[/_.-])", path
    )
    if not m:
        return None
    return _format(int(m.group(1)), int(m.group(2)), int(m.group(3)), None, fetched_at)




def local_form(iso: str | None, others: list[str | None], *, fetched_at: datetime | None = None) -> str | None:
    """The publication as readers see it, when structured data states it in UTC.

    A stated offset is never changed. The page may show the same instant with an
    offset of its own ("2023-12-22T22:22:07-0500"): that reading is the page's
    local form. Or it shows a day (the URL's day, a visible date, with or without a
    clock of no zone) before or after the UTC day, one that a real zone (UTC-12 to
    UTC+14) has at that instant, with a clock that fits: then that day is the
    publication day, as a bare day (its local time of day is not stated). The first
    shown date within a day of the instant decides; others belong to other stories.
    """
    moment = _moment(iso)
    if moment is None or moment.utcoffset() != timedelta(0):
        return iso
    for raw in others:
        shown = parse_date(raw, fetched_at=fetched_at) if isinstance(raw, str) else None
        local = _moment(shown)
        if local is not None and local.tzinfo is not None:
            if local.utcoffset() and abs((local - moment).total_seconds()) <= 120:
                return local.isoformat()
            continue
        if shown is None:
            continue
        day = date.fromisoformat(shown[:10])
        lag = (day - moment.date()).days
        if abs(lag) > 1:
            continue
        if lag == 0:
            return iso
        if local is not None and not _whole_offset(local - moment.replace(tzinfo=None)):
            continue  # a clock that is not this instant anywhere
        hours = moment.hour + moment.minute / 60
        if (lag == -1 and hours < 12) or (lag == 1 and hours >= 10):
            return day.isoformat()
    return iso


def _whole_offset(shift: timedelta) -> bool:
    """Could a clock showing this much more than UTC be a zone's? Quarter hours, -12h..+14h."""
    seconds = shift.total_seconds()
    minutes = round(seconds / 60)
    return -12 * 3600 <= seconds <= 14 * 3600 and minutes % 15 in (0, 1, 14)


def why_no_date(text: str | None, fetched_at: datetime | None = None) -> str:
    """Why parse_date finds no date in text, for explanations."""
    if not isinstance(text, str) or not text.strip():
        return "empty"
    if len(text.strip()) > _MAX_INPUT:
        return "too long for a date"
    later = parse_date(text, fetched_at=datetime.max.replace(tzinfo=timezone.utc) - timedelta(days=1))
    if later and later[:4].isdigit() and int(later[:4]) >= MIN_YEAR:
        return f"{later} is later than the fetch time"
    if _RELATIVE.search(text) or _YESTERDAY.search(text) or _TODAY.search(text):
        return "a relative date in running text, not in a date label"
    return "no date in it"


def _moment(iso: str | None) -> datetime | None:
    if not iso or "T" not in iso:
        return None
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return None
