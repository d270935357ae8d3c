"""Self-contained HTML pages: inline CSS and SVG, no scripts or external assets, every value
escaped."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from ._common import (
    GRADE_LABEL,
    case_lines,
    case_mark,
    drift_change,
    drift_counts,
    drift_where,
    narrowing,
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

__all__ = ["drift_html", "gate_html", "traffic_html"]


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
                       for label, values in narrowing(result).items())
    rows = []
    for case in result.cases:
        mark = case_mark(case)
        detail = "<br>".join(html.escape(line) for line in case_lines(case)[:50])
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
{_trend_html(result)}<h2>Cases</h2>
<table><tr><th>stage</th><th>case</th><th>result</th><th>summary</th></tr>
{"".join(rows)}
</table></body></html>
"""


_TREND_COLOURS = {"pass": "#4a8", "fail": "#d33", "not proved": "#e90"}


def _trend_html(result: GateResult) -> str:
    """The history section: each operation's state, since when, and its last runs as squares."""
    if not result.trend:
        return ""
    rows = []
    for t in sorted(result.trend, key=lambda t: (t.state == "pass", t.name)):
        squares = "".join(
            f'<rect x="{i * 12}" y="0" width="10" height="10" '
            f'fill="{_TREND_COLOURS.get(state, "#999")}"><title>{html.escape(state)}</title>'
            f"</rect>" for i, state in enumerate(t.recent))
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{len(t.recent) * 12}" '
               f'height="10">{squares}</svg>')
        since = f"since {html.escape(t.since)} ({t.runs} run{'s' if t.runs != 1 else ''})"
        rows.append(f"<tr class='{'pass' if t.state == 'pass' else 'fail'}'>"
                    f"<td>{html.escape(t.name)}</td><td>{html.escape(t.state)}</td>"
                    f"<td>{since}</td><td>{svg}</td></tr>")
    return ("<h2>History</h2>\n<table><tr><th>operation</th><th>state</th><th>since</th>"
            f"<th>last runs (oldest first)</th></tr>\n{''.join(rows)}\n</table>\n")


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
        f"<td><code>{escape(drift_where(c.location, c.pointer))}</code></td>"
        f"<td>{escape(drift_change(c.old, c.new))}</td><td>{escape(c.message)}</td></tr>"
        for c in diff.changes)
    body = (f"<table><thead><tr><th>grade</th><th>rule</th><th>operation</th><th>where</th>"
            f"<th>old → new</th><th>change</th></tr></thead>\n<tbody>\n{rows}\n</tbody></table>"
            if diff.changes else "<p>No changes.</p>")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>contracts diff</title><style>{_DRIFT_CSS}</style></head><body>\n"
            f"<h1>contracts diff: {escape(drift_counts(diff))}</h1>\n"
            f"<p><code>{escape(diff.old)}</code> → <code>{escape(diff.new)}</code></p>\n"
            f"{body}\n</body></html>\n")


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
                 f"<td>{f.count}/{f.total}</td>", f"<td>{escape(traffic_seen(f))}</td>",
                 f"<td>{escape(f.message)}</td>"]
        if report.history:
            cells.append(f"<td>{escape(traffic_history(report, f))}</td>")
        if show_values:
            cells.append(f"<td><code>{escape(traffic_values(f))}</code></td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    table = ("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head)
             + "</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
             if report.findings else "<p>No drift.</p>")
    extra = []
    if report.trend:
        extra.append(f"<h2>Trend</h2>\n{_svg_trend(report)}")
    if report.resolved:
        extra.append("<h2>Resolved</h2><ul>" + "".join(
            f"<li>{GRADE_LABEL[r.grade]} <code>{escape(r.rule)}</code> "
            f"{escape(r.operation)} <code>{escape(r.location + r.pointer)}</code>: last seen "
            f"{escape(r.last_seen)}, resolved since {escape(r.resolved_since)}</li>"
            for r in report.resolved) + "</ul>")
    if report.waived:
        extra.append("<h2>Waived</h2><ul>" + "".join(
            f"<li><code>{escape(f.rule)}</code> {escape(f.operation)} "
            f"<code>{escape(f.location + f.pointer)}</code> until {escape(str(w.expires))}: "
            f"{escape(w.reason)}</li>" for f, w in report.waived) + "</ul>")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(traffic_title(report))}</title><style>{_DRIFT_CSS}</style>"
            f"</head><body>\n<h1>{escape(traffic_title(report))}: "
            f"{escape(traffic_counts(report))}</h1>\n"
            f"<p>{escape(traffic_summary(report))}</p>\n"
            f"<p>{escape(', '.join(report.sources))}</p>\n{table}\n"
            + "\n".join(extra) + "\n</body></html>\n")
