"""GitHub workflow annotations: one ``::error``/``::warning``/``::notice`` command per spec
change, at the file and line of the spec where GitHub shows it on a pull request."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..findings import Severity

if TYPE_CHECKING:
    from ..diff import SpecDiff

__all__ = ["drift_github"]

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


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
