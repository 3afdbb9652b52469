"""Links to other stories offered with an article: related blocks and in-body links.

Pure: a Page in, a list of {"url", "text"} out; the tree is never modified.
What counts as a story URL is judged by the URL's shape, never by a list of sites.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from archiver.extract.page import Page
from archiver.normalize import vocab
from archiver.normalize.text import fold_spaces
from archiver.normalize.urls import canonical_url, same_site


# Headings that introduce a block of related stories when the markup does not name it.
RELATED_HEADING = vocab.Caseless(
    rf"^({vocab.alternation(vocab.words(vocab.READ_MORE))}|"
    r"more (from|on|about|stories|news)\b.*|(you )?(may|might) (also )?(like|be interested).*|"
    r"recommended.*|mehr zum thema.*)\s*:?$")
# Listing and utility pages: never a story.
_UTILITY_PATHS = ("user", "users", "suche", "subscription", "abo", "newsletters", "feed", "rss", "shop", "store",
                  "product", "products", "dp", "cart", "checkout", "events")
NON_STORY_PATH = vocab.Caseless(
    "/(" + vocab.alternation((*vocab.words(vocab.LISTING_PATHS), *vocab.words(vocab.SITE_PAGES), *_UTILITY_PATHS))
    + ")(/|$)"
)
# Slugs of the site's own service pages, which a numeric id would otherwise pass.
SERVICE_SLUG = vocab.Caseless(
    r"(^|-)(about-us|contact-us|privacy-policy|cookie-policy|terms-of-(use|service)|advertise-with-us|"
    r"subscribe|newsletter-signup|sitemap|impressum|datenschutz|how-we-test|editorial-(policy|standards))(-|$)")
SHARE_URL = vocab.Caseless(
    r"(facebook\.com/(sharer|share|dialog)|twitter\.com/(intent|share|home)|x\.com/(intent|share)|"
    r"wa\.me/|whatsapp\.com/send|api\.whatsapp|linkedin\.com/(share|sharing|cws/share)|reddit\.com/submit|"
    r"pinterest\.\w+/pin/create|t\.me/share|telegram\.me/share|tumblr\.com/share|getpocket\.com/save|"
    r"news\.ycombinator\.com/submitlink|flipboard\.com/bookmarklet|/share\?|[?&](share|shareurl|u)=http)")
# Click trackers and affiliate redirects carry their destination in the query.
REDIRECT_QUERY = vocab.Caseless(r"[?&][^=&]*=(https?(:|%3a)|www\.)")
# Platforms whose pages are profiles, posts and videos rather than news stories.
SOCIAL_HOST = vocab.Caseless(
    r"(^|\.)(facebook|twitter|x|instagram|tiktok|youtube|youtu|linkedin|pinterest|reddit|t|telegram|"
    r"whatsapp|threads|bsky|snapchat|flipboard|vk|weibo)\.(com|me|be|net|app)$")
NON_PAGE_EXT = vocab.Caseless(r"\.(jpe?g|png|gif|webp|svg|pdf|mp3|mp4|zip|xml|rss|css|js|ico)$")
DATE_IN_PATH = re.compile(r"/(19|20)\d\d[/-](0?[1-9]|1[0-2])([/-]|$)|(19|20)\d\d[01]\d[0-3]\d")
NUMERIC_ID = re.compile(r"\d{5,}")


def extract_related_links(page: Page, *, canonical: str) -> list[dict]:
    """Other stories offered with the article, absolute and canonical, first seen first."""
    tree = page.tree
    base = _base_url(tree, page.url)
    own = {u for u in (canonical_url(canonical), canonical_url(page.url)) if u}
    excluded, related, _ = page.furniture
    body = _body_container(page, excluded)
    candidates = []
    if body is not None:
        candidates.extend(body.iter("a"))
    for block in _outermost(related + _headed_blocks(tree)):
        candidates.extend(block.iter("a"))
    links: list[dict] = []
    index: dict[str, int] = {}
    for a in candidates:
        href = a.get("href")
        if not href or a in excluded or "sponsored" in (a.get("rel") or ""):
            continue
        target = canonical_url(href, base)
        if not target or target in own or not _looks_like_story(target, href):
            continue
        text = _link_text(a)
        if target in index:
            if text and not links[index[target]]["text"]:
                links[index[target]]["text"] = text
            continue
        index[target] = len(links)
        links.append({"url": target, "text": text})
    return links


def story_links(page: Page) -> list[dict]:
    """The stories a home or section page links to, in page order, each once (its first
    place), with its text: what the page put on its front. Menus, headers and footers
    are left out; only links to the page's own site whose URL has a story's shape count."""
    base = _base_url(page.tree, page.url)
    own = canonical_url(page.url)
    excluded = page.furniture.excluded
    links: list[dict] = []
    index: dict[str, int] = {}
    headlined: set[str] = set()
    for a in page.tree.iter("a"):
        href = a.get("href")
        if not href or a in excluded:
            continue
        target = canonical_url(href, base)
        if not target or target == own or not same_site(target, page.url) or not _looks_like_story(target, href):
            continue
        written = _fold(a.text_content())  # a headline, not an image's alt text
        if target in index:
            if written and target not in headlined:
                links[index[target]]["text"] = written  # an image link first, its headline after
                headlined.add(target)
            continue
        index[target] = len(links)
        links.append({"url": target, "text": written or _link_text(a)})
        if written:
            headlined.add(target)
    return links


def _base_url(tree, url: str) -> str:
    base = next((href for el in tree.iter("base") if (href := el.get("href")) is not None), None)
    if base is not None:
        return canonical_url(base, url) or url
    return url


# Short elements that may title a block of links: at most two children, no
# deeper than two levels, 4 to 60 characters of text.
_HEADING_TAGS = ("h2", "h3", "h4", "h5", "h6", "strong", "b", "span", "p", "div")
_XML_SPACE = re.compile(r"[ \t\n\r]+")  # the whitespace XPath's normalize-space() folds


def _heading_like(tree):
    for el in tree.iter(*_HEADING_TAGS):
        if not len(el):
            text = el.text or ""  # what text_content() reads, without its XPath call
        elif len(el) >= 3 or any(len(grandchild) for child in el for grandchild in child):
            continue
        else:
            text = el.text_content()
        text = text.strip(" \t\n\r")
        if len(text) <= 3:  # (folding makes no text longer)
            continue
        if "  " in text or "\n" in text or "\t" in text or "\r" in text:
            text = _XML_SPACE.sub(" ", text)
        if 3 < len(text) <= 60:
            yield el, text


def _body_container(page: Page, excluded: set):
    # The element holding the most paragraph text is the article body on nearly
    # every news layout; its in-body links point at stories the text cites.
    weights: dict = {}
    for p, text in page.paragraphs:
        if p in excluded:
            continue
        n = len(text)
        if n < 40:
            continue
        parent = p.getparent()
        if parent is not None:
            weights[parent] = weights.get(parent, 0) + n
    if not weights:
        return None
    return max(weights, key=weights.get)


def _headed_blocks(tree) -> list:
    """Blocks introduced by a heading such as "Read more" or "Mehr zum Thema"."""
    blocks = []
    for el, text in _heading_like(tree):
        if not RELATED_HEADING.match(_fold(text)):
            continue
        # the heading's links are in itself ("Read more: <a>") or in what follows it
        if el.find(".//a") is not None:
            blocks.append(el)
        sib = el.getnext()
        parent = el.getparent()
        if sib is not None:
            blocks.append(sib)
        elif parent is not None and parent.tag != "body":
            blocks.append(parent)
    return blocks


def _outermost(blocks: list) -> list:
    # a block nested in another is already covered by it
    chosen = set(blocks)
    return [b for b in blocks if b.find(".//a") is not None and not any(anc in chosen for anc in b.iterancestors())]


def _looks_like_story(target: str, href: str) -> bool:
    low = href.strip().lower()
    if low.startswith(("mailto:", "javascript:", "tel:", "#", "sms:", "data:")):
        return False
    if SHARE_URL.search(target) or REDIRECT_QUERY.search(target):
        return False
    parts = urlsplit(target)
    if SOCIAL_HOST.search(parts.hostname or ""):
        return False
    path = unquote(parts.path)
    if NON_PAGE_EXT.search(path) or NON_STORY_PATH.search(path):
        return False
    segments = [s for s in path.split("/") if s]
    if not segments:
        return False
    last = re.sub(r"\.(s?html?|php|aspx?|cms)$", "", segments[-1], flags=re.I)
    if SERVICE_SLUG.search(last):
        return False
    words = [w for w in re.split(r"[-_+.]", last) if w and not w.isdigit()]
    if len(words) >= 3:
        return True
    if DATE_IN_PATH.search(path) and len(segments) >= 2:
        return True
    if NUMERIC_ID.search(path) or NUMERIC_ID.search(parts.query):
        return len(segments) >= 2 or bool(words)
    return False


def _link_text(a) -> str:
    text = _fold(a.text_content())
    if not text:
        text = _fold(a.get("title") or a.get("aria-label") or "")
    if not text:
        img = a.find(".//img[@alt]")
        text = _fold(img.get("alt")) if img is not None else ""
    return text


def _fold(text: str) -> str:
    return fold_spaces(text or "")
