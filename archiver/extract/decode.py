"""Response bytes to text: BOM, HTTP charset, <meta charset>, then a guess."""

from __future__ import annotations

from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)


HTML_TYPES = ("text/html", "application/xhtml+xml")


def is_html_type(content_type: str | None) -> bool:
    """Whether a Content-Type is HTML; none at all may be (extraction decides)."""
    mime = (content_type or "").split(";")[0].strip().lower()
    return not mime or mime in HTML_TYPES


def _utf8_or_cp1252(data: bytes) -> str:
    # Undeclared pages: strict UTF-8 first; what fails is almost always
    # windows-1252 (a superset of ISO-8859-1 that browsers use for both).
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decode_html(body: bytes | str | None, content_type: str | None = None) -> str:
    """Decode an HTML response body; str passes through, junk never raises."""
    if body is None:
        return ""
    if isinstance(body, str):
        return body.replace("\x00", "")
    data = bytes(body)
    try:
        text = _decode(data, content_type)
    except Exception:  # unknown codec names, broken headers: any text beats none
        text = data.decode("utf-8", errors="replace")
    return text.replace("\x00", "")


def _decode(data: bytes, content_type: str | None) -> str:
    wide = _declares_wide(data, content_type)
    if wide and not read_bom(data)[0]:
        # UTF-16 without a BOM: ASCII markup leaves its zero bytes on one side.
        sample = data[:2000]
        return data.decode("utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be", errors="replace")
    if not read_bom(data)[0]:
        # Bytes that are valid UTF-8 and use multi-byte sequences are UTF-8,
        # whatever a stale label says: servers and archivers re-encode pages
        # without touching <meta charset>, and Latin-1 or GBK text almost never
        # forms valid UTF-8 by accident. Trusting the label there is mojibake.
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        if _declares_utf8(data, content_type):
            return _mostly_utf8_or_cp1252(data)
    _, text = html_to_unicode(content_type, data, default_encoding="cp1252", auto_detect_fun=_utf8_or_cp1252)
    return text


def _declares_utf8(data: bytes, content_type: str | None) -> bool:
    declared = http_content_type_encoding(content_type) or html_body_declared_encoding(data[:4096])
    return (resolve_encoding(declared) or "") == "utf-8" if declared else False


def _mostly_utf8_or_cp1252(data: bytes) -> str:
    """A page labelled UTF-8 whose bytes are not: a few bad bytes in UTF-8 text
    are replaced, but when most non-ASCII bytes fail, the page was written in
    windows-1252 under a wrong label and is read as such."""
    high = sum(1 for b in data if b >= 0x80)
    text = data.decode("utf-8", errors="replace")
    if high and text.count("\ufffd") * 2 > high:
        return data.decode("cp1252", errors="replace")
    return text


def _declares_wide(data: bytes, content_type: str | None) -> bool:
    declared = http_content_type_encoding(content_type) or html_body_declared_encoding(data[:4096])
    return bool(declared) and (resolve_encoding(declared) or "").startswith("utf-16")
