"""`contracts gate`: real schemathesis runs against the mocks, in-process and over loopback
HTTP as a "live" vendor; a drifting vendor fails and every departure is named."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from contracts.cli import run
from contracts.gate import LiveTarget, run_gate
from contracts.mock import DEFAULT_TOKEN
from contracts.suites import SuiteOptions, run_suite


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_suite_against_the_in_process_mock_passes_and_covers_every_operation() -> None:
    result = run_suite("heidi", SuiteOptions(seed=3, max_examples=5))
    assert result.fatal is None
    assert result.passed, {op: o.failures() for op, o in result.outcomes.items()}
    assert set(result.documented) <= {op for op, o in result.outcomes.items() if o.requests}
    assert result.statuses[200] > 0
    assert result.statuses[401] / result.requests < 0.5


def test_the_same_seed_replays_the_same_requests() -> None:
    first = run_suite("eka", SuiteOptions(seed=11, max_examples=3))
    second = run_suite("eka", SuiteOptions(seed=11, max_examples=3))
    assert {op: dict(o.statuses) for op, o in first.outcomes.items()} == {
        op: dict(o.statuses) for op, o in second.outcomes.items()}


def test_live_plain_mock_passes(mock_server: Callable[..., Any], tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    server = mock_server("eka", seed=5)
    monkeypatch.setenv("CONTRACTS_EKA_BASE_URL", server.url)
    monkeypatch.setenv("CONTRACTS_EKA_TOKEN", DEFAULT_TOKEN)
    code, out, _ = cli("gate", "--api", "eka", "--live", "--allow-writes", "--max-examples",
                       "4", "--rate-limit", "1000/s", "--report-dir", str(tmp_path))
    assert code == 0, out
    assert DEFAULT_TOKEN not in out
    for name in ("junit.xml", "summary.md", "report.sarif", "report.json", "report.html"):
        assert DEFAULT_TOKEN not in (tmp_path / name).read_text(), name


EXPECTED_DEPARTURES = {
    "response.status.undocumented",   # status-code
    "response.body.schema",           # field-removed (required), type-changed, enum-value
    "response.body.undocumented_field",  # field-added, field-renamed
}


def test_live_drifting_mock_fails_and_names_each_departure(
        mock_server: Callable[..., Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    server = mock_server("eka", seed=5, drift="all")
    monkeypatch.setenv("CONTRACTS_EKA_BASE_URL", server.url)
    monkeypatch.setenv("CONTRACTS_EKA_TOKEN", DEFAULT_TOKEN)
    code, out, _ = cli("gate", "--api", "eka", "--live", "--allow-writes", "--max-examples",
                       "4", "--rate-limit", "1000/s", "--report-dir", str(tmp_path))
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    suites = next(s for s in report["stages"] if s["name"] == "suites")
    seen = {(v["code"], v["pointer"]) for c in suites["cases"] for v in c["violations"]}
    codes = {code for code, _ in seen}
    assert codes >= EXPECTED_DEPARTURES
    assert ("response.body.undocumented_field", "/x_vendor_trace") in seen  # field-added
    messages = " ".join(v["message"] for c in suites["cases"] for v in c["violations"])
    assert "missing required property 'session_id'" in messages  # field-removed
    assert re.search(r"expected [a-z ]+, got [a-z]+", messages)  # type-changed
    assert "documented values" in messages  # enum-value
    junit = ET.fromstring((tmp_path / "junit.xml").read_text())
    failed = {c.get("name") for c in junit.iter("testcase") if c.find("failure") is not None}
    assert "eka.createSession.contracts_conformance" in failed
    sarif = json.loads((tmp_path / "report.sarif").read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= EXPECTED_DEPARTURES
    assert "replay: contracts gate --api eka --seed 0" in out


def test_live_is_read_only_unless_writes_are_allowed(mock_server: Callable[..., Any]) -> None:
    server = mock_server("heidi")
    result = run_gate(["heidi"], suites=SuiteOptions(max_examples=3, request_budget=500),
                      live={"heidi": LiveTarget(server.url + "/api/v2/ml-scribe/open-api",
                                                DEFAULT_TOKEN)})
    suite = result.suites[0]
    assert set(suite.skipped_writes) == {"createSession", "updateSession"}
    assert not {"createSession", "updateSession"} & set(suite.outcomes)


def test_request_budget_stops_a_live_run(mock_server: Callable[..., Any]) -> None:
    server = mock_server("realtimekit")
    result = run_suite("realtimekit", SuiteOptions(
        max_examples=50, base_url=server.url + "/client/v4", token=DEFAULT_TOKEN,
        request_budget=25))
    assert 25 <= result.requests < 60


def test_live_without_environment_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTRACTS_UPHEAL_BASE_URL", raising=False)
    code, _, err = cli("gate", "--api", "upheal", "--live")
    assert code == 2 and "CONTRACTS_UPHEAL_BASE_URL" in err


def test_coverage_fails_when_most_answers_are_401(mock_server: Callable[..., Any]) -> None:
    server = mock_server("eka")
    result = run_gate(["eka"], suites=SuiteOptions(max_examples=3),
                      live={"eka": LiveTarget(server.url, "wrong-token")})
    coverage = next(s for s in result.stages if s.name == "coverage")
    assert not coverage.passed
    assert "401" in coverage.cases[0].summary
    assert result.exit_code == 1


def test_html_report_is_self_contained(tmp_path: Path) -> None:
    code, _, _ = cli("gate", "--api", "heidi", "--max-examples", "3", "--report-dir",
                     str(tmp_path))
    assert code == 0
    page = (tmp_path / "report.html").read_text()
    assert "<svg" in page and "operations" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_markdown_summary_is_appended_to_the_github_step_summary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, _, _ = cli("gate", "--no-suites", "--api", "eka", "--report-dir", str(tmp_path / "r"))
    assert code == 0
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "## contracts gate: passed" in text
