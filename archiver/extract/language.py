"""The language of a page: detected from its body text, the declared one kept beside it.

py3langid (a fast re-packaging of langid.py: character n-grams, a naive Bayes
model, 97 languages) reads at most the first SAMPLE characters of the body, so
its cost per page stays under a millisecond whatever the article's length. Its
model is loaded once per process, on the first page that needs it.

py3langid ships the model (68 MB of arrays) packed with LZMA, which takes about half a
second of CPU to unpack in every process that loads it. The first load on a machine keeps
the arrays unpacked in archiver's cache folder (cachedir: `py3langid-<version>-model.bin`,
68 MB), and later loads map that file into memory instead of reading it: the model is
ready in a few milliseconds, its pages are read from disk as detection first touches them
and are shared, through the page cache, by every process of every run. The file is read
only when it is the user's own and nobody else may write it, and made again when it is
not one this module wrote whole (its header gives every array's place and the file's
size). Both hold the same arrays, so detection is the same either way.
"""

from __future__ import annotations

import io
import json
import lzma
import math
import re
from functools import lru_cache
from pathlib import Path

from archiver.cachedir import map_trusted, user_cache_dir, write_atomically

# Under this many letters the text is too short to tell: the declared language stands.
MIN_LETTERS = 200
# The detector reads this much of the body: enough to be sure, cheap on long articles.
SAMPLE = 1000
# Below this confidence the detection is not trusted over what the page declares.
MIN_CONFIDENCE = 0.9
# The kept model: this line, a line of JSON (each array's dtype, shape and offset; the
# file's size), then the arrays' bytes, each at an offset that is a multiple of ALIGN.
MODEL_MAGIC = b"archiver py3langid model 1\n"
ALIGN = 64
# The arrays of py3langid's model file, as its loader reads them.
MODEL_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_CODE = re.compile(r"\s*([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?\b")


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import LanguageIdentifier

    kept = model_cache_file()
    arrays = _map_kept(kept) if kept is not None else None
    if arrays is None:
        arrays = _unpacked()
        if kept is not None:
            write_atomically(kept, _kept_bytes(arrays))
            try:  # the model as an older archiver kept it
                kept.with_name(kept.name.replace(".bin", ".npz.zst")).unlink(missing_ok=True)
            except OSError:
                pass
    # The DFA's tables as memoryviews: the detector indexes them item by item, and a
    # view reads the mapped file in place where py3langid's own loader copies it.
    return LanguageIdentifier(arrays["ptc"], arrays["pc"], arrays["classes"].tolist(),
                              memoryview(arrays["nextmove"]), arrays["out_feat"].tolist(), norm_probs=True,
                              tk_row=memoryview(arrays["nextmove_row"]))


def model_cache_file() -> Path | None:
    """Where the model is kept, unpacked from py3langid's LZMA (None where py3langid's
    version cannot be read: nothing is kept)."""
    from importlib import metadata

    try:
        version = metadata.version("py3langid")
    except metadata.PackageNotFoundError:
        return None
    return user_cache_dir() / f"py3langid-{version}-model.bin"


def _unpacked() -> dict:
    """The model's arrays, from py3langid's own file."""
    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    with lzma.open(MODEL_DIR / MODEL_FILE) as src, np.load(io.BytesIO(src.read()), allow_pickle=False) as data:
        return {name: data[name] for name in MODEL_ARRAYS}


def _aligned(size: int) -> int:
    """`size` rounded up to a multiple of ALIGN."""
    return -(-size // ALIGN) * ALIGN


def _kept_bytes(arrays: dict) -> bytes:
    """The file that keeps `arrays` (see MODEL_MAGIC)."""
    places, offset = [], 0
    for name in MODEL_ARRAYS:
        array = arrays[name]
        places.append([name, array.dtype.str, list(array.shape), offset])
        offset += _aligned(array.nbytes)
    prefix = MODEL_MAGIC + json.dumps({"arrays": places, "data": offset}).encode() + b"\n"
    start = _aligned(len(prefix))
    out = bytearray(start + offset)
    out[:len(prefix)] = prefix
    for name, _, _, at in places:
        out[start + at:start + at + arrays[name].nbytes] = arrays[name].tobytes()
    return bytes(out)


def _map_kept(path: Path) -> dict | None:
    """The arrays of a kept model, mapped from its file; None where there is none this
    module wrote whole, or it is not trusted (cachedir.map_trusted)."""
    import numpy as np

    mapped = map_trusted(path)
    if mapped is None:
        return None
    try:
        if mapped[:len(MODEL_MAGIC)] != MODEL_MAGIC:
            return None
        end = mapped.find(b"\n", len(MODEL_MAGIC))
        header = json.loads(mapped[len(MODEL_MAGIC):end])
        start = _aligned(end + 1)
        if start + header["data"] != len(mapped) or [p[0] for p in header["arrays"]] != list(MODEL_ARRAYS):
            return None  # cut short, or not this layout
        return {name: np.frombuffer(mapped, dtype=np.dtype(dtype), count=math.prod(shape),
                                    offset=start + at).reshape(shape)
                for name, dtype, shape, at in header["arrays"]}
    except (ValueError, TypeError, KeyError):  # not JSON, a bad dtype or shape, an array past the end
        return None


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
