"""The layers of ARCHITECTURE.md hold: no module imports from a layer above its own, the
engine libraries have one importer each, and the public surface is exactly ``__all__``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import contracts

SRC = Path(contracts.__file__).parent

LAYERS = {
    "errors": 0, "findings": 0, "_loading": 0, "_typing": 0,
    "specs": 1, "vendors": 1,
    "_schema": 2, "validation": 2, "invariants": 2, "speclint": 2, "codegen": 2, "diff": 2,
    "drift": 2,
    "models": 2,
    "exchanges": 3, "redaction": 3, "mock": 3, "gate": 3, "reporting": 3, "suites": 3,
    "recording": 3, "corpus": 3, "proxy": 3, "_serving": 3,
    "cli": 4, "pytest_plugin": 4, "__main__": 4,
}

# Third-party libraries that only one module (or package) may import.
OWNERS = {"yaml": {"_loading"}, "jsonschema_rs": {"_schema"}, "deepdiff": {"diff"},
          "schemathesis": {"suites"}}


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
