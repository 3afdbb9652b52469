"""The word diff as paragraphs, as the web UI's compare page shows it (its text form, as
`archiver diff` prints it, is tested in test_feeds_sitemaps.py)."""

from __future__ import annotations

import pytest

from archiver.diff import diff_paragraphs


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("a b c", "a x c", [[("same", "a"), ("removed", "b"), ("added", "x"), ("same", "c")]]),
    ("one\n\ntwo", "one\n\nnew words\n\ntwo", [[("same", "one")], [("added", "new words")], [("same", "two")]]),
    ("one\n\ngone para\n\ntwo", "one\n\ntwo", [[("same", "one")], [("removed", "gone para")], [("same", "two")]]),
    ("", "fresh text", [[("added", "fresh text")]]),
    ("same\n\ntext", "same\n\ntext", [[("same", "same")], [("same", "text")]]),
])
def test_diff_paragraphs(old, new, expected):
    assert diff_paragraphs(old, new) == expected
