"""Extraction: a page's bytes to an article record (article.py: `extract_article`,
`explain_article`, `extract_page`), and the parsers of what else a crawl reads (feeds,
sitemaps, encodings, site rules).

`from archiver.extract import extract_article` loads the extraction code (trafilatura,
htmldate, the language model) when it is first asked for, not with the package: a
crawl process whose pages are extracted by its workers imports the package's small
modules (decode, pagination, sites, feeds) and never the rest.
"""

from __future__ import annotations

__all__ = ["FIELDS", "RULES_VERSION", "explain_article", "extract_article", "extract_page", "extractor_name"]


def __getattr__(name: str):
    if name in __all__:
        from archiver.extract import article

        return getattr(article, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
