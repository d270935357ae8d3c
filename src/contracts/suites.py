"""Schemathesis suites generated from each spec, run against the mock (in-process ASGI) or a
live vendor, with our validator and invariants registered as a schemathesis check.

The only importer of schemathesis. One run = schemathesis's engine over one spec (examples,
coverage, fuzzing and stateful phases; links in the specs drive the stateful phase), with a
fixed seed. Every response is checked by :func:`contracts_conformance`, which reports our
violation codes; the engine's own failures are collected too. The result is a plain record
(:class:`SuiteResult`) that the gate and the reporters turn into JUnit, SARIF, Markdown, HTML.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ._credentials import auth_headers, exchanged_token, http_sender, token_exchange
from ._seeding import without_local_constants
from .errors import UsageError
from .findings import Severity, Violation, rank_violations
from .known_params import (
    KnownParam,
    from_body,
    known_config,
    known_values,
    request_example,
)
from .specs import Operation, Spec, load_spec, suggest_names
from .validation import Validator

__all__ = ["PHASES", "KnownParam", "OperationOutcome", "SuiteOptions", "SuiteResult",
           "known_values", "parse_phases", "run_suite"]

EventHandler = Callable[[str, str], None]

READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")
PHASES = ("examples", "coverage", "fuzzing", "stateful")
"""schemathesis's test phases, in the order its engine runs them."""

# Why an operation of a spec did not run (SuiteResult.deselections, SuiteResult.not_run).
SELECTION = "selection"  # left out by SuiteOptions.operations
READ_ONLY = "read-only"  # a write, and the live run is read-only
DESELECTION_REASONS = {SELECTION: "deselected by the operation selection",
                       READ_ONLY: "a write, and live runs are read-only without --allow-writes"}
NOT_RUN_REASONS = {SELECTION: "the operation selection leaves none of its operations",
                   READ_ONLY: "every selected operation is a write, and live runs are read-only "
                              "without --allow-writes"}
_TOKEN_RE = re.compile(r"(?i)(authorization|heidi-api-key|x-api-key|cookie)(:\s*|'?:\s*'?)"
                       r"([^'\"\s]+(?:\s+[^'\"\s]+)?)")


@dataclass(frozen=True)
class SuiteOptions:
    """How to run a suite. ``base_url``/``token`` set = live; otherwise the in-process mock."""

    seed: int = 0
    max_examples: int = 20
    base_url: str | None = None
    token: str | None = None
    allow_writes: bool = False
    rate_limit: str | None = None
    request_budget: int | None = None
    phases: tuple[str, ...] = PHASES
    schemathesis_checks: bool = False
    mock_options: Mapping[str, Any] = field(default_factory=dict)
    operations: tuple[str, ...] | None = None
    """operationIds to run (None: every operation); schemathesis's own filter selects them."""
    path_prefix: str | None = None
    paths: Mapping[str, str] = field(default_factory=dict)
    """Live runs: where the vendor really serves its operations (:meth:`Spec.with_paths`)."""
    known_params: tuple[KnownParam, ...] = ()
    """Parameter values that exist at the vendor: every request of an operation that has the
    parameter uses them (schemathesis's ``parameters``, and a dictionary for several)."""

    def __post_init__(self) -> None:
        _check_phases(self.phases)

    @property
    def live(self) -> bool:
        return self.base_url is not None


def _check_phases(phases: Sequence[str]) -> None:
    if not phases:
        raise UsageError("no phase to run", hint=f"phases: {', '.join(PHASES)}")
    for name in phases:
        if name not in PHASES:
            close = suggest_names(name, PHASES)
            raise UsageError(f"unknown phase {name!r}",
                             hint=f"did you mean {' or '.join(repr(c) for c in close)}?")


def parse_phases(text: str) -> tuple[str, ...]:
    """``"examples,fuzzing"`` as a tuple of phase names in engine order; UsageError if unknown."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    _check_phases(names)
    return tuple(p for p in PHASES if p in names)


@dataclass
class OperationOutcome:
    """What the suite saw for one operation."""

    operation: str
    label: str
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    phases: Counter[str] = field(default_factory=Counter)
    """Requests per schemathesis phase (examples, coverage, fuzzing, stateful)."""
    violations: dict[tuple[str, ...], tuple[Violation, int]] = field(default_factory=dict)
    engine_failures: dict[str, int] = field(default_factory=dict)
    repro: dict[tuple[str, ...], str] = field(default_factory=dict)
    proved: int = 0
    """Documented success answers (2xx, to a valid request) that were validated."""

    def add(self, violation: Violation, repro: str) -> None:
        seen = self.violations.get(violation.key)
        self.violations[violation.key] = (violation, (seen[1] if seen else 0) + 1)
        self.repro.setdefault(violation.key, repro)

    def failures(self, fail_on: Severity = Severity.ERROR) -> list[Violation]:
        return rank_violations(v for v, _n in self.violations.values() if v.severity >= fail_on)

    def notices(self) -> list[Violation]:
        """Everything seen, failing or not (undocumented fields are info: drift, not failure)."""
        return rank_violations(v for v, _n in self.violations.values())

    @property
    def passed(self) -> bool:
        return not self.failures() and not self.engine_failures


@dataclass
class SuiteResult:
    api: str
    seed: int
    live: bool
    outcomes: dict[str, OperationOutcome]
    documented: tuple[str, ...]
    seconds: float = 0.0
    fatal: str | None = None
    skipped_writes: tuple[str, ...] = ()
    deselected: tuple[str, ...] = ()
    """Operations left out by SuiteOptions.operations (``skipped_writes`` by the read-only rule)."""
    not_run: str | None = None
    """Why the engine was not started (SELECTION or READ_ONLY: nothing was left to run)."""
    phases: dict[str, str] = field(default_factory=dict)
    """How each phase ended: ``success``, ``failure``, ``error`` or ``skipped: <reason>``."""
    setup: tuple[str, ...] = ()
    """Live runs that may write: the create calls (``operationId: status``) made before the
    phases for known values; not checked, but they spend the request budget."""

    @property
    def deselections(self) -> dict[str, str]:
        """Every operation that did not run and why (SELECTION or READ_ONLY), in spec order."""
        reasons = {op: SELECTION for op in self.deselected}
        reasons.update((op, READ_ONLY) for op in self.skipped_writes)
        return reasons

    @property
    def requests(self) -> int:
        return sum(o.requests for o in self.outcomes.values())

    @property
    def statuses(self) -> Counter[int]:
        total: Counter[int] = Counter()
        for outcome in self.outcomes.values():
            total.update(outcome.statuses)
        return total

    @property
    def passed(self) -> bool:
        return self.fatal is None and all(o.passed for o in self.outcomes.values())


class _Collector:
    def __init__(self, validator: Validator, result: SuiteResult, budget: int | None,
                 secrets: tuple[str, ...]):
        self.validator = validator
        self.result = result
        # Setup requests (SuiteResult.setup) reached the vendor too: they spend the budget.
        self.budget = None if budget is None else max(budget - len(result.setup), 0)
        self.secrets = secrets
        """The key and any token exchanged for it: never shown in a repro or an error."""
        self.lock = threading.Lock()
        self.exhausted = False
        self.stop: Callable[[], None] = lambda: None
        """Stops the engine; called the moment the budget is spent, from the engine's thread."""


_active: _Collector | None = None
_active_lock = threading.Lock()


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[REDACTED]")
    return _TOKEN_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}[REDACTED]", text)


def _check_response(collector: _Collector, response: Any, case: Any) -> list[Violation]:
    from schemathesis import GenerationMode

    if collector.exhausted:
        # Past the request budget the run is stopping, but the engine's thread may answer a
        # few more before it sees that; leaving them out keeps a seed and a budget one run.
        return []

    op_def = case.operation.definition.raw if hasattr(case.operation.definition, "raw") else {}
    operation = str(op_def.get("operationId") or case.operation.label)
    negative = getattr(getattr(case.meta, "generation", None), "mode", None) == (
        GenerationMode.NEGATIVE) if case.meta is not None else False
    status = int(response.status_code)
    query = urlencode(case.query or {}, doseq=True) if isinstance(case.query, dict) else ""
    url = case.formatted_path + (f"?{query}" if query else "")
    headers = {k: (v[0] if isinstance(v, list) else v) for k, v in response.headers.items()}
    found: list[Violation] = []
    proof = False
    if status == 429:
        pass  # rate limiting is transport, not contract: counted, retried by the engine
    elif status >= 500:
        found.append(Violation(code="response.status.server_error", api=collector.result.api,
                               operation=operation, location="response.status",
                               message=f"the server answered {status}", actual=status))
    elif negative:
        # Schema-violating requests: only the documented error shapes are checked.
        documented = collector.validator.response_node(
            collector.validator.spec.operation(operation), status) is not None
        if documented:
            found.extend(v for v in collector.validator.iter_response_violations(
                case.method, url, status, response.content, headers=headers,
                operation=operation) if v.location != "response.status")
    else:
        # Strict: undocumented fields are named (at info; they do not fail the run).
        proof = 200 <= status < 300 and collector.validator.response_node(
            collector.validator.spec.operation(operation), status) is not None
        found.extend(collector.validator.iter_response_violations(
            case.method, url, status, response.content, headers=headers, operation=operation,
            strict=True))
    phase = getattr(getattr(case.meta, "phase", None), "name", None)
    with collector.lock:
        if collector.exhausted:
            return []
        outcome = collector.result.outcomes.setdefault(
            operation, OperationOutcome(operation, case.operation.label))
        outcome.requests += 1
        outcome.statuses[status] += 1
        outcome.proved += proof
        if phase is not None:
            outcome.phases[str(getattr(phase, "value", phase))] += 1
        if found:
            try:
                repro = case.as_curl_command()
            except Exception:  # noqa: BLE001 - a repro string is a courtesy
                repro = f"{case.method} {url}"
            repro = _redact(repro, collector.secrets)
            for violation in found:
                outcome.add(violation, repro)
        if collector.budget is not None and collector.result.requests >= collector.budget:
            collector.exhausted = True
            # Now, not when the next event reaches the caller: by then the engine has sent
            # more requests (to a live vendor, past the budget the user set).
            collector.stop()
    return [v for v in found if v.severity >= Severity.ERROR]


def _register_check() -> None:
    import schemathesis

    if getattr(_register_check, "done", False):
        return

    @schemathesis.check
    def contracts_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
        """scribe-contracts: status, content type, headers, body schema and invariants."""
        collector = _active
        if collector is None:
            return None
        failing = _check_response(collector, response, case)
        if failing:
            best = failing[0]
            more = f" (+{len(failing) - 1} more)" if len(failing) > 1 else ""
            raise AssertionError(f"[{best.code}] {best.location}{best.pointer}: "
                                 f"{best.message}{more}")
        return None

    _register_check.done = True  # type: ignore[attr-defined]


def _base_path(spec: Spec) -> str:
    prefix = spec.server_paths[0] if spec.server_paths else "/"
    return "" if prefix == "/" else prefix


def run_suite(api: str | Spec, options: SuiteOptions | None = None, *,
              on_event: EventHandler | None = None) -> SuiteResult:
    """Run the schemathesis suite of one API and return what it saw."""
    import schemathesis
    from schemathesis.engine import from_schema

    options = options or SuiteOptions()
    emit: EventHandler = on_event or (lambda stage, message: None)
    spec = api if isinstance(api, Spec) else load_spec(api)
    spec = _effective_paths(spec, options)
    validator = Validator(spec)
    methods = None if (options.allow_writes or not options.live) else READ_ONLY_METHODS
    chosen = {op.operation_id for op in spec.operations} if options.operations is None else {
        spec.operation(op_id).operation_id for op_id in options.operations}
    runnable = [op for op in spec.operations if op.operation_id in chosen
                and (methods is None or op.method.upper() in methods)]
    documented = tuple(op.operation_id for op in runnable)
    skipped = tuple(op.operation_id for op in spec.operations if op.operation_id in chosen
                    and methods is not None and op.method.upper() not in methods)
    deselected = tuple(op.operation_id for op in spec.operations if op.operation_id not in chosen)
    result = SuiteResult(api=spec.name, seed=options.seed, live=options.live, outcomes={},
                         documented=documented, skipped_writes=skipped, deselected=deselected)
    if not documented and (options.operations is not None or skipped):
        result.not_run = READ_ONLY if skipped else SELECTION
        emit("suites", f"{spec.name}: not run (nothing left to run: {result.not_run})")
        return result
    _register_check()
    checks: dict[str, Any] = {"enabled": options.schemathesis_checks,
                              "contracts_conformance": {"enabled": True},
                              "not_a_server_error": {"enabled": True}}
    token = options.token
    app: Any = None
    if not options.live:
        from .mock import DEFAULT_TOKEN

        token = str(options.mock_options.get("token", DEFAULT_TOKEN))
        app = _mock_for(api, spec, options)
    bearer = _exchange(spec, options, app, token, result)
    headers = auth_headers(spec, token, bearer)
    secrets = tuple(t for t in (token, bearer) if t)
    config_dict = _engine_config(spec, options, checks, headers)
    document = _with_known_values(spec, options, runnable, app, headers, config_dict, result)
    try:
        config = schemathesis.Config.from_dict(config_dict)
        schema: Any = schemathesis.openapi.from_dict(document, config=config)
    except Exception as exc:  # noqa: BLE001 - schemathesis loader errors, translated here
        raise UsageError(f"schemathesis cannot load the {spec.name} spec: {exc}") from None
    schema = _unfiltered(schema) if "operations" in config_dict else schema
    schema = _select(schema, runnable, methods, narrowed=options.operations is not None)
    if options.live:
        schema.config.update(base_url=options.base_url.rstrip("/"))  # type: ignore[union-attr]
    else:
        schema.app = app
        schema.config.update(base_url=f"http://localhost{_base_path(spec)}")
    # Only after app and base URL: measuring the schema builds (and caches) its operations.
    if "stateful" in options.phases:
        transitions = schema.statistic.transitions
        if transitions.total and not transitions.selected:
            # The selection left out every link: schemathesis would stop the phase with an
            # error (NoLinksFound). Nothing to chain is nothing to test, not a failure.
            schema.config.phases.stateful.enabled = False
            result.phases["stateful"] = "skipped: no links between the selected operations"
    collector = _Collector(validator, result, options.request_budget, secrets)
    started = time.perf_counter()
    emit("suites", f"{spec.name}: running schemathesis (seed {options.seed})")
    _drive(from_schema(schema), collector, spec, secrets, emit)
    for phase in PHASES:
        result.phases.setdefault(phase, "skipped: disabled" if phase not in options.phases else
                                 "not reached (request budget)" if collector.exhausted else
                                 "not run")
    result.seconds = time.perf_counter() - started
    return result


def _drive(engine: Any, collector: _Collector, spec: Spec, secrets: tuple[str, ...],
           emit: EventHandler) -> None:
    """Run the engine to its end, or until the collector's request budget is spent."""
    global _active
    with _active_lock, without_local_constants():
        _active = collector
        try:
            stream = engine.execute()
            collector.stop = stream.stop
            for event in stream:
                _on_engine_event(event, collector.result, spec, secrets, emit)
                if collector.exhausted:
                    emit("suites", f"{spec.name}: request budget reached, stopping")
                    break
        finally:
            _active = None


def _unfiltered(schema: Any) -> Any:
    """With [[operations]] entries the loader's filter includes every operation not turned
    off, and include() filters are or-ed with it: start from an empty one (we turn none off),
    so that our selection still selects."""
    from schemathesis.filters import FilterSet

    return schema.clone(filter_set=FilterSet())


def _effective_paths(spec: Spec, options: SuiteOptions) -> Spec:
    """Live runs: the spec with the vendor's real paths (a prefix, per-operation overrides)."""
    if options.live and (options.path_prefix is not None or options.paths):
        return spec.with_paths(prefix=options.path_prefix, overrides=options.paths)
    return spec


def _with_known_values(spec: Spec, options: SuiteOptions, runnable: Sequence[Operation],
                       app: Any, headers: Mapping[str, str], config_dict: dict[str, Any],
                       result: SuiteResult) -> dict[str, Any]:
    """The document for schemathesis (operations moved to their effective paths), with the
    known values in ``config_dict``: the caller's; against a mock (``app``) the ids the mock
    seeds and those its create operations answer; on a live run that may write, those the
    vendor's create operations answer (the calls go to ``result.setup``)."""
    known = options.known_params
    if app is not None:
        known = _with_mock_values(spec, known, {"seed": options.seed, **options.mock_options})
        known += _prime_mock(spec, app, headers, known)
    elif options.live and options.allow_writes:
        primed, setup = _prime_live(spec, options, headers, known)
        result.setup += setup
        known += primed
    document = _moved(spec, _plain(spec.document))
    if known:
        config_dict.update(known_config(spec, runnable, known, document))
    return document


def _moved(spec: Spec, document: dict[str, Any]) -> dict[str, Any]:
    """The document with each operation under its effective path (after a path prefix or
    override), so that schemathesis sends requests where the vendor serves them."""
    moves = [op for op in spec.operations if op.path != op.spec_path]
    paths = document.get("paths")
    if not moves or not isinstance(paths, dict):
        return document
    for op in moves:
        item = paths.get(op.spec_path)
        if not isinstance(item, dict) or op.method.lower() not in item:
            continue
        target = paths.setdefault(op.path, {k: v for k, v in item.items()
                                            if k in ("parameters", "summary", "description")})
        target[op.method.lower()] = item.pop(op.method.lower())
        if not any(m in item for m in ("get", "put", "post", "delete", "options", "head",
                                       "patch", "trace")):
            del paths[op.spec_path]
    return document


def _with_mock_values(spec: Spec, known: tuple[KnownParam, ...], mock_options: Mapping[str, Any]
                      ) -> tuple[KnownParam, ...]:
    """The mock's seeded ids as known values, so that a mock run proves what a live run proves
    with ``--param``; a name given by the caller keeps the caller's values."""
    from .mock import VENDORS
    from .mock import vendor as mock_vendor

    if spec.name not in VENDORS:
        return known
    given = {k.name for k in known}
    seeded = mock_vendor(spec.name, **mock_options).known_values()
    return known + tuple(KnownParam(name, values, api=spec.name)
                         for name, values in seeded.items() if name not in given)


def _prime(spec: Spec, post: Callable[[Operation, Any], Any], known: Sequence[KnownParam]
           ) -> tuple[tuple[KnownParam, ...], tuple[str, ...]]:
    """Known values made as a user would: each create operation (a POST without path
    parameters whose answer has links) is sent once through ``post`` with its first request
    example; the link parameters it answers become known values of the operations the links
    lead to. Also one ``operationId: status`` line per call. Setup: answers are not checked.
    So ``endSession`` is proved even when the selection leaves ``createSession`` out or the
    request budget ends the run before the stateful phase chains them."""
    given = {k.name for k in known}
    found: list[KnownParam] = []
    calls: list[str] = []
    for op in spec.operations:
        if op.method.upper() != "POST" or "{" in op.spec_path:
            continue
        links = [(status, link) for status in op.node.value.get("responses") or {}
                 if str(status).startswith("2")
                 for link in (spec.resolve(op.node.child("responses", status)).value.get(
                     "links") or {}).values() if isinstance(link, Mapping)]
        body = request_example(spec, op)
        if not links or body is None:
            continue
        answer = post(op, body)
        calls.append(f"{op.operation_id}: {'no answer' if answer is None else answer.status_code}")
        if answer is None or not 200 <= answer.status_code < 300:
            continue
        try:
            data = answer.json()
        except ValueError:
            continue
        for _, link in links:
            target = link.get("operationId")
            for name, expression in (link.get("parameters") or {}).items():
                value = from_body(data, str(expression))
                if target and value is not None and name not in given:
                    found.append(KnownParam(str(name), (str(value),), spec.name,
                                            str(target)))
    return tuple(found), tuple(calls)


def _app_request(spec: Spec, app: Any) -> Callable[..., Any]:
    """``request(method, path, **httpx_arguments)`` to the in-process ``app`` under the spec's
    server path: no socket, not counted against a budget."""
    import asyncio

    import httpx

    transport = httpx.ASGITransport(app=app)

    def request(method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            async with httpx.AsyncClient(transport=transport,
                                         base_url="http://localhost") as client:
                return await client.request(method, _base_path(spec) + path, **kwargs)
        return asyncio.run(send())
    return request


def _prime_mock(spec: Spec, app: Any, headers: Mapping[str, str], known: Sequence[KnownParam]
                ) -> tuple[KnownParam, ...]:
    """:func:`_prime` against the in-process mock (its spec paths)."""
    import orjson

    request = _app_request(spec, app)

    def post(op: Operation, body: Any) -> Any:
        return request("POST", op.spec_path, content=orjson.dumps(body),
                       headers={**headers, "content-type": "application/json"})

    return _prime(spec, post, known)[0]


def _prime_live(spec: Spec, options: SuiteOptions, headers: Mapping[str, str],
                known: Sequence[KnownParam]) -> tuple[tuple[KnownParam, ...], tuple[str, ...]]:
    """:func:`_prime` over HTTP at the live vendor's effective paths, for a run that may write
    (each call creates a resource there); a call without answer is left to the suite."""
    import httpx
    import orjson

    assert options.base_url is not None
    with httpx.Client(base_url=options.base_url.rstrip("/"), timeout=30.0) as client:
        def post(op: Operation, body: Any) -> httpx.Response | None:
            try:
                return client.post(op.path, content=orjson.dumps(body), headers={
                    **headers, "content-type": "application/json"})
            except httpx.HTTPError:
                return None
        return _prime(spec, post, known)


def _exchange(spec: Spec, options: SuiteOptions, app: Any, key: str | None,
              result: SuiteResult) -> str | None:
    """The bearer token the spec says is exchanged for the key (Heidi's JWT from ``getJwt``),
    asked once before the phases, of the in-process mock (``app``) or the live vendor (a
    request that reaches it: ``result.setup``, spending the budget); None when the spec
    declares no exchange or it gave no token (the key is then sent as it is)."""
    exchange = token_exchange(spec)
    if exchange is None or not key:
        return None
    import httpx

    if app is not None:
        request = _app_request(spec, app)

        def ask_mock(method: str, path: str, query: Mapping[str, str],
                     headers: Mapping[str, str]) -> Any:
            return request(method, path, params=dict(query), headers=dict(headers))

        return exchanged_token(spec, key, ask_mock, options.known_params)
    assert options.base_url is not None
    calls: list[str] = []
    with httpx.Client(base_url=options.base_url.rstrip("/"), timeout=30.0) as client:
        send = http_sender(client)

        def ask_live(method: str, path: str, query: Mapping[str, str],
                     headers: Mapping[str, str]) -> Any:
            answer = send(method, path, query, headers)
            status = "no answer" if answer is None else answer.status_code
            calls.append(f"{exchange.operation.operation_id}: {status} (bearer token)")
            return answer

        bearer = exchanged_token(spec, key, ask_live, options.known_params)
    result.setup += tuple(calls)
    return bearer


def _mock_for(api: str | Spec, spec: Spec, options: SuiteOptions) -> Any:
    """The app the suites run against offline: a vendor's own mock when one is registered
    under the spec's name, else the stateless mock of the spec (any team's spec)."""
    from .mock import VENDORS
    from .mock import app as mock_app

    if spec.name in VENDORS and (isinstance(api, Spec) or api == spec.name):
        return mock_app(spec.name, **{"seed": options.seed, **options.mock_options})
    from .mock.generic import generic_app

    return generic_app(spec)


def _engine_config(spec: Spec, options: SuiteOptions, checks: dict[str, Any],
                   headers: Mapping[str, str]) -> dict[str, Any]:
    """schemathesis's configuration for one run, decided by the options alone."""
    config_dict: dict[str, Any] = {
        "seed": options.seed,
        # A run is decided by its seed alone: no example database, no schemathesis cache
        # (both replay earlier runs' inputs, and both write folders into the user's checkout).
        "generation": {"max-examples": options.max_examples, "database": "none"},
        "cache": {"enabled": False},
        # Nor by where the toolkit is installed: schemathesis reads literals out of the source
        # of the app it tests when that source is "local" (not under site-packages), which
        # the mock is in an editable install and is not in a wheel.
        "analysis": {"constants": {"enabled": False}},
        "checks": checks,
        "phases": {name: {"enabled": name in options.phases}
                   for name in ("examples", "coverage", "fuzzing", "stateful")},
        "headers": dict(headers),
        "output": {"sanitization": {"enabled": True}},
    }
    if options.rate_limit:
        config_dict["rate-limit"] = options.rate_limit
    return config_dict


def _on_engine_event(event: Any, result: SuiteResult, spec: Spec, secrets: tuple[str, ...],
                     emit: EventHandler) -> None:
    """Fold one schemathesis engine event into the result (and report progress)."""
    name = type(event).__name__
    if name == "ScenarioFinished":
        _collect_engine_failures(result, spec, event)
        label = getattr(event, "label", None)
        if label:
            phase = getattr(getattr(event, "phase", None), "value", "")
            status = getattr(getattr(event, "status", None), "value", "")
            emit("suites", f"{spec.name}: {phase} {label} {status}")
    elif name == "PhaseFinished":
        _record_phase(result, event)
    elif name == "FatalError":
        result.fatal = _redact(str(getattr(event, "exception", "")), secrets)
    elif name == "NonFatalError":
        info = getattr(event, "info", None)
        message = getattr(info, "message", None) or str(getattr(event, "value", ""))
        label = getattr(event, "label", "engine")
        key = f"engine error: {_redact(str(message), secrets)[:300]}"
        outcome = _outcome_for_label(result, spec, str(label))
        outcome.engine_failures[key] = outcome.engine_failures.get(key, 0) + 1


def _select(schema: Any, runnable: Sequence[Any], methods: Sequence[str] | None, *,
            narrowed: bool) -> Any:
    """schemathesis's own filter: the read-only rule, and the chosen operations when narrowed.

    Criteria of one ``include`` are and-ed; separate ``include`` calls are or-ed.
    """
    criteria: dict[str, Any] = {"method": list(methods)} if methods is not None else {}
    if not narrowed:
        return schema.include(**criteria) if criteria else schema
    named = [op.operation_id for op in runnable if op.node.value.get("operationId")]
    # An operation without an operationId is known to schemathesis by its label only.
    labels = [f"{op.method.upper()} {op.path}" for op in runnable
              if not op.node.value.get("operationId")]
    selected = schema
    if named:
        selected = selected.include(**criteria, operation_id=named)
    if labels:
        selected = selected.include(**criteria, name=labels)
    return selected


def _record_phase(result: SuiteResult, event: Any) -> None:
    phase = getattr(event, "phase", None)
    name = str(getattr(getattr(phase, "name", None), "value", ""))
    if name not in PHASES:
        return  # probing, schema analysis, auth bootstrap: not test phases
    status = str(getattr(getattr(event, "status", None), "value", ""))
    if status == "skip":
        reason = getattr(getattr(phase, "skip_reason", None), "display", None)
        status = f"skipped: {reason}" if reason else "skipped"
    result.phases.setdefault(name, status)


def _outcome_for_label(result: SuiteResult, spec: Spec, label: str) -> OperationOutcome:
    for op in spec.operations:
        if f"{op.method.upper()} {op.spec_path}" == label or op.operation_id == label:
            return result.outcomes.setdefault(op.operation_id,
                                              OperationOutcome(op.operation_id, label))
    return result.outcomes.setdefault(label, OperationOutcome(label, label))


def _collect_engine_failures(result: SuiteResult, spec: Spec, event: Any) -> None:
    """Failures from schemathesis's own checks (ours are already collected, with codes)."""
    recorder = getattr(event, "recorder", None)
    if recorder is None:
        return
    for checks in recorder.checks.values():
        for check in checks:
            if check.failure_info is None or check.name == "contracts_conformance":
                continue
            failure = check.failure_info.failure
            title = getattr(failure, "title", None) or type(failure).__name__
            outcome = _outcome_for_label(result, spec, str(getattr(recorder, "label", "engine")))
            key = f"{check.name}: {title}"
            outcome.engine_failures[key] = outcome.engine_failures.get(key, 0) + 1


def _plain(value: Any) -> Any:
    """A deep, mutable copy (schemathesis may normalise the dict it is given)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
