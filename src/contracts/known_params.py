"""Known parameter values (``--param``): values that exist at the vendor, and how they reach
schemathesis (its own fixed parameters and dictionaries) and a mock's priming calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import UsageError
from .specs import Operation, Spec

__all__ = ["PARAM_LOCATIONS", "KnownParam", "from_body", "known_config", "known_values",
           "operation_parameters", "request_example"]


PARAM_LOCATIONS = ("path", "query", "header")
"""Where a known value (``--param``) can go."""


@dataclass(frozen=True)
class KnownParam:
    """Values of a path, query or header parameter that exist at the vendor (``--param``).

    ``api`` and ``operation`` (an operationId) narrow where it applies; None applies it to
    every operation that has a parameter called ``name``. Several values for one name are
    several ``KnownParam`` (or one with several ``values``).
    """

    name: str
    values: tuple[str, ...]
    api: str | None = None
    operation: str | None = None

    @classmethod
    def parse(cls, text: str) -> KnownParam:
        """``NAME=VALUE``, ``OPERATION.NAME=VALUE``, ``API:NAME=VALUE`` or
        ``API:OPERATION.NAME=VALUE``; :class:`UsageError` when it is none of them."""
        key, eq, value = text.partition("=")
        hint = "--param NAME=VALUE or --param API:OPERATION.NAME=VALUE"
        if not eq or not key.strip():
            raise UsageError(f"--param {text!r} is not NAME=VALUE", hint=hint)
        if "${" in value:
            # schemathesis expands ${VAR} in configured values: a value must stay literal.
            raise UsageError(f"--param {key}: a value must not contain '${{'",
                             hint="known values are sent as given")
        api, colon, rest = key.strip().partition(":")
        if not colon:
            api, rest = "", key.strip()
        operation, dot, name = rest.partition(".")
        if not dot:
            operation, name = "", rest
        if not name or (colon and not api):
            raise UsageError(f"--param {text!r}: empty API, operation or parameter name",
                             hint=hint)
        return cls(name=name, values=(value,), api=api or None, operation=operation or None)

    def describe(self) -> str:
        scope = f"{self.api}:" if self.api else ""
        scope += f"{self.operation}." if self.operation else ""
        return f"{scope}{self.name}"


def operation_parameters(spec: Spec, op: Operation) -> dict[tuple[str, str], dict[str, Any]]:
    """An operation's path, query and header parameters by (location, name), resolved; the
    operation's own override the path item's (as OpenAPI says)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for holder in (op.path_item, op.node):
        for index, _ in enumerate(holder.value.get("parameters") or []):
            param = spec.resolve(holder.child("parameters", index)).value
            if isinstance(param, Mapping) and param.get("in") in PARAM_LOCATIONS:
                found[(str(param["in"]), str(param.get("name")))] = dict(param)
    return found


def _same_name(location: str, declared: str, given: str) -> bool:
    return declared.lower() == given.lower() if location == "header" else declared == given


def known_values(spec: Spec, op: Operation, known: Sequence[KnownParam]
                 ) -> dict[tuple[str, str], tuple[str, ...]]:
    """The known values for each parameter of ``op``: the ones given for this operation, else
    the ones given for the name alone (in the order given, without repeats)."""
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for (location, name) in operation_parameters(spec, op):
        mine = [k for k in known if k.api in (None, spec.name)
                and _same_name(location, name, k.name)]
        specific = [v for k in mine if k.operation == op.operation_id for v in k.values]
        general = [v for k in mine if k.operation is None for v in k.values]
        values = tuple(dict.fromkeys(specific or general))
        if values:
            out[(location, name)] = values
    return out


def request_example(spec: Spec, op: Operation) -> Any:
    if "requestBody" not in op.node.value:
        return None
    body = spec.resolve(op.node.child("requestBody")).value
    media = (body.get("content") or {}).get("application/json") or {}
    for example in (media.get("examples") or {}).values():
        if isinstance(example, Mapping) and "value" in example:
            return example["value"]
    return media.get("example")


def from_body(data: Any, expression: str) -> Any:
    """The value a ``$response.body#/pointer`` runtime expression names (None otherwise)."""
    prefix = "$response.body#"
    if not expression.startswith(prefix):
        return None
    for part in [p for p in expression[len(prefix):].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data if isinstance(data, str | int | float) and not isinstance(data, bool) else None


def known_config(spec: Spec, runnable: Sequence[Operation], known: Sequence[KnownParam],
                  document: dict[str, Any]) -> dict[str, Any]:
    """schemathesis's own fixed parameter values, one ``[[operations]]`` entry per operation.

    One value is a ``parameters`` override (every phase sends it). Several are a dictionary
    bound to the parameter at probability 1 (the generating phases draw from it) and, since
    the examples phase reads examples rather than dictionaries, the parameter's ``examples``
    in the copy of the spec handed to schemathesis: that phase sends each of them.
    """
    entries: list[dict[str, Any]] = []
    dictionaries: dict[str, dict[str, Any]] = {}
    for op in runnable:
        values = known_values(spec, op, known)
        if not values:
            continue
        parameters: dict[str, Any] = {}
        declared = operation_parameters(spec, op)
        for (location, name), given in values.items():
            key = f"{location}.{name}"
            if len(given) == 1:
                parameters[key] = given[0]
                continue
            dictionary = f"contracts-known-{len(dictionaries)}"
            dictionaries[dictionary] = {"values": list(given)}
            parameters[key] = {"dictionary": dictionary, "probability": 1.0}
            param = {k: v for k, v in declared[(location, name)].items() if k != "example"}
            param["examples"] = {f"known-{i}": {"value": v} for i, v in enumerate(given)}
            target = ((document.get("paths") or {}).get(op.path) or {}).get(
                op.method.lower())
            if not isinstance(target, dict):
                continue
            # An operation's parameter overrides the path item's one of the same name and place.
            target["parameters"] = [p for p in target.get("parameters") or []
                                    if not (isinstance(p, dict) and p.get("in") == location
                                            and p.get("name") == name)] + [param]
        where = ({"include-operation-id": op.operation_id}
                 if op.node.value.get("operationId") else
                 {"include-name": f"{op.method.upper()} {op.path}"})
        entries.append({**where, "parameters": parameters})
    out: dict[str, Any] = {"operations": entries} if entries else {}
    if dictionaries:
        out["dictionaries"] = dictionaries
    return out
