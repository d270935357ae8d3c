"""Faults and drift: injected 5xx/429 answers leave the state alone; each drift kind serves its
departure from the spec (and validation sees it); the plain mock serves none; the CLI."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from _support import heidi_auth
from contracts.cli import run
from contracts.mock import DEFAULT_TOKEN, DRIFT_KINDS, base_urls

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
EKA_BODY = {"upload_type": "chunked", "communication_protocol": "http"}
RTK = "/accounts/a/realtime/kit/b/sessions"


def _eka_done(server: Any) -> httpx.Response:
    """A completed Eka session's Get Session answer (the session made by control-free calls)."""
    with httpx.Client(base_url=server.url, headers=AUTH) as c:
        created = c.post("/voice/v1/sessions", json=EKA_BODY)
        sid = created.json().get("session_id") or created.json().get("sessionId")
        sid = sid if isinstance(sid, str) else httpx.get(
            f"{server.url}/__contracts__/state").json()["eka"]["sessions"].popitem()[0]
        c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 1})
        return c.get(f"/voice/v1/sessions/{sid}")


def _rtk_details(server: Any) -> httpx.Response:
    base = base_urls(["realtimekit"], server.url)["realtimekit"]
    with httpx.Client(base_url=base, headers=AUTH) as c:
        sid = c.get(RTK).json()["data"]["sessions"][1]["id"]  # drift touches only item 0
        return c.get(f"{RTK}/{sid}")


@pytest.mark.parametrize("kind", sorted(DRIFT_KINDS))
def test_each_drift_kind_is_served_and_detected(mock_server: Callable[..., Any],
                                                contract_violations: Callable[..., list[Any]],
                                                kind: str) -> None:
    plain = _rtk_details(mock_server("realtimekit", steps=0))
    drifted = _rtk_details(mock_server("realtimekit", steps=0, drift=kind))
    assert drifted.headers["x-contracts-drift"] == kind
    assert (drifted.status_code, drifted.content) != (plain.status_code, plain.content)
    assert not contract_violations("realtimekit", plain)
    codes = {v.code for v in contract_violations("realtimekit", drifted, strict=True)}
    expected = {
        "field-removed": "response.body.schema",          # a required field went missing
        "field-renamed": "response.body.undocumented_field",
        "type-changed": "response.body.schema",
        "enum-value": "response.body.schema",
        "field-added": "response.body.undocumented_field",
        "status-code": "response.status.undocumented",
    }[kind]
    assert expected in codes, codes


def test_drift_all_on_a_lifecycle(mock_server: Callable[..., Any],
                                  contract_violations: Callable[..., list[Any]]) -> None:
    plain = _eka_done(mock_server("eka", steps=0))
    drifted = _eka_done(mock_server("eka", steps=0, drift="all"))
    assert set(drifted.headers["x-contracts-drift"].split(",")) == set(DRIFT_KINDS)
    assert drifted.json()["status"] == "archived" != plain.json()["status"]
    assert drifted.status_code == 201 and plain.status_code == 200
    assert not contract_violations("eka", plain)
    assert contract_violations("eka", drifted, strict=False)


def test_plain_mock_serves_no_drift(mock_server: Callable[..., Any]) -> None:
    response = _eka_done(mock_server("eka", steps=0))
    assert "x-contracts-drift" not in response.headers


def test_error_rate_one_fails_everything_and_changes_nothing(
        mock_server: Callable[..., Any]) -> None:
    server = mock_server("eka", error_rate=1.0)
    statuses = set()
    with httpx.Client(base_url=server.url, headers=AUTH) as c:
        for _ in range(40):
            r = c.post("/voice/v1/sessions", json=EKA_BODY)
            statuses.add(r.status_code)
            assert r.headers["x-contracts-fault"] == "1"
            assert "error" in r.json()  # the vendor's error shape
            if r.status_code == 429:
                assert r.headers["retry-after"] == "1"
    assert statuses == {500, 502, 503, 429}
    assert httpx.get(f"{server.url}/__contracts__/state").json()["eka"]["sessions"] == {}


def test_error_rate_is_partial_and_seeded(mock_server: Callable[..., Any]) -> None:
    def statuses(seed: int) -> list[int]:
        server = mock_server("heidi", error_rate=0.3, seed=seed)
        base = base_urls(["heidi"], server.url)["heidi"]
        # The JWT exchange is answered with faults too (retried): part of the seeded run.
        with httpx.Client(base_url=base, headers=heidi_auth(base)) as c:
            return [c.get("/sessions/linked-user").status_code for _ in range(60)]

    first = statuses(5)
    assert first == statuses(5)
    assert 200 in first and set(first) - {200} <= {500, 502, 503, 429}
    assert set(first) - {200}


def test_latency_still_answers(mock_server: Callable[..., Any]) -> None:
    server = mock_server("heidi", latency=0.01)
    base = base_urls(["heidi"], server.url)["heidi"]
    assert httpx.get(base + "/sessions/linked-user", headers=heidi_auth(base)).status_code == 200


# -- CLI -------------------------------------------------------------------------------------

def test_help_lists_the_drift_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["mock", "--help"]) == 0
    out = capsys.readouterr().out
    for kind in DRIFT_KINDS:
        assert kind in out


@pytest.mark.parametrize("argv", [["mock", "acme"], ["mock", "eka", "--drift", "sideways"],
                                  ["mock", "eka", "--error-rate", "3"],
                                  ["mock", "eka", "--latency", "soon"],
                                  ["mock", "eka", "--scenario", "nope"]])
def test_bad_mock_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip()


def test_cli_serves_and_prints_base_urls() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "contracts", "mock", "realtimekit",
                             "--port", "0", "--seed", "3"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        name, url = line.split(": ", 1)
        assert name == "realtimekit" and url.startswith("http://127.0.0.1:")
        assert url.endswith("/client/v4")
        r = httpx.get(url + RTK, headers=AUTH, timeout=10)
        assert r.status_code == 200 and r.json()["success"] is True
    finally:
        proc.terminate()
        proc.wait(timeout=10)
