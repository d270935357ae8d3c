"""Rendering records as text, JSON, JUnit XML and Markdown. Pure functions of their input."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from typing import Any
from xml.etree import ElementTree as ET

from .corpus import CorpusReport, Record
from .diff import RULES, SpecDiff
from .drift import TrafficReport
from .findings import Finding, Severity, TrafficDrift
from .gate import CaseResult, GateResult
from .suites import PHASES

__all__ = [
    "drift_html",
    "drift_json",
    "drift_junit",
    "drift_markdown",
    "drift_sarif",
    "drift_table",
    "findings_json",
    "findings_text",
    "gate_html",
    "gate_json",
    "gate_junit",
    "gate_markdown",
    "gate_sarif",
    "traffic_html",
    "traffic_json",
    "traffic_junit",
    "traffic_markdown",
    "traffic_sarif",
    "traffic_table",
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


def _case_lines(case: CaseResult, *, show_values: bool = False) -> list[str]:
    lines = [f"{f.location}: {f.severity.label}: {f.code}: {f.message}" for f in case.findings]
    lines += [v.describe(show_values=show_values) for v in case.violations]
    lines += list(case.details)
    return lines


def _mark(case: CaseResult) -> str:
    if case.skipped:
        return "skipped"
    return "pass" if case.passed else ("error" if case.error else "FAIL")


def _not_run(result: GateResult) -> dict[str, list[str]]:
    """Operations the suites did not run, by reason (case names without the check suffix)."""
    groups: dict[str, list[str]] = {}
    for case in result.cases:
        if case.stage == "suites" and case.skipped:
            groups.setdefault(case.skipped, []).append(
                case.name.removesuffix(".contracts_conformance"))
    return groups


def _narrowing(result: GateResult) -> dict[str, list[str]]:
    """How the run was narrowed: operation patterns, excluded patterns, phases ({} if not)."""
    parts = {}
    if result.selection is not None:
        if result.selection.include:
            parts["operations"] = list(result.selection.include)
        if result.selection.exclude:
            parts["excluding"] = list(result.selection.exclude)
    if result.phases and tuple(result.phases) != PHASES:
        parts["phases"] = list(result.phases)
    return parts


def gate_json(result: GateResult) -> str:
    selection = result.selection
    return json.dumps({
        "passed": result.passed,
        "seed": result.seed,
        "apis": list(result.apis),
        "selection": None if selection is None else {
            "operations": list(selection.include),
            "exclude_operations": list(selection.exclude),
            "not_run": dict(selection.not_run),
        },
        "phases": list(result.phases),
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
                "violations": [v.as_dict() for v in case.violations],
                "details": list(case.details),
                "skipped": case.skipped,
            } for case in stage.cases],
        } for stage in result.stages],
        "coverage": [{
            "api": suite.api,
            "requests": suite.requests,
            "statuses": {str(k): n for k, n in sorted(suite.statuses.items())},
            "operations": {op: {str(k): n for k, n in sorted(o.statuses.items())}
                           for op, o in sorted(suite.outcomes.items())},
            "documented": list(suite.documented),
            "requests_by_operation": {op: {
                "requests": o.requests,
                "phases": {p: o.phases[p] for p in PHASES if o.phases.get(p)},
            } for op, o in sorted(suite.outcomes.items())},
            "deselected": suite.deselections,
            "not_run": suite.not_run,
            "phases": {p: suite.phases[p] for p in PHASES if p in suite.phases},
        } for suite in result.suites],
    }, indent=2, default=str) + "\n"


def gate_junit(result: GateResult) -> str:
    """One test suite per stage; one test case per API (lint) or operation and check.

    An operation the suites did not run (deselected, or a write on a read-only live run) is
    its check's test case, skipped, with the reason as the message.
    """
    suites = ET.Element("testsuites", name="contracts gate")
    total = failures = errors = 0
    for stage in result.stages:
        suite = ET.SubElement(suites, "testsuite", name=stage.name,
                              tests=str(len(stage.cases)), time=f"{stage.seconds:.3f}")
        s_fail = s_err = s_skip = 0
        for case in stage.cases:
            el = ET.SubElement(suite, "testcase", classname=f"contracts.{stage.name}",
                               name=case.name, time=f"{case.seconds:.3f}")
            if case.error:
                s_err += 1
                ET.SubElement(el, "error", message=case.error[:500]).text = case.error
            elif not case.passed:
                s_fail += 1
                ET.SubElement(el, "failure", message=case.summary[:500]).text = "\n".join(
                    _case_lines(case))
            elif case.skipped:
                s_skip += 1
                ET.SubElement(el, "skipped", message=case.skipped[:500])
            if case.passed and _case_lines(case):
                ET.SubElement(el, "system-out").text = "\n".join(_case_lines(case))
        suite.set("failures", str(s_fail))
        suite.set("errors", str(s_err))
        suite.set("skipped", str(s_skip))
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
    narrowed = "".join(f" · {label} " + ", ".join(f"`{_cell(v)}`" for v in values)
                       for label, values in _narrowing(result).items())
    lines = [f"## contracts gate: {verdict}", "",
             f"APIs: {', '.join(result.apis)} · seed {result.seed}{narrowed}", "",
             "| stage | case | result | summary |", "|---|---|---|---|"]
    for case in result.cases:
        if case.passed and case.stage == "suites":
            continue  # one line per passing operation is noise; coverage summarises them
        lines.append(f"| {case.stage} | {_cell(case.name)} | {_mark(case)} | "
                     f"{_cell(case.summary)} |")
    passing_ops = sum(1 for c in result.cases
                      if c.stage == "suites" and c.passed and not c.skipped)
    if passing_ops:
        lines.append(f"| suites | {passing_ops} operation check(s) | pass | |")
    not_run = _not_run(result)
    if not_run:
        count = sum(len(ops) for ops in not_run.values())
        lines.append(f"| suites | {count} operation(s) not run | skipped | see Not run |")
    failing = [(c, line) for c in result.cases if not c.passed for line in _case_lines(c)]
    if failing:
        lines += ["", "### Failures", ""]
        for case, line in failing[:200]:
            lines.append(f"- `{case.name}`: {_cell(line)}")
        if len(failing) > 200:
            lines.append(f"- … and {len(failing) - 200} more (see report.json)")
    if not_run:
        lines += ["", "### Not run", ""]
        lines += [f"- {_cell(why)}: {', '.join(f'`{op}`' for op in ops)}"
                  for why, ops in not_run.items()]
    return "\n".join(lines) + "\n"


def gate_sarif(result: GateResult) -> str:
    """SARIF 2.1.0: lint findings point into spec files; suite violations at the spec too."""
    rules: dict[str, dict[str, object]] = {}
    results = []
    for case in result.cases:
        for f in case.findings:
            rules.setdefault(f.code, {"id": f.code, "shortDescription": {"text": f.code}})
            region = {"startLine": f.line} if f.line else None
            location: dict[str, object] = {"artifactLocation": {"uri": f.source}}
            if region:
                location["region"] = region
            results.append({"ruleId": f.code, "level": _SARIF_LEVEL[f.severity],
                            "message": {"text": f.message},
                            "locations": [{"physicalLocation": location}]})
        for v in case.violations:
            rules.setdefault(v.code, {"id": v.code, "shortDescription": {"text": v.code}})
            results.append({
                "ruleId": v.code, "level": _SARIF_LEVEL[v.severity],
                "message": {"text": v.describe()},
                "locations": [{"physicalLocation": {"artifactLocation": {
                    "uri": f"specs/{v.api}.yaml"}}}],
                "partialFingerprints": {"contractsKey": "/".join(v.key)},
            })
    # What the run left out is no result, but a code-scanning reader should see it: the
    # invocation's notifications, one per operation not run, with the reason.
    notes = [{"level": "note", "descriptor": {"id": "contracts.gate.not_run"},
              "message": {"text": f"{op}: not run ({why})"}}
             for why, ops in _not_run(result).items() for op in ops]
    invocation = None
    if notes or _narrowing(result):
        invocation = {"executionSuccessful": not any(c.error for c in result.cases),
                      "toolExecutionNotifications": notes,
                      "properties": {"narrowed": _narrowing(result)}}
    return _sarif_log(rules, results, invocation)


def _sarif_log(rules: dict[str, dict[str, object]], results: Sequence[Any],
               invocation: dict[str, object] | None = None) -> str:
    """A SARIF 2.1.0 log of one run of our tool (rules sorted by id, so output is stable)."""
    ordered = sorted(rules.values(), key=lambda r: str(r["id"]))
    run: dict[str, object] = {
        "tool": {"driver": {"name": "scribe-contracts", "rules": ordered}},
        "results": results,
    }
    if invocation is not None:
        run["invocations"] = [invocation]
    return json.dumps({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }, indent=2, ensure_ascii=False, default=str) + "\n"


def _svg_coverage(result: GateResult) -> str:
    """An inline SVG bar per API: operations exercised, split by answer class."""
    rows = []
    y = 0
    for suite in result.suites:
        if suite.not_run is not None:
            rows.append(f'<text x="0" y="{y + 14}">{html.escape(suite.api)}</text>'
                        f'<text x="110" y="{y + 14}">not run</text>')
            y += 44
            continue
        documented = max(len(suite.documented), 1)
        exercised = sum(1 for op in suite.documented
                        if suite.outcomes.get(op) and suite.outcomes[op].requests)
        total = sum(suite.statuses.values()) or 1
        classes = {"2xx": 0, "4xx": 0, "5xx": 0, "other": 0}
        for status, count in suite.statuses.items():
            key = f"{status // 100}xx" if status // 100 in (2, 4, 5) else "other"
            classes[key] += count
        width = 360
        ops_w = int(width * exercised / documented)
        rows.append(f'<text x="0" y="{y + 14}">{html.escape(suite.api)}</text>'
                    f'<rect x="110" y="{y}" width="{width}" height="18" fill="#eee"/>'
                    f'<rect x="110" y="{y}" width="{ops_w}" height="18" fill="#4a8"/>'
                    f'<text x="{120 + width}" y="{y + 14}">{exercised}/{documented} operations'
                    f'</text>')
        x = 110
        for key, colour in (("2xx", "#4a8"), ("4xx", "#e90"), ("5xx", "#d33"),
                            ("other", "#999")):
            w = int(width * classes[key] / total)
            if w:
                rows.append(f'<rect x="{x}" y="{y + 22}" width="{w}" height="10" '
                            f'fill="{colour}"><title>{key}: {classes[key]}</title></rect>')
            x += w
        y += 44
    legend = ('<text x="110" y="{y}" font-size="11">top bar: operations exercised; '
              'bottom bar: answers by class (green 2xx, orange 4xx, red 5xx)</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="640" height="{y + 20}" '
            f'font-family="sans-serif" font-size="13">{"".join(rows)}'
            f'{legend.format(y=y + 12)}</svg>')


def gate_html(result: GateResult) -> str:
    """A self-contained page (no external assets): verdict, coverage chart, every case."""
    verdict = "passed" if result.passed else "FAILED"
    colour = "#2a7" if result.passed else "#c33"
    narrowed = "".join(f" · {label} " + html.escape(", ".join(values))
                       for label, values in _narrowing(result).items())
    rows = []
    for case in result.cases:
        mark = _mark(case)
        detail = "<br>".join(html.escape(line) for line in _case_lines(case)[:50])
        rows.append(f"<tr class='{mark.lower()}'><td>{html.escape(case.stage)}</td>"
                    f"<td>{html.escape(case.name)}</td><td>{mark}</td>"
                    f"<td>{html.escape(case.summary)}<div class='d'>{detail}</div></td></tr>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>contracts gate: {verdict}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
h1 {{ color: {colour}; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left;
         vertical-align: top; }}
tr.fail td, tr.error td {{ background: #fee; }}
tr.skipped td {{ color: #777; }}
.d {{ font-family: monospace; font-size: 12px; color: #555; }}
</style></head>
<body><h1>contracts gate: {verdict}</h1>
<p>APIs: {html.escape(", ".join(result.apis))} · seed {result.seed}{narrowed}</p>
<h2>Coverage</h2>
{_svg_coverage(result) if result.suites else "<p>No suites ran.</p>"}
<h2>Cases</h2>
<table><tr><th>stage</th><th>case</th><th>result</th><th>summary</th></tr>
{"".join(rows)}
</table></body></html>
"""


# -- violations (validate, and later drift) ---------------------------------------------------

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _where(record: Record) -> str:
    return record.location


def violations_text(report: CorpusReport, *, show_values: bool = False) -> str:
    lines = [f"{_where(r)}: {r.violation.severity.label}: "
             f"{r.violation.describe(show_values=show_values)}" for r in report.records]
    lines += [f"{p.location}: unreadable: {p.message}" for p in report.problems]
    counts = ", ".join(f"{n} {s.label}{'s' if n > 1 and s is not Severity.INFO else ''}"
                       for s, n in _counts(report).items() if n)
    lines.append(f"{report.exchanges} exchange(s) checked: "
                 f"{counts or 'no violations'}"
                 + (f"; {len(report.problems)} unreadable" if report.problems else "")
                 + (f"; {sum(report.skipped.values())} skipped (another API: "
                    f"{', '.join(f'{api} {n}' for api, n in report.skipped.items())})"
                    if report.skipped else ""))
    return "\n".join(lines) + "\n"


def _counts(report: CorpusReport) -> dict[Severity, int]:
    counts = dict.fromkeys(sorted(Severity, reverse=True), 0)
    for record in report.records:
        counts[record.violation.severity] += 1
    return counts


def violations_json(report: CorpusReport, *, show_values: bool = False) -> str:
    return json.dumps({
        "exchanges": report.exchanges,
        "skipped": dict(report.skipped),
        "violations": [dict(r.violation.as_dict(show_values=show_values), source=r.source,
                            line=r.line, entry=r.pointer) for r in report.records],
        "unreadable": [{"source": p.source, "line": p.line, "entry": p.pointer,
                        "message": p.message} for p in report.problems],
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
                             name=problem.location)
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
    return _sarif_log(rules, results)


# -- spec drift (contracts diff): table, Markdown, JSON, JUnit, SARIF, HTML ------------------

_DRIFT_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_GRADE_LABEL = {Severity.ERROR: "ERR", Severity.WARNING: "WARN", Severity.INFO: "INFO"}


def _drift_counts(diff: SpecDiff) -> str:
    text = ", ".join(f"{n} {label}" for label, n in _drift_count_map(diff).items() if n)
    return text or "no changes"


def _drift_count_map(diff: SpecDiff) -> dict[str, int]:
    return {_GRADE_LABEL[s]: n for s, n in diff.counts.items()}


def _drift_where(location: str, pointer: str) -> str:
    if not pointer or pointer.startswith("/"):
        return f"{location}{pointer}"
    return f"{location} {pointer}".strip()


def _drift_change(old: str, new: str) -> str:
    if old and new:
        return f"{old} → {new}"
    return f"{old} (removed)" if old else (new or "")


def drift_table(diff: SpecDiff, *, color: bool = False, width: int = 160) -> str:
    """A terminal table (rich); ANSI colours only when ``color`` is true."""
    import io

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color,
                      color_system="standard" if color else None, highlight=False)
    console.print(f"contracts diff: {diff.old} → {diff.new}", markup=False)
    if diff.changes:
        table = Table(show_lines=False)
        table.add_column("grade", no_wrap=True)
        table.add_column("rule", no_wrap=True)
        table.add_column("operation", overflow="fold")
        table.add_column("where", overflow="fold")
        table.add_column("change", overflow="fold")
        for c in diff.changes:
            table.add_row(Text(c.grade_label, style=_DRIFT_STYLE[c.grade]), Text(c.rule),
                          Text(c.operation or "-"), Text(_drift_where(c.location, c.pointer)),
                          Text(c.message))
        console.print(table)
    console.print(f"{len(diff.changes)} change(s): {_drift_counts(diff)}", markup=False)
    return buffer.getvalue()


def drift_markdown(diff: SpecDiff) -> str:
    lines = [f"## contracts diff: {_drift_counts(diff)}", "",
             f"`{_cell(diff.old)}` → `{_cell(diff.new)}`", ""]
    if diff.changes:
        lines += ["| grade | rule | operation | where | old → new | change |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {c.grade_label} | `{c.rule}` | {_cell(c.operation) or '-'} | "
                  f"{_cell(_drift_where(c.location, c.pointer))} | "
                  f"{_cell(_drift_change(c.old, c.new))} | {_cell(c.message)} |"
                  for c in diff.changes]
    return "\n".join(lines) + "\n"


def drift_json(diff: SpecDiff) -> str:
    return json.dumps({
        "old": diff.old,
        "new": diff.new,
        "counts": _drift_count_map(diff),
        "changes": [c.as_dict() for c in diff.changes],
    }, indent=2, ensure_ascii=False) + "\n"


def drift_junit(diff: SpecDiff, *, fail_on: Severity) -> str:
    """One test case per operation; it fails when a change reaches ``fail_on``."""
    groups: dict[str, list[str]] = {}
    worst: dict[str, Severity] = {}
    for c in diff.changes:
        name = c.operation or "(spec)"
        groups.setdefault(name, []).append(c.describe())
        worst[name] = max(worst.get(name, Severity.INFO), c.grade)
    suite = ET.Element("testsuite", name="contracts diff", tests=str(max(len(groups), 1)))
    failures = 0
    for name in sorted(groups):
        case = ET.SubElement(suite, "testcase", classname="contracts.diff", name=name)
        text = "\n".join(groups[name])
        if worst[name] >= fail_on:
            failures += 1
            ET.SubElement(case, "failure", message=f"{len(groups[name])} change(s), worst "
                          f"{_GRADE_LABEL[worst[name]]}").text = text
        else:
            ET.SubElement(case, "system-out").text = text
    if not groups:
        ET.SubElement(suite, "testcase", classname="contracts.diff", name="no changes")
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"



def drift_sarif(diff: SpecDiff) -> str:
    """SARIF 2.1.0: one result per change, at the operation's line in the spec."""
    rules: dict[str, dict[str, object]] = {}
    results = []
    for c in diff.changes:
        rules.setdefault(c.rule, {
            "id": c.rule, "name": c.rule.replace(".", "_"),
            "shortDescription": {"text": RULES[c.rule][1] if c.rule in RULES else c.rule},
            "defaultConfiguration": {"level": _SARIF_LEVEL[c.grade]}})
        location: dict[str, object] = {"artifactLocation": {"uri": c.source or diff.new}}
        if c.line is not None:
            location["region"] = {"startLine": c.line}
        results.append({
            "ruleId": c.rule,
            "level": _SARIF_LEVEL[c.grade],
            "message": {"text": c.describe()},
            "locations": [{"physicalLocation": location}],
            "partialFingerprints": {"contractsKey": "/".join(c.key)},
        })
    return _sarif_log(rules, results)


_DRIFT_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1b1f24; }
h1 { font-size: 1.3rem; } code { font: 12px ui-monospace, monospace; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #d0d7de; padding: .35rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; }
.g { font-weight: 600; white-space: nowrap; }
.ERR { color: #b42318; } .WARN { color: #9a6700; } .INFO { color: #0969da; }
"""


def drift_html(diff: SpecDiff) -> str:
    """A self-contained page: inline CSS, no scripts or external assets, every value escaped."""
    from html import escape

    rows = "\n".join(
        f"<tr><td class=\"g {c.grade_label}\">{c.grade_label}</td>"
        f"<td><code>{escape(c.rule)}</code></td><td>{escape(c.operation or '-')}</td>"
        f"<td><code>{escape(_drift_where(c.location, c.pointer))}</code></td>"
        f"<td>{escape(_drift_change(c.old, c.new))}</td><td>{escape(c.message)}</td></tr>"
        for c in diff.changes)
    body = (f"<table><thead><tr><th>grade</th><th>rule</th><th>operation</th><th>where</th>"
            f"<th>old → new</th><th>change</th></tr></thead>\n<tbody>\n{rows}\n</tbody></table>"
            if diff.changes else "<p>No changes.</p>")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>contracts diff</title><style>{_DRIFT_CSS}</style></head><body>\n"
            f"<h1>contracts diff: {escape(_drift_counts(diff))}</h1>\n"
            f"<p><code>{escape(diff.old)}</code> → <code>{escape(diff.new)}</code></p>\n"
            f"{body}\n</body></html>\n")


# -- traffic and baseline drift (contracts drift): table, Markdown, JSON, JUnit, SARIF, HTML ---
# Body values appear only with show_values (they may be patient data): messages, expected and
# observed never hold them.

def _traffic_title(report: TrafficReport) -> str:
    what = "baseline drift" if report.kind == "baseline" else "traffic drift"
    return f"contracts drift ({what}) of {report.api}"


def _traffic_counts(report: TrafficReport) -> str:
    text = ", ".join(f"{n} {_GRADE_LABEL[s]}" for s, n in report.counts.items() if n)
    return text or "no drift"


def _traffic_summary(report: TrafficReport) -> str:
    parts = [f"{report.exchanges} exchange(s)", f"{len(report.findings)} finding(s): "
             f"{_traffic_counts(report)}"]
    if report.waived:
        parts.append(f"{len(report.waived)} waived")
    if report.problem_count:
        parts.append(f"{report.problem_count} unreadable input part(s)")
    if report.skipped:
        parts.append(f"{sum(report.skipped.values())} skipped (another API: "
                     + ", ".join(f"{api} {n}" for api, n in report.skipped.items()) + ")")
    if report.resolved:
        parts.append(f"{len(report.resolved)} resolved since an earlier run")
    return "; ".join(parts)


def _traffic_seen(f: TrafficDrift) -> str:
    if f.first_seen:
        return f.first_seen if f.first_seen == f.last_seen else f"{f.first_seen} … {f.last_seen}"
    return f.first_at if f.first_at == f.last_at else f"{f.first_at} … {f.last_at}"


def _traffic_history(report: TrafficReport, f: TrafficDrift) -> str:
    mark = report.history.get(f.key_text)
    if mark is None:
        return ""
    return "new this run" if mark.runs == 1 else f"since {mark.first_seen} ({mark.runs} runs)"


def _traffic_values(f: TrafficDrift) -> str:
    return ", ".join(json.dumps(v, ensure_ascii=False, default=str) for v in f.values)


def traffic_table(report: TrafficReport, *, show_values: bool = False, color: bool = False,
                  width: int = 160) -> str:
    """A terminal table (rich); ANSI colours only when ``color`` is true."""
    import io

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color,
                      color_system="standard" if color else None, highlight=False)
    console.print(f"{_traffic_title(report)}: {', '.join(report.sources) or '-'}", markup=False)
    if report.findings:
        table = Table(show_lines=False)
        for name in ("grade", "rule", "operation", "where", "seen", "first … last", "finding"):
            table.add_column(name, overflow="fold", no_wrap=name in ("grade", "seen"))
        if report.history:
            table.add_column("history", overflow="fold")
        if show_values:
            table.add_column("values", overflow="fold")
        for f in report.findings:
            row = [Text(f.grade_label, style=_DRIFT_STYLE[f.grade]), Text(f.rule),
                   Text(f.operation or "-"), Text(f"{f.location}{f.pointer}"),
                   Text(f"{f.count}/{f.total}"), Text(_traffic_seen(f)), Text(f.message)]
            if report.history:
                row.append(Text(_traffic_history(report, f)))
            if show_values:
                row.append(Text(_traffic_values(f)))
            table.add_row(*row)
        console.print(table)
    for r in report.resolved:
        console.print(f"resolved: {_GRADE_LABEL[r.grade]} [{r.rule}] {r.operation}: "
                      f"{r.location}{r.pointer} (last seen {r.last_seen}, resolved since "
                      f"{r.resolved_since})", markup=False)
    for f, w in report.waived:
        console.print(f"waived until {w.expires}: {f.describe()} ({w.reason})", markup=False)
    for p in report.problems:
        console.print(f"unreadable: {p.location}: {p.message}", markup=False)
    console.print(_traffic_summary(report), markup=False)
    return buffer.getvalue()


def traffic_markdown(report: TrafficReport, *, show_values: bool = False) -> str:
    lines = [f"## {_traffic_title(report)}: {_traffic_counts(report)}", "",
             _cell(_traffic_summary(report)), ""]
    if report.findings:
        head = ["grade", "rule", "operation", "where", "seen", "first … last", "finding"]
        head += ["history"] if report.history else []
        head += ["values"] if show_values else []
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for f in report.findings:
            cells = [f.grade_label, f"`{f.rule}`", _cell(f.operation) or "-",
                     f"`{_cell(f.location + f.pointer)}`", f"{f.count}/{f.total}",
                     _cell(_traffic_seen(f)), _cell(f.message)]
            cells += [_cell(_traffic_history(report, f))] if report.history else []
            cells += [_cell(_traffic_values(f))] if show_values else []
            lines.append("| " + " | ".join(cells) + " |")
    if report.resolved:
        lines += ["", "### Resolved", ""]
        lines += [f"- {_GRADE_LABEL[r.grade]} `{r.rule}` {_cell(r.operation)} "
                  f"`{_cell(r.location + r.pointer)}`: last seen {r.last_seen}, resolved since "
                  f"{r.resolved_since}" for r in report.resolved]
    if report.waived:
        lines += ["", "### Waived", ""]
        lines += [f"- `{f.rule}` {_cell(f.operation)} `{_cell(f.location + f.pointer)}` until "
                  f"{w.expires}: {_cell(w.reason)}" for f, w in report.waived]
    return "\n".join(lines) + "\n"


def traffic_json(report: TrafficReport, *, show_values: bool = False) -> str:
    def finding(f: TrafficDrift) -> dict[str, object]:
        out = f.as_dict(show_values=show_values)
        mark = report.history.get(f.key_text)
        if mark is not None:
            out["history"] = {"first_seen": mark.first_seen, "last_seen": mark.last_seen,
                              "runs": mark.runs}
        return out

    return json.dumps({
        "api": report.api,
        "kind": report.kind,
        "sources": list(report.sources),
        "exchanges": report.exchanges,
        "skipped": dict(report.skipped),
        "counts": {_GRADE_LABEL[s]: n for s, n in report.counts.items()},
        "findings": [finding(f) for f in report.findings],
        "waived": [dict(f.as_dict(show_values=show_values), waiver={
            "reason": w.reason, "expires": w.expires.isoformat(), "source": w.source})
            for f, w in report.waived],
        "resolved": [{"rule": r.rule, "grade": _GRADE_LABEL[r.grade], "operation": r.operation,
                      "location": r.location, "pointer": r.pointer, "last_seen": r.last_seen,
                      "resolved_since": r.resolved_since} for r in report.resolved],
        "trend": [{"run": t.run, "time": t.time, "ERR": t.errors, "WARN": t.warnings,
                   "INFO": t.infos} for t in report.trend],
        "unreadable": {"count": report.problem_count,
                       "first": [{"source": p.source, "line": p.line, "entry": p.pointer,
                                  "message": p.message} for p in report.problems]},
    }, indent=2, ensure_ascii=False, default=str) + "\n"


def traffic_junit(report: TrafficReport, *, fail_on: Severity,
                  show_values: bool = False) -> str:
    """One test case per operation; it fails when a finding reaches ``fail_on``."""
    groups: dict[str, list[TrafficDrift]] = {}
    for f in report.findings:
        groups.setdefault(f.operation or "(api)", []).append(f)
    suite = ET.Element("testsuite", name="contracts drift", tests=str(max(len(groups), 1)))
    failures = 0
    for name in sorted(groups):
        found = groups[name]
        case = ET.SubElement(suite, "testcase", classname=f"contracts.drift.{report.api}",
                             name=name)
        worst = max(f.grade for f in found)
        text = "\n".join(f.describe(show_values=show_values) for f in found)
        if worst >= fail_on:
            failures += 1
            ET.SubElement(case, "failure", message=f"{len(found)} finding(s), worst "
                          f"{_GRADE_LABEL[worst]}").text = text
        else:
            ET.SubElement(case, "system-out").text = text
    for p in report.problems:
        case = ET.SubElement(suite, "testcase", classname="contracts.input",
                             name=p.location)
        ET.SubElement(case, "error", message=p.message)
    if not groups and not report.problems:
        ET.SubElement(suite, "testcase", classname=f"contracts.drift.{report.api}",
                      name=f"{report.exchanges} exchange(s)")
    suite.set("failures", str(failures))
    suite.set("errors", str(len(report.problems)))
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def traffic_sarif(report: TrafficReport, *, show_values: bool = False) -> str:
    """SARIF 2.1.0: one result per finding, at the exchange that first showed it."""
    from .drift import TRAFFIC_RULES

    rules: dict[str, dict[str, object]] = {}
    results = []
    for f in report.findings:
        rules.setdefault(f.rule, {
            "id": f.rule, "name": f.rule.replace(".", "_"),
            "shortDescription": {"text": TRAFFIC_RULES[f.rule][1] if f.rule in TRAFFIC_RULES
                                 else f.rule},
            "defaultConfiguration": {"level": _SARIF_LEVEL[f.grade]}})
        source, _, line = f.first_at.rpartition(":")
        location: dict[str, object] = {"artifactLocation": {"uri": source or f.first_at}}
        if line.isdigit() and int(line) > 0:
            location["region"] = {"startLine": int(line)}
        results.append({
            "ruleId": f.rule,
            "level": _SARIF_LEVEL[f.grade],
            "message": {"text": f.describe(show_values=show_values)},
            "locations": [{"physicalLocation": location}],
            "partialFingerprints": {"contractsKey": f.key_text},
            "properties": {"count": f.count, "total": f.total, "firstSeen": f.first_seen,
                           "lastSeen": f.last_seen},
        })
    return _sarif_log(rules, results)


def _svg_trend(report: TrafficReport) -> str:
    """Findings per grade per run (the last 30 runs of the history), as stacked bars."""
    from html import escape

    points = report.trend[-30:]
    if not points:
        return ""
    top = max((t.errors + t.warnings + t.infos for t in points), default=0) or 1
    height, bar, gap = 120, 16, 6
    shapes = []
    for i, t in enumerate(points):
        x = 40 + i * (bar + gap)
        y = 10 + height
        for n, colour, label in ((t.errors, "#b42318", "ERR"), (t.warnings, "#9a6700", "WARN"),
                                 (t.infos, "#0969da", "INFO")):
            h = round(height * n / top)
            if h:
                y -= h
                shapes.append(f'<rect x="{x}" y="{y}" width="{bar}" height="{h}" '
                              f'fill="{colour}"><title>run {t.run} ({escape(t.time)}): '
                              f'{n} {label}</title></rect>')
    width = 60 + len(points) * (bar + gap)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40}" '
            f'font-family="sans-serif" font-size="11" role="img" aria-label="findings per '
            f'grade per run">'
            f'<text x="0" y="14">{top}</text><text x="0" y="{height + 10}">0</text>'
            f'<line x1="36" y1="{height + 10}" x2="{width}" y2="{height + 10}" stroke="#999"/>'
            f'{"".join(shapes)}'
            f'<text x="40" y="{height + 30}">last {len(points)} run(s): red ERR, amber WARN, '
            f'blue INFO</text></svg>')


def traffic_html(report: TrafficReport, *, show_values: bool = False) -> str:
    """A self-contained page: inline CSS and SVG, no scripts or external assets, all escaped."""
    from html import escape

    head = ["grade", "rule", "operation", "where", "seen", "first … last", "finding"]
    head += ["history"] if report.history else []
    head += ["values"] if show_values else []
    rows = []
    for f in report.findings:
        cells = [f"<td class=\"g {f.grade_label}\">{f.grade_label}</td>",
                 f"<td><code>{escape(f.rule)}</code></td>",
                 f"<td>{escape(f.operation or '-')}</td>",
                 f"<td><code>{escape(f.location + f.pointer)}</code></td>",
                 f"<td>{f.count}/{f.total}</td>", f"<td>{escape(_traffic_seen(f))}</td>",
                 f"<td>{escape(f.message)}</td>"]
        if report.history:
            cells.append(f"<td>{escape(_traffic_history(report, f))}</td>")
        if show_values:
            cells.append(f"<td><code>{escape(_traffic_values(f))}</code></td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    table = ("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head)
             + "</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
             if report.findings else "<p>No drift.</p>")
    extra = []
    if report.trend:
        extra.append(f"<h2>Trend</h2>\n{_svg_trend(report)}")
    if report.resolved:
        extra.append("<h2>Resolved</h2><ul>" + "".join(
            f"<li>{_GRADE_LABEL[r.grade]} <code>{escape(r.rule)}</code> "
            f"{escape(r.operation)} <code>{escape(r.location + r.pointer)}</code>: last seen "
            f"{escape(r.last_seen)}, resolved since {escape(r.resolved_since)}</li>"
            for r in report.resolved) + "</ul>")
    if report.waived:
        extra.append("<h2>Waived</h2><ul>" + "".join(
            f"<li><code>{escape(f.rule)}</code> {escape(f.operation)} "
            f"<code>{escape(f.location + f.pointer)}</code> until {escape(str(w.expires))}: "
            f"{escape(w.reason)}</li>" for f, w in report.waived) + "</ul>")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(_traffic_title(report))}</title><style>{_DRIFT_CSS}</style>"
            f"</head><body>\n<h1>{escape(_traffic_title(report))}: "
            f"{escape(_traffic_counts(report))}</h1>\n"
            f"<p>{escape(_traffic_summary(report))}</p>\n"
            f"<p>{escape(', '.join(report.sources))}</p>\n{table}\n"
            + "\n".join(extra) + "\n</body></html>\n")
