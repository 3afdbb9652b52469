"""A fixture news site for crawl modes: home, sections with pagination, feeds,
sitemaps (index, news, gzip), robots.txt, a redirect, a 404, a PDF, an About page,
and links with tracking parameters."""

from __future__ import annotations

import gzip

from tests.support.pages import ABOUT_HTML, article_html, html_page
from tests.support.server import Page

STORIES = {i: f"/news/story-{i}.html" for i in range(1, 6)}


def listing(title: str, links: list[str], extra_head: str = "") -> str:
    items = "".join(f'<li><a href="{href}">Headline for {href}</a></li>' for href in links)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{title} | Fixture Gazette</title>
<meta property="og:type" content="website">{extra_head}</head><body>
<nav><a href="/">Home</a> <a href="/news/">News</a> <a href="/about.html">About us</a></nav>
<h1>{title}</h1><ul>{items}</ul></body></html>"""


def xml(text: str, kind: str = "application/xml") -> Page:
    return Page(text.encode("utf-8"), headers={"Content-Type": kind})


def newsroom(base_url_holder: list[str] | None = None) -> dict[str, Page]:
    pages: dict[str, Page] = {}
    for i, path in STORIES.items():
        pages[path] = html_page(article_html(i, related=[STORIES[(i % 5) + 1]]), ETag=f'"v1-{i}"')
    feeds_head = ('<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.rss">')
    pages["/"] = html_page(listing("Home", [
        "/news/", STORIES[1] + "?utm_source=home&utm_medium=web", STORIES[1] + "#comments", "/about.html",
        "/report.pdf", "/old/story-1", "/missing.html", "/private/secret.html",
    ], feeds_head))
    pages["/news/"] = html_page(listing("News", [STORIES[1], STORIES[2], STORIES[3] + "?fbclid=abc", "/news/?page=2"]))
    pages["/news/?page=2"] = html_page(listing("News, page 2", [STORIES[4], STORIES[5], "/news/"]))
    pages["/about.html"] = html_page(ABOUT_HTML)
    pages["/report.pdf"] = Page(b"%PDF-1.4\n%fixture\n", headers={"Content-Type": "application/pdf"})
    pages["/old/story-1"] = Page(b"", status=301, headers={"Location": STORIES[1]})
    pages["/private/secret.html"] = html_page(article_html(99, title="Secret story"))
    pages["/robots.txt"] = Page(b"User-agent: *\nDisallow: /private/\nSitemap: /sitemap_index.xml\n",
                                headers={"Content-Type": "text/plain"})
    pages["/feed.rss"] = xml("""<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Fixture Gazette</title>
<item><title>Story number 1 about the city budget</title><link>/news/story-1.html?utm_source=rss</link>
<pubDate>Wed, 06 Mar 2024 08:15:00 -0500</pubDate><dc:creator>Jane Doe</dc:creator></item>
<item><title>Story number 2 about the city budget</title><link>/news/story-2.html</link>
<pubDate>Wed, 06 Mar 2024 09:15:00 -0500</pubDate></item>
</channel></rss>""", "application/rss+xml")
    pages["/atom.xml"] = xml("""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Fixture Gazette</title>
<entry><title>Story number 3 about the city budget</title><link rel="alternate" href="/news/story-3.html"/>
<published>2024-03-06T08:15:00-05:00</published><author><name>Jane Doe</name></author></entry>
</feed>""", "application/atom+xml")
    pages["/rss1.rdf"] = xml("""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="/"><title>Fixture Gazette</title></channel>
<item rdf:about="/news/story-4.html"><title>Story number 4 about the city budget</title>
<link>/news/story-4.html</link><dc:date>2024-03-06T08:15:00-05:00</dc:date></item>
</rdf:RDF>""", "application/rdf+xml")
    pages["/sitemap_index.xml"] = xml("""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>/sitemap-news.xml</loc></sitemap>
<sitemap><loc>/sitemap-pages.xml.gz</loc></sitemap>
</sitemapindex>""")
    pages["/sitemap-news.xml"] = xml("""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>/news/story-4.html</loc><news:news><news:publication><news:name>Fixture Gazette</news:name>
<news:language>en</news:language></news:publication><news:publication_date>2024-03-06T08:15:00-05:00</news:publication_date>
<news:title>Story number 4 about the city budget</news:title></news:news></url>
<url><loc>/news/story-5.html</loc><news:news><news:publication_date>2024-03-06</news:publication_date>
<news:title>Story number 5 about the city budget</news:title></news:news></url>
</urlset>""")
    pages["/sitemap-pages.xml.gz"] = Page(gzip.compress(b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>/news/story-1.html</loc><lastmod>2024-03-07</lastmod></url>
<url><loc>/about.html</loc></url>
</urlset>"""), headers={"Content-Type": "application/x-gzip"})
    return pages
