"""Schema walking for renames and suggestions: the parts of a spec that describe the value at
a JSON pointer inside a response body."""

from __future__ import annotations

from .._media import is_json_media
from .._pointers import split_pointer
from ..errors import ContractsError
from ..specs import Located, Spec

__all__ = ["body_schema", "flatten_schema", "schemas_at"]


def flatten_schema(spec: Spec, node: Located) -> list[Located]:
    """The schema and its allOf/anyOf/oneOf members (kept for callers: :meth:`Spec.flatten`)."""
    return spec.flatten(node)


def body_schema(spec: Spec, operation: str, location: str) -> Located | None:
    """The JSON body schema of ``location`` (``response.200.body``) of ``operation``."""
    parts = location.split(".")
    if len(parts) != 3 or parts[0] != "response" or parts[2] != "body":
        return None
    try:
        op = spec.operation(operation)
        responses = op.node.value.get("responses") or {}
        # A finding is filed under the status seen; an undocumented one was judged by a
        # documented response of its class (as the validator does), so look there.
        seen = parts[1]
        same_class = sorted(str(k) for k in responses if str(k)[:1] == seen[:1] and
                            str(k)[1:].isdigit())
        key = next((k for k in (seen, f"{seen[0]}XX", f"{seen[0]}xx", *same_class, "default")
                    if k in responses or (k.isdigit() and int(k) in responses)), seen)
        response = spec.resolve(op.node.child("responses", key))
    except (ContractsError, KeyError, TypeError, IndexError):
        return None
    content = response.value.get("content") if isinstance(response.value, dict) else None
    for media, entry in (content or {}).items():
        if is_json_media(str(media)) and isinstance(entry, dict) and "schema" in entry:
            return response.child("content", media, "schema")
    return None


def schemas_at(spec: Spec, root: Located, pointer: str) -> list[Located]:
    """Every schema part that describes the instance at ``pointer`` (``*`` = any item)."""
    current = [root]
    tokens = split_pointer(pointer)
    for token in tokens:
        following: list[Located] = []
        for schema in current:
            for part in flatten_schema(spec, schema):
                value = part.value
                if not isinstance(value, dict):
                    continue
                props = value.get("properties")
                if isinstance(props, dict) and token in props:
                    following.append(part.child("properties", token))
                elif token == "*" and isinstance(value.get("items"), dict):
                    following.append(part.child("items"))
                elif isinstance(value.get("additionalProperties"), dict):
                    following.append(part.child("additionalProperties"))
        current = following
        if not current:
            return []
    return [p for s in current for p in flatten_schema(spec, s) if isinstance(p.value, dict)]
