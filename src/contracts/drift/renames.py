"""Rename detection: an undocumented field whose documented twin (another spelling of the same
name) is missing or never sent is one renamed field, not two findings."""

from __future__ import annotations

import re
from dataclasses import replace

from .._pointers import escape_pointer
from ..findings import Severity, TrafficDrift
from ..specs import Spec
from .rules import last_token, traffic_message
from .schemas import body_schema, schemas_at

__all__ = ["detect_renames"]


def _name_key(name: str) -> str:
    """``transcript_v2``, ``transcriptV2`` and ``transcript`` share a key; so do snake_case
    and camelCase spellings of one name."""
    key = name.replace("_", "").replace("-", "").lower()
    return re.sub(r"v\d+$", "", key) or key


def detect_renames(spec: Spec, findings: list[TrafficDrift]) -> list[TrafficDrift]:
    """An undocumented field whose documented twin is missing (or never sent) is a rename."""
    out = list(findings)
    by_key = {f.key: f for f in out}
    for finding in findings:
        if finding.rule != "drift.field.undocumented":
            continue
        twin = _twin(spec, finding)
        if twin is None:
            continue
        renamed = replace(finding, rule="drift.field.renamed", grade=Severity.ERROR,
                          expected=twin,
                          message=traffic_message("drift.field.renamed", finding.pointer,
                                                  twin, finding.observed))
        out[out.index(finding)] = renamed
        parent = finding.pointer.rsplit("/", 1)[0]
        missing = by_key.get(("drift.field.missing_required", finding.operation,
                              finding.location, f"{parent}/{escape_pointer(twin)}"))
        if missing is not None and missing in out:
            out.remove(missing)  # the rename explains the missing field
    return out


def _twin(spec: Spec, finding: TrafficDrift) -> str | None:
    """The one documented field beside the undocumented one whose name has the same key."""
    root = body_schema(spec, finding.operation, finding.location)
    if root is None:
        return None
    parent = finding.pointer.rsplit("/", 1)[0]
    documented: set[str] = set()
    for part in schemas_at(spec, root, parent):
        props = part.value.get("properties")
        if isinstance(props, dict):
            documented.update(str(p) for p in props)
    name = last_token(finding.pointer)
    twins = sorted(d for d in documented if d != name and _name_key(d) == _name_key(name))
    return twins[0] if len(twins) == 1 else None
