"""The language model kept in archiver's cache folder (extract.language)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from archiver.extract import language

_TEXTS = ["Der Stadtrat hat am Dienstag nach langer Debatte den Haushalt für das kommende Jahr beschlossen.",
          "The city council approved next year's budget on Tuesday after a long debate about road repairs.",
          "Le conseil municipal a approuvé mardi le budget de l'année prochaine après un long débat.",
          "Rada miasta przyjęła we wtorek budżet na przyszły rok po długiej debacie o remontach dróg."]

_DETECT = f"""
import json, sys
from archiver.extract import language
print(json.dumps({{"file": str(language.model_cache_file()),
                  "found": [language._identifier().classify(t) for t in {_TEXTS!r}]}}))
"""


def _detect(cache_home) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    result = subprocess.run([sys.executable, "-c", _DETECT], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def _kept_with_codes_uppercased(path) -> None:
    # A valid model whose languages are named in capitals: detection shows which model it read.
    arrays = language._unpacked()
    arrays["classes"] = np.char.upper(arrays["classes"])
    path.write_bytes(language._kept_bytes(arrays))
    path.chmod(0o600)


def test_the_model_is_kept_then_read_back_and_detects_alike(tmp_path):
    first = _detect(tmp_path)
    path = tmp_path / "archiver" / os.path.basename(first["file"])
    assert path.exists() and path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    assert [code for code, _ in first["found"]] == ["de", "en", "fr", "pl"]
    assert _detect(tmp_path)["found"] == first["found"]  # read back: the same arrays
    _kept_with_codes_uppercased(path)
    assert [code for code, _ in _detect(tmp_path)["found"]] == ["DE", "EN", "FR", "PL"]  # what is kept is used


def test_a_damaged_or_writable_by_others_model_is_not_read_but_made_again(tmp_path):
    first = _detect(tmp_path)
    path = tmp_path / "archiver" / os.path.basename(first["file"])
    whole = path.stat().st_size
    path.write_bytes(path.read_bytes()[:100_000])  # cut short
    assert _detect(tmp_path)["found"] == first["found"]
    assert path.stat().st_size == whole  # made again
    path.write_bytes(b"")  # empty: nothing to map
    assert _detect(tmp_path)["found"] == first["found"]
    assert path.stat().st_size == whole
    path.write_bytes(path.read_bytes().replace(b'"data"', b'"dat_"', 1))  # a header it does not know
    assert _detect(tmp_path)["found"] == first["found"]
    assert path.read_bytes().find(b'"data"') > 0
    _kept_with_codes_uppercased(path)
    path.chmod(0o666)  # others may write it: not read, made again
    assert _detect(tmp_path)["found"] == first["found"]
    assert path.stat().st_mode & 0o777 == 0o600
    assert _detect(tmp_path)["found"] == first["found"]


def test_a_cache_folder_it_cannot_write_leaves_detection_as_it_was(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    assert [code for code, _ in _detect(blocked)["found"]] == ["de", "en", "fr", "pl"]
