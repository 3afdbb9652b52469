"""Syndicated copies (pure): a body's MinHash signature, the band buckets that find its
candidate copies, the wire credit it carries, and which copy of a story is the original.

A body is read as its set of 5-word shingles (words case- and Unicode-folded). Its
signature has 128 bins: each shingle is hashed once (CRC-32, spread over 64 bits by an
odd multiplier) into the bin its top bits name, and a bin keeps the smallest hash it
gets; an empty bin takes the value of the first filled bin on a fixed probe path
(one-permutation hashing with optimal densification, Shrivastava 2017). Two bodies agree
on a bin with a probability equal to the Jaccard similarity of their shingle sets, so
the share of equal bins estimates it. 126 of the bins are cut into 42 bands of 3: bodies
that share a whole band are candidates (likely from a similarity of about 0.3 up), and
copies when their estimated similarity reaches SIMILAR, or when most of the shorter body
is found in the other (CONTAINED: a copy trimmed for length).

Signatures and buckets are stored in the archive, so what they mean must never change
(tests/test_syndication.py pins both); a change needs a migration that recomputes them.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timezone
from typing import Any

from archiver.normalize.vocab import WIRE_AGENCIES

SHINGLE_WORDS = 5
BINS = 128
BANDS, ROWS = 42, 3  # 126 of the bins
SIMILAR = 0.4  # estimated Jaccard similarity from which two bodies are copies,
CONTAINED = 0.7  # or the share of the shorter one found in the other
MIN_SHINGLES = 40  # fewer distinct shingles (a body under ~45 words): too short to tell a copy from a stock phrase

_WORD = re.compile(r"\w+")
_MASK64 = (1 << 64) - 1
_SPREAD = 0x9E3779B97F4A7C15  # odd: a bijection on 64-bit values whose top bits mix every input bit
_BIN_SHIFT = 64 - (BINS - 1).bit_length()
_EMPTY = 1 << 64
_PACK = struct.Struct(f"<{BINS}I")
_ROW_PACK = struct.Struct(f"<{ROWS}I")


def _probe_path(j: int) -> tuple[int, ...]:
    # Where empty bin j looks for a value: every other bin once, by a stride fixed by j
    # (odd, so with a power-of-two count of bins it reaches them all).
    stride = 2 * hashlib.blake2b(f"probe {j}".encode(), digest_size=1).digest()[0] + 1
    return tuple((j + a * stride) % BINS for a in range(1, BINS))


_PROBES = tuple(_probe_path(j) for j in range(BINS))


def shingles(text: str | None) -> set[str]:
    """The body's distinct runs of SHINGLE_WORDS words, case- and Unicode-folded."""
    words = _WORD.findall(unicodedata.normalize("NFKC", text or "").casefold())
    return set(map(" ".join, zip(*(words[i:] for i in range(SHINGLE_WORDS)))))


@dataclass(frozen=True)
class Signature:
    """A body's MinHash signature: BINS 32-bit values, and how many distinct shingles it had."""

    values: tuple[int, ...]
    shingles: int

    def similarity(self, other: Signature) -> float:
        """Estimated Jaccard similarity of the two bodies' shingle sets."""
        return sum(x == y for x, y in zip(self.values, other.values)) / BINS

    def contained(self, other: Signature) -> float:
        """Estimated share of the shorter body's shingles found in the other: near 1 for a
        copy trimmed for length, whose Jaccard similarity falls with what was cut."""
        j = self.similarity(other)
        shared = j / (1 + j) * (self.shingles + other.shingles)
        return min(1.0, shared / min(self.shingles, other.shingles))

    def is_copy(self, other: Signature) -> bool:
        return self.similarity(other) >= SIMILAR or self.contained(other) >= CONTAINED

    def packed(self) -> bytes:
        return _PACK.pack(*self.values)

    @classmethod
    def unpacked(cls, blob: bytes, shingles: int) -> Signature:
        return cls(_PACK.unpack(blob), shingles)

    def buckets(self) -> list[int]:
        """One bucket per band: the band's number in the top bits, a hash of its values below."""
        return [
            (band << 56) | int.from_bytes(
                hashlib.blake2b(_ROW_PACK.pack(*self.values[band * ROWS:(band + 1) * ROWS]),
                                digest_size=7).digest(), "big")
            for band in range(BANDS)
        ]


def signature(text: str | None) -> Signature | None:
    """The body's signature; None for a body too short to tell."""
    found = shingles(text)
    if len(found) < MIN_SHINGLES:
        return None
    bins = [_EMPTY] * BINS
    for crc in map(zlib.crc32, map(str.encode, found)):
        h = (crc * _SPREAD) & _MASK64
        j = h >> _BIN_SHIFT
        if h < bins[j]:
            bins[j] = h
    filled = bins[:]
    for j in range(BINS):
        if bins[j] == _EMPTY:
            filled[j] = next(bins[k] for k in _PROBES[j] if bins[k] != _EMPTY)
    # The top bits only name the bin: the low 32 bits are what two bodies compare.
    return Signature(tuple(h & 0xFFFFFFFF for h in filled), len(found))


# --- wire credits and the original ------------------------------------------------

def _names(kind: str) -> dict[str, str]:
    return {form: agency for agency, forms in WIRE_AGENCIES.items() for form in forms[kind]}


_LONG, _SHORT = _names("names"), _names("short")


def _pattern(forms) -> re.Pattern[str]:
    ordered = sorted(forms, key=lambda f: (-len(f), f))
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(f).replace(r"\ ", r"\s+") for f in ordered) + r")(?!\w)",
                      re.IGNORECASE)


_ANY_NAME = _pattern([*_LONG, *_SHORT])
_LONG_NAME = _pattern(_LONG)
# A dateline credit: "WASHINGTON (AP) —", "Berlin (dpa) -".
_DATELINE = re.compile(r"\((" + _ANY_NAME.pattern + r")\)", re.IGNORECASE)
_DATELINE_SPAN = 300


def _agency(form: str) -> str:
    form = " ".join(form.lower().split())
    return _LONG.get(form) or _SHORT[form]


def wire_credit(byline: str | None, body: str | None) -> str | None:
    """The news agency a page credits (its name as WIRE_AGENCIES reports it), or None.

    Read from the byline ("Voice of America News", "By AP"), a dateline in the body's
    first lines ("WASHINGTON (AP) —"), or the agency's full name in its last paragraph
    ("The Associated Press contributed to this report"). A story that only mentions an
    agency in passing carries no credit.
    """
    found = _ANY_NAME.search(byline or "")
    if found:
        return _agency(found.group(1))
    body = body or ""
    found = _DATELINE.search(body[:_DATELINE_SPAN])
    if found:
        return _agency(found.group(2))
    last = body.rstrip().rsplit("\n\n", 1)[-1]
    found = _LONG_NAME.search(last) if len(last) < 400 else None
    return _agency(found.group(1)) if found else None


def agency_site(site: str | None, site_name: str | None) -> str | None:
    """The agency whose own site this is (by host, or the publication's name), or None."""
    host = (site or "").lower()
    for agency, forms in WIRE_AGENCIES.items():
        if any(host == h or host.endswith("." + h) for h in forms["hosts"]):
            return agency
    named = _LONG_NAME.search(site_name or "")
    return _agency(named.group(1)) if named else None


def published_moment(text: str | None) -> datetime | None:
    """A publication time as an instant: a bare day counts as its last second (UTC), so a
    page stating the time of day comes before one stating only the day."""
    if not text:
        return None
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.combine(datetime.fromisoformat(text).date(), time(23, 59, 59), timezone.utc)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


_NEVER = datetime.max.replace(tzinfo=timezone.utc)


def original_key(article: Mapping[str, Any]) -> tuple:
    """Sort key of a cluster's members, the original first: the earliest publication time,
    then a copy on a news agency's own site, then the first archived (lowest id)."""
    moment = published_moment(article.get("published_at"))
    return (moment or _NEVER, agency_site(article.get("site"), article.get("site_name")) is None, article["id"])


def original_evidence(original: Mapping[str, Any], copies: list[Mapping[str, Any]]) -> list[str]:
    """Why `original` is taken for the original of its copies, in words."""
    reasons = []
    moment = published_moment(original.get("published_at"))
    others = [published_moment(c.get("published_at")) for c in copies]
    if moment and all(o is None or o > moment for o in others):
        reasons.append(f"published first ({original['published_at']})")
    elif moment is None:
        reasons.append("no copy states a publication time; archived first")
    own = agency_site(original.get("site"), original.get("site_name"))
    if own:
        reasons.append(f"on the site of {own}")
    if not reasons:
        reasons.append("published at the same time as a copy; archived first")
    credits = [c for c in (a.get("credit") for a in (original, *copies)) if c]
    for agency in dict.fromkeys(credits):
        n = credits.count(agency)
        reasons.append(f"{n} of {len(copies) + 1} copies credit {agency}")
    return reasons
