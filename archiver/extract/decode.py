"""Response bytes to text: BOM, HTTP charset, <meta charset>, then a guess."""

from __future__ import annotations

from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

# Servers often label UTF-8 pages as Latin-1 (a default nobody changed); a
# page that decodes cleanly as UTF-8 and has multi-byte sequences is UTF-8.
_LATIN_LABELS = frozenset({"cp1252", "iso8859-1", "latin-1", "latin1", "windows-1252", "ascii"})


def _utf8_or_cp1252(data: bytes) -> str:
    # Undeclared pages: strict UTF-8 first; what fails is almost always
    # windows-1252 (a superset of ISO-8859-1 that browsers use for both).
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _is_utf8_with_multibyte(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(b >= 0x80 for b in data)


def decode_html(body: bytes | str | None, content_type: str | None = None) -> str:
    """Decode an HTML response body; str passes through, junk never raises."""
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    try:
        data = bytes(body)
        if not read_bom(data)[0]:
            declared = resolve_encoding(html_body_declared_encoding(data) or "") or ""
            header_enc = _header_encoding(content_type)
            if (header_enc or declared).lower() in _LATIN_LABELS and _is_utf8_with_multibyte(data):
                return data.decode("utf-8")
        _, text = html_to_unicode(content_type, data, default_encoding="cp1252",
                                  auto_detect_fun=_utf8_or_cp1252)
    except Exception:  # unknown codec names, broken headers: any text beats none
        text = bytes(body).decode("utf-8", errors="replace")
    return text.replace("\x00", "")


def _header_encoding(content_type: str | None) -> str:
    try:
        return http_content_type_encoding(content_type) or ""
    except Exception:
        return ""
