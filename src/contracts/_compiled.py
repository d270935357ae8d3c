"""What validation derives from a spec once, for its clean fast path: a response body's
compiled plan, each parameter resolved and compiled, security requirements as checks; and the
small helpers both the fast path and the full walk use (header lookup, text coercion)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._loading import DEFAULT_LIMITS
from ._schema import CompiledSchema
from ._strict import Shape

__all__ = ["MAX_BODY", "Param", "Plan", "coerce", "content_type_of", "credential_check",
           "header", "params_clean", "split_list"]


@dataclass(frozen=True, slots=True)
class Plan:
    """A documented JSON response body, compiled: what the clean fast path needs."""

    is_valid: Any
    compiled: CompiledSchema
    shape: Shape
    headers: bool  # the response documents headers (checked by the full walk)


MAX_BODY = DEFAULT_LIMITS.max_bytes


@dataclass(frozen=True, slots=True)
class Param:
    """A documented parameter, resolved and compiled once per operation."""

    where: str
    name: str
    location: str
    required: bool
    schema: Any  # the resolved schema (to coerce the text by)
    compiled: CompiledSchema | None
    item_schema: Any  # an array's item schema; None when not an array
    exploded: bool


def content_type_of(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    value = headers.get("content-type")  # recorded exchanges keep names in lower case
    if value is not None:
        return str(value)
    for name, value in headers.items():
        if name.lower() == "content-type":
            return str(value)
    return None


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    wanted = name.lower()
    found = headers.get(wanted)
    if found is not None:
        return str(found)
    for key, value in headers.items():
        if key.lower() == wanted:
            return str(value)
    return None


def coerce(raw: str, schema: Any) -> Any:
    """Turn a parameter's text into the JSON value its schema describes (best effort)."""
    types = schema.get("type") if isinstance(schema, dict) else None
    types = [types] if isinstance(types, str) else (types or [])
    if "integer" in types:
        try:
            return int(raw)
        except ValueError:
            pass
    if "number" in types:
        try:
            return float(raw)
        except ValueError:
            pass
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    if "null" in types and raw == "":
        return None
    return raw



def params_clean(params: tuple[Param, ...], path_params: Mapping[str, str],
                  query: Mapping[str, list[str]],
                  headers: Mapping[str, str] | None) -> bool:
    """No parameter is missing or invalid: the walk's verdict (``_parameter``), yes or no."""
    for param in params:
        where = param.where
        if where == "path":
            raw = path_params.get(param.name)
            values = None if raw is None else [raw]
        elif where == "query":
            values = query.get(param.name) or None
        elif where == "header":
            if headers is None:
                continue
            raw = header(headers, param.name)
            values = None if raw is None else [raw]
        else:
            continue
        if values is None:
            if param.required:
                return False
            continue
        compiled = param.compiled
        if compiled is None:
            continue
        item_schema = param.item_schema
        if item_schema is not None:  # an array: split and coerced as the walk does
            items = split_list(values[0]) if len(values) == 1 and not param.exploded \
                else values
            if not compiled.is_valid([coerce(v, item_schema) for v in items]):
                return False
        elif not compiled.is_valid(coerce(values[-1], param.schema)):
            return False
    return True


def credential_check(scheme: Mapping[str, Any]) -> tuple[str, str, str]:
    """(type, what to look for, where) of a security scheme: an ``http`` scheme's
    ``"<scheme> "`` prefix of the Authorization header, an ``apiKey``'s name."""
    kind = str(scheme.get("type"))
    key = str(scheme.get("scheme", "")).lower() + " " if kind == "http" else str(
        scheme.get("name", ""))
    return kind, key, str(scheme.get("in"))


def split_list(raw: str) -> list[str]:
    """A comma-separated (non-exploded) array parameter's items; ``name=`` is the empty array,
    as OpenAPI's style table serialises it (``form``, ``explode: false``)."""
    return raw.split(",") if raw else []
