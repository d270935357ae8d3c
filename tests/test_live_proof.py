"""Live runs that prove something: known values (`--param`) make a read-only run fetch real
success answers, and coverage fails an operation no validated success answer proved."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.cli import run
from contracts.errors import OperationNotFound, UsageError
from contracts.gate import check_known_params, run_gate
from contracts.mock import DEFAULT_TOKEN
from contracts.suites import KnownParam, SuiteOptions

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
NEW_SESSION = {"providerUserId": "00000000-0000-4000-8000-000000000101",
               "clientUserId": "00000000-0000-4000-8000-000000000201", "sessionType": "Soap",
               "input": {"recording": {"recordingUrls": ["https://uploads.example.com/s.m4a"],
                                       "recordingContent": "Recording"}}}


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


class Vendor:
    """`contracts mock upheal` in a subprocess on loopback: its base URL and control root."""

    def __init__(self, drift: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "contracts", "mock", "upheal", "--port", "0",
             "--drift", drift], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip().split(": ", 1)[1]
        self.control = self.proc.stdout.readline().split(": ", 1)[1].split(" ")[0]

    def completed_session(self) -> str:
        """Create a session through the vendor API and poll it until processing is done."""
        created = httpx.post(f"{self.url}/sessions", json=NEW_SESSION, headers=AUTH, timeout=10)
        assert 200 <= created.status_code < 300, created.text
        state = httpx.get(f"{self.control}state", timeout=10).json()["upheal"]["sessions"]
        (session_id,) = state
        for _ in range(10):
            polled = httpx.get(f"{self.url}/sessions/{session_id}", headers=AUTH, timeout=10)
            assert 200 <= polled.status_code < 300
            state = httpx.get(f"{self.control}state", timeout=10).json()["upheal"]["sessions"]
            if state[session_id]["state"] == "Done":
                return session_id
        raise AssertionError(f"the session never completed: {state}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def vendor(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Vendor]:
    started = Vendor(getattr(request, "param", "all"))
    monkeypatch.setenv("CONTRACTS_UPHEAL_BASE_URL", started.url)
    monkeypatch.setenv("CONTRACTS_UPHEAL_TOKEN", DEFAULT_TOKEN)
    try:
        yield started
    finally:
        started.stop()


def _report(report_dir: Path) -> dict[str, Any]:
    return json.loads((report_dir / "report.json").read_text())


def _violations(report: dict[str, Any], stage: str) -> list[dict[str, Any]]:
    cases = next(s for s in report["stages"] if s["name"] == stage)["cases"]
    return [v for c in cases for v in c["violations"]]


GATE = ("gate", "--live", "--api", "upheal", "--max-examples", "3", "--rate-limit", "1000/s")


def test_a_known_session_id_catches_the_drifted_success_body_and_without_it_nothing_is_proved(
        vendor: Vendor, tmp_path: Path) -> None:
    session_id = vendor.completed_session()

    code, out, err = cli(*GATE, "--param", f"sessionId={session_id}",
                         "--report-dir", str(tmp_path / "known"))
    assert code == 1, out + err
    report = _report(tmp_path / "known")
    found = _violations(report, "suites")
    assert {(v["operation"], v["code"]) for v in found} >= {
        ("getSession", "response.status.undocumented")}  # --drift all: 200 became 201
    statuses = report["coverage"][0]["operations"]["getSession"]
    # Every generated request found the session (the coverage phase's own probes, a missing
    # token and unsupported methods, are 403 and 405): not one 404.
    assert statuses.get("201", 0) >= 3 and "404" not in statuses, statuses
    assert f"--param sessionId={session_id}" in out  # the replay repeats the known value

    code, out, _ = cli(*GATE, "--report-dir", str(tmp_path / "blind"))
    assert code == 1, out
    report = _report(tmp_path / "blind")
    assert not _violations(report, "suites")  # every answer a documented 404: nothing wrong
    (record,) = _violations(report, "coverage")
    assert (record["code"], record["operation"], record["severity"]) == (
        "coverage.not_proved", "getSession", "error")
    coverage = next(s for s in report["stages"] if s["name"] == "coverage")
    assert not coverage["passed"]
    assert "not proved: getSession" in coverage["cases"][0]["summary"]
    assert "not proved: getSession" in out


@pytest.mark.parametrize("vendor", ["field-removed,type-changed,field-added"], indirect=True)
def test_the_known_session_body_is_validated_strictly(vendor: Vendor, tmp_path: Path) -> None:
    session_id = vendor.completed_session()
    code, out, _ = cli(*GATE, "--param", f"upheal:getSession.sessionId={session_id}",
                       "--report-dir", str(tmp_path))
    assert code == 1, out
    found = {(v["code"], v["pointer"]) for v in _violations(_report(tmp_path), "suites")}
    assert ("response.body.undocumented_field", "/x_vendor_trace") in found  # field-added
    assert any(code == "response.body.schema" for code, _ in found)  # removed, type changed
    coverage = next(s for s in _report(tmp_path)["stages"] if s["name"] == "coverage")
    assert coverage["passed"]  # proved, by the drifted answers: the suites stage failed


@pytest.mark.parametrize("vendor", [""], indirect=True)
def test_a_vendor_without_drift_passes_when_proved(vendor: Vendor, tmp_path: Path) -> None:
    session_id = vendor.completed_session()
    code, out, _ = cli(*GATE, "--param", f"sessionId={session_id}", "--report-dir",
                       str(tmp_path))
    assert code == 0, out
    statuses = _report(tmp_path)["coverage"][0]["operations"]["getSession"]
    assert statuses["200"] >= 3 and "404" not in statuses, statuses


@pytest.mark.parametrize("vendor", [""], indirect=True)
def test_not_proved_can_be_lowered_to_a_warning_that_every_report_shows(
        vendor: Vendor, tmp_path: Path) -> None:
    code, out, _ = cli(*GATE, "--not-proved", "warn", "--report-dir", str(tmp_path))
    assert code == 0, out
    assert "[coverage.not_proved] getSession" in out
    (record,) = _violations(_report(tmp_path), "coverage")
    assert (record["code"], record["severity"]) == ("coverage.not_proved", "warning")
    for name in ("junit.xml", "summary.md", "report.html"):
        assert "not proved" in (tmp_path / name).read_text(), name
    sarif = json.loads((tmp_path / "report.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("coverage.not_proved", "warning")]


def test_writes_left_out_of_a_read_only_run_are_not_run_not_unproved(
        mock_server: Any) -> None:
    from contracts.gate import LiveTarget

    server = mock_server("upheal")
    result = run_gate(["upheal"], suites=SuiteOptions(max_examples=2),
                      live={"upheal": LiveTarget(server.url, DEFAULT_TOKEN)})
    coverage = next(s for s in result.stages if s.name == "coverage")
    (case,) = coverage.cases
    assert [v.operation for v in case.violations] == ["getSession"]
    assert "createSession: not run (read-only)" in case.details
    assert "getRecordingUrl: not run (read-only)" in case.details


def test_several_known_values_are_each_sent_in_the_examples_phase(mock_server: Any) -> None:
    import contracts.mock as mock

    server = mock_server("upheal")
    ids = []
    for _ in range(2):
        created = httpx.post(f"{server.url}/sessions", json=NEW_SESSION, headers=AUTH)
        ids.append(created.json()["sessionId"])
    assert mock.DEFAULT_TOKEN
    result = run_gate(["upheal"], suites=SuiteOptions(
        max_examples=3, phases=("examples",), known_params=(
            KnownParam("sessionId", (ids[0],)), KnownParam("sessionId", (ids[1],)))),
        live={"upheal": __import__("contracts.gate").gate.LiveTarget(server.url, DEFAULT_TOKEN)})
    outcome = result.suites[0].outcomes["getSession"]
    assert outcome.proved >= 2
    assert result.passed


@pytest.mark.parametrize("text, expected", [
    ("sessionId=abc", KnownParam("sessionId", ("abc",))),
    ("getSession.sessionId=a=b", KnownParam("sessionId", ("a=b",), operation="getSession")),
    ("upheal:getSession.sessionId=x", KnownParam("sessionId", ("x",), "upheal", "getSession")),
    ("upheal:sessionId=", KnownParam("sessionId", ("",), "upheal")),
])
def test_param_forms(text: str, expected: KnownParam) -> None:
    assert KnownParam.parse(text) == expected


@pytest.mark.parametrize("text", ["sessionId", "=x", ":a.b=c", "sessionId=${HOME}"])
def test_malformed_params_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        KnownParam.parse(text)


def test_params_are_checked_against_the_specs_before_anything_runs() -> None:
    with pytest.raises(UsageError, match="sessionId"):
        check_known_params(["upheal"], [KnownParam.parse("sesionId=1")])
    with pytest.raises(OperationNotFound, match="getSession"):
        check_known_params(["upheal"], [KnownParam.parse("getSesion.sessionId=1")])
    with pytest.raises(UsageError, match="heidi"):
        check_known_params(["upheal"], [KnownParam.parse("heidi:sessionId=1")])
    (ok,) = check_known_params(["specs/upheal.yaml"],
                               [KnownParam.parse("specs/upheal.yaml:sessionId=1")])
    assert ok.api == "upheal"
    code, _, err = cli("gate", "--api", "upheal", "--param", "nope=1")
    assert code == 2 and "Traceback" not in err and "nope" in err


def test_mocks_are_held_to_the_same_standard_every_read_is_proved() -> None:
    from contracts.suites import run_suite

    # RealtimeKit has no create: its mock's seeded ids are the known values of a mock run.
    result = run_suite("realtimekit", SuiteOptions(max_examples=3))
    assert {op: o.proved > 0 for op, o in result.outcomes.items()} == dict.fromkeys(
        result.documented, True)
    gated = run_gate(["realtimekit"], suites=SuiteOptions(max_examples=3))
    assert gated.passed, [c.summary for c in gated.cases if not c.passed]


def test_a_live_run_that_may_write_learns_ids_from_the_create_operations(
        mock_server: Any) -> None:
    """Eka's endSession needs a session that exists. A live run with writes allowed calls
    createSession once before the phases (setup, spending the budget) and sends the id it
    answers: the examples phase alone proves endSession, with no stateful phase to chain it."""
    from contracts.gate import LiveTarget

    server = mock_server("eka", seed=5)
    live = {"eka": LiveTarget(server.url, DEFAULT_TOKEN)}
    result = run_gate(["eka"], suites=SuiteOptions(
        max_examples=2, phases=("examples",), allow_writes=True, request_budget=60), live=live)
    (suite,) = result.suites
    assert suite.setup == ("createSession: 201",)
    ended = suite.outcomes["endSession"]
    assert ended.proved and 202 in ended.statuses, dict(ended.statuses)
    assert suite.requests + len(suite.setup) <= 60
    coverage = next(s for s in result.stages if s.name == "coverage")
    assert "setup (known values, not checked): createSession: 201" in coverage.cases[0].details
    assert result.passed

    # Without the setup call the same run cannot prove it: the printed id is unknown there.
    blind = run_gate(["eka"], suites=SuiteOptions(
        max_examples=2, phases=("examples",), allow_writes=True,
        known_params=(KnownParam("session_id", ("ses_abc123def456",), "eka", "endSession"),)),
        live=live)
    assert not blind.suites[0].outcomes["endSession"].proved
    assert not blind.passed


def test_a_read_only_live_run_makes_no_setup_call(mock_server: Any) -> None:
    from contracts.gate import LiveTarget

    server = mock_server("eka", seed=5)
    result = run_gate(["eka"], suites=SuiteOptions(max_examples=2, phases=("examples",)),
                      live={"eka": LiveTarget(server.url, DEFAULT_TOKEN)})
    (suite,) = result.suites
    assert suite.setup == ()
    assert "createSession" in suite.skipped_writes
