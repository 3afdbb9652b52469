"""trafilatura's prune XPaths run as Python scans of the tree: the same elements, in
the same order, for less.

libxml2 evaluates an expression such as
    .//*[self::div or self::section][re:test(@class, 'share|social') or contains(@id, 'nav')]
afresh on every element: it builds each attribute's string, tests each literal, and
calls Python for each regex. A page repeats a few hundred combinations of tag and
attribute values over thousands of elements, so a scan that reads only the attributes
an expression names (with `el.get`, in C), and decides each distinct combination
once per tree, does the same work in less time: over the dev pages, the prune XPaths took
6.4 ms of a page's extraction and their scans take 2.5 ms (bench/xpaths.py times
both forms on whole trees).

`compile_scan(path)` reads the XPath subset trafilatura's prune lists are written in:
`.//*` or `.//tag`, then predicates made of `and`, `or`, `not()`, `self::tag`,
`@a` (or a union `@a|@b`, whose string is the first of them in document order),
`S='lit'`, `contains(S, 'lit')`, `starts-with(S, 'lit')`, `translate(S, 'ab', 'AB')`,
EXSLT's `re:test(S, 'pattern'[, 'flags'])` (lxml runs it with Python's `re`, on ''
for a missing attribute) and `.//tag` (the element holds one). Anything else (a
position, a number, another axis or function) gives None: that XPath stays as it is.
tests/test_xpath_scans.py checks every scan against lxml's own evaluation.
"""

from __future__ import annotations

import re

from lxml import etree

_TOKENS = re.compile(r"""\s*(?:('[^']*'|"[^"]*")|(\.//|::|[()\[\],|=])|@([\w-]+)|([\w-]+(?::[\w-]+)?)|(\*))""")


class Unsupported(ValueError):
    """The expression uses XPath this reader does not follow."""


def compile_scan(path: str) -> Scan | None:
    """A Scan selecting what the XPath `path` selects, or None if it is beyond the subset."""
    try:
        return _Reader(path).scan()
    except (Unsupported, re.error):
        return None


def compile_first(path: str) -> Scan | None:
    """A Scan giving the first element, in document order, that the XPath `path` selects
    (as a list of one, or []), for a caller that reads no more of the selection
    (trafilatura's BODY_XPATH: `next(iter(expr(tree)))`); it stops at that element.
    Beyond compile_scan's subset it reads `(step)[1]`, a last predicate `[1]` (the
    first of each parent's children: the first of the selection is the first match
    anywhere) and unions of these. None if `path` is beyond that."""
    try:
        return _Reader(path).first_scan()
    except (Unsupported, re.error):
        return None


class Scan:
    """`scan(tree)`: the elements under `tree` that the XPath selects, in document order."""

    def __init__(self, path: str, tags: tuple[str, ...], tests: list, attrs: tuple[str, ...], *, first: bool = False):
        self.path = path
        self.first = first  # only the first element selected
        self._scan = _compile_scan(tags, tests, attrs, first)

    def __call__(self, tree) -> list:
        return self._scan(tree)


def _compile_scan(tags: tuple[str, ...], tests: list, attrs: tuple[str, ...], first: bool):
    """The scan as one Python function: for each element under the tree (of `tags`, picked
    in C by iterdescendants), it reads the attributes the tests name; the tests that read
    only those (and the tag) are decided once per distinct combination in the tree;
    those that look into the element (.//h1) only where the others hold."""
    names: dict = {"_first": _first, "_TAGS": tags or (etree.Element,)}  # Element: elements, not comments
    index = {a: i for i, a in enumerate(attrs)}
    pure = [t for t in tests if not _looks_inside(t)]
    inside = [t for t in tests if _looks_inside(t)]
    nodes = [n for t in tests for n in _nodes(t)]
    reads_tag = any(n[0] == "self" for n in nodes)
    unions = [tuple(index[a] for a in n[1]) for n in nodes if n[0] == "attrs" and len(n[1]) > 1]
    values = [f"v{i}" for i in range(len(attrs))]
    lines = ["def scan(tree):", "    memo = {}", "    found = []", "    for el in tree.iterdescendants(*_TAGS):",
             "        get = el.get"]
    lines += [f"        v{i} = get({a!r})" for i, a in enumerate(attrs)]
    if reads_tag:
        lines.append("        tag = el.tag")
    key = (["tag"] if reads_tag else []) + values
    if unions:
        # a union's string is its first attribute in the element: where two of one are
        # there, their order is part of what decides
        both = " or ".join(f"({' + '.join(f'(v{i} is not None)' for i in u)}) > 1" for u in dict.fromkeys(unions))
        lines.append(f"        order = tuple(el.keys()) if {both} else ()")
        key.append("order")
    # an element with none of the attributes (most of them) is decided by its tag alone
    if attrs:
        lines += [f"        if {' and '.join(f'{v} is None' for v in values)}:",
                  f"            key = {'tag' if reads_tag else 'None'}",
                  "        else:",
                  f"            key = ({', '.join(key)},)"]
    else:
        lines.append(f"        key = {'tag' if reads_tag else 'None'}")
    lines += ["        verdict = memo.get(key)",
              "        if verdict is None:",
              f"            verdict = memo[key] = bool({_all(pure, index, names)})"]
    condition = f"verdict and ({_all(inside, index, names)})" if inside else "verdict"
    lines += [f"        if {condition}:", "            return [el]" if first else "            found.append(el)",
              "    return found"]
    exec(compile("\n".join(lines) + "\n", "<xpath scan>", "exec"), names)  # noqa: S102 - made here from parsed nodes
    return names["scan"]


def _all(tests: list, index: dict, names: dict) -> str:
    return " and ".join(f"({_source(t, index, names)})" for t in tests) or "True"


def _first(order: tuple, names: tuple[str, ...], values: tuple):
    """A union's string: the value of its attribute that comes first in the element."""
    there = [(n, v) for n, v in zip(names, values) if v is not None]
    if len(there) > 1:
        there.sort(key=lambda nv: order.index(nv[0]))
    return there[0][1] if there else ""


# --- the parsed expressions, compiled to Python ------------------------------------
# Nodes: ("or", [nodes]), ("and", [nodes]), ("not", node), ("self", tag),
# ("attrs", names), ("eq", node, literal), ("contains"|"starts-with", node, literal),
# ("translate", node, (from, to)), ("re", node, compiled pattern), ("inside", tag).


def _source(node, index: dict, names: dict) -> str:
    kind = node[0]
    if kind in ("or", "and"):
        if not node[1]:
            return "True" if kind == "and" else "False"
        return "(" + f" {kind} ".join(_source(n, index, names) for n in node[1]) + ")"
    if kind == "not":
        return f"(not {_source(node[1], index, names)})"
    if kind == "self":
        return f"(tag == {node[1]!r})"
    if kind == "attrs":  # a node-set: true when not empty
        return "(" + " or ".join(f"v{index[n]} is not None" for n in node[1]) + ")"
    if kind == "inside":
        return f"(el.find({'.//' + node[1]!r}) is not None)"
    if kind == "eq":
        if node[1][0] == "attrs":  # true when one of the attributes there has the value
            return "(" + " or ".join(f"v{index[n]} == {node[2]!r}" for n in node[1][1]) + ")"
        return f"({_string(node[1], index, names)} == {node[2]!r})"
    if kind == "contains":
        return f"({node[2]!r} in {_string(node[1], index, names)})"
    if kind == "starts-with":
        return f"{_string(node[1], index, names)}.startswith({node[2]!r})"
    if kind == "re":
        name = f"_re{len(names)}"
        names[name] = node[2].search
        return f"({name}({_string(node[1], index, names)}) is not None)"
    return f"({_string(node, index, names)} != '')"  # a string: true when not empty


def _string(node, index: dict, names: dict) -> str:
    if node[0] == "attrs":
        if len(node[1]) == 1:
            return f"(v{index[node[1][0]]} or '')"
        values = "".join(f"v{index[n]}, " for n in node[1])
        return f"_first(order, {node[1]!r}, ({values}))"
    if node[0] == "translate":
        name = f"_table{len(names)}"
        names[name] = str.maketrans(*node[2])
        return f"{_string(node[1], index, names)}.translate({name})"
    raise Unsupported(f"the string of {node[0]}")


def _nodes(node):
    """The node and every node inside it."""
    yield node
    kind = node[0]
    if kind in ("or", "and"):
        for part in node[1]:
            yield from _nodes(part)
    elif kind in ("not", "eq", "contains", "starts-with", "translate", "re"):
        yield from _nodes(node[1])


def _looks_inside(node) -> bool:
    return any(n[0] == "inside" for n in _nodes(node))


def _tags_first(tags: tuple[str, ...], tests: list) -> tuple[tuple[str, ...], list]:
    """`.//*[self::a or self::b][...]` as `.//a|.//b` with the rest of the tests:
    iterdescendants picks the tags, in C."""
    if not tags and tests and (only := _only_tags(tests[0])):
        return only, tests[1:]
    return tags, tests


def _only_tags(node) -> tuple[str, ...] | None:
    """The tags of a predicate that is only `self::a or self::b ...`, else None."""
    if node[0] == "self":
        return (node[1],)
    if node[0] == "or":
        tags = [_only_tags(n) for n in node[1]]
        if all(tags):
            return tuple(t for ts in tags for t in ts)
    return None


# --- the reader -------------------------------------------------------------------
_STRING_KINDS = ("attrs", "translate")


class _Reader:
    def __init__(self, path: str):
        self.path = path
        self.tokens = self._tokenize(path)
        self.i = 0
        self.attrs: list[str] = []

    @staticmethod
    def _tokenize(path: str) -> list[tuple[str, str]]:
        tokens, i = [], 0
        while path[i:].strip():
            m = _TOKENS.match(path, i)
            if not m:
                raise Unsupported(path[i:i + 20])
            literal, op, attr, name, star = m.groups()
            if literal is not None:
                tokens.append(("lit", literal[1:-1]))
            elif attr is not None:
                tokens.append(("attr", attr))
            elif name is not None:
                tokens.append(("name", name))
            else:
                tokens.append(("op", op or star))
            i = m.end()
        return tokens

    def peek(self, kind: str, value: str | None = None) -> bool:
        if self.i >= len(self.tokens):
            return False
        k, v = self.tokens[self.i]
        return k == kind and (value is None or v == value)

    def take(self, kind: str, value: str | None = None) -> str:
        if not self.peek(kind, value):
            raise Unsupported(f"expected {value or kind} in {self.path!r}")
        self.i += 1
        return self.tokens[self.i - 1][1]

    def step(self) -> tuple[tuple[str, ...], list, bool]:
        """.//tag or .//*, then [predicate]...: (tags, tests, whether a last [1] follows)."""
        self.take("op", ".//")
        if self.peek("op", "*"):
            self.i += 1
            tags: tuple[str, ...] = ()
        else:
            tags = (self.take("name"),)
        tests = []
        while self.peek("op", "["):
            self.i += 1
            if self.peek("name", "1") and self.tokens[self.i + 1:self.i + 2] == [("op", "]")]:
                self.i += 2
                return tags, tests, True
            tests.append(self.or_expr())
            self.take("op", "]")
        return tags, tests, False

    def scan(self) -> Scan:
        tags, tests, first = self.step()
        if first or self.i != len(self.tokens):
            raise Unsupported(f"more than a step and its predicates in {self.path!r}")
        return Scan(self.path, *_tags_first(tags, tests), tuple(self.attrs))

    def first_scan(self) -> Scan:
        """step, (step)[1], step[1], and unions of them, as one scan for the first match."""
        parts = [self.located()]
        while self.peek("op", "|"):
            self.i += 1
            parts.append(self.located())
        if self.i != len(self.tokens):
            raise Unsupported(f"more than a union of steps in {self.path!r}")
        if len(parts) == 1:
            tags, tests = parts[0]
        else:  # an element is in the union when it is one part's tag and passes its tests
            tags = tuple(dict.fromkeys(t for part_tags, _ in parts for t in part_tags))
            if not all(part_tags for part_tags, _ in parts):
                tags = ()
            tests = [("or", [("and", [("or", [("self", t) for t in part_tags])] * bool(part_tags) + part_tests)
                             for part_tags, part_tests in parts])]
        return Scan(self.path, tags, tests, tuple(self.attrs), first=True)

    def located(self) -> tuple[tuple[str, ...], list]:
        if self.peek("op", "("):
            self.i += 1
            tags, tests, first = self.step()
            self.take("op", ")")
            for token in (("op", "["), ("name", "1"), ("op", "]")):
                self.take(*token)
            if first:
                raise Unsupported("a position inside and outside the parentheses")
        else:
            tags, tests, _ = self.step()
        return _tags_first(tags, tests)

    def or_expr(self):
        return self._joined("or", self.and_expr)

    def and_expr(self):
        return self._joined("and", self.comparison)

    def _joined(self, word: str, part):
        parts = [part()]
        while self.peek("name", word):
            self.i += 1
            parts.append(part())
        return parts[0] if len(parts) == 1 else (word, parts)

    def comparison(self):
        left = self.primary()
        if not self.peek("op", "="):
            return left
        self.i += 1
        if left[0] not in _STRING_KINDS:
            raise Unsupported("a comparison of something other than an attribute's string")
        return ("eq", left, self.take("lit"))

    def primary(self):
        if self.peek("op", "("):
            self.i += 1
            inner = self.or_expr()
            self.take("op", ")")
            return inner
        if self.peek("attr"):
            names = [self.take("attr")]
            while self.peek("op", "|"):
                self.i += 1
                names.append(self.take("attr"))
            for n in names:
                if n not in self.attrs:
                    self.attrs.append(n)
            return ("attrs", tuple(names))
        if self.peek("op", ".//"):
            self.i += 1
            tag = self.take("name")
            if self.peek("op", "[") or self.peek("op", "::") or self.peek("op", "("):
                raise Unsupported("a descendant step with more than a name")
            return ("inside", tag)
        name = self.take("name")
        if name == "self":
            self.take("op", "::")
            return ("self", self.take("name"))
        self.take("op", "(")
        args = [self.argument()]
        while self.peek("op", ","):
            self.i += 1
            args.append(self.argument())
        self.take("op", ")")
        return self.function(name, args)

    def argument(self):
        return ("literal", self.take("lit")) if self.peek("lit") else self.or_expr()

    def function(self, name: str, args: list):
        def string(arg):
            if arg[0] not in _STRING_KINDS:
                raise Unsupported(f"{name}() of something other than an attribute's string")
            return arg

        def literal(arg) -> str:
            if arg[0] != "literal":
                raise Unsupported(f"{name}() with a computed argument")
            return arg[1]

        if name == "not" and len(args) == 1 and args[0][0] != "literal":
            return ("not", args[0])
        if name in ("contains", "starts-with") and len(args) == 2:
            return (name, string(args[0]), literal(args[1]))
        if name == "translate" and len(args) == 3:
            source, target = literal(args[1]), literal(args[2])
            if len(source) != len(target):
                raise Unsupported("translate() that deletes characters")
            return ("translate", string(args[0]), (source, target))
        if name == "re:test" and len(args) in (2, 3):
            flags = literal(args[2]) if len(args) == 3 else ""
            if set(flags) - {"i"}:
                raise Unsupported(f"re:test() flags {flags!r}")
            # lxml's EXSLT re:test: Python's re.search, on '' for a missing attribute (a
            # pattern Python cannot compile raises re.error: that XPath stays as it is)
            return ("re", string(args[0]), re.compile(literal(args[1]), re.I if flags else 0))
        raise Unsupported(f"the function {name}()")
