"""Rendering records as text, JSON, JUnit XML, SARIF, Markdown and HTML: one module per
format, pure functions of their input; ``_common`` holds what the formats share."""

from __future__ import annotations

from .github import drift_github
from .html import drift_html, gate_html, traffic_html
from .json import drift_json, findings_json, gate_json, traffic_json, violations_json
from .junit import drift_junit, gate_junit, traffic_junit, violations_junit
from .markdown import drift_markdown, gate_markdown, traffic_markdown
from .sarif import drift_sarif, gate_sarif, traffic_sarif, violations_sarif
from .text import drift_table, findings_text, traffic_table, violations_text

__all__ = [
    "drift_github",
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
