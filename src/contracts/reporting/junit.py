"""JUnit XML: one test case per operation (and check, or code), for CI test reporters."""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from ..findings import Severity, TrafficDrift
from ._common import GRADE_LABEL, JunitCase, case_lines, junit_suite, record_where, xml_text

if TYPE_CHECKING:
    from ..corpus import CorpusReport, Record
    from ..diff import SpecDiff
    from ..drift import TrafficReport
    from ..gate import GateResult

__all__ = ["drift_junit", "gate_junit", "traffic_junit", "violations_junit"]


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
                    case_lines(case))
            elif case.skipped:
                s_skip += 1
                ET.SubElement(el, "skipped", message=case.skipped[:500])
            if case.passed and case_lines(case):
                ET.SubElement(el, "system-out").text = "\n".join(case_lines(case))
        suite.set("failures", str(s_fail))
        suite.set("errors", str(s_err))
        suite.set("skipped", str(s_skip))
        total += len(stage.cases)
        failures += s_fail
        errors += s_err
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("errors", str(errors))
    return xml_text(suites)


def violations_junit(report: CorpusReport, *, fail_on: Severity,
                     show_values: bool = False) -> str:
    """One test case per (operation, code); failures list every occurrence."""
    groups: dict[tuple[str, str], list[Record]] = {}
    for record in report.records:
        v = record.violation
        groups.setdefault((f"{v.api}.{v.operation or 'unknown'}", v.code), []).append(record)
    cases = []
    for (classname, code), records in sorted(groups.items()):
        worst = max(r.violation.severity for r in records)
        text = "\n".join(f"{record_where(r)}: {r.violation.describe(show_values=show_values)}"
                         for r in records)
        cases.append(JunitCase(classname, code, text,
                               f"{len(records)} x {code}" if worst >= fail_on else None))
    return junit_suite("contracts validate", cases, problems=report.problems,
                       empty=("contracts.validate", f"{report.exchanges} exchange(s)"))


def drift_junit(diff: SpecDiff, *, fail_on: Severity) -> str:
    """One test case per operation; it fails when a change reaches ``fail_on``."""
    groups: dict[str, list[str]] = {}
    worst: dict[str, Severity] = {}
    for c in diff.changes:
        name = c.operation or "(spec)"
        groups.setdefault(name, []).append(c.describe())
        worst[name] = max(worst.get(name, Severity.INFO), c.grade)
    cases = [JunitCase("contracts.diff", name, "\n".join(groups[name]),
                       f"{len(groups[name])} change(s), worst {GRADE_LABEL[worst[name]]}"
                       if worst[name] >= fail_on else None)
             for name in sorted(groups)]
    return junit_suite("contracts diff", cases, empty=("contracts.diff", "no changes"))


def traffic_junit(report: TrafficReport, *, fail_on: Severity,
                  show_values: bool = False) -> str:
    """One test case per operation; it fails when a finding reaches ``fail_on``."""
    groups: dict[str, list[TrafficDrift]] = {}
    for f in report.findings:
        groups.setdefault(f.operation or "(api)", []).append(f)
    cases = []
    for name in sorted(groups):
        found = groups[name]
        worst = max(f.grade for f in found)
        cases.append(JunitCase(
            f"contracts.drift.{report.api}", name,
            "\n".join(f.describe(show_values=show_values) for f in found),
            f"{len(found)} finding(s), worst {GRADE_LABEL[worst]}" if worst >= fail_on else None))
    return junit_suite("contracts drift", cases, problems=report.problems,
                       empty=(f"contracts.drift.{report.api}", f"{report.exchanges} exchange(s)"))
