"""Rendering records as text, JSON, JUnit XML, SARIF, Markdown and HTML: one module per
format, pure functions of their input; ``_common`` holds what the formats share.

Each format's module is imported when one of its functions is first asked for: a command
that writes text does not load the HTML, XML or SARIF writers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach as _attach

if TYPE_CHECKING:
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


# name -> the module that defines it (a test checks this table against ``__all__``)
_HOME = {name: module for module, names in {
    "github": ("drift_github",),
    "html": ("drift_html", "gate_html", "traffic_html"),
    "json": ("drift_json", "findings_json", "gate_json", "traffic_json", "violations_json"),
    "junit": ("drift_junit", "gate_junit", "traffic_junit", "violations_junit"),
    "markdown": ("drift_markdown", "gate_markdown", "traffic_markdown"),
    "sarif": ("drift_sarif", "gate_sarif", "traffic_sarif", "violations_sarif"),
    "text": ("drift_table", "findings_text", "traffic_table", "violations_text"),
}.items() for name in names}


__getattr__, __dir__ = _attach(globals(), _HOME)
