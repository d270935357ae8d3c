"""Upheal mock: create -> InProgress -> Processing -> Done (or Error: file-conversion-failed by
scenario, low-content-transcript for text input under 140 words); a Done session carries a
transcript, topics, named entities, a note per template and an analytics summary; the
session web-hook is POSTed (signed, timestamped) when processing ends."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from ._synth import iso, sentences, uuid_from
from ._vendor import Call, Lifecycle, Reply, Vendor, handles

__all__ = ["UphealMock"]

LOW_CONTENT_WORDS = 140
_NAMESPACE = uuid.UUID("6f0b0a1e-4c1d-4e55-9a36-2f4c9d1e7a30")

_CATEGORIES = {
    "Soap": [("Subjective", "Subjective"), ("Objective", "Objective"),
             ("Assessment", "Assessment"), ("Plan", "Plan")],
    "Dap": [("Data", "Data"), ("Assessment", "Assessment"), ("Plan", "Plan")],
}
_DEFAULT_CATEGORIES = [("ClientPresentation", "Client Presentation"),
                       ("TherapeuticIntervention", "Therapeutic Intervention"),
                       ("Plan", "Plan")]


@dataclass
class _Session:
    number: int
    session_id: str
    request: dict[str, Any]
    template_ids: list[str]
    final: str
    error: dict[str, str] | None
    lifecycle: Lifecycle
    notified: bool = False


class UphealMock(Vendor):
    api = "upheal"
    scenarios: ClassVar[dict[str, str]] = {
        "done": "processing ends in Done (default; text under 140 words ends in Error)",
        "error": "processing ends in Error with file-conversion-failed",
        "forbidden": "Create therapy session answers 403 (API key cannot access the users)",
    }
    enum_fields: ClassVar[dict[str, str]] = {"state": "Archived"}

    def reset(self) -> None:
        self.sessions: dict[str, _Session] = {}
        self.counter = 0

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"message": message, "code": code}

    def unauthorized(self, call: Call) -> Reply:
        # Get session data documents a bad key as 403; the other operations as 401.
        status = 403 if call.operation == "getSession" else 401
        return self.error(status, "invalid-api-key", "Invalid API Key")

    def bad_request(self, call: Call, violations: list[Any]) -> Reply:
        first = violations[0]
        where = f" at {first.pointer}" if first.pointer else ""
        message = self._page_wording(first) or first.message
        return self.error(400, "invalid-input", f"Invalid input{where}: {message}")

    def _page_wording(self, violation: Any) -> str | None:
        """The page's own sentence for a rule the spec states as ``not: {required: [a, b]}``
        (fields that cannot be used together): the description of the field that says so,
        e.g. "clientPronouns: Cannot be used together with clientUserId."."""
        from ..specs import Located

        uri, _, fragment = str(violation.schema_path).partition("#")
        if not fragment.endswith("/not"):
            return None
        try:
            holder = self.spec.resolve(Located({"$ref": f"{uri}#{fragment[:-4]}"}, uri, ""))
        except Exception:  # noqa: BLE001 - no wording found: the generic message stands
            return None
        names = (holder.value.get("not") or {}).get("required") or []
        props = holder.value.get("properties") or {}
        for name in names:
            text = str((props.get(name) or {}).get("description") or "")
            sentence = next((part.strip() for part in text.split(".")
                             if "used together" in part), None)
            if sentence:
                return f"{name}: {sentence}."
        return None

    # -- handlers ------------------------------------------------------------------------
    @handles("createSession")
    def create_session(self, call: Call) -> Reply:
        body = call.body if isinstance(call.body, dict) else {}
        scenario = self.pick_scenario(call, "done")
        if scenario == "forbidden":
            return self.error(403, "forbidden",
                              "API Key cannot access provider or client user.")
        self.counter += 1
        number = self.counter
        rng = self.rng("session", number)
        session_id = uuid_from(rng)
        templates = list(body.get("noteTemplateIds") or [
            str(uuid.uuid5(_NAMESPACE, str(body.get("sessionType", "Standard"))))])
        final, error, why = "Done", None, ""
        text = ((body.get("input") or {}).get("text") or {}).get("text")
        if scenario == "error":
            final, error = "Error", {
                "code": "file-conversion-failed",
                "message": "Synthetic: the uploaded recording could not be converted."}
            why = "its scenario is 'error', so it ends in Error (file-conversion-failed)"
        elif text is not None and len(text.split()) < LOW_CONTENT_WORDS:
            final, error = "Error", {
                "code": "low-content-transcript",
                "message": "We're sorry, we couldn't interpret enough audio to generate notes."}
            why = (f"its text input has fewer than {LOW_CONTENT_WORDS} words, so it ends in "
                   "Error (low-content-transcript; a rule of the mock, see docs/mocks.md)")
        session = _Session(number, session_id, body, templates, final, error,
                           Lifecycle(("InProgress", "Processing", final), why))
        self.sessions[session_id] = session
        if self.options.step_seconds is not None:
            self._schedule(session)
        return Reply(200, {"sessionId": session_id})

    @handles("getSession")
    def get_session(self, call: Call) -> Reply:
        session = self.sessions.get(call.path_params["sessionId"])
        if session is None:
            return self.error(404, "not-found", "Record with given ID wasn't found.")
        if session.lifecycle.poll(self.options):
            self._notify(session)
        return Reply(200, self._render(session))

    @handles("getRecordingUrl")
    def recording_url(self, call: Call) -> Reply:
        self.counter += 1
        key = f"upload-{self.rng('upload', self.counter).getrandbits(32):08x}"
        return Reply(200, {
            "url": f"https://uploads.example.com/synthetic/{key}.m4a?X-Amz-Signature=synthetic",
            "recordingUrl": f"https://uploads.example.com/synthetic/{key}.m4a"})

    # -- lifecycle -----------------------------------------------------------------------
    def _notify(self, session: _Session) -> None:
        if session.lifecycle.done and not session.notified:
            session.notified = True
            payload: dict[str, Any] = {
                "sessionId": session.session_id,
                "event": "SessionProcessed" if session.final == "Done" else "SessionFailed",
                "state": session.final}
            if session.request.get("partnerAppointmentId"):
                payload["partnerAppointmentId"] = session.request["partnerAppointmentId"]
            self.send_webhook(payload)

    def _schedule(self, session: _Session) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        delay = (self.options.step_seconds or 0) * (len(session.lifecycle.states) - 1)

        def tick() -> None:
            with self.lock:
                if self.sessions.get(session.session_id) is session:
                    session.lifecycle.poll(self.options)
                    self._notify(session)

        loop.call_later(delay + 0.01, tick)

    def advance(self, session_id: str, to: str | None = None) -> dict[str, Any] | None:
        session = self.sessions.get(session_id)
        if session is None:
            return None
        session.lifecycle.advance(to)
        self._notify(session)
        return {"session_id": session_id, "state": session.lifecycle.state}

    def state(self) -> dict[str, Any]:
        return {"sessions": {sid: {"state": s.lifecycle.state, "final": s.final,
                                   "notified": s.notified}
                             for sid, s in self.sessions.items()}}

    # -- synthetic data ------------------------------------------------------------------
    def _render(self, session: _Session) -> dict[str, Any]:
        request = session.request
        client = request.get("clientUserId")
        state = session.lifecycle.state
        out: dict[str, Any] = {
            "sessionId": session.session_id,
            "noteTemplateIds": list(session.template_ids),
            "date": request.get("date") or iso(session.number * 60, millis=False),
            "providerUserId": request.get("providerUserId", ""),
            "clientUserIds": [client] if client else [],
            "state": state,
        }
        if state == "InProgress":
            return out
        if state == "Error":
            out["error"] = dict(session.error or {})
            return out
        transcript = self._transcript(session)
        last = transcript["utterances"][-1]["end"]
        out["recordingDurationMs"] = last + 1000
        recording = (request.get("input") or {}).get("recording")
        if recording:
            out["recordingUrl"] = (f"https://recordings.example.com/synthetic/"
                                   f"{session.session_id}.m4a")
        out["transcript"] = transcript
        if state == "Processing":
            return out
        out["topics"] = self._topics(transcript)
        out["namedEntities"] = [
            {"entityType": "medical_condition", "name": "insomnia",
             "summary": "Synthetic: the client reports poor sleep for two weeks."},
            {"entityType": "organisation", "name": "Example Workplace Ltd",
             "summary": "Synthetic: the client's employer, mentioned as a source of stress."},
        ]
        out["notes"] = [self._document(session, i, t)
                        for i, t in enumerate(session.template_ids)]
        out["analyticsSummary"] = self._analytics(session, transcript)
        return out

    def _speakers(self, session: _Session) -> dict[str, str]:
        provider = session.request.get("providerUserId") or "provider"
        client = session.request.get("clientUserId") or str(
            uuid.uuid5(_NAMESPACE, f"client:{session.session_id}"))
        return {"A": provider, "B": client}

    def _transcript(self, session: _Session) -> dict[str, Any]:
        rng = self.rng("transcript", session.number)
        clock = rng.randrange(200, 2000)
        utterances = []
        for i, text in enumerate(sentences(rng, 8)):
            words: list[dict[str, Any]] = []
            for word in text.split():
                length = rng.randrange(180, 520)
                words.append({"text": word, "start": clock, "end": clock + length})
                clock += length + rng.randrange(0, 80)
            utterances.append({"text": text, "start": words[0]["start"],
                               "end": words[-1]["end"], "speaker": "AB"[i % 2],
                               "words": words})
            clock = words[-1]["end"] + rng.randrange(300, 1500)
        return {"utterances": utterances, "speakerMapping": self._speakers(session)}

    @staticmethod
    def _topics(transcript: dict[str, Any]) -> list[dict[str, Any]]:
        utts = transcript["utterances"]
        half = len(utts) // 2
        return [
            {"headline": "The client describes poor sleep linked to work stress.",
             "gist": "Sleep and stress.", "start": utts[0]["start"], "end": utts[half - 1]["end"]},
            {"headline": "Client and therapist agree on a wind-down routine and a sleep diary.",
             "gist": "Plan for next week.", "start": utts[half]["start"],
             "end": utts[-1]["end"]},
        ]

    def _document(self, session: _Session, index: int, template_id: str) -> dict[str, Any]:
        rng = self.rng("document", session.number, index)
        categories = _CATEGORIES.get(str(session.request.get("sessionType")),
                                     _DEFAULT_CATEGORIES)
        notes = []
        for category, name in categories:
            for level, text in enumerate(sentences(rng, 2)):
                notes.append({"category": category, "categoryName": name,
                              "text": f"Synthetic: {text}",
                              "formatting": {"nestingLevel": level}})
        return {"sessionDocumentId": uuid_from(rng), "noteTemplateId": template_id,
                "notes": notes}

    @staticmethod
    def _analytics(session: _Session, transcript: dict[str, Any]) -> dict[str, Any]:
        mapping = transcript["speakerMapping"]
        total = transcript["utterances"][-1]["end"] + 1000
        talk: dict[str, float] = {}
        words: dict[str, int] = {}
        for utt in transcript["utterances"]:
            user = mapping[utt["speaker"]]
            talk[user] = talk.get(user, 0) + utt["end"] - utt["start"]
            words[user] = words.get(user, 0) + len(utt["words"])
        out: dict[str, dict[str, Any]] = {"talkingRatio": {}, "speechCadence": {},
                                          "responseTime": {}, "sentiment": {},
                                          "timePerspective": {}}
        for user, duration in talk.items():
            ratio = round(duration / total, 6)
            cadence = round(words[user] / (duration / 60000), 3)
            out["talkingRatio"][user] = {"ratio": ratio, "ratioLongTerm": ratio,
                                         "duration": duration, "durationLongTerm": duration}
            out["speechCadence"][user] = {"cadence": cadence, "cadenceLongTerm": cadence}
            out["responseTime"][user] = {"time": 850, "timeLongTerm": 900.5}
            out["sentiment"][user] = {"positive": 0.5, "positiveLongTerm": 0.5,
                                      "negative": 0.125, "negativeLongTerm": 0.125}
            out["timePerspective"][user] = {"future": 0.25, "futureLongTerm": 0.25,
                                            "past": 0.125, "pastLongTerm": 0.125}
        return out
