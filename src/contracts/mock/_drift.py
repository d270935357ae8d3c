"""Controlled departures from the spec (``MockOptions.drift``): a 2xx JSON answer with a field
removed, renamed, retyped, an undocumented enum value or field, or an undocumented status."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from ..specs import Operation
from ._vendor import Reply, Vendor

__all__ = ["apply_drift"]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def _renamed(name: str) -> str:
    other = _camel(name) if "_" in name else _snake(name)
    return other if other != name else name + "_v2"


def _primary(body: Any, targets: tuple[str, ...]) -> dict[str, Any] | None:
    if not isinstance(body, dict):
        return None
    node: dict[str, Any] = body
    for _ in range(4):
        for key in targets:
            child = node.get(key)
            if isinstance(child, dict) and child:
                node = child
                break
        else:
            # A list answer ({"sessions": [...]}): the first item drifts, the rest stay.
            lists = [v for v in node.values() if isinstance(v, list) and v
                     and isinstance(v[0], dict)]
            if len(node) <= 2 and lists:
                return lists[0][0]  # type: ignore[no-any-return]
            break
    return node


# Each field drift changes ``target`` in place and says whether it found something to change;
# ``keys`` are the target's fields that are not enum fields (or all of them, when all are).
_FieldDrift = Callable[[Vendor, dict[str, Any], list[str]], bool]


def _enum_value(vendor: Vendor, target: dict[str, Any], keys: list[str]) -> bool:
    for name, value in vendor.enum_fields.items():
        if name in target:
            target[name] = value
            return True
    return False


def _type_changed(vendor: Vendor, target: dict[str, Any], keys: list[str]) -> bool:
    numeric = [k for k in keys if isinstance(target[k], int | float)
               and not isinstance(target[k], bool)]
    strings = [k for k in keys if isinstance(target[k], str)]
    if numeric:
        target[numeric[0]] = str(target[numeric[0]])
    elif strings:
        target[strings[-1]] = [target[strings[-1]]]
    return bool(numeric or strings)


def _field_renamed(vendor: Vendor, target: dict[str, Any], keys: list[str]) -> bool:
    name = keys[-1] if len(keys) > 1 else keys[0] if keys else None
    if name is None or name not in target:
        return False
    target[_renamed(name)] = target.pop(name)
    return True


def _field_removed(vendor: Vendor, target: dict[str, Any], keys: list[str]) -> bool:
    if not keys or keys[0] not in target:
        return False
    del target[keys[0]]
    return True


def _field_added(vendor: Vendor, target: dict[str, Any], keys: list[str]) -> bool:
    target["x_vendor_trace"] = f"trace-{vendor.options.seed:04d}"
    return True


_FIELD_DRIFTS: Mapping[str, _FieldDrift] = {
    # in the order they are applied (a renamed field is not also removed)
    "enum-value": _enum_value,
    "type-changed": _type_changed,
    "field-renamed": _field_renamed,
    "field-removed": _field_removed,
    "field-added": _field_added,
}


def _undocumented_success(op: Operation) -> int | None:
    documented = {str(k) for k in op.node.value.get("responses") or {}}
    return next((c for c in (201, 200, 203) if str(c) not in documented), None)


def apply_drift(vendor: Vendor, op: Operation, reply: Reply) -> Reply:
    """The reply with every drift kind of ``vendor.options.drift`` applied (2xx JSON only)."""
    kinds = vendor.options.drift
    if not kinds or not 200 <= reply.status < 300:
        return reply
    body = orjson.loads(orjson.dumps(reply.body)) if reply.body is not None else None
    status = reply.status
    target = _primary(body, vendor.drift_targets)
    applied: list[str] = []
    if target is not None:
        free = [k for k in target if k not in vendor.drift_kept]
        keys = [k for k in free if k not in vendor.enum_fields] or free
        applied = [kind for kind, drift in _FIELD_DRIFTS.items()
                   if kind in kinds and drift(vendor, target, keys)]
    if "status-code" in kinds and (other := _undocumented_success(op)) is not None:
        status = other
        applied.append("status-code")
    headers = dict(reply.headers)
    if applied:
        headers["x-contracts-drift"] = ",".join(applied)
    return Reply(status, body, headers)
