"""Text as readers and search see it: NFC, without invisible and control characters.

Pages hide characters in their text that a reader never sees but that break
search and comparison: soft hyphens (U+00AD, set by hyphenation tools on every
long German word), zero-width spaces, word joiners, invisible operators, byte
order marks, control characters. `visible_text` removes them from every text
field of a record (record.finalize calls it). Zero-width joiners and non-joiners
are kept where a script needs them (Persian, Arabic, the Indic scripts...) and
inside emoji sequences; C1 control characters, the mark of text decoded as
Latin-1 that was windows-1252, become the characters they stood for.
"""

from __future__ import annotations

import re
import unicodedata

# U+00AD soft hyphen, U+200B zero-width space, U+2060 word joiner, U+2061-2064
# invisible operators, U+FEFF byte order mark (zero-width no-break space), and
# the C0 controls and DEL (tab, line feed and carriage return are whitespace).
_INVISIBLE = "\u00ad\u200b\u2060-\u2064\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_SUSPECT = re.compile(f"[{_INVISIBLE}\u200c\u200d\x80-\x9f]")
_DROP = re.compile(f"[{_INVISIBLE}]+")
_JOINERS = re.compile("[\u200c\u200d]")
_C1 = re.compile("[\x80-\x9f]")

# Scripts whose spelling uses the zero-width (non-)joiner: Arabic, Syriac, Thaana,
# N'Ko, the Indic scripts from Devanagari to Sinhala, Tibetan, Myanmar, Khmer, Mongolian.
_JOINING_SCRIPTS = re.compile(
    "[\u0600-\u07ff\u0860-\u08ff\u0900-\u0dff\u0f00-\u0fff\u1000-\u109f\u1780-\u18af"
    "\ua8e0-\ua8ff\ufb50-\ufdff\ufe70-\ufefe]"
)


def fold_spaces(text: str) -> str:
    """The text on one line: every run of whitespace one space, none at the ends.

    The same as re.sub(r"\\s+", " ", text).strip() (str.split and re's \\s know the
    same whitespace), without the regex: several extractors fold every text they read."""
    return " ".join(text.split())


def visible_text(text: str | None) -> str | None:
    """The text in NFC without invisible characters; pure and idempotent."""
    if not text:
        return text
    if _SUSPECT.search(text):
        text = _DROP.sub("", text)
        text = _JOINERS.sub(_joiner, text)
        text = _C1.sub(_windows_1252, text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def _joiner(match: re.Match) -> str:
    s, i = match.string, match.start()
    around = s[i - 1 : i] + s[i + 1 : i + 2]
    return match.group() if any(_needs_joiner(c) for c in around) else ""


def _needs_joiner(char: str) -> bool:
    if _JOINING_SCRIPTS.match(char):
        return True
    # emoji sequences (👨‍👩‍👧, 😵‍💫): symbols, their variation selector and skin tones
    return unicodedata.category(char) in ("So", "Sk") or char == "\ufe0f"


def _windows_1252(match: re.Match) -> str:
    try:
        return bytes([ord(match.group())]).decode("cp1252")
    except UnicodeDecodeError:  # the five bytes windows-1252 leaves undefined
        return ""
