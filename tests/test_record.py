"""The record's one field spec agrees with the archive's schema and every list derived from it."""

from __future__ import annotations

from archiver import browse, record
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
    assert record.JSON_COLUMNS == ("authors", "tags", "related_links", "provenance")
    assert "content_hash" in record.VERSIONED_FIELDS and "body" not in record.DIFFED_FIELDS
