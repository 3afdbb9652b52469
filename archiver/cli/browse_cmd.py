"""`archiver browse`: the archive in a web browser (Datasette, read-only)."""

from __future__ import annotations

import click

from archiver.cli.options import archive_errors, db_option, open_db


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 would expose the archive to the network).")
@click.option("-p", "--port", default=8001, show_default=True, type=click.IntRange(1, 65535))
@click.option("--open", "open_browser", is_flag=True, help="Open the UI in the default web browser.")
@archive_errors
def browse(db_path, host, port, open_browser):
    """Read, search and compare articles in a web browser (Datasette), read-only.

    The home page shows the archive at a glance (sites, dates, last runs and their
    failures, charts); search ranks by relevance with highlighted snippets and the
    filters of `archiver search`; each article has a reading page, its versions and
    a word diff between any two. Datasette's tables, facets, SQL and canned queries
    are there too. Only requests addressed to the host and port it listens on are
    answered. Stops with Ctrl+C.

    \b
    Example:
        archiver browse
        archiver browse --db news.db --port 8002 --open
    """
    from archiver.browse import serve

    open_db(db_path).conn.close()  # a clear error for a missing or foreign file
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    click.echo(f"Browsing {db_path} (read-only) at {url} - Ctrl+C to stop", err=True)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, [url]).start()
    serve(db_path, host=host, port=port)
