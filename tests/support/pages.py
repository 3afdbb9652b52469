"""Article and non-article pages written for the tests (no copies of real sites)."""

from __future__ import annotations

import json
from html import escape

from tests.support.server import Page

WORDS = (
    "council members debated the proposal for several hours before voting on the budget "
    "the mayor said the city would publish the final figures next week while residents "
    "asked for more time to review the plan and officials promised further hearings"
).split()


def paragraphs(seed: int, count: int = 6) -> list[str]:
    out = []
    for p in range(count):
        start = (seed * 7 + p * 11) % len(WORDS)
        words = [WORDS[(start + i) % len(WORDS)] for i in range(28 + (seed + p) % 9)]
        out.append(f"Paragraph {p + 1} of story {seed}: " + " ".join(words).capitalize() + ".")
    return out


def article_html(n: int, *, title: str | None = None, author: str = "Jane Doe",
                 published: str = "2024-03-06T08:15:00-05:00", related: list[str] | None = None,
                 body: list[str] | None = None, site_name: str = "Fixture Gazette") -> str:
    title = title or f"Story number {n} about the city budget"
    body = body or paragraphs(n)
    related = related or []
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title,
        "datePublished": published,
        "author": {"@type": "Person", "name": author},
        "publisher": {"@type": "Organization", "name": site_name},
    }
    related_html = "".join(f'<li><a href="{escape(u)}">Related story {escape(u)}</a></li>' for u in related)
    paras = "".join(f"<p>{escape(p)}</p>" for p in body)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{escape(title)} | {escape(site_name)}</title>
<meta property="og:type" content="article">
<meta property="og:title" content="{escape(title)}">
<meta property="og:site_name" content="{escape(site_name)}">
<script type="application/ld+json">{json.dumps(ld)}</script>
</head><body>
<header><nav><a href="/">Home</a> <a href="/news/">News</a> <a href="/about.html">About us</a></nav></header>
<main><article>
<h1>{escape(title)}</h1>
<p class="byline">By {escape(author)}</p>
<time datetime="{published}">March 6, 2024</time>
<div class="article-body">{paras}</div>
<aside class="related"><h2>Related Articles</h2><ul>{related_html}</ul></aside>
</article></main>
<footer><p>Copyright Fixture Gazette. All rights reserved.</p></footer>
</body></html>"""


ABOUT_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>About us | Fixture Gazette</title>
<meta property="og:type" content="website"></head><body><h1>About us</h1>
<p>Fixture Gazette is a small newspaper.</p><p>Contact: desk@example.org</p></body></html>"""


def html_page(text: str, status: int = 200, **headers: str) -> Page:
    return Page(text.encode("utf-8"), status=status,
                headers={"Content-Type": "text/html; charset=utf-8", **headers})


def news_site(n_articles: int = 3) -> dict[str, Page]:
    """A small news site: articles, an about page, a PDF, a redirect, robots.txt."""
    pages: dict[str, Page] = {
        f"/news/story-{i}.html": html_page(
            article_html(i, related=[f"/news/story-{(i % n_articles) + 1}.html"])
        )
        for i in range(1, n_articles + 1)
    }
    pages["/about.html"] = html_page(ABOUT_HTML)
    pages["/report.pdf"] = Page(b"%PDF-1.4\n%fixture\n", headers={"Content-Type": "application/pdf"})
    pages["/old/story-1"] = Page(b"", status=301, headers={"Location": "/news/story-1.html"})
    pages["/robots.txt"] = Page(b"User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"})
    pages["/private/secret.html"] = html_page(article_html(99, title="Secret story"))
    return pages
