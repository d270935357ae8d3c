"""Eka Care EkaScribe mock: create (201) -> upload audio to ``upload_url`` -> end (202) ->
Get Session 202 while processing, then 200 completed (or 206 partial, or 200 failed, by
scenario); 410 once a session that was never ended passes ``expires_at``;
``template_id``/``document_id`` filtering; 404. End Session counts the files that arrived.

The endpoints the official Python SDK (``ekacare``) calls run the same lifecycle per
transaction: login -> File Upload (a presigned form whose ``url`` is the mock's own storage,
``/__contracts__/eka/storage``) -> processing starts at Initialize Transaction (v2) or when the
SDK's JSON descriptor reaches the storage (v1) -> the v3 and v1 status endpoints answer
"in progress" until the lifecycle is done, then the scenario's result."""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from ._synth import iso, patient_name, sentences
from ._vendor import CONTROL_PREFIX, Call, Lifecycle, Reply, Vendor, handles

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from ..findings import Violation

__all__ = ["EkaMock"]

AUDIO_PATH = "/voice/v1/sessions/{session_id}/audio"
"""Where ``upload_url`` points (chunked and single uploads): Eka's SDKs POST each file to
``{upload_url}/{file_name}`` as raw bytes (``<base>_<n>.<ext>`` names keep the order)."""
KNOWN_TEMPLATES = ("eka_emr_template", "clinical_notes_template", "soap_template",
                   "prescription_template")


@dataclass
class _Session:
    number: int
    session_id: str
    created: float
    deadline: float
    scenario: str
    request: dict[str, Any]
    ended: bool = False
    ended_at: float = 0.0
    audio_files: list[str] = field(default_factory=list)
    lifecycle: Lifecycle | None = None


@dataclass
class _Txn:
    """A transaction of the SDK's flow (File Upload's ``txn_id``)."""

    number: int
    txn_id: str
    action: str
    folder: str
    scenario: str
    files: list[str] = field(default_factory=list)
    request: dict[str, Any] = field(default_factory=dict)
    lifecycle: Lifecycle | None = None


STORAGE_PATH = CONTROL_PREFIX + "/eka/storage"
# The SDK's endpoints document their own error bodies (Eka's older OpenAPI files).
_SDK_OPERATIONS = frozenset({"login", "getUploadLocation", "initTransaction",
                             "getTransactionResult", "getVoiceRecordStatus"})
_LEGACY_401 = {"error": "Unauthorized", "message": "Invalid or missing authentication token"}


def _b64json(value: Any) -> str:
    return base64.b64encode(orjson.dumps(value)).decode("ascii")


class EkaMock(Vendor):
    api = "eka"
    bad_request_status = 422
    scenarios: ClassVar[dict[str, str]] = {
        "completed": "processing ends with 200 completed (default)",
        "partial": "processing ends with 206 partial: one template failed, one file skipped",
        "failed": "processing ends with 200 failed and an error",
        "expired": "the session expires at once: Get Session answers 410 until it is ended",
    }
    enum_fields: ClassVar[dict[str, str]] = {"status": "archived"}

    def reset(self) -> None:
        self.sessions: dict[str, _Session] = {}
        self.txns: dict[str, _Txn] = {}
        self.counter = 0

    def error_body(self, status: int, code: str, message: str) -> Any:
        return {"error": {"code": code, "message": message}}

    def path_error_body(self, path: str, status: int, code: str, message: str) -> Any:
        # The SDK's endpoints document their own error shapes (Eka's older OpenAPI files).
        path = path.removeprefix(self.options.prefix)
        if path == "/connect-auth/v1/account/login":
            return {"code": status, "error": message}
        if path == "/v1/file-upload" or path.startswith("/voice/api/v2/transaction/init/"):
            return {"error": message, "code": code}
        if path.startswith("/voice/api/v3/status/"):
            return {"error": {"code": code, "msg": message}}
        if path.startswith("/voice-record/api/status/"):
            return {"message": message}
        return self.error_body(status, code, message)

    def authorized(self, call: Call) -> bool:
        # The login is how an SDK client gets its token.
        return call.operation == "login" or super().authorized(call)

    def unauthorized(self, call: Call) -> Reply:
        if call.operation in _SDK_OPERATIONS:
            return Reply(401, dict(_LEGACY_401))
        return super().unauthorized(call)

    def bad_request(self, call: Call, violations: list[Violation]) -> Reply:
        first = violations[0]
        where = f" at {first.pointer}" if first.pointer else ""
        text = f"{first.location}{where}: {first.message}"
        if call.operation == "login":
            return Reply(400, {"code": 400, "error": text})
        if call.operation == "getUploadLocation":
            return Reply(400, {"error": text, "code": "invalid_request"})
        if call.operation == "initTransaction":
            return Reply(422, {"details": [{"loc": first.pointer, "msg": first.message}]})
        return self._protocol_bad_request(violations)

    def _protocol_bad_request(self, violations: list[Violation]) -> Reply:
        first = violations[0]
        code = "missing_required_field" if first.code.endswith(".missing") or \
            "required" in first.message else "validation_error"
        where = f" at {first.pointer}" if first.pointer else ""
        return self.error(422, code, f"{first.location}{where}: {first.message}")

    # -- handlers ------------------------------------------------------------------------
    @handles("createSession")
    def create_session(self, call: Call) -> Reply:
        body = call.body if isinstance(call.body, dict) else {}
        unknown = [t for t in body.get("templates") or [] if t not in KNOWN_TEMPLATES]
        if unknown:
            reply = self.error(400, "invalid_template",
                               f"Template {unknown[0]!r} is not available")
            reply.body["error"]["details"] = {"templates": unknown}
            return reply
        self.counter += 1
        number = self.counter
        session_id = body.get("session_id") or \
            f"ses_{self.rng('session', number).getrandbits(64):016x}"
        if session_id in self.sessions:
            return self.error(400, "session_exists", f"Session {session_id} already exists")
        scenario = self.pick_scenario(call, "completed")
        now = time.monotonic()
        ttl = 0.0 if scenario == "expired" else self.options.session_ttl
        session = _Session(number, session_id, now, now + ttl, scenario, body)
        self.sessions[session_id] = session
        out = {
            "session_id": session_id,
            "status": "created",
            "created_at": self._created_at(session),
            "expires_at": self._expires_at(session),
            "upload_url": self._upload_url(call, session),
            "patient_details": body.get("patient_details"),
        }
        return Reply(201, out)

    @handles("endSession")
    def end_session(self, call: Call) -> Reply:
        session, refusal = self._open_session(call)
        if refusal is not None or session is None:
            return refusal or self._missing(call)
        body = call.body if isinstance(call.body, dict) else {}
        sent = int(body.get("audio_files_sent", 0))
        received = len(session.audio_files)
        if received and sent > received:
            # A client that uploaded told us how many it sent: fewer arrived.
            return self.error(400, "audio_files_mismatch",
                              f"audio_files_sent ({sent}) exceeds the audio files received "
                              f"({received})")
        session.ended = True
        session.ended_at = time.monotonic()
        # Eka orders the files by the number at the end of their names before processing.
        session.audio_files.sort(key=_sequence_number)
        session.lifecycle = Lifecycle(("processing", "done"))
        return Reply(202, {
            "session_id": session.session_id,
            "status": "processing",
            "message": "Session ended. Processing started.",
            "audio_files_received": received,
            "audio_files": list(session.audio_files),
        })

    def upload_audio(self, call: Call) -> Reply:
        """Upload Audio: one file's raw bytes to ``upload_url`` (named by the path's last
        segment, else by arrival order and the content type); counted for End Session."""
        session, refusal = self._open_session(call)
        if refusal is not None or session is None:
            return refusal or self._missing(call)
        if not call.raw:
            return self.error(400, "invalid_audio", "The uploaded audio file is empty")
        name = call.path_params.get("file_name") or (
            f"{len(session.audio_files)}.{_extension(call.headers.get('content-type', ''))}")
        if name not in session.audio_files:
            session.audio_files.append(name)
        return Reply(200, {"session_id": session.session_id, "success": True,
                           "original_filename": name})


    @handles("getSession")
    def get_session(self, call: Call) -> Reply:
        session = self.sessions.get(call.path_params["session_id"])
        if session is None:
            return self._missing(call)
        if not session.ended:
            if self._expired(session):
                return Reply(410, self._expired_body(call, session))
            return Reply(202, {**self._common(call, session), "status": "initialized",
                               "expires_at": self._expires_at(session),
                               "patient_details": session.request.get("patient_details"),
                               "transcript": ""})
        assert session.lifecycle is not None
        session.lifecycle.poll(self.options)
        if session.lifecycle.state == "processing":
            return Reply(202, {**self._common(call, session), "status": "processing",
                               "expires_at": self._expires_at(session),
                               "patient_details": session.request.get("patient_details"),
                               "transcript": self._transcript(session)[:40]})
        return self._finished(call, session)

    # -- pieces --------------------------------------------------------------------------
    def _open_session(self, call: Call) -> tuple[_Session | None, Reply | None]:
        """The session a write names, or why it takes no more writes (unknown, ended,
        expired)."""
        session = self.sessions.get(call.path_params["session_id"])
        if session is None:
            return None, self._missing(call)
        if session.ended:
            return session, self.error(400, "session_ended",
                                       f"Session {session.session_id} has already been ended")
        if self._expired(session):
            return session, self.error(400, "session_expired",
                                       f"Session {session.session_id} has expired")
        return session, None

    def _missing(self, call: Call) -> Reply:
        sid = call.path_params["session_id"]
        return self.error(404, "session_not_found", f"Session {sid} not found")

    def _expired(self, session: _Session) -> bool:
        return not session.ended and time.monotonic() >= session.deadline

    def _created_at(self, session: _Session) -> str:
        return iso(session.number * 60, millis=False)

    def _expires_at(self, session: _Session) -> str:
        ttl = session.deadline - session.created
        return iso(session.number * 60 + ttl, millis=False)

    def _upload_url(self, call: Call, session: _Session) -> str:
        if session.request.get("upload_type") == "stream":
            ws = call.base_url.replace("https://", "wss://").replace("http://", "ws://")
            return f"{ws}/voice/v1/stream/sessions/{session.session_id}/audio"
        return f"{call.base_url}/voice/v1/sessions/{session.session_id}/audio"

    def _additional(self, session: _Session) -> dict[str, Any]:
        extra = dict(session.request.get("additional_data") or {})
        extra["_protocol"] = {
            "version": "0.1",
            "upload_type": session.request.get("upload_type"),
            "communication_protocol": session.request.get("communication_protocol"),
            "requested_templates": self._templates(session),
        }
        return extra

    def _templates(self, session: _Session) -> list[str]:
        return list(session.request.get("templates") or ["eka_emr_template"])

    def _common(self, call: Call, session: _Session) -> dict[str, Any]:
        return {
            "session_id": session.session_id,
            "created_at": self._created_at(session),
            "upload_url": self._upload_url(call, session),
            "audio_files_received": len(session.audio_files),
            "audio_files": list(session.audio_files),
            "additional_data": self._additional(session),
        }

    def _transcript(self, session: _Session) -> str:
        return " ".join(sentences(self.rng("transcript", session.number), 5))

    def _document(self, session: _Session, index: int, template: str) -> dict[str, Any]:
        rng = self.rng("document", session.number, index)
        doc_id = f"doc_{rng.getrandbits(48):012x}"
        if template == "clinical_notes_template":
            data: dict[str, Any] = {"assessment": "Synthetic assessment: mild upper "
                                    "respiratory symptoms", "plan": "Rest and fluids"}
        else:
            data = {"chief_complaint": "cough for three days (synthetic)",
                    "patient": patient_name(session.number)}
        return {template: {"status": "success", "document_id": doc_id,
                           "document_type": template, "data": data, "publish": {}}}

    def _finished(self, call: Call, session: _Session) -> Reply:
        templates = self._templates(session)
        entries = [self._document(session, i, t) for i, t in enumerate(templates)]
        out: dict[str, Any] = {
            **self._common(call, session),
            "expires_at": self._expires_at(session),
            "patient_details": session.request.get("patient_details"),
            "completed_at": iso(session.number * 60 + 30, millis=False),
            "model_used": session.request.get("model", "lite"),
            "language_detected": (session.request.get("language_hint") or ["en"])[0],
        }
        status = 200
        if session.scenario == "failed":
            out["status"] = "failed"
            out["transcript"] = ""
            out["language_detected"] = None
            out["error"] = {"code": "audio_too_short",
                            "message": "The uploaded audio was too short to transcribe"}
            entries = [{t: {"status": "failure", "error": {
                "code": "processing_failed", "message": "No speech detected"}}}
                for t in templates]
        elif session.scenario == "partial":
            status = 206
            out["status"] = "partial"
            out["transcript"] = self._transcript(session)
            failed = templates[-1]
            entries[-1] = {failed: {"status": "failure", "error": {
                "code": "processing_failed",
                "message": "Could not extract this document from the transcript"}}}
            # The file skipped is the last one uploaded; with none uploaded there is no file
            # to skip, and the failed document is the non-fatal error reported.
            files = session.audio_files
            out["audio_files_processed"] = max(len(files) - 1, 0)
            out["processing_errors"] = [{
                "type": "audio_file_skipped",
                "message": f"Audio file {files[-1]} skipped due to poor quality",
                "file": files[-1]}] if files else [{
                "type": "template_failed",
                "message": f"Could not extract {failed} from the transcript"}]
        else:
            out["status"] = "completed"
            out["transcript"] = self._transcript(session)
        wanted = call.query.get("document_id") or call.query.get("template_id")
        if wanted:
            entries = [e for e in entries if wanted in e]
        out["templates"] = entries
        return Reply(status, out)

    def _expired_body(self, call: Call, session: _Session) -> dict[str, Any]:
        return {**self._common(call, session), "status": "expired",
                "expired_at": self._expires_at(session),
                "message": "Session expired before processing was initiated",
                "templates": [], "transcript": ""}

    # -- the SDK's endpoints (ekacare: login, upload, init, v3 and v1 status) -------------
    @handles("login")
    def login(self, call: Call) -> Reply:
        # Any client id and secret get the mock's token: the SDK then sends it as Bearer.
        return Reply(200, {"access_token": self.options.token, "expires_in": 1800,
                           "refresh_expires_in": 86400,
                           "refresh_token": f"refresh-{self.rng('refresh').getrandbits(64):016x}"})

    @handles("getUploadLocation")
    def upload_location(self, call: Call) -> Reply:
        txn_id = call.query.get("txn_id")
        if not txn_id:
            return Reply(400, {"error": "txn_id is required", "code": "invalid_request"})
        txn = self.txns.get(txn_id)
        if txn is None:
            self.counter += 1
            folder = f"EC_{self.counter:014d}/{txn_id}/{iso(self.counter * 60)[:10]}/"
            txn = _Txn(self.counter, txn_id, call.query.get("action", "ekascribe-v2"), folder,
                       self.pick_scenario(call, "completed"))
            self.txns[txn_id] = txn
        mode = call.body.get("mode") if isinstance(call.body, dict) else None
        day = iso(txn.number * 60)[:10].replace("-", "")
        return Reply(200, {"uploadData": {"url": call.base_url + STORAGE_PATH, "fields": {
            "x-amz-meta-mode": mode if isinstance(mode, str) else "dictation",
            "key": txn.folder + "${filename}",
            "x-amz-algorithm": "AWS4-HMAC-SHA256",
            "x-amz-credential": f"MOCKCREDENTIAL/{day}/ap-south-1/s3/aws4_request",
            "x-amz-date": f"{day}T000000Z",
            "x-amz-security-token": "mock-security-token",
            "policy": _b64json({"conditions": [["starts-with", "$key", txn.folder]]}),
            "x-amz-signature": f"{self.rng('signature', txn_id).getrandbits(256):064x}",
        }}, "folderPath": txn.folder, "txn_id": txn_id})

    @handles("initTransaction")
    def init_transaction(self, call: Call) -> Reply:
        txn_id = call.path_params["txn_id"]
        txn = self.txns.get(txn_id)
        if txn is not None and txn.lifecycle is not None:
            return Reply(409, {"status": "error", "message": "Transaction already initialized"})
        if txn is None:  # files uploaded elsewhere: the request names them
            self.counter += 1
            txn = _Txn(self.counter, txn_id, "ekascribe-v2", "", self.pick_scenario(
                call, "completed"))
            self.txns[txn_id] = txn
        txn.request = dict(call.body) if isinstance(call.body, dict) else {}
        if not txn.files:  # the SDK names them by their full s3:// path
            txn.files = [str(f).rsplit("/", 1)[-1]
                         for f in txn.request.get("client_generated_files") or []]
        txn.lifecycle = Lifecycle(("processing", "done"))
        return Reply(201, {"status": "success", "message": "Transaction initialized successfully",
                           "txn_id": txn_id, "b_id": f"b-{txn.number:010d}"})

    @handles("getTransactionResult")
    def transaction_result(self, call: Call) -> Reply:
        txn = self.txns.get(call.path_params["txn_id"])
        if txn is None:
            return Reply(400, {"error": {"code": "transaction_not_found",
                                         "msg": "Transaction doesn't exist"}})
        extra = txn.request.get("additional_data")
        data: dict[str, Any] = {"output": [],
                                "additional_data": extra if isinstance(extra, dict) else {}}
        if not self._txn_done(txn):
            return Reply(202, {"data": data})
        if txn.scenario == "failed":
            return Reply(500, {"error": {"code": "output_not_available",
                                         "msg": "Error in generating output file"}})
        data["output"] = [self._txn_output(txn, i, t)
                          for i, t in enumerate(self._txn_templates(txn))]
        if txn.scenario == "partial":
            data["output"][-1].update(status="partial_success", value="", errors=[
                "Unable to extract medication dosage"], warnings=[
                "Low confidence in diagnosis section"])
            return Reply(206, {"data": data})
        return Reply(200, {"data": data})

    @handles("getVoiceRecordStatus")
    def voice_record_status(self, call: Call) -> Reply:
        txn = self.txns.get(call.path_params["session_id"])
        if txn is None:
            return Reply(404, {"message": "Not Found"})
        if txn.lifecycle is None:
            return Reply(200, {"status": "queued"})
        if not self._txn_done(txn):
            return Reply(200, {"status": "inprogress"})
        if txn.scenario == "failed":
            return Reply(200, {"status": "error", "error": [{
                "code": "transcription_failed", "message": "No speech detected"}]})
        fhir = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
            "resourceType": "Condition", "code": {"text": "cough for three days (synthetic)"},
            "subject": {"display": patient_name(txn.number)}}}]}
        out: dict[str, Any] = {"status": "completed",
                               "data": {"output": {"fhir": _b64json(fhir)}}}
        if txn.scenario == "partial":
            out["status"] = "partial_completed"
            out["error"] = [{"code": "partial_output_transcription",
                             "message": "Partial Output Transcription"}]
        return Reply(200, out)

    def _txn_done(self, txn: _Txn) -> bool:
        if txn.lifecycle is None:
            return False
        txn.lifecycle.poll(self.options)
        return txn.lifecycle.state == "done"

    def _txn_templates(self, txn: _Txn) -> list[str]:
        wanted = txn.request.get("output_format_template") or \
            txn.request.get("output_format", {}).get("output_template") or []
        ids = [t.get("template_id") for t in wanted if isinstance(t, dict)]
        return [t for t in ids if isinstance(t, str)] or ["eka_emr_template"]

    def _txn_output(self, txn: _Txn, index: int, template: str) -> dict[str, Any]:
        doc = self._document(_Session(txn.number, txn.txn_id, 0.0, 0.0, txn.scenario, {}),
                             index, template)[template]
        kind = template.removesuffix("_template")
        return {"template_id": template, "value": _b64json(doc["data"]), "type": kind,
                "name": kind.replace("_", " ").title() + " Template", "status": "success",
                "errors": [], "warnings": []}

    def extra_routes(self) -> list[Any]:
        from starlette.routing import Route

        methods = ("POST", "PUT")
        return [(AUDIO_PATH, methods, EkaMock.upload_audio),
                (AUDIO_PATH + "/{file_name}", methods, EkaMock.upload_audio),
                Route(STORAGE_PATH, self._storage, methods=["POST"])]

    async def _storage(self, request: Request) -> Response:
        """The presigned S3 POST stand-in: one form per file (``key`` and ``file``), 204."""
        from starlette.responses import Response

        form = await request.form()
        key, upload = form.get("key"), form.get("file")
        content = await upload.read() if upload is not None and hasattr(upload, "read") \
            else b""
        await form.close()
        if not isinstance(key, str) or not key:
            return Response("<Error><Code>InvalidArgument</Code></Error>", 400,
                            media_type="application/xml")
        with self.lock:
            txn = next((t for t in self.txns.values() if t.folder and
                        key.startswith(t.folder)), None)
            if txn is None:
                return Response("<Error><Code>AccessDenied</Code></Error>", 403,
                                media_type="application/xml")
            name = key[len(txn.folder):]
            if name == f"{txn.txn_id}.json":
                self._descriptor(txn, content)
            elif name not in txn.files:
                txn.files.append(name)
        return Response(status_code=204)

    def _descriptor(self, txn: _Txn, content: bytes) -> None:
        """The SDK's JSON descriptor: it starts the v1 flow (v2 waits for its init call)."""
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError:
            data = {}
        if txn.action == "ekascribe-v2" or txn.lifecycle is not None or \
                not isinstance(data, dict):
            return
        txn.request = data
        txn.lifecycle = Lifecycle(("processing", "done"))

    # -- control -------------------------------------------------------------------------
    def advance(self, session_id: str, to: str | None = None) -> dict[str, Any] | None:
        txn = self.txns.get(session_id)
        if txn is not None and session_id not in self.sessions:
            if txn.lifecycle is None:
                txn.lifecycle = Lifecycle(("processing", "done"))
            txn.lifecycle.advance(to)
            return {"session_id": session_id, "state": txn.lifecycle.state}
        session = self.sessions.get(session_id)
        if session is None:
            return None
        if not session.ended:
            session.deadline = time.monotonic()  # advancing an open session expires it
            return {"session_id": session_id, "state": "expired"}
        assert session.lifecycle is not None
        session.lifecycle.advance(to)
        return {"session_id": session_id, "state": session.lifecycle.state}

    def state(self) -> dict[str, Any]:
        out = {}
        for sid, s in self.sessions.items():
            if not s.ended:
                stage = "expired" if self._expired(s) else "created"
            else:
                assert s.lifecycle is not None
                stage = s.lifecycle.state
            out[sid] = {"state": stage, "scenario": s.scenario}
        txns = {tid: {"state": t.lifecycle.state if t.lifecycle else "uploading",
                      "scenario": t.scenario, "action": t.action, "files": list(t.files)}
                for tid, t in self.txns.items()}
        return {"sessions": out, "transactions": txns}


def _sequence_number(name: str) -> int:
    match = re.search(r"(\d+)$", name.rsplit(".", 1)[0])
    return int(match.group(1)) if match else 0


_EXTENSIONS = {"audio/webm": "webm", "audio/wav": "wav", "audio/x-wav": "wav",
               "audio/wave": "wav", "audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/mp4": "m4a",
               "audio/m4a": "m4a", "audio/x-m4a": "m4a", "audio/ogg": "ogg", "audio/flac": "flac"}


def _extension(content_type: str) -> str:
    return _EXTENSIONS.get(content_type.split(";", 1)[0].strip().lower(), "bin")
