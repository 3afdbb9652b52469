"""Readable word diffs between two versions of an article's text."""

from __future__ import annotations

import difflib
import re

from archiver.record import DIFFED_FIELDS

_TOKEN = re.compile(r"\S+|\n")


def word_diff(old: str, new: str) -> str:
    """`[-removed-]{+added+}` marks in the new text, like `git diff --word-diff`."""
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(a[i1:i2])
            continue
        if op in ("delete", "replace"):
            out.append("[-" + " ".join(t for t in a[i1:i2] if t != "\n") + "-]")
        if op in ("insert", "replace"):
            out.append("{+" + " ".join(t for t in b[j1:j2] if t != "\n") + "+}")
    text = " ".join(out)
    return re.sub(r" ?\n ?", "\n", text)


def changed_fields(old: dict, new: dict, fields=DIFFED_FIELDS) -> list[str]:
    return [f for f in fields if old.get(f) != new.get(f)]
