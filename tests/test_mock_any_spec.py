"""`contracts mock path/to/spec.yaml`: a stateless mock of any team's spec (3.0 or 3.1), on
a real loopback socket; and the gate's suites run against it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contracts import is_valid_response
from contracts.mock import MockServer
from contracts.mock.generic import generic_app

DATA = Path(__file__).parent / "data" / "oas30"
PETS30 = DATA / "pets-3.0.yaml"
PETS31 = DATA / "pets-3.1.yaml"
NEW_PET = {"name": "Rex", "kind": "dog", "barks": True}


@pytest.fixture(scope="module", params=[PETS30, PETS31], ids=["3.0", "3.1"])
def base(request: pytest.FixtureRequest) -> Iterator[str]:
    with MockServer(generic_app(request.param)) as server:
        yield server.url + "/v1"


def test_answers_with_a_body_built_from_the_schema(base: str) -> None:
    response = httpx.get(f"{base}/pets/1")
    assert response.status_code == 200
    assert is_valid_response(str(PETS30), "GET", "/v1/pets/1", 200, response.content,
                             headers=dict(response.headers))


def test_answers_with_the_documented_example(base: str) -> None:
    response = httpx.post(f"{base}/pets", json=NEW_PET)
    assert response.status_code == 201
    assert response.json()["weight"] == 12.5  # the example, as written in the spec


def test_invalid_requests_get_the_documented_error(base: str) -> None:
    """The spec documents its error body (`default`): the mock answers with it, so a client
    under test sees what the API would send; the problem is named in headers."""
    response = httpx.post(f"{base}/pets", json={"name": 3})
    assert response.status_code == 400
    assert response.headers["x-contracts-mock-error"] == "invalid-request"
    assert "createPet" in response.headers["x-contracts-mock-problem"]
    assert is_valid_response(str(PETS30), "POST", "/v1/pets", 400, response.content,
                             headers=dict(response.headers))
    bad_id = httpx.get(f"{base}/pets/0")  # exclusiveMinimum (3.0: boolean)
    assert bad_id.status_code == 400


def test_invalid_requests_get_a_problem_document(tmp_path: Path) -> None:
    """Where the spec documents no error body, the vendor-neutral problem+json."""
    spec = tmp_path / "bare.yaml"
    spec.write_text(json.dumps({
        "openapi": "3.1.0", "info": {"title": "bare", "version": "1"},
        "paths": {"/notes": {"post": {
            "operationId": "addNote",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["text"],
                "properties": {"text": {"type": "string"}}}}}},
            "responses": {"201": {"description": "ok"}}}}}}))
    with MockServer(generic_app(spec)) as server:
        response = httpx.post(f"{server.url}/notes", json={"text": 1})
        assert httpx.post(f"{server.url}/notes", json={"text": "x"}).status_code == 201
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:scribe-contracts:mock:invalid-request"
    assert [e["pointer"] for e in problem["errors"]] == ["/text"]


def test_unknown_paths_and_methods(base: str) -> None:
    assert httpx.get(f"{base}/owners").status_code == 404
    wrong = httpx.delete(f"{base}/pets/1")
    assert wrong.status_code == 405 and "GET" in wrong.headers["x-contracts-mock-problem"]


def test_prefer_header(base: str) -> None:
    error = httpx.get(f"{base}/pets/1", headers={"Prefer": "code=500"})
    assert error.status_code == 500 and "message" in error.json()  # `default`, from the schema
    assert error.headers["preference-applied"] == "code=500"
    named = httpx.post(f"{base}/pets", json=NEW_PET, headers={"Prefer": "example=example"})
    assert named.status_code == 201 and named.json()["id"] == 7
    refused = httpx.get(f"{base}/pets/1", headers={"Prefer": "example=nope"})
    assert refused.status_code == 400
    assert refused.json()["type"].endswith(":unknown-example")


def test_security_requires_credentials(tmp_path: Path) -> None:
    text = PETS31.read_text() + (
        "  securitySchemes:\n    key:\n      type: apiKey\n      in: header\n"
        "      name: X-Api-Key\nsecurity:\n  - key: []\n")
    spec = tmp_path / "secured.yaml"
    spec.write_text(text)
    with MockServer(generic_app(spec)) as server:
        assert httpx.get(f"{server.url}/v1/pets/1").status_code == 401
        assert httpx.get(f"{server.url}/v1/pets/1",
                         headers={"X-Api-Key": "anything"}).status_code == 200


def test_gate_suites_run_against_the_mock_of_a_30_spec() -> None:
    from contracts.suites import SuiteOptions, run_suite

    result = run_suite(str(PETS30), SuiteOptions(max_examples=5, phases=("examples",
                                                                          "fuzzing")))
    failures = [f"{op}: {v.code} {v.message}" for op, o in result.outcomes.items()
                for v in o.failures()] + [f"{op}: {name}" for op, o in result.outcomes.items()
                                          for name in o.engine_failures]
    assert set(result.outcomes) == {"createPet", "getPet"}
    assert result.requests > 0 and result.fatal is None and result.passed, json.dumps(
        failures[:5])


def test_contracts_gate_api_spec_file_runs_its_suites_against_the_mock(tmp_path: Path) -> None:
    import io

    from contracts.cli import run

    out, err = io.StringIO(), io.StringIO()
    code = run(["gate", "--api", str(PETS30), "--max-examples", "3", "--report-dir",
                str(tmp_path)], stdout=out, stderr=err)
    assert code == 0, out.getvalue()[-2000:] + err.getvalue()
    report = json.loads((tmp_path / "report.json").read_text())
    text = json.dumps(report)
    assert "createPet" in text and "getPet" in text


def test_contracts_mock_spec_file_serves_it(tmp_path: Path) -> None:
    """The CLI on a real socket: prints the base URL (server path included), serves."""
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "contracts", "mock", str(PETS30),
                             "--port", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == f"pets-3.0: http://127.0.0.1:{port}/v1"
        response = httpx.get(line.split(": ", 1)[1] + "/pets/1", timeout=30)
        assert response.status_code == 200 and response.json()["kind"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
