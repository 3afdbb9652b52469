"""`archiver export` in every format, with filters, --since-last, and never clobbering files."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import subprocess
import sqlite3
import sys
import time
import zlib
from pathlib import Path

import pytest
import yaml

from archiver.store import raw
from tests.conftest import archiver_cmd
from tests.support.archives import crawled_archive, record, write_archive


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    with crawled_archive(tmp_path_factory.mktemp("crawled")) as (db, site):
        yield db, site.url, {site.url + path: page.body for path, page in site.pages.items()}


def ok(result):
    assert result.returncode == 0, result.stderr
    return result


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_default_names_under_exports_and_every_text_format(crawled, run_cli, tmp_path):
    db, base, _ = crawled
    for fmt, suffix in (("jsonl", ".jsonl"), ("json", ".json"), ("csv", ".csv"), ("warc", ".warc.gz")):
        result = ok(run_cli("export", "--db", str(db), "--format", fmt))
        assert "exported 5" in result.stderr
        made = list((tmp_path / "exports").glob(f"articles-*{suffix}"))
        assert len(made) == 1, made
    records = jsonl(next((tmp_path / "exports").glob("*.jsonl")))
    assert len(records) == 5
    as_json = json.loads(next((tmp_path / "exports").glob("*.json")).read_text())
    assert as_json == records
    zeppelin = next(r for r in records if r["url"].endswith("zeppelin.html"))
    assert zeppelin["authors"] == ["Ann O'Brien"] and zeppelin["published_at"] == "2024-04-02T10:00:00+02:00"
    # No partial files left beside the exports.
    assert not [p for p in (tmp_path / "exports").iterdir() if p.name.startswith(".")]


def test_stdout_and_filters(crawled, run_cli):
    db, base, _ = crawled
    out = ok(run_cli("export", "--db", str(db), "-o", "-", "--author", "wei", "-q"))
    assert [r["url"] for r in map(json.loads, out.stdout.splitlines())] == [f"{base}/news/harbour.html"]
    assert out.stderr == ""
    out = ok(run_cli("export", "--db", str(db), "-o", "-", "--format", "json", "--since", "2024-03-01",
                     "--until", "2024-03-31"))
    assert len(json.loads(out.stdout)) == 3
    empty = ok(run_cli("export", "--db", str(db), "-o", "-", "--format", "json", "--site", "x' OR 1=1 --"))
    assert json.loads(empty.stdout) == []


def test_never_overwrites_without_force(crawled, run_cli, tmp_path):
    db, _, _ = crawled
    (tmp_path / "keep.jsonl").write_text("precious\n")
    refused = run_cli("export", "--db", str(db), "-o", "keep.jsonl")
    assert refused.returncode == 1 and "Error: keep.jsonl exists; use --force" in refused.stderr
    assert (tmp_path / "keep.jsonl").read_text() == "precious\n"
    ok(run_cli("export", "--db", str(db), "-o", "keep.jsonl", "--force"))
    assert len(jsonl(tmp_path / "keep.jsonl")) == 5
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.md").write_text("mine")
    refused = run_cli("export", "--db", str(db), "--format", "markdown", "-o", "notes")
    assert refused.returncode == 1 and "not empty; use --force" in refused.stderr
    folder = run_cli("export", "--db", str(db), "-o", "notes")
    assert folder.returncode == 1 and "is a folder" in folder.stderr


def test_csv_neutralizes_formulas(tmp_path, run_cli):
    hostile = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+2", "-3+4", "@SUM(A1:A9)", "\t=1+1"]
    write_archive(tmp_path / "h.db", [
        record(i, title=title, authors=[title], byline=title) for i, title in enumerate(hostile)
    ] + [record(9, title="A plain headline")])
    ok(run_cli("export", "--db", "h.db", "--format", "csv", "-o", "h.csv"))
    with open(tmp_path / "h.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    titles = [row["title"] for row in rows]
    assert titles[:5] == ["'" + t for t in hostile]
    assert titles[5] == "A plain headline"
    assert [row["authors"] for row in rows[:5]] == ["'" + t for t in hostile]
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t")), value


def test_pandas_reads_jsonl_and_csv(crawled, run_cli, tmp_path):
    pd = pytest.importorskip("pandas")
    db, _, _ = crawled
    ok(run_cli("export", "--db", str(db), "-o", "a.jsonl"))
    ok(run_cli("export", "--db", str(db), "--format", "csv", "-o", "a.csv"))
    frame = pd.read_json(tmp_path / "a.jsonl", lines=True)
    table = pd.read_csv(tmp_path / "a.csv")
    assert len(frame) == len(table) == 5
    assert list(table.columns) == list(frame.columns)
    assert sorted(table["title"]) == sorted(frame["title"])
    assert table["word_count"].dtype.kind == "i" and (table["word_count"] > 100).all()


def test_markdown_folder_with_front_matter(tmp_path, run_cli):
    write_archive(tmp_path / "m.db", [
        record(1, title="../../etc/passwd <script>alert(1)</script>", body="Text with <b>markup</b> & more.",
               related_links=[{"url": "https://a.example/x", "text": "[Next] story"},
                              {"url": "javascript:alert(1)", "text": "bad"}]),
        record(2, title="Ünïcode — “quotes”: yes", tags=["a: b", "c"]),
        record(3, title=""),
    ])
    ok(run_cli("export", "--db", "m.db", "--format", "markdown", "-o", "notes"))
    names = sorted(p.name for p in (tmp_path / "notes").iterdir())
    assert names == ["000001-etc-passwd-script-alert-1-script.md", "000002-unicode-quotes-yes.md",
                     "000003-article.md"]
    assert not (tmp_path / "etc").exists()
    text = (tmp_path / "notes" / names[0]).read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    assert meta["title"] == "../../etc/passwd <script>alert(1)</script>"
    assert meta["authors"] == ["Jane Doe"] and meta["id"] == 1
    assert "<b>" not in body and "&lt;b&gt;markup&lt;/b&gt; &amp; more." in body
    assert "- [\\[Next\\] story](<https://a.example/x>)" in body and "javascript:" not in body
    second = yaml.safe_load((tmp_path / "notes" / names[1]).read_text(encoding="utf-8").split("---\n")[1])
    assert second["title"] == "Ünïcode — “quotes”: yes" and second["tags"] == ["a: b", "c"]
    # Re-exporting into the folder needs --force, then rewrites the same files.
    assert run_cli("export", "--db", "m.db", "--format", "markdown", "-o", "notes").returncode == 1
    ok(run_cli("export", "--db", "m.db", "--format", "markdown", "-o", "notes", "--force"))
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == names


def test_warc_replays_the_stored_responses(crawled, run_cli, tmp_path):
    warcio = pytest.importorskip("warcio.archiveiterator")
    db, base, pages = crawled
    ok(run_cli("export", "--db", str(db), "--format", "warc", "-o", "news.warc.gz"))
    tool = Path(sys.executable).with_name("warcio")
    index = subprocess.run([str(tool), "index", "news.warc.gz"], cwd=tmp_path, capture_output=True, text=True)
    assert index.returncode == 0, index.stderr
    entries = [json.loads(line) for line in index.stdout.splitlines()]
    assert [e["warc-type"] for e in entries] == ["warcinfo"] + ["response"] * 5
    assert {e["warc-target-uri"] for e in entries[1:]} == {
        base + p for p in ("/news/story-1.html", "/news/story-2.html", "/news/story-3.html",
                           "/news/zeppelin.html", "/news/harbour.html")}
    check = subprocess.run([str(tool), "check", "-v", "news.warc.gz"], cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with open(tmp_path / "news.warc.gz", "rb") as fh:
        for rec in warcio.ArchiveIterator(fh):
            if rec.rec_type == "response":
                assert rec.http_headers.get_statuscode() == "200"
                assert rec.http_headers.get_header("Content-Type") == "text/html; charset=utf-8"
                assert rec.content_stream().read() == pages[rec.rec_headers.get_header("WARC-Target-URI")]


def test_warc_drops_encodings_the_stored_body_no_longer_has(tmp_path, run_cli):
    warcio = pytest.importorskip("warcio.archiveiterator")
    write_archive(tmp_path / "w.db", [record(1), record(2, site="other.example")])
    out = ok(subprocess.run([*archiver_cmd(), "export", "--db", "w.db", "--format", "warc", "-o", "-",
                             "--site", "other.example"], cwd=tmp_path, capture_output=True))
    seen = []
    for rec in warcio.ArchiveIterator(io.BytesIO(out.stdout)):
        seen.append(rec.rec_type)
        if rec.rec_type == "response":
            assert rec.rec_headers.get_header("WARC-Target-URI") == "https://other.example/news/2.html"
            assert rec.http_headers.get_header("Content-Encoding") is None
            # Kept, under the prefix that says it no longer applies to the stored (decoded) body.
            assert rec.http_headers.get_header("X-Crawler-Content-Encoding") == "gzip"
            body = rec.content_stream().read()
            assert body.startswith(b"<html>") and int(rec.http_headers.get_header("Content-Length")) == len(body)
    assert seen == ["warcinfo", "response"]


def test_responses_stored_before_zstd_still_export(tmp_path):
    # Archives written by earlier versions hold zlib rows beside the new zstd ones.
    warcio = pytest.importorskip("warcio.archiveiterator")
    write_archive(tmp_path / "w.db", [record(1), record(2)])
    db = sqlite3.connect(tmp_path / "w.db")
    (old_id, old_body), (new_id, new_body) = db.execute("SELECT id, body FROM responses ORDER BY id").fetchall()
    html = raw.unpack(old_body, raw.FORMAT)
    with db:
        db.execute("UPDATE responses SET body = ?, compression = 'zlib' WHERE id = ?", [zlib.compress(html), old_id])
    assert [c for (c,) in db.execute("SELECT compression FROM responses ORDER BY id")] == ["zlib", "zstd"]
    out = ok(subprocess.run([*archiver_cmd(), "export", "--db", "w.db", "--format", "warc", "-o", "-"],
                            cwd=tmp_path, capture_output=True))
    bodies = [rec.content_stream().read() for rec in warcio.ArchiveIterator(io.BytesIO(out.stdout))
              if rec.rec_type == "response"]
    assert bodies == [html, raw.unpack(new_body, raw.FORMAT)]


def test_since_last_exports_only_new_and_changed(tmp_path, run_cli):
    db = tmp_path / "i.db"
    write_archive(db, [record(i) for i in range(1, 4)])
    first = ok(run_cli("export", "--db", "i.db", "--since-last", "-o", "one.jsonl"))
    assert "exported 3 articles" in first.stderr
    second = ok(run_cli("export", "--db", "i.db", "--since-last", "-o", "two.jsonl"))
    assert "exported 0 articles" in second.stderr and (tmp_path / "two.jsonl").read_text() == ""
    # One new article, one changed, one seen again unchanged.
    write_archive(db, [record(4), record(2, title="Story 2, corrected"), record(3)],
                  fetched_at="2024-03-11T12:00:00+00:00")
    ok(run_cli("export", "--db", "i.db", "--since-last", "-o", "three.jsonl"))
    assert sorted(r["title"] for r in jsonl(tmp_path / "three.jsonl")) == ["Generated story 4", "Story 2, corrected"]
    # Each format (and each set of filters) keeps its own place.
    warc = ok(run_cli("export", "--db", "i.db", "--since-last", "--format", "warc", "-o", "all.warc.gz"))
    assert "exported 5 responses" in warc.stderr
    ok(run_cli("export", "--db", "i.db", "--since-last", "--site", "site1.example", "-o", "s.jsonl"))
    assert [r["url"] for r in jsonl(tmp_path / "s.jsonl")] == ["https://site1.example/news/1.html",
                                                              "https://site1.example/news/4.html"]
    state = ok(run_cli("sql", "SELECT key, count FROM export_state ORDER BY key", "--db", "i.db", "--json"))
    assert json.loads(state.stdout) == [{"key": "jsonl", "count": 2}, {"key": "jsonl sites=site1.example", "count": 2},
                                        {"key": "warc", "count": 5}]
    # A refused export does not move the mark.
    (tmp_path / "taken.jsonl").write_text("")
    write_archive(db, [record(5)], fetched_at="2024-03-12T12:00:00+00:00")
    assert run_cli("export", "--db", "i.db", "--since-last", "-o", "taken.jsonl").returncode == 1
    ok(run_cli("export", "--db", "i.db", "--since-last", "-o", "four.jsonl"))
    assert [r["title"] for r in jsonl(tmp_path / "four.jsonl")] == ["Generated story 5"]


def _run_on_tty(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; its exit status and what it drew there."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*archiver_cmd(), *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    return proc.wait(timeout=60), seen.decode("utf-8", "replace")


def test_progress_bar_only_on_a_terminal_and_not_with_quiet(tmp_path, run_cli):
    write_archive(tmp_path / "p.db", (record(i) for i in range(1, 301)))
    status, drawn = _run_on_tty(["export", "--db", "p.db", "-o", "a.jsonl"], tmp_path)
    assert status == 0 and "export jsonl" in drawn and "300/300" in drawn
    status, drawn = _run_on_tty(["export", "--db", "p.db", "-o", "b.jsonl", "--quiet"], tmp_path)
    assert status == 0 and drawn == ""
    piped = ok(run_cli("export", "--db", "p.db", "-o", "c.jsonl"))
    assert piped.stderr == "exported 300 articles to c.jsonl\n"


def _peak_rss_kib(args: list[str], cwd: Path) -> tuple[int, float]:
    """Run the CLI in a fresh interpreter; its own peak RSS (KiB) and wall time."""
    code = ("import resource, sys\nfrom archiver.cli import main\nsys.argv = ['archiver', *sys.argv[1:]]\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
            "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    return int(result.stderr.split("PEAK")[1]), elapsed


def test_export_memory_stays_flat(tmp_path):
    big_body = "\n\n".join(["word " * 400] * 8)  # ~16 kB per article
    write_archive(tmp_path / "small.db", (record(i, body=big_body) for i in range(1, 201)))
    write_archive(tmp_path / "big.db", (record(i, body=big_body) for i in range(1, 2501)))
    for fmt in ("jsonl", "warc"):
        small, _ = _peak_rss_kib(["export", "--db", "small.db", "-f", fmt, "-o", f"s.{fmt}", "-q"], tmp_path)
        big, seconds = _peak_rss_kib(["export", "--db", "big.db", "-f", fmt, "-o", f"b.{fmt}", "-q"], tmp_path)
        # 2,500 articles are ~40 MB of text: holding them would show; streaming stays within a few MB.
        assert big - small < 15_000, (fmt, small, big)
        print(f"{fmt}: 2500 articles in {seconds:.2f}s ({2500 / seconds:.0f}/s), peak RSS {big} KiB vs {small} KiB")
    assert (tmp_path / "b.jsonl").stat().st_size > 35_000_000
