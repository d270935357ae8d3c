"""`contracts validate`: single bodies and corpora, every output format, exit codes, and
hostile input answered in one line."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import orjson
import pytest

from _support import CLI

DATA = Path(__file__).parent / "data" / "exchanges"
HEIDI = "https://registrar.api.heidihealth.com/api/v2/ml-scribe/open-api"


def write(tmp_path: Path, name: str, data: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(path)


def exchange(url: str, status: int, body: object, method: str = "GET") -> dict[str, object]:
    return {"version": 1, "request": {"method": method, "url": url,
                                      "headers": {"authorization": "[REDACTED]"}},
            "response": {"status": status, "headers": {"content-type": "application/json"},
                         "body": body}}


def test_single_body_clean_and_failing(tmp_path: Path, cli: CLI) -> None:
    good = write(tmp_path, "good.json", '{"session": {"session_id": "s1"}}')
    bad = write(tmp_path, "bad.json", '{"session": {"session_id": 7}}')
    assert cli("validate", "--api", "heidi", "--operation", "getSession", "--status", "200",
               good)[0] == 0
    code, out, _ = cli("validate", "--api", "heidi", "--operation", "getSession", "--status",
                       "200", good, bad)
    assert code == 1
    assert "response.body.schema" in out and "bad.json" in out and "good.json" not in out
    assert out.splitlines()[-1] == "2 exchange(s) checked: 1 error"
    code, out, _ = cli("validate", "--api", "heidi", "--operation", "getSession", "--status",
                       "200", bad, bad)
    assert out.splitlines()[-1] == "2 exchange(s) checked: 2 errors"


def test_request_body_with_operation_and_no_status(tmp_path: Path, cli: CLI) -> None:
    body = write(tmp_path, "req.json", '{"duration": "long"}')
    code, out, _ = cli("validate", "--api", "heidi", "--operation", "updateSession", body)
    assert code == 1 and "request.body.schema" in out


def test_corpus_with_broken_lines_still_validates_the_rest(tmp_path: Path, cli: CLI) -> None:
    lines = [
        orjson.dumps(exchange(f"{HEIDI}/sessions/1", 200, {"session": {"session_id": "1"}})),
        b'{"version": 1, "request": {"method": "GET"',  # truncated
        orjson.dumps(exchange(f"{HEIDI}/sessions/2", 200, {"session": {"duration": "x"}})),
    ]
    log = write(tmp_path, "log.jsonl", b"\n".join(lines) + b"\n")
    code, out, err = cli("validate", "--api", "heidi", log)
    assert code == 1  # a violation outranks the unreadable line
    assert f"{log}:3" in out and "response.body.schema" in out
    assert f"{log}:2" in err and "unreadable" in err and err.count("\n") == 1
    clean = write(tmp_path, "clean.jsonl", lines[0] + b"\n" + lines[1] + b"\n")
    code, _, err = cli("validate", "--api", "heidi", clean)
    assert code == 2 and "clean.jsonl:2" in err


@pytest.mark.parametrize("name", ["sample.jsonl", "sample.har", "cassette.yaml"])
def test_every_corpus_format_is_read(name: str, cli: CLI) -> None:
    code, out, err = cli("validate", "--api", "heidi", "--format", "json", str(DATA / name))
    assert code in (0, 1), err
    report = json.loads(out)
    assert report["exchanges"] >= 1
    assert "Traceback" not in err


def test_output_formats(tmp_path: Path, cli: CLI) -> None:
    log = write(tmp_path, "log.jsonl", orjson.dumps(exchange(
        f"{HEIDI}/sessions/1", 200, {"session": {"session_id": 5, "duration": "Jane"}})) + b"\n")
    code, out, _ = cli("validate", "--api", "heidi", "--format", "json", log)
    report = json.loads(out)
    assert code == 1 and {v["code"] for v in report["violations"]} == {"response.body.schema"}
    assert all("actual" not in v for v in report["violations"])  # values are opt-in
    code, out, _ = cli("validate", "--api", "heidi", "--format", "junit", log)
    suite = ET.fromstring(out)
    assert suite.get("failures") == "1"
    assert suite.find("testcase/failure") is not None
    code, out, _ = cli("validate", "--api", "heidi", "--format", "sarif", log)
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "response.body.schema" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert "Jane" not in out
    code, out, _ = cli("validate", "--api", "heidi", "--show-values", log)
    assert "Jane" in out


def test_strict_and_fail_on(tmp_path: Path, cli: CLI) -> None:
    log = write(tmp_path, "log.jsonl", orjson.dumps(exchange(
        f"{HEIDI}/sessions/1", 200, {"session": {"session_id": "1", "brand_new": 1}})) + b"\n")
    assert cli("validate", "--api", "heidi", log)[0] == 0
    code, out, _ = cli("validate", "--api", "heidi", "--strict", log)
    assert code == 0 and "undocumented_field" in out
    assert cli("validate", "--api", "heidi", "--strict", "--fail-on", "info", log)[0] == 1


@pytest.mark.parametrize(("label", "payload"), [
    ("bad-json", b'{"session": '),
    ("invalid-utf8", b'{"session": {"session_id": "\xff"}}'),
    ("deep-array", b"[" * 100_000 + b"]" * 100_000),
    ("huge-integer", b'{"session": {"duration": ' + b"9" * 20_000 + b"}}"),
    ("nan", b'{"session": {"duration": NaN}}'),
    ("empty", b""),
])
def test_hostile_bodies_exit_2_in_one_line(tmp_path: Path, label: str, payload: bytes,
                                           cli: CLI) -> None:
    path = write(tmp_path, f"{label}.json", payload)
    code, out, err = cli("validate", "--api", "heidi", "--operation", "getSession", "--status",
                         "200", path)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and f"{label}.json" in err and "Traceback" not in err


def test_thirty_megabyte_string_is_a_violation_with_a_short_report(tmp_path: Path,
                                                                   cli: CLI) -> None:
    path = write(tmp_path, "big.json", b'{"session": {"duration": "' + b"x" * 30_000_000 + b'"}}')
    code, out, _err = cli("validate", "--api", "heidi", "--operation", "getSession", "--status",
                          "200", "--show-values", path)
    assert code == 1 and len(out) < 2_000, len(out)


def test_usage_errors(tmp_path: Path, cli: CLI) -> None:
    body = write(tmp_path, "b.json", "{}")
    assert cli("validate", "--api", "heidi", "--status", "200", body)[0] == 2
    code, _, err = cli("validate", "--api", "nope", body)
    assert code == 2 and "bundled specs" in err
    code, _, err = cli("validate", "--api", "heidi", "--operation", "getSesion", "--status",
                       "200", body)
    assert code == 2 and "did you mean" in err
    code, _, err = cli("validate", "--api", "heidi", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "missing.jsonl" in err


# -- recordings that mix vendors (the pytest plugin writes `api` on every line) --------------

def _mixed_log(tmp_path: Path) -> str:
    """Real answers of the four mocks (in-process), one recorded exchange each, as the
    plugin records them: ``api`` on every line, the vendors' own URLs."""
    from starlette.testclient import TestClient

    from contracts.exchanges import Exchange, write_exchanges
    from contracts.mock import DEFAULT_TOKEN, app, base_urls

    auth = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    calls = [("eka", "POST", "/voice/v1/sessions",
              {"upload_type": "chunked", "communication_protocol": "http"}),
             ("heidi", "POST", "/sessions", {}),
             ("upheal", "POST", "/sessions",
              {"providerUserId": "p-1", "clientUserId": "c-1", "sessionType": "Intake",
               "input": {"text": {"notes": "Synthetic notes."}}}),
             ("realtimekit", "GET", "/accounts/acc-1/realtime/kit/app-1/sessions", None)]
    exchanges = []
    for api, method, path, body in calls:
        base = base_urls([api], "http://testserver")[api]
        response = TestClient(app(api)).request(method, base + path, json=body, headers=auth)
        exchanges.append(Exchange(method, base + path, response.status_code,
                                  {"content-type": "application/json"} if body else {},
                                  body, dict(response.headers), response.json(), api=api))
    path = tmp_path / "mixed.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        write_exchanges(fh, exchanges)
    return str(path)


def test_validate_api_skips_the_lines_of_other_apis_and_counts_them(
        tmp_path: Path, cli: CLI) -> None:
    log = _mixed_log(tmp_path)
    code, out, err = cli("validate", "--api", "eka", log, "--format", "json")
    data = json.loads(out)
    assert not [v for v in data["violations"] if v["code"] == "request.operation.undocumented"]
    assert data["exchanges"] == 1
    assert data["skipped"] == {"heidi": 1, "upheal": 1, "realtimekit": 1}
    assert code == (1 if data["violations"] else 0), (out, err)
    code, out, _ = cli("validate", "--api", "eka", log)
    assert "1 exchange(s) checked" in out and "3 skipped (another API: heidi 1, upheal 1, " \
        "realtimekit 1)" in out


def test_validate_without_api_judges_each_line_by_the_spec_it_names(
        tmp_path: Path, cli: CLI) -> None:
    log = _mixed_log(tmp_path)
    code, out, err = cli("validate", log, "--format", "json")
    data = json.loads(out)
    assert data["exchanges"] == 4 and data["skipped"] == {}
    assert {v["api"] for v in data["violations"]} <= {"eka", "heidi", "upheal", "realtimekit"}
    assert not [v for v in data["violations"] if v["code"] == "request.operation.undocumented"]
    assert code == (1 if data["violations"] else 0), (out, err)


def test_validate_without_api_a_line_naming_none_is_an_input_problem(
        tmp_path: Path, cli: CLI) -> None:
    line = {"version": 1, "request": {"method": "GET", "url": "https://api.eka.care/x"},
            "response": {"status": 200}}
    log = write(tmp_path, "bare.jsonl", json.dumps(line) + "\n")
    code, out, err = cli("validate", log)
    assert code == 2, (out, err)
    assert "names no API" in err and "bare.jsonl:1" in err


def test_one_violation_is_one_record(tmp_path: Path, cli: CLI) -> None:
    # An exchange the spec has no operation for: both directions find it; one record.
    line = {"version": 1, "api": "eka",
            "request": {"method": "POST", "url": "https://api.eka.care/nowhere", "body": {}},
            "response": {"status": 200, "headers": {"content-type": "application/json"},
                         "body": {}}}
    log = write(tmp_path, "one.jsonl", json.dumps(line) + "\n")
    code, out, _ = cli("validate", "--api", "eka", log, "--format", "json")
    codes = [v["code"] for v in json.loads(out)["violations"]]
    assert codes == ["request.operation.undocumented"] and code == 1
