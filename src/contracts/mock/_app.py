"""The mock as an ASGI app: :class:`MockApp` serves each vendor's operations under its spec's
server path (auth, request validation, faults, latency, drift, the ``Prefer`` header of
``_prefer``) next to the control API of ``_control``."""

from __future__ import annotations

import asyncio
import random
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson

from ..errors import UsageError
from ..specs import Operation
from ._control import ControlAPI, problem
from ._drift import apply_drift
from ._prefer import PreferError, Preferred, parse_prefer
from ._vendor import Call, Handler, MockOptions, Reply, Vendor, clip

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from ..validation import Validator

__all__ = ["MockApp", "build_app"]

_FAULTS = (500, 502, 503, 429)
_JSON = "application/json"


def build_app(vendors: Sequence[Vendor], options: MockOptions) -> Starlette:
    """A Starlette app serving each vendor's operations under its spec's server path."""
    return MockApp(vendors, options).starlette()


@dataclass
class _Route:
    vendor: Vendor
    operation: Operation
    handler: Handler
    validator: Validator

    @cached_property
    def preferred(self) -> Preferred:
        """The operation's documented answers, read on its first request with ``Prefer``."""
        return Preferred(self.vendor, self.operation, self.handler, self.validator)

    @cached_property
    def body_required(self) -> bool:
        body = self.operation.node.value.get("requestBody")
        if isinstance(body, dict) and "$ref" in body:
            body = self.validator.spec.resolve(self.operation.node.child("requestBody")).value
        return bool(isinstance(body, dict) and body.get("required"))


@dataclass(frozen=True, slots=True)
class _Request:
    """What the endpoint read off the ASGI scope, once."""

    call: Call
    raw: bytes
    url: str
    query_string: str
    raw_headers: list[tuple[bytes, bytes]]


class MockApp:
    """The mock of one or more vendors: routes, the request pipeline and error answers.

    ``starlette()`` builds the ASGI app; each operation is served by an :class:`_Endpoint`
    that hands its requests to :meth:`answer`.
    """

    def __init__(self, vendors: Sequence[Vendor], options: MockOptions):
        self.vendors = list(vendors)
        self.options = options
        self._fault_rng = random.Random(f"{options.seed}:faults")
        self._fault_lock = threading.Lock()
        owners = {(_stem(v, op, options.prefix), v.api): v
                  for v in self.vendors for op in v.spec.operations}
        # Longest stem first, so a vendor under a longer server path wins over one under "/".
        self._owners = sorted(owners.items(), key=lambda item: -len(item[0][0]))

    # -- building --------------------------------------------------------------------------
    def starlette(self) -> Starlette:
        from starlette.applications import Starlette
        from starlette.exceptions import HTTPException

        # Mounted as they are (tuples are the vendor's own endpoints: see _vendor_routes).
        extra = [route for vendor in self.vendors for route in vendor.extra_routes()
                 if not isinstance(route, tuple)]
        routes = self._vendor_routes() + extra + ControlAPI(self.vendors, self.options).routes()
        return Starlette(routes=routes, exception_handlers={HTTPException: self.not_found})

    def _vendor_routes(self) -> list[Route]:
        """One Route per path (all its methods), so a 405 names every allowed method;
        concrete paths before templated ones (RealtimeKit's sessions/peer-report/{peer_id})."""
        from starlette.routing import Route

        from ..validation import validator_for

        by_path: dict[str, dict[str, _Route]] = {}
        for vendor in self.vendors:
            validator = validator_for(vendor.spec)
            server = next(iter(vendor.spec.server_paths), "/")
            base = self.options.prefix + ("" if server == "/" else server)
            for op in vendor.spec.operations:
                handler = vendor.handlers.get(op.operation_id)
                if handler is None:
                    raise UsageError(f"the {vendor.api} mock has no handler for "
                                     f"{op.operation_id}")
                route = _Route(vendor, op, handler, validator)
                by_path.setdefault(_template(base + op.path), {})[op.method.upper()] = route
        extra: dict[str, _RawEndpoint] = {}
        for vendor in self.vendors:
            server = next(iter(vendor.spec.server_paths), "/")
            base = self.options.prefix + ("" if server == "/" else server)
            for entry in vendor.extra_routes():
                if isinstance(entry, tuple):
                    path, methods, handler = entry
                    extra[_template(base + path)] = _RawEndpoint(vendor, handler, methods)
        ordered: list[tuple[str, Any, Sequence[str]]] = [
            (path, _Endpoint(self, methods), sorted(methods)) for path, methods in by_path.items()]
        ordered += [(path, endpoint, sorted(endpoint.methods)) for path, endpoint in extra.items()]
        ordered.sort(key=lambda item: -_literal_length(item[0]))
        return [Route(path, endpoint, methods=methods) for path, endpoint, methods in ordered]

    # -- answering -------------------------------------------------------------------------
    async def answer(self, route: _Route, request: _Request) -> Reply:
        """The reply to one request to a vendor operation (content-type in its headers when it
        is not JSON)."""
        vendor, call = route.vendor, request.call
        if call.scenario is not None and call.scenario not in vendor.scenarios:
            # A typo (or another vendor's name) would otherwise run the default scenario
            # and leave the test wondering why; say so, as a refused Prefer does.
            return _unknown_scenario(vendor, call.scenario)
        if self.options.latency:
            await asyncio.sleep(self.options.latency)
        fault = self._fault(vendor)
        if fault is not None:
            return fault
        failure, call = self._checked(route, request)
        if "prefer" in call.headers:  # the only cost of Prefer to a request without it
            preferred = self._preferred(route, call, request, failure)
            if preferred is not None:
                return preferred
        if failure is not None:
            return failure
        with vendor.lock:
            reply = route.handler(vendor, call)
        return apply_drift(vendor, route.operation, reply) if self.options.drift else reply

    def _fault(self, vendor: Vendor) -> Reply | None:
        if not self.options.error_rate:
            return None
        with self._fault_lock:
            hit = self._fault_rng.random() < self.options.error_rate
            status = self._fault_rng.choice(_FAULTS)
        if not hit:
            return None
        extra = {"retry-after": "1"} if status == 429 else {}
        fault = vendor.error(status, "rate_limited" if status == 429 else "internal_error",
                             "Injected by contracts mock")
        return replace(fault, headers={**fault.headers, **extra, "x-contracts-fault": "1"})

    @staticmethod
    def _checked(route: _Route, request: _Request) -> tuple[Reply | None, Call]:
        """Auth, then the request against the spec: the failure (if any) and the call with
        its parsed body."""
        vendor, call, raw = route.vendor, request.call, request.raw
        if not vendor.authorized(call):
            return vendor.unauthorized(call), call
        if not (raw.strip() or request.query_string or route.body_required):
            return None, call
        violations = [v for v in route.validator.iter_request_violations(
            call.method, request.url, raw or None, headers=call.headers,
            operation=call.operation) if v.code != "request.auth.missing"]
        if violations:
            return _documented(vendor.bad_request(call, violations), route.operation), call
        if raw.strip():
            call = replace(call, body=orjson.loads(raw))
        return None, call

    def _preferred(self, route: _Route, call: Call, request: _Request,
                   failure: Reply | None) -> Reply | None:
        """The answer to a request with a Prefer header; None to answer it as usual.

        A request that failed auth or validation keeps its failure unless it prefers exactly
        that status. A refused preference is a 400 problem; an applied one drifts like any.
        """
        preferred = route.preferred
        text = ", ".join(v.decode("latin-1") for k, v in request.raw_headers
                         if k.lower() == b"prefer")
        try:
            preference = parse_prefer(text, preferred.documented)
            if preference is None:
                return None
            status, response, example = preferred.resolve(preference)
        except PreferError as exc:
            return failure if failure is not None else exc.reply()
        if failure is not None and failure.status != status:
            return failure
        reply = preferred.answer(call, request.url, status, response, example)
        return apply_drift(route.vendor, route.operation, reply) if self.options.drift else reply

    async def not_found(self, request: Request, exc: Exception) -> Response:
        """404 and 405 in the vendor's own error shape under its paths."""
        from starlette.responses import Response

        status = getattr(exc, "status_code", 404)
        detail = str(getattr(exc, "detail", "Not Found"))
        if status == 404:
            detail = f"Not Found: no operation at {request.method} {clip(request.url.path)}"
        headers = dict(getattr(exc, "headers", None) or {})  # 405 carries Allow
        owner = _owner(request.url.path, self._owners)
        if owner is None and len(self.vendors) == 1:
            owner = self.vendors[0]  # a one-vendor mock answers every path as its vendor
        if owner is None:
            # Several vendors and none owns the path: one documented shape (docs/mocks.md).
            reply = problem(status, f"urn:scribe-contracts:mock:{_NOT_FOUND[status]}",
                            "Not Found" if status == 404 else "Method Not Allowed",
                            f"{detail}; this mock serves {', '.join(v.api for v in self.vendors)}"
                            " under their spec's server paths", headers)
            return Response(orjson.dumps(reply.body), status_code=status,
                            headers={k: v for k, v in reply.headers.items()
                                     if k != "content-type"},
                            media_type="application/problem+json")
        body = owner.path_error_body(
            request.url.path, status, "not_found" if status == 404 else "method_not_allowed",
            detail)
        return Response(orjson.dumps(body), status_code=status, headers=headers,
                        media_type=_JSON)


class _Endpoint:
    """One path's operations as a plain ASGI app: the hot path skips Starlette's Request and
    Response objects (the load benchmark measures this path)."""

    def __init__(self, app: MockApp, by_method: dict[str, _Route]):
        self.app = app
        self.by_method = by_method

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        head = scope["method"] == "HEAD"
        route = self.by_method["GET" if head else scope["method"]]
        request = _read(scope, route.operation, await _body(receive))
        reply = await self.app.answer(route, request)
        await _send(send, reply, head=head)


class _RawEndpoint:
    """An endpoint outside the spec's operations (:meth:`Vendor.extra_routes`): authorized,
    the body handed over unparsed, answered by the vendor's handler under its lock."""

    def __init__(self, vendor: Vendor, handler: Any, methods: Sequence[str]):
        self.vendor = vendor
        self.handler = handler
        self.methods = tuple(methods)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = _read(scope, getattr(self.handler, "__name__", "upload"), await _body(receive))
        call = replace(request.call, raw=request.raw)
        if not self.vendor.authorized(call):
            reply = self.vendor.unauthorized(call)
        else:
            with self.vendor.lock:
                reply = self.handler(self.vendor, call)
        await _send(send, reply, head=False)


async def _body(receive: Any) -> bytes:
    raw = b""
    while True:
        message = await receive()
        raw += message.get("body", b"")
        if not message.get("more_body"):
            return bytes(raw)


def _read(scope: Any, op: Operation | str, raw: bytes) -> _Request:
    raw_headers = scope["headers"]
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw_headers}
    query_string = scope.get("query_string", b"").decode("latin-1")
    query = dict(parse_qsl(query_string, keep_blank_values=True)) if query_string else {}
    host = headers.get("host") or "{}:{}".format(*(scope.get("server") or ("mock", 80)))
    call = Call(operation=op if isinstance(op, str) else op.operation_id, method=scope["method"],
                path_params=scope.get("path_params", {}), query=query, headers=headers,
                body=None, base_url=f"{scope.get('scheme', 'http')}://{host}",
                scenario=headers.get("x-contracts-scenario"))
    url = scope["path"] + (f"?{query_string}" if query_string else "")
    return _Request(call, raw, url, query_string, raw_headers)


async def _send(send: Any, reply: Reply, *, head: bool) -> None:
    headers = dict(reply.headers)
    media_type = headers.pop("content-type", _JSON)
    content = b"" if reply.body is None else orjson.dumps(reply.body)
    raw_headers = [(b"content-length", str(len(content)).encode())]
    if reply.body is not None:
        raw_headers.append((b"content-type", media_type.encode("latin-1")))
    raw_headers.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())
    await send({"type": "http.response.start", "status": reply.status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": b"" if head else content})


_NOT_FOUND = {404: "not-found", 405: "method-not-allowed"}


def _unknown_scenario(vendor: Vendor, name: str) -> Reply:
    return problem(400, "urn:scribe-contracts:mock:scenario:unknown", "Unknown scenario",
                   f"the {vendor.api} mock has no scenario {clip(name)} "
                   f"(one of: {', '.join(vendor.scenarios) or 'none'})",
                   {"x-contracts-mock-error": "scenario"})


def _documented(reply: Reply, op: Operation) -> Reply:
    """A rejected request answered with a status the operation documents (400 or 422)."""
    responses = op.node.value.get("responses") or {}
    if str(reply.status) in responses or f"{str(reply.status)[0]}XX" in responses:
        return reply
    for status in (400, 422):
        if str(status) in responses:
            return replace(reply, status=status)
    return reply


def _template(path: str) -> str:
    return path if path == "/" else path.rstrip("/")


def _literal_length(path: str) -> int:
    return len(path) - sum(len(p) for p in re.findall(r"\{[^{}]+\}", path))


def _stem(vendor: Vendor, op: Operation, prefix: str) -> str:
    """The served path up to and including the operation's first segment."""
    server = next(iter(vendor.spec.server_paths), "/")
    first = op.path.strip("/").split("/", 1)[0]
    return prefix + ("" if server == "/" else server) + "/" + first


def _owner(path: str, owners: list[tuple[tuple[str, str], Vendor]]) -> Vendor | None:
    for (stem, _api), vendor in owners:
        if path == stem or path.startswith(stem + "/"):
            return vendor
    return None
