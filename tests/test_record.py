"""The record's one field spec agrees with the archive's schema and every list derived from it."""

from __future__ import annotations

from archiver import __version__, browse, record
from archiver.extract import FIELDS, extract_article
from archiver.store.queries import get_article
from archiver.store.schema import connect
from tests.support.archives import record as stored_record
from tests.support.archives import write_archive
from tests.support.pages import article_html


def test_spec_and_schema_agree(tmp_path):
    db = connect(tmp_path / "a.db")
    assert db["articles"].columns_dict == {f.name: f.sql_type for f in record.SPEC if f.stored}
    versions = db["article_versions"].columns_dict
    assert {name: versions[name] for name in record.VERSIONED_FIELDS} == {
        name: record.BY_NAME[name].sql_type for name in record.VERSIONED_FIELDS}


def test_every_field_has_a_known_kind_and_origin():
    assert {f.kind for f in record.SPEC} <= set(record.KINDS)
    assert {f.origin for f in record.SPEC} == {"extract", "archive"}
    assert all(f.stored for f in record.SPEC if f.exported or f.versioned or f.checked)
    assert len(record.BY_NAME) == len(record.SPEC)


def test_extraction_returns_the_extracted_fields_in_spec_order():
    assert FIELDS == tuple(f.name for f in record.SPEC if f.origin == "extract")
    assert tuple(extract_article(article_html(1), "https://x.example/news/1.html")) == FIELDS


def test_a_stored_article_reads_back_in_the_export_shape(tmp_path):
    write_archive(tmp_path / "a.db", [stored_record(1)])
    article = get_article(connect(tmp_path / "a.db", readonly=True), "1")
    assert tuple(article)[: len(record.RECORD_FIELDS)] == record.RECORD_FIELDS
    assert isinstance(article["authors"], list) and isinstance(article["provenance"], dict)


def test_the_web_ui_describes_every_stored_column_but_the_id():
    described = set(browse.TABLES["articles"]["columns"])
    assert described == {f.name for f in record.SPEC if f.stored} - {"id"}


def test_derived_lists():
    assert record.RECORD_FIELDS[0] == "id" and "provenance" not in record.RECORD_FIELDS
    assert record.SELECTOR_FIELDS == ("title", "byline", "published_at", "modified_at", "body")
    assert record.JSON_COLUMNS == ("authors", "agencies", "tags", "related_links", "provenance")
    assert "content_hash" in record.VERSIONED_FIELDS and "body" not in record.DIFFED_FIELDS


def test_an_archive_from_before_agencies_is_upgraded_and_keeps_its_rows(tmp_path):
    import sqlite_utils

    from archiver.store.schema import migrations

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="m006_agencies")
    old["articles"].insert({"id": 1, "url": "https://x.example/a", "authors": '["The Associated Press"]'})
    old.close()
    db = connect(path)
    assert "agencies" in db["articles"].columns_dict and "agencies" in db["article_versions"].columns_dict
    # Rows archived before keep what extraction then stored; agencies stay unknown (NULL).
    article = get_article(db, "1")
    assert article["authors"] == ["The Associated Press"] and article["agencies"] is None


def test_agencies_are_stored_versioned_and_shown(tmp_path, run_cli):
    write_archive(tmp_path / "a.db", [stored_record(1, authors=[], agencies=["Reuters"], byline="Reuters")])
    db = connect(tmp_path / "a.db", readonly=True)
    assert get_article(db, "1")["agencies"] == ["Reuters"]
    shown = run_cli("show", "1", "--db", "a.db")
    assert shown.returncode == 0, shown.stderr
    assert "Agencies: Reuters" in shown.stdout and "Authors:" not in shown.stdout
    exported = run_cli("export", "--db", "a.db", "--format", "csv", "-o", "-")
    header, row = exported.stdout.splitlines()[:2]
    assert "agencies" in header.split(",") and "Reuters" in row


def test_differences_fold_title_and_body_as_the_content_hash_does():
    old = {"title": "Budget  vote", "body": "The council voted.", "authors": [], "tags": ["city"]}
    assert record.differences(old, {**old, "title": "budget vote", "body": " The council voted. "}) == ()
    assert record.differences(old, {**old, "authors": None}) == ()  # nothing found, either way
    changed = record.differences(old, {**old, "body": "The council did not vote.", "tags": ["city", "vote"]})
    assert changed == ("tags", "body")
    assert record.makes_version(changed) and not record.makes_version(("tags",))


def test_extraction_names_its_extractor():
    from archiver.extract import RULES_VERSION
    from archiver.extract.sites import Site

    plain = extract_article(article_html(1), "https://x.example/news/1.html")["extractor"]
    assert plain == f"archiver {__version__} rules {RULES_VERSION}"
    ruled = extract_article(article_html(1), "https://x.example/news/1.html",
                            site=Site.of_selectors("x", {"title": "h1"}))["extractor"]
    assert ruled.startswith(plain + " site x:")
