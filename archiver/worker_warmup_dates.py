"""Preloaded by the forkserver of a long run, before worker_warmup (see workers.py).

htmldate, the last resort for a page's date, hands dateparser the strings its own
patterns cannot read, and the first one dateparser cannot read either makes it load
all of its 200-odd locales: about 1.5 s of CPU and 65 MB. Loaded here, once, the
workers fork with them; otherwise every worker of a long run pays that for itself.
A short run does not: most of its workers never meet such a string.

Most of that time goes to the `regex` module compiling, in Python, the 615 patterns
dateparser builds from the locales' words, and to the locales' dictionaries and
simplifications built from those words. A compiled pattern pickles with its compiled
code, so the first long run on a machine keeps them, with the locales that hold them, in
archiver's cache folder (cachedir: `dateparser-<dateparser>-<regex>-py<X><Y>.pickle`,
2.7 MB) and later runs read them back: the whole preload then takes 0.3 s instead of 1.5
to 2 (0.4 s when only the patterns were kept). The file is read only when it is the
user's own and nobody else may write it (a pickle can run code); one that cannot be read
is made again. Its name carries the versions that made it, so an upgrade makes a new
one.
"""

from __future__ import annotations

import io
import pickle
import sys
import threading
from importlib import metadata
from pathlib import Path

from dateparser import DateDataParser
from dateparser.languages.dictionary import Dictionary
from dateparser.languages.loader import LocaleDataLoader

from archiver.cachedir import read_trusted, user_cache_dir, write_atomically

# dateparser's caches of each locale's words and the patterns compiled from them (class
# attributes of its Dictionary), and the locales its loader has built, each with its
# dictionaries and compiled simplifications (class attributes of LocaleDataLoader):
# shared by every parser, htmldate's included. They are dateparser's private state: a
# name a later version drops is left out.
_KNOWN = {Dictionary: ("_sorted_words_cache", "_split_regex_cache", "_sorted_relative_strings_cache",
                       "_split_relative_regex_cache", "_match_relative_regex_cache"),
          LocaleDataLoader: ("_loaded_languages", "_loaded_locales")}
_OWNERS = {owner.__name__: owner for owner in _KNOWN}
CACHES = tuple(f"{owner.__name__}.{name}" for owner, names in _KNOWN.items()
               for name in names if isinstance(getattr(owner, name, None), dict))
# A locale guards its lazily built parts with a lock, which is made anew when read back.
_NEW_LOCK = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock}


def _cache(key: str) -> dict:
    owner, name = key.split(".")
    return getattr(_OWNERS[owner], name)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        new_lock = _NEW_LOCK.get(type(obj))
        return NotImplemented if new_lock is None else (new_lock, ())


def cache_file() -> Path:
    versions = "-".join(metadata.version(name) for name in ("dateparser", "regex"))
    return user_cache_dir() / f"dateparser-{versions}-py{sys.version_info[0]}{sys.version_info[1]}.pickle"


def load(path: Path) -> bool:
    """Fill dateparser's caches from `path`; False (nothing changed) when it is not there,
    not trusted (a pickle can run code: cachedir.read_trusted) or cannot be read."""
    data = read_trusted(path)
    if data is None:
        return False
    try:
        caches = pickle.loads(data)
    except Exception:  # truncated, from another build of regex: made again
        return False
    if not (isinstance(caches, dict) and set(caches) == set(CACHES)
            and all(isinstance(entry, dict) for entry in caches.values())):
        return False
    for key, entry in caches.items():
        _cache(key).update(entry)
    return True


def save(path: Path) -> None:
    """Write dateparser's caches to `path` (atomically; nothing on a read-only disk, or
    where a later dateparser keeps something there that does not pickle)."""
    out = io.BytesIO()
    try:
        _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump({key: _cache(key) for key in CACHES})
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return
    write_atomically(path, out.getvalue())


def preload() -> bool:
    """Load every locale; True when their patterns came from the cache file.

    With none of the caches it knows left in dateparser (a later version that renamed
    them), there is nothing to keep: the locales load as they would without a file."""
    path = cache_file()
    cached = bool(CACHES) and load(path)
    # A line no locale reads as a date: dateparser tries (and so loads) every locale.
    DateDataParser(settings={"PARSERS": ["absolute-time"]}).get_date_data("no day in this line")
    if CACHES and not cached:
        save(path)
    return cached


FROM_CACHE = preload()
