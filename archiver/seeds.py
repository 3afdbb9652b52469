"""Seeds: URL lists and URL checks, shared by the CLI, the spiders and `archiver enqueue`.

Pure: no Scrapy, no SQL, no network.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

from archiver.normalize.urls import canonical_url

# In a spider argument (`-a urls=URL1,URL2`) a comma separates URLs only where
# the next one starts with a scheme: commas inside a URL stay part of it.
_NEXT_URL = re.compile(r",\s*(?=[A-Za-z][A-Za-z0-9+.-]*://)")
# Byte order marks, longest first (UTF-32 LE starts like UTF-16 LE).
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def as_list(value) -> list[str]:
    """A spider argument as a list: `-a allow=A,B` arrives as one string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace("\n", ",").split(",") if v.strip()]
    return [str(v) for v in value]


def as_url_list(value) -> list[str]:
    """URLs from a spider argument: a list, or one string of URLs separated by
    newlines or by commas that start another absolute URL."""
    if value is None:
        return []
    if isinstance(value, str):
        return [url.strip() for line in value.splitlines() for url in _NEXT_URL.split(line) if url.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


@dataclass
class Rejected:
    """A line of a URL list that could not be read, with the reason."""

    url: str  # the line as well as it can be shown
    reason: str


@dataclass
class UrlList:
    urls: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def _decode(data: bytes) -> tuple[str | None, str]:
    """The whole text when a UTF-16/32 encoding is certain (a BOM, or NUL bytes), else None:
    UTF-8 is read a line at a time."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    if data.count(b"\x00") * 4 >= len(data) > 0:  # ASCII text in UTF-16 is half NUL bytes
        even, odd = data[0::2].count(0), data[1::2].count(0)
        encoding = "utf-16-le" if odd > even else "utf-16-be"
        return data.decode(encoding, errors="replace"), encoding
    return None, "utf-8"


def read_url_list(data: bytes | str, name: str = "the list") -> UrlList:
    """URLs from a file, one per line; blank lines and # comments ignored.

    UTF-8 (with or without a BOM) and UTF-16/32 with a BOM are read; a line
    that is not text in the file's encoding is rejected with its number, and the
    other lines are still read.
    """
    result = UrlList()
    if isinstance(data, str):
        lines, encoding = data.splitlines(), "utf-8"
    else:
        text, encoding = _decode(data)
        lines = text.splitlines() if text is not None else data.removeprefix(codecs.BOM_UTF8).splitlines()
    for number, line in enumerate(lines, 1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                shown = line.decode("utf-8", errors="backslashreplace").strip()
                result.rejected.append(Rejected(
                    shown, f"line {number} of {name} is not UTF-8 text (byte 0x{line[exc.start]:02x} "
                           f"at column {exc.start + 1}); save the file as UTF-8"))
                continue
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "\ufffd" in line and encoding != "utf-8":
            result.rejected.append(Rejected(line, f"line {number} of {name} is not {encoding.upper()} text"))
            continue
        result.urls.append(line)
    return result


def unsupported_url_reason(url: str) -> str | None:
    """Why a URL cannot be fetched, or None when it is a plain http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # raises for a port that is not a number from 0 to 65535
        # What Scrapy does to every request URL: a URL it cannot read fails here, not in the crawl.
        safe_url_string(url.strip())
    except ValueError as exc:
        return f"not a valid URL ({exc}): {url!r}"
    if parts.scheme.lower() not in ("http", "https"):
        if not parts.scheme:
            return f"not an absolute URL (no http:// or https://): {url!r}"
        return f"unsupported URL scheme {parts.scheme!r}: only http and https URLs are fetched"
    if not parts.hostname:
        return f"no host in URL: {url!r}"
    return None


def seed_url(url: str) -> str:
    """A URL someone gave as an article or start page, as it is requested: canonical
    (no tracking parameters, no fragment), or as given when it cannot be fetched
    (its reason then says why)."""
    url = url.strip()
    if unsupported_url_reason(url):
        return url
    return canonical_url(url) or url


def seed_urls(urls) -> list[str]:
    """seed_url() of each, each URL once, in order."""
    return list(dict.fromkeys(seed_url(u) for u in urls))


# --- Where a crawl may go ------------------------------------------------------
# Address classes, from the least public to the most. A crawl never goes from
# a page to an address of a less public class than the page's own (a public
# page's redirect to 127.0.0.1, a LAN page's link to the metadata service on
# 169.254.169.254), unless ARCHIVER_ALLOW_PRIVATE_ADDRESSES says so. What the
# user names (seeds) is always fetched, on any address.
LOOPBACK, LINK_LOCAL, PRIVATE, PUBLIC = range(4)
ADDRESS_CLASSES = {LOOPBACK: "loopback", LINK_LOCAL: "link-local", PRIVATE: "private", PUBLIC: "public"}


def address_class(address: str) -> int:
    """The class of an IP address (a host name that does not resolve counts as public)."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return PUBLIC
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    if ip.is_loopback or ip.is_unspecified:  # 0.0.0.0 reaches this machine too
        return LOOPBACK
    if ip.is_link_local:
        return LINK_LOCAL
    return PUBLIC if ip.is_global else PRIVATE


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def inward_reason(origin: str, origin_class: int, target: str, target_class: int) -> str | None:
    """Why a request from a page on `origin` to `target` is refused, or None."""
    if target_class >= origin_class:
        return None
    return (f"not followed: a page on a {ADDRESS_CLASSES[origin_class]} address ({origin}) led to a "
            f"{ADDRESS_CLASSES[target_class]} one ({target}); -s ARCHIVER_ALLOW_PRIVATE_ADDRESSES=1 allows it")
