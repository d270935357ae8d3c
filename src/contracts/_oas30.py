"""OpenAPI 3.0 documents read as their OpenAPI 3.1 (JSON Schema 2020-12) equivalents.

One converter, applied at load time, so that every command (validate, lint, drift, diff,
gate, generate, mock) works on one dialect. What changes is spelling, never meaning:

- ``nullable: true`` adds ``"null"`` to ``type`` (and ``null`` to an ``enum``); OpenAPI 3.0.3
  says it has no effect without a ``type`` in the same Schema Object, so then it is dropped;
- boolean ``exclusiveMinimum`` / ``exclusiveMaximum`` become the numbers 2020-12 expects;
- a ``$ref`` with siblings keeps only the reference (3.0 ignores the siblings; 3.1 would
  apply them), descriptions excepted;
- ``openapi`` becomes ``3.1.0``.

``example``, ``readOnly``/``writeOnly`` and ``discriminator`` mean the same in both versions
and are kept as written. Every object keeps its JSON pointer, so line maps still apply.
"""

from __future__ import annotations

from typing import Any

__all__ = ["is_30", "upgrade"]

JSON = Any
_DATA = frozenset({"example", "examples", "default", "enum", "const"})
_NAMES = frozenset({"properties", "patternProperties", "schemas", "responses", "parameters",
                    "requestBodies", "headers", "securitySchemes", "links", "callbacks",
                    "paths", "content", "encoding", "variables", "mapping"})
_KEPT_WITH_REF = frozenset({"$ref", "description", "summary"})


def is_30(document: JSON) -> bool:
    version = document.get("openapi") if isinstance(document, dict) else None
    return isinstance(version, str) and version.startswith("3.0.")


def upgrade(document: JSON) -> JSON:
    """A 3.1 reading of a 3.0 document (or of a file it references); the input is not
    changed. Objects that need no change are shared with the input."""
    out = _walk(document, names=False)
    if is_30(out):
        out = {**out, "openapi": "3.1.0"}
    return out


def _walk(node: JSON, names: bool) -> JSON:
    if isinstance(node, list):
        items = [_walk(item, False) for item in node]
        return node if all(a is b for a, b in zip(items, node, strict=True)) else items
    if not isinstance(node, dict):
        return node
    changed = False
    out: dict[str, JSON] = {}
    for key, value in node.items():
        if names:
            new = _walk(value, False)
        elif key in _DATA or str(key).startswith("x-"):
            new = value
        else:
            new = _walk(value, key in _NAMES)
        changed = changed or new is not value
        out[key] = new
    if not names:
        changed = _schema(out) or changed
    return out if changed else node


def _schema(schema: dict[str, JSON]) -> bool:
    """Rewrite one object's 3.0 keywords in place; whether anything changed."""
    changed = False
    if isinstance(schema.get("$ref"), str) and set(schema) - _KEPT_WITH_REF:
        for key in set(schema) - _KEPT_WITH_REF:
            del schema[key]
        return True
    for exclusive, inclusive in (("exclusiveMinimum", "minimum"),
                                 ("exclusiveMaximum", "maximum")):
        flag = schema.get(exclusive)
        if isinstance(flag, bool):
            changed = True
            del schema[exclusive]
            if flag and isinstance(schema.get(inclusive), int | float):
                schema[exclusive] = schema.pop(inclusive)
    nullable = schema.get("nullable")
    if isinstance(nullable, bool):
        changed = True
        del schema["nullable"]
        kind = schema.get("type")
        if nullable and isinstance(kind, str):
            schema["type"] = [kind, "null"]
            enum = schema.get("enum")
            if isinstance(enum, list) and None not in enum:
                schema["enum"] = [*enum, None]
    return changed
