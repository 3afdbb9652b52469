"""Decoding response bytes whatever they declare."""

from __future__ import annotations

import pytest

from archiver.extract.decode import decode_html

TEXT = "<p>Zürich café “quoted” – naïve</p>"


@pytest.mark.parametrize("data,content_type", [
    (TEXT.encode("utf-8"), "text/html; charset=utf-8"),
    (TEXT.encode("utf-8"), "text/html; charset=iso-8859-1"),  # stale label on UTF-8 bytes
    (TEXT.encode("cp1252"), "text/html; charset=windows-1252"),
    (TEXT.encode("cp1252"), "text/html"),  # undeclared
    (TEXT.encode("cp1252"), "text/html; charset=utf-8"),  # wrong label on windows-1252 bytes
    (('<meta charset="utf-8">' + TEXT).encode("cp1252"), None),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "text/html; charset=cp1252"),  # a BOM wins
])
def test_no_mojibake(data, content_type):
    assert TEXT in decode_html(data, content_type)


def test_a_few_bad_bytes_in_utf8_are_replaced():
    text = decode_html(TEXT.encode("utf-8") + b"\xff tail", "text/html; charset=utf-8")
    assert TEXT in text and "\ufffd tail" in text
