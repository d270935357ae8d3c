"""SARIF 2.1.0 logs for code scanning: one result per finding, violation or change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._common import (
    SARIF_LEVEL,
    narrowing,
    not_run_by_reason,
    sarif_location,
    sarif_log,
    sarif_result,
    sarif_rule,
)

if TYPE_CHECKING:
    from ..corpus import CorpusReport
    from ..diff import SpecDiff
    from ..drift import TrafficReport
    from ..gate import GateResult

__all__ = ["drift_sarif", "gate_sarif", "traffic_sarif", "violations_sarif"]


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
            results.append({"ruleId": f.code, "level": SARIF_LEVEL[f.severity],
                            "message": {"text": f.message},
                            "locations": [{"physicalLocation": location}]})
        for v in case.violations:
            rules.setdefault(v.code, {"id": v.code, "shortDescription": {"text": v.code}})
            results.append({
                "ruleId": v.code, "level": SARIF_LEVEL[v.severity],
                "message": {"text": v.describe()},
                "locations": [{"physicalLocation": {"artifactLocation": {
                    "uri": f"specs/{v.api}.yaml"}}}],
                "partialFingerprints": {"contractsKey": "/".join(v.key)},
            })
    # What the run left out is no result, but a code-scanning reader should see it: the
    # invocation's notifications, one per operation not run, with the reason.
    notes = [{"level": "note", "descriptor": {"id": "contracts.gate.not_run"},
              "message": {"text": f"{op}: not run ({why})"}}
             for why, ops in not_run_by_reason(result).items() for op in ops]
    invocation = None
    if notes or narrowing(result):
        invocation = {"executionSuccessful": not any(c.error for c in result.cases),
                      "toolExecutionNotifications": notes,
                      "properties": {"narrowed": narrowing(result)}}
    return sarif_log(rules, results, invocation)


def violations_sarif(report: CorpusReport, *, show_values: bool = False) -> str:
    """SARIF 2.1.0 for code scanning: one result per violation, rules by code."""
    rules: dict[str, dict[str, object]] = {}
    results = []
    for record in report.records:
        v = record.violation
        rules.setdefault(v.code, sarif_rule(v.code, v.code))
        results.append(sarif_result(v.code, SARIF_LEVEL[v.severity],
                                    v.describe(show_values=show_values),
                                    sarif_location(record.source, record.line), "/".join(v.key)))
    return sarif_log(rules, results)


def drift_sarif(diff: SpecDiff) -> str:
    """SARIF 2.1.0: one result per change, at the operation's line in the spec."""
    from ..diff import RULES

    rules: dict[str, dict[str, object]] = {}
    results = []
    for c in diff.changes:
        rules.setdefault(c.rule, sarif_rule(c.rule, RULES[c.rule][1] if c.rule in RULES
                                            else c.rule, SARIF_LEVEL[c.grade]))
        results.append(sarif_result(c.rule, SARIF_LEVEL[c.grade], c.describe(),
                                    sarif_location(c.source or diff.new, c.line),
                                    "/".join(c.key)))
    return sarif_log(rules, results)


def traffic_sarif(report: TrafficReport, *, show_values: bool = False) -> str:
    """SARIF 2.1.0: one result per finding, at the exchange that first showed it."""
    from ..drift import TRAFFIC_RULES

    rules: dict[str, dict[str, object]] = {}
    results = []
    for f in report.findings:
        rules.setdefault(f.rule, sarif_rule(
            f.rule, TRAFFIC_RULES[f.rule][1] if f.rule in TRAFFIC_RULES else f.rule,
            SARIF_LEVEL[f.grade]))
        source, _, line = f.first_at.rpartition(":")
        location = sarif_location(source or f.first_at,
                                  int(line) if line.isdigit() and int(line) > 0 else None)
        results.append(sarif_result(
            f.rule, SARIF_LEVEL[f.grade], f.describe(show_values=show_values), location,
            f.key_text, {"count": f.count, "total": f.total, "firstSeen": f.first_seen,
                         "lastSeen": f.last_seen}))
    return sarif_log(rules, results)
