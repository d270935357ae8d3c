"""`contracts gate --history`: per-operation results of every run in drift's SQLite history
file, and the trend (since when an operation fails, for how many runs) in the reports."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.cli import run
from contracts.gate import LiveTarget, run_gate
from contracts.gate_history import record_gate_run
from contracts.mock import DEFAULT_TOKEN
from contracts.suites import KnownParam, SuiteOptions

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
NEW_SESSION = {"providerUserId": "p-1", "clientUserId": "c-1", "sessionType": "Soap",
               "input": {"recording": {"recordingUrls": ["https://uploads.example.com/s.m4a"],
                                       "recordingContent": "Recording"}}}
SAMPLE = str(Path(__file__).parent / "data" / "exchanges" / "sample.jsonl")


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _session(url: str) -> str:
    return str(httpx.post(f"{url}/sessions", json=NEW_SESSION, headers=AUTH).json()["sessionId"])


def _gate(server: Any, session_id: str) -> Any:
    return run_gate(["upheal"], suites=SuiteOptions(
        max_examples=1, phases=("examples",), rate_limit="1000/s",
        known_params=(KnownParam("sessionId", (session_id,)),)),
        live={"upheal": LiveTarget(server.url, DEFAULT_TOKEN)})


def test_the_trend_says_since_when_an_operation_fails(mock_server: Any, tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite"
    plain, drifting = mock_server("upheal"), mock_server("upheal", drift="enum-value")
    good, bad = _session(plain.url), _session(drifting.url)
    times = [f"2026-12-0{day}T03:17:00+00:00" for day in range(1, 6)]
    runs = [(plain, good), (plain, good), (drifting, bad), (drifting, bad), (plain, "gone")]
    trends = []
    for when, (server, session_id) in zip(times, runs, strict=True):
        trends.append({t.operation: t for t in record_gate_run(
            history, _gate(server, session_id), now=when)})
    assert (trends[1]["getSession"].state, trends[1]["getSession"].runs) == ("pass", 2)
    failing = trends[3]["getSession"]
    assert (failing.state, failing.since, failing.runs) == ("fail", times[2], 2)
    assert failing.recent == ("pass", "pass", "fail", "fail")
    last = trends[4]["getSession"]  # an unknown id: every answer a 404, nothing proved
    assert (last.state, last.since, last.runs) == ("not proved", times[4], 1)
    with sqlite3.connect(history) as db:
        assert db.execute("SELECT COUNT(*) FROM gate_runs").fetchone() == (5,)
        codes = db.execute("SELECT codes FROM gate_operations WHERE state = 'fail'").fetchall()
    assert all("response.body.schema" in json.loads(c) for (c,) in codes)


def test_gate_and_drift_share_one_history_file_and_the_html_shows_the_trend(
        mock_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    history = tmp_path / "history.sqlite"
    code, _, err = cli("drift", "--api", "heidi", "--history", str(history), SAMPLE)
    assert code in (0, 1), err
    server = mock_server("upheal", drift="enum-value")
    monkeypatch.setenv("CONTRACTS_UPHEAL_BASE_URL", server.url)
    monkeypatch.setenv("CONTRACTS_UPHEAL_TOKEN", DEFAULT_TOKEN)
    args = ("gate", "--live", "--api", "upheal", "--phases", "examples", "--max-examples", "1",
            "--param", f"sessionId={_session(server.url)}", "--history", str(history))
    for n in range(2):
        code, out, _ = cli(*args, "--report-dir", str(tmp_path / f"r{n}"))
        assert code == 1, out
    assert "history: upheal.getSession fail since" in out and "(2 run(s))" in out
    page = (tmp_path / "r1" / "report.html").read_text()
    assert "<h2>History</h2>" in page and "upheal.getSession" in page
    assert page.count("<title>fail</title>") == 2
    trend = json.loads((tmp_path / "r1" / "report.json").read_text())["trend"]
    assert [(t["operation"], t["state"], t["runs"]) for t in trend] == [("getSession", "fail", 2)]
    # drift's own history still reads and writes the same file
    code, _, err = cli("drift", "--api", "heidi", "--history", str(history), SAMPLE)
    assert code in (0, 1), err
    with sqlite3.connect(history) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master "
                                                 "WHERE type = 'table'")}
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone() == (2,)
    assert {"runs", "findings", "gate_runs", "gate_operations"} <= tables


def test_a_file_that_is_not_a_history_is_an_input_error(tmp_path: Path) -> None:
    bogus = tmp_path / "history.sqlite"
    bogus.write_text("not sqlite at all " * 100)
    code, _, err = cli("gate", "--api", "heidi", "--operation", "getJwt", "--phases",
                       "examples", "--max-examples", "1", "--history", str(bogus),
                       "--report-dir", str(tmp_path / "r"))
    assert code == 2 and "not a history file" in err and "Traceback" not in err
