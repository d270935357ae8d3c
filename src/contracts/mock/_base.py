"""The vendor-neutral half of the mock: options, requests and replies, the Starlette app that
serves a vendor's operations under its spec's server path, auth, faults, drift, the
``Prefer`` header (``_prefer``) and the ``/__contracts__/`` control API. A vendor module only
supplies handlers and synthetic data.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import random
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl

import orjson

from ..errors import UsageError
from ..specs import Operation, Spec, load_spec

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from ..findings import Violation
    from ..validation import Validator
    from ._prefer import Preferred

__all__ = [
    "CONTROL_PREFIX",
    "DEFAULT_TOKEN",
    "DRIFT_KINDS",
    "Call",
    "MockOptions",
    "Reply",
    "Vendor",
    "build_app",
    "parse_drift",
]

DEFAULT_TOKEN = "contracts-mock-token"
"""The bearer token every mock accepts unless ``token`` says otherwise (documented, not secret)."""

CONTROL_PREFIX = "/__contracts__"

DRIFT_KINDS: Mapping[str, str] = {
    "field-removed": "a field the spec requires (or documents) is left out",
    "field-renamed": "a field is served under another name (snake_case <-> camelCase)",
    "type-changed": "a number is served as a string (or a string as a list)",
    "enum-value": "a status/state field carries a value the spec does not list",
    "field-added": "an undocumented field is added",
    "status-code": "a success is answered with an undocumented 2xx status",
}
"""Controlled departures from the spec that ``drift`` can switch on (``all`` = every one)."""


def parse_drift(text: str | Iterable[str] | None) -> frozenset[str]:
    """``"all"``, ``"field-removed,type-changed"`` or an iterable of kinds -> a set of kinds."""
    if text is None:
        return frozenset()
    items = [p.strip() for p in text.split(",")] if isinstance(text, str) else list(text)
    kinds: set[str] = set()
    for item in items:
        if not item:
            continue
        if item == "all":
            kinds.update(DRIFT_KINDS)
        elif item.replace("_", "-") in DRIFT_KINDS:
            kinds.add(item.replace("_", "-"))
        else:
            raise UsageError(f"unknown drift kind {item!r}",
                             hint=f"one of: all, {', '.join(DRIFT_KINDS)}")
    return frozenset(kinds)


@dataclass(frozen=True)
class MockOptions:
    """How a mock behaves. Every field has a default that suits tests.

    ``steps`` is the number of polls a session spends in each intermediate lifecycle state
    (so a client sees at least one "still processing" answer); ``step_seconds``, when set,
    advances by time instead. ``latency`` (seconds) delays every vendor answer;
    ``error_rate`` (0..1) answers that fraction with 500/502/503 or 429 + Retry-After.
    ``prefix`` is prepended to every served path (the spec's server path still follows).
    """

    token: str = DEFAULT_TOKEN
    seed: int = 0
    steps: int = 1
    step_seconds: float | None = None
    latency: float = 0.0
    error_rate: float = 0.0
    drift: frozenset[str] = frozenset()
    webhook_url: str | None = None
    prefix: str = ""
    scenario: str | None = None
    session_ttl: float = 3600.0

    def __post_init__(self) -> None:
        if isinstance(self.drift, str) or not isinstance(self.drift, frozenset):
            object.__setattr__(self, "drift", parse_drift(self.drift))
        else:
            parse_drift(self.drift)
        if self.steps < 0:
            raise UsageError(f"steps must be 0 or more, not {self.steps}")
        if self.step_seconds is not None and self.step_seconds < 0:
            raise UsageError(f"step_seconds must be 0 or more, not {self.step_seconds}")
        if not 0.0 <= self.error_rate <= 1.0:
            raise UsageError(f"error_rate must be between 0 and 1, not {self.error_rate}")
        if self.latency < 0:
            raise UsageError(f"latency must be 0 or more, not {self.latency}")
        if self.prefix and (not self.prefix.startswith("/") or self.prefix.endswith("/")):
            raise UsageError(f"prefix must start with '/' and not end with one: {self.prefix!r}")
        if not self.token:
            raise UsageError("token must not be empty")
        if self.webhook_url is not None and not self.webhook_url.startswith(
                ("http://", "https://")):
            raise UsageError(f"webhook_url must be an http(s) URL, not {self.webhook_url!r}")


@dataclass(frozen=True, slots=True)
class Call:
    """One request as a handler sees it (parsed once by the framework)."""

    operation: str
    method: str
    path_params: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Any
    base_url: str
    scenario: str | None

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("true", "1", "yes")


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


class Lifecycle:
    """Advances a session through ``states`` by polls (``steps`` per state) or by time."""

    __slots__ = ("index", "polls", "since", "states")

    def __init__(self, states: tuple[str, ...]):
        self.states = states
        self.index = 0
        self.polls = 0
        self.since = time.monotonic()

    @property
    def state(self) -> str:
        return self.states[self.index]

    @property
    def done(self) -> bool:
        return self.index == len(self.states) - 1

    def advance(self, to: str | None = None) -> bool:
        """Move one state on (or straight to ``to``); False when there is nowhere to go."""
        if to is not None:
            if to not in self.states:
                raise UsageError(f"unknown state {to!r}", hint=f"one of: {', '.join(self.states)}")
            moved = self.states.index(to) != self.index
            self.index = self.states.index(to)
        else:
            if self.done:
                return False
            self.index += 1
            moved = True
        self.polls = 0
        self.since = time.monotonic()
        return moved

    def poll(self, options: MockOptions) -> bool:
        """Count one look at the session; True when that look moved it on."""
        moved = False
        if options.step_seconds is not None:
            while not self.done and time.monotonic() - self.since >= options.step_seconds:
                self.index += 1
                self.since += options.step_seconds
                moved = True
            return moved
        while not self.done and self.polls >= options.steps:  # steps=0: straight through
            self.advance()
            moved = True
        self.polls += 1
        return moved


class Vendor:
    """Base of a vendor module's mock: state, handlers and the vendor's error bodies.

    Subclasses set ``api``, ``scenarios`` and ``handlers`` (operationId -> method name) and
    implement ``error_body``; the framework does routing, auth, validation, faults and drift.
    Handlers run under ``self.lock`` and must not block.
    """

    api: ClassVar[str] = ""
    scenarios: ClassVar[Mapping[str, str]] = {}
    handlers: ClassVar[Mapping[str, str]] = {}
    bad_request_status: ClassVar[int] = 400
    drift_targets: ClassVar[tuple[str, ...]] = ("data", "session")
    """Keys whose object value is the body's primary object (drift is applied there)."""
    enum_fields: ClassVar[Mapping[str, str]] = {}
    """Field -> an undocumented value, for the ``enum-value`` drift."""

    def __init__(self, options: MockOptions, spec: Spec | None = None):
        self.options = options
        self.spec = spec or _bundled_spec(self.api)
        self.lock = threading.RLock()
        self.scenario: str | None = options.scenario
        self.webhooks: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self.reset()

    # -- to implement -------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every session and seed the initial state from ``options.seed``."""

    def error_body(self, status: int, code: str, message: str) -> Any:
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        """A JSON summary of the state (``GET /__contracts__/state``)."""
        return {}

    def advance(self, session_id: str, to: str | None = None) -> dict[str, Any] | None:
        """Move a session on; None when this vendor has no such session."""
        return None

    def known_values(self) -> dict[str, tuple[str, ...]]:
        """Parameter name -> values that exist in the seeded state without any request (for
        a gate run against the mock to prove reads that a live run proves with --param)."""
        return {}

    # -- shared helpers -----------------------------------------------------------------
    def rng(self, *parts: object) -> random.Random:
        """A generator that depends only on the seed and ``parts`` (never on timing)."""
        return random.Random(f"{self.options.seed}:{self.api}:" + ":".join(map(str, parts)))

    def error(self, status: int, code: str, message: str,
              headers: Mapping[str, str] | None = None) -> Reply:
        return Reply(status, self.error_body(status, code, message), headers or {})

    def unauthorized(self, call: Call) -> Reply:
        return self.error(401, "authentication_failed", "Missing or invalid bearer token")

    def authorized(self, call: Call) -> bool:
        auth = call.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip(),
                                                                  self.options.token)

    def bad_request(self, call: Call, violations: list[Violation]) -> Reply:
        first = violations[0]
        where = f" at {first.pointer}" if first.pointer else ""
        return self.error(self.bad_request_status, "invalid_request",
                          f"{first.location}{where}: {first.message}")

    def not_found(self, call: Call) -> Reply:
        return self.error(404, "not_found", "Not found")

    def scratch(self) -> Vendor:
        """A throwaway copy of this mock and its state (call it under ``self.lock``): a handler
        run on it answers as the mock would now, and nothing it changes (sessions, counters,
        polls) reaches the mock; it sends no web-hook."""
        clone = copy.copy(self)
        kept = {"options", "spec", "lock", "_tasks", "webhooks"}
        for name, value in copy.deepcopy({k: v for k, v in vars(self).items()
                                          if k not in kept}).items():
            setattr(clone, name, value)
        clone.options = replace(self.options, webhook_url=None)
        clone.lock = threading.RLock()
        clone.webhooks = []
        clone._tasks = set()
        return clone

    def pick_scenario(self, call: Call, default: str) -> str:
        chosen = call.scenario or self.scenario or default
        return chosen if chosen in self.scenarios else default

    def send_webhook(self, payload: dict[str, Any]) -> None:
        """POST ``payload`` to ``options.webhook_url`` in the background (retried up to 5x).

        Headers as Upheal documents them: ``x-upheal-timestamp`` (ms since the epoch) and
        ``x-upheal-signature``. Upheal does not publish its signing scheme; the mock signs
        ``f"{timestamp}.{body}"`` with HMAC-SHA256 keyed by the token (hex digest).
        """
        url = self.options.webhook_url
        if not url:
            return
        body = orjson.dumps(payload)
        stamp = str(int(time.time() * 1000))
        signature = hmac.new(self.options.token.encode(), stamp.encode() + b"." + body,
                             hashlib.sha256).hexdigest()
        record: dict[str, Any] = {"url": url, "payload": payload, "attempts": 0,
                                  "status": None}
        self.webhooks.append(record)
        headers = {"content-type": "application/json", "x-upheal-signature": signature,
                   "x-upheal-timestamp": stamp}

        def deliver() -> None:
            for attempt in range(6):  # the first try and up to 5 retries
                record["attempts"] = attempt + 1
                request = urllib.request.Request(url, data=body, headers=headers,
                                                 method="POST")
                try:
                    with urllib.request.urlopen(request, timeout=5) as answer:
                        record["status"] = answer.status
                        if answer.status in (200, 204):
                            return
                except OSError as exc:  # URLError, HTTPError, timeouts
                    record["status"] = getattr(exc, "code", None) or type(exc).__name__
                time.sleep(min(0.05 * 2 ** attempt, 1.0))

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            threading.Thread(target=deliver, daemon=True).start()
            return
        task = loop.create_task(asyncio.to_thread(deliver))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


@cache
def _bundled_spec(api: str) -> Spec:
    """Specs are immutable, so every mock of a vendor shares one loaded copy."""
    return load_spec(api)


# -- drift ----------------------------------------------------------------------------------

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
        keys = [k for k in target if k not in vendor.enum_fields] or list(target)
        if "enum-value" in kinds:
            for name, value in vendor.enum_fields.items():
                if name in target:
                    target[name] = value
                    applied.append("enum-value")
                    break
        if "type-changed" in kinds:
            numeric = [k for k in keys if isinstance(target[k], int | float)
                       and not isinstance(target[k], bool)]
            strings = [k for k in keys if isinstance(target[k], str)]
            if numeric:
                target[numeric[0]] = str(target[numeric[0]])
                applied.append("type-changed")
            elif strings:
                target[strings[-1]] = [target[strings[-1]]]
                applied.append("type-changed")
        if "field-renamed" in kinds and keys:
            name = keys[-1] if len(keys) > 1 else keys[0]
            if name in target:
                target[_renamed(name)] = target.pop(name)
                applied.append("field-renamed")
        if "field-removed" in kinds and keys:
            name = keys[0]
            if name in target:
                del target[name]
                applied.append("field-removed")
        if "field-added" in kinds:
            target["x_vendor_trace"] = f"trace-{vendor.options.seed:04d}"
            applied.append("field-added")
    if "status-code" in kinds:
        documented = {str(k) for k in op.node.value.get("responses") or {}}
        for candidate in (201, 200, 203):
            if str(candidate) not in documented:
                status = candidate
                applied.append("status-code")
                break
    headers = dict(reply.headers)
    if applied:
        headers["x-contracts-drift"] = ",".join(applied)
    return Reply(status, body, headers)


# -- the app --------------------------------------------------------------------------------

_FAULTS = (500, 502, 503, 429)


@dataclass
class _Route:
    vendor: Vendor
    operation: Operation
    handler: Callable[[Call], Reply]
    validator: Validator
    handler_name: str = ""

    @cached_property
    def preferred(self) -> Preferred:
        """The operation's documented answers, read on its first request with ``Prefer``."""
        from ._prefer import Preferred

        return Preferred(self.vendor, self.operation, self.handler_name, self.validator)

    @cached_property
    def body_required(self) -> bool:
        body = self.operation.node.value.get("requestBody")
        if isinstance(body, dict) and "$ref" in body:
            body = self.validator.spec.resolve(self.operation.node.child("requestBody")).value
        return bool(isinstance(body, dict) and body.get("required"))


def _template(path: str) -> str:
    return path if path == "/" else path.rstrip("/")


def build_app(vendors: list[Vendor], options: MockOptions) -> Starlette:
    """A Starlette app serving each vendor's operations under its spec's server path."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.responses import Response
    from starlette.routing import Route

    from ..validation import validator_for

    fault_rng = random.Random(f"{options.seed}:faults")
    fault_lock = threading.Lock()
    by_api = {v.api: v for v in vendors}

    def respond(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
        content = b"" if body is None else orjson.dumps(body)
        return Response(content, status_code=status, headers=dict(headers or {}),
                        media_type="application/json" if body is not None else None)

    routes: list[Route] = []

    def control(path: str, methods: list[str]) -> Callable[[Any], Any]:
        def register(fn: Any) -> Any:
            routes.append(Route(CONTROL_PREFIX + path, fn, methods=methods))
            return fn
        return register

    async def control_body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise HTTPException(400, "the body is not JSON") from None
        if not isinstance(data, dict):
            raise HTTPException(400, "the body must be a JSON object")
        return data

    def chosen(api: str | None) -> list[Vendor]:
        if api is None:
            return vendors
        if api not in by_api:
            raise HTTPException(404, f"this mock serves no API named {api!r}")
        return [by_api[api]]

    @control("/reset", ["POST"])
    async def reset(request: Request) -> Response:
        data = await control_body(request)
        for vendor in chosen(data.get("api") or request.query_params.get("api")):
            with vendor.lock:
                vendor.scenario = options.scenario
                vendor.webhooks.clear()
                vendor.reset()
        return respond(200, {"reset": [v.api for v in vendors]})

    @control("/scenario", ["POST", "GET"])
    async def scenario(request: Request) -> Response:
        data = await control_body(request) if request.method == "POST" else {}
        targets = chosen(data.get("api") or request.query_params.get("api"))
        if request.method == "POST":
            name = data.get("scenario")
            for vendor in targets:
                if name is not None and name not in vendor.scenarios and len(targets) == 1:
                    raise HTTPException(400, f"{vendor.api} has no scenario {name!r} "
                                        f"(one of: {', '.join(vendor.scenarios)})")
                with vendor.lock:
                    vendor.scenario = name if name in vendor.scenarios else None
        return respond(200, {v.api: {"scenario": v.scenario, "scenarios": dict(v.scenarios)}
                             for v in targets})

    @control("/sessions/{session_id}/advance", ["POST"])
    async def advance(request: Request) -> Response:
        data = await control_body(request)
        session_id = request.path_params["session_id"]
        to = data.get("to") or request.query_params.get("to")
        for vendor in chosen(data.get("api") or request.query_params.get("api")):
            with vendor.lock:
                try:
                    result = vendor.advance(session_id, to)
                except UsageError as exc:
                    raise HTTPException(400, str(exc)) from None
            if result is not None:
                return respond(200, {"api": vendor.api, **result})
        raise HTTPException(404, f"no session {session_id!r}")

    @control("/state", ["GET"])
    async def state(request: Request) -> Response:
        out = {}
        for vendor in chosen(request.query_params.get("api")):
            with vendor.lock:
                out[vendor.api] = {"scenario": vendor.scenario, **vendor.state(),
                                   "webhooks": [dict(w) for w in vendor.webhooks]}
        return respond(200, out)

    async def send_reply(send: Any, status: int, body: Any,
                         headers: Mapping[str, str] | None = None, *, head: bool = False,
                         media_type: bytes = b"application/json") -> None:
        content = b"" if body is None else orjson.dumps(body)
        raw_headers = [(b"content-length", str(len(content)).encode())]
        if body is not None:
            raw_headers.append((b"content-type", media_type))
        raw_headers.extend((k.encode("latin-1"), v.encode("latin-1"))
                           for k, v in (headers or {}).items())
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": b"" if head else content})

    class Endpoint:
        """One operation as a plain ASGI app: the hot path skips Starlette's Request and
        Response objects (the load benchmark measures this path)."""

        def __init__(self, by_method: dict[str, _Route]):
            self.by_method = by_method

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            head = scope["method"] == "HEAD"
            route = self.by_method["GET" if head else scope["method"]]
            vendor, op = route.vendor, route.operation
            raw = b""
            while True:
                message = await receive()
                raw += message.get("body", b"")
                if not message.get("more_body"):
                    break
            headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                       for k, v in scope["headers"]}
            query_string = scope.get("query_string", b"").decode("latin-1")
            query = dict(parse_qsl(query_string, keep_blank_values=True)) if query_string else {}
            host = headers.get("host") or "{}:{}".format(*(scope.get("server") or ("mock", 80)))
            call = Call(operation=op.operation_id, method=scope["method"],
                        path_params=scope.get("path_params", {}), query=query, headers=headers,
                        body=None, base_url=f"{scope.get('scheme', 'http')}://{host}",
                        scenario=headers.get("x-contracts-scenario"))
            prefer = headers.get("prefer")  # the only cost of Prefer to a request without it
            if call.scenario is not None and call.scenario not in vendor.scenarios:
                # A typo (or another vendor's name) would otherwise run the default scenario
                # and leave the test wondering why; say so, as a refused Prefer does.
                await send_reply(send, 400, {
                    "type": "urn:scribe-contracts:mock:scenario:unknown",
                    "title": "Unknown scenario",
                    "detail": f"the {vendor.api} mock has no scenario {call.scenario!r} "
                              f"(one of: {', '.join(vendor.scenarios) or 'none'})"},
                    {"x-contracts-mock-error": "scenario"}, head=head,
                    media_type=b"application/problem+json")
                return
            if options.latency:
                await asyncio.sleep(options.latency)
            if options.error_rate:
                with fault_lock:
                    hit = fault_rng.random() < options.error_rate
                    status = fault_rng.choice(_FAULTS)
                if hit:
                    extra = {"retry-after": "1"} if status == 429 else {}
                    fault = vendor.error(status, "rate_limited" if status == 429 else
                                         "internal_error", "Injected by contracts mock")
                    await send_reply(send, fault.status, fault.body,
                                     {**fault.headers, **extra, "x-contracts-fault": "1"})
                    return
            reply: Reply | None = None
            if not vendor.authorized(call):
                reply = vendor.unauthorized(call)
            if reply is None and (raw.strip() or query_string or route.body_required):
                url = scope["path"] + (f"?{query_string}" if query_string else "")
                violations = [v for v in route.validator.iter_request_violations(
                    scope["method"], url, raw or None, headers=headers,
                    operation=op.operation_id) if v.code != "request.auth.missing"]
                if violations:
                    reply = _documented(vendor.bad_request(call, violations), op)
                elif raw.strip():
                    call = replace(call, body=orjson.loads(raw))
            if prefer is not None:
                url = scope["path"] + (f"?{query_string}" if query_string else "")
                chosen = prefer_reply(route, call, url, scope["headers"], reply)
                if chosen is not None:
                    out = dict(chosen.headers)
                    media_type = out.pop("content-type", "application/json")
                    await send_reply(send, chosen.status, chosen.body, out, head=head,
                                     media_type=media_type.encode("latin-1"))
                    return
            if reply is None:
                with vendor.lock:
                    reply = route.handler(call)
                if options.drift:
                    reply = apply_drift(vendor, op, reply)
            await send_reply(send, reply.status, reply.body, reply.headers, head=head)

    def prefer_reply(route: _Route, call: Call, url: str, raw_headers: list[Any],
                     failure: Reply | None) -> Reply | None:
        """The answer to a request with a Prefer header; None to answer it as usual.

        A request that failed auth or validation keeps its failure unless it prefers exactly
        that status. A refused preference is a 400 problem; an applied one drifts like any.
        """
        from ._prefer import PreferError, parse_prefer

        preferred = route.preferred
        text = ", ".join(v.decode("latin-1") for k, v in raw_headers if k.lower() == b"prefer")
        try:
            preference = parse_prefer(text, preferred.documented)
            if preference is None:
                return None
            status, response, example = preferred.resolve(preference)
        except PreferError as exc:
            return failure if failure is not None else exc.reply()
        if failure is not None and failure.status != status:
            return failure
        reply = preferred.answer(call, url, status, response, example)
        if options.drift:
            reply = apply_drift(route.vendor, route.operation, reply)
        return reply

    # One Route per path (all its methods), so a 405 names every allowed method.
    by_path: dict[str, dict[str, _Route]] = {}
    for vendor in vendors:
        validator = validator_for(vendor.spec)
        server = next(iter(vendor.spec.server_paths), "/")
        base = options.prefix + ("" if server == "/" else server)
        for op in vendor.spec.operations:
            name = vendor.handlers.get(op.operation_id)
            if name is None:
                raise UsageError(f"the {vendor.api} mock has no handler for {op.operation_id}")
            route = _Route(vendor, op, getattr(vendor, name), validator, name)
            by_path.setdefault(_template(base + op.path), {})[op.method.upper()] = route
    served: list[tuple[int, Route]] = []
    for path, methods in by_path.items():
        literal = len(path) - sum(len(p) for p in _params(path))
        served.append((literal, Route(path, Endpoint(methods), methods=sorted(methods))))
    owners = sorted({(_stem(vendor, op, options.prefix), vendor.api): vendor
                     for vendor in vendors for op in vendor.spec.operations}.items(),
                    key=lambda item: -len(item[0][0]))
    # Concrete paths win over templated ones (RealtimeKit's sessions/peer-report/{peer_id}).
    served.sort(key=lambda item: -item[0])
    routes[:0] = [route for _literal, route in served]  # vendor routes before control ones

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        detail = getattr(exc, "detail", "Not Found")
        extra = dict(getattr(exc, "headers", None) or {})  # 405 carries Allow
        owner = _owner(request.url.path, owners)
        if owner is not None:
            body = owner.error_body(status, "not_found" if status == 404 else
                                    "method_not_allowed", str(detail))
            return respond(status, body, extra)
        return respond(status, {"detail": str(detail)}, extra)

    return Starlette(routes=routes, exception_handlers={HTTPException: not_found})


def _documented(reply: Reply, op: Operation) -> Reply:
    """A rejected request answered with a status the operation documents (400 or 422)."""
    responses = op.node.value.get("responses") or {}
    if str(reply.status) in responses or f"{str(reply.status)[0]}XX" in responses:
        return reply
    for status in (400, 422):
        if str(status) in responses:
            return replace(reply, status=status)
    return reply


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


def _params(path: str) -> list[str]:
    import re

    return re.findall(r"\{[^{}]+\}", path)
