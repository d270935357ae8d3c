"""The recording proxy over real HTTP on loopback: the client sees exactly what the upstream
sent; both directions are validated as traffic passes; planted canaries (tokens, cookies,
patient data, signed URLs) reach neither the log, nor the proxy's output, nor any report over
the log, while the log keeps what validation needs; the mock's injected drift recorded
through the proxy is found again, departure for departure, and the plain mock's traffic is
clean; a dead upstream is a 502 with one line, never a traceback."""

from __future__ import annotations

import gzip
import io
import json
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from contracts import load_spec
from contracts.cli import run
from contracts.corpus import validate_corpus
from contracts.exchanges import Exchange, read_exchanges
from contracts.findings import Severity, Violation
from contracts.mock import DEFAULT_TOKEN, MockServer
from contracts.proxy import ProxyServer, is_loopback

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
HEIDI = "/api/v2/ml-scribe/open-api"
RTK = "/client/v4/accounts/acc-0001/realtime/kit/app-0001/sessions"


def _exchanges(path: Path) -> list[Exchange]:
    items = list(read_exchanges(path))
    assert all(isinstance(item, Exchange) for item in items), items
    return items  # type: ignore[return-value]


# --------------------------------------------------------------------------- transparency

class _Echo:
    """An upstream that answers with fixed, awkward bytes and remembers what it was sent."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.seen.append({"method": scope["method"], "path": scope["raw_path"],
                          "query": scope["query_string"], "body": body,
                          "headers": [(k.decode(), v.decode()) for k, v in scope["headers"]
                                      if k != b"host"]})
        path = scope["path"]
        if path.endswith("/gzip"):
            content = gzip.compress(b'{"session_id": "ses_1", "status": "created"}')
            headers = [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")]
            status = 200
        elif path.endswith("/teapot"):
            content, status = b"\xff\xfe not utf-8, not json", 418
            headers = [(b"content-type", b"application/octet-stream")]
        else:
            content, status = b'{"b": 2, "a": [1, 2.50, "x"]}', 201
            headers = [(b"content-type", b"application/json; charset=utf-8")]
        headers += [(b"set-cookie", b"a=1; Path=/"), (b"set-cookie", b"b=2; Path=/"),
                    (b"x-vendor-request-id", b"req-42"), (b"cache-control", b"no-store"),
                    (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


@pytest.mark.parametrize("path", ["/voice/v1/sessions", "/voice/v1/sessions/x/gzip",
                                  "/voice/v1/teapot", "/voice/v1/a%20b/%2F/%C3%A9"])
def test_the_client_sees_exactly_what_the_upstream_sent(
        proxy: Callable[..., ProxyServer], tmp_path: Path, path: str) -> None:
    echo = _Echo()
    log = tmp_path / "log.jsonl"
    with MockServer(echo) as upstream:
        through = proxy("eka", upstream.url, record=log)
        request = {"params": {"a": "1", "b": "two words"}, "content": b'{"k": [1, 2]}',
                   "headers": {**AUTH, "content-type": "application/json",
                               "x-trace": "t-1", "accept-encoding": "gzip"}}
        # One client each: a shared one would send the first answer's cookies back. The
        # proxy is called twice: it must not keep the first answer's cookies either.
        direct = httpx.post(upstream.url + path, **request)  # type: ignore[arg-type]
        for _ in range(2):
            proxied = httpx.post(through.url + path, **request)  # type: ignore[arg-type]
    assert proxied.status_code == direct.status_code
    assert proxied.headers.raw == direct.headers.raw  # same names, values, order, repeats
    assert proxied.content == direct.content
    # ... and the upstream was sent what the client sent (Authorization included), but for
    # the hop-by-hop Connection header, which belongs to one connection only.
    direct_seen = {**echo.seen[0], "headers": [
        h for h in echo.seen[0]["headers"] if h[0] != "connection"]}
    assert direct_seen == echo.seen[1] == echo.seen[2]
    assert ("authorization", f"Bearer {DEFAULT_TOKEN}") in echo.seen[1]["headers"]
    recorded = _exchanges(log)[-1]
    assert recorded.url == upstream.url + path + "?a=1&b=two+words"
    assert recorded.status == direct.status_code
    assert recorded.request_headers["authorization"] == "[REDACTED]"
    assert recorded.response_headers["set-cookie"] == "[REDACTED]"
    assert recorded.response_headers["x-vendor-request-id"] == "req-42"


def test_the_log_is_appended_to_and_keeps_earlier_lines(
        mock_server: Callable[..., Any], proxy: Callable[..., ProxyServer],
        tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text('{"version": 1, "request": {"method": "GET", "url": "/earlier"}}\n')
    upstream = mock_server("eka")
    through = proxy("eka", upstream.url, record=log)
    with httpx.Client(base_url=through.url, headers=AUTH) as client:
        for _ in range(3):
            client.post("/voice/v1/sessions", json={"upload_type": "chunked",
                                                    "communication_protocol": "http"})
    urls = [e.url for e in _exchanges(log)]
    assert urls[0] == "/earlier" and len(urls) == 4
    assert [e.operation for e in _exchanges(log)[1:]] == ["createSession"] * 3


def test_concurrent_exchanges_each_get_one_whole_line(
        mock_server: Callable[..., Any], proxy: Callable[..., ProxyServer],
        tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    log = tmp_path / "log.jsonl"
    through = proxy("eka", mock_server("eka").url, record=log)
    body = {"upload_type": "chunked", "communication_protocol": "http",
            "patient_details": {"oid": "T-1", "name": "x" * 5000}}  # long lines interleave

    def call(_: int) -> int:
        return httpx.post(through.url + "/voice/v1/sessions", headers=AUTH, json=body,
                          timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(call, range(40)))
    assert statuses == [201] * 40
    lines = log.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 41
    assert all(orjson.loads(line)["operation"] == "createSession" for line in lines[:-1])
    assert through.app.stats.recorded == 40 and not through.app.stats.violations


def test_both_directions_are_validated_and_a_bad_request_is_still_forwarded(
        mock_server: Callable[..., Any], proxy: Callable[..., ProxyServer],
        tmp_path: Path) -> None:
    seen: list[Violation] = []
    upstream = mock_server("eka", drift="status-code")
    through = proxy("eka", upstream.url, record=tmp_path / "log.jsonl", on_violation=seen.append)
    with httpx.Client(base_url=through.url, headers=AUTH) as client:
        bad = client.post("/voice/v1/sessions", json={"communication_protocol": "http"})
        good = client.post("/voice/v1/sessions", json={"upload_type": "chunked",
                                                       "communication_protocol": "http"})
    assert bad.status_code in (400, 422)  # the vendor (mock) answered the forwarded request
    assert good.status_code == 200  # drifted from the documented 201
    codes = [(v.location, v.code) for v in seen]
    assert ("request.body", "request.body.schema") in codes
    assert ("response.status", "response.status.undocumented") in codes
    stats = through.app.stats
    assert stats.exchanges == stats.recorded == 2
    assert stats.violations == Counter(v.code for v in seen)


# --------------------------------------------------------------------------- canaries

BEARER = "CANARY-BEARER-b7e1d94f20"
API_KEY = "CANARY-APIKEY-51c0aa73"
COOKIE = "CANARY-COOKIE-93be0d1c"
SET_COOKIE = "CANARY-SETCOOKIE-2f8a4e"
QUERY_TOKEN = "CANARY-QTOKEN-6d21c9"
NAME = "Zanzibar Quillfeather"
DOB = "1961-07-23"
NOTE = "Canary note: patient reports an ache behind the left knee"
BAD_NOTE = "Canary misplaced note about dizziness"
TRANSCRIPT = "Canary transcript: I have been sleeping badly since the move"
SIGNATURE = "CANARYSIG0a9b8c7d"
SIGNED_URL = (f"https://media.example.com/rec/visit.m4a?X-Amz-Credential=CANARYCRED77&"
              f"X-Amz-Signature={SIGNATURE}")
CANARIES = [BEARER, API_KEY, COOKIE, SET_COOKIE, QUERY_TOKEN, NAME, "Quillfeather", DOB, NOTE,
            BAD_NOTE, TRANSCRIPT, "sleeping badly", SIGNATURE, "CANARYCRED77", SIGNED_URL,
            "media.example.com/rec"]


def _with_canaries(inner: Any) -> Any:
    """Wrap the Heidi mock: a session answer also carries a transcript, a signed media URL and
    a cookie, as a vendor's might."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or scope["method"] != "GET" or "/sessions/" not in path
                or path.endswith("/linked-user")):
            await inner(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await inner(scope, receive, capture)
        body = orjson.loads(b"".join(chunks))
        if start["status"] == 200:
            body["session"].update(transcript=TRANSCRIPT, recording_url=SIGNED_URL)
        content = orjson.dumps(body)
        headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
        headers += [(b"set-cookie", f"sid={SET_COOKIE}; HttpOnly".encode()),
                    (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": start["status"],
                    "headers": headers})
        await send({"type": "http.response.body", "body": content})

    return app


def _heidi_visit(base: str) -> str:
    """Heidi traffic full of canaries; returns the JWT the mock issued (a credential too)."""
    with httpx.Client(base_url=base + HEIDI, timeout=30) as c:
        jwt = c.get("/jwt", params={"email": "clinician@example.com",
                                    "third_party_internal_id": "7"},
                    headers={"Heidi-Api-Key": API_KEY, "Authorization": f"Bearer {BEARER}",
                             "Cookie": f"session={COOKIE}"}).json()["token"]
        auth = {"Authorization": f"Bearer {jwt}", "Cookie": f"session={COOKIE}"}
        sid = c.post("/sessions", json={"ehr_appointment_id": "EHR-1"}, headers=auth).json()[
            "session_id"]
        patched = c.patch(f"/sessions/{sid}", headers=auth, json={
            "duration": 60, "clinician_notes": [NOTE],
            "patient": {"name": NAME, "gender": "FEMALE", "dob": DOB}})
        assert patched.status_code == 200
        # A request that breaks the contract with patient data in the offending value.
        assert c.patch(f"/sessions/{sid}", headers=auth,
                       json={"clinician_notes": BAD_NOTE}).status_code == 422
        got = c.get(f"/sessions/{sid}", headers=auth,
                    params={"token": QUERY_TOKEN, "patient_name": NAME, "media": SIGNED_URL})
        assert got.status_code == 200
        # The client itself saw the data: the proxy passes it on, it only keeps it out of logs.
        assert got.json()["session"]["patient"]["name"] == NAME
        assert got.json()["session"]["transcript"] == TRANSCRIPT
        assert SET_COOKIE in got.headers["set-cookie"]
    return str(jwt)


def _start_cli_proxy(api: str, upstream: str, log: Path, *extra: str) -> tuple[Any, str]:
    proc = subprocess.Popen([sys.executable, "-m", "contracts", "proxy", api, "--upstream",
                             upstream, "--record", str(log), "--port", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("proxy: http://127.0.0.1:"), (line, proc.stderr and proc.stderr.read())
    return proc, line.split()[1]


def _stop_cli_proxy(proc: Any) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    return proc.returncode, out, err


def _summary_counts(out: str) -> Counter[str]:
    lines = out.split("proxy summary:", 1)[1].splitlines()[1:]
    return Counter({line.split()[1]: int(line.split()[0]) for line in lines if line.strip()})


def test_canaries_reach_no_log_no_output_and_no_report(tmp_path: Path) -> None:
    from contracts.mock import app

    log = tmp_path / "heidi.jsonl"
    with MockServer(_with_canaries(app("heidi", token=API_KEY))) as upstream:
        proc, url = _start_cli_proxy("heidi", upstream.url, log, "--strict")
        try:
            jwt = _heidi_visit(url)
        finally:
            code, out, err = _stop_cli_proxy(proc)
    assert code == 1, err  # the bad PATCH is a violation at error severity
    assert "Traceback" not in out + err
    assert "violation: error: [request.body.schema] updateSession: request.body/clinician_notes" \
        in out
    reports = {}
    for fmt in ("text", "json", "sarif", "junit"):
        stdout, stderr = io.StringIO(), io.StringIO()
        assert run(["validate", "--api", "heidi", "--strict", "--format", fmt, str(log)],
                   stdout=stdout, stderr=stderr) == 1
        reports[fmt] = stdout.getvalue() + stderr.getvalue()
    recorded = log.read_text("utf-8")
    places = {"log": recorded, "proxy stdout": out, "proxy stderr": err, **reports}
    for canary in [*CANARIES, jwt, jwt.split(".")[2]]:
        leaks = [where for where, text in places.items() if canary in text]
        assert not leaks, f"{canary!r} reached {leaks}"

    # The log keeps what validation needs: the same exchanges break the contract in the same
    # ways as the live traffic did (the proxy validated it before redaction).
    exchanges = _exchanges(log)
    assert [e.operation for e in exchanges] == ["getJwt", "createSession", "updateSession",
                                                "updateSession", "getSession"]
    report = validate_corpus("heidi", [log], strict=True)
    assert Counter(r.violation.code for r in report.records) == _summary_counts(out)
    assert "request.body.schema" in _summary_counts(out)
    session = exchanges[-1].response_body["session"]
    assert session["patient"]["dob"] == "1900-01-01"  # a date stays a date
    assert session["patient"]["name"] == f"[REDACTED:str:{len(NAME)}]"
    assert session["recording_url"] == "https://media.example.com"  # scheme and host only
    assert isinstance(session["clinician_notes"], list) and len(session["clinician_notes"]) == 1
    assert exchanges[-1].response_body.keys() == {"session"}


def test_user_redaction_rules_apply_and_keep_values_still_removes_credentials(
        mock_server: Callable[..., Any], proxy: Callable[..., ProxyServer],
        tmp_path: Path) -> None:
    from contracts.redaction import Redactor

    upstream = mock_server("eka")
    body = {"upload_type": "chunked", "communication_protocol": "http",
            "patient_details": {"oid": "OID-CANARY-41", "name": NAME}}
    logs = {}
    for label, redactor in {"keep": Redactor(enabled=False),
                            "rules": Redactor(paths=("$.patient_details.oid",))}.items():
        logs[label] = tmp_path / f"{label}.jsonl"
        through = proxy("eka", upstream.url, record=logs[label], redactor=redactor)
        with httpx.Client(base_url=through.url) as client:
            client.post("/voice/v1/sessions", json=body,
                        headers={"Authorization": f"Bearer {DEFAULT_TOKEN}", "X-Api-Key": BEARER})
    kept = logs["keep"].read_text()
    assert NAME in kept and "OID-CANARY-41" in kept  # opted in: body values stay
    assert DEFAULT_TOKEN not in kept and BEARER not in kept  # credentials never do
    ruled = logs["rules"].read_text()
    assert NAME not in ruled and "OID-CANARY-41" not in ruled


def test_cli_redaction_options_reach_the_log(mock_server: Callable[..., Any],
                                             tmp_path: Path) -> None:
    upstream = mock_server("eka")
    log = tmp_path / "eka.jsonl"
    proc, url = _start_cli_proxy("eka", upstream.url, log, "--keep-values",
                                 "--redact-key", "oid", "--redact-header", "x-clinic")
    try:
        httpx.post(url + "/voice/v1/sessions", headers={**AUTH, "X-Clinic": "CLINIC-CANARY-5"},
                   json={"upload_type": "chunked", "communication_protocol": "http",
                         "patient_details": {"oid": "OID-CANARY-42", "name": NAME}})
    finally:
        code, out, err = _stop_cli_proxy(proc)
    assert code == 0, err
    assert "1 exchange(s), 1 recorded, 0 violation(s)" in out
    text = log.read_text()
    assert NAME in text  # --keep-values
    assert "OID-CANARY-42" not in text and "CLINIC-CANARY-5" not in text
    assert DEFAULT_TOKEN not in text


# --------------------------------------------------------------------------- drift round trip

def _second_or_only(items: list[dict[str, Any]]) -> str:
    # The mock drifts the first item of a list only; the second one keeps its id.
    return str((items[1] if len(items) > 1 else items[0])["id"])


def _tour_eka(c: httpx.Client, mock_url: str) -> None:
    c.post("/voice/v1/sessions", json={"upload_type": "chunked", "communication_protocol": "http",
                                       "patient_details": {"oid": "T-1", "name": "Test Patient"}})
    # The drifted answer may lack the id: ask the mock's control API (not through the proxy).
    sid = next(iter(httpx.get(f"{mock_url}/__contracts__/state").json()["eka"]["sessions"]))
    c.get(f"/voice/v1/sessions/{sid}")
    c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 1})
    c.get(f"/voice/v1/sessions/{sid}")
    c.get(f"/voice/v1/sessions/{sid}", params={"template_id": "eka_emr_template"})
    # The endpoints the official Python SDK calls.
    c.post("/connect-auth/v1/account/login", json={"client_id": "EC_PROXY_0001",
                                                   "client_secret": "synthetic-secret"})
    c.post("/v1/file-upload", params={"txn_id": "txn_proxy", "action": "ekascribe-v2"},
           json={})
    c.post("/voice/api/v2/transaction/init/txn_proxy", json={
        "mode": "dictation", "transfer": "non-vaded", "model_type": "pro",
        "batch_s3_url": "s3://bucket/folder/", "client_generated_files": ["a.m4a"]})
    c.get("/voice/api/v3/status/txn_proxy")
    c.get("/voice-record/api/status/txn_proxy")


def _tour_realtimekit(c: httpx.Client, mock_url: str) -> None:
    sid = _second_or_only(c.get(RTK).json()["data"]["sessions"])
    c.get(f"{RTK}/{sid}")
    pid = _second_or_only(c.get(f"{RTK}/{sid}/participants").json()["data"]["participants"])
    c.get(f"{RTK}/{sid}/participants/{pid}")
    c.get(f"{RTK}/{sid}/chat")
    c.get(f"{RTK}/{sid}/transcript")
    c.post(f"{RTK}/{sid}/summary")
    c.get(f"{RTK}/{sid}/summary")
    c.get(f"{RTK}/peer-report/{pid}")


TOURS = {"eka": _tour_eka, "realtimekit": _tour_realtimekit}


def _record_tour(api: str, drift: str, proxy: Callable[..., ProxyServer],
                 mock_server: Callable[..., Any], log: Path) -> ProxyServer:
    upstream = mock_server(api, steps=0, drift=drift)
    through = proxy(api, upstream.url, record=log, strict=True)
    with httpx.Client(base_url=through.url, headers=AUTH, timeout=30) as client:
        TOURS[api](client, upstream.url)
    return through


_MISSING = object()


def _departures(plain: Any, drifted: Any, pointer: str = "") -> dict[str, str]:
    """Where the drifted body departs from the plain one: pointer -> removed, added,
    retyped or changed."""
    if type(plain) is not type(drifted):
        return {pointer: "retyped"}
    out: dict[str, str] = {}
    if isinstance(plain, dict):
        for key in plain.keys() | drifted.keys():
            here = f"{pointer}/{key}"
            a, b = plain.get(key, _MISSING), drifted.get(key, _MISSING)
            if b is _MISSING:
                out[here] = "removed"
            elif a is _MISSING:
                out[here] = "added"
            else:
                out.update(_departures(a, b, here))
    elif isinstance(plain, list):
        if len(plain) != len(drifted):
            return {pointer: "changed"}
        for i, (a, b) in enumerate(zip(plain, drifted, strict=True)):
            out.update(_departures(a, b, f"{pointer}/{i}"))
    elif plain != drifted:
        out[pointer] = "changed"
    return out


@pytest.mark.parametrize("api", sorted(TOURS))
def test_drift_recorded_through_the_proxy_is_found_again(
        api: str, mock_server: Callable[..., Any], proxy: Callable[..., ProxyServer],
        tmp_path: Path) -> None:
    logs = {kind: tmp_path / f"{kind}.jsonl" for kind in ("plain", "drift")}
    live = {"plain": _record_tour(api, "", proxy, mock_server, logs["plain"]),
            "drift": _record_tour(api, "all", proxy, mock_server, logs["drift"])}
    reports = {kind: validate_corpus(api, [log], strict=True) for kind, log in logs.items()}

    # The plain mock: nothing, live or from the log.
    assert reports["plain"].records == [] and not live["plain"].app.stats.violations
    plain, drift = _exchanges(logs["plain"]), _exchanges(logs["drift"])
    assert [e.operation for e in plain] == [e.operation for e in drift]
    spec_ops = {op.operation_id for op in load_spec(api).operations}
    assert {e.operation for e in drift} == spec_ops  # every operation was driven
    # What was validated live is what the recorded (redacted) log gives.
    assert live["drift"].app.stats.violations == Counter(
        r.violation.code for r in reports["drift"].records)

    found_kinds: set[str] = set()
    for before, after in zip(plain, drift, strict=True):
        applied = set(after.response_headers["x-contracts-drift"].split(","))
        departures = _departures(before.response_body, after.response_body)
        found = [r.violation for r in reports["drift"].records if r.line == after.line]
        for v in found:  # nothing is reported that was not injected, at the right grade
            assert v.location.startswith("response."), v
            if v.code == "response.status.undocumented":
                assert "status-code" in applied and before.status != after.status
                assert v.severity is Severity.ERROR
                found_kinds.add("status-code")
            elif v.code == "response.body.undocumented_field":
                assert departures.get(v.pointer) == "added", (v, departures)
                assert v.severity is Severity.INFO  # strict mode's grade
                found_kinds.add("field-added" if v.pointer.endswith("/x_vendor_trace")
                                else "field-renamed")
            elif v.code == "response.body.schema" and v.message.startswith("missing required"):
                name = v.message.split("'")[1]
                assert departures.get(f"{v.pointer}/{name}") == "removed", (v, departures)
                assert v.severity is Severity.ERROR
                found_kinds.add("field-removed")
            elif v.code == "response.body.schema":
                assert departures.get(v.pointer) in ("retyped", "changed"), (v, departures)
                assert v.severity is Severity.ERROR
                found_kinds.add("type-changed" if departures[v.pointer] == "retyped"
                                else "enum-value")
            else:
                pytest.fail(f"unexpected departure {v.describe()}")
        # ... and the injected departures that validation must see are all seen.
        codes = {(v.code, v.pointer) for v in found}
        assert ("response.status.undocumented", "") in codes
        added = [p for p, what in departures.items() if what == "added"]
        assert added and all(("response.body.undocumented_field", p) in codes for p in added)
        retyped = [p for p, what in departures.items() if what == "retyped"]
        assert all(("response.body.schema", p) in codes for p in retyped)
    assert found_kinds == {"status-code", "field-added", "field-renamed", "field-removed",
                           "type-changed", "enum-value"}


# The grades docs/drift.md gives each rule, and the injected drift kind each one names.
DRIFT_RULES: dict[str, tuple[str, str, str | None]] = {
    "drift.status.undocumented": ("WARN", "status-code", None),
    "drift.field.missing_required": ("ERR", "field-removed", "removed"),
    "drift.field.renamed": ("ERR", "field-renamed", "added"),
    "drift.field.type_changed": ("ERR", "type-changed", "retyped"),
    "drift.enum.new_value": ("WARN", "enum-value", "changed"),
    "drift.field.undocumented": ("INFO", "field-added", "added"),
}


def _drift_json(api: str, log: Path) -> tuple[int, dict[str, Any]]:
    out, err = io.StringIO(), io.StringIO()
    code = run(["drift", "--api", api, "--format", "json", str(log)], stdout=out, stderr=err)
    assert "Traceback" not in err.getvalue()
    return code, json.loads(out.getvalue())


def _wild(pointer: str) -> str:
    # Traffic drift aggregates list items as "*".
    return "/".join("*" if part.isdigit() else part for part in pointer.split("/"))


@pytest.mark.parametrize("api", sorted(TOURS))
def test_drift_command_on_the_recorded_log_finds_exactly_the_injected_drift(
        api: str, mock_server: Callable[..., Any], proxy: Callable[..., ProxyServer],
        tmp_path: Path) -> None:
    logs = {kind: tmp_path / f"{kind}.jsonl" for kind in ("plain", "drift")}
    _record_tour(api, "", proxy, mock_server, logs["plain"])
    _record_tour(api, "all", proxy, mock_server, logs["drift"])
    code, plain_report = _drift_json(api, logs["plain"])
    assert code == 0 and plain_report["findings"] == []

    code, report = _drift_json(api, logs["drift"])
    assert code == 1
    plain, drift = _exchanges(logs["plain"]), _exchanges(logs["drift"])
    departures: dict[str, dict[str, str]] = {}  # operation -> wildcard pointer -> what
    statuses: dict[str, set[int]] = {}
    for before, after in zip(plain, drift, strict=True):
        assert after.operation is not None and after.status is not None
        for pointer, what in _departures(before.response_body, after.response_body).items():
            departures.setdefault(after.operation, {})[_wild(pointer)] = what
        if before.status != after.status:
            statuses.setdefault(after.operation, set()).add(after.status)
    kinds: set[str] = set()
    for finding in report["findings"]:
        assert finding["rule"] in DRIFT_RULES, finding
        grade, kind, departure = DRIFT_RULES[finding["rule"]]
        assert finding["grade"] == grade, finding
        op = finding["operation"]
        if departure is None:
            assert int(finding["pointer"].strip("/")) in statuses[op], finding
        else:
            assert departures[op].get(finding["pointer"]) == departure, (finding,
                                                                        departures[op])
        if kind == "field-added" and not finding["pointer"].endswith("/x_vendor_trace"):
            kind = "field-renamed"  # a renamed optional field is only an undocumented one
        kinds.add(kind)
    assert kinds == {"status-code", "field-removed", "field-renamed", "type-changed",
                     "enum-value", "field-added"}
    # Every drifted status and every added field was seen.
    for op, seen in statuses.items():
        assert {f"/{s}" for s in seen} == {f["pointer"] for f in report["findings"]
                                          if f["operation"] == op
                                          and f["rule"] == "drift.status.undocumented"}
    added = {(op, p) for op, found in departures.items() for p, w in found.items()
             if w == "added"}
    reported = {(f["operation"], f["pointer"]) for f in report["findings"]
                if f["rule"] in ("drift.field.renamed", "drift.field.undocumented")}
    assert added == reported


# --------------------------------------------------------------------------- failures

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_dead_upstream_is_a_502_with_one_line(proxy: Callable[..., ProxyServer],
                                                tmp_path: Path,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    errors: list[str] = []
    log = tmp_path / "log.jsonl"
    through = proxy("eka", f"http://127.0.0.1:{_free_port()}", record=log,
                    on_error=errors.append)
    response = httpx.post(through.url + "/voice/v1/sessions?token=" + QUERY_TOKEN,
                          headers=AUTH, json={"upload_type": "chunked"})
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == "upstream_failed" and "\n" not in body["message"]
    assert "cannot connect" in body["message"]
    assert len(errors) == 1 and "\n" not in errors[0] and "cannot connect" in errors[0]
    assert QUERY_TOKEN not in body["message"] + errors[0]
    (recorded,) = _exchanges(log)  # the request was made; the log says it got no answer
    assert recorded.status is None and recorded.operation == "createSession"
    captured = capfd.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert through.app.stats.upstream_errors == 1


def test_a_slow_upstream_times_out_as_a_502(proxy: Callable[..., ProxyServer]) -> None:
    import asyncio
    import threading

    released = threading.Event()

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        while scope["type"] == "http" and not released.is_set():
            await asyncio.sleep(0.01)  # never answers until the test is over

    with MockServer(slow) as upstream:
        through = proxy("eka", upstream.url, timeout=0.2)
        try:
            response = httpx.get(through.url + "/voice/v1/sessions/s1", headers=AUTH,
                                 timeout=10)
        finally:
            released.set()
    assert response.status_code == 502 and "timed out" in response.json()["message"]


def test_a_request_over_the_limit_is_refused(proxy: Callable[..., ProxyServer],
                                             mock_server: Callable[..., Any]) -> None:
    through = proxy("eka", mock_server("eka").url, max_request_bytes=64)
    response = httpx.post(through.url + "/voice/v1/sessions", headers=AUTH,
                          json={"upload_type": "chunked", "pad": "x" * 100})
    assert response.status_code == 413 and response.json()["error"] == "request_too_large"
    assert through.app.stats.exchanges == 0


@pytest.mark.parametrize(("argv", "says"), [
    (["proxy", "eka", "--upstream", "ftp://vendor.example", "--record", "x.jsonl"],
     "not an http(s) URL"),
    (["proxy", "eka", "--upstream", "https://u:p@vendor.example", "--record", "x.jsonl"],
     "credentials"),
    (["proxy", "acme", "--upstream", "https://vendor.example", "--record", "x.jsonl"], "acme"),
    (["proxy", "eka", "--upstream", "https://vendor.example", "--record", "x.jsonl",
      "--redact-path", "patient"], "bad redaction path"),
    (["proxy", "eka", "--upstream", "https://vendor.example", "--record", "no/such/dir/x"],
     "cannot open the record file"),
    (["proxy", "eka", "--record", "x.jsonl"], "--upstream"),
])
def test_bad_arguments_exit_2_with_one_line(argv: list[str], says: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    err = io.StringIO()
    assert run(argv, stdout=io.StringIO(), stderr=err) == 2
    text = err.getvalue()
    assert says in text and "Traceback" not in text
    assert not (tmp_path / "x.jsonl").exists()


def test_binds_loopback_by_default(proxy: Callable[..., ProxyServer],
                                   mock_server: Callable[..., Any]) -> None:
    through = proxy("eka", mock_server("eka").url)
    assert through.url.startswith("http://127.0.0.1:")
    assert through._sock.getsockname()[0] == "127.0.0.1"
    assert [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "10.0.0.1",
                                     "example.com")] == [True, True, True, False, False, False]
    help_out = io.StringIO()
    assert run(["proxy", "--help"], stdout=help_out) == 0
    assert "[default: 127.0.0.1]" in help_out.getvalue()


def test_the_summary_is_value_free(proxy: Callable[..., ProxyServer],
                                        mock_server: Callable[..., Any]) -> None:
    # The summary only ever names codes and counts (what the CLI prints on exit).
    through = proxy("eka", mock_server("eka", drift="all").url, strict=True)
    httpx.post(through.url + "/voice/v1/sessions", headers=AUTH,
               json={"upload_type": "chunked", "communication_protocol": "http",
                     "patient_details": {"oid": "T-1", "name": NAME}})
    summary = through.app.stats.summary()
    assert summary.startswith("1 exchange(s), 0 recorded,")
    assert NAME not in summary and json.dumps(NAME) not in summary
    assert "response.status.undocumented" in summary
