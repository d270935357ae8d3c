"""The four vendor mocks over real HTTP on loopback: lifecycles, scenarios, the control API,
auth, paging and filters, web-hooks, determinism for a seed."""

from __future__ import annotations

import http.server
import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import httpx
import pytest

from _support import heidi_auth
from contracts import load_spec
from contracts.mock import DEFAULT_TOKEN, app, base_urls

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
EKA_BODY = {"upload_type": "chunked", "communication_protocol": "http",
            "templates": ["eka_emr_template", "clinical_notes_template"]}
RECORDING = {"recording": {"recordingUrls": ["https://uploads.example.com/s/1.m4a"],
                           "recordingContent": "Recording"}}
RTK_APP = "/accounts/acc-1/realtime/kit/app-1"


def client(server: Any, api: str, **kwargs: Any) -> httpx.Client:
    return httpx.Client(base_url=base_urls([api], server.url)[api], **kwargs)


# -- Eka -----------------------------------------------------------------------------------

def _eka_session(c: httpx.Client, scenario: str | None = None, **body: Any) -> str:
    headers = {"x-contracts-scenario": scenario} if scenario else {}
    r = c.post("/voice/v1/sessions", json={**EKA_BODY, **body}, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["session_id"])


def _eka_upload(c: httpx.Client, sid: str, count: int) -> None:
    """Upload ``count`` audio files to the session's upload_url, as Eka's SDKs do."""
    upload_url = c.get(f"/voice/v1/sessions/{sid}").json()["upload_url"]
    for i in range(count):
        r = c.post(f"{upload_url}/{i}.webm", content=b"RIFF-synthetic-audio",
                   headers={"content-type": "audio/webm"})
        assert r.status_code == 200 and r.json()["success"], r.text


def test_eka_lifecycle_completed(mock_server: Callable[..., Any]) -> None:
    with client(mock_server("eka"), "eka", headers=AUTH) as c:
        sid = _eka_session(c)
        first = c.get(f"/voice/v1/sessions/{sid}")
        assert (first.status_code, first.json()["status"]) == (202, "initialized")
        _eka_upload(c, sid, 2)
        ended = c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 2})
        assert ended.status_code == 202
        assert ended.json()["audio_files"] == ["0.webm", "1.webm"]
        polls = [c.get(f"/voice/v1/sessions/{sid}") for _ in range(3)]
        assert [p.status_code for p in polls] == [202, 200, 200]
        assert polls[0].json()["status"] == "processing"
        done = polls[1].json()
        assert done["status"] == "completed" and done["transcript"]
        assert [next(iter(t)) for t in done["templates"]] == EKA_BODY["templates"]
        assert c.post(f"/voice/v1/sessions/{sid}/end",
                      json={"audio_files_sent": 1}).json()["error"]["code"] == "session_ended"


def test_an_unknown_scenario_header_is_refused_not_ignored(
        mock_server: Callable[..., Any]) -> None:
    server = mock_server("eka")
    with client(server, "eka", headers=AUTH) as c:
        r = c.post("/voice/v1/sessions", json=EKA_BODY,
                   headers={"x-contracts-scenario": "parital"})
        assert r.status_code == 400
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["x-contracts-mock-error"] == "scenario"
        problem = r.json()
        assert problem["type"] == "urn:scribe-contracts:mock:scenario:unknown"
        assert "'parital'" in problem["detail"] and "partial" in problem["detail"]
        state = httpx.get(f"{server.url}/__contracts__/state").json()["eka"]
        assert len(state["sessions"]) == 0  # nothing was created


@pytest.mark.parametrize(("scenario", "status", "state"),
                         [("partial", 206, "partial"), ("failed", 200, "failed")])
def test_eka_scenarios(mock_server: Callable[..., Any], scenario: str, status: int,
                       state: str) -> None:
    with client(mock_server("eka", steps=0), "eka", headers=AUTH) as c:
        sid = _eka_session(c, scenario)
        _eka_upload(c, sid, 3)
        c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 3})
        r = c.get(f"/voice/v1/sessions/{sid}")
        assert (r.status_code, r.json()["status"]) == (status, state)
        if scenario == "partial":
            assert r.json()["processing_errors"][0]["file"] == "2.webm"
        else:
            assert r.json()["error"]["code"]


def test_eka_upload_url_takes_the_audio_and_end_session_counts_what_arrived(
        mock_server: Callable[..., Any]) -> None:
    with client(mock_server("eka", steps=0), "eka", headers=AUTH) as c:
        created = c.post("/voice/v1/sessions", json=EKA_BODY).json()
        sid, upload_url = created["session_id"], created["upload_url"]
        # Eka's SDKs POST raw bytes to {upload_url}/{file_name}; PUT and the bare URL work too.
        r = c.post(f"{upload_url}/audio_1.webm", content=b"chunk-1",
                   headers={"content-type": "audio/webm;codecs=opus"})
        assert (r.status_code, r.json()) == (200, {"session_id": sid, "success": True,
                                                   "original_filename": "audio_1.webm"})
        assert c.put(f"{upload_url}/audio_0.webm", content=b"chunk-0").status_code == 200
        assert c.post(upload_url, content=b"chunk-2",
                      headers={"content-type": "audio/wav"}).json()["original_filename"] == "2.wav"
        empty = c.post(f"{upload_url}/audio_3.webm", content=b"")
        assert (empty.status_code, empty.json()["error"]["code"]) == (400, "invalid_audio")
        assert c.post(upload_url, content=b"x", headers={"authorization": "Bearer wrong"}
                      ).status_code == 401
        # Told of more files than arrived: the documented mismatch, naming both counts.
        short = c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 5})
        assert (short.status_code, short.json()["error"]["code"]) == (400, "audio_files_mismatch")
        assert "(5)" in short.json()["error"]["message"] and "(3)" in short.json()["error"][
            "message"]
        ended = c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 3}).json()
        assert ended["audio_files_received"] == 3
        assert ended["audio_files"] == ["audio_0.webm", "audio_1.webm", "2.wav"]  # by number
        done = c.get(f"/voice/v1/sessions/{sid}").json()
        assert (done["audio_files_received"], done["audio_files"]) == (3, ended["audio_files"])
        late = c.post(f"{upload_url}/audio_4.webm", content=b"late")
        assert (late.status_code, late.json()["error"]["code"]) == (400, "session_ended")
        missing = c.post("/voice/v1/sessions/ses_nope/audio/0.webm", content=b"x")
        assert (missing.status_code, missing.json()["error"]["code"]) == (404,
                                                                        "session_not_found")
        # A client that uploads nothing is told nothing arrived, not what it claimed.
        bare = _eka_session(c)
        nothing = c.post(f"/voice/v1/sessions/{bare}/end", json={"audio_files_sent": 2}).json()
        assert (nothing["audio_files_received"], nothing["audio_files"]) == (0, [])


def test_eka_partial_skips_an_uploaded_file(mock_server: Callable[..., Any]) -> None:
    with client(mock_server("eka", steps=0), "eka", headers=AUTH) as c:
        sid = _eka_session(c, "partial")
        upload_url = c.get(f"/voice/v1/sessions/{sid}").json()["upload_url"]
        for name in ("take_0.wav", "take_1.wav"):
            c.post(f"{upload_url}/{name}", content=b"audio")
        c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 2})
        body = c.get(f"/voice/v1/sessions/{sid}").json()
        assert body["audio_files_processed"] == 1
        assert body["processing_errors"][0]["file"] == "take_1.wav"


def test_eka_expiry_filtering_and_404(mock_server: Callable[..., Any]) -> None:
    server = mock_server("eka", steps=0)
    with client(server, "eka", headers=AUTH) as c:
        expired = _eka_session(c, "expired")
        r = c.get(f"/voice/v1/sessions/{expired}")
        assert (r.status_code, r.json()["status"]) == (410, "expired")
        open_one = _eka_session(c)
        assert c.get(f"/voice/v1/sessions/{open_one}").status_code == 202
        httpx.post(f"{server.url}/__contracts__/sessions/{open_one}/advance")
        assert c.get(f"/voice/v1/sessions/{open_one}").status_code == 410
        sid = _eka_session(c)
        c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 1})
        for param in ("template_id", "document_id"):
            only = c.get(f"/voice/v1/sessions/{sid}", params={param: "clinical_notes_template"})
            assert [next(iter(t)) for t in only.json()["templates"]] == [
                "clinical_notes_template"]
        missing = c.get("/voice/v1/sessions/ses_nothing_here_0000")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "session_not_found"


def test_eka_steps_and_control_api(mock_server: Callable[..., Any]) -> None:
    server = mock_server("eka", steps=3)
    control = f"{server.url}/__contracts__"
    with client(server, "eka", headers=AUTH) as c:
        sid = _eka_session(c)
        c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 1})
        codes = [c.get(f"/voice/v1/sessions/{sid}").status_code for _ in range(4)]
        assert codes == [202, 202, 202, 200]
        other = _eka_session(c)
        c.post(f"/voice/v1/sessions/{other}/end", json={"audio_files_sent": 1})
        moved = httpx.post(f"{control}/sessions/{other}/advance").json()
        assert moved == {"api": "eka", "session_id": other, "state": "done"}
        assert c.get(f"/voice/v1/sessions/{other}").status_code == 200
        assert httpx.post(f"{control}/scenario", json={"scenario": "partial"}).status_code == 200
        assert httpx.post(f"{control}/scenario", json={"scenario": "nope"}).status_code == 400
        third = _eka_session(c)
        c.post(f"/voice/v1/sessions/{third}/end", json={"audio_files_sent": 1})
        httpx.post(f"{control}/sessions/{third}/advance", json={"to": "done"})
        assert c.get(f"/voice/v1/sessions/{third}").status_code == 206
        state = httpx.get(f"{control}/state").json()["eka"]
        assert state["scenario"] == "partial" and len(state["sessions"]) == 3
        assert httpx.post(f"{control}/reset").status_code == 200
        assert c.get(f"/voice/v1/sessions/{sid}").status_code == 404
        assert httpx.get(f"{control}/state").json()["eka"]["scenario"] is None
        assert httpx.post(f"{control}/sessions/{sid}/advance").status_code == 404


def test_eka_time_based_steps(mock_server: Callable[..., Any]) -> None:
    with client(mock_server("eka", step_seconds=0), "eka", headers=AUTH) as c:
        sid = _eka_session(c)
        c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 1})
        assert c.get(f"/voice/v1/sessions/{sid}").status_code == 200


# -- Upheal --------------------------------------------------------------------------------

class _Receiver(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.received.append(({k.lower(): v for k, v in self.headers.items()},
                              json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], Any]]]]:
    received: ClassVar[list[tuple[dict[str, str], Any]]] = []
    handler = type("Handler", (_Receiver,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/upheal", received
    server.shutdown()
    server.server_close()


def test_upheal_lifecycle_and_webhook(mock_server: Callable[..., Any],
                                      webhook_receiver: tuple[str, list[Any]]) -> None:
    url, received = webhook_receiver
    server = mock_server("upheal", webhook_url=url)
    with client(server, "upheal", headers=AUTH) as c:
        sid = c.post("/sessions", json={
            "providerUserId": "prov-1", "clientUserId": "client-1", "sessionType": "Soap",
            "input": RECORDING, "partnerAppointmentId": "appt-0001"}).json()["sessionId"]
        states = [c.get(f"/sessions/{sid}").json() for _ in range(4)]
        assert [s["state"] for s in states] == ["InProgress", "Processing", "Done", "Done"]
        done = states[2]
        for key in ("transcript", "topics", "namedEntities", "notes", "analyticsSummary"):
            assert done[key], key
        assert [n["noteTemplateId"] for n in done["notes"]] == done["noteTemplateIds"]
        assert done["transcript"]["speakerMapping"] == {"A": "prov-1", "B": "client-1"}
        assert set(done["analyticsSummary"]["talkingRatio"]) == {"prov-1", "client-1"}
        assert "transcript" not in states[0] and "notes" not in states[1]
    for _ in range(200):
        if received:
            break
        threading.Event().wait(0.01)
    assert len(received) == 1
    headers, payload = received[0]
    assert re.fullmatch(r"[0-9]+", headers["x-upheal-timestamp"])
    assert re.fullmatch(r"[0-9a-f]{64}", headers["x-upheal-signature"])
    assert payload == {"sessionId": sid, "partnerAppointmentId": "appt-0001",
                       "event": "SessionProcessed", "state": "Done"}
    deliveries = httpx.get(f"{server.url}/__contracts__/state").json()["upheal"]["webhooks"]
    assert deliveries[0]["attempts"] == 1


def test_upheal_time_based_webhook_needs_no_poll(mock_server: Callable[..., Any],
                                                 webhook_receiver: tuple[str, list[Any]]
                                                 ) -> None:
    url, received = webhook_receiver
    server = mock_server("upheal", step_seconds=0, webhook_url=url)
    with client(server, "upheal", headers=AUTH) as c:
        sid = c.post("/sessions", json={"providerUserId": "p", "sessionType": "Soap",
                                        "input": RECORDING}).json()["sessionId"]
    for _ in range(500):  # a bounded wait for the background delivery, not a timing check
        if received:
            break
        threading.Event().wait(0.01)
    assert [payload["sessionId"] for _headers, payload in received] == [sid]


@pytest.mark.parametrize(("words", "state", "code"), [
    (20, "Error", "low-content-transcript"), (200, "Done", None)])
def test_upheal_text_input(mock_server: Callable[..., Any], words: int, state: str,
                           code: str | None) -> None:
    with client(mock_server("upheal", steps=0), "upheal", headers=AUTH) as c:
        sid = c.post("/sessions", json={"providerUserId": "p", "clientPronouns": "NeutralThem",
                                        "sessionType": "Intake",
                                        "input": {"text": {"text": " ".join(["note"] * words)}}}
                     ).json()["sessionId"]
        body = c.get(f"/sessions/{sid}").json()
        assert body["state"] == state
        assert (body.get("error") or {}).get("code") == code


def test_upheal_errors(mock_server: Callable[..., Any]) -> None:
    server = mock_server("upheal")
    ok = {"providerUserId": "p", "sessionType": "Soap", "input": RECORDING}
    with client(server, "upheal", headers=AUTH) as c, client(server, "upheal") as anon:
        both = c.post("/sessions", json={**ok, "clientUserId": "c",
                                         "clientPronouns": "FeminineHer"})
        assert both.status_code == 400 and both.json()["code"] == "invalid-input"
        assert c.post("/sessions", json={**ok, "sessionType": "Poetry"}).status_code == 400
        assert c.post("/sessions", json=ok, headers={"x-contracts-scenario": "forbidden"}
                      ).status_code == 403
        assert anon.post("/sessions", json=ok).json() == {"message": "Invalid API Key",
                                                          "code": "invalid-api-key"}
        assert anon.post("/sessions", json=ok).status_code == 401
        assert anon.get("/sessions/x").status_code == 403  # the page documents 403 here
        assert c.get("/sessions/x").json()["message"] == "Record with given ID wasn't found."
        wrong = c.post("/sessions", json=ok, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401


def test_upheal_error_scenario_and_advance(mock_server: Callable[..., Any]) -> None:
    server = mock_server("upheal", scenario="error")
    with client(server, "upheal", headers=AUTH) as c:
        sid = c.post("/sessions", json={"providerUserId": "p", "sessionType": "Soap",
                                        "input": RECORDING}).json()["sessionId"]
        moved = httpx.post(f"{server.url}/__contracts__/sessions/{sid}/advance",
                           json={"to": "Error"}).json()
        assert moved["state"] == "Error"
        assert c.get(f"/sessions/{sid}").json()["error"]["code"] == "file-conversion-failed"


@pytest.mark.parametrize(("body", "why"), [
    ({"providerUserId": "p", "sessionType": "Soap", "input": RECORDING},
     "its scenario is 'error'"),
    ({"providerUserId": "p", "sessionType": "Soap",
      "input": {"text": {"text": "Too short to make notes from."}}},
     "fewer than 140 words"),
])
def test_advancing_to_a_state_the_session_cannot_reach_says_which_it_can_and_why(
        mock_server: Callable[..., Any], body: dict[str, Any], why: str) -> None:
    server = mock_server("upheal")
    with client(server, "upheal", headers=AUTH) as c:
        headers = {"x-contracts-scenario": "error"} if "error" in why else {}
        sid = c.post("/sessions", json=body, headers=headers).json()["sessionId"]
        refused = httpx.post(f"{server.url}/__contracts__/sessions/{sid}/advance",
                             json={"to": "Done"})
        assert refused.status_code == 400
        detail = refused.json()["detail"]
        assert "cannot reach the state 'Done'" in detail and why in detail, detail
        assert "it can reach InProgress, Processing, Error" in detail, detail
        assert "unknown state" not in detail


def test_a_400_quotes_the_pages_wording(mock_server: Callable[..., Any]) -> None:
    with client(mock_server("upheal"), "upheal", headers=AUTH) as c:
        r = c.post("/sessions", json={"providerUserId": "p", "sessionType": "Soap",
                                      "clientUserId": "c", "clientPronouns": "NeutralThem",
                                      "input": RECORDING})
        assert r.status_code == 400 and r.json()["code"] == "invalid-input"
        # Upheal's page: "Cannot be used together with clientUserId." (on clientPronouns).
        assert "clientPronouns: Cannot be used together with clientUserId." in r.json()[
            "message"]
        assert "must not match" not in r.text


# -- Heidi ---------------------------------------------------------------------------------

def test_heidi_jwt_create_patch(mock_server: Callable[..., Any]) -> None:
    server = mock_server("heidi")
    with client(server, "heidi") as c:
        assert c.get("/jwt").status_code == 401
        jwt = c.get("/jwt", params={"email": "test@example.com", "third_party_internal_id": "1"},
                    headers={"Heidi-Api-Key": DEFAULT_TOKEN}).json()
        assert jwt["token"].count(".") == 2 and jwt["expiration_time"].endswith("Z")
        bearer = {"Authorization": f"Bearer {jwt['token']}"}
        forged = {"Authorization": f"Bearer {jwt['token'][:-4]}AAAA"}
        sid = c.post("/sessions", json={"ehr_appointment_id": "EHR-9"}, headers=bearer).json()[
            "session_id"]
        assert c.get(f"/sessions/{sid}", headers=forged).status_code == 401
        # The key itself is no Bearer token at Heidi: refused, and nothing is changed.
        assert c.patch(f"/sessions/{sid}", headers=AUTH, json={"duration": 1}).status_code == 401
        first = c.patch(f"/sessions/{sid}", headers=bearer, json={
            "duration": 60, "patient": {"name": "Test Patient 0001", "gender": "MALE"}})
        second = c.patch(f"/sessions/{sid}", headers=bearer,
                         json={"patient": {"dob": "1990-01-01"}, "language_code": "es"})
        assert first.status_code == second.status_code == 200
        session = c.get(f"/sessions/{sid}", headers=bearer).json()["session"]
        assert session["patient"] == {"name": "Test Patient 0001", "gender": "MALE",
                                      "dob": "1990-01-01"}
        assert (session["duration"], session["language_code"]) == (60, "es")
        assert session["ehr_appt_id"] == "EHR-9"
        missing = c.get("/sessions/123", headers=bearer)
        assert (missing.status_code, missing.json()) == (404, {"detail": {
            "msg": "Session not found", "type": "SessionNotFoundError"}})
        invalid = c.patch(f"/sessions/{sid}", headers=bearer, json={"duration": "long"})
        assert invalid.status_code == 422
        assert invalid.json()["detail"][0]["loc"] == ["body", "duration"]


def test_heidi_linked_user_paging(mock_server: Callable[..., Any]) -> None:
    server = mock_server("heidi")
    base = base_urls(["heidi"], server.url)["heidi"]
    with client(server, "heidi", headers=heidi_auth(base)) as c:
        for _ in range(2):
            c.post("/sessions", json={})
        seen: list[str] = []
        page: int | None = 1
        while page is not None:
            body = c.get("/sessions/linked-user", params={"page_size": 4, "page": page}).json()
            assert body["count"] == len(body["sessions"]) <= 4
            seen.extend(s["session_id"] for s in body["sessions"])
            assert body["has_next_page"] == (body["next_page"] is not None)
            page = body["next_page"]
        assert len(seen) == len(set(seen)) == body["total_count"] == 15
        httpx.post(f"{server.url}/__contracts__/scenario", json={"scenario": "no_linked_user"})
        refused = c.get("/sessions/linked-user")
        assert refused.status_code == 403
        assert refused.json()["detail"]["type"] == "NoLinkedUserException"


# -- RealtimeKit ---------------------------------------------------------------------------

def test_realtimekit_listing(mock_server: Callable[..., Any]) -> None:
    with client(mock_server("realtimekit"), "realtimekit", headers=AUTH) as c:
        everything = c.get(f"{RTK_APP}/sessions", params={"per_page": 100}).json()
        total = everything["paging"]["total_count"]
        assert total == len(everything["data"]["sessions"]) > 10
        created = [s["created_at"] for s in everything["data"]["sessions"]]
        assert created == sorted(created, reverse=True)  # default: newest first
        ids: list[str] = []
        for page_no in range(1, 5):
            page = c.get(f"{RTK_APP}/sessions", params={"per_page": 7, "page_no": page_no}).json()
            ids.extend(s["id"] for s in page["data"]["sessions"])
        assert ids == [s["id"] for s in everything["data"]["sessions"]]
        by_minutes = c.get(f"{RTK_APP}/sessions", params={
            "sort_by": "minutesConsumed", "sort_order": "ASC", "per_page": 100}).json()
        minutes = [s["minutes_consumed"] for s in by_minutes["data"]["sessions"]]
        assert minutes == sorted(minutes)
        live = c.get(f"{RTK_APP}/sessions", params={"status": "LIVE"}).json()["data"]["sessions"]
        assert live and all(s["status"] == "LIVE" and "ended_at" not in s for s in live)
        title = everything["data"]["sessions"][3]["meeting_display_name"]
        found = c.get(f"{RTK_APP}/sessions", params={"search": title}).json()["data"]["sessions"]
        assert [s["meeting_display_name"] for s in found] == [title]
        assert c.get(f"{RTK_APP}/sessions", params={"start_time": "yesterday"}).status_code == 400


@pytest.mark.parametrize(("filters", "metadata", "quality", "events"), [
    ("device_info", ["device_info"], False, False),
    ("quality_stats", None, True, False),
    ("events", None, False, True),
    ("device_info,events", ["device_info"], False, True),
    ("ip_information,device_info,quality_stats", ["device_info", "ip_information"], True, False),
    ("", ["device_info", "ip_information", "precall_network_information", "sdk_name"], True,
     False),  # filters= is the empty list: the whole report
])
def test_realtimekit_peer_report_filters(mock_server: Callable[..., Any], filters: str,
                                         metadata: list[str] | None, quality: bool,
                                         events: bool) -> None:
    # "Comma separated list of filters to apply": one filter or several, each part answered.
    with client(mock_server("realtimekit"), "realtimekit", headers=AUTH) as c:
        sid = c.get(f"{RTK_APP}/sessions", params={"status": "ENDED"}).json()["data"][
            "sessions"][0]["id"]
        pid = c.get(f"{RTK_APP}/sessions/{sid}/participants").json()["data"][
            "participants"][0]["id"]
        answer = c.get(f"{RTK_APP}/sessions/peer-report/{pid}", params={"filters": filters})
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        report = data.get("peer_report", {})
        assert (sorted(report["metadata"]) if "metadata" in report else None) == metadata
        assert ("quality" in report) is quality
        assert ("peer_events" in data) is events
        refused = c.get(f"{RTK_APP}/sessions/peer-report/{pid}",
                        params={"filters": "device_info, events"})  # "no spaces"
        assert refused.status_code == 400


def test_realtimekit_session_resources(mock_server: Callable[..., Any]) -> None:
    server = mock_server("realtimekit")
    with client(server, "realtimekit", headers=AUTH) as c:
        sessions = c.get(f"{RTK_APP}/sessions", params={"status": "ENDED", "per_page": 50}
                         ).json()["data"]["sessions"]
        sid = sessions[0]["id"]
        details = c.get(f"{RTK_APP}/sessions/{sid}").json()["data"]
        assert details == sessions[0]
        plain = c.get(f"{RTK_APP}/sessions/{sid}/participants").json()["data"]["participants"]
        assert plain and all("peer_events" not in p for p in plain)
        with_events = c.get(f"{RTK_APP}/sessions/{sid}/participants",
                            params={"include_peer_events": "true"}).json()["data"]["participants"]
        assert [e["event_name"] for e in with_events[0]["peer_events"]] == [
            "PEER_JOINING", "PEER_LEAVING"]
        pid = plain[0]["id"]
        one = c.get(f"{RTK_APP}/sessions/{sid}/participants/{pid}").json()["data"]["participant"]
        assert one == plain[0]
        report = c.get(f"{RTK_APP}/sessions/peer-report/{pid}").json()["data"]
        assert report["session_id"] == sid and report["peer_report"]["metadata"]
        assert set(report["peer_report"]) == {"metadata", "quality"} and "peer_events" not in report
        chat = c.get(f"{RTK_APP}/sessions/{sid}/chat").json()["data"]
        assert chat["chat_download_url"].startswith("https://")
        assert chat["chat_download_url_expiry"].endswith("Z")
        vtt = c.get(f"{RTK_APP}/sessions/{sid}/transcript", params={"format": "VTT"}).json()
        assert ".vtt?" in vtt["data"]["transcript_download_url"]
        no_summary = next(s["id"] for s in sessions
                          if c.get(f"{RTK_APP}/sessions/{s['id']}/summary").status_code == 404)
        started = c.post(f"{RTK_APP}/sessions/{no_summary}/summary").json()
        assert started == {"success": True, "data": {"session_id": no_summary,
                                                     "status": "PROCESSING"}}
        assert c.get(f"{RTK_APP}/sessions/{no_summary}/summary").status_code == 200


def test_realtimekit_any_account_and_seed(mock_server: Callable[..., Any]) -> None:
    def first_ids(server: Any, account: str) -> list[str]:
        with client(server, "realtimekit", headers=AUTH) as c:
            body = c.get(f"/accounts/{account}/realtime/kit/app/sessions").json()
        return [s["id"] for s in body["data"]["sessions"]]

    a, b, other = (mock_server("realtimekit", seed=s) for s in (1, 1, 2))
    assert first_ids(a, "x") == first_ids(b, "x")
    assert first_ids(a, "x") != first_ids(other, "x")
    assert first_ids(a, "x") != first_ids(a, "y")


def test_realtimekit_advance_ends_a_live_session(mock_server: Callable[..., Any]) -> None:
    server = mock_server("realtimekit")
    with client(server, "realtimekit", headers=AUTH) as c:
        live = c.get(f"{RTK_APP}/sessions", params={"status": "LIVE"}).json()["data"][
            "sessions"][0]["id"]
        assert c.get(f"{RTK_APP}/sessions/{live}/transcript").status_code == 404
        httpx.post(f"{server.url}/__contracts__/sessions/{live}/advance")
        ended = c.get(f"{RTK_APP}/sessions/{live}").json()["data"]
        assert ended["status"] == "ENDED" and ended["ended_at"]
        assert c.get(f"{RTK_APP}/sessions/{live}/transcript").status_code == 200


# -- all vendors ---------------------------------------------------------------------------

def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "test-id", path)


@pytest.mark.parametrize("api", ["upheal", "heidi", "eka", "realtimekit"])
def test_every_operation_refuses_a_missing_or_wrong_token(mock_server: Callable[..., Any],
                                                          api: str) -> None:
    server = mock_server(api)
    base = base_urls([api], server.url)[api]
    with httpx.Client(base_url=base) as c:
        for op in load_spec(api).operations:
            # An operation whose spec says `security: []` (Eka's client login) takes no token.
            open_door = op.node.value.get("security") == []
            for headers in ({}, {"Authorization": "Bearer wrong-token"},
                            {"Authorization": f"Basic {DEFAULT_TOKEN}"}):
                r = c.request(op.method.upper(), _concrete(op.path), headers=headers)
                documented = 403 if (api, op.operation_id) == ("upheal", "getSession") else 401
                if open_door:
                    assert r.status_code not in (401, 403), (op.operation_id, headers)
                else:
                    assert r.status_code == documented, (op.operation_id, headers)


def test_one_process_serves_all_four(mock_server: Callable[..., Any]) -> None:
    server = mock_server("all")
    urls = base_urls(["upheal", "heidi", "eka", "realtimekit"], server.url)
    assert urls["realtimekit"] == f"{server.url}/client/v4"
    with httpx.Client(headers=AUTH) as c:
        assert c.get(urls["heidi"] + "/sessions/linked-user",
                     headers=heidi_auth(urls["heidi"])).status_code == 200
        assert c.post(urls["eka"] + "/voice/v1/sessions", json=EKA_BODY).status_code == 201
        assert c.get(urls["realtimekit"] + RTK_APP + "/sessions").status_code == 200
        assert c.post(urls["upheal"] + "/sessions", json={
            "providerUserId": "p", "sessionType": "Soap", "input": RECORDING}).status_code == 200
        unknown = c.get(f"{server.url}/voice/v1/nothing")
        assert unknown.status_code == 404 and "error" in unknown.json()  # Eka's error body
    state = httpx.get(f"{server.url}/__contracts__/state").json()
    assert set(state) == {"upheal", "heidi", "eka", "realtimekit"}


def test_same_seed_same_answers(mock_server: Callable[..., Any]) -> None:
    def run(seed: int) -> list[Any]:
        with client(mock_server("eka", seed=seed, steps=0), "eka", headers=AUTH) as c:
            sid = _eka_session(c)
            c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 2})
            body = c.get(f"/voice/v1/sessions/{sid}").json()
        for volatile in ("upload_url",):  # carries the server's port
            body.pop(volatile)
        return [sid, body]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_options_are_checked() -> None:
    from contracts import UsageError

    for bad in ({"error_rate": 2}, {"steps": -1}, {"drift": "sideways"}, {"prefix": "x/"},
                {"scenario": "no-such-scenario"}, {"token": ""}):
        with pytest.raises(UsageError):
            app("eka", **bad)
    with pytest.raises(UsageError):
        app("acme")


def test_prefix_and_method_not_allowed(mock_server: Callable[..., Any]) -> None:
    server = mock_server("eka", prefix="/vendors/eka")
    with httpx.Client(base_url=server.url, headers=AUTH) as c:
        assert c.post("/vendors/eka/voice/v1/sessions", json=EKA_BODY).status_code == 201
        assert c.post("/voice/v1/sessions", json=EKA_BODY).status_code == 404
        wrong = c.delete("/vendors/eka/voice/v1/sessions/x")
        assert wrong.status_code == 405 and "GET" in wrong.headers["allow"]
        assert c.post("/vendors/eka/voice/v1/sessions").status_code == 422  # body required


@pytest.mark.parametrize(("api", "shape"), [
    ("eka", lambda b: b["error"]["code"] == "not_found"),
    ("heidi", lambda b: b["detail"]["type"] == "not_found"),
    ("upheal", lambda b: b["code"] == "not_found"),
    ("realtimekit", lambda b: b["success"] is False and b["errors"][0]["message"]),
])
def test_an_unknown_path_answers_in_the_vendors_error_shape(
        mock_server: Callable[..., Any], api: str, shape: Callable[[Any], bool]) -> None:
    server = mock_server(api)
    for path in ("/nope", "/", "/v9/whatever"):
        r = httpx.get(server.url + path, headers=AUTH)
        assert r.status_code == 404 and r.headers["content-type"] == "application/json"
        body = r.json()
        assert body != {"detail": "Not Found"} and shape(body), body
        assert path in r.text  # says what was not found


def test_an_unknown_path_of_a_several_vendor_mock_is_one_documented_problem(
        mock_server: Callable[..., Any]) -> None:
    r = httpx.get(mock_server("all").url + "/nope")
    assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json")
    problem = r.json()
    assert problem["type"] == "urn:scribe-contracts:mock:not-found"
    assert problem["title"] == "Not Found" and "'/nope'" in problem["detail"]
    assert all(api in problem["detail"] for api in ("eka", "heidi", "upheal", "realtimekit"))
