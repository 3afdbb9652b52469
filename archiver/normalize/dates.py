"""Dates: any page's way of writing a moment -> ISO 8601 string, or None.

A result keeps the offset the page states ("2024-03-06T08:15:00-05:00"), is a
bare day ("2024-03-06") when only the day is known, and is None when the text
holds no plausible date (before 1990, or more than two days after the fetch).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from dateutil import parser as dateutil_parser

from archiver.normalize import vocab

MIN_YEAR = 1990
FUTURE_SLACK = timedelta(days=2)
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
    r"|vor\s+(\d+|einer?|einem)\s+(sekunde|minute|stunde|tag|woche)n?"
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
        return datetime.now(timezone.utc)
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


def _plausible(day: date, fetched_at: datetime | None) -> bool:
    if day.year < MIN_YEAR:
        return False
    return day <= (_now(fetched_at) + FUTURE_SLACK).date()


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
    if tz is not None and moment > _now(fetched_at) + FUTURE_SLACK:
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
    """"3 hours ago", "vor 2 Tagen", "yesterday" -> a moment (UTC) or day."""
    if not text or len(text) > _MAX_INPUT:
        return None
    now = _now(fetched_at)
    m = _RELATIVE.search(text)
    if m:
        groups = [g for g in m.groups() if g]
        amount = int(groups[0]) if groups[0].isdigit() else 1
        seconds = _UNIT_SECONDS.get(groups[1].lower())
        if seconds is None:
            return None
        moment = now - timedelta(seconds=amount * seconds)
        if seconds >= 86400:
            return moment.date().isoformat()
        return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()
    if _YESTERDAY.search(text):
        return (now - timedelta(days=1)).date().isoformat()
    if _TODAY.search(text):
        return now.date().isoformat()
    return None


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
    """The same moment as iso, written in the page's local time when the page shows it.

    Structured data often states UTC ("…T01:06:51Z") while the page shows
    "Dec 23, 2023 5:06pm PT": the day a reader sees is the local one. A local
    reading must be the same instant (stated offset), or differ from UTC by a
    whole quarter hour within 14 hours (a clock with no zone printed).
    """
    moment = _moment(iso)
    if moment is None or moment.utcoffset() != timedelta(0):
        return iso
    for raw in others:
        local = _moment(parse_date(raw, fetched_at=fetched_at)) if isinstance(raw, str) else None
        if local is None:
            continue
        if local.tzinfo is not None:
            if local.utcoffset() and abs((local - moment).total_seconds()) <= 120:
                return local.isoformat()
            continue
        shift = (local - moment.replace(tzinfo=None)).total_seconds()
        minutes = round(shift / 60)
        if shift and abs(shift) <= 14 * 3600 and minutes % 15 in (0, 1, 14):
            offset = timezone(timedelta(minutes=round(minutes / 15) * 15))
            return (moment.astimezone(offset)).isoformat()
    return iso


def _moment(iso: str | None) -> datetime | None:
    if not iso or "T" not in iso:
        return None
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return None
