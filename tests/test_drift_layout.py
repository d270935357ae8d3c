"""The spec diff (``contracts.diff``) and traffic drift (``contracts.drift``) packages keep
their shape: one importer of deepdiff, small modules and functions, and every name the old
``contracts.drift`` module exported still imports from there."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import contracts

SRC = Path(contracts.__file__).parent
PACKAGES = ("diff", "drift")
MODULES = sorted(p for name in PACKAGES for p in (SRC / name).glob("*.py"))

# What ``contracts.drift`` exported when it was one module: all of it stays importable there.
OLD_DRIFT_ALL = {"DEFAULT_VOLATILE_KEYS", "RULES", "TRAFFIC_RULES", "HistoryMark", "ReadIssue",
                 "Resolved", "SpecDiff", "TrafficReport", "TrendPoint", "VolatileRules",
                 "Waiver", "apply_waivers", "baseline_drift", "diff_specs", "fold_pointer",
                 "iter_spec_changes", "load_waivers", "rank_changes", "rank_traffic",
                 "record_history", "suggest_spec", "traffic_drift"}
SPEC_DIFF = {"RULES", "SpecDiff", "diff_specs", "iter_spec_changes", "rank_changes"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
    return found


def test_deepdiff_is_imported_by_the_adapter_only() -> None:
    importers = {p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")
                 if "deepdiff" in _imports(p)}
    assert importers == {"diff/adapter.py"}


def test_old_drift_names_still_import_from_contracts_drift() -> None:
    drift = importlib.import_module("contracts.drift")
    diff = importlib.import_module("contracts.diff")
    # issue 20 added the mergeable accumulator and its report
    assert set(drift.__all__) == OLD_DRIFT_ALL | {"DriftAccumulator", "TrafficAnalyser",
                                                  "drift_report"}
    for name in OLD_DRIFT_ALL:
        assert getattr(drift, name) is not None
    assert set(diff.__all__) == SPEC_DIFF
    for name in SPEC_DIFF:  # one object, two import paths
        assert getattr(drift, name) is getattr(diff, name)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(SRC).as_posix())
def test_modules_and_functions_stay_small(path: Path) -> None:
    text = path.read_text("utf-8")
    assert len(text.splitlines()) <= 800, "a module over 800 lines holds more than one concept"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= 80, f"{node.name} is {length} lines"
