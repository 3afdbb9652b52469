"""The `archiver` command: thin click commands over crawl, extract, store and export."""

from __future__ import annotations

import click

from archiver import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archiver")
def cli():
    """archiver: archive news articles into a SQLite file, then search and export them.

    \b
    Example:
        archiver crawl https://example.com/news/some-story.html
        archiver search "climate summit"
        archiver export --format csv
    """


# Commands register themselves on the group when their module is imported.
from archiver.cli import browse_cmd, crawl_cmd, distributed_cmd, export_cmd, extract_cmd, history_cmd, read_cmd  # noqa: E402,F401


def main():
    cli(prog_name="archiver")
