"""The mock is correct by construction: a scripted tour drives every operation of every vendor
to every documented status over real HTTP, and every answer validates against the spec (schema,
status, content type, invariants; strict, so no undocumented field either)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from contracts import load_spec
from contracts.mock import DEFAULT_TOKEN

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
OTHER_4XX = 0  # stands for "some 4xx besides 401" where the spec documents "4XX"
SOME_5XX = -5  # stands for "some 5xx" where the spec documents "5XX"


def _tour_upheal(c: httpx.Client, anon: httpx.Client) -> None:
    recording = {"recording": {"recordingUrls": ["https://uploads.example.com/s/1.m4a"],
                               "recordingContent": "Recording"}}
    sid = c.post("/sessions", json={"providerUserId": "prov-1", "clientUserId": "client-1",
                                    "sessionType": "Soap", "input": recording,
                                    "partnerAppointmentId": "appt-1"}).json()["sessionId"]
    for _ in range(3):
        c.get(f"/sessions/{sid}")
    words = " ".join(["word"] * 150)
    for text in ("too short", words):
        tid = c.post("/sessions", json={"providerUserId": "prov-1", "clientPronouns":
                                        "NeutralThem", "noteTemplateIds": ["t-1", "t-2"],
                                        "input": {"text": {"text": text}}}).json()["sessionId"]
        for _ in range(3):
            c.get(f"/sessions/{tid}")
    eid = c.post("/sessions", json={"providerUserId": "p", "sessionType": "Dap",
                                    "input": recording},
                 headers={"x-contracts-scenario": "error"}).json()["sessionId"]
    for _ in range(3):
        c.get(f"/sessions/{eid}")
    c.post("/sessions", json={"providerUserId": "p", "clientUserId": "c",
                              "clientPronouns": "FeminineHer", "sessionType": "Soap",
                              "input": recording})
    c.post("/sessions", json={"providerUserId": "p", "sessionType": "Unknown", "input": recording})
    c.post("/sessions", json={"providerUserId": "p", "sessionType": "Soap", "input": recording},
           headers={"x-contracts-scenario": "forbidden"})
    anon.post("/sessions", json={"providerUserId": "p", "sessionType": "Soap", "input": recording})
    anon.get(f"/sessions/{sid}")
    c.get("/sessions/00000000-0000-4000-8000-00000000dead")
    c.post("/recording-url", json={})
    c.post("/recording-url", json=["not", "an", "object"])
    anon.post("/recording-url", json={})


def _tour_heidi(c: httpx.Client, anon: httpx.Client) -> None:
    token = c.get("/jwt", params={"email": "test@example.com", "third_party_internal_id": "7"},
                  headers={"Heidi-Api-Key": DEFAULT_TOKEN}).json()["token"]
    anon.get("/jwt", headers={"Heidi-Api-Key": "wrong"})
    jwt = {"Authorization": f"Bearer {token}"}
    sid = c.post("/sessions", json={"ehr_appointment_id": "EHR-1"}, headers=jwt).json()[
        "session_id"]
    c.post("/sessions", headers=jwt)
    c.post("/sessions", json={"ehr_appointment_id": 5}, headers=jwt)
    anon.post("/sessions", json={})
    c.get(f"/sessions/{sid}", headers=jwt)
    c.patch(f"/sessions/{sid}", json={"duration": 60, "clinician_notes": ["Note 1"],
                                      "patient": {"name": "Test Patient 0007", "gender": "FEMALE",
                                                  "dob": "1990-01-01"}}, headers=jwt)
    c.patch(f"/sessions/{sid}", json={"duration": "long"}, headers=jwt)
    c.patch("/sessions/404404", json={"duration": 1}, headers=jwt)
    anon.patch(f"/sessions/{sid}", json={})
    c.get("/sessions/404404", headers=jwt)
    anon.get(f"/sessions/{sid}")
    for page in (1, 2, 3):
        c.get("/sessions/linked-user", params={"page_size": 5, "page": page}, headers=jwt)
    c.get("/sessions/linked-user", headers=jwt)
    c.get("/sessions/linked-user", params={"page_size": "ten"}, headers=jwt)
    c.get("/sessions/linked-user", headers={**jwt, "x-contracts-scenario": "no_linked_user"})
    anon.get("/sessions/linked-user")


def _tour_eka(c: httpx.Client, anon: httpx.Client) -> None:
    body = {"upload_type": "chunked", "communication_protocol": "http",
            "templates": ["eka_emr_template", "clinical_notes_template"],
            "patient_details": {"oid": "TEST-0001", "name": "Test Patient 0001"}}
    for scenario in ("completed", "partial", "failed"):
        sid = c.post("/voice/v1/sessions", json=body,
                     headers={"x-contracts-scenario": scenario}).json()["session_id"]
        c.get(f"/voice/v1/sessions/{sid}")
        c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 3})
        c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 3})
        for _ in range(2):
            c.get(f"/voice/v1/sessions/{sid}")
        c.get(f"/voice/v1/sessions/{sid}", params={"template_id": "eka_emr_template"})
        c.get(f"/voice/v1/sessions/{sid}", params={"document_id": "clinical_notes_template"})
    stream = c.post("/voice/v1/sessions", json={**body, "upload_type": "stream",
                                                "communication_protocol": "websocket"},
                    headers={"x-contracts-scenario": "expired"}).json()["session_id"]
    c.get(f"/voice/v1/sessions/{stream}")
    c.post("/voice/v1/sessions", json={**body, "templates": ["no_such_template"]})
    c.post("/voice/v1/sessions", json={"communication_protocol": "http"})
    c.post("/voice/v1/sessions/ses_missing000000000/end", json={"audio_files_sent": 1})
    c.post(f"/voice/v1/sessions/{stream}/end", json={})
    c.get("/voice/v1/sessions/ses_missing000000000")
    anon.post("/voice/v1/sessions", json=body)
    anon.post(f"/voice/v1/sessions/{stream}/end", json={"audio_files_sent": 1})
    anon.get(f"/voice/v1/sessions/{stream}")
    _tour_eka_sdk(c, anon)


def _tour_eka_sdk(c: httpx.Client, anon: httpx.Client) -> None:
    """The endpoints the official Python SDK calls; the statuses no request can provoke
    (an expired upload policy, server errors) are asked for with ``Prefer``."""
    fail = {"Prefer": "code=500"}
    login = {"client_id": "EC_TOUR_0001", "client_secret": "synthetic-secret"}
    c.post("/connect-auth/v1/account/login", json=login)
    c.post("/connect-auth/v1/account/login", json={"client_id": "EC_TOUR_0001"})
    anon.post("/connect-auth/v1/account/login", json=login, headers={"Prefer": "code=401"})
    c.post("/connect-auth/v1/account/login", json=login, headers=fail)
    init = {"mode": "dictation", "transfer": "non-vaded", "model_type": "pro",
            "batch_s3_url": "s3://bucket/folder/", "client_generated_files": ["a.m4a"],
            "output_format_template": [{"template_id": "eka_emr_template"}]}
    for scenario in ("completed", "partial", "failed"):
        txn = f"txn_tour_{scenario}"
        c.post("/v1/file-upload", params={"txn_id": txn, "action": "ekascribe-v2"}, json={},
               headers={"x-contracts-scenario": scenario})
        c.post(f"/voice/api/v2/transaction/init/{txn}", json=init)
        for _ in range(3):
            c.get(f"/voice/api/v3/status/{txn}")
            c.get(f"/voice-record/api/status/{txn}")
    c.post("/voice/api/v2/transaction/init/txn_tour_completed", json=init)  # 409
    c.post("/voice/api/v2/transaction/init/txn_tour_bad", json={"mode": "dictation"})  # 422
    c.post("/v1/file-upload", json={})  # 400: no txn_id
    c.post("/v1/file-upload", params={"txn_id": "txn_tour_x"}, headers={"Prefer": "code=403"})
    c.post("/v1/file-upload", params={"txn_id": "txn_tour_x"}, headers=fail)
    c.post("/voice/api/v2/transaction/init/txn_tour_y", json=init, headers=fail)
    c.get("/voice/api/v3/status/txn_tour_missing")
    c.get("/voice-record/api/status/txn_tour_missing")
    for status in (400, 403, 500):
        c.get("/voice-record/api/status/txn_tour_completed",
              headers={"Prefer": f"code={status}"})
    anon.post("/v1/file-upload", params={"txn_id": "txn_tour_x"})
    anon.post("/voice/api/v2/transaction/init/txn_tour_x", json=init)
    anon.get("/voice/api/v3/status/txn_tour_completed")
    anon.get("/voice-record/api/status/txn_tour_completed")


def _tour_realtimekit(c: httpx.Client, anon: httpx.Client) -> None:
    app = "/client/v4/accounts/acc-0001/realtime/kit/app-0001"
    listing = c.get(f"{app}/sessions", params={"status": "ENDED", "per_page": 5}).json()
    c.get(f"{app}/sessions", params={"sort_by": "minutesConsumed", "sort_order": "ASC",
                                     "page_no": 2, "per_page": 4})
    c.get(f"{app}/sessions", params={"status": "LIVE", "search": "0005"})
    c.get(f"{app}/sessions", params={"start_time": "2026-01-05T12:00:00Z",
                                     "end_time": "2026-01-06T00:00:00Z"})
    c.get(f"{app}/sessions", params={"sort_by": "loudest"})
    live = c.get(f"{app}/sessions", params={"status": "LIVE"}).json()["data"]["sessions"][0]["id"]
    for session in listing["data"]["sessions"][:3]:
        sid = session["id"]
        c.get(f"{app}/sessions/{sid}", params={"include_breakout_rooms": "true"})
        parts = c.get(f"{app}/sessions/{sid}/participants",
                      params={"include_peer_events": "true", "sort_by": "duration"}).json()
        pid = parts["data"]["participants"][0]["id"]
        c.get(f"{app}/sessions/{sid}/participants/{pid}", params={"include_peer_events": "true"})
        c.get(f"{app}/sessions/{sid}/participants/missing-participant")
        c.get(f"{app}/sessions/{sid}/chat")
        c.get(f"{app}/sessions/{sid}/transcript", params={"format": "VTT"})
        c.get(f"{app}/sessions/{sid}/summary")
        c.post(f"{app}/sessions/{sid}/summary")
        c.get(f"{app}/sessions/{sid}/summary")
        for filters in ("device_info", "events", "quality_stats", "device_info,events",
                        "ip_information,precall_network_information,quality_stats"):
            c.get(f"{app}/sessions/peer-report/{pid}", params={"filters": filters})
    c.get(f"{app}/sessions/{live}/participants")
    c.get(f"{app}/sessions/{live}/transcript")
    c.post(f"{app}/sessions/{live}/summary")
    missing = "00000000-0000-4000-8000-000000000000"
    for suffix in ("", "/participants", "/participants/x", "/chat", "/transcript", "/summary"):
        c.get(f"{app}/sessions/{missing}{suffix}")
    c.post(f"{app}/sessions/{missing}/summary")
    c.get(f"{app}/sessions/peer-report/{missing}")
    for suffix in ("", f"/{live}", f"/{live}/participants", f"/{live}/participants/x",
                   f"/{live}/chat", f"/{live}/transcript", f"/{live}/summary",
                   f"/peer-report/{missing}"):
        anon.get(f"{app}/sessions{suffix}")
    anon.post(f"{app}/sessions/{live}/summary")


TOURS: dict[str, Callable[[httpx.Client, httpx.Client], None]] = {
    "upheal": _tour_upheal, "heidi": _tour_heidi, "eka": _tour_eka,
    "realtimekit": _tour_realtimekit,
}


@pytest.fixture(scope="module")
def exchanges() -> dict[str, list[httpx.Response]]:
    from contracts.mock import MockServer, app, base_urls

    seen: dict[str, list[httpx.Response]] = {}
    for api, tour in TOURS.items():
        log: list[httpx.Response] = []

        def record(response: httpx.Response, _log: list[httpx.Response] = log) -> None:
            response.read()
            _log.append(response)

        with MockServer(app(api)) as server:
            base = base_urls([api], server.url)[api]
            if api in ("eka", "realtimekit"):
                base = server.url  # their tours spell out the server path themselves
            hooks = {"response": [record]}
            with httpx.Client(base_url=base, headers=AUTH, event_hooks=hooks) as client, \
                    httpx.Client(base_url=base, event_hooks=hooks) as anon:
                tour(client, anon)
        seen[api] = log
    return seen


def _documented(api: str) -> set[tuple[str, int]]:
    wanted = set()
    for op in load_spec(api).operations:
        for key in op.node.value.get("responses") or {}:
            statuses = (401, OTHER_4XX) if key.upper() == "4XX" else \
                (SOME_5XX,) if key.upper() == "5XX" else (int(key),)
            wanted.update((op.operation_id, s) for s in statuses)
    return wanted


@pytest.mark.parametrize("api", list(TOURS))
def test_tour_reaches_every_documented_status(api: str,
                                              exchanges: dict[str, list[httpx.Response]]
                                              ) -> None:
    spec = load_spec(api)
    reached = set()
    for r in exchanges[api]:
        op = spec.match(r.request.method, str(r.request.url)).operation.operation_id
        reached.add((op, r.status_code))
        if 400 <= r.status_code < 500 and r.status_code != 401:
            reached.add((op, OTHER_4XX))
        if r.status_code >= 500:
            reached.add((op, SOME_5XX))
    missing = _documented(api) - reached
    assert not missing, f"the tour never produced {sorted(missing)}"


@pytest.mark.parametrize("api", list(TOURS))
def test_every_answer_validates(api: str, exchanges: dict[str, list[httpx.Response]],
                                contract_violations: Callable[..., list[Any]]) -> None:
    problems = []
    for response in exchanges[api]:
        for v in contract_violations(api, response, strict=True):
            problems.append(f"{response.request.method} {response.request.url.path} "
                            f"{response.status_code}: {v.code} {v.pointer} {v.message}")
    assert not problems, "\n".join(problems[:20])
    assert len(exchanges[api]) >= 15  # the tour ran


@pytest.mark.parametrize("api", list(TOURS))
def test_every_operation_has_a_handler(api: str) -> None:
    from contracts.mock import vendor

    served = vendor(api)
    assert {op.operation_id for op in served.spec.operations} == set(served.handlers)
