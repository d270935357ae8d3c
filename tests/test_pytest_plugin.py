"""The pytest plugin, driven through ``pytester``: passing and failing conformance tests and
their output, the ``contract`` marker with and without live settings, recording, strict mode,
the JSON report, state reset between tests, the docs' example files, and that the plugin does
nothing when none of its fixtures or options are used."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from pathlib import Path

# Imported here so that pytester's in-process runs find them already loaded: pytester drops
# modules first imported by an inner run, and re-importing them for every run is slow.
import httpx
import pytest
import requests
import uvicorn

import contracts.mock
from contracts.exchanges import Exchange, read_exchanges
from contracts.mock import DEFAULT_TOKEN, MockServer, app, base_urls

with warnings.catch_warnings():  # starlette's advice to move to httpx2 is not ours to take
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    import starlette.testclient

pytest_plugins = ["pytester"]

assert uvicorn and starlette.testclient  # loaded for the reason above

DOCS = Path(__file__).resolve().parents[1] / "docs" / "pytest-plugin.md"

# A fixture of the inner tests: an httpx client on the Eka mock, and a valid session request.
EKA_CONFTEST = """
import httpx
import pytest

SESSION = {"upload_type": "chunked", "communication_protocol": "http",
           "templates": ["eka_emr_template"],
           "patient_details": {"oid": "TEST-0001", "name": "Test Patient 0001"}}


@pytest.fixture
def session_request():
    return SESSION


def finished_session(client):
    created = client.post("/voice/v1/sessions", json=SESSION)
    session_id = created.json()["session_id"]
    client.post(f"/voice/v1/sessions/{session_id}/end", json={"audio_files_sent": 1})
    for _ in range(5):
        polled = client.get(f"/voice/v1/sessions/{session_id}")
        if polled.status_code != 202:
            return polled
    raise AssertionError("the session never finished")


@pytest.fixture
def finished():
    return finished_session
"""


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(EKA_CONFTEST)
    return pytester


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rs", *args)


def _section(result: pytest.RunResult) -> str:
    """The plugin's terminal summary section ('' when there is none)."""
    text = result.stdout.str()
    match = re.search(r"=+ contracts =+\n(.*?)(?:\n=+ |\Z)", text, re.S)
    return match.group(1) if match else ""


# --------------------------------------------------------------------------- conformance


def test_a_conforming_exchange_passes_and_is_counted(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_ok="""
        import httpx

        def test_scribe(contract_mock, assert_conforms, session_request):
            mock = contract_mock("eka")
            assert mock.base_url.startswith("http://127.0.0.1:") and not mock.live
            with httpx.Client(base_url=mock.base_url, headers=mock.headers) as client:
                created = client.post("/voice/v1/sessions", json=session_request)
                assert created.status_code == 201
                assert_conforms(created)
                sid = created.json()["session_id"]
                assert_conforms(client.get(f"/voice/v1/sessions/{sid}"))
    """)
    result = _run(inner)
    result.assert_outcomes(passed=1)
    assert "2 response(s) checked, 0 violation(s)" in _section(result)


def test_a_failing_exchange_shows_the_best_violation_first(inner: pytest.Pytester) -> None:
    # The mock serves a documented integer as a string ("type-changed" drift).
    inner.makepyfile(test_drift="""
        import httpx

        def test_scribe(contract_mock, assert_conforms, finished):
            mock = contract_mock("eka", drift="type-changed")
            with httpx.Client(base_url=mock.base_url, headers=mock.headers) as client:
                assert_conforms(finished(client))
    """)
    result = _run(inner)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    best = out.index("contracts.findings.ContractViolation: [response.body.schema] getSession: "
                     "response.body/audio_files_received: expected integer, got string")
    assert re.search(r"response: GET /voice/v1/sessions/\S+ -> 200 \(eka\)", out)
    assert "schema:   eka.yaml#/components/schemas/" in out
    assert out.index("expected: integer") > best
    assert "actual:   value hidden: --contracts-show-values shows it" in out
    section = _section(result)
    assert "1 violation(s) in 1 test(s)" in section
    assert re.search(r"^eka\n\s+response\.body\.schema\s+1 x error$", section, re.M)


def test_body_values_appear_only_when_asked(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_values="""
        import httpx

        def test_scribe(contract_mock, assert_conforms, finished):
            mock = contract_mock("eka")
            with httpx.Client(base_url=mock.base_url, headers=mock.headers) as client:
                good = finished(client)
            body = {**good.json(), "status": "Patient-" + "Name-7731"}
            assert_conforms(httpx.Response(good.status_code, json=body,
                                           request=good.request))
    """)
    hidden = _run(inner)
    hidden.assert_outcomes(failed=1)
    assert "Patient-Name-7731" not in hidden.stdout.str()
    assert "response.body/status" in hidden.stdout.str()
    assert re.search(r"and \d+ more violation\(s\):", hidden.stdout.str())

    shown = _run(inner, "--contracts-show-values")
    shown.assert_outcomes(failed=1)
    assert "Patient-Name-7731" in shown.stdout.str()


def test_requests_and_starlette_testclient_responses(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_clients="""
        import pytest
        import requests
        from starlette.testclient import TestClient

        from contracts.mock import DEFAULT_TOKEN, app
        from contracts.findings import ContractViolation

        def test_requests(contract_mock, assert_conforms, session_request):
            mock = contract_mock("eka")
            response = requests.post(mock.url("/voice/v1/sessions"), json=session_request,
                                     headers=mock.headers, timeout=30)
            assert response.status_code == 201
            assert_conforms(response)

        def test_testclient(assert_conforms, session_request):
            client = TestClient(app("eka"), headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"})
            response = client.post("/voice/v1/sessions", json=session_request)
            assert_conforms(response, api="eka", operation="createSession")
            with pytest.raises(ContractViolation) as caught:
                assert_conforms(client.get("/voice/v1/sessions/nope"), api="eka",
                                operation="createSession")
            assert caught.value.best.code == "response.status.undocumented"

        def test_testclient_needs_an_api(assert_conforms):
            assert_conforms(TestClient(app("eka")).get("/voice/v1/sessions/x"))

        def test_not_a_response(assert_conforms):
            assert_conforms({"status": 200})
    """)
    result = _run(inner)
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        "*cannot tell which API served GET /voice/v1/sessions/x: pass api= to assert_conforms*",
        "*assert_conforms needs an httpx, requests or Starlette TestClient response, not dict*",
    ])


def test_assert_conforms_knows_the_vendors_real_hosts_from_the_specs_servers(
        inner: pytest.Pytester) -> None:
    # Responses as a client of the live vendors gets them (built here: no network).
    inner.makepyfile(test_hosts="""
        import httpx
        import pytest

        from contracts.findings import ContractViolation

        def answer(url, status, body):
            return httpx.Response(status, json=body, request=httpx.Request("GET", url))

        @pytest.mark.parametrize(("url", "api"), [
            ("https://api.eka.care/voice/v1/sessions/ses_1", "eka"),
            ("https://registrar.api.heidihealth.com/api/v2/ml-scribe/open-api/sessions/s1",
             "heidi"),
            ("https://api.upheal.io/sessions/s1", "upheal"),
        ])
        def test_real_host(assert_conforms, url, api):
            with pytest.raises(ContractViolation) as caught:
                assert_conforms(answer(url, 200, [1]))  # no operation answers a list
            assert {v.api for v in caught.value.violations} == {api}

        def test_unknown_host(assert_conforms):
            assert_conforms(answer("https://vendor.example/voice/v1/sessions/x", 200, {}))
    """)
    result = _run(inner)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*cannot tell which API served GET /voice/v1/sessions/x*"])


# --------------------------------------------------------------------------- the marker


MARKED = """
import httpx
import pytest

@pytest.mark.contract("eka", operation="createSession")
def test_create(contract_mock, assert_conforms, session_request):
    mock = contract_mock()
    print("HANDLE", mock, "LIVE" if mock.live else "MOCK")
    with httpx.Client(base_url=mock.base_url, headers=mock.headers) as client:
        assert_conforms(client.post("/voice/v1/sessions", json=session_request))

@pytest.mark.contract("eka")
def test_controls(contract_mock):
    contract_mock().advance("any")

def test_unmarked(contract_mock):
    assert not contract_mock("eka").live
"""


def test_marker_without_live_runs_on_the_mock(inner: pytest.Pytester,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTRACTS_EKA_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CONTRACTS_EKA_TOKEN", "t")
    inner.makepyfile(test_marked=MARKED)
    result = _run(inner, "-s")
    # advance("any") reaches the mock, which has no such session: a clear failure.
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*HANDLE <MockHandle eka mock http://127.0.0.1:*> MOCK*",
                                 "*mock control POST /sessions/any/advance: no session 'any'*"])


def test_marker_with_live_and_no_settings_skips_with_the_reason(
        inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTRACTS_EKA_BASE_URL", raising=False)
    monkeypatch.delenv("CONTRACTS_EKA_TOKEN", raising=False)
    inner.makepyfile(test_marked=MARKED)
    result = _run(inner, "--contracts-live")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] test_marked.py:*: --contracts-live: "
                                 "CONTRACTS_EKA_BASE_URL and CONTRACTS_EKA_TOKEN not set, so the "
                                 "live eka API cannot be reached"] * 2)
    # The skip points at the tests, not at the plugin's own code.
    assert "pytest_plugin.py" not in result.stdout.str()


@pytest.fixture
def live_eka(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A separate server standing in for the live vendor, named by the environment."""
    with MockServer(app("eka", token="live-secret-token")) as server:
        base = base_urls(["eka"], server.url)["eka"]
        monkeypatch.setenv("CONTRACTS_EKA_BASE_URL", base)
        monkeypatch.setenv("CONTRACTS_EKA_TOKEN", "live-secret-token")
        yield base


def test_marker_with_live_settings_runs_against_them(inner: pytest.Pytester,
                                                     live_eka: str) -> None:
    inner.makepyfile(test_marked=MARKED)
    result = _run(inner, "--contracts-live", "-s")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines([
        f"*HANDLE <MockHandle eka live {live_eka}> LIVE*",
        "SKIPPED*eka: cannot advance a session on the live API; this test needs the mock*",
    ])
    assert "live-secret-token" not in result.stdout.str()


def test_the_markers_operation_serves_urls_the_spec_does_not_know(
        pytester: pytest.Pytester) -> None:
    # Upheal's paths are assumptions; here the "vendor" serves them under /partner.
    pytester.makepyfile(test_paths="""
        import httpx
        import pytest

        def poll(contract_mock):
            mock = contract_mock("upheal", prefix="/partner")
            return httpx.get(mock.url("/sessions/00000000-0000-4000-8000-00000000dead"),
                             headers=mock.headers)

        @pytest.mark.contract("upheal", operation="getSession")
        def test_marked(contract_mock, assert_conforms):
            response = poll(contract_mock)
            assert response.status_code == 404
            assert_conforms(response)

        def test_unmarked(contract_mock, assert_conforms):
            assert_conforms(poll(contract_mock))
    """)
    result = _run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*[[]request.operation.undocumented[]] upheal: request.path: no "
                                 "documented operation: GET /partner/sessions/*"])


def test_a_malformed_marker_fails_clearly(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_bad="""
        import pytest

        @pytest.mark.contract(api=3)
        def test_x(contracts):
            pass
    """)
    result = _run(inner)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.contract takes an API name and optionally an "
                                 "operation*"])


# --------------------------------------------------------------------------- options


def test_strict_mode_fails_on_undocumented_fields(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_added="""
        import httpx

        def test_scribe(contract_mock, assert_conforms, finished):
            mock = contract_mock("eka", drift="field-added")
            with httpx.Client(base_url=mock.base_url, headers=mock.headers) as client:
                assert_conforms(finished(client))
    """)
    _run(inner).assert_outcomes(passed=1)
    strict = _run(inner, "--contracts-strict")
    strict.assert_outcomes(failed=1)
    strict.stdout.fnmatch_lines(["E   *[[]response.body.undocumented_field[]] getSession: "
                                 "response.body/x_vendor_trace: field 'x_vendor_trace' is not in "
                                 "the spec"])
    assert re.search(r"response\.body\.undocumented_field\s+1 x info", _section(strict))


def test_report_lists_the_sessions_violations(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_report="""
        import httpx

        def test_good(contract_mock, assert_conforms, session_request):
            mock = contract_mock("eka")
            with httpx.Client(base_url=mock.base_url, headers=mock.headers) as client:
                assert_conforms(client.post("/voice/v1/sessions", json=session_request))

        def test_bad(contract_mock, assert_conforms, finished):
            mock = contract_mock("eka", drift="type-changed")
            with httpx.Client(base_url=mock.base_url, headers=mock.headers) as client:
                assert_conforms(finished(client))
    """)
    path = inner.path / "out" / "contracts.json"
    result = _run(inner, f"--contracts-report={path}")
    result.assert_outcomes(passed=1, failed=1)
    report = json.loads(path.read_text("utf-8"))
    assert report["exchanges"] == 2
    [violation] = report["violations"]
    assert violation["source"] == "test_report.py::test_bad"
    assert violation["code"] == "response.body.schema"
    assert violation["pointer"] == "/audio_files_received"
    assert "actual" not in violation  # body values only with --contracts-show-values
    assert f"violations report: {path}" in _section(result)


def test_an_unwritable_report_is_said_without_changing_the_outcome(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    (pytester.path / "file").write_text("")
    result = _run(pytester, "--contracts-report", str(pytester.path / "file" / "report.json"))
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    assert "violations report not written: " in _section(result)


def test_recording_writes_every_exchange_redacted(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_record="""
        import httpx
        import requests
        from starlette.testclient import TestClient

        from contracts.mock import app

        def test_traffic(contract_mock, session_request):
            mock = contract_mock("eka")
            with httpx.Client(base_url=mock.base_url, headers=mock.headers) as client:
                sid = client.post("/voice/v1/sessions", json=session_request).json()["session_id"]
                with client.stream("GET", f"/voice/v1/sessions/{sid}") as streamed:
                    assert streamed.status_code == 202
            requests.get(mock.url(f"/voice/v1/sessions/{sid}"), headers=mock.headers,
                         timeout=30)
            TestClient(app("eka")).get("/voice/v1/sessions/x")
            mock.reset()  # control calls are the plugin's, not the test's: not recorded
    """)
    directory = inner.path / "recorded"
    result = _run(inner, "--contracts-record", str(directory))
    result.assert_outcomes(passed=1)
    [log] = directory.glob("contracts-*.jsonl")
    read = list(read_exchanges(log))
    assert all(isinstance(e, Exchange) for e in read)
    exchanges = [e for e in read if isinstance(e, Exchange)]
    assert [(e.method, e.status) for e in exchanges] == [
        ("POST", 201), ("GET", 202), ("GET", 202), ("GET", 401)]
    assert [e.api for e in exchanges] == ["eka", "eka", "eka", None]  # TestClient: no mock URL
    assert exchanges[1].response_body is None  # streamed: the plugin does not read it
    assert isinstance(exchanges[2].response_body, dict)
    text = log.read_text("utf-8")
    assert DEFAULT_TOKEN not in text and "Bearer" not in text
    assert "Test Patient 0001" not in text  # patient data redacted by default
    assert f"recorded 4 exchange(s) to {log}" in _section(result)
    # The wrappers are gone once the inner session ends.
    assert httpx.Client.send.__module__ == "httpx._client"
    assert requests.Session.send.__module__ == "requests.sessions"


def test_a_record_path_that_is_a_file_is_a_usage_error(inner: pytest.Pytester) -> None:
    target = inner.path / "taken"
    target.write_text("")
    result = _run(inner, "--contracts-record", str(target))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --contracts-record: {target} is not a directory"])


# --------------------------------------------------------------------------- mock controls


def test_state_is_reset_between_tests_and_controls_work(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_state="""
        import httpx

        URLS = []

        def test_first(contract_mock, session_request):
            mock = contract_mock("eka")
            URLS.append(mock.base_url)
            with httpx.Client(base_url=mock.base_url, headers=mock.headers) as client:
                client.post("/voice/v1/sessions", json=session_request)
            assert len(mock.state()["sessions"]) == 1

        def test_second_sees_a_fresh_mock(contract_mock, session_request, assert_conforms):
            mock = contract_mock("eka")
            assert mock.base_url == URLS[0]  # one server per API and options, reused
            assert mock.state()["sessions"] == {}
            mock.scenario("expired")
            with httpx.Client(base_url=mock.base_url, headers=mock.headers) as client:
                sid = client.post("/voice/v1/sessions", json=session_request).json()["session_id"]
                gone = client.get(f"/voice/v1/sessions/{sid}")
                assert gone.status_code == 410
                assert_conforms(gone)
                mock.scenario("completed")
                sid = client.post("/voice/v1/sessions", json=session_request).json()["session_id"]
                client.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 1})
                assert mock.advance(sid, to="done")["state"] == "done"
                done = client.get(f"/voice/v1/sessions/{sid}")
                assert done.status_code == 200
                assert_conforms(done)

        def test_third_is_back_to_the_default_scenario(contract_mock, session_request):
            mock = contract_mock("eka")
            with httpx.Client(base_url=mock.base_url, headers=mock.headers) as client:
                sid = client.post("/voice/v1/sessions", json=session_request).json()["session_id"]
                assert client.get(f"/voice/v1/sessions/{sid}").status_code == 202

        def test_unknown_scenario(contract_mock):
            contract_mock("eka").scenario("nope")
    """)
    result = _run(inner)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*mock control POST /scenario: eka has no scenario 'nope'*"])


def test_tool_failures_are_one_line(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_tool="""
        def test_no_api(contract_mock):
            contract_mock()

        def test_unknown_api(contract_mock):
            contract_mock("nope")

        def test_bad_option(contract_mock):
            contract_mock("eka", steps=-1)

        def test_unknown_operation(contract_mock, assert_conforms):
            import httpx
            mock = contract_mock("eka")
            response = httpx.get(mock.url("/voice/v1/sessions/x"), headers=mock.headers)
            assert_conforms(response, operation="getSesion")
    """)
    result = _run(inner)
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines([
        "*contract_mock() needs an API name (or a @pytest.mark.contract(api) on the test)",
        "*contracts: no mock for 'nope' (one of: upheal, heidi, eka, realtimekit, all)",
        "*contracts: steps must be 0 or more, not -1",
        "*contracts: eka: no operation matches operationId 'getSesion' (did you mean "
        "'getSession'*",
    ])
    assert "Traceback" not in result.stdout.str()


def test_the_contracts_fixture_gives_the_bundled_validators(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_validators="""
        def test_validators(contracts):
            assert set(contracts.apis) == {"upheal", "heidi", "eka", "realtimekit"}
            assert contracts["heidi"] is contracts.validator("heidi")
            assert contracts.spec("eka").name == "eka"
            assert contracts["eka"].spec.operation("getSession").method == "get"
    """)
    _run(inner).assert_outcomes(passed=1)


# --------------------------------------------------------------------------- free when unused


def test_the_plugin_does_nothing_when_unused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="""
        import threading

        import httpx
        import requests

        def test_plain():
            assert httpx.Client.send.__module__ == "httpx._client"
            assert requests.Session.send.__module__ == "requests.sessions"
            assert not [t for t in threading.enumerate() if t.name.startswith("contracts-")]
    """)
    before = sorted(p.name for p in pytester.path.iterdir())
    result = _run(pytester)
    result.assert_outcomes(passed=1)
    assert _section(result) == ""
    assert sorted(p.name for p in pytester.path.iterdir()) == before


def test_importing_the_plugin_loads_no_heavy_module() -> None:
    heavy = ("jsonschema_rs", "starlette", "uvicorn", "httpx", "requests", "schemathesis",
             "contracts.mock", "contracts.exchanges", "contracts.redaction")
    code = (f"import sys, contracts.pytest_plugin; "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]", out


def test_the_entry_point_is_registered() -> None:
    from importlib.metadata import entry_points

    [point] = [p for p in entry_points(group="pytest11") if p.name == "contracts"]
    assert point.value == "contracts.pytest_plugin"


# --------------------------------------------------------------------------- the docs


def _doc_examples() -> dict[str, str]:
    """``{file name: source}`` of the docs' complete example files (first line names them)."""
    text = DOCS.read_text("utf-8")
    blocks = re.findall(r"```python\n# (test_\w+\.py)\n(.*?)```", text, re.S)
    return {name: body for name, body in blocks}


def test_the_docs_have_an_example_file_per_vendor() -> None:
    names = sorted(_doc_examples())
    assert names == sorted(f"test_{api}_contract.py" for api in contracts.mock.VENDORS)


def test_the_docs_examples_pass(pytester: pytest.Pytester) -> None:
    for name, source in _doc_examples().items():
        pytester.makepyfile(**{name[:-3]: textwrap.dedent(source)})
    result = _run(pytester, "--contracts-strict")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 8 and set(outcomes) == {"passed"}, outcomes
    assert re.search(r"\d+ response\(s\) checked, 0 violation\(s\)", _section(result))


def test_the_docs_examples_pass_live(pytester: pytest.Pytester,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Loopback stand-ins for the four vendors, with their own token; sessions finish at the
    # first poll so that the examples' live pauses are never taken.
    servers = [MockServer(app(api, token="live-token", step_seconds=0)).start()
               for api in contracts.mock.VENDORS]
    try:
        for api, server in zip(contracts.mock.VENDORS, servers, strict=True):
            monkeypatch.setenv(f"CONTRACTS_{api.upper()}_BASE_URL",
                               base_urls([api], server.url)[api])
            monkeypatch.setenv(f"CONTRACTS_{api.upper()}_TOKEN", "live-token")
        for name, source in _doc_examples().items():
            pytester.makepyfile(**{name[:-3]: textwrap.dedent(source)})
        result = _run(pytester, "--contracts-live", "--contracts-strict")
        # The marked tests went to the stand-ins (the unmarked ones to the plugin's mocks).
        stand_ins = dict(zip(contracts.mock.VENDORS, servers, strict=True))
        for api in ("upheal", "eka"):
            state = httpx.get(f"{stand_ins[api].url}/__contracts__/state").json()[api]
            assert state["sessions"], api
    finally:
        for server in servers:
            server.stop()
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 8 and set(outcomes) == {"passed"}, outcomes
    assert "live-token" not in result.stdout.str()


# --------------------------------------------------------------------------- pytest-xdist


@pytest.mark.slow
def test_under_xdist_the_workers_findings_reach_one_report_and_summary(
        inner: pytest.Pytester) -> None:
    """With ``-n 2`` the tests run in two worker processes: the controller's report and summary
    hold every worker's checks and violations, and each worker records its own traffic."""
    inner.makepyfile(test_spread="""
        import httpx
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_good(contract_mock, assert_conforms, session_request, n):
            mock = contract_mock("eka")
            with httpx.Client(base_url=mock.base_url, headers=mock.headers) as client:
                assert_conforms(client.post("/voice/v1/sessions", json=session_request))

        @pytest.mark.parametrize("n", range(2))
        def test_bad(contract_mock, assert_conforms, finished, n):
            mock = contract_mock("eka", drift="type-changed")
            with httpx.Client(base_url=mock.base_url, headers=mock.headers) as client:
                assert_conforms(finished(client))
    """)
    report = inner.path / "contracts.json"
    directory = inner.path / "recorded"
    result = inner.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "-v", f"--contracts-report={report}",
        "--contracts-record", str(directory))
    result.assert_outcomes(passed=4, failed=2)
    workers = set(re.findall(r"\[(gw\d)\] .*(?:PASSED|FAILED)", result.stdout.str()))
    assert workers == {"gw0", "gw1"}, "the tests did not spread over both workers"

    data = json.loads(report.read_text("utf-8"))
    finished_polls = data["exchanges"] - 4
    assert finished_polls >= 2  # each bad test checked at least its finished session
    assert sorted(v["source"] for v in data["violations"]) == [
        "test_spread.py::test_bad[0]", "test_spread.py::test_bad[1]"]
    assert {v["pointer"] for v in data["violations"]} == {"/audio_files_received"}
    assert all("actual" not in v for v in data["violations"])

    logs = sorted(directory.glob("contracts-*.jsonl"))
    assert len(logs) == 2  # one per worker; the controller runs no test and records nothing
    exchanges = [e for log in logs for e in read_exchanges(log)]
    assert all(isinstance(e, Exchange) for e in exchanges)
    posts = sorted(e.url.rsplit("/", 1)[-1] for e in exchanges
                   if isinstance(e, Exchange) and e.method == "POST")
    assert posts == ["end", "end"] + ["sessions"] * 6  # 4 good tests, 2 bad (create and end)
    assert "Test Patient 0001" not in "".join(log.read_text("utf-8") for log in logs)
    assert not any(DEFAULT_TOKEN in log.read_text("utf-8") for log in logs)

    section = _section(result)
    assert f"{data['exchanges']} response(s) checked, 2 violation(s) in 2 test(s)" in section
    assert "response.body.schema" in section
    assert f"recorded {len(exchanges)} exchange(s) to 2 file(s):" in section
    assert f"violations report: {report}" in section
