"""Rendering records as text, JSON, JUnit XML and Markdown. Pure functions of their input."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from xml.etree import ElementTree as ET

from .findings import Finding
from .gate import GateResult

__all__ = ["findings_json", "findings_text", "gate_json", "gate_junit", "gate_markdown"]


def findings_text(findings: Sequence[Finding]) -> str:
    lines = [f"{f.location}: {f.severity.label}: {f.code}: {f.message}" for f in findings]
    lines.append(f"{len(findings)} finding(s)" if findings else "no findings")
    return "\n".join(lines) + "\n"


def findings_json(findings: Iterable[Finding]) -> str:
    return json.dumps([f.as_dict() for f in findings], indent=2) + "\n"


def gate_json(result: GateResult) -> str:
    return json.dumps({
        "passed": result.passed,
        "seed": result.seed,
        "apis": list(result.apis),
        "stages": [{
            "name": stage.name,
            "passed": stage.passed,
            "seconds": round(stage.seconds, 3),
            "cases": [{
                "name": case.name,
                "passed": case.passed,
                "summary": case.summary,
                "error": case.error,
                "findings": [f.as_dict() for f in case.findings],
            } for case in stage.cases],
        } for stage in result.stages],
    }, indent=2) + "\n"


def gate_junit(result: GateResult) -> str:
    suites = ET.Element("testsuites", name="contracts gate")
    total = failures = errors = 0
    for stage in result.stages:
        suite = ET.SubElement(suites, "testsuite", name=stage.name,
                              tests=str(len(stage.cases)), time=f"{stage.seconds:.3f}")
        s_fail = s_err = 0
        for case in stage.cases:
            el = ET.SubElement(suite, "testcase", classname=f"contracts.{stage.name}",
                               name=case.name, time=f"{case.seconds:.3f}")
            if case.error:
                s_err += 1
                ET.SubElement(el, "error", message=case.error[:500]).text = case.error
            elif not case.passed:
                s_fail += 1
                detail = "\n".join(f"{f.location}: {f.severity.label}: {f.code}: {f.message}"
                                   for f in case.findings)
                ET.SubElement(el, "failure", message=case.summary[:500]).text = detail
            elif case.findings:
                ET.SubElement(el, "system-out").text = "\n".join(
                    f"{f.location}: {f.severity.label}: {f.code}: {f.message}"
                    for f in case.findings)
        suite.set("failures", str(s_fail))
        suite.set("errors", str(s_err))
        total += len(stage.cases)
        failures += s_fail
        errors += s_err
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("errors", str(errors))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def gate_markdown(result: GateResult) -> str:
    verdict = "passed" if result.passed else "FAILED"
    lines = [f"## contracts gate: {verdict}", "",
             f"APIs: {', '.join(result.apis)} · seed {result.seed}", "",
             "| stage | case | result | summary |", "|---|---|---|---|"]
    for case in result.cases:
        mark = "pass" if case.passed else ("error" if case.error else "FAIL")
        lines.append(f"| {case.stage} | {_cell(case.name)} | {mark} | {_cell(case.summary)} |")
    failing = [(c, f) for c in result.cases if not c.passed for f in c.findings]
    if failing:
        lines += ["", "### Findings", ""]
        for case, f in failing[:200]:
            lines.append(f"- `{case.name}` `{f.code}` {f.severity.label}: "
                         f"{_cell(f.message)} ({_cell(f.location)})")
        if len(failing) > 200:
            lines.append(f"- … and {len(failing) - 200} more (see report.json)")
    return "\n".join(lines) + "\n"
