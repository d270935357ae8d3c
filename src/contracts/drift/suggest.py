"""Spec suggestions: a copy of the spec that documents the drift seen in traffic, every
addition marked for a human to review."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .._pointers import unescape_token
from ..diff.compare import as_spec
from ..findings import TrafficDrift
from ..specs import Spec
from .report import TrafficReport
from .schemas import body_schema, schemas_at

__all__ = ["suggest_spec"]


def _suggested_type(observed: str) -> Any:
    types = {t.strip() for t in observed.split(",") if t.strip()}
    if {"integer", "number"} <= types:
        types.discard("integer")
    order = ["object", "array", "string", "number", "integer", "boolean", "null"]
    ordered = [t for t in order if t in types]
    if not ordered:
        return None
    return ordered[0] if len(ordered) == 1 else ordered


def _when(finding: TrafficDrift) -> str:
    span = ""
    if finding.first_seen:
        span = f", first {finding.first_seen}, last {finding.last_seen}"
    return f"{finding.count} of {finding.total} recorded exchanges{span}"


def _node_at(data: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = unescape_token(token)
        data = data[int(token)] if isinstance(data, list) else data[token]
    return data


def suggest_spec(api: Spec | str | Path, report: TrafficReport) -> tuple[str, tuple[str, ...]]:
    """A copy of the spec that documents the observed drift, for a human to review: each
    undocumented (or renamed-to) field becomes an optional property typed from what was seen
    (``null`` added when nulls were), each new enum value is appended (values need
    ``collect_values``). Every addition carries ``x-contracts-suggested: true`` and a
    description of when it was observed. Returns the YAML text and notes on what was skipped."""
    import copy

    from .._loading import dump_document

    spec = as_spec(api)
    data = copy.deepcopy(spec.root.data)
    notes: list[str] = []
    for finding in report.findings:
        if finding.rule in ("drift.field.undocumented", "drift.field.renamed"):
            _suggest_field(spec, data, finding, notes)
        elif finding.rule == "drift.enum.new_value" and finding.schema_path.endswith("/enum"):
            _suggest_enum_values(spec, data, finding, notes)
    return dump_document(data), tuple(notes)


def _suggest_field(spec: Spec, data: Any, finding: TrafficDrift, notes: list[str]) -> None:
    """An optional property typed from what was seen, in the object schema that holds its
    siblings."""
    root = body_schema(spec, finding.operation, finding.location)
    parent, token = finding.pointer.rsplit("/", 1)
    name = unescape_token(token)
    parts = schemas_at(spec, root, parent) if root is not None else []
    holder = next((p for p in parts if isinstance(p.value.get("properties"), dict)),
                  None) or next((p for p in parts if p.value.get("type") == "object"), None)
    if holder is None or holder.uri != spec.uri:
        notes.append(f"{finding.operation} {finding.location}{finding.pointer}: no "
                     "object schema in the spec file to add it to")
        return
    node = _node_at(data, holder.pointer)
    props = node.setdefault("properties", {})
    if name in props:
        return
    prop: dict[str, Any] = {}
    kind = _suggested_type(finding.observed)
    if kind is not None:
        prop["type"] = kind
    prop["description"] = (f"Undocumented field seen in traffic ({_when(finding)}, "
                           f"operation {finding.operation}). Review before keeping.")
    prop["x-contracts-suggested"] = True
    props[name] = prop


def _suggest_enum_values(spec: Spec, data: Any, finding: TrafficDrift,
                         notes: list[str]) -> None:
    """The values seen outside an enum, appended to it (when they were collected)."""
    from urllib.parse import unquote

    uri, _hash, fragment = finding.schema_path.partition("#")
    pointer = unquote(fragment)
    if uri != spec.uri:
        notes.append(f"{finding.operation} {finding.location}{finding.pointer}: the "
                     "enum lives in another file")
        return
    if not finding.values:
        notes.append(f"{finding.operation} {finding.location}{finding.pointer}: no "
                     "values collected for the new enum value")
        return
    schema = _node_at(data, pointer.rsplit("/", 1)[0])
    enum = schema.get("enum")
    if not isinstance(enum, list):
        return
    added = [v for v in finding.values if v not in enum]
    if not added:
        return
    enum.extend(added)
    text = ", ".join(json.dumps(v, ensure_ascii=False) for v in added)
    note = (f"Suggested from traffic: {text} seen ({_when(finding)}, operation "
            f"{finding.operation}). Review before keeping.")
    described = schema.get("description")
    schema["description"] = f"{described} {note}" if described else note
    schema["x-contracts-suggested"] = True
