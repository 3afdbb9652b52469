"""`archiver history` and `archiver diff`: the versions of an article."""

from __future__ import annotations

import json

import click

from archiver.cli.options import ID, archive_errors, article_or_fail, db_option, json_option


def _versions(db_path: str, ref: str):
    from archiver.store.queries import article_versions

    db, article = article_or_fail(db_path, ref)
    return article, article_versions(db, article["id"])


@click.command()
@click.argument("ref", metavar="ID|URL")
@db_option
@json_option
@archive_errors
def history(ref, db_path, as_json):
    """List the stored versions of an article.

    \b
    Example:
        archiver history 12
        archiver history https://example.com/news/story --json
    """
    article, versions = _versions(db_path, ref)
    if as_json:
        click.echo(json.dumps(versions, ensure_ascii=False, indent=2))
        return
    click.echo(f"{article['title']} <{article['url']}>")
    for v in versions:
        words = len((v["body"] or "").split())
        click.echo(f"  version {v['version']}  fetched {v['fetched_at']}  {words} words  "
                   f"hash {v['content_hash'][:12]}  title: {v['title']}")


@click.command()
@click.argument("ref", metavar="ID|URL")
@click.option("--from", "from_version", type=ID, help="Older version (default: the one before --to).")
@click.option("--to", "to_version", type=ID, help="Newer version (default: the latest).")
@db_option
@archive_errors
def diff(ref, from_version, to_version, db_path):
    """Show what changed between two versions of an article, as a word diff.

    Removed words are shown as [-words-], added ones as {+words+}.

    \b
    Example:
        archiver diff 12
        archiver diff https://example.com/news/story --from 1 --to 3
    """
    from archiver.diff import changed_fields, word_diff

    article, versions = _versions(db_path, ref)
    by_number = {v["version"]: v for v in versions}
    if len(versions) < 2 and from_version is None:
        raise click.ClickException(f"article {article['id']} has only one version")
    to_version = to_version or versions[-1]["version"]
    from_version = from_version or max((n for n in by_number if n < to_version), default=None)
    for number in (from_version, to_version):
        if number not in by_number:
            raise click.ClickException(
                f"article {article['id']} has no version {number} (versions: {', '.join(map(str, by_number))})"
            )
    old, new = by_number[from_version], by_number[to_version]
    click.echo(f"--- version {from_version} ({old['fetched_at']})")
    click.echo(f"+++ version {to_version} ({new['fetched_at']})")
    for name in changed_fields(old, new):
        click.echo(f"{name}: {old[name]!r} -> {new[name]!r}")
    if old["body"] == new["body"]:
        click.echo("body: unchanged")
    else:
        click.echo(word_diff(old["body"], new["body"]))
