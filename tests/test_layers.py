"""The package's shape: imports point down (cli -> crawl -> spiders -> extract -> normalize;
pipelines and middlewares -> store; export and browse -> store), and no module imports
itself back through another. Imports inside functions count too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "archiver"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(module: str) -> set[str]:
    """The archiver modules `module` imports, anywhere in it (`from pkg import sub` is `pkg.sub`)."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            subs = {f"{node.module}.{a.name}" for a in node.names} & MODULES.keys()
            found |= subs or {node.module}
    return {name for name in found if name in MODULES and name != module}


def external_imports_of(module: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found - {"archiver"}


def within(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


# module prefix -> the only archiver modules it may import (besides its own package)
ALLOWED = {
    # The clock (ARCHIVER_NOW) is the bottom: anything may read the time from it.
    "archiver.clock": (),
    # So is the garbage collector's setting for long runs.
    "archiver.collector": (),
    # And what runs keep between runs (the folder, its trust and atomic-write rules): the
    # language detector keeps its unpacked model there. And zstd's import.
    "archiver.cachedir": (),
    "archiver.zstdlib": (),
    "archiver.normalize": ("archiver.clock",),
    "archiver.extract": ("archiver.normalize", "archiver.record", "archiver.clock", "archiver.cachedir"),
    # The writer measures changes (diff) and moves watch schedules on (revisits): pure both.
    "archiver.store": ("archiver.record", "archiver.syndication", "archiver.clock", "archiver.diff",
                       "archiver.revisits", "archiver.zstdlib"),
    "archiver.syndication": ("archiver.normalize",),
    "archiver.export": ("archiver", "archiver.record", "archiver.warc", "archiver.clock", "archiver.diff"),
    "archiver.warc": ("archiver.clock",),
    "archiver.wacz": ("archiver.warc", "archiver.export"),
    "archiver.browse": ("archiver.browse_plugin", "archiver.store", "archiver.record"),
    # The UI's pages read through the store, diff with the CLI's diff, and write CSV
    # cells with the export's rule.
    "archiver.browse_plugin": ("archiver.store", "archiver.record", "archiver.diff", "archiver.export"),
    "archiver.diff": ("archiver.record",),
    "archiver.spiders": ("archiver.extract", "archiver.normalize", "archiver.record", "archiver.items",
                         "archiver.seeds", "archiver.revisits", "archiver.sources", "archiver.workers", "archiver.clock"),
    "archiver.seeds": ("archiver.normalize",),
    "archiver.revisits": (),
    "archiver.record": ("archiver.normalize",),
    "archiver.sources": ("archiver.record", "archiver.diff"),
    "archiver.items": (),
    # Imports and re-extraction: captures read, extracted in the crawl's pool, written by its writer.
    "archiver.imports": ("archiver.extract", "archiver.normalize", "archiver.record", "archiver.store",
                         "archiver.workers", "archiver.clock", "archiver.collector"),
}
# Who may import a module at all (besides its own package).
IMPORTED_ONLY_BY = {
    "archiver.cli": ("archiver.__main__",),
    "archiver.crawl": ("archiver.cli", "archiver.distributed"),
    "archiver.distributed": ("archiver.cli",),
}


def test_the_import_scan_sees_lazy_imports():
    assert "archiver.store.queries" in imports_of("archiver.cli.read_cmd")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    own = module.split(".")[1] if "." in module else module
    for prefix, allowed in ALLOWED.items():
        if within(module, prefix):
            wrong = {i for i in imports_of(module)
                     if not within(i, f"archiver.{own}", *allowed) and i != "archiver"}
            assert not wrong, f"{module} imports {sorted(wrong)}; it may import only {allowed}"
    for target, importers in IMPORTED_ONLY_BY.items():
        if within(module, target, *importers):
            continue
        wrong = {i for i in imports_of(module) if within(i, target)}
        assert not wrong, f"{module} imports {sorted(wrong)}, which only {importers} may import"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, "archiver.extract", "archiver.normalize",
                                                                        "archiver.seeds", "archiver.revisits",
                                                                        "archiver.record", "archiver.warc",
                                                                        "archiver.syndication", "archiver.clock")))
def test_the_pure_core_imports_neither_scrapy_nor_sqlite(module):
    assert not external_imports_of(module) & {"scrapy", "twisted", "sqlite3", "sqlite_utils", "redis"}


def test_no_import_cycles():
    graph = {m: imports_of(m) for m in MODULES}
    cycles = []

    def visit(module, path):
        for dep in graph[module]:
            if dep in path:
                cycles.append(path[path.index(dep):] + [dep])
            elif dep not in done:
                visit(dep, path + [dep])
        done.add(module)

    done: set[str] = set()
    for module in graph:
        if module not in done:
            visit(module, [module])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
