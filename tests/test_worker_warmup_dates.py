"""dateparser's compiled locale patterns, kept between long runs (worker_warmup_dates)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# What the forkserver of a long run imports, then dates in several languages read the
# way htmldate hands them to dateparser (no language given: every locale is tried).
_PRELOAD_AND_PARSE = """
import json
from datetime import datetime
import archiver.worker_warmup_dates as warm
from dateparser import DateDataParser
parser = DateDataParser(settings={"RELATIVE_BASE": datetime(2024, 6, 1), "PREFER_DATES_FROM": "past"})
found = []
for text in ["12 mars 2024", "3. Oktober 2023, 14:05 Uhr", "5 de junio de 2022", "10 października 2021",
             "2020年5月3日", "12 березня 2024", "vor 3 Tagen", "hace 2 horas", "Pubblicato il 4 maggio 2021",
             "nessuna data qui", "not a date at all"]:
    data = parser.get_date_data(text)
    found.append([text, str(data.date_obj), data.locale, data.period])
print(json.dumps({"from_cache": warm.FROM_CACHE, "file": str(warm.cache_file()), "found": found}))
"""


def _preload(cache_home) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    result = subprocess.run([sys.executable, "-c", _PRELOAD_AND_PARSE], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_the_patterns_are_kept_read_back_and_read_dates_alike(tmp_path):
    first = _preload(tmp_path)
    path = tmp_path / "archiver" / os.path.basename(first["file"])
    assert not first["from_cache"] and path.exists()
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    second = _preload(tmp_path)
    assert second["from_cache"]
    assert second["found"] == first["found"]
    assert [f[1] for f in first["found"]][:4] == ["2024-03-12 00:00:00", "2023-10-03 14:05:00",
                                                  "2022-06-05 00:00:00", "2021-10-10 00:00:00"]
    assert first["found"][-1][1] == "None"


def test_a_damaged_or_writable_by_others_file_is_not_read_but_made_again(tmp_path):
    first = _preload(tmp_path)
    path = tmp_path / "archiver" / os.path.basename(first["file"])
    path.write_bytes(path.read_bytes()[:5000])  # cut short
    damaged = _preload(tmp_path)
    assert not damaged["from_cache"] and damaged["found"] == first["found"]
    path.chmod(0o666)  # made again above; now others may write it
    shared = _preload(tmp_path)
    assert not shared["from_cache"] and shared["found"] == first["found"]
    assert path.stat().st_mode & 0o777 == 0o600
    assert _preload(tmp_path)["from_cache"]


def test_a_cache_folder_it_cannot_write_leaves_the_preload_as_it_was(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    result = _preload(blocked)
    assert not result["from_cache"] and result["found"][0][1] == "2024-03-12 00:00:00"


def test_when_dateparser_has_none_of_the_known_caches_no_file_is_written_or_read(tmp_path):
    # A later dateparser that renamed its caches leaves CACHES empty: an empty file would
    # be written, then "read" as a success that loaded nothing.
    code = ("import collections\n"
            "import dateparser.languages.dictionary as d\n"
            "for name in ('_sorted_words_cache', '_split_regex_cache', '_sorted_relative_strings_cache',"
            " '_split_relative_regex_cache', '_match_relative_regex_cache'):\n"
            "    setattr(d.Dictionary, name, collections.UserDict())\n"
            "import dateparser.languages.loader as l\n"
            "for name in ('_loaded_languages', '_loaded_locales'):\n"
            "    setattr(l.LocaleDataLoader, name, collections.UserDict())\n"
            "import archiver.worker_warmup_dates as warm\n"
            "print(warm.CACHES, warm.FROM_CACHE)\n")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    for _ in range(2):
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.split() == ["()", "False"]
    assert not (tmp_path / "archiver").exists()
