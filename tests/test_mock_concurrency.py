"""Under concurrent clients running full lifecycles the mock answers no 5xx and its state stays
consistent (bounded: 32 threads x 2 lifecycles per vendor, on one all-vendor server)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx

from _support import heidi_auth
from contracts.mock import DEFAULT_TOKEN, base_urls

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
THREADS, ROUNDS, MAX_POLLS = 32, 2, 10


def _worker(n: int, urls: dict[str, str], heidi: dict[str, str], out: dict[str, Any]) -> None:
    statuses: list[int] = []

    def hook(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    mine: dict[str, list[str]] = {"eka": [], "upheal": [], "heidi": []}
    with httpx.Client(headers=AUTH, event_hooks={"response": [hook]}, timeout=30) as c:
        for r in range(ROUNDS):
            sid = c.post(urls["eka"] + "/voice/v1/sessions", json={
                "upload_type": "chunked", "communication_protocol": "http"}).json()["session_id"]
            mine["eka"].append(sid)
            c.post(f"{urls['eka']}/voice/v1/sessions/{sid}/end", json={"audio_files_sent": n})
            for _ in range(MAX_POLLS):
                if c.get(f"{urls['eka']}/voice/v1/sessions/{sid}").status_code == 200:
                    break

            uid = c.post(urls["upheal"] + "/sessions", json={
                "providerUserId": f"prov-{n}", "sessionType": "Soap",
                "input": {"recording": {"recordingUrls": ["https://uploads.example.com/a.m4a"],
                                        "recordingContent": "Recording"}}}).json()["sessionId"]
            mine["upheal"].append(uid)
            for _ in range(MAX_POLLS):
                if c.get(f"{urls['upheal']}/sessions/{uid}").json()["state"] == "Done":
                    break

            hid = c.post(urls["heidi"] + "/sessions", json={}, headers=heidi).json()[
                "session_id"]
            mine["heidi"].append(hid)
            c.patch(f"{urls['heidi']}/sessions/{hid}", json={"duration": n * 100 + r},
                    headers=heidi)
            got = c.get(f"{urls['heidi']}/sessions/{hid}", headers=heidi).json()["session"][
                "duration"]
            if got != n * 100 + r:
                out.setdefault("mixups", []).append((hid, got))

            rtk = urls["realtimekit"] + "/accounts/load/realtime/kit/app/sessions"
            listed = c.get(rtk, params={"status": "ENDED", "per_page": 3}).json()
            c.post(f"{rtk}/{listed['data']['sessions'][n % 3]['id']}/summary")
    out[n] = (statuses, mine)


def test_concurrent_lifecycles_keep_state_consistent(mock_server: Callable[..., Any]) -> None:
    server = mock_server("all")
    urls = base_urls(["upheal", "heidi", "eka", "realtimekit"], server.url)
    out: dict[Any, Any] = {}
    heidi = heidi_auth(urls["heidi"])  # Heidi takes the JWT of GET /jwt, not the key
    threads = [threading.Thread(target=_worker, args=(n, urls, heidi, out))
               for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert "mixups" not in out
    results = [out[n] for n in range(THREADS)]
    statuses = [s for r in results for s in r[0]]
    assert statuses and not [s for s in statuses if s >= 500]
    assert set(statuses) <= {200, 201, 202}

    state = httpx.get(f"{server.url}/__contracts__/state").json()
    eka = {sid for r in results for sid in r[1]["eka"]}
    upheal = {sid for r in results for sid in r[1]["upheal"]}
    heidi = {sid for r in results for sid in r[1]["heidi"]}
    assert len(eka) == len(upheal) == len(heidi) == THREADS * ROUNDS  # no id handed out twice
    assert set(state["eka"]["sessions"]) == eka
    assert {s["state"] for s in state["eka"]["sessions"].values()} == {"done"}
    assert set(state["upheal"]["sessions"]) == upheal
    assert {s["state"] for s in state["upheal"]["sessions"].values()} == {"Done"}
    assert heidi <= set(state["heidi"]["sessions"])
    assert all(state["heidi"]["sessions"][h]["updates"] == 1 for h in heidi)
    summaries = state["realtimekit"]["apps"]["load/app"]
    assert all(s["summary"] in ("READY", "PROCESSING") for s in summaries.values()
               if s["status"] == "ENDED" and s["summary"] is not None)
