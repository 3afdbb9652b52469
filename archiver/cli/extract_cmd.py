"""`archiver extract`: the extraction core over saved pages, no network."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import click

from archiver.cli.options import archive_errors, json_option, sources_sites

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
@click.option("--explain", is_flag=True,
              help="Show, per field, every candidate value with its source and why the chosen one won.")
@json_option
@archive_errors
def extract(files, url, batch, content_type, sources_file, explain, as_json):
    """Extract articles from saved HTML files, without network.

    Prints one JSON record per page (JSON Lines) in the export shape, plus
    `provenance` (where each field came from), `is_article`, `next_page` (the
    story's next page, when it has several) and `source`. With --explain it
    prints, for each field, the values every source offered and what became of
    each (chosen, or why not) as text, or with --json as one JSON object per
    page: {source, record, explanation}.

    \b
    Example:
        archiver extract page.html --url https://example.com/news/story
        archiver extract --batch pages.tsv > records.jsonl
        archiver extract page.html --url https://example.com/news/story --sources sources.toml
        archiver extract page.html --url https://example.com/news/story --explain
    """
    from archiver.extract import explain_article, extract_article
    from archiver.record import BY_NAME, RECORD_FIELDS

    pairs = [(f, url) for f in files]
    if batch is not None:
        pairs += read_batch(batch)
    if not pairs:
        raise click.UsageError("give at least one FILE (or --batch LIST.tsv)")
    if url and len(pairs) > 1:
        raise click.UsageError("--url names the URL of one page; use --batch for several")
    if as_json and not explain:
        raise click.UsageError("--json goes with --explain (records are JSON already)")
    sites = sources_sites(sources_file)
    failed = 0
    for path, page_url in pairs:
        try:
            body = read_page(path)
        except OSError as exc:
            click.echo(f"Error: cannot read {path}: {exc.strerror or exc}", err=True)
            failed += 1
            continue
        site = sites.for_url(page_url)
        if explain:
            fields, explanation = explain_article(body, page_url or "", content_type=content_type, site=site)
        else:
            fields = extract_article(body, page_url or "", content_type=content_type, site=site)
        # The export shape, then what extraction says beyond it (provenance, is_article, ...).
        record = {name: fields.get(name) for name in RECORD_FIELDS}
        record.update((name, value) for name, value in fields.items() if not BY_NAME[name].exported)
        if not explain:
            record["source"] = path
            click.echo(json.dumps(record, ensure_ascii=False))
        elif as_json:
            click.echo(json.dumps({"source": path, "record": record, "explanation": explanation},
                                  ensure_ascii=False))
        else:
            click.echo("\n".join(explanation_lines(path, page_url, record, explanation)))
    sys.exit(1 if failed else 0)


def explanation_lines(path: str, url: str | None, record: dict, explanation: dict) -> list[str]:
    """An explanation for people: each field's value and source, then its candidates
    ("*" marks the chosen one), and whether the page is an article."""
    lines = [f"== {path}" + (f" ({url})" if url else "")]
    for field, entry in explanation.items():
        lines.append(f"{field}: {_shown(entry['value'])}" + (f"  [{entry['source']}]" if entry["source"] else ""))
        for candidate in entry["candidates"]:
            mark = "*" if candidate["chosen"] else "-"
            said = _shown(candidate["raw"], 70) + " -> " if candidate["raw"] is not None else ""
            lines.append(f"  {mark} {candidate['source']:<9} {said}{_shown(candidate['value'], 70)}: "
                         f"{candidate['verdict']}")
    verdict = "an article" if record.get("is_article") else f"not an article ({record.get('not_article_reason')})"
    lines.append(f"page: {verdict}")
    return lines


def _shown(value, width: int = 100) -> str:
    if value in (None, "", []):
        return "(none)"
    if not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    text = " ".join(value.split())
    return json.dumps(text if len(text) <= width else text[: width - 1] + "…", ensure_ascii=False)
