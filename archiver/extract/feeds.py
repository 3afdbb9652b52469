"""RSS 2.0, RSS 1.0 (RDF) and Atom feeds: entries with their evidence; feed discovery."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from archiver.normalize.dates import parse_date
from archiver.normalize.titles import clean_text
from archiver.normalize.urls import canonical_url

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
# A hostile feed must not make the parser fetch or expand anything.
_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False,
                          remove_comments=True, remove_pis=True)


@dataclass
class FeedEntry:
    url: str
    title: str | None = None
    published_at: str | None = None
    modified_at: str | None = None
    authors: list[str] = field(default_factory=list)

    def evidence(self) -> dict:
        """What the feed says about the article, for extraction to weigh."""
        return {"source": "feed", "title": self.title, "published_at": self.published_at,
                "modified_at": self.modified_at, "authors": list(self.authors)}


def _local(tag) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _children(elem, *names: str):
    return [child for child in elem if _local(child.tag) in names]


def _text(elem, *names: str) -> str | None:
    for child in _children(elem, *names):
        text = "".join(child.itertext()).strip()
        if text:
            return text
    return None


def looks_like_feed(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith(b"<?xml") and any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf")) or \
        head.startswith((b"<rss", b"<feed", b"<rdf:rdf"))


def parse_feed(body: bytes, base_url: str | None = None) -> list[FeedEntry]:
    """Entries of an RSS/Atom/RDF feed, in feed order; [] for anything else."""
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return []
    if root is None:
        return []
    entries = []
    for elem in root.iter():
        if _local(elem.tag) not in ("item", "entry"):
            continue
        entry = _entry(elem, base_url)
        if entry:
            entries.append(entry)
    return entries


def _entry(elem, base_url: str | None) -> FeedEntry | None:
    link = None
    for child in _children(elem, "link"):
        href = child.get("href")
        rel = (child.get("rel") or "alternate").lower()
        if href and rel == "alternate":
            link = href
            break
        if not href and (child.text or "").strip():
            link = child.text.strip()
            break
    if not link:
        guid = _children(elem, "guid")
        if guid and (guid[0].get("isPermaLink", "true").lower() == "true"):
            link = (guid[0].text or "").strip()
    if not link:
        about = elem.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
        link = about
    url = canonical_url(link, base_url)
    if not url:
        return None
    authors = []
    for author in _children(elem, "author", "creator"):
        name = _text(author, "name") or "".join(author.itertext()).strip()
        # RSS 2.0 <author> is "email (Name)"; keep the name.
        if "(" in name and name.endswith(")") and "@" in name.split("(")[0]:
            name = name.split("(", 1)[1][:-1]
        if name and "@" not in name:
            authors.append(clean_text(name))
    return FeedEntry(
        url=url,
        title=clean_text(_text(elem, "title")),
        published_at=parse_date(_text(elem, "pubdate", "published", "issued", "date")),
        modified_at=parse_date(_text(elem, "updated", "modified")),
        authors=[a for a in authors if a],
    )


def discover_feeds(tree, base_url: str) -> list[str]:
    """Feeds a page announces with <link rel="alternate" type="application/rss+xml">."""
    found = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in FEED_TYPES:
            url = canonical_url(link.get("href"), base_url)
            if url and url not in found:
                found.append(url)
    return found
