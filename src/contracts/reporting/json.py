"""JSON documents: every record with its fields, for tools that read our output."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..findings import Finding, TrafficDrift
from ._common import GRADE_LABEL, drift_count_map, indented_json
from ._rendered import record_dict

if TYPE_CHECKING:
    from ..corpus import CorpusReport
    from ..diff import SpecDiff
    from ..drift import TrafficReport
    from ..gate import GateResult

__all__ = ["drift_json", "findings_json", "gate_json", "traffic_json", "violations_json"]


def findings_json(findings: Iterable[Finding]) -> str:
    return json.dumps([f.as_dict() for f in findings], indent=2) + "\n"


def gate_json(result: GateResult) -> str:
    from ..suites import PHASES

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
            "setup": list(suite.setup),
            "proved": {op: o.proved for op, o in sorted(suite.outcomes.items())},
        } for suite in result.suites],
        "trend": [{"api": t.api, "operation": t.operation, "state": t.state, "since": t.since,
                   "runs": t.runs, "recent": list(t.recent)} for t in result.trend],
    }, indent=2, default=str) + "\n"


def violations_json(report: CorpusReport, *, show_values: bool = False) -> str:
    return indented_json({
        "exchanges": report.exchanges,
        "skipped": dict(report.skipped),
        "violations": [record_dict(r, show_values) for r in report.records],
        "unreadable": [{"source": p.source, "line": p.line, "entry": p.pointer,
                        "message": p.message} for p in report.problems],
    }) + "\n"


def drift_json(diff: SpecDiff) -> str:
    return json.dumps({
        "old": diff.old,
        "new": diff.new,
        "counts": drift_count_map(diff),
        "changes": [c.as_dict() for c in diff.changes],
    }, indent=2, ensure_ascii=False) + "\n"


def traffic_json(report: TrafficReport, *, show_values: bool = False) -> str:
    def finding(f: TrafficDrift) -> dict[str, object]:
        out = f.as_dict(show_values=show_values)
        mark = report.history.get(f.key_text)
        if mark is not None:
            out["history"] = {"first_seen": mark.first_seen, "last_seen": mark.last_seen,
                              "runs": mark.runs}
        return out

    return indented_json({
        "api": report.api,
        "kind": report.kind,
        "sources": list(report.sources),
        "exchanges": report.exchanges,
        "skipped": dict(report.skipped),
        "counts": {GRADE_LABEL[s]: n for s, n in report.counts.items()},
        "findings": [finding(f) for f in report.findings],
        "waived": [dict(f.as_dict(show_values=show_values), waiver={
            "reason": w.reason, "expires": w.expires.isoformat(), "source": w.source})
            for f, w in report.waived],
        "resolved": [{"rule": r.rule, "grade": GRADE_LABEL[r.grade], "operation": r.operation,
                      "location": r.location, "pointer": r.pointer, "last_seen": r.last_seen,
                      "resolved_since": r.resolved_since} for r in report.resolved],
        "trend": [{"run": t.run, "time": t.time, "ERR": t.errors, "WARN": t.warnings,
                   "INFO": t.infos} for t in report.trend],
        "unreadable": {"count": report.problem_count,
                       "first": [{"source": p.source, "line": p.line, "entry": p.pointer,
                                  "message": p.message} for p in report.problems]},
    }, ensure_ascii=False) + "\n"
