"""Word diffs between two versions of an article's text: one diff for the CLI and the web UI."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from archiver.record import DIFFED_FIELDS

_TOKEN = re.compile(r"\S+|\n")

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
