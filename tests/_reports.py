"""Inputs for every report renderer, built from the repository's own data (no network, fixed
seeds), and the renderings the golden test compares byte for byte."""

from __future__ import annotations

import contextlib
import itertools
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "data" / "reports"
CORPUS = Path("tests") / "data" / "exchanges" / "sample.jsonl"  # relative: stable in reports


def _gate() -> object:
    from contracts.findings import Finding, Severity, Violation
    from contracts.gate import CaseResult, GateResult, Selection, StageResult
    from contracts.suites import OperationOutcome, SuiteResult

    finding = Finding("specs/eka.yaml", 12, "/paths/~1x", "schema.invalid", "bad | thing",
                      Severity.WARNING)
    violation = Violation(api="eka", operation="getSession", code="response.body.schema",
                          message="'x' is not of type 'integer'", location="response.body",
                          pointer="/a", severity=Severity.ERROR)
    lint = StageResult("lint", (CaseResult("lint", "eka", False, "1 finding", (finding,), 0.5),),
                       0.5)
    suites = StageResult("suites", (
        CaseResult("suites", "eka.getSession.contracts_conformance", False, "1 violation",
                   seconds=1.25, violations=(violation,), details=("seed 7",)),
        CaseResult("suites", "eka.listSessions.contracts_conformance", True, "ok"),
        CaseResult("suites", "eka.deleteSession.contracts_conformance", True, "not run",
                   skipped="read-only run"),
        CaseResult("suites", "heidi.boom", False, "crashed", error="RuntimeError: <boom>"),
    ), 2.0)
    outcome = OperationOutcome("getSession", "GET /sessions/{id}", requests=3,
                               statuses=Counter({200: 2, 404: 1}),
                               phases=Counter({"examples": 1, "fuzzing": 2}))
    suite = SuiteResult("eka", 7, False, {"getSession": outcome},
                        ("getSession", "listSessions", "deleteSession"), seconds=2.0,
                        deselected=("deleteSession",), phases={"examples": "success"})
    skipped = SuiteResult("heidi", 7, False, {}, ("getSession",), not_run="selection")
    selection = Selection(include=("eka:get*",), exclude=("delete*",),
                          not_run={"heidi": "selection"})
    return GateResult(("eka", "heidi"), 7, (lint, suites), (suite, skipped), selection,
                      ("examples", "fuzzing"))


def _spec_pair(tmp: Path) -> tuple[Path, Path]:
    text = (ROOT / "specs" / "eka.yaml").read_text("utf-8")
    changed = text.replace("enum: [dictation, consultation]", "enum: [dictation]", 1)
    changed = changed.replace("enum: [lite, pro]", "enum: [lite, pro, max]", 1)
    changed = changed.replace("type: integer", "type: string", 1)
    old, new = tmp / "old.yaml", tmp / "new.yaml"
    old.write_text(text, "utf-8")
    new.write_text(changed, "utf-8")
    return old, new


def renderings(tmp: Path) -> dict[str, Callable[[], str]]:
    """Every renderer over the inputs above, by golden file name. Run from the repo root."""
    from contracts import reporting as r
    from contracts.corpus import validate_corpus
    from contracts.drift import diff_specs, traffic_drift
    from contracts.exchanges import read_exchanges
    from contracts.findings import Severity
    from contracts.speclint import lint

    findings = lint(Path("tests") / "data" / "lint" / "codes" / "example.invalid.yaml")
    report = validate_corpus("eka", [CORPUS], strict=True)
    heidi = validate_corpus("heidi", [CORPUS], strict=True)
    _spec_pair(tmp)
    with contextlib.chdir(tmp):  # the reports name the specs as given: keep them relative
        diff = diff_specs("old.yaml", "new.yaml")
    traffic = traffic_drift("heidi", itertools.chain(read_exchanges(CORPUS)),
                            sources=[str(CORPUS)], collect_values=True)
    gate = _gate()
    out: dict[str, Callable[[], str]] = {
        "findings.txt": lambda: r.findings_text(findings),
        "findings.json": lambda: r.findings_json(findings),
        "gate.json": lambda: r.gate_json(gate),  # type: ignore[arg-type]
        "gate.xml": lambda: r.gate_junit(gate),  # type: ignore[arg-type]
        "gate.md": lambda: r.gate_markdown(gate),  # type: ignore[arg-type]
        "gate.sarif": lambda: r.gate_sarif(gate),  # type: ignore[arg-type]
        "gate.html": lambda: r.gate_html(gate),  # type: ignore[arg-type]
        "diff.txt": lambda: r.drift_table(diff),
        "diff.color.txt": lambda: r.drift_table(diff, color=True, width=120),
        "diff.md": lambda: r.drift_markdown(diff),
        "diff.json": lambda: r.drift_json(diff),
        "diff.xml": lambda: r.drift_junit(diff, fail_on=Severity.WARNING),
        "diff.sarif": lambda: r.drift_sarif(diff),
        "diff.html": lambda: r.drift_html(diff),
        "traffic.txt": lambda: r.traffic_table(traffic),
        "traffic.values.txt": lambda: r.traffic_table(traffic, show_values=True, color=True),
        "traffic.md": lambda: r.traffic_markdown(traffic, show_values=True),
        "traffic.json": lambda: r.traffic_json(traffic),
        "traffic.xml": lambda: r.traffic_junit(traffic, fail_on=Severity.INFO),
        "traffic.sarif": lambda: r.traffic_sarif(traffic),
        "traffic.html": lambda: r.traffic_html(traffic, show_values=True),
    }
    for name, rep in (("eka", report), ("heidi", heidi)):
        out.update({
            f"violations.{name}.txt": lambda rep=rep: r.violations_text(rep),
            f"violations.{name}.json": lambda rep=rep: r.violations_json(rep, show_values=True),
            f"violations.{name}.xml": lambda rep=rep: r.violations_junit(
                rep, fail_on=Severity.WARNING),
            f"violations.{name}.sarif": lambda rep=rep: r.violations_sarif(rep),
        })
    return out
