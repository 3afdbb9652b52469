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

It also makes trafilatura's XPaths cheaper, without changing what they select
(`guard_regex_tests`, below): its prune lists and BODY_XPATH run as Python scans
(extract.xpath_scans), and its other regex XPaths are guarded.
"""

from __future__ import annotations

import re
from copy import copy

import trafilatura
from lxml.etree import XPath
from trafilatura import core, xpaths
from trafilatura.settings import Extractor

from archiver.extract.xpath_scans import Scan, compile_first, compile_scan

CHECKED_VERSION = "2.3.1"

# bare_extraction's keywords that the mirror handles, as Extractor's keywords; every
# other keyword keeps its default (comments on, metadata off), which the mirror needs.
_EXTRACTOR_KEYWORDS = {"fast": "fast", "favor_precision": "precision", "include_tables": "tables",
                       "output_format": "output_format"}
_REQUIRED = {"include_comments": False, "with_metadata": False}


def mirror_applies() -> bool:
    """The installed trafilatura is the one the mirror was checked against."""
    return trafilatura.__version__ == CHECKED_VERSION


def preload() -> None:
    """Build now what trafilatura builds on its first use of justext (its comparison's
    fallback): the stop words of every language justext knows, as a tuple, and justext's
    set of them, about 0.35 s of CPU. A long run's forkserver calls it (worker_warmup),
    so no worker builds them for itself. Nothing where trafilatura's internals differ."""
    try:
        from justext.core import define_stoplist
        from trafilatura import external

        define_stoplist(external.JT_STOPLIST or external.jt_stoplist_init())
    except (ImportError, AttributeError, TypeError):
        pass


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
# '' for an attribute the element lacks; those calls are about half of what
# trafilatura's XPaths cost. Two guards, in XPath (C), skip most of them without
# changing what is selected:
# - where the pattern cannot match '', the call is false for an element without the
#   attribute: `re:test(@class, 'P')` becomes `((@class) and re:test(@class, 'P'))`;
# - where every match of the pattern contains one of a few literal strings, the call
#   is false for a value that contains none of them: `re:test(@id, '^nav|menu')` is
#   tested only after `(contains(@id, 'nav') or contains(@id, 'menu'))`.
# trafilatura's prunes test most elements of a page that way: the first guard saves a
# page's extraction about 3.5 ms (of 45), the second about 1 ms more (bench/xpaths.py
# times the XPaths alone in each form).
_REGEXP_NS = {"re": "http://exslt.org/regular-expressions"}
# re:test on attributes (`@id`, `@id|@class`), a pattern in quotes, optional flags
_REGEX_TEST = re.compile(r"re:test\((@[\w-]+(?:\|@[\w-]+)*),\s*'([^']*)'(\s*,\s*'[^']*')?\s*\)")
# More literals than this cost more as contains() tests than the one call they save.
MAX_LITERALS = 8


def guarded_path(path: str, max_literals: int = MAX_LITERALS) -> str | None:
    """The XPath with each attribute re:test behind a test that an attribute is there
    (and, where the pattern allows, that it contains one of the at most `max_literals`
    literals every match contains); None when it has none to guard, or one whose
    pattern matches '' (or is not a Python regex), which must keep testing '' for an
    absent attribute."""
    calls = list(_REGEX_TEST.finditer(path))
    try:
        if not calls or any(re.search(m[2], "") is not None for m in calls):
            return None
    except re.error:
        return None
    return _REGEX_TEST.sub(lambda m: _guarded_call(m, max_literals), path)


def _guarded_call(m: re.Match, max_literals: int) -> str:
    attribute, pattern, flags = m[1], m[2], m[3] or ""
    literals = None if "i" in flags else required_literals(pattern)
    if not literals or len(literals) > max_literals:
        return f"(({attribute}) and {m[0]})"
    contains = " or ".join(f"contains({attribute}, '{literal}')" for literal in literals)
    return f"(({attribute}) and ({contains}) and {m[0]})"


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Literal strings one of which every match of `pattern` (a Python regex,
    case-sensitive) contains; None where no such set is found. Conservative: a syntax
    it does not follow (inline flags, conditionals) gives None, and a quantified or
    classed part counts as no literal."""
    reader = _RegexLiterals(pattern)
    try:
        found = reader.alternation()
    except ValueError:
        return None
    return tuple(dict.fromkeys(found)) if found and reader.i == len(pattern) else None


# escapes for a class of characters or a position, of one character each
_CLASS_ESCAPES = frozenset("dDwWsSbBAZ")
_REPEAT = re.compile(r"\{\d*(?:,\d*)?\}")


class _RegexLiterals:
    """A reader of the part of Python's regex syntax required_literals follows."""

    def __init__(self, pattern: str):
        self.p, self.i = pattern, 0

    def alternation(self) -> list[str] | None:
        """One of these literals is in every match of the alternation from here to
        its ')' or the end; None: no such set."""
        needs = [self.branch()]
        while self.i < len(self.p) and self.p[self.i] == "|":
            self.i += 1
            needs.append(self.branch())
        return None if None in needs else [literal for need in needs for literal in need]

    def branch(self) -> list[str] | None:
        candidates, run = [], ""
        while self.i < len(self.p) and self.p[self.i] not in "|)":
            literal, need = self.atom()
            if self.quantifier():
                literal, need = None, None  # optional or repeated: nothing to count on
            if literal is not None:
                run += literal
                continue
            if run:
                candidates.append([run])
            run = ""
            if need:
                candidates.append(need)
        if run:
            candidates.append([run])
        # the most selective candidate: the longest shortest literal, then the fewest
        return max(candidates, key=lambda c: (min(map(len, c)), -len(c)), default=None)

    def atom(self) -> tuple[str | None, list[str] | None]:
        """(the literal character read, or None; the literals a group needs)."""
        p, c = self.p, self.p[self.i]
        self.i += 1
        if c == "\\":
            if self.i >= len(p):
                raise ValueError("a trailing backslash")
            e = p[self.i]
            self.i += 1
            if not e.isalnum():
                return e, None
            if e in _CLASS_ESCAPES:
                return None, None
            raise ValueError("an escape that spells a character or a group (\\x41, \\1)")
        if c == "[":
            if p.startswith("^", self.i):
                self.i += 1
            if p.startswith("]", self.i):
                self.i += 1
            while self.i < len(p) and p[self.i] != "]":
                self.i += 2 if p[self.i] == "\\" else 1
            if self.i >= len(p):
                raise ValueError("an unclosed class")
            self.i += 1
            return None, None
        if c == "(":
            lookaround = False
            if p.startswith("?", self.i):
                if p.startswith("?:", self.i):
                    self.i += 2
                elif p.startswith(("?=", "?!"), self.i):
                    self.i, lookaround = self.i + 2, True
                elif p.startswith(("?<=", "?<!"), self.i):
                    self.i, lookaround = self.i + 3, True
                elif p.startswith("?P<", self.i) and (end := p.find(">", self.i)) > 0:
                    self.i = end + 1
                else:
                    raise ValueError("inline flags or a conditional")
            need = self.alternation()
            if not p.startswith(")", self.i):
                raise ValueError("an unclosed group")
            self.i += 1
            return None, (None if lookaround else need)
        if c in ".^$":
            return None, None
        if c in "*+?{":
            raise ValueError("a quantifier with nothing to repeat")
        return c, None

    def quantifier(self) -> bool:
        """Read a quantifier here, if there is one."""
        p = self.p
        if p.startswith(("?", "*", "+"), self.i):
            self.i += 1
        elif (m := _REPEAT.match(p, self.i)) and m.end() > self.i + 2:
            self.i = m.end()
        else:
            return False
        if p.startswith(("?", "+"), self.i):  # lazy, possessive
            self.i += 1
        return True


# (trafilatura's XPath, its guarded replacement), for the tests
GUARDED: list[tuple[XPath, XPath]] = []
# (trafilatura's XPath, the Python scan that replaces it), for the tests and bench/xpaths.py
SCANNED: list[tuple[XPath, Scan]] = []

# The lists trafilatura uses only through prune_unwanted_nodes, which calls each
# expression on a tree and deletes what it returns: there a Scan (extract.xpath_scans)
# stands in for an XPath, selecting the same elements in about 40% of the time.
SCANNED_LISTS = ("RAW_TREE_PRUNE_XPATH", "REMOVE_COMMENTS_AND_LISTS_XPATH", "REMOVE_COMMENTS_XPATH",
                 "OVERALL_DISCARD_XPATH", "TEASER_DISCARD_XPATH", "PRECISION_DISCARD_XPATH", "DISCARD_IMAGE_ELEMENTS")
# Of each BODY_XPATH expression, main_extractor._extract reads only the first element
# it selects (`next((s for s in expr(tree) if s is not None), None)`): there a scan that
# stops at that element stands in, in about a fifth of the time.
FIRST_LISTS = ("BODY_XPATH",)


def guard_regex_tests() -> None:
    """Replace, in place, trafilatura's prune XPaths by Python scans where they can be
    read as one, and its other regex XPaths by guarded ones.
    Only for the checked version, whose expressions were compared (see the tests)."""
    if GUARDED or SCANNED or not mirror_applies():
        return
    for name, value in vars(xpaths).items():
        if not isinstance(value, list):
            continue
        for i, expression in enumerate(value):
            if not isinstance(expression, XPath):
                continue
            compile_ = compile_first if name in FIRST_LISTS else compile_scan if name in SCANNED_LISTS else None
            if compile_ is not None and (scan := compile_(expression.path)) is not None:
                value[i] = scan
                SCANNED.append((expression, scan))
            elif (path := guarded_path(expression.path)) is not None:
                value[i] = XPath(path, namespaces=_REGEXP_NS)
                GUARDED.append((expression, value[i]))


guard_regex_tests()
