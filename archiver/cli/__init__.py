"""The `archiver` command: thin click commands over crawl, extract, store and export.

Each command module defines plain click commands; the group is put together here.
"""

from __future__ import annotations

import click

from archiver import __version__
from archiver.cli.browse_cmd import browse
from archiver.cli.crawl_cmd import crawl, runs
from archiver.cli.distributed_cmd import enqueue, ingest, status, worker
from archiver.cli.export_cmd import export
from archiver.cli.extract_cmd import extract
from archiver.cli.history_cmd import diff, history
from archiver.cli.import_cmd import import_, import_wayback
from archiver.cli.reextract_cmd import reextract
from archiver.cli.read_cmd import cluster, list_, search, show, sql, stats

COMMANDS = [crawl, runs, history, diff, extract, search, list_, show, cluster, stats, sql, browse, export,
            import_, import_wayback, reextract, enqueue, worker, ingest, status]


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


for _command in COMMANDS:
    cli.add_command(_command)


def main():
    cli(prog_name="archiver")
