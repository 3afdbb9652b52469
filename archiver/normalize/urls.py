"""URL normalization: absolute, canonical, no tracking parameters, no fragment."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that only tell the site where a click came from; they never
# change which story a URL names.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "twclid", "igshid",
        "mc_cid", "mc_eid", "mkt_tok", "_hsenc", "_hsmi", "hsctatracking",
        "ocid", "cmpid", "ncid", "sr_share", "smid", "smtyp", "ref_src", "ref_url",
        "share", "cid", "icid", "ito", "xtor", "at_medium", "at_campaign",
        "wt.mc_id", "wt_mc", "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname",
        "ns_fee", "s_cid", "rss", "feature", "spm", "guccounter", "utm",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "_ga", "hmb_", "at_", "oly_", "vero_")

_DEFAULT_PORTS = {"http": 80, "https": 443}
_WS = re.compile(r"\s+")
# Links a page names in full need no joining; most others are "/path" on the same host.
_ABSOLUTE = re.compile(r"https?://[^/?#]", re.I)
_SITE_ROOT = re.compile(r"(https?://[^/?#]+)", re.I)
_DOT_SEGMENT = re.compile(r"(^|/)\.\.?(/|$|[?#])")


def _join(base: str, url: str) -> str:
    """urljoin(base, url), without its cost for a path from the site's root (the common case)."""
    if url.startswith("/") and not url.startswith("//") and not _DOT_SEGMENT.search(url):
        root = _SITE_ROOT.match(base)
        if root:
            return root.group(1) + url
    return urljoin(base, url)


def is_tracking_param(name: str) -> bool:
    key = name.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """Absolute http(s) URL with lowercase host, no default port, no fragment and
    no tracking parameters; None for anything that is not an http(s) link."""
    if not url:
        return None
    url = _WS.sub("", url.strip())
    try:
        # urljoin and urlsplit raise on malformed hosts ("//[", bad ports)
        if base and not _ABSOLUTE.match(url):
            url = _join(base, url)
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if not host:
        return None
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if port and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)],
        doseq=True,
    ) if parts.query else ""
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, query, ""))


def site_of(url: str | None) -> str | None:
    """The host a URL belongs to, without a leading "www."."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.lower()
    return host[4:] if host.startswith("www.") else host


def _port(url: str) -> int | None:
    """The URL's port; None for its scheme's default (http and https of one host are one site)."""
    parts = urlsplit(url)
    port = parts.port
    return None if port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower()) else port


def same_site(a: str | None, b: str | None) -> bool:
    """True when both URLs are on one registrable site (www. and subdomains folded) and
    port; an IP address is a site of its own (127.0.0.1 and 127.1.0.1 are two)."""
    sa, sb = site_of(a), site_of(b)
    if not sa or not sb:
        return False
    try:
        if _port(a) != _port(b):
            return False
    except ValueError:
        return False
    if sa == sb:
        return True
    if _is_ip(sa) or _is_ip(sb):
        return False
    return sa.endswith("." + sb) or sb.endswith("." + sa) or _last_labels(sa) == _last_labels(sb)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _last_labels(host: str) -> str:
    # Without a public-suffix list: two labels, three when the second-level
    # label is a short generic one (bbc.co.uk, abc.net.au).
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in {"co", "com", "net", "org", "gov", "ac", "edu", "ne", "or"}:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])
