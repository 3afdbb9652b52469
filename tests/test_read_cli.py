"""search, list, show, stats and sql through the installed CLI, over real archives."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import click
import pytest

from archiver.cli import cli
from tests.support.archives import crawled_archive, record, write_archive

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """A crawl of the reading site: 5 articles, one 404. Shared: these tests only read."""
    with crawled_archive(tmp_path_factory.mktemp("crawled")) as (db, site):
        yield db, site.url


def rows_of(result) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_search_ranks_and_highlights(crawled, run_cli):
    db, base = crawled
    rows = rows_of(run_cli("search", "zeppelin", "--db", str(db), "--json"))
    assert [r["url"] for r in rows] == [f"{base}/news/zeppelin.html"]
    assert "[zeppelin]" in rows[0]["snippet"].lower()
    text = run_cli("search", "zeppelin", "--db", str(db))
    assert "Zeppelin hangar reopens as a museum" in text.stdout and f"{base}/news/zeppelin.html" in text.stdout


@pytest.mark.parametrize(("args", "expected"), [
    (["--author", "o'brien"], {"zeppelin"}),
    (["--author", "li wei", "--author", "O'Brien"], {"zeppelin", "harbour"}),
    (["--since", "2024-04-01"], {"zeppelin"}),
    (["--until", "2024-02-20"], {"harbour"}),
    (["--since", "2024-03-01", "--until", "2024-03-31"], {"story-1", "story-2", "story-3"}),
    (["--site", "127.0.0.1"], {"story-1", "story-2", "story-3", "zeppelin", "harbour"}),
    (["--site", "elsewhere.example"], set()),
])
def test_search_filters(crawled, run_cli, args, expected):
    db, _ = crawled
    # Every stored body has the word "the".
    rows = rows_of(run_cli("search", "the", "--db", str(db), "--json", *args))
    assert {r["url"].rsplit("/", 1)[1].removesuffix(".html") for r in rows} == expected


def test_search_limit_and_machine_formats(crawled, run_cli):
    db, _ = crawled
    assert len(rows_of(run_cli("search", "the", "--db", str(db), "--json", "--limit", "2"))) == 2
    nl = run_cli("search", "budget", "--db", str(db), "--nl")
    assert all(json.loads(line)["id"] for line in nl.stdout.splitlines())
    as_csv = run_cli("search", "budget", "--db", str(db), "--csv")
    assert list(csv.DictReader(io.StringIO(as_csv.stdout)))[0]["title"].startswith("Story number")
    both = run_cli("search", "budget", "--db", str(db), "--csv", "--json")
    assert both.returncode == 2 and "one of --json" in both.stderr


@pytest.mark.parametrize("option", ["--site", "--author", "--tag"])
def test_filter_values_with_quotes_are_parameters(crawled, run_cli, option):
    db, _ = crawled
    value = """x' OR '1'='1" OR "1"="1; DROP TABLE articles; -- %_"""
    assert rows_of(run_cli("search", "the", "--db", str(db), "--json", option, value)) == []
    assert rows_of(run_cli("list", "--db", str(db), "--json", option, value)) == []
    assert len(rows_of(run_cli("list", "--db", str(db), "--json"))) == 5


@pytest.mark.parametrize("query", ["*", "AND", "NEAR(", '"'])
def test_fts_syntax_errors_are_clear(crawled, run_cli, query):
    db, _ = crawled
    result = run_cli("search", query, "--db", str(db))
    assert "Traceback" not in result.stderr
    if result.returncode:
        assert result.returncode == 1
        assert result.stderr.startswith("Error: cannot search for") and "FTS5 syntax" in result.stderr


def test_unbalanced_quote_falls_back_to_words(crawled, run_cli):
    db, base = crawled
    rows = rows_of(run_cli("search", '"zeppelin hangar', "--db", str(db), "--json"))
    assert rows[0]["url"] == f"{base}/news/zeppelin.html"


def test_bad_dates_are_usage_errors(crawled, run_cli):
    db, _ = crawled
    result = run_cli("list", "--db", str(db), "--since", "last tuesday")
    assert result.returncode == 2 and "is not a date" in result.stderr


def test_list_newest_first_with_filters(crawled, run_cli):
    db, base = crawled
    rows = rows_of(run_cli("list", "--db", str(db), "--json"))
    assert [r["published_at"][:10] for r in rows] == ["2024-04-02", "2024-03-06", "2024-03-06", "2024-03-06",
                                                      "2024-02-20"]
    assert rows[0]["url"] == f"{base}/news/zeppelin.html"
    assert len(rows_of(run_cli("list", "--db", str(db), "--json", "-n", "1"))) == 1
    text = run_cli("list", "--db", str(db), "--author", "Li")
    assert text.returncode == 0
    assert "Harbour dredging delayed by storms" in text.stdout and "Zeppelin" not in text.stdout
    as_csv = run_cli("list", "--db", str(db), "--csv", "--until", "2024-03-06")
    assert len(list(csv.DictReader(io.StringIO(as_csv.stdout)))) == 4


def test_show_versions(tmp_path, run_cli):
    db = tmp_path / "v.db"
    write_archive(db, [record(1, title="First headline", body="The first text of the story.")],
                  fetched_at="2024-03-01T10:00:00+00:00")
    write_archive(db, [record(1, title="Corrected headline", body="The corrected text of the story.")],
                  fetched_at="2024-03-02T10:00:00+00:00")
    latest = json.loads(run_cli("show", "1", "--db", "v.db", "--json").stdout)
    assert latest["title"] == "Corrected headline" and latest["version"] == 2 and latest["versions"] == [1, 2]
    first = json.loads(run_cli("show", "1", "--db", "v.db", "--json", "--version", "1").stdout)
    assert first["title"] == "First headline" and first["body"] == "The first text of the story."
    assert first["fetched_at"] == "2024-03-01T10:00:00+00:00"
    text = run_cli("show", "https://site1.example/news/1.html", "--db", "v.db", "--version", "1")
    assert "First headline" in text.stdout and "Version: 1 of 2" in text.stdout
    missing = run_cli("show", "1", "--db", "v.db", "--version", "7")
    assert missing.returncode == 1
    assert "Error: article 1 has no version 7 (stored versions: 1, 2)" in missing.stderr


def test_stats_report_missing_fields_per_site(tmp_path, run_cli):
    db = tmp_path / "s.db"
    records = [record(i, site="full.example") for i in range(4)]
    records += [record(10 + i, site="thin.example", published_at=None, authors=[], byline=None, tags=[],
                       provenance={"title": "dom", "body": "heuristic"}) for i in range(3)]
    records.append(record(20, site="thin.example"))
    write_archive(db, records)
    report = json.loads(run_cli("stats", "--db", "s.db", "--json").stdout)
    assert report["articles"] == 8
    assert {s["site"]: s["articles"] for s in report["sites"]} == {"full.example": 4, "thin.example": 4}
    missing = {row["site"]: row for row in report["missing"]}
    assert missing["thin.example"]["published_at"] == 3 and missing["thin.example"]["authors"] == 3
    assert missing["thin.example"]["tags"] == 3 and missing["thin.example"]["byline"] == 3
    assert missing["full.example"]["published_at"] == 0 and missing["full.example"]["title"] == 0
    sources = {(r["site"], r["field"], r["source"]): r["articles"] for r in report["sources"]}
    assert sources[("thin.example", "body", "heuristic")] == 3
    assert sources[("full.example", "title", "json-ld")] == 4
    assert {a["author"]: a["articles"] for a in report["authors"]} == {"Jane Doe": 5}

    text = run_cli("stats", "--db", "s.db")
    assert text.returncode == 0, text.stderr
    assert "thin.example (4 articles): byline 3 (75%), authors 3 (75%), published_at 3 (75%)" in text.stdout
    assert "full.example (4 articles)" in text.stdout


def test_stats_on_a_crawled_archive(crawled, run_cli):
    db, _ = crawled
    text = run_cli("stats", "--db", str(db))
    assert text.returncode == 0, text.stderr
    assert "5 articles" in text.stdout and "Ann O'Brien" in text.stdout and "2024-04-02" in text.stdout


def test_sql_reads_but_never_writes(crawled, run_cli):
    db, _ = crawled
    rows = rows_of(run_cli("sql", "SELECT COUNT(*) AS n FROM articles", "--db", str(db), "--json"))
    assert rows == [{"n": 5}]
    by_param = run_cli("sql", "SELECT name FROM article_authors WHERE name = :who", "-p", "who", "Ann O'Brien",
                       "--db", str(db), "--csv")
    assert by_param.stdout.splitlines() == ["name", "Ann O'Brien"]
    table = run_cli("sql", "SELECT id, title FROM articles ORDER BY id LIMIT 1", "--db", str(db))
    assert table.stdout.splitlines()[0].split() == ["id", "title"]
    for statement in ("DELETE FROM articles", "UPDATE articles SET title = 'x'", "DROP TABLE runs",
                      "CREATE TABLE t (x)", "ATTACH DATABASE 'other.db' AS other"):
        result = run_cli("sql", statement, "--db", str(db))
        assert result.returncode == 1, statement
        assert "read-only" in result.stderr and "Traceback" not in result.stderr
    assert rows_of(run_cli("sql", "SELECT COUNT(*) AS n FROM articles", "--db", str(db), "--json")) == [{"n": 5}]
    bad = run_cli("sql", "SELEC nothing", "--db", str(db))
    assert bad.returncode == 1 and bad.stderr.startswith("Error: cannot run the query")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, command in sorted(group.commands.items()):
        out.append((prefix + name, command))
        if isinstance(command, click.Group):
            out += _commands(command, prefix + name + " ")
    return out


@pytest.mark.parametrize(("name", "command"), _commands(cli), ids=[n for n, _ in _commands(cli)])
def test_every_command_has_an_example_and_a_readme_mention(name, command, run_cli):
    result = run_cli(*name.split(), "--help")
    assert result.returncode == 0
    assert "Example:" in result.stdout, f"`archiver {name} --help` has no Example"
    assert re.search(rf"archiver {re.escape(name)}\b", README.read_text()), f"README never shows `archiver {name}`"
