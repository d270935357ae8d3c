"""Plain text and terminal tables (rich): what a person reads in a CI log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._text import terminal_safe
from ..findings import Finding, Severity
from ._common import (
    DRIFT_STYLE,
    GRADE_LABEL,
    drift_counts,
    drift_where,
    record_where,
    severity_counts,
    traffic_history,
    traffic_seen,
    traffic_summary,
    traffic_title,
    traffic_values,
)
from ._rendered import line_tail

if TYPE_CHECKING:
    from ..corpus import CorpusReport
    from ..diff import SpecDiff
    from ..drift import TrafficReport

__all__ = ["drift_table", "findings_text", "traffic_table", "violations_text"]


def findings_text(findings: Sequence[Finding]) -> str:
    lines = [f"{f.location}: {f.severity.label}: {f.code}: {f.message}" for f in findings]
    lines.append(f"{len(findings)} finding(s)" if findings else "no findings")
    return terminal_safe("\n".join(lines)) + "\n"


def violations_text(report: CorpusReport, *, show_values: bool = False) -> str:
    lines = [record_where(r) + line_tail(r.violation, show_values) for r in report.records]
    lines += [f"{p.location}: unreadable: {p.message}" for p in report.problems]
    counts = ", ".join(f"{n} {s.label}{'s' if n > 1 and s is not Severity.INFO else ''}"
                       for s, n in severity_counts(report).items() if n)
    lines.append(f"{report.exchanges} exchange(s) checked: "
                 f"{counts or 'no violations'}"
                 + (f"; {len(report.problems)} unreadable" if report.problems else "")
                 + (f"; {sum(report.skipped.values())} skipped (another API: "
                    f"{', '.join(f'{api} {n}' for api, n in report.skipped.items())})"
                    if report.skipped else ""))
    return terminal_safe("\n".join(lines)) + "\n"


def drift_table(diff: SpecDiff, *, color: bool = False, width: int = 160) -> str:
    """A terminal table (rich); ANSI colours only when ``color`` is true."""
    from rich.table import Table
    from rich.text import Text

    buffer, console = _console(width, color)
    console.print(f"contracts diff: {diff.old} → {diff.new}", markup=False)
    if diff.changes:
        table = Table(show_lines=False)
        table.add_column("grade", no_wrap=True)
        table.add_column("rule", no_wrap=True)
        table.add_column("operation", overflow="fold")
        table.add_column("where", overflow="fold")
        table.add_column("change", overflow="fold")
        for c in diff.changes:
            table.add_row(Text(c.grade_label, style=DRIFT_STYLE[c.grade]), Text(c.rule),
                          Text(c.operation or "-"), Text(drift_where(c.location, c.pointer)),
                          Text(c.message))
        console.print(table)
    console.print(f"{len(diff.changes)} change(s): {drift_counts(diff)}", markup=False)
    return terminal_safe(buffer.getvalue(), keep_colour=color)


def _console(width: int, color: bool) -> tuple[Any, Any]:
    """A rich console writing into a buffer; ANSI colours only when ``color`` is true."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    return buffer, Console(file=buffer, width=width, force_terminal=color,
                           color_system="standard" if color else None, highlight=False)


def traffic_table(report: TrafficReport, *, show_values: bool = False, color: bool = False,
                  width: int = 160) -> str:
    """A terminal table (rich); ANSI colours only when ``color`` is true."""
    from rich.table import Table
    from rich.text import Text

    buffer, console = _console(width, color)
    console.print(f"{traffic_title(report)}: {', '.join(report.sources) or '-'}", markup=False)
    if report.findings:
        table = Table(show_lines=False)
        for name in ("grade", "rule", "operation", "where", "seen", "first … last", "finding"):
            table.add_column(name, overflow="fold", no_wrap=name in ("grade", "seen"))
        if report.history:
            table.add_column("history", overflow="fold")
        if show_values:
            table.add_column("values", overflow="fold")
        for f in report.findings:
            row = [Text(f.grade_label, style=DRIFT_STYLE[f.grade]), Text(f.rule),
                   Text(f.operation or "-"), Text(f"{f.location}{f.pointer}"),
                   Text(f"{f.count}/{f.total}"), Text(traffic_seen(f)), Text(f.message)]
            if report.history:
                row.append(Text(traffic_history(report, f)))
            if show_values:
                row.append(Text(traffic_values(f)))
            table.add_row(*row)
        console.print(table)
    for r in report.resolved:
        console.print(f"resolved: {GRADE_LABEL[r.grade]} [{r.rule}] {r.operation}: "
                      f"{r.location}{r.pointer} (last seen {r.last_seen}, resolved since "
                      f"{r.resolved_since})", markup=False)
    for f, w in report.waived:
        console.print(f"waived until {w.expires}: {f.describe()} ({w.reason})", markup=False)
    for p in report.problems:
        console.print(f"unreadable: {p.location}: {p.message}", markup=False)
    console.print(traffic_summary(report), markup=False)
    return terminal_safe(buffer.getvalue(), keep_colour=color)
