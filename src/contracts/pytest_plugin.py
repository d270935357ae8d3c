"""The pytest plugin (``pytest11`` entry point ``contracts``): mocks, conformance assertions,
live runs, recording and a session report, wired to the library.

Free when unused: this module imports the standard library and pytest only (plus, as any
submodule, the ``contracts`` package). The mock (Starlette, uvicorn), httpx, requests and the
JSON Schema engine are imported by the fixture or option that needs them; a suite that uses
none of them gets no server, no patched client, no file and no output.

Recording (``--contracts-record DIR``) wraps ``httpx.Client.send``, ``httpx.AsyncClient.send``
and ``requests.Session.send`` for the session (Starlette's TestClient is an ``httpx.Client``),
and writes each exchange, redacted by the default :class:`~contracts.redaction.Redactor`, as
one line of our JSON Lines log as soon as it completes.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import pytest

if TYPE_CHECKING:
    from .exchanges import Exchange
    from .findings import Violation
    from .specs import Spec
    from .validation import Validator

__all__ = ["Contracts", "MockHandle"]

_P = ParamSpec("_P")
_T = TypeVar("_T")

_MARKER = "contract"
_MARKER_HELP = (
    "contract(api, operation=None): the test exercises this vendor API (and operation); "
    "with --contracts-live it runs against the live vendor (CONTRACTS_<API>_BASE_URL, "
    "CONTRACTS_<API>_TOKEN) instead of the mock"
)
_SHOW_VALUES_HINT = "value hidden: --contracts-show-values shows it"
_WORKER_KEY = "contracts"


# --------------------------------------------------------------------------- options and hooks


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contracts", "API contracts (scribe-contracts)")
    group.addoption(
        "--contracts-live", action="store_true", default=False,
        help="run tests marked @pytest.mark.contract(api) against the live vendor "
             "(CONTRACTS_<API>_BASE_URL and CONTRACTS_<API>_TOKEN) instead of the mock; "
             "they are skipped when those are not set")
    group.addoption(
        "--contracts-record", metavar="DIR", default=None,
        help="record every exchange the tests make through httpx or requests, redacted, "
             "into one JSON Lines log per session in DIR")
    group.addoption(
        "--contracts-strict", action="store_true", default=False,
        help="assert_conforms also fails on fields the spec does not document")
    group.addoption(
        "--contracts-report", metavar="PATH", default=None,
        help="write the session's contract violations as JSON to PATH")
    group.addoption(
        "--contracts-show-values", action="store_true", default=False,
        help="show body values in failures and reports (they may be patient data)")


_STATE = pytest.StashKey["_Session"]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER_HELP)
    session = _Session(config)
    config.stash[_STATE] = session
    # Under pytest-xdist the tests run in the workers: each records its own traffic and sends
    # its violations here when it finishes (pytest_testnodedown); the controller records
    # nothing and writes the one report and summary.
    session.controller = _xdist_controller(config)
    if session.record_dir is not None and not session.controller:
        session.recorder = _Recorder(session.record_dir, session)


def _xdist_controller(config: pytest.Config) -> bool:
    """True in the controlling process of a pytest-xdist run with workers (``-n 2``)."""
    if hasattr(config, "workerinput") or not config.pluginmanager.hasplugin("xdist"):
        return False
    return bool(config.getoption("dist", "no") != "no" and config.getoption("numprocesses", 0))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: a worker finished; take in what its tests checked, found and recorded."""
    state = node.config.stash.get(_STATE, None)
    output = getattr(node, "workeroutput", None) or {}
    if state is not None and isinstance(output.get(_WORKER_KEY), dict):
        state.merge(output[_WORKER_KEY])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--contracts-live: a marked test whose vendor is not configured is skipped, as a skip
    marker would, so the report points at the test (a skip raised in a hook points here)."""
    session = config.stash.get(_STATE, None)
    if session is None or not session.live:
        return
    for item in items:
        marker = item.get_closest_marker(_MARKER)
        api = marker.args[0] if marker is not None and marker.args else (
            marker.kwargs.get("api") if marker is not None else None)
        reason = _live_missing(api) if isinstance(api, str) and api else None
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_setup(item: pytest.Item) -> None:
    session = item.config.stash.get(_STATE, None)
    marker = item.get_closest_marker(_MARKER)
    if session is None or marker is None:
        return
    _marker_args(marker)  # a malformed marker fails its test (unconfigured vendors: above)


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is None:
        return
    state.stop_servers()
    if state.recorder is not None:
        state.recorder.close()
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller reports
        workeroutput[_WORKER_KEY] = state.worker_output()
        return
    if state.report_path is not None:
        state.write_report()


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None:  # a safety net for start-ups that fail before sessionfinish
        state.stop_servers()
        if state.recorder is not None:
            state.recorder.close()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int,
                            config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or not (state.checked or state.recorder or state.recorded
                             or state.report_error):
        return
    write = terminalreporter.write_line
    terminalreporter.section("contracts")
    if state.checked:
        tests = len({nodeid for nodeid, _ in state.records})
        write(f"{state.checked} response(s) checked, {len(state.records)} violation(s)"
              + (f" in {tests} test(s)" if state.records else ""))
        for api, rows in _by_api_and_code(state.records).items():
            write(api)
            width = max(len(code) for code, _, _ in rows)
            for code, severity, count in rows:
                write(f"  {code:<{width}}  {count:>4} x {severity}")
    if state.recorder is not None:
        write(f"recorded {state.recorder.count} exchange(s) to {state.recorder.path}")
    elif state.recorded:  # pytest-xdist: one file per worker
        write(f"recorded {sum(n for _path, n in state.recorded)} exchange(s) to "
              f"{len(state.recorded)} file(s):")
        for path, count in sorted(state.recorded):
            write(f"  {path} ({count})")
    if state.report_error is not None:
        write(f"violations report not written: {state.report_error}", red=True)
    elif state.report_path is not None:
        write(f"violations report: {state.report_path}")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def contracts(request: pytest.FixtureRequest) -> Contracts:
    """The bundled specs' validators and this test's conformance checks and mocks."""
    return Contracts(request)


@pytest.fixture
def contract_mock(contracts: Contracts) -> Callable[..., MockHandle]:
    """``contract_mock(api, **options)`` starts (or reuses, reset) a mock on 127.0.0.1."""
    return contracts.mock


@pytest.fixture
def assert_conforms(contracts: Contracts) -> Callable[..., None]:
    """``assert_conforms(response, api=None, operation=None)``: fail, best violation first."""
    return contracts.assert_conforms


class Contracts:
    """What the ``contracts`` fixture gives a test.

    ``contracts["eka"]`` (or ``contracts.validator("eka")``) is the cached validator of a
    bundled spec; ``check`` returns a response's violations (ranked) and ``assert_conforms``
    fails on them; ``mock`` is the ``contract_mock`` factory. The API and operation default to
    the test's ``@pytest.mark.contract``, then to the mock whose URL the response came from.
    """

    def __init__(self, request: pytest.FixtureRequest):
        self._session: _Session = request.config.stash[_STATE]
        self._nodeid = request.node.nodeid
        marker = request.node.get_closest_marker(_MARKER)
        self.api: str | None = None
        self.operation: str | None = None
        if marker is not None:
            self.api, self.operation = _marker_args(marker)
        self._handles: dict[tuple[str, str], MockHandle] = {}

    def __repr__(self) -> str:
        return f"<contracts fixture api={self.api!r} operation={self.operation!r}>"

    @property
    def apis(self) -> tuple[str, ...]:
        from .specs import BUNDLED

        return tuple(BUNDLED)

    def validator(self, api: str) -> Validator:
        from .validation import validator_for

        return _translated(validator_for, api)

    def __getitem__(self, api: str) -> Validator:
        return self.validator(api)

    def spec(self, api: str) -> Spec:
        return self.validator(api).spec

    # -- mocks ------------------------------------------------------------------------
    def mock(self, api: str | None = None, **options: Any) -> MockHandle:
        """A mock of ``api`` on 127.0.0.1 with fresh state (the live vendor in live mode)."""
        __tracebackhide__ = True
        api = api or self.api
        if not api:
            pytest.fail("contract_mock() needs an API name (or a @pytest.mark.contract(api) "
                        "on the test)", pytrace=False)
        key = (api, repr(sorted(options.items())))
        handle = self._handles.get(key)
        if handle is None:
            if self._session.live and api == self.api:
                base_url, token = _live_settings(api)
                handle = MockHandle(api, base_url, token, live=True)
            else:
                handle = self._session.mock(api, options)
            self._handles[key] = handle
            self._session.origins[handle.base_url] = api
        return handle

    # -- conformance ------------------------------------------------------------------
    def check(self, response: Any, api: str | None = None,
              operation: str | None = None) -> list[Violation]:
        """Every violation of the response (ranked); recorded for the session's report."""
        __tracebackhide__ = True
        violations, _exchange, _api = self._check(response, api, operation)
        return violations

    def assert_conforms(self, response: Any, api: str | None = None,
                        operation: str | None = None) -> None:
        """Fail with the best violation first, what was expected there, and the rest."""
        __tracebackhide__ = True
        from .findings import ContractViolation, Severity

        violations, exchange, api = self._check(response, api, operation)
        fail_on = Severity.INFO if self._session.strict else Severity.ERROR
        failing = [v for v in violations if v.severity >= fail_on]
        if failing:
            error = ContractViolation(failing, show_values=self._session.show_values)
            from .reporting.failure import failure_text

            error.args = (failure_text(error, exchange, api,
                                       show_values=self._session.show_values,
                                       value_hint=_SHOW_VALUES_HINT,
                                       more_hint="--contracts-report lists them all"),)
            raise error

    def _check(self, response: Any, api: str | None, operation: str | None
               ) -> tuple[list[Violation], Exchange, str]:
        __tracebackhide__ = True
        from .findings import rank_violations
        from .validation import iter_response_violations

        exchange = _exchange_of(response)
        if exchange.status is None:
            pytest.fail("assert_conforms needs a response, not a request", pytrace=False)
        api = api or self.api or self._api_for(exchange.url)
        if not api:
            pytest.fail(f"cannot tell which API served {exchange.method} "
                        f"{_path_of(exchange.url)}: pass api= to assert_conforms, mark the "
                        "test with @pytest.mark.contract(api) or call it through "
                        "contract_mock's base_url", pytrace=False)

        def violations_for(op: str | None) -> list[Violation]:
            return list(iter_response_violations(
                api, exchange.method, exchange.url, int(exchange.status or 0),
                exchange.response_body, headers=exchange.response_headers,
                strict=self._session.strict, operation=op))

        found = _translated(violations_for, operation)
        if operation is None and api == self.api and self.operation is not None and \
                [v.code for v in found] == ["request.operation.undocumented"]:
            # The spec does not know this URL (a vendor's real path differing from an
            # assumed one): the marker says which operation the test is about.
            found = _translated(violations_for, self.operation)
        violations = rank_violations(found)
        self._session.note(self._nodeid, violations)
        return violations, exchange, api

    def _api_for(self, url: str) -> str | None:
        candidates = dict(_vendor_origins())
        candidates.update({h.base_url: h.api for h in self._handles.values()})
        candidates.update(self._session.origins)
        from .recording import api_of_url

        return api_of_url(candidates, url)


class MockHandle:
    """One API under test: where it is, the token to send, and (on a mock) its controls.

    ``base_url`` includes the spec's server path (``/api/v2/ml-scribe/open-api`` for Heidi),
    so the same client code works against the mock and the live vendor. In live mode
    (``live`` is true) the control methods skip the test: the live vendor has no controls.
    """

    def __init__(self, api: str, base_url: str, token: str, *, control_url: str | None = None,
                 live: bool = False):
        self.api = api
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.live = live
        self._control_url = control_url
        self._bearer: str | None = None

    def __repr__(self) -> str:  # never the token: in live mode it is a credential
        kind = "live" if self.live else "mock"
        return f"<MockHandle {self.api} {kind} {self.base_url}>"

    @property
    def headers(self) -> dict[str, str]:
        """The auth header every bundled vendor documents: ``Authorization: Bearer <token>``;
        where the spec says the token is exchanged for the key first (Heidi's JWT from
        ``GET /jwt``), the exchanged one (asked once per handle; the key when refused)."""
        __tracebackhide__ = True
        if self._bearer is None:
            from ._credentials import bearer_over_http
            from .validation import validator_for

            spec = _translated(validator_for, self.api).spec
            self._bearer = _translated(bearer_over_http, spec, self.base_url, self.token)
        return {"Authorization": f"Bearer {self._bearer}"}

    def url(self, path: str = "") -> str:
        """``base_url`` joined with an operation's path (``/sessions/abc``)."""
        return self.base_url + ("/" + path.lstrip("/") if path else "")

    def prefer(self, code: int | None = None, example: str | None = None) -> dict[str, str]:
        """``headers`` plus ``Prefer: code=N, example=NAME``: the mock answers that documented
        response once, leaving its state alone (``prefer(403)`` for Heidi's linked-user 403)."""
        __tracebackhide__ = True
        if code is None and example is None:
            raise TypeError("prefer() needs code= or example=")
        if self.live:
            pytest.skip(f"{self.api}: the live API does not answer a Prefer header; this test "
                        "needs the mock (run it without --contracts-live)")
        parts = [f"code={int(code)}"] if code is not None else []
        if example is not None:
            plain = example and all((c.isascii() and c.isalnum()) or c in "!#$%&'*+-.^_`|~"
                                   for c in example)
            parts.append(f"example={example}" if plain else
                         'example="' + example.replace("\\", "\\\\").replace('"', '\\"') + '"')
        return {**self.headers, "Prefer": ", ".join(parts)}

    def reset(self) -> None:
        """Forget every session and the chosen scenario (done for you between tests)."""
        __tracebackhide__ = True
        self._control("POST", "/reset", {"api": self.api}, "reset")

    def advance(self, session_id: str, to: str | None = None) -> dict[str, Any]:
        """Move a session one lifecycle state on (or straight to ``to``); its new state."""
        __tracebackhide__ = True
        body: dict[str, Any] = {"api": self.api}
        if to is not None:
            body["to"] = to
        result = self._control("POST", f"/sessions/{_quote(session_id)}/advance", body,
                               "advance a session")
        return dict(result) if isinstance(result, dict) else {}

    def scenario(self, name: str | None) -> None:
        """Serve the named scenario from now on (``None``: the default)."""
        __tracebackhide__ = True
        self._control("POST", "/scenario", {"api": self.api, "scenario": name},
                      "pick a scenario")

    def state(self) -> dict[str, Any]:
        """The mock's state for this API (sessions, scenario, webhooks sent)."""
        __tracebackhide__ = True
        result = self._control("GET", f"/state?api={_quote(self.api)}", None, "read the state")
        return dict(result.get(self.api, {})) if isinstance(result, dict) else {}

    def _control(self, method: str, path: str, body: Any, what: str) -> Any:
        __tracebackhide__ = True
        if self.live or self._control_url is None:
            pytest.skip(f"{self.api}: cannot {what} on the live API; this test needs the "
                        "mock (run it without --contracts-live)")
        return _control(self._control_url, method, path, body)


# --------------------------------------------------------------------------- session state


class _Session:
    """Per-run state: options, running mocks, violations seen, the recorder."""

    def __init__(self, config: pytest.Config):
        option = config.getoption
        self.live = bool(option("contracts_live"))
        self.strict = bool(option("contracts_strict"))
        self.show_values = bool(option("contracts_show_values"))
        record = option("contracts_record")
        report = option("contracts_report")
        self.record_dir = Path(record) if record else None
        self.report_path = Path(report) if report else None
        if self.record_dir is not None and self.record_dir.exists() \
                and not self.record_dir.is_dir():
            raise pytest.UsageError(f"--contracts-record: {record} is not a directory")
        if self.report_path is not None and self.report_path.is_dir():
            raise pytest.UsageError(f"--contracts-report: {report} is a directory, not a file")
        self.records: list[tuple[str, Violation]] = []
        self.checked = 0
        self.servers: dict[tuple[str, str], _Server] = {}
        self.origins: dict[str, str] = {}
        self.recorder: _Recorder | None = None
        self.report_error: str | None = None
        self.controller = False
        self.recorded: list[tuple[str, int]] = []
        """pytest-xdist controller: (file, exchanges) each worker recorded."""
        self._lock = threading.Lock()

    def worker_output(self) -> dict[str, Any]:
        """What a pytest-xdist worker sends the controller (plain data, for execnet).

        Body values cross only when they may be shown (``--contracts-show-values``)."""
        return {
            "checked": self.checked,
            "records": [(nodeid, _violation_data(v, self.show_values))
                        for nodeid, v in self.records],
            "recorded": ([(str(self.recorder.path), self.recorder.count)]
                         if self.recorder is not None else []),
        }

    def merge(self, output: Mapping[str, Any]) -> None:
        """Take in a worker's :meth:`worker_output`."""
        from .findings import Severity, Violation

        with self._lock:
            self.checked += int(output.get("checked") or 0)
            for nodeid, data in output.get("records") or []:
                fields = dict(data)
                fields["severity"] = Severity(fields.get("severity", Severity.ERROR))
                self.records.append((str(nodeid), Violation(**fields)))
            self.recorded.extend((str(path), int(count))
                                 for path, count in output.get("recorded") or [])

    def note(self, nodeid: str, violations: list[Violation]) -> None:
        with self._lock:
            self.checked += 1
            self.records.extend((nodeid, v) for v in violations)

    def mock(self, api: str, options: Mapping[str, Any]) -> MockHandle:
        __tracebackhide__ = True
        key = (api, repr(sorted(options.items())))
        with self._lock:
            server = self.servers.get(key)
            if server is None:
                server = _translated(_Server, api, dict(options))
                self.servers[key] = server
            elif server.used:
                _control(server.origin, "POST", "/reset", {"api": api})
            server.used = True
        return MockHandle(api, server.base_url, server.token, control_url=server.origin)

    def stop_servers(self) -> None:
        with self._lock:
            servers, self.servers = list(self.servers.values()), {}
        for server in servers:
            server.stop()

    def write_report(self) -> None:
        from .corpus import CorpusReport, Record
        from .reporting import violations_json

        assert self.report_path is not None
        report = CorpusReport(records=[Record(v, source=nodeid) for nodeid, v in self.records],
                              exchanges=self.checked)
        try:
            self.report_path.parent.mkdir(parents=True, exist_ok=True)
            self.report_path.write_text(violations_json(report, show_values=self.show_values),
                                        encoding="utf-8")
        except OSError as exc:  # said in the summary: the tests' outcome stands
            self.report_error = f"{self.report_path}: {exc.strerror or exc}"


class _Server:
    """A running :class:`contracts.mock.MockServer` of one API and its addresses."""

    def __init__(self, api: str, options: dict[str, Any]):
        from . import mock

        app = mock.app(api, **options)  # checks the options (UsageError)
        settings = mock.MockOptions(**options)
        self._server = mock.MockServer(app).start()
        self.origin = self._server.url
        self.base_url = mock.base_urls([api], self.origin, settings)[api]
        self.token = settings.token
        self.used = False

    def stop(self) -> None:
        self._server.stop()


def _control(origin: str, method: str, path: str, body: Any) -> Any:
    """Call the mock's ``/__contracts__`` API with the standard library: never recorded, never
    sent through a proxy (the mock is on loopback)."""
    __tracebackhide__ = True
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(f"{origin}/__contracts__{path}", data=data, method=method,
                                     headers={"content-type": "application/json"})
    problem = None
    try:
        with opener.open(request, timeout=30) as answer:
            raw = answer.read()
    except urllib.error.HTTPError as exc:
        try:
            problem = json.loads(exc.read() or b"{}").get("detail") or exc.reason
        except (ValueError, AttributeError):
            problem = exc.reason
    except OSError as exc:
        problem = str(exc)
    if problem is not None:  # outside the except: the urllib error is noise to the reader
        pytest.fail(f"mock control {method} {path.split('?')[0]}: {problem}", pytrace=False)
    return json.loads(raw) if raw.strip() else None


# --------------------------------------------------------------------------- recording


class _Recorder:
    """The session's :class:`~contracts.recording.Recorder`, writing to
    ``DIR/contracts-*.jsonl``."""

    def __init__(self, directory: Path, session: _Session):
        from .recording import Recorder, api_of_url

        try:
            directory.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            self.path = directory / f"contracts-{stamp}-{os.getpid()}.jsonl"
            fh = self.path.open("wb")
        except OSError as exc:
            raise pytest.UsageError(f"--contracts-record: cannot write to {directory}: "
                                    f"{exc.strerror or exc}") from None
        self._recorder = Recorder(fh, api_of=lambda url: api_of_url(
            {**_vendor_origins(), **session.origins}, url))

    @property
    def count(self) -> int:
        return self._recorder.count

    def close(self) -> None:
        self._recorder.close()


# --------------------------------------------------------------------------- translation


def _exchange_of(response: Any) -> Exchange:
    """An httpx (Starlette TestClient) or requests response as an :class:`Exchange`."""
    __tracebackhide__ = True
    try:
        request = response.request
        status = response.status_code
    except (AttributeError, RuntimeError):
        request = status = None
    if request is None or not isinstance(status, int):
        pytest.fail("assert_conforms needs an httpx, requests or Starlette TestClient "
                    f"response, not {type(response).__name__}", pytrace=False)
    from .recording import body_was_read, exchange_from

    if not body_was_read(response):  # a streamed response the test has not read yet
        try:
            response.read() if hasattr(response, "is_stream_consumed") else response.content
        except Exception as exc:  # noqa: BLE001 - httpx stream errors, async streams
            pytest.fail(f"assert_conforms could not read the response body ({exc}); read it "
                        "first (await response.aread() for an async stream)", pytrace=False)
    return exchange_from(request, response)


def _translated(fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Call into the library; a tool failure (unknown API, operation...) fails the test in
    one line instead of a traceback through the toolkit."""
    __tracebackhide__ = True
    from .errors import ContractsError

    try:
        return fn(*args, **kwargs)
    except ContractsError as exc:
        problem = str(exc)
    pytest.fail(f"contracts: {problem}", pytrace=False)  # outside the except: no chain shown


# --------------------------------------------------------------------------- presentation


def _marker_args(marker: pytest.Mark) -> tuple[str, str | None]:
    __tracebackhide__ = True
    api = marker.args[0] if marker.args else marker.kwargs.get("api")
    operation = marker.args[1] if len(marker.args) > 1 else marker.kwargs.get("operation")
    unknown = set(marker.kwargs) - {"api", "operation"}
    if not isinstance(api, str) or not api or unknown or len(marker.args) > 2 or (
            operation is not None and not isinstance(operation, str)):
        pytest.fail("@pytest.mark.contract takes an API name and optionally an operation: "
                    "@pytest.mark.contract('eka', operation='getSession')", pytrace=False)
    return api, operation


def _env_name(api: str) -> str:
    return "CONTRACTS_" + re.sub(r"[^A-Z0-9]+", "_", api.upper()).strip("_")


def _live_settings(api: str) -> tuple[str, str]:
    """Base URL and token of the live vendor; skips the test when either is not set."""
    __tracebackhide__ = True
    reason = _live_missing(api)
    if reason:
        pytest.skip(reason)  # from a fixture: pytest reports the test's location
    prefix = _env_name(api)
    return (os.environ[f"{prefix}_BASE_URL"].strip(), os.environ[f"{prefix}_TOKEN"].strip())


@functools.cache
def _vendor_origins() -> dict[str, str]:
    """The registered APIs' real hosts, as their specs' ``servers`` name them
    (``https://api.eka.care`` -> eka), so traffic to a live vendor is attributed too."""
    from . import vendors
    from .specs import load_spec

    return {url: api for api in vendors.names() for url in load_spec(api).server_urls}


def _live_missing(api: str) -> str | None:
    """Why the live ``api`` cannot be reached (its settings are not all set), or None."""
    prefix = _env_name(api)
    missing = [f"{prefix}_{name}" for name in ("BASE_URL", "TOKEN")
               if not os.environ.get(f"{prefix}_{name}", "").strip()]
    if not missing:
        return None
    return (f"--contracts-live: {' and '.join(missing)} not set, so the live {api} API cannot "
            "be reached")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _path_of(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path or url


def _violation_data(violation: Violation, show_values: bool) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(violation)
    data["severity"] = int(violation.severity)
    # execnet carries plain data only: anything else in the values travels as its text
    data["expected"] = json.loads(json.dumps(violation.expected, default=str))
    data["actual"] = (json.loads(json.dumps(violation.actual, default=str))
                      if show_values else None)
    return data


def _by_api_and_code(records: list[tuple[str, Violation]]
                     ) -> dict[str, list[tuple[str, str, int]]]:
    """``{api: [(code, worst severity, count), ...]}``, most frequent code first."""
    counts: dict[tuple[str, str], list[Any]] = {}
    for _nodeid, violation in records:
        slot = counts.setdefault((violation.api or "?", violation.code), [violation.severity, 0])
        slot[0] = max(slot[0], violation.severity)
        slot[1] += 1
    out: dict[str, list[tuple[str, str, int]]] = {}
    for (api, code), (severity, count) in sorted(counts.items(),
                                                   key=lambda kv: (kv[0][0], -kv[1][1], kv[0][1])):
        out.setdefault(api, []).append((code, severity.label, count))
    return out
