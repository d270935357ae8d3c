"""What every report format shares: grade labels and SARIF levels, the gate's case summaries,
the drift reports' phrases, and the SARIF log and JUnit suite builders."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from xml.etree import ElementTree as ET

from .._text import terminal_safe, xml_safe
from ..findings import Severity, TrafficDrift

if TYPE_CHECKING:
    from ..corpus import CorpusReport, Record
    from ..diff import SpecDiff
    from ..drift import TrafficReport
    from ..gate import CaseResult, GateResult

def indented_json(value: Any, *, ensure_ascii: bool = True) -> str:
    """``json.dumps(value, indent=2, default=str, ensure_ascii=ensure_ascii)``, byte for byte,
    written by orjson (tens of times faster) when ``value`` holds only what both write alike:
    dicts with string keys, lists, strings, 64-bit integers, booleans, None and floats that
    both print without an exponent; anything else takes the standard library."""
    if _alike(value):
        import orjson

        try:
            data = orjson.dumps(value, option=orjson.OPT_INDENT_2)
        except TypeError:  # a lone surrogate
            data = None
        # ensure_ascii escapes what orjson writes as is (non-ASCII, and DEL)
        if data is not None and (not ensure_ascii or (data.isascii() and b"\x7f" not in data)):
            return data.decode("utf-8")
    return json.dumps(value, indent=2, default=str, ensure_ascii=ensure_ascii)


def _alike(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        for key in value:
            if type(key) is not str:
                return False
        return _all_alike(value.values())
    if kind is list:
        return _all_alike(value)
    return _scalar_alike(value)


_PLAIN = frozenset({str, bool, type(None)})


def _all_alike(items: Iterable[Any]) -> bool:
    """Every item :func:`_alike`, scalars judged here (a report is mostly strings and
    numbers: one call per container, not per value; a list of strings, in one C pass)."""
    if type(items) is list and set(map(type, items)) <= _PLAIN:
        return True
    for item in items:
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is dict or kind is list:
            if not _alike(item):
                return False
        elif not _scalar_alike(item):
            return False
    return True


def _scalar_alike(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-(1 << 63) <= value < (1 << 64))
    if kind is float:  # Python's repr turns to an exponent below 1e-4 and from 1e16
        return bool(value == 0.0 or 1e-4 <= abs(value) < 1e16)
    return False


def md_cell(text: str) -> str:
    """One Markdown table cell or list item: pipes escaped, one line, no control characters."""
    return terminal_safe(text.replace("|", "\\|").replace("\n", " "))


SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


GRADE_LABEL = {Severity.ERROR: "ERR", Severity.WARNING: "WARN", Severity.INFO: "INFO"}


DRIFT_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def sarif_log(rules: dict[str, dict[str, object]], results: Sequence[Any],
               invocation: dict[str, object] | None = None) -> str:
    """A SARIF 2.1.0 log of one run of our tool (rules sorted by id, so output is stable)."""
    ordered = sorted(rules.values(), key=lambda r: str(r["id"]))
    run: dict[str, object] = {
        "tool": {"driver": {"name": "scribe-contracts", "rules": ordered}},
        "results": results,
    }
    if invocation is not None:
        run["invocations"] = [invocation]
    return indented_json({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }, ensure_ascii=False) + "\n"


def case_lines(case: CaseResult, *, show_values: bool = False) -> list[str]:
    lines = [f"{f.location}: {f.severity.label}: {f.code}: {f.message}" for f in case.findings]
    lines += [v.describe(show_values=show_values) for v in case.violations]
    lines += list(case.details)
    return lines


def case_mark(case: CaseResult) -> str:
    if case.skipped:
        return "skipped"
    return "pass" if case.passed else ("error" if case.error else "FAIL")


def not_run_by_reason(result: GateResult) -> dict[str, list[str]]:
    """Operations the suites did not run, by reason (case names without the check suffix)."""
    groups: dict[str, list[str]] = {}
    for case in result.cases:
        if case.stage == "suites" and case.skipped:
            groups.setdefault(case.skipped, []).append(
                case.name.removesuffix(".contracts_conformance"))
    return groups


def narrowing(result: GateResult) -> dict[str, list[str]]:
    """How the run was narrowed: operation patterns, excluded patterns, phases ({} if not)."""
    parts = {}
    if result.selection is not None:
        if result.selection.include:
            parts["operations"] = list(result.selection.include)
        if result.selection.exclude:
            parts["excluding"] = list(result.selection.exclude)
    from ..suites import PHASES

    if result.phases and tuple(result.phases) != PHASES:
        parts["phases"] = list(result.phases)
    return parts


def record_where(record: Record) -> str:
    return record.location


def severity_counts(report: CorpusReport) -> dict[Severity, int]:
    counts = dict.fromkeys(sorted(Severity, reverse=True), 0)
    for record in report.records:
        counts[record.violation.severity] += 1
    return counts


def drift_counts(diff: SpecDiff) -> str:
    text = ", ".join(f"{n} {label}" for label, n in drift_count_map(diff).items() if n)
    return text or "no changes"


def drift_count_map(diff: SpecDiff) -> dict[str, int]:
    return {GRADE_LABEL[s]: n for s, n in diff.counts.items()}


def drift_where(location: str, pointer: str) -> str:
    if not pointer or pointer.startswith("/"):
        return f"{location}{pointer}"
    return f"{location} {pointer}".strip()


def drift_change(old: str, new: str) -> str:
    if old and new:
        return f"{old} → {new}"
    return f"{old} (removed)" if old else (new or "")


def traffic_title(report: TrafficReport) -> str:
    what = "baseline drift" if report.kind == "baseline" else "traffic drift"
    return f"contracts drift ({what}) of {report.api}"


def traffic_counts(report: TrafficReport) -> str:
    text = ", ".join(f"{n} {GRADE_LABEL[s]}" for s, n in report.counts.items() if n)
    return text or "no drift"


def traffic_summary(report: TrafficReport) -> str:
    parts = [f"{report.exchanges} exchange(s)", f"{len(report.findings)} finding(s): "
             f"{traffic_counts(report)}"]
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


def traffic_seen(f: TrafficDrift) -> str:
    if f.first_seen:
        return f.first_seen if f.first_seen == f.last_seen else f"{f.first_seen} … {f.last_seen}"
    return f.first_at if f.first_at == f.last_at else f"{f.first_at} … {f.last_at}"


def traffic_history(report: TrafficReport, f: TrafficDrift) -> str:
    mark = report.history.get(f.key_text)
    if mark is None:
        return ""
    return "new this run" if mark.runs == 1 else f"since {mark.first_seen} ({mark.runs} runs)"


def traffic_values(f: TrafficDrift) -> str:
    return ", ".join(json.dumps(v, ensure_ascii=False, default=str) for v in f.values)


class Unreadable(Protocol):
    """A part of an input that could not be read (``findings.ReadProblem`` and the like)."""

    @property
    def location(self) -> str: ...

    @property
    def message(self) -> str: ...


@dataclass(frozen=True, slots=True)
class JunitCase:
    """One test case of a JUnit suite: ``failure`` is the failure's message, or None when the
    case passed (its text then goes to ``system-out``)."""

    classname: str
    name: str
    text: str
    failure: str | None = None


def junit_suite(name: str, cases: Sequence[JunitCase], *, problems: Iterable[Unreadable] = (),
                empty: tuple[str, str]) -> str:
    """A ``<testsuite>``: the cases, one ``error`` case per unreadable input part, and the
    ``empty`` (classname, name) case when there is nothing else to show."""
    suite = ET.Element("testsuite", name=name, tests=str(max(len(cases), 1)))
    failures = 0
    for c in cases:
        case = ET.SubElement(suite, "testcase", classname=c.classname, name=c.name)
        if c.failure is not None:
            failures += 1
            ET.SubElement(case, "failure", message=c.failure).text = c.text
        else:
            ET.SubElement(case, "system-out").text = c.text
    errors = 0
    for problem in problems:
        errors += 1
        case = ET.SubElement(suite, "testcase", classname="contracts.input",
                             name=problem.location)
        ET.SubElement(case, "error", message=problem.message)
    if not cases and not errors:
        ET.SubElement(suite, "testcase", classname=empty[0], name=empty[1])
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    return xml_text(suite)


def xml_text(root: ET.Element) -> str:
    ET.indent(root)
    return xml_safe(ET.tostring(root, encoding="unicode", xml_declaration=True)) + "\n"


def sarif_location(uri: str, line: int | None) -> dict[str, object]:
    """A SARIF physical location: the file, and its line when known."""
    location: dict[str, object] = {"artifactLocation": {"uri": uri}}
    if line is not None:
        location["region"] = {"startLine": line}
    return location


def sarif_rule(rule: str, description: str, level: str | None = None) -> dict[str, object]:
    """A SARIF rule descriptor named after our stable code."""
    out: dict[str, object] = {"id": rule, "name": rule.replace(".", "_"),
                              "shortDescription": {"text": description}}
    if level is not None:
        out["defaultConfiguration"] = {"level": level}
    return out


def sarif_result(rule: str, level: str, text: str, location: dict[str, object], key: str,
                 properties: dict[str, object] | None = None) -> dict[str, object]:
    """A SARIF result; ``key`` (our duplicate-collapsing key) is its partial fingerprint."""
    out: dict[str, object] = {"ruleId": rule, "level": level, "message": {"text": text},
                              "locations": [{"physicalLocation": location}],
                              "partialFingerprints": {"contractsKey": key}}
    if properties is not None:
        out["properties"] = properties
    return out
