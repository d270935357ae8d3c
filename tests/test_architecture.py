"""The layers of ARCHITECTURE.md hold: no module imports from a layer above its own, no import
cycles, no module reaches into another's private names, modules and functions stay small, the
engine libraries have one importer each, and the public surface is exactly ``__all__``."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import contracts

SRC = Path(contracts.__file__).parent

LAYERS = {
    "errors": 0, "findings": 0, "_spec_checks": 0, "_loading": 0, "_typing": 0, "_pointers": 0,
    "_media": 0, "_git": 0, "_refs": 0, "_oas30": 0, "_text": 0, "_sqlite": 0, "_secrets": 0,
    "specs": 1, "vendors": 1, "_exchange": 1, "_spec_names": 1,
    "_schema": 2, "_strict": 2, "_compiled": 2,
    "validation": 2, "invariants": 2, "speclint": 2, "codegen": 2, "diff": 2,
    "drift": 2,
    "models": 2,
    "exchanges": 3, "redaction": 3, "mock": 3, "gate": 3, "suites": 3,
    "recording": 3, "corpus": 3, "proxy": 3, "_serving": 3, "config": 3,
    "gate_history": 3, "_seeding": 3, "known_params": 3, "accumulate": 3, "parallel": 3,
    "dask_runner": 3,
    "reporting": 4,
    "cli": 5, "_cli_errors": 5, "_cli_gate": 5, "_cli_scale": 5, "pytest_plugin": 5,
    "__main__": 5,
}

# Modules still waiting for a split (none since drift.py and mock/ were split).
BEING_SPLIT: set[str] = set()
CYCLES_BEING_SPLIT: set[frozenset[str]] = set()
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80

# Third-party libraries that only one module (or package) may import.
OWNERS = {"yaml": {"_loading"}, "jsonschema_rs": {"_schema"}, "deepdiff": {"diff"},
          "schemathesis": {"suites"}, "referencing": {"_refs"},
          "distributed": {"dask_runner"}, "fsspec": {"parallel", "dask_runner"}}


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "_bundled" not in p.parts)


def _top(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    return rel.parts[0] if rel.parts[0] != "__init__" else "__init__"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    depth_of_package = len(path.relative_to(SRC).parts) - 1
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level - 1 > depth_of_package:
                    continue
                base = node.module or ""
                if node.level - 1 == depth_of_package or depth_of_package == 0:
                    found.add("contracts." + base if base else "contracts")
                    if not base:
                        found.update("contracts." + a.name for a in node.names)
                else:
                    parent = path.relative_to(SRC).parts[0]
                    found.add(f"contracts.{parent}.{base}" if base else f"contracts.{parent}")
            elif node.module:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_upward_imports(path: Path) -> None:
    me = _top(path)
    if me == "__init__":
        return  # the package root re-exports the public API of every layer
    assert me in LAYERS, f"{me} is not placed in a layer (ARCHITECTURE.md)"
    for name in _imports(path):
        if not name.startswith("contracts."):
            continue
        target = name.split(".")[1]
        if target == me or target not in LAYERS:
            continue
        assert LAYERS[target] <= LAYERS[me], (
            f"{path.name} ({me}, layer {LAYERS[me]}) imports {name} (layer {LAYERS[target]})")


@pytest.mark.parametrize(("library", "owners"), sorted(OWNERS.items()))
def test_engine_libraries_have_one_importer(library: str, owners: set[str]) -> None:
    importers = {_top(p) for p in _modules()
                 if any(n == library or n.startswith(library + ".") for n in _imports(p))}
    assert importers <= owners, f"{library} imported by {sorted(importers - owners)}"


def test_public_surface_is_all() -> None:
    for name in contracts.__all__:
        getattr(contracts, name)  # every lazy name resolves
    # pytest's assertion rewriting adds "@py_builtins"-style globals to an installed package
    # that ships a pytest11 plugin: not identifiers, not names anyone can import.
    public = {n for n in dir(contracts) if not n.startswith("_") and n.isidentifier()}
    submodules = {p.stem if p.stem != "__init__" else p.parent.name for p in _modules()}
    exported = set(contracts.__all__)
    assert exported <= public
    assert public - exported - submodules == set(), "public names missing from __all__"
    assert len(contracts.__all__) == len(exported), "duplicates in __all__"


def test_importing_contracts_loads_no_engine() -> None:
    import subprocess
    import sys

    code = ("import sys, contracts; heavy = [m for m in ('jsonschema_rs', 'schemathesis', "
            "'starlette', 'uvicorn', 'datamodel_code_generator', 'deepdiff', 'rich', 'yaml', "
            "'pydantic', 'httpx') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]", out


def test_public_functions_are_not_shadowed_by_submodules() -> None:
    """A lazy name must not share its name with a submodule: importing the submodule would
    rebind the package attribute to the module (``contracts.lint`` once did)."""
    import importlib
    import subprocess
    import sys

    code = ("import importlib, contracts, sys\n"
            "for p in __import__('pkgutil').iter_modules(contracts.__path__):\n"
            "    if not p.name.startswith('__'):\n"
            "        importlib.import_module('contracts.' + p.name)\n"
            "bad = [n for n in contracts.__all__ if type(getattr(contracts, n)).__name__ "
            "== 'module']\n"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]", out
    assert callable(importlib.import_module("contracts").lint)


def test_layer_table_matches_the_tree() -> None:
    """Every module and package is placed in a layer, and the table names nothing that is
    not there (it once listed modules that did not exist)."""
    tops = {_top(p) for p in _modules()} - {"__init__"}
    assert set(LAYERS) == tops, (f"not placed: {sorted(tops - set(LAYERS))}; "
                                 f"placed but missing: {sorted(set(LAYERS) - tops)}")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports, at any depth (imports inside functions
    included: a cycle through a lazy import is still a cycle of concepts)."""
    known = {_module_name(p): p for p in _modules()}

    def nearest(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[:len(package) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [f"{module}.{a.name}" for a in node.names
                           if f"{module}.{a.name}" in known]
                deps.update(targets or filter(None, [nearest(module)]))
            elif isinstance(node, ast.Import):
                deps.update(filter(None, (nearest(a.name) for a in node.names)))
        deps.discard(name)
        deps.discard("contracts")  # the package root re-exports lazily: importing it is free
        graph[name] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in sorted(graph):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return found


def test_no_import_cycles() -> None:
    cycles = [sorted(c) for c in _cycles(_graph()) if c not in CYCLES_BEING_SPLIT]
    assert cycles == [], f"import cycles: {cycles}"


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [frozenset({"a", "b", "c"})]


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined(tree: ast.AST) -> set[str]:
    """Names a module defines: functions, classes, assignments, ``self.x`` attributes."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        for t in targets:
            if isinstance(t, ast.Name):
                names.add(t.id)
            elif isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and \
                    t.value.id in ("self", "cls"):
                names.add(t.attr)
    return names


def _private_reaches(path: Path, tree: ast.AST, others: set[str]) -> Iterator[str]:
    mine = _defined(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").startswith("contracts")):
            yield from (f"line {node.lineno}: imports {a.name}" for a in node.names
                        if _private(a.name))
        elif isinstance(node, ast.Attribute) and _private(node.attr) and \
                node.attr not in mine and node.attr in others and not (
                    isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            yield f"line {node.lineno}: uses {ast.unparse(node)}"


def test_no_module_reaches_into_another_modules_private_names() -> None:
    """``from contracts.x import _y``, ``x._y`` or ``obj._y`` where ``_y`` is another
    module's private name (it once called ``Validator._response_node`` from ``suites``)."""
    trees = {p: ast.parse(p.read_text("utf-8")) for p in _modules()}
    private_of = {p: {n for n in _defined(t) if _private(n)} for p, t in trees.items()}
    problems = []
    for path, tree in trees.items():
        others = set().union(*(names for p, names in private_of.items() if p != path))
        problems += [f"{path.relative_to(SRC)} {what}"
                     for what in _private_reaches(path, tree, others)]
    assert problems == []


def test_private_reach_is_detected() -> None:
    tree = ast.parse("from contracts.validation import _escape\n"
                     "def f(v):\n    return v._response_node(1), v._mine\n"
                     "class C:\n    def g(self):\n        self._mine = self._other\n")
    found = list(_private_reaches(SRC / "x.py", tree, {"_response_node", "_other"}))
    assert found == ["line 1: imports _escape", "line 3: uses v._response_node"]


def _too_big(path: Path) -> Iterator[str]:
    text = path.read_text("utf-8")
    lines = len(text.splitlines())
    if lines > MAX_MODULE_LINES:
        yield f"{lines} lines (limit {MAX_MODULE_LINES})"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                yield f"{node.name}() is {length} lines (limit {MAX_FUNCTION_LINES})"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_modules_and_functions_stay_small(path: Path) -> None:
    if path.relative_to(SRC).as_posix() in BEING_SPLIT:
        pytest.skip("being split on another branch (arch-drift / arch-mock)")
    assert list(_too_big(path)) == []
