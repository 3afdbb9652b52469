"""Datasette plugin hooks for `archiver browse`: the UI's CSS and cell rendering.

Imported only when the UI runs; archiver.browse registers it.
"""

from __future__ import annotations

import json
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response

STYLE_PATH = "/-/archiver.css"

# Column descriptions in three compact columns, so search results stay on the first screen;
# titles and bodies wide enough to read.
STYLE = """
dl.column-descriptions { column-count: 3; column-gap: 2em; font-size: 0.8rem; margin: 0.5em 0 1em; }
dl.column-descriptions dt { break-after: avoid; margin-top: 0.3em; }
dl.column-descriptions dd { margin: 0 0 0 1em; break-inside: avoid; color: #555; }
.rows-and-columns td.col-title { min-width: 16em; }
.rows-and-columns td.col-body { min-width: 28em; }
"""


def _web_url(url: Any) -> bool:
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def related_links_html(value: Any):
    """A JSON list of {url, text} as a list of links (http/https only, text escaped);
    None for anything else, which Datasette then shows as escaped text."""
    from markupsafe import Markup, escape

    try:
        links = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if not isinstance(links, list):
        return None
    items = [
        f'<li><a href="{escape(link["url"])}" rel="nofollow noreferrer">{escape(link.get("text") or link["url"])}</a></li>'
        for link in links
        if isinstance(link, dict) and _web_url(link.get("url"))
    ]
    return Markup(f"<ul>{''.join(items)}</ul>") if items else None


@hookimpl
def render_cell(value, column, table):
    if table == "articles" and column == "related_links":
        return related_links_html(value)
    return None


@hookimpl
def extra_css_urls():
    return [STYLE_PATH]


async def _style(request):
    return Response(STYLE, content_type="text/css; charset=utf-8")


@hookimpl
def register_routes():
    return [(r"^/-/archiver\.css$", _style)]
