"""Heidi's mock insists on the JWT, as Heidi does (issue 16 item 5), over real HTTP on loopback:
the API key itself as Bearer, a JWT signed with another key and an expired JWT are refused with
Heidi's 401 body; only a JWT of its own ``GET /jwt`` opens the sessions; the
``accept_key_as_bearer`` option (``--accept-key-as-bearer``, ``contract_mock(...)``) relaxes it;
and everything that talks to Heidi (suites, gate, the pytest plugin) makes the exchange."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from _support import CLI, heidi_jwt
from contracts import UsageError, load_spec
from contracts.mock import DEFAULT_TOKEN, base_urls

pytest_plugins = ["pytester"]

KEY = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
REFUSED = {"detail": {"msg": "Could not validate credentials", "type": "AuthenticationError"}}
"""The mock's 401 of a session operation: Heidi's ``{"detail": {"msg", "type"}}`` shape (its pages
print no authentication error, so the wording is the mock's, from FastAPI's JWT tutorial)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(secret: str, claims: dict[str, Any]) -> str:
    """An HS256 JWT made by hand, as the mock makes its own (so only the key or claims vary)."""
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(sig)}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _session_calls(c: httpx.Client, headers: dict[str, str]) -> dict[str, httpx.Response]:
    """One request to each session operation (every Heidi operation but getJwt)."""
    created = c.post("/sessions", json={"ehr_appointment_id": "EHR-1"}, headers=headers)
    # Refused: an id of the seeded kind (credentials are checked before the id is looked up).
    sid = created.json()["session_id"] if created.status_code == 200 else "1" * 36
    return {
        "createSession": created,
        "getSession": c.get(f"/sessions/{sid}", headers=headers),
        "updateSession": c.patch(f"/sessions/{sid}", json={"duration": 5}, headers=headers),
        "listLinkedUserSessions": c.get("/sessions/linked-user", headers=headers),
    }


def _heidi(mock_server: Callable[..., Any], **options: Any) -> tuple[Any, str]:
    server = mock_server("heidi", **options)
    return server, base_urls(["heidi"], server.url)["heidi"]


def test_the_api_key_as_bearer_is_refused_with_heidis_401(
        mock_server: Callable[..., Any]) -> None:
    server, base = _heidi(mock_server)
    with httpx.Client(base_url=base) as c:
        answers = _session_calls(c, KEY)
    assert {op: (r.status_code, r.json()) for op, r in answers.items()} == dict.fromkeys(
        answers, (401, REFUSED))
    # Refused before the handler: no session was made.
    state = httpx.get(f"{server.url}/__contracts__/state").json()["heidi"]["sessions"]
    assert len(state) == 13  # the seeded ones


def test_the_jwt_of_get_jwt_opens_every_session_operation(
        mock_server: Callable[..., Any]) -> None:
    _, base = _heidi(mock_server)
    with httpx.Client(base_url=base) as c:
        answered = c.get("/jwt", headers={"Heidi-Api-Key": DEFAULT_TOKEN},
                         params={"email": "test@example.com", "third_party_internal_id": "7"})
        assert answered.status_code == 200
        token = answered.json()["token"]
        answers = _session_calls(c, _bearer(token))
    assert {op: r.status_code for op, r in answers.items()} == dict.fromkeys(answers, 200)
    assert answers["updateSession"].json()["session"]["duration"] == 5


def test_get_jwt_wants_the_key_in_heidi_api_key(mock_server: Callable[..., Any]) -> None:
    _, base = _heidi(mock_server)
    for headers in ({}, KEY, {"Heidi-Api-Key": "another-key"}):
        refused = httpx.get(base + "/jwt", headers=headers)
        assert (refused.status_code, refused.json()) == (401, {"detail": {
            "msg": "Invalid Heidi-Api-Key", "type": "InvalidApiKeyError"}})


@pytest.mark.parametrize("why", ["signed with another key", "expired", "no expiry",
                                 "tampered claims", "not a JWT"])
def test_a_jwt_it_did_not_sign_or_that_expired_is_refused(mock_server: Callable[..., Any],
                                                          why: str) -> None:
    _, base = _heidi(mock_server)
    now = int(time.time())
    if why == "signed with another key":
        # A real JWT of another Heidi mock (another tenant's key): valid there, not here.
        _, other = _heidi(mock_server, token="another-tenant-key")
        token = heidi_jwt(other, "another-tenant-key")
        with httpx.Client(base_url=other) as c:  # it does open the mock that signed it
            assert c.get("/sessions/linked-user", headers=_bearer(token)).status_code == 200
    elif why == "expired":
        token = _jwt(DEFAULT_TOKEN, {"sub": "u", "exp": now - 5, "iss": "contracts-mock"})
    elif why == "no expiry":
        token = _jwt(DEFAULT_TOKEN, {"sub": "u", "iss": "contracts-mock"})
    elif why == "tampered claims":
        head, _, sig = heidi_jwt(base).split(".")
        token = f"{head}.{_b64(json.dumps({'sub': 'admin', 'exp': now + 99}).encode())}.{sig}"
    else:
        token = DEFAULT_TOKEN + ".x.y"
    with httpx.Client(base_url=base) as c:
        answers = _session_calls(c, _bearer(token))
    assert {op: (r.status_code, r.json()) for op, r in answers.items()} == dict.fromkeys(
        answers, (401, REFUSED))
    # The same claims, signed by this mock's key and in date, are accepted: the check above
    # failed on the signature or the expiry alone.
    fresh = _jwt(DEFAULT_TOKEN, {"sub": "u", "exp": now + 600, "iss": "contracts-mock"})
    assert httpx.get(base + "/sessions/linked-user", headers=_bearer(fresh)).status_code == 200


def test_accept_key_as_bearer_relaxes_it(mock_server: Callable[..., Any]) -> None:
    _, base = _heidi(mock_server, accept_key_as_bearer=True)
    with httpx.Client(base_url=base) as c:
        with_key = _session_calls(c, KEY)
        with_jwt = _session_calls(c, _bearer(heidi_jwt(base)))
        # Relaxed is not open: a wrong key or a foreign JWT is still refused.
        wrong = c.get("/sessions/linked-user", headers=_bearer("wrong-key"))
        expired = c.get("/sessions/linked-user", headers=_bearer(_jwt(
            DEFAULT_TOKEN, {"sub": "u", "exp": int(time.time()) - 5})))
    assert {op: r.status_code for op, r in with_key.items()} == dict.fromkeys(with_key, 200)
    assert {op: r.status_code for op, r in with_jwt.items()} == dict.fromkeys(with_jwt, 200)
    assert (wrong.status_code, wrong.json()) == (401, REFUSED)
    assert (expired.status_code, expired.json()) == (401, REFUSED)


def test_the_401_conforms_to_the_heidi_spec(mock_server: Callable[..., Any],
                                           contract_violations: Callable[..., list[Any]]
                                           ) -> None:
    _, base = _heidi(mock_server)
    with httpx.Client(base_url=base) as c:
        answers = _session_calls(c, KEY)
        answers["getJwt"] = c.get("/jwt", headers=KEY)
    for op, response in answers.items():
        assert response.status_code == 401, op
        assert response.headers["content-type"] == "application/json"
        assert not contract_violations("heidi", response, strict=True), op
    # The spec documents the 401 of every operation, with Heidi's error body as its schema.
    spec = load_spec("heidi")
    for op in spec.operations:
        schema = spec.resolve(op.node.child("responses", "401")).value
        assert schema["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/HeidiError"}, op.operation_id


def test_contracts_mock_accept_key_as_bearer_flag() -> None:
    def first_request(*flags: str) -> int:
        proc = subprocess.Popen([sys.executable, "-m", "contracts", "mock", "heidi", "--port",
                                 "0", *flags], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            assert proc.stdout is not None
            name, url = proc.stdout.readline().strip().split(": ", 1)
            assert name == "heidi" and url.endswith("/api/v2/ml-scribe/open-api")
            return httpx.get(url + "/sessions/linked-user", headers=KEY, timeout=10).status_code
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    assert first_request() == 401
    assert first_request("--accept-key-as-bearer") == 200


def test_the_pytest_handle_sends_the_jwt(pytester: pytest.Pytester) -> None:
    # In an inner session: the plugin's mock servers live as long as the session that asked.
    pytester.makepyfile(test_heidi_handle="""
        import httpx

        def test_handle(contract_mock):
            mock = contract_mock("heidi")
            scheme, _, token = mock.headers["Authorization"].partition(" ")
            assert scheme == "Bearer" and token != mock.token and token.count(".") == 2
            with httpx.Client(base_url=mock.base_url, headers=mock.headers) as c:
                assert c.post("/sessions", json={}).status_code == 200
                assert c.get("/sessions/linked-user").status_code == 200
            key = {"Authorization": f"Bearer {mock.token}"}
            assert httpx.get(mock.url("/sessions/linked-user"), headers=key).status_code == 401
            relaxed = contract_mock("heidi", accept_key_as_bearer=True)
            key = {"Authorization": f"Bearer {relaxed.token}"}
            assert httpx.get(relaxed.url("/sessions/linked-user"), headers=key).status_code == 200
            # Vendors without an exchange keep the token as it is.
            assert contract_mock("eka").headers == {"Authorization": f"Bearer {mock.token}"}
    """)
    directory = pytester.path / "recorded"
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--contracts-record",
                                          str(directory))
    result.assert_outcomes(passed=1)
    # The exchange is traffic like any other: recorded, and redacted (the key and the JWT).
    [log] = directory.glob("contracts-*.jsonl")
    text = log.read_text()
    assert "/api/v2/ml-scribe/open-api/jwt?email=" in text
    assert DEFAULT_TOKEN not in text and "eyJ" not in text


def test_a_live_suite_exchanges_the_key_first(mock_server: Callable[..., Any]) -> None:
    """Against Heidi (here its mock over HTTP, as a live target) the suite asks GET /jwt once
    with the key, before the phases, and sends the JWT: the read operations are proved."""
    from contracts.suites import SuiteOptions, run_suite

    _, base = _heidi(mock_server)
    result = run_suite("heidi", SuiteOptions(max_examples=3, base_url=base,
                                             token=DEFAULT_TOKEN, phases=("examples",)))
    assert result.setup == ("getJwt: 200 (bearer token)",)
    assert {op for op, o in result.outcomes.items() if o.proved} == {
        "getJwt", "getSession", "listLinkedUserSessions"}
    assert all(401 not in o.statuses for o in result.outcomes.values())
    # A key the vendor refuses: no token, so the key is sent as it is and the 401s say why.
    refused = run_suite("heidi", SuiteOptions(max_examples=3, base_url=base, token="wrong",
                                              phases=("examples",)))
    assert refused.setup == ("getJwt: 401 (bearer token)",)
    assert not any(o.proved for o in refused.outcomes.values())


def test_the_gate_proves_every_heidi_operation_against_the_mock(tmp_path: Path,
                                                                cli: CLI) -> None:
    code, out, _ = cli("gate", "--api", "heidi", "--max-examples", "3", "--report-dir",
                       str(tmp_path))
    assert code == 0, out
    report = json.loads((tmp_path / "report.json").read_text())
    heidi = next(c for c in report["coverage"] if c["api"] == "heidi")
    assert sorted(heidi["proved"]) == sorted(op.operation_id
                                             for op in load_spec("heidi").operations)
    assert re.search(r"5/5 proved", out)


def test_a_malformed_token_declaration_is_a_usage_error(tmp_path: Path) -> None:
    from contracts._credentials import token_exchange

    text = (Path(__file__).parents[1] / "specs" / "heidi.yaml").read_text()
    broken = tmp_path / "heidi-copy.yaml"
    broken.write_text(text.replace("operationId: getJwt\n        token:",
                                   "operationId: getToken\n        token:"))
    with pytest.raises(UsageError, match="x-contracts-token-from"):
        token_exchange(load_spec(str(broken)))


def test_the_exchanged_jwt_stays_out_of_the_reports(mock_server: Callable[..., Any],
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    cli: CLI) -> None:
    """A live gate against a drifting Heidi fails with repro commands; neither the key nor the
    JWT it was exchanged for (a second credential) appears in any report."""
    _, base = _heidi(mock_server, drift="all")
    jwt_head = heidi_jwt(base).split(".")[0]  # the mock's JWTs share one header segment
    monkeypatch.setenv("CONTRACTS_HEIDI_BASE_URL", base)
    monkeypatch.setenv("CONTRACTS_HEIDI_TOKEN", DEFAULT_TOKEN)
    code, out, err = cli("gate", "--api", "heidi", "--live", "--allow-writes",
                         "--max-examples", "3", "--rate-limit", "1000/s", "--report-dir",
                         str(tmp_path))
    assert code == 1, out
    report = json.loads((tmp_path / "report.json").read_text())
    suites = next(s for s in report["stages"] if s["name"] == "suites")
    assert any(c["violations"] for c in suites["cases"])  # there were failures to repro
    # The drifting GET /jwt still hands out its token (drift keeps it: a drifted credential
    # would lock the suite out and hide every other departure), so the calls get through.
    assert re.search(r"getJwt: 20\d \(bearer token\)", (tmp_path / "report.json").read_text())
    statuses = next(c for c in report["coverage"] if c["api"] == "heidi")["statuses"]
    assert int(statuses.get("401", 0)) < sum(int(n) for n in statuses.values()) / 10, statuses
    for text in (out, err, *(p.read_text() for p in tmp_path.iterdir())):
        assert DEFAULT_TOKEN not in text
        assert jwt_head not in text


def test_the_exchange_is_asked_again_after_a_fault(mock_server: Callable[..., Any]) -> None:
    """A 5xx or 429 of GET /jwt is no refusal: the exchange is asked again (up to three times),
    and every call is listed under setup. Seed 5 of this mock faults the first two."""
    from contracts.suites import SuiteOptions, run_suite

    _, base = _heidi(mock_server, error_rate=0.5, seed=5)
    result = run_suite("heidi", SuiteOptions(max_examples=1, base_url=base,
                                             token=DEFAULT_TOKEN, phases=("examples",)))
    *faults, last = result.setup
    assert faults and all(re.fullmatch(r"getJwt: (5\d\d|429) \(bearer token\)", f)
                          for f in faults), result.setup
    assert last == "getJwt: 200 (bearer token)"
    # The JWT went out: the answers that were not faults are not 401s.
    assert 401 not in {s for o in result.outcomes.values() for s in o.statuses}
