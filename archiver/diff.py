"""What changed between two versions of an article: word diffs (one for the CLI and the web
UI), and the change record of a new version (which fields, how many words) with the
`min_change` rule that tells a real change from a comma. Pure."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from archiver.record import DIFFED_FIELDS

_TOKEN = re.compile(r"\S+|\n")
_WORD = re.compile(r"\w+")

SAME, REMOVED, ADDED = "same", "removed", "added"

# What `archiver diff` and the compare page compare besides the body, in this order (record.py's spec).
VERSION_FIELDS = DIFFED_FIELDS


def _opcodes(old: str, new: str) -> Iterator[tuple[str, list[str], list[str]]]:
    """(op, old tokens, new tokens) runs; a token is a word or a newline."""
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        yield op, a[i1:i2], b[j1:j2]


def _words(tokens: list[str]) -> str:
    return " ".join(t for t in tokens if t != "\n")


def word_diff(old: str, new: str) -> str:
    """`[-removed-]{+added+}` marks in the new text, like `git diff --word-diff`."""
    out: list[str] = []
    for op, removed, added in _opcodes(old, new):
        if op == "equal":
            out.extend(added)
            continue
        if removed:
            out.append("[-" + _words(removed) + "-]")
        if added:
            out.append("{+" + _words(added) + "+}")
    text = " ".join(out)
    return re.sub(r" ?\n ?", "\n", text)


def diff_paragraphs(old: str, new: str) -> list[list[tuple[str, str]]]:
    """The word diff as paragraphs, each a list of (SAME | REMOVED | ADDED, words) runs.

    A paragraph ends wherever either text has a paragraph break, so a paragraph
    removed or added whole is a paragraph of its own.
    """
    paragraphs: list[list[tuple[str, list[str]]]] = [[]]
    for op, removed, added in _opcodes(old, new):
        for kind, tokens in ((SAME, added),) if op == "equal" else ((REMOVED, removed), (ADDED, added)):
            for token in tokens:
                runs = paragraphs[-1]
                if token == "\n":
                    if runs:
                        paragraphs.append([])
                elif runs and runs[-1][0] == kind:
                    runs[-1][1].append(token)
                else:
                    runs.append((kind, [token]))
    return [[(kind, " ".join(words)) for kind, words in runs] for runs in paragraphs if runs]


def changed_fields(old: dict, new: dict, fields=VERSION_FIELDS) -> list[str]:
    return [f for f in fields if old.get(f) != new.get(f)]


# --- change records -------------------------------------------------------------

# What a change record compares, in this order; the text fields' words are counted.
CHANGE_FIELDS = (*VERSION_FIELDS, "body")
COUNTED_FIELDS = ("title", "description", "byline", "body")


@dataclass(frozen=True)
class Change:
    """How a new version differs from the one before: the fields that changed and how much.

    Words are counted as `\\w+` runs, case-folded, so punctuation and case never
    count: a comma added is a change of zero words. `body_share` is the part of
    the body's words removed or added, (removed + added) / (old + new words).
    """

    fields: tuple[str, ...]
    words_added: int = 0
    words_removed: int = 0
    body_share: float = 0.0

    @property
    def words(self) -> int:
        return self.words_added + self.words_removed


def _folded_words(text) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text or "")]


def word_counts(old: str | None, new: str | None) -> tuple[int, int]:
    """(words added, words removed) from old to new text."""
    a, b = _folded_words(old), _folded_words(new)
    added = removed = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


def measure_change(old: Mapping, new: Mapping) -> Change:
    """The change from `old` to `new` (mappings of CHANGE_FIELDS; lists as lists)."""
    fields = tuple(changed_fields(old, new, CHANGE_FIELDS))
    added = removed = 0
    share = 0.0
    for name in fields:
        if name not in COUNTED_FIELDS:
            continue
        plus, minus = word_counts(old.get(name), new.get(name))
        added += plus
        removed += minus
        if name == "body":
            total = len(_folded_words(old.get(name))) + len(_folded_words(new.get(name)))
            share = round((plus + minus) / total, 4) if total else 0.0
    return Change(fields, added, removed, share)


@dataclass(frozen=True)
class MinChange:
    """The smallest change that makes a new version: `words` added plus removed (title,
    description, byline and body together), or `share` of the body; 0 counts every change."""

    words: int = 0
    share: float = 0.0

    @classmethod
    def parse(cls, value) -> MinChange:
        """`3` or "3" (words), "2%" (of the body); ValueError otherwise."""
        if value is None or value == "":
            return cls()
        if isinstance(value, bool):
            raise ValueError(f"min_change: {value!r} is not a number of words or a percentage")
        if isinstance(value, int):
            if value < 0:
                raise ValueError(f"min_change: {value} is below 0")
            return cls(words=value)
        text = str(value).strip()
        match = re.fullmatch(r"(\d+)\s*(words?)?|(\d+(?:\.\d+)?)\s*%", text)
        if not match:
            raise ValueError(f"min_change: {value!r} is not a number of words (3) or a share of the body (2%)")
        if match.group(1) is not None:
            return cls(words=int(match.group(1)))
        return cls(share=float(match.group(3)) / 100)

    def too_small(self, change: Change) -> bool:
        return change.words < self.words or (self.share > 0 and change.body_share < self.share)

    def describe(self, change: Change) -> str:
        """Why a change was too small, for the run's pages."""
        fields = ", ".join(change.fields) or "nothing"
        limit = f"{self.words} word{'s' if self.words != 1 else ''}" if self.words else f"{self.share:.1%} of the body"
        return (f"change below min_change ({change.words} word{'s' if change.words != 1 else ''} in {fields}; "
                f"min_change {limit}): "
                "recorded as unchanged")


def change_excerpt(old: Mapping, new: Mapping, change: Change, *, limit: int = 600, context: int = 6) -> str:
    """The change as a person reads it in a notification: each changed field old -> new,
    then the body's word diff around each change ([-removed-] {+added+}), at most `limit` characters."""
    lines = [f"{name}: {_short(old.get(name))} -> {_short(new.get(name))}"
             for name in change.fields if name != "body"]
    if "body" in change.fields:
        lines.append("body: " + (_body_excerpt(old.get("body") or "", new.get("body") or "", context)
                                 or "whitespace only"))
    text = "\n".join(lines)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _body_excerpt(old: str, new: str, context: int) -> str:
    """The body's word diff with `context` words around each change; the rest left out (…)."""
    tokens: list[tuple[str, bool]] = []  # (shown text, is a change)
    for op, removed, added in _opcodes(old, new):
        if op == "equal":
            tokens.extend((w, False) for w in added if w != "\n")
            continue
        if _words(removed):
            tokens.append((f"[-{_words(removed)}-]", True))
        if _words(added):
            tokens.append((f"{{+{_words(added)}+}}", True))
    changed = [i for i, (_, mark) in enumerate(tokens) if mark]
    keep = sorted({j for i in changed for j in range(max(0, i - context), min(len(tokens), i + context + 1))})
    out: list[str] = []
    for n, j in enumerate(keep):
        if n == 0 and j > 0 or n and j != keep[n - 1] + 1:
            out.append("…")
        out.append(tokens[j][0])
    if keep and keep[-1] < len(tokens) - 1:
        out.append("…")
    return " ".join(out)


def _short(value, width: int = 120) -> str:
    if isinstance(value, list):
        value = "; ".join(map(str, value))
    text = " ".join(str(value).split()) if value is not None else "(none)"
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def change_summary(row: Mapping) -> str:
    """One line about a change record (a row of the changes table): what changed and how
    much, or why the article is gone or back."""
    if row.get("kind") != "changed":
        return row.get("reason") or row.get("kind") or ""
    fields = ", ".join(row.get("fields") or ()) or "nothing"
    added, removed = row.get("words_added") or 0, row.get("words_removed") or 0
    share = row.get("body_share")
    body = f", {share:.0%} of the body" if share else ""
    return f"{fields} changed: +{added} -{removed} words{body}"
