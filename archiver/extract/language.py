"""The language of a page: detected from its body text, the declared one kept beside it.

py3langid (a fast re-packaging of langid.py: character n-grams, a naive Bayes
model, 97 languages) reads at most the first SAMPLE characters of the body, so
its cost per page stays under a millisecond whatever the article's length. Its
model is loaded once per process, on the first page that needs it.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Under this many letters the text is too short to tell: the declared language stands.
MIN_LETTERS = 200
# The detector reads this much of the body: enough to be sure, cheap on long articles.
SAMPLE = 1000
# Below this confidence the detection is not trusted over what the page declares.
MIN_CONFIDENCE = 0.9

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_CODE = re.compile(r"\s*([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?\b")


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    try:
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    except OSError:
        # py3langid unpacks its model (68 MB) into a temporary file; where no file can
        # be written (a full disk) it is unpacked in memory instead (about 50 MB more
        # at its peak), so a crawl goes on to the archive's own clear error.
        return _from_memory(LanguageIdentifier, MODEL_DIR / MODEL_FILE)


def _from_memory(identifier, path):
    import io
    import lzma

    import numpy as np
    from py3langid.modelio import _to_array

    with lzma.open(path) as src:
        npz = io.BytesIO(src.read())
    with np.load(npz, allow_pickle=False) as data:
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
