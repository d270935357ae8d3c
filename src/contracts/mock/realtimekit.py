"""Cloudflare RealtimeKit mock: seeded sessions for any account and app id; the session list
with paging, filters and sorting; details; participants and participant details (with peer
events on request); chat, transcript and summary download URLs with expiry; POST summary
generation; the peer report."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from ._synth import clinician_name, iso, patient_name, uuid_from
from ._vendor import Call, Reply, Vendor, handles

__all__ = ["RealtimeKitMock"]

SEEDED_SESSIONS = 24
_METADATA_FILTERS = ("device_info", "ip_information", "precall_network_information")
"""The peer-report ``filters`` that select a part of ``peer_report.metadata``."""
_TITLES = ("Follow-up consultation", "Intake session", "Therapy session", "Medication review",
           "Group check-in")


@dataclass
class _Participant:
    data: dict[str, Any]
    events: list[dict[str, Any]]


@dataclass
class _Session:
    data: dict[str, Any]
    participants: list[_Participant]
    summary: str | None  # None, "PROCESSING" or "READY"
    breakout_rooms: list[dict[str, Any]] = field(default_factory=list)


def _when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _seconds(text: str) -> float:
    moment = _when(text)
    return moment.timestamp() if moment is not None else 0.0


class RealtimeKitMock(Vendor):
    api = "realtimekit"
    scenarios: ClassVar[dict[str, str]] = {
        "default": "seeded sessions, summaries ready on most ended sessions",
    }
    enum_fields: ClassVar[dict[str, str]] = {"status": "PAUSED"}

    def reset(self) -> None:
        self.apps: dict[tuple[str, str], dict[str, _Session]] = {}

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"success": False, "errors": [{"code": status * 10 if status >= 400 else 10000,
                                              "message": message}]}

    def unauthorized(self, call: Call) -> Reply:
        return Reply(401, {"success": False,
                           "errors": [{"code": 10000, "message": "Authentication error"}]})

    # -- seeded state --------------------------------------------------------------------
    def _app(self, call: Call) -> dict[str, _Session]:
        key = (call.path_params["account_id"], call.path_params["app_id"])
        sessions = self.apps.get(key)
        if sessions is None:
            sessions = {}
            for i in range(SEEDED_SESSIONS):
                session = self._seed(key, i)
                sessions[session.data["id"]] = session
            self.apps[key] = sessions
        return sessions

    def _seed(self, key: tuple[str, str], i: int) -> _Session:
        rng = self.rng("session", *key, i)
        sid = uuid_from(rng)
        start = i * 3600 + rng.randrange(0, 600)
        live = i % 6 == 5
        minutes = round(rng.uniform(5, 55), 1)
        people = 2 + (i % 3 == 0)
        participants = []
        for n in range(people):
            joined = start + 3 + n * rng.randrange(5, 90)
            duration = round(minutes - n * 0.7, 1)
            pid = uuid_from(rng)
            data: dict[str, Any] = {
                "id": pid,
                "created_at": iso(joined - 1),
                "custom_participant_id": (f"clinician-{i:04d}" if n == 0 else
                                          f"patient-{i:04d}-{n}"),
                "display_name": clinician_name(i % 40) if n == 0 else patient_name(i * 3 + n),
                "duration": duration,
                "joined_at": iso(joined),
                "preset_name": "group_call_host" if n == 0 else "group_call_participant",
                "updated_at": iso(joined + duration * 60),
                "user_id": uuid_from(rng),
            }
            if not live:
                data["left_at"] = iso(joined + duration * 60)
            events = [{"id": uuid_from(rng), "event_name": "PEER_JOINING",
                       "created_at": iso(joined), "participant_id": pid, "peer_id": pid,
                       "session_id": sid}]
            if not live:
                events.append({"id": uuid_from(rng), "event_name": "PEER_LEAVING",
                               "created_at": data["left_at"], "participant_id": pid,
                               "peer_id": pid, "session_id": sid})
            participants.append(_Participant(data, events))
        session = {
            "id": sid,
            "associated_id": uuid_from(rng) if i % 4 else f"synthr-oom{i:03d}",
            "created_at": iso(start),
            "live_participants": people if live else 0,
            "max_concurrent_participants": people,
            "meeting_display_name": f"{_TITLES[i % len(_TITLES)]} {i:04d}",
            "minutes_consumed": minutes,
            "organization_id": key[1],
            "started_at": iso(start),
            "status": "LIVE" if live else "ENDED",
            "type": "meeting",
            "updated_at": iso(start + minutes * 60),
            "meta": {"room_name": f"synthetic-room-{i % 7}"},
        }
        if not live:
            session["ended_at"] = iso(start + minutes * 60)
        rooms = [{"id": uuid_from(rng), "name": "Breakout 1"}] if i % 5 == 2 else []
        summary = "READY" if not live and i % 3 else None
        return _Session(session, participants, summary, rooms)

    def _session(self, call: Call) -> _Session | None:
        return self._app(call).get(call.path_params["session_id"])

    def _ok(self, data: Any, **extra: Any) -> Reply:
        return Reply(200, {"success": True, "data": data, **extra})

    def _missing(self, what: str) -> Reply:
        return self.error(404, "not_found", f"{what} not found")

    @staticmethod
    def _expiry() -> str:
        # Download URLs expire by the wall clock (one hour ahead), unlike the seeded data.
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(int(time.time()) + 3600))

    @staticmethod
    def _page(call: Call, default: int) -> tuple[int, int] | str:
        try:
            page = float(call.query.get("page_no") or 1)
            size = float(call.query.get("per_page") or default)
        except ValueError:
            return "page_no and per_page must be numbers"
        if not (math.isfinite(page) and math.isfinite(size)):
            return "page_no and per_page must be finite numbers"
        # Out-of-range numbers are clamped, not refused: the SDK types both as any number.
        return max(int(page), 1), min(max(int(size), 1), 1000)

    # -- handlers ------------------------------------------------------------------------
    @handles("getSessions")
    def list_sessions(self, call: Call) -> Reply:
        q = call.query
        rows = [s for s in self._app(call).values()]
        if q.get("status"):
            rows = [s for s in rows if s.data["status"] == q["status"]]
        if q.get("associated_id"):
            rows = [s for s in rows if s.data["associated_id"] == q["associated_id"]]
        if q.get("search"):
            needle = q["search"].lower()
            rows = [s for s in rows if any(needle in str(s.data[k]).lower() for k in
                                           ("meeting_display_name", "associated_id", "id"))]
        if q.get("participants"):
            needle = q["participants"].lower()
            rows = [s for s in rows if any(needle in str(p.data[k]).lower()
                                           for p in s.participants
                                           for k in ("id", "display_name",
                                                     "custom_participant_id"))]
        for name, sign in (("start_time", 1), ("end_time", -1)):
            if q.get(name):
                bound = _when(q[name])
                if bound is None or bound.tzinfo is None:
                    return self.error(400, "bad_request",
                                      f"{name} must be an ISO 8601 time with a zone")
                rows = [s for s in rows if sign * (_seconds(s.data["created_at"])
                                                   - bound.timestamp()) >= 0]
        key = "minutes_consumed" if q.get("sort_by") == "minutesConsumed" else "created_at"
        rows.sort(key=lambda s: (s.data[key], s.data["id"]),
                  reverse=q.get("sort_order", "DESC") == "DESC")
        paging = self._page(call, 20)
        if isinstance(paging, str):
            return self.error(400, "bad_request", paging)
        page, size = paging
        chunk = rows[(page - 1) * size: page * size]
        start = (page - 1) * size + 1 if chunk else 0
        return self._ok({"sessions": [dict(s.data) for s in chunk]},
                        paging={"start_offset": start,
                                "end_offset": start + len(chunk) - 1 if chunk else 0,
                                "total_count": len(rows)})

    @handles("getSessionDetails")
    def session_details(self, call: Call) -> Reply:
        session = self._session(call)
        if session is None:
            return self._missing("Session")
        data = dict(session.data)
        if call.flag("include_breakout_rooms"):
            data["breakout_rooms"] = [dict(r) for r in session.breakout_rooms]
        return self._ok(data)

    def _participant(self, p: _Participant, call: Call) -> dict[str, Any]:
        data = dict(p.data)
        if call.flag("include_peer_events"):
            data["peer_events"] = [dict(e) for e in p.events]
        return data

    @handles("getSessionParticipants")
    def participants(self, call: Call) -> Reply:
        session = self._session(call)
        if session is None:
            return self._missing("Session")
        rows = list(session.participants)
        if call.query.get("search"):
            needle = call.query["search"].lower()
            rows = [p for p in rows if any(needle in str(p.data[k]).lower() for k in
                                           ("id", "custom_participant_id", "display_name"))]
        key = "duration" if call.query.get("sort_by") == "duration" else "joined_at"
        rows.sort(key=lambda p: (p.data[key], p.data["id"]),
                  reverse=call.query.get("sort_order", "ASC") == "DESC")
        paging = self._page(call, 25)
        if isinstance(paging, str):
            return self.error(400, "bad_request", paging)
        page, size = paging
        chunk = rows[(page - 1) * size: page * size]
        return self._ok({"participants": [self._participant(p, call) for p in chunk]})

    @handles("getSessionParticipantDetails")
    def participant_details(self, call: Call) -> Reply:
        session = self._session(call)
        if session is None:
            return self._missing("Session")
        for p in session.participants:
            if p.data["id"] == call.path_params["participant_id"]:
                return self._ok({"participant": self._participant(p, call)})
        return self._missing("Participant")

    def _download(self, session: _Session, kind: str, ext: str) -> str:
        sid = session.data["id"]
        return (f"https://downloads.example.com/realtimekit/{kind}/{sid}.{ext}"
                f"?X-Amz-Expires=3600&X-Amz-Signature=synthetic")

    @handles("getSessionChat")
    def chat(self, call: Call) -> Reply:
        session = self._session(call)
        if session is None:
            return self._missing("Session")
        return self._ok({"chat_download_url": self._download(session, "chat", "csv"),
                         "chat_download_url_expiry": self._expiry()})

    @handles("getSessionTranscripts")
    def transcript(self, call: Call) -> Reply:
        session = self._session(call)
        if session is None:
            return self._missing("Session")
        if session.data["status"] == "LIVE":
            return self._missing("Transcript")
        ext = call.query.get("format", "CSV").lower()
        return self._ok({"sessionId": session.data["id"],
                         "transcript_download_url": self._download(session, "transcripts", ext),
                         "transcript_download_url_expiry": self._expiry()})

    @handles("getSessionSummary")
    def summary(self, call: Call) -> Reply:
        session = self._session(call)
        if session is None:
            return self._missing("Session")
        if session.summary is None:
            return self._missing("Summary")
        session.summary = "READY"
        return self._ok({"sessionId": session.data["id"],
                         "summaryDownloadUrl": self._download(session, "summaries", "txt"),
                         "summaryDownloadUrlExpiry": self._expiry()})

    @handles("generateSummaryOfTranscripts")
    def generate_summary(self, call: Call) -> Reply:
        session = self._session(call)
        if session is None:
            return self._missing("Session")
        if session.data["status"] == "LIVE":
            return self.error(400, "bad_request", "The session has not ended yet")
        if session.summary is None:
            session.summary = "PROCESSING"
        return self._ok({"session_id": session.data["id"], "status": session.summary})

    @handles("getParticipantDataFromPeerId")
    def peer_report(self, call: Call) -> Reply:
        peer_id = call.path_params["peer_id"]
        for session in self._app(call).values():
            for p in session.participants:
                if p.data["id"] == peer_id:
                    return self._ok(self._report(session, p, call))
        return self._missing("Peer")

    def _report(self, session: _Session, p: _Participant, call: Call) -> dict[str, Any]:
        data = dict(p.data)
        data["session_id"] = session.data["id"]
        metadata = {
            "sdk_name": "web-core",
            "device_info": {"os": "macOS", "os_version": "14.5", "is_mobile": False},
            "ip_information": {"city": "Example City", "country": "ZZ"},
            "precall_network_information": {"rtt": 48, "jitter": 3, "packet_loss": 0},
        }
        quality = {"audio_producer_cumulative": {"quality_mos": {"avg": 4.3}}}
        # A comma-separated list (the request was validated against the spec's enum).
        wanted = {f for f in call.query.get("filters", "").split(",") if f}
        parts = wanted & set(_METADATA_FILTERS)
        if wanted:
            report: dict[str, Any] = {}
            if parts:
                report["metadata"] = {k: metadata[k] for k in _METADATA_FILTERS if k in parts}
            if "quality_stats" in wanted:
                report["quality"] = quality
        else:
            report = {"metadata": metadata, "quality": quality}
        if report:  # "events" alone asks for the peer events, not the report
            data["peer_report"] = report
        if call.flag("include_peer_events") or "events" in wanted:
            data["peer_events"] = [dict(e) for e in p.events]
        return data

    def known_values(self) -> dict[str, tuple[str, ...]]:
        # Session 1 of every app has ended and has a summary (see _seed): every read finds it.
        key = ("synthetic-account", "synthetic-app")
        session = self._seed(key, 1)
        first = session.participants[0].data["id"]
        return {"account_id": key[:1], "app_id": key[1:], "session_id": (session.data["id"],),
                "participant_id": (first,), "peer_id": (first,)}

    # -- control -------------------------------------------------------------------------
    def advance(self, session_id: str, to: str | None = None) -> dict[str, Any] | None:
        for sessions in self.apps.values():
            session = sessions.get(session_id)
            if session is None:
                continue
            data = session.data
            if data["status"] == "LIVE" and to in (None, "ENDED"):
                data["status"] = "ENDED"
                data["live_participants"] = 0
                data["ended_at"] = data["updated_at"]
                for p in session.participants:
                    p.data["left_at"] = p.data["updated_at"]
            elif session.summary == "PROCESSING":
                session.summary = "READY"
            return {"session_id": session_id, "state": data["status"],
                    "summary": session.summary}
        return None

    def state(self) -> dict[str, Any]:
        return {"apps": {f"{a}/{b}": {sid: {"status": s.data["status"], "summary": s.summary}
                                      for sid, s in sessions.items()}
                         for (a, b), sessions in self.apps.items()}}
