"""The `archiver` command: thin click commands over crawl, extract, store and export."""

from __future__ import annotations

import functools
import gzip
import json
import sys
from pathlib import Path

import click

from archiver import __version__

DEFAULT_DB = "archive.db"


def db_option(func):
    """--db PATH, shared by every command that opens the archive."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False),
        envvar="ARCHIVER_DB",
        default=DEFAULT_DB,
        show_default=True,
        show_envvar=True,
        help="SQLite archive file.",
    )(func)


def json_option(func):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def archive_errors(func):
    """Turn the store's expected errors into `Error: ...` messages (exit 1)."""
    from archiver.store.queries import QueryError
    from archiver.store.schema import ArchiveError

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (ArchiveError, QueryError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def open_db(db_path: str, *, readonly: bool = True):
    from archiver.store.schema import connect

    return connect(db_path, readonly=readonly)


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


# --- crawl -----------------------------------------------------------------


@cli.command()
@click.argument("urls", nargs=-1)
@click.option("-i", "--input", "input_file", type=click.File("r", encoding="utf-8"),
              help="Read article URLs from a file, one per line ('-' for stdin).")
@db_option
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, as `scrapy crawl -s` does (repeatable).")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log (INFO level).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress and no summary details.")
@archive_errors
def crawl(urls, input_file, db_path, settings, verbose, quiet):
    """Fetch article pages and archive them.

    Prints a summary on stderr: archived, updated (new version), unchanged,
    skipped (not an article) and failed, each failure with its reason.
    Exit status: 0 when nothing failed, 1 when any URL failed, 2 on usage errors.

    \b
    Example:
        archiver crawl https://example.com/news/story-1 https://example.com/news/story-2
        archiver crawl -i urls.txt --db news.db -s DOWNLOAD_DELAY=2
    """
    from archiver.crawl import build_settings, parse_setting, run_spider
    from archiver.spiders.article import ArticleSpider, read_url_list

    listed = list(urls)
    if input_file is not None:
        listed += read_url_list(input_file.read())
    if not listed:
        raise click.UsageError("give at least one URL (or --input FILE)")
    try:
        overrides = dict(parse_setting(s) for s in settings)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="-s/--set") from exc
    # Fail on an unusable archive before any page is fetched.
    open_db(db_path, readonly=False).conn.close()
    log_level = "INFO" if verbose else "ERROR" if quiet else "WARNING"
    progress = not quiet and not verbose and sys.stderr.isatty()
    run_id = run_spider(
        ArticleSpider, build_settings(db_path, overrides, log_level=log_level, progress=progress), urls=listed
    )
    sys.exit(report_run(db_path, run_id, quiet=quiet))


def report_run(db_path: str, run_id: int | None, *, quiet: bool = False) -> int:
    """Print a run's summary on stderr; the exit status it deserves."""
    from archiver.store.queries import get_run, run_pages

    if run_id is None:
        click.echo("Error: the crawl did not start (see the log above)", err=True)
        return 1
    db = open_db(db_path)
    run = get_run(db, run_id)
    counts = ", ".join(f"{run[k]} {k}" for k in ("archived", "updated", "unchanged", "skipped", "failed"))
    click.echo(f"run {run_id} {run['status']}: {counts} -> {db_path}", err=True)
    if not quiet:
        for outcome in ("skipped", "failed"):
            for page in run_pages(db, run_id, outcome):
                click.echo(f"  {outcome}: {page['url']}: {page['reason']}", err=True)
    if run["failed"]:
        return 1
    return 0 if run["status"] == "finished" else 1


# --- extract ---------------------------------------------------------------


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


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--url", help="The URL the page was fetched from (for a single file).")
@click.option("--batch", type=click.File("r", encoding="utf-8"),
              help="A list of pages, one `path<TAB>url` per line ('-' for stdin); .html.gz files are read too.")
@click.option("--content-type", help="The HTTP Content-Type the page came with (charset hint).")
@archive_errors
def extract(files, url, batch, content_type):
    """Extract articles from saved HTML files, without network.

    Prints one JSON record per page (JSON Lines) in the export shape, plus
    `provenance` (where each field came from), `is_article` and `source`.

    \b
    Example:
        archiver extract page.html --url https://example.com/news/story
        archiver extract --batch pages.tsv > records.jsonl
    """
    from archiver.extract import extract_article
    from archiver.record import RECORD_FIELDS

    pairs = [(f, url) for f in files]
    if batch is not None:
        pairs += read_batch(batch)
    if not pairs:
        raise click.UsageError("give at least one FILE (or --batch LIST.tsv)")
    if url and len(pairs) > 1:
        raise click.UsageError("--url names the URL of one page; use --batch for several")
    failed = 0
    for path, page_url in pairs:
        try:
            body = read_page(path)
        except OSError as exc:
            click.echo(f"Error: cannot read {path}: {exc.strerror or exc}", err=True)
            failed += 1
            continue
        fields = extract_article(body, page_url or "", content_type=content_type)
        record = {name: fields.get(name) for name in RECORD_FIELDS}
        record.update(
            provenance=fields.get("provenance") or {},
            is_article=fields.get("is_article"),
            not_article_reason=fields.get("not_article_reason"),
            source=path,
        )
        click.echo(json.dumps(record, ensure_ascii=False))
    sys.exit(1 if failed else 0)


# --- export ----------------------------------------------------------------


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


# --- search / show / runs -------------------------------------------------


@cli.command()
@click.argument("query")
@db_option
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@archive_errors
def search(query, db_path, limit, as_json):
    """Full-text search over titles and bodies, best matches first.

    QUERY uses SQLite FTS5 syntax: words, "exact phrases", OR, NOT, prefix*.

    \b
    Example:
        archiver search "north korea" --limit 5
        archiver search 'diploma* NOT trade' --json
    """
    from archiver.store.queries import search as run_search

    rows = run_search(open_db(db_path), query, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no matches", err=True)
        return
    for row in rows:
        click.echo(f"[{row['id']}] {row['title'] or '(no title)'}")
        click.echo(f"    {row['published_at'] or 'undated'} · {row['site']} · {row['url']}")
        click.echo(f"    {(row['snippet'] or '').strip()}")


@cli.command()
@click.argument("ref", metavar="ID|URL")
@db_option
@json_option
@archive_errors
def show(ref, db_path, as_json):
    """Print one stored article, by id or URL.

    \b
    Example:
        archiver show 12
        archiver show https://example.com/news/story --json
    """
    from archiver.store.queries import get_article

    article = get_article(open_db(db_path), ref)
    if article is None:
        raise click.ClickException(f"no article {ref!r} in {db_path}")
    if as_json:
        click.echo(json.dumps(article, ensure_ascii=False, indent=2))
        return
    click.echo(article["title"] or "(no title)")
    for label, key in (("By", "byline"), ("Published", "published_at"), ("Modified", "modified_at"),
                       ("Site", "site_name"), ("URL", "url")):
        if article.get(key):
            click.echo(f"{label}: {article[key]}")
    if article.get("authors"):
        click.echo(f"Authors: {'; '.join(article['authors'])}")
    click.echo(f"Words: {article['word_count']}  Version: {article.get('version')}  "
               f"First seen: {article['first_seen_at']}  Last seen: {article['last_seen_at']}")
    click.echo("")
    click.echo(article["body"] or "")
    links = article.get("related_links") or []
    if links:
        click.echo("\nRelated:")
        for link in links:
            click.echo(f"  {link.get('text') or ''} <{link.get('url')}>")


@cli.command()
@db_option
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 100_000))
@json_option
@archive_errors
def runs(db_path, limit, as_json):
    """List recent crawl runs with their counts.

    \b
    Example:
        archiver runs --limit 5
    """
    from archiver.store.queries import list_runs

    rows = list_runs(open_db(db_path), limit=limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(
            f"{r['id']:>5}  {r['started_at']}  {r['status']:<11} {r['mode']:<8} "
            f"archived {r['archived']}, updated {r['updated']}, unchanged {r['unchanged']}, "
            f"skipped {r['skipped']}, failed {r['failed']}"
        )


def main():
    cli(prog_name="archiver")


if __name__ == "__main__":  # pragma: no cover
    main()
