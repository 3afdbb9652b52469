"""`archiver extract`: the extraction core over saved pages, no network."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import click

from archiver.cli.options import archive_errors

def read_page(path: str) -> bytes:
    if path.endswith(".gz"):
        with gzip.open(path, "rb") as fh:
            return fh.read()
    return Path(path).read_bytes()


def read_batch(fh) -> list[tuple[str, str | None]]:
    """Lines `path<TAB>url` (url optional); blank lines and # comments ignored."""
    pairs = []
    for line in fh:
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        path, _, url = line.partition("\t")
        pairs.append((path.strip(), url.strip() or None))
    return pairs


@click.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--url", help="The URL the page was fetched from (for a single file).")
@click.option("--batch", type=click.File("r", encoding="utf-8"),
              help="A list of pages, one `path<TAB>url` per line ('-' for stdin); .html.gz files are read too.")
@click.option("--content-type", help="The HTTP Content-Type the page came with (charset hint).")
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False),
              help="A sources file: a page is read with the selectors of the source whose seeds are on its host.")
@archive_errors
def extract(files, url, batch, content_type, sources_file):
    """Extract articles from saved HTML files, without network.

    Prints one JSON record per page (JSON Lines) in the export shape, plus
    `provenance` (where each field came from), `is_article`, `next_page` (the
    story's next page, when it has several) and `source`.

    \b
    Example:
        archiver extract page.html --url https://example.com/news/story
        archiver extract --batch pages.tsv > records.jsonl
        archiver extract page.html --url https://example.com/news/story --sources sources.toml
    """
    from archiver.extract import extract_article
    from archiver.extract.sites import Sites
    from archiver.record import BY_NAME, RECORD_FIELDS
    from archiver.sources import SourcesError, load_sources

    pairs = [(f, url) for f in files]
    if batch is not None:
        pairs += read_batch(batch)
    if not pairs:
        raise click.UsageError("give at least one FILE (or --batch LIST.tsv)")
    if url and len(pairs) > 1:
        raise click.UsageError("--url names the URL of one page; use --batch for several")
    try:
        sources = load_sources(sources_file) if sources_file else []
        sites = Sites.of_selectors((s.name, s.selectors, s.seed_urls) for s in sources)
    except SourcesError as exc:
        raise click.ClickException(str(exc)) from exc
    failed = 0
    for path, page_url in pairs:
        try:
            body = read_page(path)
        except OSError as exc:
            click.echo(f"Error: cannot read {path}: {exc.strerror or exc}", err=True)
            failed += 1
            continue
        fields = extract_article(body, page_url or "", content_type=content_type, site=sites.for_url(page_url))
        # The export shape, then what extraction says beyond it (provenance, is_article, ...).
        record = {name: fields.get(name) for name in RECORD_FIELDS}
        record.update((name, value) for name, value in fields.items() if not BY_NAME[name].exported)
        record["source"] = path
        click.echo(json.dumps(record, ensure_ascii=False))
    sys.exit(1 if failed else 0)
