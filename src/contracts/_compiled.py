"""What validation derives from a spec once, for its clean fast path: a response body's
compiled plan, each parameter resolved and compiled, security requirements as checks, what a
URL of recorded traffic decides; and the small helpers both the fast path and the full walk
use (header lookup, text coercion, the documented media type, a response's status class)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlsplit

from ._loading import DEFAULT_LIMITS
from ._media import is_json_media
from ._record import Record
from ._schema import CompiledSchema, json_type
from ._strict import Shape

if TYPE_CHECKING:
    from .specs import Located, Operation

__all__ = ["BODY_OPTIONAL", "BODY_REQUIRED", "MAX_BODY", "NO_BODY_DOCUMENTED", "Media", "Param",
           "Plan", "Route", "SecurityPlan", "clip", "coerce", "content_type_of",
           "credential_check", "credentials_present", "find_media", "header", "make_route",
           "params_clean", "query_values", "security_plan", "split_list", "status_number"]


@dataclass(init=False, repr=False, eq=False, slots=True)  # a frozen record: see _record
class Plan(Record):
    """A documented JSON response body, compiled: what the clean fast path needs."""

    is_valid: Any
    compiled: CompiledSchema
    shape: Shape
    headers: bool  # the response documents headers (checked by the full walk)
    # For a body parsed here, with the vendor's rules on (they share what it reads):
    # check(value, scratch), see contracts._vouched; None or False: none.
    vouched: Any = None
    # The operation's invariant rules and its vendor's screen (Validator._op_checks), here so
    # that a clean answer is judged without looking them up again.
    rules: Any = ()
    screen: Any = None

    def __init__(self, is_valid: Any, compiled: CompiledSchema, shape: Shape,
                 headers: bool, vouched: Any = None, rules: Any = (),
                 screen: Any = None) -> None:
        _set = object.__setattr__
        _set(self, "is_valid", is_valid)
        _set(self, "compiled", compiled)
        _set(self, "shape", shape)
        _set(self, "headers", headers)
        _set(self, "vouched", vouched)
        _set(self, "rules", rules)
        _set(self, "screen", screen)


MAX_BODY = DEFAULT_LIMITS.max_bytes


@dataclass(init=False, repr=False, eq=False, slots=True)  # a frozen record: see _record
class Param(Record):
    """A documented parameter, resolved and compiled once per operation."""

    where: str
    name: str
    location: str
    required: bool
    schema: Any  # the resolved schema (to coerce the text by)
    compiled: CompiledSchema | None
    item_schema: Any  # an array's item schema; None when not an array
    exploded: bool

    def __init__(self, where: str, name: str, location: str, required: bool, schema: Any,
                 compiled: CompiledSchema | None, item_schema: Any, exploded: bool) -> None:
        _set = object.__setattr__
        _set(self, "where", where)
        _set(self, "name", name)
        _set(self, "location", location)
        _set(self, "required", required)
        _set(self, "schema", schema)
        _set(self, "compiled", compiled)
        _set(self, "item_schema", item_schema)
        _set(self, "exploded", exploded)


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


SecurityPlan = tuple[tuple[tuple[str, str, str], ...], ...]
"""An operation's security requirements as checks: per requirement (any one will do), the
:func:`credential_check` of each of its schemes (all must pass)."""


def security_plan(requirements: Any, schemes: Mapping[str, Any]) -> SecurityPlan:
    """The checks of ``requirements`` (an operation's ``security``, else the document's)."""
    return tuple(tuple(credential_check(schemes.get(name) or {}) for name in requirement)
                 for requirement in requirements or ())


def credentials_present(plan: SecurityPlan, headers: Mapping[str, str],
                        query: Mapping[str, list[str]]) -> bool:
    """Some requirement of ``plan`` is met by the request's headers and query: the walk's
    ``request.auth.missing`` would not be reported."""
    if not plan:
        return True
    for requirement in plan:
        for kind, key, where in requirement:
            if kind == "http":  # recorded traffic carries "[REDACTED]": it was sent
                auth = headers.get("authorization")  # recorded: names in lower case
                if type(auth) is not str:
                    auth = header(headers, "authorization") or ""
                if not auth.lower().startswith(key) and not auth.startswith("[REDACTED"):
                    break
            elif kind == "apiKey":
                if where == "header" and header(headers, key) is None:
                    break
                if where == "query" and key not in query:
                    break
        else:
            return True
    return False


def split_list(raw: str) -> list[str]:
    """A comma-separated (non-exploded) array parameter's items; ``name=`` is the empty array,
    as OpenAPI's style table serialises it (``form``, ``explode: false``)."""
    return raw.split(",") if raw else []


NO_BODY_DOCUMENTED, BODY_OPTIONAL, BODY_REQUIRED = 0, 1, 2


@dataclass(init=False, repr=False, eq=False, slots=True)  # a frozen record: see _record
class Route(Record):
    """What one (method, URL) of recorded traffic decides once, for its clean fast path:
    the operation, whether a request body is documented (``*_BODY_*``), the header parameters
    still to check, the query (for credentials sent in it), what the invariants see of it, and
    the operation's security requirements as checks.
    Only a URL whose path and query parameters pass has a route."""

    operation: Operation
    request_body: int
    header_params: tuple[Param, ...]
    query: Mapping[str, list[str]]
    invariant_query: Mapping[str, str]
    security: SecurityPlan

    def __init__(self, operation: Operation, request_body: int,
                 header_params: tuple[Param, ...], query: Mapping[str, list[str]],
                 invariant_query: Mapping[str, str], security: SecurityPlan) -> None:
        _set = object.__setattr__
        _set(self, "operation", operation)
        _set(self, "request_body", request_body)
        _set(self, "header_params", header_params)
        _set(self, "query", query)
        _set(self, "invariant_query", invariant_query)
        _set(self, "security", security)


def make_route(op: Operation, path_params: Mapping[str, str], url: str,
               params: tuple[Param, ...], strict: bool, known_query: frozenset[str],
               request_body: Any, security: SecurityPlan) -> Route | None:
    """The route of ``url`` served by ``op`` (``request_body``: its resolved Request Body
    Object, or a false value); None when a path or query parameter (or, in strict mode, an
    undocumented query name) needs the walk."""
    query: dict[str, list[str]] = {}
    if "?" in url:
        for name, val in parse_qsl(urlsplit(url).query, keep_blank_values=True):
            query.setdefault(name, []).append(val)
    if not params_clean(params, path_params, query, None) or (
            strict and query and not known_query.issuperset(query)):
        return None
    body = NO_BODY_DOCUMENTED
    if request_body:
        body = BODY_REQUIRED if request_body.get("required") else BODY_OPTIONAL
    # What the invariants see: the last value of each name, as query_values(url) gives it.
    last = {name: values[-1] for name, values in query.items()}
    return Route(op, body, tuple(p for p in params if p.where == "header"),
                 MappingProxyType(query), MappingProxyType(last), security)


def query_values(url: str) -> dict[str, str]:
    """A URL's query as the invariants see it (the last value of each name)."""
    if "?" not in url:  # the common case, on every response: skip the URL parser
        return {}
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def status_number(key: str) -> int:
    """A response key's status: ``"201"`` -> 201, ``"2XX"`` -> 200."""
    return int(key) if key.isdigit() else int(key[0]) * 100


@dataclass(init=False, repr=False, eq=False, slots=True)  # a frozen record: see _record
class Media(Record):
    """A documented media type and its Media Type Object."""

    media_type: str
    node: Located

    def __init__(self, media_type: str, node: Located) -> None:
        object.__setattr__(self, "media_type", media_type)
        object.__setattr__(self, "node", node)


def find_media(holder: Located, content_type: str | None) -> Media | Literal[False] | None:
    """The documented media type for ``content_type``; False when none matches."""
    content = holder.value.get("content") if isinstance(holder.value, dict) else None
    if not isinstance(content, dict) or not content:
        return None
    if content_type is None:
        for media_type in content:
            if is_json_media(media_type):
                return Media(media_type, holder.child("content", media_type))
        first = next(iter(content))
        return Media(first, holder.child("content", first))
    base = content_type.split(";", 1)[0].strip().lower()
    major = base.split("/", 1)[0]
    for candidate in (base, f"{major}/*", "*/*"):
        for media_type in content:
            if media_type.split(";", 1)[0].strip().lower() == candidate:
                return Media(media_type, holder.child("content", media_type))
    return False


def clip(value: Any) -> Any:
    """Keep ``actual`` small: a 30 MB string is reported by its size, not carried around."""
    if isinstance(value, str) and len(value) > 256:
        return value[:256] + f"... ({len(value):,} characters)"
    if isinstance(value, dict | list):
        return f"<{json_type(value)} of {len(value)}>"
    return value
