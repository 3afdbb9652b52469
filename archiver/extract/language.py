"""The language of a page: detected from its body text, the declared one kept beside it.

py3langid (a fast re-packaging of langid.py: character n-grams, a naive Bayes
model, 97 languages) reads at most the first SAMPLE characters of the body, so
its cost per page stays under a millisecond whatever the article's length. Its
model is loaded once per process, on the first page that needs it.

py3langid ships the model (68 MB of arrays) packed with LZMA, which takes about half a
second of CPU to unpack. The first load on a machine keeps it in archiver's cache folder
packed with zstd instead (cachedir: `py3langid-<version>-model.npz.zst`, 7 MB), which
unpacks in about half of that; it is read only when it is the user's own and nobody else
may write it, and made again when it cannot be read. Both hold the same arrays, so
detection is the same either way.
"""

from __future__ import annotations

import io
import lzma
import re
from functools import lru_cache
from pathlib import Path

from archiver.cachedir import read_trusted, user_cache_dir, write_atomically
from archiver.zstdlib import zstd

# Under this many letters the text is too short to tell: the declared language stands.
MIN_LETTERS = 200
# The detector reads this much of the body: enough to be sure, cheap on long articles.
SAMPLE = 1000
# Below this confidence the detection is not trusted over what the page declares.
MIN_CONFIDENCE = 0.9
# zstd's level for the kept model: 7 MB, packed in about a tenth of a second on the first load.
MODEL_CACHE_LEVEL = 3

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_CODE = re.compile(r"\s*([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?\b")


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    kept = model_cache_file()
    packed = read_trusted(kept) if kept is not None else None
    if packed is not None:
        try:
            return _from_npz(LanguageIdentifier, zstd.decompress(packed))
        except Exception:  # noqa: BLE001 - cut short or damaged: unpacked and kept again below
            pass
    with lzma.open(MODEL_DIR / MODEL_FILE) as src:
        npz = src.read()
    identifier = _from_npz(LanguageIdentifier, npz)
    if kept is not None:
        write_atomically(kept, zstd.compress(npz, level=MODEL_CACHE_LEVEL))
    return identifier


def model_cache_file() -> Path | None:
    """Where the model is kept, unpacked from py3langid's LZMA and packed again as zstd
    (None where py3langid's version cannot be read: nothing is kept)."""
    from importlib import metadata

    try:
        version = metadata.version("py3langid")
    except metadata.PackageNotFoundError:
        return None
    return user_cache_dir() / f"py3langid-{version}-model.npz.zst"


def _from_npz(identifier, npz: bytes):
    import numpy as np
    from py3langid.modelio import _to_array

    with np.load(io.BytesIO(npz), allow_pickle=False) as data:
        return identifier(data["ptc"], data["pc"], data["classes"].tolist(), _to_array(data["nextmove"]),
                          data["out_feat"].tolist(), norm_probs=True, tk_row=_to_array(data["nextmove_row"]))


def language_code(value) -> str | None:
    """A declared language as a code: "de_DE" -> "de-DE", "EN" -> "en"; None if not one."""
    if not isinstance(value, str):
        return None
    m = _CODE.match(value)
    if not m:
        return None
    return m.group(1).lower() + (f"-{m.group(2).upper()}" if m.group(2) else "")


def base_language(code: str | None) -> str | None:
    """"de-AT" -> "de": the part detection and `--lang` compare."""
    return code.split("-", 1)[0].lower() if code else None


def detect_language(text: str | None) -> tuple[str, float] | None:
    """(ISO 639-1 code, confidence) of a text, or None when it is too short to tell."""
    sample = (text or "")[:SAMPLE]
    if len(_LETTER.findall(sample)) < MIN_LETTERS:
        return None
    code, confidence = _identifier().classify(sample)
    return code, confidence


def choose_language(body: str | None, declared: str | None) -> tuple[str | None, str]:
    """The record's `language` and where it came from ("detected" or "declared").

    The detected language wins when the detector is sure; the declared one keeps
    its region ("de-AT") when the two agree, and stands where the text is too short."""
    found = detect_language(body)
    if found is None or found[1] < MIN_CONFIDENCE:
        return declared, "declared"
    code = found[0]
    if base_language(declared) == code:
        return declared, "detected"
    return code, "detected"


def mismatch(language: str | None, declared: str | None) -> bool:
    """True when the page declares a language other than the one its text is in."""
    return bool(language and declared and base_language(language) != base_language(declared))
