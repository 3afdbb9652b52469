"""What a page states about itself in markup: JSON-LD, OpenGraph and other <meta>.

Values come out raw (strings, lists of strings); normalize/ cleans them.
"""

from __future__ import annotations

import json
import re
import string

# Objects of these @types are the story itself.
ARTICLE_TYPES = frozenset(
    t.lower()
    for t in (
        "Article NewsArticle BlogPosting ReportageNewsArticle AnalysisNewsArticle OpinionNewsArticle "
        "BackgroundNewsArticle ReviewNewsArticle AskPublicNewsArticle SatiricalArticle ScholarlyArticle "
        "TechArticle Report LiveBlogPosting SocialMediaPosting DiscussionForumPosting Blog Posting "
        "AdvertiserContentArticle MedicalScholarlyArticle APIReference Review CriticReview "
        "VideoObject Recipe"
    ).split()
)
# Of those, the ones that are plainly written stories (VideoObject/Recipe are
# only accepted when nothing better is on the page).
STORY_TYPES = ARTICLE_TYPES - {"videoobject", "recipe", "review", "blog"}
MAX_JSON_LD = 2_000_000  # bigger blocks are data dumps, not a page's description
MAX_OBJECTS = 500
MAX_DEPTH = 12

_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _loads(text: str):
    text = text.strip()
    if text.startswith("<!--"):
        text = text[4:]
    if text.endswith("-->"):
        text = text[:-3]
    text = text.strip().removeprefix("//<![CDATA[").removesuffix("//]]>").strip()
    text = text.removeprefix("<![CDATA[").removesuffix("]]>").strip()
    for attempt in (text, _TRAILING_COMMA.sub(r"\1", _CONTROL.sub(" ", text))):
        try:
            return json.loads(attempt, strict=False)
        except (ValueError, RecursionError):
            continue
    return None


def _type_names(obj: dict) -> list[str]:
    kind = obj.get("@type")
    if isinstance(kind, str):
        kind = [kind]
    if not isinstance(kind, list):
        return []
    return [k.rsplit("/", 1)[-1].lower() for k in kind if isinstance(k, str)]


# ASCII case folding, as the XPath translate() these tests replaced did it (str.lower()
# would fold other letters too). For the JSON-LD type, folding every ASCII letter finds
# "ld+json" exactly where folding only L, D, J, S, O and N did.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def json_ld_objects(tree) -> list[dict]:
    """Every typed object in the page's JSON-LD blocks, @graph and lists flattened."""
    objects: list[dict] = []
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or "").translate(_ASCII_LOWER):
            continue
        text = script.text or ""
        if not text or len(text) > MAX_JSON_LD:
            continue
        data = _loads(text)
        if data is not None:
            _collect(data, objects)
    return objects


def _collect(data, out: list[dict]) -> None:
    # Iterative walk: JSON-LD nests (mainEntity, itemListElement, @graph) and
    # hostile pages nest thousands deep.
    stack = [(data, 0)]
    while stack and len(out) < MAX_OBJECTS:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if isinstance(node, list):
            stack.extend((item, depth + 1) for item in reversed(node))
        elif isinstance(node, dict):
            if "@type" in node:
                out.append(node)
            for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement", "hasPart", "item"):
                child = node.get(key)
                if isinstance(child, (list, dict)):
                    stack.append((child, depth + 1))


def _first_str(value) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        for item in value:
            found = _first_str(item)
            if found:
                return found
    if isinstance(value, dict):
        for key in ("@value", "name", "url", "@id", "contentUrl"):
            found = _first_str(value.get(key))
            if found:
                return found
    return None


def _names(value, ids: dict) -> list[str]:
    """Author/creator values: strings, {name}, {@id} references, lists of those."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items[:30]:
        if isinstance(item, dict) and "name" not in item and isinstance(item.get("@id"), str):
            item = ids.get(item["@id"], item)
        if isinstance(item, str):
            if not item.startswith(("http://", "https://", "/")):
                names.append(item)
        elif isinstance(item, dict):
            name = item.get("name")
            if isinstance(name, list):  # {"name": ["A", "B"]}: two people in one object
                names.extend(n for n in name[:30] if isinstance(n, str) and n.strip())
                continue
            if not isinstance(name, str) and (item.get("givenName") or item.get("familyName")):
                name = f"{_first_str(item.get('givenName')) or ''} {_first_str(item.get('familyName')) or ''}"
            if isinstance(name, str) and name.strip():
                names.append(name)
    return names


def _keywords(value) -> list[str]:
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    if isinstance(value, list):
        return [k.strip() for k in value if isinstance(k, str) and k.strip()]
    return []


def _object_url(obj: dict) -> str | None:
    return _first_str(obj.get("url")) or _first_str(obj.get("mainEntityOfPage")) or _first_str(obj.get("@id"))


def main_article(objects: list[dict], url: str | None = None) -> dict | None:
    """The object that describes this page's story, if any."""
    best, best_score = None, 0
    path = _path(url)
    for obj in objects:
        types = set(_type_names(obj))
        if not types & ARTICLE_TYPES:
            continue
        score = 1
        score += 4 if types & STORY_TYPES else 0
        score += 2 if obj.get("headline") else 0
        score += 1 if obj.get("datePublished") else 0
        score += 1 if obj.get("author") else 0
        score += 1 if obj.get("articleBody") else 0
        object_url = _object_url(obj)
        if path and object_url and _path(object_url) == path:
            score += 3
        if score > best_score:
            best, best_score = obj, score
    return best


def _path(url: str | None) -> str | None:
    if not url or not isinstance(url, str):
        return None
    m = re.match(r"(?:https?:)?//[^/]+(/[^?#]*)?", url)
    path = (m.group(1) if m else url.split("?")[0]) or "/"
    return path.rstrip("/") or "/"


def json_ld_fields(objects: list[dict], url: str | None = None) -> dict:
    """Raw fields from the main article object (and the page's publisher/WebSite)."""
    fields: dict = {}
    ids = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    article = main_article(objects, url)
    for obj in objects:
        types = set(_type_names(obj))
        if "website" in types and not fields.get("site_name"):
            fields["site_name"] = _first_str(obj.get("name"))
        if types & {"newsmediaorganization", "organization"} and not fields.get("org_name"):
            fields["org_name"] = _first_str(obj.get("name"))
    if article is None:
        # Yoast-style graphs without an Article still credit the WebPage.
        page = next((o for o in objects if set(_type_names(o)) & {"webpage", "itempage"}
                     and (o.get("author") or o.get("datePublished"))), None)
        if page is not None:
            fields["authors"] = _names(page.get("author"), ids)
            fields["published"] = _first_str(page.get("datePublished"))
            fields["modified"] = _first_str(page.get("dateModified"))
        return fields
    fields["types"] = _type_names(article)
    fields["title"] = _first_str(article.get("headline")) or _first_str(article.get("name"))
    fields["authors"] = _names(article.get("author"), ids) or _names(article.get("creator"), ids)
    fields["published"] = _first_str(article.get("datePublished")) or _first_str(article.get("dateCreated"))
    fields["modified"] = _first_str(article.get("dateModified"))
    fields["description"] = _first_str(article.get("description"))
    fields["language"] = _first_str(article.get("inLanguage"))
    fields["section"] = _first_str(article.get("articleSection"))
    fields["tags"] = _keywords(article.get("keywords"))
    fields["image"] = _first_str(article.get("image")) or _first_str(article.get("thumbnailUrl"))
    fields["body"] = _first_str(article.get("articleBody")) or _first_str(article.get("text"))
    fields["url"] = _object_url(article)
    # What the page says of its access and length (extract.access reads them).
    fields["free"] = article.get("isAccessibleForFree")
    fields["word_count"] = _first_str(article.get("wordCount"))
    publisher = article.get("publisher")
    if isinstance(publisher, dict) and "name" not in publisher and isinstance(publisher.get("@id"), str):
        publisher = ids.get(publisher["@id"], publisher)
    publisher_names = _names(publisher, ids)
    if publisher_names:
        fields["publisher"] = publisher_names[0]
    return fields


# <meta> names, in the order they are trusted, for each field.
META_KEYS = {
    "title": ("og:title", "twitter:title", "dc.title", "dcterms.title", "sailthru.title", "parsely-title", "headline", "title"),
    "authors": ("article:author", "author", "dc.creator", "dcterms.creator", "sailthru.author",
                "parsely-author", "byl", "og:article:author", "article.author", "citation_author",
                "twitter:data1:author", "creator", "cxenseparse:author", "authors"),
    "published": ("article:published_time", "og:article:published_time", "article:published", "datepublished",
                  "og:published_time", "published_time", "parsely-pub-date", "sailthru.date", "dc.date.issued",
                  "dcterms.issued", "dc.date", "dcterms.date", "dc.date.created", "dcterms.created", "date",
                  "pubdate", "publishdate", "publish-date", "publish_date", "publication_date", "date_published",
                  "article.published", "article_date_original", "cxenseparse:recs:publishtime",
                  "rnews:datepublished", "originalpublicationdate", "displaydate", "og:pubdate", "citation_date",
                  "citation_publication_date", "release_date", "pub_date", "published", "datecreated",
                  "article:post_date", "ptime", "dat", "content_publication_date"),
    "modified": ("article:modified_time", "og:article:modified_time", "og:updated_time", "article:modified",
                 "datemodified", "modified_time", "dc.date.modified", "dcterms.modified", "last-modified",
                 "lastmod", "updated_time", "article.updated", "sailthru.lastmodified", "utime", "dateupdated"),
    "description": ("og:description", "description", "twitter:description", "dc.description", "dcterms.description"),
    "site_name": ("og:site_name", "application-name", "dc.publisher", "dcterms.publisher", "publisher", "copyright"),
    "language": ("og:locale", "content-language", "dc.language", "dcterms.language", "language", "inlanguage"),
    "section": ("article:section", "parsely-section", "section", "category", "article.section", "cxenseparse:recs:category"),
    "image": ("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src", "image"),
    "url": ("og:url", "twitter:url", "dc.identifier", "url"),
    "type": ("og:type",),
}
_TAG_KEYS = ("article:tag", "news_keywords", "keywords", "parsely-tags", "sailthru.tags", "dc.subject")


def meta_tags(tree) -> dict[str, list[str]]:
    """All <meta> values by lower-cased name/property/itemprop, in page order."""
    found: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = meta.get(attr)
            if key:
                found.setdefault(key.strip().lower(), []).append(content.strip())
    return found


def meta_fields(metas: dict[str, list[str]]) -> dict:
    """Raw fields from <meta> tags; authors keep every value, the rest the first."""
    fields: dict = {}
    for field, keys in META_KEYS.items():
        if field == "authors":
            values = []
            for key in keys:
                values.extend(v for v in metas.get(key, ()) if not v.startswith(("http://", "https://", "@")))
                if values:
                    break
            fields["authors"] = values
            continue
        for key in keys:
            if metas.get(key):
                fields[field] = metas[key][0]
                fields[field + "_key"] = key
                break
    tags: list[str] = []
    for key in _TAG_KEYS:
        for value in metas.get(key, ()):
            tags.extend(t.strip() for t in value.split(",") if t.strip())
        if tags:
            break
    fields["tags"] = tags
    return fields


def link_href(tree, rel: str) -> str | None:
    wanted = f" {rel} "
    for link in tree.iter("link"):
        href = link.get("href")
        if href is not None and wanted in f" {(link.get('rel') or '').translate(_ASCII_LOWER)} ":
            return href.strip()
    return None

