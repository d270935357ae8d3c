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


def test_eka_lifecycle_completed(mock_server: Callable[..., Any]) -> None:
    with client(mock_server("eka"), "eka", headers=AUTH) as c:
        sid = _eka_session(c)
        first = c.get(f"/voice/v1/sessions/{sid}")
        assert (first.status_code, first.json()["status"]) == (202, "initialized")
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
        c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 3})
        r = c.get(f"/voice/v1/sessions/{sid}")
        assert (r.status_code, r.json()["status"]) == (status, state)
        if scenario == "partial":
            assert r.json()["processing_errors"][0]["file"] == "2.webm"
        else:
            assert r.json()["error"]["code"]


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
        first = c.patch(f"/sessions/{sid}", headers=AUTH, json={
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
    with client(server, "heidi", headers=AUTH) as c:
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
        assert c.get(urls["heidi"] + "/sessions/linked-user").status_code == 200
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
