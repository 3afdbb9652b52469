"""Exports are atomic in every format: a Markdown folder is built beside its target and
moved in place, a killed export's part is cleaned up by the next one (at once on
SIGTERM), and front matter is YAML whatever the text holds (issue 13, cases 14-16)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import yaml

from tests.support import procs
from tests.support.archives import record, write_archive

N = 3000


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("export") / "big.db"
    write_archive(path, (record(i) for i in range(1, N + 1)))
    return path


def parts_of(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f".{name}.*.part"))


def files_in_part(folder: Path, name: str) -> int:
    parts = parts_of(folder, name)
    return len(list(parts[0].iterdir())) if parts and parts[0].is_dir() else 0


def start_markdown_export(db: Path, folder: Path):
    return procs.start(["export", "--db", str(db), "--format", "markdown", "-o", "notes", "-q"], folder)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_an_interrupted_markdown_export_leaves_no_half_folder(sig, big_archive, tmp_path):
    proc = start_markdown_export(big_archive, tmp_path)
    assert procs.wait_until(lambda: files_in_part(tmp_path, "notes") >= 200, timeout=60)
    procs.send(proc, sig)
    result = procs.finish(proc, timeout=30)
    assert not result.timed_out
    assert result.returncode == (-signal.SIGKILL if sig == signal.SIGKILL else 128 + signal.SIGTERM)
    assert not (tmp_path / "notes").exists()
    # SIGTERM cleans up at once; after SIGKILL the next export does it.
    assert len(parts_of(tmp_path, "notes")) == (1 if sig == signal.SIGKILL else 0)
    again = procs.run(["export", "--db", str(big_archive), "--format", "markdown", "-o", "notes"], tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(list((tmp_path / "notes").iterdir())) == N
    assert parts_of(tmp_path, "notes") == []


def test_only_parts_of_dead_exports_are_removed(run_cli, tmp_path):
    write_archive(tmp_path / "a.db", [record(1)])
    dead, live = tmp_path / ".out.jsonl.99999999.part", tmp_path / f".out.jsonl.{os.getpid()}.part"
    dead.write_text("half\n")
    live.write_text("someone is writing this\n")
    (tmp_path / ".other.jsonl.99999999.part").write_text("not ours\n")
    result = run_cli("export", "--db", "a.db", "-o", "out.jsonl")
    assert result.returncode == 0, result.stderr
    assert not dead.exists() and live.exists() and (tmp_path / ".other.jsonl.99999999.part").exists()
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 1


def test_markdown_with_force_replaces_files_and_keeps_others(run_cli, tmp_path):
    write_archive(tmp_path / "a.db", [record(1), record(2)])
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.txt").write_text("mine\n")
    (tmp_path / "notes" / "000001-generated-story-1.md").write_text("old\n")
    result = run_cli("export", "--db", "a.db", "--format", "markdown", "-o", "notes", "--force")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == [
        "000001-generated-story-1.md", "000002-generated-story-2.md", "README.txt"]
    assert (tmp_path / "notes" / "000001-generated-story-1.md").read_text().startswith("---\n")
    assert parts_of(tmp_path, "notes") == []


# Each forbidden in a YAML document, each left as it is by JSON.
ODD = "\x7f \x80 \x85 \x9c \x9f \u2028 \u2029 \ufeff \ufffe"


def test_front_matter_is_yaml_whatever_the_text_holds(run_cli, tmp_path):
    write_archive(tmp_path / "a.db", [record(1, title=f"Controls {ODD} in a title", byline=f"By {ODD}",
                                             tags=[ODD, "plain"], description="\x85")])
    result = run_cli("export", "--db", "a.db", "--format", "markdown", "-o", "notes")
    assert result.returncode == 0, result.stderr
    (path,) = (tmp_path / "notes").iterdir()
    front = path.read_text(encoding="utf-8").split("---\n")[1]
    meta = yaml.safe_load(front)
    assert meta["title"] == f"Controls {ODD} in a title"
    assert meta["byline"] == f"By {ODD}" and meta["tags"] == [ODD, "plain"] and meta["description"] == "\x85"
