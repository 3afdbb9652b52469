"""`archiver export --format parquet`: typed columns that pyarrow, DuckDB and polars
read as they are; written a row group at a time; a clear error without the extra."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from archiver.record import RECORD_FIELDS
from tests.support.archives import crawled_archive, record, write_archive

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

UTC = timezone.utc


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    with crawled_archive(tmp_path_factory.mktemp("crawled")) as (db, site):
        yield db, site.url


def ok(result):
    assert result.returncode == 0, result.stderr
    return result


def test_types_survive_the_round_trip(crawled, run_cli, tmp_path):
    db, base = crawled
    result = ok(run_cli("export", "--db", str(db), "--format", "parquet", "-o", "a.parquet"))
    assert "exported 5 articles to a.parquet" in result.stderr
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.schema.names == list(RECORD_FIELDS)
    types = dict(zip(table.schema.names, table.schema.types))
    for name in ("published_at", "modified_at", "first_seen_at", "last_seen_at"):
        assert types[name] == pa.timestamp("us", tz="UTC"), name
    assert types["id"] == types["word_count"] == types["cluster_id"] == pa.int64()
    assert types["authors"] == types["tags"] == pa.list_(pa.string())
    assert types["related_links"] == pa.list_(pa.struct([("url", pa.string()), ("text", pa.string())]))
    rows = {row["url"]: row for row in table.to_pylist()}
    zeppelin = rows[f"{base}/news/zeppelin.html"]
    # 10:00 at +02:00, as an instant.
    assert zeppelin["published_at"] == datetime(2024, 4, 2, 8, 0, tzinfo=UTC)
    assert zeppelin["authors"] == ["Ann O'Brien"]
    assert zeppelin["cluster_id"] == zeppelin["id"]
    assert all(isinstance(row["first_seen_at"], datetime) for row in rows.values())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no part left


def test_odd_values_and_row_groups(tmp_path):
    from archiver.export import write_parquet

    records = [
        {**record(1, published_at="2024-03-06", tags=[],
                  related_links=[{"url": "https://a.example/x", "text": "Next"}]), "id": 1},
        {**record(2, published_at="not a date", modified_at="2024-03-07T09:30:00Z", tags=None), "id": 2},
        {**record(3, published_at="2024-03-08T08:00:00"), "id": 3},  # no offset: taken as UTC
    ] + [{**record(i), "id": i} for i in range(4, 11)]
    target = tmp_path / "odd.parquet"
    with open(target, "wb") as fh:
        assert write_parquet(iter(records), fh, rows=4) == 10
    assert pq.ParquetFile(target).metadata.num_row_groups == 3  # written 4 records at a time
    rows = pq.read_table(target).to_pylist()
    assert rows[0]["published_at"] == datetime(2024, 3, 6, tzinfo=UTC)  # a bare day: its midnight in UTC
    assert rows[0]["tags"] == [] and rows[0]["related_links"] == [{"url": "https://a.example/x", "text": "Next"}]
    assert rows[1]["published_at"] is None and rows[1]["modified_at"] == datetime(2024, 3, 7, 9, 30, tzinfo=UTC)
    assert rows[1]["tags"] is None
    assert rows[2]["published_at"] == datetime(2024, 3, 8, 8, tzinfo=UTC)


def test_an_empty_export_is_a_valid_file(tmp_path, run_cli):
    write_archive(tmp_path / "e.db", [record(1)])
    ok(run_cli("export", "--db", "e.db", "--format", "parquet", "-o", "e.parquet", "--site", "nowhere.example"))
    table = pq.read_table(tmp_path / "e.parquet")
    assert table.num_rows == 0 and table.schema.names == list(RECORD_FIELDS)


def test_duckdb_and_polars_read_it_as_it_is(crawled, run_cli, tmp_path):
    db, _ = crawled
    ok(run_cli("export", "--db", str(db), "--format", "parquet", "-o", "n.parquet", "-q"))
    path = str(tmp_path / "n.parquet")
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    kinds = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '{path}')").fetchall())
    assert kinds["published_at"] == "TIMESTAMP WITH TIME ZONE" and kinds["authors"] == "VARCHAR[]"
    assert con.execute(f"SELECT count(*) FROM '{path}' WHERE len(authors) = 1 "
                       "AND published_at < TIMESTAMPTZ '2024-04-02 09:00:00+00'").fetchone()[0] >= 1
    pl = pytest.importorskip("polars")
    frame = pl.read_parquet(path)
    assert frame.schema["published_at"] == pl.Datetime("us", "UTC")
    assert frame.schema["authors"] == pl.List(pl.String)
    assert frame.height == 5


def test_pandas_reads_it_as_it_is(crawled, run_cli, tmp_path):
    pd = pytest.importorskip("pandas")
    db, base = crawled
    ok(run_cli("export", "--db", str(db), "--format", "parquet", "-o", "p.parquet", "-q"))
    frame = pd.read_parquet(tmp_path / "p.parquet")
    assert str(frame["published_at"].dtype) == "datetime64[us, UTC]"
    assert frame["word_count"].dtype.kind == "i"
    zeppelin = frame[frame["url"] == f"{base}/news/zeppelin.html"].iloc[0]
    assert list(zeppelin["authors"]) == ["Ann O'Brien"]
    assert zeppelin["published_at"] == pd.Timestamp("2024-04-02T10:00:00+02:00")


def test_without_pyarrow_the_error_names_the_extra(tmp_path):
    write_archive(tmp_path / "n.db", [record(1)])
    # The same command line, in a Python where pyarrow cannot be imported.
    code = "import sys; sys.modules['pyarrow'] = None; from archiver.cli import main; sys.exit(main())"
    env = {k: v for k, v in os.environ.items() if k != "ARCHIVER_DB"}
    result = subprocess.run([sys.executable, "-c", code, "export", "--db", "n.db", "--format", "parquet",
                             "-o", "n.parquet"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "Error: the parquet format needs pyarrow" in result.stderr
    assert "pip install 'news-archiver[parquet]'" in result.stderr and "Traceback" not in result.stderr
    assert not Path(tmp_path / "n.parquet").exists()


def test_parquet_needs_a_file(tmp_path, run_cli):
    write_archive(tmp_path / "s.db", [record(1)])
    result = run_cli("export", "--db", "s.db", "--format", "parquet", "-o", "-")
    assert result.returncode == 2 and "give -o FILE" in result.stderr
