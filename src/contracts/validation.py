"""Request and response validation against a spec: statuses, content types, headers,
parameters, bodies (JSON Schema 2020-12 via jsonschema-rs) and the vendors' invariants.

The primitive is ``iter_*_violations`` (yields :class:`~contracts.findings.Violation`);
``validate_*`` raises :class:`~contracts.findings.ContractViolation` with the most relevant
violation first; ``is_valid_*`` answers yes or no. Validators are compiled once per
(spec, schema) and cached, so validating the same operation again costs one parse and one
compiled check.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from orjson import loads as _loads

from . import vendors
from ._compiled import (
    BODY_REQUIRED,
    MAX_BODY,
    NO_BODY_DOCUMENTED,
    Param,
    Plan,
    Route,
    SecurityPlan,
    coerce,
    content_type_of,
    credentials_present,
    find_media,
    header,
    make_route,
    params_clean,
    query_values,
    security_plan,
    status_number,
)
from ._compiled import Media as _Media
from ._compiled import clip as _clip
from ._derived import body_violation as _body_violation
from ._derived import parameter_violations as _parameter_violations
from ._derived import replace as _replace
from ._derived import undocumented_content_type as _undocumented_content_type
from ._loading import parse_json
from ._media import is_json_media
from ._schema import Direction, SchemaValidators, json_type
from ._strict import Shapes, clean_of, undocumented_in
from ._vouched import vouched_check
from .errors import InputError, OperationNotFound, UncompilableSchema, UnresolvableRef
from .findings import ContractViolation, Severity, Violation
from .invariants import InvariantContext, check_invariants, rules_for_operation, screen_for
from .specs import Located, Operation, Spec, load_spec

__all__ = [
    "Validator",
    "is_valid_request",
    "is_valid_response",
    "iter_request_violations",
    "iter_response_violations",
    "validate_request",
    "validate_response",
    "validator_for",
]

Body = Any
"""``None`` (no body), ``bytes``/``str`` (raw text, parsed as JSON here), or parsed JSON."""

_NO_BODY = object()
_NOTHING_PARSED: tuple[Any, Any] = (_NO_BODY, None)
_UNROUTED: Any = object()  # not in a cache yet
_REMEMBERED = 1 << 20
"""The largest raw body whose parse is kept for the walk after the fast path (one at a time,
well under the limits at which ``parse_json`` refuses what orjson parses)."""

_FLAGGED: dict[str, tuple[str, Severity, str]] = {
    # JSON Schema: a read-only value is the API's to set; a write-only one is never read back.
    "request": ("read_only", Severity.WARNING, "a read-only property is sent in a request"),
    "response": ("write_only", Severity.ERROR,
                 "a write-only property is returned in a response"),
}


class Validator:
    """Validates exchanges against one spec. Thread-safe; cheap to reuse, costly to rebuild."""

    def __init__(self, spec: Spec | str, *, invariants: bool = True, formats: bool = True):
        """``formats=False`` treats ``format`` as an annotation, as JSON Schema 2020-12 does
        by default; the default asserts it, as OpenAPI tools do (``date-time``, ``uuid``)."""
        self.spec = spec if isinstance(spec, Spec) else load_spec(spec)
        self._schemas = SchemaValidators(self.spec, validate_formats=formats)
        self._shapes = Shapes(self.spec)
        entry = vendors.find(self.spec.name) if invariants else None
        self._invariants = entry is not None and entry.invariants is not None
        self._match_cache: dict[tuple[str, str], Any] = {}
        self._url_cache: dict[tuple[str, str], Any] = {}
        self._plans: dict[tuple[str, int, str | None], Plan | None] = {}
        self._routes: dict[tuple[str, str, str | None, bool], Route | None] = {}
        self._param_cache: dict[str, tuple[Param, ...]] = {}
        self._security_plans: dict[str, SecurityPlan] = {}
        self._response_cache: dict[tuple[str, int], tuple[str, Located] | None] = {}
        self._media_cache: dict[tuple[str, str, str | None], _Media | Literal[False] | None] = {}
        self._with_invariants = invariants
        self._bases: dict[tuple[str, str], Violation] = {}
        self._op_rules: dict[str, tuple[Any, Any]] = {}  # invariant rules and screen per op
        self._classes: dict[tuple[str, int], tuple[list[str], int | None]] = {}
        self._last_parsed = _NOTHING_PARSED  # (raw body, its JSON): see _body_clean, _parse

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled as its spec; compiled again on unpickling (once per process if bundled)."""
        return _rebuild_validator, (self.spec, self._with_invariants)

    # -- lookup -------------------------------------------------------------------------
    def _operation(self, method: str, url: str, operation: str | None
                   ) -> tuple[Operation, Mapping[str, str]]:
        if operation is not None:
            op = self.spec.operation(operation)
            try:
                found = self.spec.match(op.method, url)
                params = found.path_params if found.operation is op else {}
            except OperationNotFound:
                params = {}
            return op, params
        hit = self._url_cache.get((method, url))
        if hit is not None and not isinstance(hit, OperationNotFound):
            return hit.operation, hit.path_params
        key = (method.lower(), urlsplit(url).path or url)
        hit = self._match_cache.get(key)
        if hit is None:
            try:
                hit = self.spec.match(method, url)
            except OperationNotFound as exc:
                hit = exc
            if len(self._match_cache) > 4096:
                self._match_cache.clear()
            self._match_cache[key] = hit
        if isinstance(hit, OperationNotFound):
            raise hit
        if len(self._url_cache) > 4096:  # recorded traffic: one URL per session id
            self._url_cache.clear()
        self._url_cache[(method, url)] = hit
        return hit.operation, hit.path_params

    def _located(self, method: str, url: str, operation: str | None
                 ) -> tuple[tuple[Operation, Mapping[str, str]], Violation] | Violation:
        """The operation serving ``url``, its path parameters and its violations' base record,
        or the undocumented-operation violation (a caller's unknown ``operation`` raises)."""
        try:
            found = self._operation(method, url, operation)
        except OperationNotFound as exc:
            if operation is not None:
                raise
            return self._undocumented_operation(exc)
        return found, self._base(found[0].operation_id)

    def _base(self, operation_id: str, location: str = "") -> Violation:
        """The record an operation's violations start from (frozen: one serves them all)."""
        base = self._bases.get((operation_id, location))
        if base is None:
            base = self._bases[operation_id, location] = Violation(
                code="", message="", api=self.spec.name, operation=operation_id,
                location=location)
        return base

    def _same_class(self, op: Operation, status: int) -> tuple[list[str], int | None]:
        """The documented status keys, and the documented status of ``status``'s class (2xx,
        3xx) whose body an undocumented ``status`` owes (None: none), once per pair."""
        hit = self._classes.get((op.operation_id, status))
        if hit is None:
            documented = sorted(str(k) for k in op.node.value.get("responses") or {})
            same = [k for k in documented if k[:1] == str(status)[:1] and k[:1] in "23"]
            if len(self._classes) > 4096:  # statuses come from traffic: keep it bounded
                self._classes.clear()
            hit = self._classes[op.operation_id, status] = (
                documented, status_number(same[0]) if same else None)
        return hit

    def _undocumented_operation(self, exc: OperationNotFound) -> Violation:
        hint = f" ({exc.hint})" if exc.hint else ""
        return Violation(code="request.operation.undocumented", api=self.spec.name,
                         location="request.path",
                         message=f"no documented operation: {exc.wanted}{hint}")

    def response_node(self, op: Operation, status: int) -> tuple[str, Located] | None:
        """The Response Object documenting ``status`` for ``op`` (exact code, then its ``NXX``
        class, then ``default``) with the key it is under; None if nothing documents it."""
        key = (op.operation_id, status)
        try:
            return self._response_cache[key]
        except KeyError:
            pass
        found = self._find_response_node(op, status)
        if len(self._response_cache) > 4096:
            self._response_cache.clear()
        self._response_cache[key] = found
        return found

    def _find_response_node(self, op: Operation, status: int) -> tuple[str, Located] | None:
        responses = op.node.value.get("responses") or {}
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
            if key in responses:
                return key, self.spec.resolve(op.node.child("responses", key))
        return None

    def _media(self, holder: Located, content_type: str | None) -> _Media | Literal[False] | None:
        """:meth:`_find_media`, remembered per (response, content type)."""
        key = (holder.uri, holder.pointer, content_type)
        try:
            return self._media_cache[key]
        except KeyError:
            pass
        found = find_media(holder, content_type)
        if len(self._media_cache) > 4096:  # content types carry parameters: keep it bounded
            self._media_cache.clear()
        self._media_cache[key] = found
        return found

    # -- bodies -------------------------------------------------------------------------
    def _parse(self, body: Body, where: str, base: Violation) -> tuple[Any, Violation | None]:
        if isinstance(body, bytes | bytearray | memoryview | str):
            last = self._last_parsed
            if last[0] is body:  # parsed just now by _body_clean, as parse_json would
                self._last_parsed = _NOTHING_PARSED
                return last[1], None
            raw = body if isinstance(body, str) else bytes(body)
            if not raw.strip():
                return _NO_BODY, None
            try:
                return parse_json(raw, source=where), None
            except InputError as exc:
                return _NO_BODY, _replace(base, code=f"{where}.not_json",
                                          message=f"the body is not JSON: {exc.detail}")
        return body, None

    def _check_body(self, value: Any, media: _Media, where: str, base: Violation,
                    strict: bool) -> Iterator[Violation]:
        schema_node = media.node.child("schema") if "schema" in media.node.value else None
        if schema_node is None:
            return
        direction: Direction = "request" if where == "request.body" else "response"
        try:
            compiled = self._schemas.compile(schema_node, direction)
        except UnresolvableRef as exc:
            raise UnresolvableRef(exc.ref, source=self.spec.source, reason=exc.reason) from None
        except UncompilableSchema as exc:
            raise UncompilableSchema(exc.ref, source=self.spec.source, reason=exc.reason,
                                     pointer=schema_node.pointer) from None
        for error in compiled.iter_errors(value):
            yield _body_violation(base, f"{where}.schema", error.message, error.pointer,
                                  error.schema_location, error.expected, _clip(error.actual),
                                  base.severity)
        if compiled.flag is not None:
            code, severity, message = _FLAGGED[direction]
            for pointer, location, actual in compiled.flagged(value):
                yield _replace(base, code=f"{where}.{code}", message=message, pointer=pointer,
                               schema_path=location, severity=severity, actual=_clip(actual))
        if strict:
            shape = self._shapes.root(schema_node)
            if not clean_of(value, shape):
                for pointer, name, child in undocumented_in(value, shape, "", set()):
                    yield _body_violation(base, f"{where}.undocumented_field",
                                          f"field {name!r} is not in the spec", pointer,
                                          base.schema_path, base.expected, json_type(child),
                                          Severity.INFO)

    # -- the clean fast path ------------------------------------------------------------
    def _plan(self, op: Operation, status: int, content_type: str | None) -> Plan | None:
        """Everything the spec says about a response body, found once per (operation,
        status, content type); None when only the full walk can judge (an undocumented
        status or content type, a body that is not JSON, documented headers)."""
        key = (op.operation_id, status, content_type)
        try:
            return self._plans[key]
        except KeyError:
            pass
        plan = None
        found = self.response_node(op, status)
        if found is not None:
            response = found[1]
            media = self._media(response, content_type)
            headers = [name for name in response.value.get("headers") or {}
                       if name.lower() != "content-type"]
            if isinstance(media, _Media) and is_json_media(media.media_type) \
                    and "schema" in media.node.value:
                schema_node = media.node.child("schema")
                try:
                    compiled = self._schemas.compile(schema_node, "response")
                except (UnresolvableRef, UncompilableSchema):  # the walk raises it
                    compiled = None
                if compiled is not None:
                    plan = Plan(compiled.valid, compiled, self._shapes.root(schema_node),
                                bool(headers), self._invariants and vouched_check(
                                    self.spec, self._schemas, schema_node, compiled, op, status),
                                *self._op_checks(op.operation_id))
        if len(self._plans) > 4096:
            self._plans.clear()
        self._plans[key] = plan
        return plan

    def _response_clean(self, method: str, url: str, status: int, body: Body,
                        headers: Mapping[str, str] | None, strict: bool,
                        operation: str | None, query: Mapping[str, str] | None = None) -> bool:
        """True when the response certainly breaks nothing (no violation of any severity);
        False means "walk it": :meth:`iter_response_violations` then names what is wrong.
        No generator, no record, no lookup that the spec could answer once."""
        if body is None or type(status) is not int:
            return False
        try:
            op, _params = self._operation(method, url, operation)
        except OperationNotFound:
            return False
        return self._body_clean(op, status, body, headers, strict,
                                dict(query) if query is not None else None, url)

    def _body_clean(self, op: Operation, status: int, body: Body,
                    headers: Mapping[str, str] | None, strict: bool,
                    query: Mapping[str, str] | None, url: str = "",
                    documented: int | None = None) -> bool:
        """:meth:`_response_clean` once the operation is known (``query``: what the rules see
        of the request's query, None: read from ``url``; ``documented``: the status owed)."""
        if body is None or type(status) is not int:
            return False
        content_type = headers.get("content-type") if headers else None
        if type(content_type) is not str and headers:  # not as a recorder writes it
            content_type = content_type_of(headers)
        key = (op.operation_id, status if documented is None else documented, content_type)
        plan = self._plans.get(key, _UNROUTED)
        if plan is _UNROUTED:
            plan = self._plan(op, key[1], content_type)
        if plan is None or (plan.headers and headers is not None):
            return False
        if type(body) is bytes or type(body) is str:
            last = self._last_parsed
            if last[0] is body:
                value = last[1]
            else:
                if len(body) > MAX_BODY:
                    return False
                try:
                    value = _loads(body)
                except ValueError:  # not JSON, or blank: the walk says which
                    return False
                if len(body) <= _REMEMBERED:  # the walk that may follow parses it no more
                    self._last_parsed = (body, value)
        elif isinstance(body, bytes | bytearray | memoryview):
            return False
        else:
            value = body
        scratch: dict[str, Any] = {}  # what a vouched check (of a body parsed here) read
        if not (plan.is_valid(value) if not plan.vouched or value is body
                else plan.vouched(value, scratch)):
            return False
        if plan.compiled.flag is not None and any(plan.compiled.flagged(value)):
            return False
        if strict and not clean_of(value, plan.shape):
            return False
        if plan.rules and not self._invariants_clean(plan, op.operation_id, status, value,
                                                     query, url, scratch):
            return False  # a walk follows, which parses the body no more
        self._last_parsed = _NOTHING_PARSED  # no walk follows
        return True

    def _invariants_clean(self, plan: Plan, operation: str, status: int, value: Any,
                          query: Mapping[str, str] | None, url: str,
                          scratch: dict[str, Any]) -> bool:
        """No rule of ``plan`` (:meth:`_op_checks`) finds anything in the parsed ``value``."""
        if query is None:
            query = query_values(url)
        screen = plan.screen
        if screen is not None and screen(value, status, query):
            return True  # the vendor's one-pass verdict: no rule finds anything
        ctx = InvariantContext(self.spec.name, operation, status, value, query, None, scratch)
        for rule in plan.rules:
            for _found in rule(ctx):
                return False
        return True

    def _op_checks(self, operation: str) -> tuple[Any, Any]:
        """The invariant rules of ``operation`` and its vendor's screen, found once."""
        checks = self._op_rules.get(operation)
        if checks is None:
            checks = self._op_rules[operation] = (
                rules_for_operation(self.spec.name, operation),
                screen_for(self.spec.name, operation)) if self._invariants else ((), None)
        return checks

    def exchange_walk(self, exchange: Any, *, strict: bool = False) -> str:
        """What of a recorded exchange (anything with :class:`~contracts.exchanges.Exchange`'s
        attributes) must be walked to name its violations: ``""`` nothing (it certainly
        breaks nothing), ``"response"`` (the request certainly breaks nothing, and the
        response failed the clean fast path) or ``"both"``. What the URL decides (operation,
        path and query parameters) is judged once per (method, URL)."""
        method, url = exchange.method, exchange.url
        operation = getattr(exchange, "operation", None) or None
        route = self._routes.get((method, url, operation, strict), _UNROUTED)
        if route is _UNROUTED:
            route = self._route(method, url, operation, strict)
        if route is None:
            return "both"
        body = exchange.request_body
        if body is None:
            if route.request_body == BODY_REQUIRED:
                return "both"
        elif body or not (type(body) is bytes or type(body) is str) \
                or route.request_body != NO_BODY_DOCUMENTED:
            return "both"
        headers = exchange.request_headers or None
        if headers is not None and not (
                (not route.header_params or params_clean(route.header_params, {}, {}, headers))
                and credentials_present(route.security, headers, route.query)):
            return "both"
        status = exchange.status
        if status is None or self._body_clean(
                route.operation, status, exchange.response_body,
                exchange.response_headers or None, strict, route.invariant_query):
            return ""
        return "response"

    def _route(self, method: str, url: str, operation: str | None, strict: bool
               ) -> Route | None:
        key = (method, url, operation, strict)
        try:
            return self._routes[key]
        except KeyError:
            pass
        route = None
        try:
            op, path_params = self._operation(method, url, operation)
        except OperationNotFound:
            op = None
        if op is not None:
            params = self._request_params(op)
            request_body = op.node.value.get("requestBody") and self.spec.resolve(
                op.node.child("requestBody")).value
            route = make_route(op, path_params, url, params, strict,
                               self._known_query(op, params), request_body,
                               self._security_plan(op))
        if len(self._routes) > 4096:  # recorded traffic: one URL per session id
            self._routes.clear()
        self._routes[key] = route
        return route

    def _request_clean(self, method: str, url: str, body: Body,
                       headers: Mapping[str, str] | None, strict: bool,
                       operation: str | None) -> bool:
        """True when the request certainly breaks nothing; False means "walk it". Checks what
        recorded traffic mostly holds (parameters, credentials, no body) from the operation's
        compiled parameters; a request with a body takes the walk."""
        try:
            op, path_params = self._operation(method, url, operation)
        except OperationNotFound:
            return False
        if (body is not None and not (type(body) is bytes or type(body) is str)) or body:
            return False
        if "requestBody" in op.node.value:
            request_body = self.spec.resolve(op.node.child("requestBody")).value
            if body is not None or request_body.get("required"):
                return False
        query: dict[str, list[str]] = {}
        if "?" in url:
            for key, val in parse_qsl(urlsplit(url).query, keep_blank_values=True):
                query.setdefault(key, []).append(val)
        params = self._request_params(op)
        if not params_clean(params, path_params, query, headers):
            return False
        if strict and query:
            known = self._known_query(op, params)
            if not known.issuperset(query):
                return False
        return headers is None or self._credentials_present(op, headers, query)

    def _credentials_present(self, op: Operation, headers: Mapping[str, str],
                             query: Mapping[str, list[str]]) -> bool:
        """:meth:`_security` finds nothing."""
        return credentials_present(self._security_plan(op), headers, query)

    def _security_plan(self, op: Operation) -> SecurityPlan:
        """The operation's security requirements as checks, compiled once per operation."""
        plan = self._security_plans.get(op.operation_id)
        if plan is None:
            plan = self._security_plans[op.operation_id] = security_plan(
                op.node.value.get("security", self.spec.document.get("security")),
                (self.spec.document.get("components") or {}).get("securitySchemes") or {})
        return plan

    def _known_query(self, op: Operation, params: tuple[Param, ...]) -> frozenset[str]:
        return frozenset(p.name for p in params if p.where == "query")

    # -- responses ----------------------------------------------------------------------
    def iter_response_violations(
        self,
        method: str,
        url: str,
        status: int,
        body: Body = None,
        *,
        headers: Mapping[str, str] | None = None,
        strict: bool = False,
        operation: str | None = None,
        query: Mapping[str, str] | None = None,
        walk_only: bool = False,
    ) -> Iterator[Violation]:
        """Every way the response breaks the operation's contract (``walk_only``: without
        the clean fast path first, which :meth:`exchange_walk` has taken)."""
        if not walk_only and self._response_clean(method, url, status, body, headers, strict,
                                                  operation, query):
            return
        located = self._located(method, url, operation)
        if isinstance(located, Violation):
            yield located
            return
        (op, _params), base = located
        found = self.response_node(op, int(status))
        if found is None:
            documented, documented_status = self._same_class(op, int(status))
            yield Violation("response.status.undocumented", f"status {status} is not documented",
                            base.api, base.operation, "response.status", base.pointer,
                            base.schema_path, list(documented), int(status), base.severity)
            # A vendor that moved from 201 to 200 still owes the documented body: check it
            # against the documented status of the same class, so every departure is named.
            if documented_status is None:
                return
            found = self.response_node(op, documented_status)
            if found is None or self._body_clean(
                    op, int(status), body, headers, strict,
                    dict(query) if query is not None else None, url, documented_status):
                return  # nothing documented, or the body is all the documented one owes
        _key, response = found
        if headers is not None:
            yield from self._response_headers(response, headers, base)
        content_type = content_type_of(headers)
        media = self._media(response, content_type)
        if media is False:
            yield _undocumented_content_type(base, "response", response, content_type)
            return
        if media is None:  # the response documents no body: nothing to check
            return
        if not is_json_media(media.media_type):
            return
        body_base = self._base(op.operation_id, "response.body")
        value, problem = self._parse(body, "response.body", body_base)
        if problem is not None:
            yield problem
            return
        if body is None or value is _NO_BODY:
            if "schema" in media.node.value:
                yield _replace(base, code="response.body.missing", location="response.body",
                               message="the response documents a body but none was sent")
            return
        yield from self._check_body(value, media, "response.body", body_base, strict)
        rules, screen = self._op_checks(op.operation_id)
        if rules:  # (none without self._invariants)
            seen = dict(query) if query is not None else query_values(url)
            if screen is None or not screen(value, int(status), seen):
                yield from check_invariants(InvariantContext(
                    api=self.spec.name, operation=op.operation_id, status=int(status),
                    body=value, query=seen))

    def _response_headers(self, response: Located, headers: Mapping[str, str],
                          base: Violation) -> Iterator[Violation]:
        for name in (response.value.get("headers") or {}):
            if name.lower() == "content-type":
                continue
            spec_header = self.spec.resolve(response.child("headers", name))
            raw = header(headers, name)
            if raw is None:
                if spec_header.value.get("required"):
                    yield _replace(base, code="response.header.missing",
                                   location="response.header", pointer=f"/{name}",
                                   message=f"required header {name} is missing")
                continue
            if "schema" in spec_header.value:
                yield from self._scalar(raw, spec_header.child("schema"), "response.header",
                                        name, base)

    def _scalar(self, raw: str, schema: Located, location: str, name: str,
                base: Violation) -> Iterator[Violation]:
        resolved = self.spec.resolve(schema)
        value = coerce(raw, resolved.value)
        for error in self._schemas.compile(schema).iter_errors(value):
            yield _replace(base, code=f"{location}.invalid", location=location,
                           pointer=f"/{name}{error.pointer}", message=error.message,
                           schema_path=error.schema_location, expected=error.expected,
                           actual=_clip(raw))

    # -- requests -----------------------------------------------------------------------
    def iter_request_violations(
        self,
        method: str,
        url: str,
        body: Body = None,
        *,
        headers: Mapping[str, str] | None = None,
        strict: bool = False,
        operation: str | None = None,
    ) -> Iterator[Violation]:
        """Every way a request breaks the contract (ours, as the API's client)."""
        if self._request_clean(method, url, body, headers, strict, operation):
            return
        located = self._located(method, url, operation)
        if isinstance(located, Violation):
            yield located
            return
        (op, path_params), base = located
        query: dict[str, list[str]] = {}
        if "?" in url:
            for key, val in parse_qsl(urlsplit(url).query, keep_blank_values=True):
                query.setdefault(key, []).append(val)
        params = self._request_params(op)
        for param in params:
            where, name = param.where, param.name
            if where == "path":
                raw: str | None = path_params.get(name)
                values = [raw] if raw is not None else []
            elif where == "query":
                values = query.get(name, [])
            elif where == "header" and headers is not None:
                raw = header(headers, name)
                values = [raw] if raw is not None else []
            else:
                continue
            yield from _parameter_violations(param, values, base)
        if strict:
            known = {p.name for p in params if p.where == "query"}
            for name in query:
                if name not in known:
                    yield _replace(base, code="request.query.undocumented",
                                   location="request.query", pointer=f"/{name}",
                                   message=f"query parameter {name!r} is not in the spec",
                                   severity=Severity.INFO)
        if headers is not None:
            yield from self._security(op, headers, query, base)
        yield from self._request_body(op, body, headers, strict, base)

    def _request_params(self, op: Operation) -> tuple[Param, ...]:
        """The operation's parameters with their schemas resolved and compiled, once."""
        hit = self._param_cache.get(op.operation_id)
        if hit is not None:
            return hit
        out = []
        for (where, name), param in self._parameters(op).items():
            schema = param.child("schema") if "schema" in param.value else None
            resolved: Any = None
            compiled = None
            if schema is not None:
                resolved = self.spec.resolve(schema).value
                compiled = self._schemas.compile(schema)
            is_array = isinstance(resolved, dict) and resolved.get("type") == "array"
            out.append(Param(
                where=where, name=name, location=f"request.{where}",
                required=bool(param.value.get("required")), schema=resolved,
                compiled=compiled,
                item_schema=(resolved.get("items") or {}) if is_array else None,
                exploded=bool(param.value.get("explode", where == "query"))))
        hit = self._param_cache[op.operation_id] = tuple(out)
        return hit

    def _parameters(self, op: Operation) -> dict[tuple[str, str], Located]:
        out: dict[tuple[str, str], Located] = {}
        for holder in (op.path_item, op.node):
            for i, _ in enumerate(holder.value.get("parameters") or []):
                param = self.spec.resolve(holder.child("parameters", i))
                if isinstance(param.value, dict):
                    out[(str(param.value.get("in")), str(param.value.get("name")))] = param
        return out

    def _security(self, op: Operation, headers: Mapping[str, str],
                  query: Mapping[str, list[str]], base: Violation) -> Iterator[Violation]:
        if self._credentials_present(op, headers, query):
            return
        requirements = op.node.value.get("security", self.spec.document.get("security"))
        names = sorted({n for req in requirements or () for n in req})
        yield _replace(base, code="request.auth.missing", location="request.header",
                       message=f"no credentials for any of: {', '.join(names)}")

    def _request_body(self, op: Operation, body: Body, headers: Mapping[str, str] | None,
                      strict: bool, base: Violation) -> Iterator[Violation]:
        if "requestBody" not in op.node.value:
            return
        base = _replace(base, location="request.body")
        request_body = self.spec.resolve(op.node.child("requestBody"))
        if body is None or (isinstance(body, bytes | str) and not body.strip()):
            if request_body.value.get("required"):
                yield _replace(base, code="request.body.missing",
                               message="the operation requires a body but none was sent")
            return
        content_type = content_type_of(headers)
        media = self._media(request_body, content_type)
        if media is False:
            yield _undocumented_content_type(base, "request", request_body, content_type)
            return
        if not isinstance(media, _Media) or not is_json_media(media.media_type):
            return
        value, problem = self._parse(body, "request.body", base)
        if problem is not None:
            yield problem
            return
        yield from self._check_body(value, media, "request.body", base, strict)


# -- module-level API --------------------------------------------------------------------

_lock = threading.Lock()


@lru_cache(maxsize=64)
def _cached(name: str) -> Validator:
    return Validator(name)


def _rebuild_validator(spec: Spec, invariants: bool) -> Validator:
    if invariants:  # a bundled spec unpickles to one shared Spec per process: compile once
        return validator_for(spec)
    return Validator(spec, invariants=False)


def validator_for(api: Spec | str | Validator) -> Validator:
    """The cached validator of a bundled API or spec path; a Spec gets its own."""
    if isinstance(api, Validator):
        return api
    if isinstance(api, Spec):
        cached = getattr(api, "_contracts_validator", None)
        if cached is None:
            with _lock:
                cached = Validator(api)
                api._contracts_validator = cached  # type: ignore[attr-defined]
        return cached
    return _cached(str(api))


def iter_response_violations(api: Spec | str | Validator, method: str, url: str, status: int,
                             body: Body = None, *, headers: Mapping[str, str] | None = None,
                             strict: bool = False, operation: str | None = None
                             ) -> Iterator[Violation]:
    return validator_for(api).iter_response_violations(
        method, url, status, body, headers=headers, strict=strict, operation=operation)


def validate_response(api: Spec | str | Validator, method: str, url: str, status: int,
                      body: Body = None, *, headers: Mapping[str, str] | None = None,
                      strict: bool = False, operation: str | None = None,
                      fail_on: Severity = Severity.ERROR, show_values: bool = False) -> None:
    """Raise :class:`ContractViolation` if the response breaks the contract. ``strict`` also
    reports undocumented fields (at INFO); ``fail_on``: the lowest severity that raises."""
    validator = api if type(api) is Validator else validator_for(api)
    validator._last_parsed = _NOTHING_PARSED  # a call of its own parses (the same bytes too)
    if validator._response_clean(method, url, status, body, headers, strict, operation):
        return
    violations = [v for v in validator.iter_response_violations(
        method, url, status, body, headers=headers, strict=strict, operation=operation)
        if v.severity >= fail_on]
    if violations:
        raise ContractViolation(violations, show_values=show_values)


def is_valid_response(api: Spec | str | Validator, method: str, url: str, status: int,
                      body: Body = None, *, headers: Mapping[str, str] | None = None,
                      strict: bool = False, operation: str | None = None,
                      fail_on: Severity = Severity.ERROR) -> bool:
    validator = api if type(api) is Validator else validator_for(api)
    validator._last_parsed = _NOTHING_PARSED  # a call of its own parses (the same bytes too)
    if validator._response_clean(method, url, status, body, headers, strict, operation):
        return True
    return not any(v.severity >= fail_on for v in validator.iter_response_violations(
        method, url, status, body, headers=headers, strict=strict, operation=operation))


def iter_request_violations(api: Spec | str | Validator, method: str, url: str,
                            body: Body = None, *, headers: Mapping[str, str] | None = None,
                            strict: bool = False, operation: str | None = None
                            ) -> Iterator[Violation]:
    return validator_for(api).iter_request_violations(
        method, url, body, headers=headers, strict=strict, operation=operation)


def validate_request(api: Spec | str | Validator, method: str, url: str, body: Body = None,
                     *, headers: Mapping[str, str] | None = None, strict: bool = False,
                     operation: str | None = None, fail_on: Severity = Severity.ERROR,
                     show_values: bool = False) -> None:
    """Raise :class:`ContractViolation` if the request breaks the contract."""
    validator = api if type(api) is Validator else validator_for(api)
    if validator._request_clean(method, url, body, headers, strict, operation):
        return
    violations = [v for v in validator.iter_request_violations(
        method, url, body, headers=headers, strict=strict, operation=operation)
        if v.severity >= fail_on]
    if violations:
        raise ContractViolation(violations, show_values=show_values)


def is_valid_request(api: Spec | str | Validator, method: str, url: str, body: Body = None,
                     *, headers: Mapping[str, str] | None = None, strict: bool = False,
                     operation: str | None = None, fail_on: Severity = Severity.ERROR) -> bool:
    validator = api if type(api) is Validator else validator_for(api)
    if validator._request_clean(method, url, body, headers, strict, operation):
        return True
    return not any(v.severity >= fail_on for v in validator.iter_request_violations(
        method, url, body, headers=headers, strict=strict, operation=operation))
