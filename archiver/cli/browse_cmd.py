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
    """Browse, search and facet the archive in a web browser (Datasette), read-only.

    Full-text search and facets (site, author, section, day) on articles, and
    canned queries: latest articles, articles by author, changed articles, crawl
    failures. Stops with Ctrl+C.

    \b
    Example:
        archiver browse
        archiver browse --db news.db --port 8002 --open
    """
    from archiver.browse import database_name, serve

    open_db(db_path).conn.close()  # a clear error for a missing or foreign file
    url = f"http://{host}:{port}/{database_name(db_path)}/articles"
    click.echo(f"Browsing {db_path} (read-only) at {url} - Ctrl+C to stop", err=True)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, [url]).start()
    serve(db_path, host=host, port=port)
