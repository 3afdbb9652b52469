"""trafilatura's passes over one page, preparing its tree once for all of them.

Each `trafilatura.bare_extraction` call prepares the tree anew: a copy, two raw-tree
prunes (regex XPaths, the costliest part), `tree_cleaning`, a copy, `convert_tags`.
A page that needs more than one pass (fast, precise, balanced) shares that work here:
the raw-tree prunes are the same in every focus (except on a thread-forum page), and
the two precision passes share the cleaned tree as well.

This mirrors trafilatura's internals (`core.bare_extraction` and
`core.trafilatura_sequence`), which are not a stable API. It is used only with the
trafilatura version it was checked against (`CHECKED_VERSION`) and only for the
options it mirrors; otherwise each pass is a plain `bare_extraction`.
tests/test_trafilatura_passes.py runs both on fixture pages and fails when they
disagree, or when the installed version makes the passes fall back.

It also makes trafilatura's regex XPaths cheaper, without changing what they select
(`guard_regex_tests`, below).
"""

from __future__ import annotations

import re
from copy import copy

import trafilatura
from lxml.etree import XPath
from trafilatura import core, xpaths
from trafilatura.settings import Extractor

CHECKED_VERSION = "2.3.1"

# bare_extraction's keywords that the mirror handles, as Extractor's keywords; every
# other keyword keeps its default (comments on, metadata off), which the mirror needs.
_EXTRACTOR_KEYWORDS = {"fast": "fast", "favor_precision": "precision", "include_tables": "tables",
                       "output_format": "output_format"}
_REQUIRED = {"include_comments": False, "with_metadata": False}


def mirror_applies() -> bool:
    """The installed trafilatura is the one the mirror was checked against."""
    return trafilatura.__version__ == CHECKED_VERSION


class TrafilaturaPasses:
    """The passes of one page: `extract(**bare_extraction keywords)` gives the
    body element bare_extraction would give (None where it gives no document)."""

    def __init__(self, tree, url: str | None, *, shared: bool | None = None):
        self.tree = tree
        self.url = url or None
        self.shared = mirror_applies() if shared is None else shared
        self._raw = None  # the raw-tree prunes' result, which no pass changes
        self._forum = False
        self._fast_backup = None  # (its options, the fast pass's cleaned, unconverted tree)

    def extract(self, **keywords):
        options = self._options(keywords) if self.shared else None
        try:
            if options is not None and not (options.focus == "balanced" and self._is_forum()):
                return self._sequence(options, {k: v for k, v in keywords.items() if k != "fast"})
        except (TypeError, ValueError):  # bare_extraction's "discarding data"
            return None
        doc = trafilatura.bare_extraction(self.tree, url=self.url, **keywords)
        return None if doc is None else doc.body

    def _options(self, keywords: dict) -> Extractor | None:
        if any(keywords.get(k) != v for k, v in _REQUIRED.items()):
            return None
        if not set(keywords) <= set(_EXTRACTOR_KEYWORDS) | set(_REQUIRED):
            return None
        given = {_EXTRACTOR_KEYWORDS[k]: v for k, v in keywords.items() if k in _EXTRACTOR_KEYWORDS}
        return Extractor(comments=False, with_metadata=False, url=self.url, **given)

    def _is_forum(self) -> bool:
        self._raw_tree()
        return self._forum

    def _raw_tree(self):
        # trafilatura_sequence's raw-tree prunes, on bare_extraction's copy of the tree;
        # a forum page skips the comment prune in the balanced focus (see extract)
        if self._raw is None:
            tree = copy(self.tree)
            self._forum = core._forum_thread_page(tree)
            tree = core.prune_unwanted_nodes(tree, core.RAW_TREE_PRUNE_XPATH)
            self._raw = core.prune_unwanted_nodes(tree, core.REMOVE_COMMENTS_AND_LISTS_XPATH)
        return self._raw

    def _sequence(self, options: Extractor, preparation: dict):
        """core.trafilatura_sequence and bare_extraction's size checks, comments off.
        `preparation`: the options the tree's preparation depends on."""
        url, tree = self.url, self._raw_tree()
        precision = options.focus == "precision"
        if precision and not options.fast and self._fast_backup and self._fast_backup[0] == preparation:
            # the precise pass after the fast one: the same _prepare_tree, up to convert_tags
            backup, self._fast_backup = self._fast_backup[1], None
            cleaned = core.convert_tags(copy(backup), options, url)
        else:
            cleaned, backup = core._prepare_tree(tree, options, url)
            if precision and options.fast:  # no comparison: the backup is left as it is
                self._fast_backup = preparation, backup
        if precision and not self._forum:
            cleaned = core.prune_unwanted_nodes(cleaned, core.REMOVE_COMMENTS_XPATH)
        body, text = core._extract_and_compare(cleaned, backup, tree, options)

        if len(text) < options.min_extracted_size and not precision:
            b_body, b_text, b_len = core.baseline(tree)
            if b_len > len(text):
                body, text = b_body, b_text
        if (options.focus == "balanced" and 0 < len(text) < core.ESCALATION_MAX_LENGTH
                and len(text) < core.ESCALATION_PAGE_SHARE * len(core.html2txt(tree))):
            body, text = self._escalate(tree, body, text, options)

        if options.max_tree_size:
            if len(body) > options.max_tree_size:
                core.strip_tags(body, "hi")
            if len(body) > options.max_tree_size:
                return None
        if len(text) < options.min_output_size and options.min_output_comm_size > 0:
            return None
        return body

    def _escalate(self, tree, body, text: str, options: Extractor):
        """trafilatura_sequence's recall escalation (stage 4), comments off."""
        r_options = copy(options)
        r_options.focus = "recall"
        r_text = j_text = ""
        try:
            r_body, r_text = core._recall_retry(tree, r_options, self.url)
        except Exception:  # noqa: BLE001 - as upstream
            pass
        if not options.fast:
            try:
                j_body, j_text = core.justext_rescue(copy(tree), options)
            except Exception:  # noqa: BLE001 - as upstream
                pass
        if len(j_text) > len(r_text) and len(j_text) > core.ESCALATION_JUSTEXT_RATIO * len(text):
            return j_body, j_text
        if len(r_text) >= options.min_extracted_size and len(r_text) > core.ESCALATION_ACCEPT_RATIO * len(text):
            return r_body, r_text
        return body, text


# --- cheaper regex XPaths -------------------------------------------------------
# lxml runs EXSLT's re:test as a Python call for every element an XPath tests, with
# '' for an attribute the element lacks. Where the pattern cannot match '', that call
# is false before it is made: `((@class) and re:test(@class, 'P'))` selects the same
# elements as `re:test(@class, 'P')` and skips the call on every element without a
# class. trafilatura's prunes test most elements of a page that way; guarded, a page
# costs about 3.5 ms less (of 45).
_REGEXP_NS = {"re": "http://exslt.org/regular-expressions"}
# re:test on attributes (`@id`, `@id|@class`), a pattern in quotes, optional flags
_REGEX_TEST = re.compile(r"re:test\((@[\w-]+(?:\|@[\w-]+)*),\s*'([^']*)'(\s*,\s*'[^']*')?\s*\)")


def guarded_path(path: str) -> str | None:
    """The XPath with each attribute re:test behind a test that an attribute is there;
    None when it has none to guard, or one whose pattern matches '' (or is not a
    Python regex), which must keep testing '' for an absent attribute."""
    calls = list(_REGEX_TEST.finditer(path))
    try:
        if not calls or any(re.search(m[2], "") is not None for m in calls):
            return None
    except re.error:
        return None
    return _REGEX_TEST.sub(lambda m: f"(({m[1]}) and {m[0]})", path)


# (trafilatura's XPath, its guarded replacement), for the tests
GUARDED: list[tuple[XPath, XPath]] = []


def guard_regex_tests() -> None:
    """Replace, in place, trafilatura's XPath lists' regex XPaths by guarded ones.
    Only for the checked version, whose expressions were compared (see the tests)."""
    if GUARDED or not mirror_applies():
        return
    for value in vars(xpaths).values():
        if not isinstance(value, list):
            continue
        for i, expression in enumerate(value):
            if isinstance(expression, XPath) and (path := guarded_path(expression.path)) is not None:
                value[i] = XPath(path, namespaces=_REGEXP_NS)
                GUARDED.append((expression, value[i]))


guard_regex_tests()
