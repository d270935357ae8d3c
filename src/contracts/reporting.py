"""Rendering records as text, JSON, JUnit XML and Markdown. Pure functions of their input."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from xml.etree import ElementTree as ET

from .corpus import CorpusReport, Record
from .findings import Finding, Severity
from .gate import GateResult

__all__ = [
    "findings_json",
    "findings_text",
    "gate_json",
    "gate_junit",
    "gate_markdown",
    "violations_json",
    "violations_junit",
    "violations_sarif",
    "violations_text",
]


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


# -- violations (validate, and later drift) ---------------------------------------------------

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _where(record: Record) -> str:
    line = f":{record.line}" if record.line is not None else ""
    return f"{record.source}{line}"


def violations_text(report: CorpusReport, *, show_values: bool = False) -> str:
    lines = [f"{_where(r)}: {r.violation.severity.label}: "
             f"{r.violation.describe(show_values=show_values)}" for r in report.records]
    lines += [f"{p.source}{f':{p.line}' if p.line is not None else ''}: unreadable: {p.message}"
              for p in report.problems]
    counts = ", ".join(f"{n} {s.label}" for s, n in _counts(report).items() if n)
    lines.append(f"{report.exchanges} exchange(s) checked: "
                 f"{counts or 'no violations'}"
                 + (f"; {len(report.problems)} unreadable" if report.problems else ""))
    return "\n".join(lines) + "\n"


def _counts(report: CorpusReport) -> dict[Severity, int]:
    counts = dict.fromkeys(sorted(Severity, reverse=True), 0)
    for record in report.records:
        counts[record.violation.severity] += 1
    return counts


def violations_json(report: CorpusReport, *, show_values: bool = False) -> str:
    return json.dumps({
        "exchanges": report.exchanges,
        "violations": [dict(r.violation.as_dict(show_values=show_values), source=r.source,
                            line=r.line) for r in report.records],
        "unreadable": [{"source": p.source, "line": p.line, "message": p.message}
                       for p in report.problems],
    }, indent=2, default=str) + "\n"


def violations_junit(report: CorpusReport, *, fail_on: Severity,
                     show_values: bool = False) -> str:
    """One test case per (operation, code); failures list every occurrence."""
    groups: dict[tuple[str, str], list[Record]] = {}
    for record in report.records:
        v = record.violation
        groups.setdefault((f"{v.api}.{v.operation or 'unknown'}", v.code), []).append(record)
    suite = ET.Element("testsuite", name="contracts validate", tests=str(max(len(groups), 1)))
    failures = 0
    for (classname, code), records in sorted(groups.items()):
        case = ET.SubElement(suite, "testcase", classname=classname, name=code)
        worst = max(r.violation.severity for r in records)
        text = "\n".join(f"{_where(r)}: {r.violation.describe(show_values=show_values)}"
                         for r in records)
        if worst >= fail_on:
            failures += 1
            ET.SubElement(case, "failure", message=f"{len(records)} x {code}").text = text
        else:
            ET.SubElement(case, "system-out").text = text
    for problem in report.problems:
        case = ET.SubElement(suite, "testcase", classname="contracts.input",
                             name=f"{problem.source}:{problem.line}")
        ET.SubElement(case, "error", message=problem.message)
    if not groups and not report.problems:
        ET.SubElement(suite, "testcase", classname="contracts.validate",
                      name=f"{report.exchanges} exchange(s)")
    suite.set("failures", str(failures))
    suite.set("errors", str(len(report.problems)))
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def violations_sarif(report: CorpusReport, *, show_values: bool = False) -> str:
    """SARIF 2.1.0 for code scanning: one result per violation, rules by code."""
    rules: dict[str, dict[str, object]] = {}
    results = []
    for record in report.records:
        v = record.violation
        rules.setdefault(v.code, {"id": v.code, "name": v.code.replace(".", "_"),
                                  "shortDescription": {"text": v.code}})
        location: dict[str, object] = {"artifactLocation": {"uri": record.source}}
        if record.line is not None:
            location["region"] = {"startLine": record.line}
        results.append({
            "ruleId": v.code,
            "level": _SARIF_LEVEL[v.severity],
            "message": {"text": v.describe(show_values=show_values)},
            "locations": [{"physicalLocation": location}],
            "partialFingerprints": {"contractsKey": "/".join(v.key)},
        })
    return json.dumps({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "scribe-contracts",
                                "rules": sorted(rules.values(), key=lambda r: str(r["id"]))}},
            "results": results,
        }],
    }, indent=2, default=str) + "\n"
