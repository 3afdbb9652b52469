"""Datasette plugin hooks for `archiver browse` (imported only when the UI runs)."""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils.asgi import Response

from archiver.browse import STYLE, related_links_html

STYLE_PATH = "/-/archiver.css"


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
