"""Markdown summaries (a CI job summary, a pull-request comment)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..findings import DriftChange, Severity
from ._common import (
    GRADE_LABEL,
    case_lines,
    case_mark,
    drift_change,
    drift_counts,
    drift_where,
    md_cell,
    narrowing,
    not_run_by_reason,
    traffic_counts,
    traffic_history,
    traffic_seen,
    traffic_summary,
    traffic_title,
    traffic_values,
)

if TYPE_CHECKING:
    from ..diff import SpecDiff
    from ..drift import TrafficReport
    from ..gate import GateResult

__all__ = ["drift_markdown", "gate_markdown", "traffic_markdown"]


def gate_markdown(result: GateResult) -> str:
    verdict = "passed" if result.passed else "FAILED"
    narrowed = "".join(f" · {label} " + ", ".join(f"`{md_cell(v)}`" for v in values)
                       for label, values in narrowing(result).items())
    lines = [f"## contracts gate: {verdict}", "",
             f"APIs: {', '.join(result.apis)} · seed {result.seed}{narrowed}", "",
             "| stage | case | result | summary |", "|---|---|---|---|"]
    for case in result.cases:
        if case.passed and case.stage == "suites":
            continue  # one line per passing operation is noise; coverage summarises them
        lines.append(f"| {case.stage} | {md_cell(case.name)} | {case_mark(case)} | "
                     f"{md_cell(case.summary)} |")
    passing_ops = sum(1 for c in result.cases
                      if c.stage == "suites" and c.passed and not c.skipped)
    if passing_ops:
        lines.append(f"| suites | {passing_ops} operation check(s) | pass | |")
    not_run = not_run_by_reason(result)
    if not_run:
        count = sum(len(ops) for ops in not_run.values())
        lines.append(f"| suites | {count} operation(s) not run | skipped | see Not run |")
    failing = [(c, line) for c in result.cases if not c.passed for line in case_lines(c)]
    if failing:
        lines += ["", "### Failures", ""]
        for case, line in failing[:200]:
            lines.append(f"- `{md_cell(case.name)}`: {md_cell(line)}")
        if len(failing) > 200:
            lines.append(f"- … and {len(failing) - 200} more (see report.json)")
    if not_run:
        lines += ["", "### Not run", ""]
        lines += [f"- {md_cell(why)}: {', '.join(f'`{op}`' for op in ops)}"
                  for why, ops in not_run.items()]
    return "\n".join(lines) + "\n"


_DRIFT_TITLE = {Severity.ERROR: "Breaking for clients", Severity.WARNING: "May break clients",
                Severity.INFO: "Nothing to do"}
_DRIFT_ROWS = 200  # rows per grade in a comment (GitHub caps a comment at 65,536 characters)


def _drift_operation(c: DriftChange) -> str:
    if not c.reach:
        return c.operation or "-"
    operations = {r.split(": ", 1)[0] for r in c.reach}
    return f"{c.operation} ({len(c.reach)} places in {len(operations)} operations)"


def _drift_rows(changes: list[DriftChange]) -> list[str]:
    rows = ["| grade | rule | operation | where | old → new | change |",
            "|---|---|---|---|---|---|"]
    rows += [f"| {c.grade_label} | `{c.rule}` | {md_cell(_drift_operation(c))} | "
             f"{md_cell(drift_where(c.location, c.pointer))} | "
             f"{md_cell(drift_change(c.old, c.new))} | {md_cell(c.message)} |"
             for c in changes[:_DRIFT_ROWS]]
    if len(changes) > _DRIFT_ROWS:
        rows.append(f"\n… and {len(changes) - _DRIFT_ROWS} more (see the JSON report).")
    return rows


def drift_markdown(diff: SpecDiff) -> str:
    """A pull-request comment: the verdict first, breaking changes in full, the rest folded."""
    lines = [f"## contracts diff: {drift_counts(diff)}", "",
             f"`{md_cell(diff.old)}` → `{md_cell(diff.new)}`", ""]
    if not diff.changes:
        return "\n".join([*lines, "No change a client can see."]) + "\n"
    counts = diff.counts
    breaking = counts[Severity.ERROR]
    lines += [f"**{breaking} breaking change(s)** for clients written against the old spec."
              if breaking else "No breaking change for clients written against the old spec.",
              ""]
    for grade in sorted(counts, reverse=True):
        changes = [c for c in diff.changes if c.grade == grade]
        if not changes:
            continue
        title = f"{_DRIFT_TITLE[grade]} ({GRADE_LABEL[grade]}): {len(changes)}"
        if grade == Severity.ERROR:
            lines += [f"### {title}", "", *_drift_rows(changes), ""]
        else:
            lines += [f"<details><summary>{title}</summary>", "", *_drift_rows(changes), "",
                      "</details>", ""]
    lines.append("Grades: see docs/drift.md (ERR breaks, WARN may break, INFO nothing to do).")
    return "\n".join(lines) + "\n"


def traffic_markdown(report: TrafficReport, *, show_values: bool = False) -> str:
    lines = [f"## {traffic_title(report)}: {traffic_counts(report)}", "",
             md_cell(traffic_summary(report)), ""]
    if report.findings:
        head = ["grade", "rule", "operation", "where", "seen", "first … last", "finding"]
        head += ["history"] if report.history else []
        head += ["values"] if show_values else []
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for f in report.findings:
            cells = [f.grade_label, f"`{f.rule}`", md_cell(f.operation) or "-",
                     f"`{md_cell(f.location + f.pointer)}`", f"{f.count}/{f.total}",
                     md_cell(traffic_seen(f)), md_cell(f.message)]
            cells += [md_cell(traffic_history(report, f))] if report.history else []
            cells += [md_cell(traffic_values(f))] if show_values else []
            lines.append("| " + " | ".join(cells) + " |")
    if report.resolved:
        lines += ["", "### Resolved", ""]
        lines += [f"- {GRADE_LABEL[r.grade]} `{r.rule}` {md_cell(r.operation)} "
                  f"`{md_cell(r.location + r.pointer)}`: last seen {r.last_seen}, resolved since "
                  f"{r.resolved_since}" for r in report.resolved]
    if report.waived:
        lines += ["", "### Waived", ""]
        lines += [f"- `{f.rule}` {md_cell(f.operation)} `{md_cell(f.location + f.pointer)}` until "
                  f"{w.expires}: {md_cell(w.reason)}" for f, w in report.waived]
    return "\n".join(lines) + "\n"
