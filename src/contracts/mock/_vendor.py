"""What a vendor's mock is made of: options, the request a handler sees (:class:`Call`), its
answer (:class:`Reply`), session lifecycles, and the :class:`Vendor` base whose handlers are
bound to operations with :func:`handles`. The app around them is ``_app``.
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
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import orjson

from ..errors import UsageError
from ..specs import Spec, load_spec

if TYPE_CHECKING:
    from ..findings import Violation

__all__ = [
    "CONTROL_PREFIX",
    "DEFAULT_TOKEN",
    "DRIFT_KINDS",
    "Call",
    "Handler",
    "Lifecycle",
    "MockOptions",
    "Reply",
    "Vendor",
    "clip",
    "handles",
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


CLIP = 200
"""At most this many characters of a request's own text are echoed back in an error body."""


def clip(value: object, limit: int = CLIP) -> str:
    """``repr(value)`` cut to about ``limit`` characters, with an ellipsis when cut: user input
    echoed in an answer stays short, whatever its size (a 60 KB header is not sent back)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


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
    ``accept_key_as_bearer`` lets a vendor whose calls need a token exchanged for the key
    (Heidi: ``GET /jwt``) also take the key itself as the Bearer token, which the vendor
    refuses; off by default, so a client that skips the exchange fails against the mock too.
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
    accept_key_as_bearer: bool = False

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
    raw: bytes = b""
    """The request body as sent (a :meth:`Vendor.extra_routes` handler reads uploads here)."""

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("true", "1", "yes")


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


class Lifecycle:
    """Advances a session through ``states`` by polls (``steps`` per state) or by time."""

    __slots__ = ("index", "polls", "since", "states", "why")

    def __init__(self, states: tuple[str, ...], why: str = ""):
        self.states = states
        self.why = why
        """Why this session's path is what it is (said when asked for a state off it)."""
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
                reason = f": {self.why}" if self.why else ""
                raise UsageError(f"this session cannot reach the state {clip(to)}{reason}",
                                 hint=f"it can reach {', '.join(self.states)}")
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


Handler = Callable[[Any, Call], Reply]
"""A vendor method answering one operation: ``handler(vendor, call) -> Reply``."""

_H = TypeVar("_H", bound=Callable[..., Reply])
_MARK = "__contracts_handles__"


def handles(*operation_ids: str) -> Callable[[_H], _H]:
    """Bind a :class:`Vendor` method to the operations (by ``operationId``) it answers::

        @handles("createSession")
        def create_session(self, call: Call) -> Reply: ...
    """
    def mark(fn: _H) -> _H:
        vars(fn)[_MARK] = vars(fn).get(_MARK, ()) + operation_ids
        return fn
    return mark


class Vendor:
    """Base of a vendor module's mock: state, handlers and the vendor's error bodies.

    Subclasses set ``api`` and ``scenarios``, mark each handler with :func:`handles` and
    implement ``error_body``; the framework does routing, auth, validation, faults and drift.
    Handlers run under ``self.lock`` and must not block.
    """

    api: ClassVar[str] = ""
    scenarios: ClassVar[Mapping[str, str]] = {}
    handlers: ClassVar[Mapping[str, Handler]] = {}
    """operationId -> handler, collected from the :func:`handles` marks of the class."""
    bad_request_status: ClassVar[int] = 400
    drift_targets: ClassVar[tuple[str, ...]] = ("data", "session")
    """Keys whose object value is the body's primary object (drift is applied there)."""
    enum_fields: ClassVar[Mapping[str, str]] = {}
    """Field -> an undocumented value, for the ``enum-value`` drift."""
    drift_kept: ClassVar[frozenset[str]] = frozenset()
    """Fields no drift removes, renames or retypes: a credential the client needs for every
    other call (Heidi's JWT ``token``), which drifted would lock it out and hide the rest."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own: dict[str, Handler] = {}
        for value in vars(cls).values():
            for operation_id in getattr(value, _MARK, ()):
                if operation_id in own:
                    raise TypeError(f"{cls.__name__} has two handlers for {operation_id}")
                own[operation_id] = value
        cls.handlers = {**cls.handlers, **own}  # a subclass keeps its base's handlers

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

    def path_error_body(self, path: str, status: int, code: str, message: str) -> Any:
        """The body of a 404/405 the router answers under this vendor's paths; a vendor whose
        operations document different error shapes picks one by path."""
        return self.error_body(status, code, message)

    def extra_routes(self) -> list[Any]:
        """Endpoints outside the spec's operations that the vendor's clients need. Two kinds:

        - ``(path under the server path, methods, handler)``: an endpoint of the vendor's API
          that its spec does not describe as an operation (Eka's audio upload behind
          ``upload_url``); authorized like every operation, the body not parsed (``call.raw``),
          the handler ``(vendor, call) -> Reply`` run under the vendor's lock;
        - a Starlette ``Route`` mounted as it is, outside the vendor's API (Eka's presigned
          storage stand-in ``/__contracts__/eka/storage``, which takes no credentials).
        """
        return []

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

