"""Where users review spec changes: GitHub workflow annotations and a Markdown summary fit
for a pull-request comment."""

from __future__ import annotations

import os
from pathlib import Path

from ..findings import DriftChange, Severity
from .compare import SpecDiff

__all__ = ["drift_github", "drift_pr_markdown"]

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
_LABEL = {Severity.ERROR: "ERR", Severity.WARNING: "WARN", Severity.INFO: "INFO"}
_TITLE = {Severity.ERROR: "Breaking for clients", Severity.WARNING: "May break clients",
          Severity.INFO: "Nothing to do"}
_ROWS = 200  # rows per grade in a comment (GitHub caps a comment at 65,536 characters)


def _data(text: str) -> str:
    """An annotation message, escaped as GitHub's workflow commands require."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _file(source: str) -> str:
    """A spec path relative to the working directory (the repository root in a workflow)."""
    path = Path(source.removeprefix("file://")) if source else None
    if path is None or not path.is_absolute():
        return source
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)


def drift_github(diff: SpecDiff) -> str:
    """One ``::error``/``::warning``/``::notice`` workflow command per change, at the file and
    line of the spec where it is written (the old spec for what was removed)."""
    lines = []
    for c in diff.changes:
        source, line = c.source or diff.new, c.line
        if ":" in source and not source.startswith("file:") and not Path(source).exists():
            # REV:path (contracts diff --base): the same path in the work tree, no line
            # (the line is the old version's)
            source, line = source.split(":", 1)[1], None
        props = [f"file={_prop(_file(source))}"]
        if line is not None:
            props.append(f"line={line}")
        props.append(f"title={_prop(f'{c.grade_label} {c.rule}')}")
        where = f"{c.operation}: " if c.operation else ""
        lines.append(f"::{_LEVEL[c.grade]} {','.join(props)}::{_data(where + c.message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _where(c: DriftChange) -> str:
    if not c.pointer or c.pointer.startswith("/"):
        return f"{c.location}{c.pointer}"
    return f"{c.location} {c.pointer}"


def _change(c: DriftChange) -> str:
    if c.old and c.new:
        return f"{c.old} → {c.new}"
    return f"{c.old} (removed)" if c.old else c.new


def _operation(c: DriftChange) -> str:
    if not c.reach:
        return c.operation or "-"
    operations = {r.split(": ", 1)[0] for r in c.reach}
    return f"{c.operation} ({len(c.reach)} places in {len(operations)} operations)"


def _table(changes: list[DriftChange]) -> list[str]:
    rows = ["| grade | rule | operation | where | old → new | change |",
            "|---|---|---|---|---|---|"]
    rows += [f"| {c.grade_label} | `{c.rule}` | {_cell(_operation(c))} | "
             f"{_cell(_where(c))} | {_cell(_change(c))} | {_cell(c.message)} |"
             for c in changes[:_ROWS]]
    if len(changes) > _ROWS:
        rows.append(f"\n… and {len(changes) - _ROWS} more (see the JSON report).")
    return rows


def drift_pr_markdown(diff: SpecDiff) -> str:
    """A pull-request comment: the verdict first, breaking changes in full, the rest folded."""
    counts = diff.counts
    summary = ", ".join(f"{n} {_LABEL[s]}" for s, n in counts.items() if n) or "no changes"
    lines = [f"## contracts diff: {summary}", "",
             f"`{_cell(diff.old)}` → `{_cell(diff.new)}`", ""]
    if not diff.changes:
        return "\n".join([*lines, "No change a client can see."]) + "\n"
    breaking = counts[Severity.ERROR]
    lines += [f"**{breaking} breaking change(s)** for clients written against the old spec."
              if breaking else "No breaking change for clients written against the old spec.",
              ""]
    for grade in sorted(counts, reverse=True):
        changes = [c for c in diff.changes if c.grade == grade]
        if not changes:
            continue
        title = f"{_TITLE[grade]} ({_LABEL[grade]}): {len(changes)}"
        if grade == Severity.ERROR:
            lines += [f"### {title}", "", *_table(changes), ""]
        else:
            lines += [f"<details><summary>{title}</summary>", "", *_table(changes), "",
                      "</details>", ""]
    lines.append("Grades: see docs/drift.md (ERR breaks, WARN may break, INFO nothing to do).")
    return "\n".join(lines) + "\n"
