"""`archiver export`: the archive as files for other tools."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archiver.cli import cli
from archiver.cli.options import archive_errors, db_option, open_db

@cli.command()
@db_option
@click.option("-f", "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Output file ('-' for stdout). Default: exports/articles-<UTC timestamp>.<ext>")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option("-q", "--quiet", is_flag=True, help="No message on stderr.")
@archive_errors
def export(db_path, fmt, output, force, quiet):
    """Write every stored article to JSON Lines or CSV, streaming.

    CSV flattens lists with "; " (related links as their URLs) and neutralizes
    cells that a spreadsheet would run as formulas.

    \b
    Example:
        archiver export
        archiver export --format csv -o articles.csv
        archiver export -o - | jq .title
    """
    from archiver.export import default_export_path, export_articles

    db = open_db(db_path)
    path = output or str(default_export_path(fmt))
    if path != "-" and Path(path).exists() and not force:
        raise click.ClickException(f"{path} exists; use --force to overwrite it")
    if path == "-":
        count = export_articles(db, fmt, sys.stdout)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            count = export_articles(db, fmt, fh)
    if not quiet:
        click.echo(f"exported {count} articles to {path}", err=True)
