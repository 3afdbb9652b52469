"""`archiver export --format wacz`: a WACZ 1.1.1 package that `wacz validate` accepts and
that a replay tool can read the way ReplayWeb.page does (index lookup, then a range read)."""

from __future__ import annotations

import bisect
import hashlib
import io
import json
import re
import sqlite3
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from archiver.wacz import surt
from tests.support.archives import crawled_archive, record, write_archive


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    from tests.conftest import archiver_cmd

    folder = tmp_path_factory.mktemp("wacz")
    with crawled_archive(folder) as (db, site):
        result = subprocess.run([*archiver_cmd(), "export", "--db", str(db), "--format", "wacz", "-o", "news.wacz"],
                                cwd=folder, capture_output=True, text=True)
        assert result.returncode == 0 and "exported 5 responses to news.wacz" in result.stderr, result.stderr
        yield folder / "news.wacz", db, {site.url + path: page.body for path, page in site.pages.items()}


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def test_wacz_validate_accepts_it(package):
    tool = Path(sys.executable).with_name("wacz")
    if not tool.exists():
        pytest.skip("the wacz package (py-wacz, Python 3.11+) is not installed")
    result = subprocess.run([str(tool), "validate", "-f", str(package[0])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded" in result.stdout


def test_the_package_follows_the_wacz_1_1_1_layout(package):
    path = package[0]
    with zipfile.ZipFile(path) as zf:
        infos = {info.filename: info for info in zf.infolist()}
    assert set(infos) == {"archive/data.warc.gz", "indexes/index.cdx", "pages/pages.jsonl", "datapackage.json",
                          "datapackage-digest.json"}
    # WARC data is stored, not compressed again, so records can be read by offset.
    assert infos["archive/data.warc.gz"].compress_type == zipfile.ZIP_STORED
    files = members(path)
    package_json = json.loads(files["datapackage.json"])
    assert package_json["profile"] == "data-package" and package_json["wacz_version"] == "1.1.1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", package_json["created"])
    assert package_json["software"].startswith("archiver ")
    listed = {r["path"]: r for r in package_json["resources"]}
    assert set(listed) == set(files) - {"datapackage.json", "datapackage-digest.json"}
    for name, resource in listed.items():
        assert resource["name"] == name.rsplit("/", 1)[1]
        assert resource["bytes"] == len(files[name])
        assert resource["hash"] == "sha256:" + hashlib.sha256(files[name]).hexdigest()
    digest = json.loads(files["datapackage-digest.json"])
    assert digest == {"path": "datapackage.json",
                      "hash": "sha256:" + hashlib.sha256(files["datapackage.json"]).hexdigest()}


def test_pages_hold_each_articles_title_and_text(package):
    path, db_path, _ = package
    lines = [json.loads(line) for line in members(path)["pages/pages.jsonl"].decode("utf-8").splitlines()]
    assert lines[0] == {"format": "json-pages-1.0", "id": "pages", "title": "Articles", "hasText": True}
    db = sqlite3.connect(db_path)
    articles = {str(i): (t, b) for i, t, b in db.execute("SELECT id, title, body FROM articles")}
    assert {p["id"]: (p["title"], p["text"]) for p in lines[1:]} == articles
    index_urls = {json.loads(line.split(" ", 2)[2])["url"]
                  for line in members(path)["indexes/index.cdx"].decode().splitlines()}
    for page in lines[1:]:
        assert page["url"] in index_urls
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", page["ts"])


def test_the_index_is_what_cdxj_indexer_writes(package, tmp_path):
    indexer = pytest.importorskip("cdxj_indexer.main")
    files = members(package[0])
    (tmp_path / "data.warc.gz").write_bytes(files["archive/data.warc.gz"])
    out = io.StringIO()
    indexer.CDXJIndexer(out, [str(tmp_path / "data.warc.gz")]).process_all()
    assert files["indexes/index.cdx"].decode("utf-8") == "".join(sorted(out.getvalue().splitlines(True)))


def _read_stored(path: Path, member: str, offset: int, length: int) -> bytes:
    """Bytes of a STORED zip member by range, as a client reading the WACZ over HTTP does."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        header = fh.read(30)
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        fh.seek(info.header_offset + 30 + name_length + extra_length + offset)
        return fh.read(length)


def test_a_replay_tool_finds_every_page(package):
    """WACZ's processing model: look the page's URL up in the sorted CDXJ by its SURT, then
    read that WARC record out of the ZIP by offset and length."""
    from warcio.archiveiterator import ArchiveIterator

    try:
        from surt import surt as key_of  # the canonicalizer pywb and cdxj-indexer use
    except ImportError:
        key_of = surt
    path, _, served = package
    files = members(path)
    index = files["indexes/index.cdx"].decode().splitlines()
    pages = [json.loads(line) for line in files["pages/pages.jsonl"].decode().splitlines()[1:]]
    assert len(pages) == 5
    for page in pages:
        key = key_of(page["url"])
        at = bisect.bisect_left(index, key + " ")
        assert index[at].startswith(key + " "), (key, index)
        entry = json.loads(index[at].split(" ", 2)[2])
        data = _read_stored(path, "archive/data.warc.gz", int(entry["offset"]), int(entry["length"]))
        record = next(iter(ArchiveIterator(io.BytesIO(data))))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == page["url"]
        assert record.content_stream().read() == served[page["url"]]


def test_every_version_is_in_the_warc_and_the_page_is_the_newest(tmp_path, run_cli):
    write_archive(tmp_path / "v.db", [record(1), record(2, site="other.example")])
    write_archive(tmp_path / "v.db", [record(1, title="Story 1, corrected")], fetched_at="2024-03-11T09:30:00+00:00")
    result = run_cli("export", "--db", "v.db", "--format", "wacz", "-o", "v.wacz", "--site", "site1.example")
    assert result.returncode == 0 and "exported 2 responses" in result.stderr, result.stderr
    files = members(tmp_path / "v.wacz")
    stamps = sorted(line.split(" ")[1] for line in files["indexes/index.cdx"].decode().splitlines())
    assert stamps == ["20240310120000", "20240311093000"]
    pages = [json.loads(line) for line in files["pages/pages.jsonl"].decode().splitlines()[1:]]
    assert [(p["url"], p["ts"], p["title"]) for p in pages] == [
        ("https://site1.example/news/1.html", "2024-03-11T09:30:00Z", "Story 1, corrected")]


def test_wacz_is_a_file(tmp_path, run_cli):
    write_archive(tmp_path / "a.db", [record(1)])
    result = run_cli("export", "--db", "a.db", "--format", "wacz", "-o", "-")
    assert result.returncode == 2 and "wacz is a ZIP file" in result.stderr
    (tmp_path / "taken.wacz").write_text("")
    result = run_cli("export", "--db", "a.db", "--format", "wacz", "-o", "taken.wacz")
    assert result.returncode == 1 and "exists" in result.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []



@pytest.mark.parametrize("fmt", ["wacz", "warc", "jsonl"])
def test_a_target_that_cannot_be_written_is_an_error_not_a_traceback(tmp_path, run_cli, fmt):
    write_archive(tmp_path / "a.db", [record(1)])
    (tmp_path / "a-file").write_text("")
    result = run_cli("export", "--db", "a.db", "--format", fmt, "-o", "a-file/out")
    assert result.returncode == 1, result.stderr
    assert "Error: cannot write a-file/out" in result.stderr and "Traceback" not in result.stderr

SURTS = [
    ("http://www.Example.com:8080/a/B?z=1&a=2#frag", "com,example:8080)/a/b?a=2&z=1"),
    ("http://127.0.0.1:5000/x", "1,0,0,127:5000)/x"),
    ("https://example.com", "com,example)/"),
    ("https://example.com:443/news/", "com,example)/news"),
    ("https://www2.example.co.uk/a//b/./c/../d?b=2&a=1", "uk,co,example)/a/b/d?a=1&b=2"),
    ("https://example.com/caf%C3%A9/%7Euser/a%2Fb", "com,example)/caf%c3%a9/~user/a/b"),
    ("https://example.com/a b?q=%20x+y", "com,example)/a%20b?q=%20x+y"),
    ("https://münchen.de/straße", "de,xn--mnchen-3ya)/stra%c3%9fe"),
    ("https://example.com/?", "com,example)/"),
]


@pytest.mark.parametrize(("url", "key"), SURTS)
def test_surt(url, key):
    assert surt(url) == key


@pytest.mark.parametrize(("url", "key"), SURTS)
def test_surt_agrees_with_the_library_replay_tools_use(url, key):
    library = pytest.importorskip("surt")
    assert library.surt(url) == surt(url)
