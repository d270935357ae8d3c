"""Heidi Health mock: JWT exchange, create, get, PATCH (merging fields), the linked user's
sessions with ``page_size`` and paging, and Heidi's ``{"detail": {"msg", "type"}}`` errors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import orjson

from ._synth import iso, patient_name, sentences
from ._vendor import Call, Reply, Vendor, handles

__all__ = ["HeidiMock"]

SEEDED_SESSIONS = 13


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class _Session:
    number: int
    session_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    updates: int = 0


class HeidiMock(Vendor):
    api = "heidi"
    bad_request_status = 422
    scenarios: ClassVar[dict[str, str]] = {
        "linked": "a Heidi user is linked: the linked-user list answers (default)",
        "no_linked_user": "no Heidi user is linked: the linked-user list answers 403",
    }
    # No response field of Heidi is an enum, so the enum-value drift has nothing to change.
    drift_kept: ClassVar[frozenset[str]] = frozenset({"token"})  # GET /jwt's JWT

    def reset(self) -> None:
        self.sessions: dict[str, _Session] = {}
        self.counter = 0
        for _ in range(SEEDED_SESSIONS):
            self._new_session({})

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"detail": {"msg": message, "type": code}}

    # -- auth ----------------------------------------------------------------------------
    def _signature(self, signing_input: bytes) -> str:
        return _b64(hmac.new(self.options.token.encode(), signing_input, hashlib.sha256).digest())

    def _jwt(self, claims: dict[str, Any]) -> str:
        header = _b64(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
        payload = _b64(orjson.dumps(claims))
        return f"{header}.{payload}.{self._signature(f'{header}.{payload}'.encode())}"

    def _valid_jwt(self, token: str) -> bool:
        """A JWT this mock signed (HS256 keyed by its token) whose ``exp`` is still ahead."""
        parts = token.split(".")
        if len(parts) != 3:
            return False
        expected = self._signature(f"{parts[0]}.{parts[1]}".encode())
        if not hmac.compare_digest(expected, parts[2]):
            return False
        try:
            claims = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:  # binascii.Error and orjson.JSONDecodeError are ValueErrors
            return False
        expires = claims.get("exp") if isinstance(claims, dict) else None
        return (isinstance(expires, (int, float)) and not isinstance(expires, bool)
                and expires > time.time())

    def authorized(self, call: Call) -> bool:
        if call.operation == "getJwt":
            key = call.headers.get("heidi-api-key", "")
            return hmac.compare_digest(key, self.options.token)
        # Heidi wants the JWT of GET /jwt; the API key itself as Bearer is refused unless the
        # mock was told to relax (a client that skips the exchange would fail at Heidi).
        if self.options.accept_key_as_bearer and super().authorized(call):
            return True
        scheme, _, token = call.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self._valid_jwt(token.strip())

    def unauthorized(self, call: Call) -> Reply:
        if call.operation == "getJwt":
            return self.error(401, "InvalidApiKeyError", "Invalid Heidi-Api-Key")
        return self.error(401, "AuthenticationError", "Could not validate credentials")

    def bad_request(self, call: Call, violations: list[Any]) -> Reply:
        detail = []
        for v in violations:
            where = "body" if v.location.startswith("request.body") else "query"
            loc: list[str | int] = [where]
            for token in v.pointer.strip("/").split("/") if v.pointer.strip("/") else []:
                loc.append(int(token) if token.isdigit() else token)
            detail.append({"loc": loc, "msg": v.message, "type": "value_error"})
        return Reply(422, {"detail": detail})

    # -- handlers ------------------------------------------------------------------------
    @handles("getJwt")
    def get_jwt(self, call: Call) -> Reply:
        expires = int(time.time()) + 3600
        claims = {"sub": call.query.get("third_party_internal_id", "test-user"),
                  "email": call.query.get("email", "test@example.com"), "exp": expires,
                  "iss": "contracts-mock"}
        return Reply(200, {"token": self._jwt(claims),
                           "expiration_time": time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                                            time.gmtime(expires))})

    @handles("createSession")
    def create_session(self, call: Call) -> Reply:
        body = call.body if isinstance(call.body, dict) else {}
        session = self._new_session(body)
        return Reply(200, {"session_id": session.session_id})

    @handles("getSession")
    def get_session(self, call: Call) -> Reply:
        session = self.sessions.get(call.path_params["session_id"])
        if session is None:
            return self.error(404, "SessionNotFoundError", "Session not found")
        return Reply(200, {"session": self._render(session)})

    @handles("updateSession")
    def update_session(self, call: Call) -> Reply:
        session = self.sessions.get(call.path_params["session_id"])
        if session is None:
            return self.error(404, "SessionNotFoundError", "Session not found")
        body = call.body if isinstance(call.body, dict) else {}
        for key, value in body.items():
            if key == "patient" and isinstance(value, dict):
                patient = dict(session.fields.get("patient") or {})
                patient.update(value)
                session.fields["patient"] = patient
            else:
                session.fields[key] = value
        session.updates += 1
        return Reply(200, {"session": self._render(session)})

    @handles("listLinkedUserSessions")
    def list_linked(self, call: Call) -> Reply:
        if self.pick_scenario(call, "linked") == "no_linked_user":
            return self.error(403, "NoLinkedUserException", "error: no linked user")
        # The spec sets no bounds on page_size: out-of-range sizes are clamped, not refused.
        size = min(max(int(call.query.get("page_size") or 10), 1), 100)
        raw_page = call.query.get("page", "1")
        page = int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1
        ordered = sorted(self.sessions.values(), key=lambda s: -s.number)
        chunk = ordered[(page - 1) * size: page * size]
        has_next = page * size < len(ordered)
        return Reply(200, {"sessions": [self._render(s) for s in chunk], "count": len(chunk),
                           "total_count": len(ordered),
                           "next_page": page + 1 if has_next else None,
                           "has_next_page": has_next})

    # -- pieces --------------------------------------------------------------------------
    def _new_session(self, body: dict[str, Any]) -> _Session:
        self.counter += 1
        number = self.counter
        digits = self.rng("session", number).getrandbits(120)
        session = _Session(number, str(10 ** 35 + digits % (9 * 10 ** 35)))
        if body.get("ehr_appointment_id"):
            session.fields["ehr_appt_id"] = body["ehr_appointment_id"]
        if body.get("patient_profile_id"):
            session.fields["patient_profile_id"] = body["patient_profile_id"]
        self.sessions[session.session_id] = session
        return session

    def _render(self, session: _Session) -> dict[str, Any]:
        f = session.fields
        rng = self.rng("note", session.number)
        patient = {"name": patient_name(session.number), "gender": None, "dob": None}
        patient.update({k: v for k, v in (f.get("patient") or {}).items()
                        if k in ("name", "gender", "dob")})
        created = session.number * 600
        return {
            "session_id": session.session_id,
            "session_name": f"Session {session.number}",
            "patient": patient,
            "audio": [],
            "clinician_notes": list(f.get("clinician_notes") or []),
            "consult_note": {
                "status": "CREATED",
                "result": " ".join(sentences(rng, 3)),
                "heading": "Note",
                "brain": "RIGHT",
                "voice_style": None,
                "generation_method": "TEMPLATE",
                "template_id": None,
                "ai_command_id": None,
                "ai_command_text": None,
                "feedback": None,
                "dictation_cleanup_mode": None,
            },
            "duration": f.get("duration", 0),
            "created_at": iso(created, zone=False) + "000",
            "updated_at": iso(created + 60 * session.updates, zone=False) + "000",
            "language_code": f.get("language_code", "en"),
            "output_language_code": f.get("output_language_code", "en"),
            "documents": None,
            "ehr_appt_id": f.get("ehr_appt_id"),
            "ehr_provider": "Synthetic EHR",
            "ehr_patient_id": f.get("ehr_patient_id"),
        }

    # -- control -------------------------------------------------------------------------
    def advance(self, session_id: str, to: str | None = None) -> dict[str, Any] | None:
        session = self.sessions.get(session_id)
        if session is None:
            return None
        session.updates += 1  # Heidi sessions have no lifecycle; advancing touches them
        return {"session_id": session_id, "state": "updated"}

    def state(self) -> dict[str, Any]:
        return {"sessions": {sid: {"updates": s.updates} for sid, s in self.sessions.items()}}
