"""Redaction: credentials never survive, patient data only on opt-in, shapes always do."""

from __future__ import annotations

import base64
import datetime
import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from contracts.errors import UsageError
from contracts.exchanges import Exchange, read_exchanges, write_exchanges
from contracts.redaction import DEFAULT_PATIENT_KEYS, SECRET_HEADERS, Redactor

# Canaries: synthetic values that must never appear after redaction.
TOKEN = "tok_CANARY_a1b2c3d4e5f6"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDQU5BUlkifQ.c2lnbmF0dXJlQ0FOQVJZ"
NAME = "Zelda Canaryfield"
DOB = "1971-05-17"
SENTENCE = "I have been feeling canary-yellow anxious since March"
SIGNATURE = "CANARYSIG0123456789abcdef"
SIGNED_URL = ("https://media.example.invalid/recordings/zelda.m4a?X-Amz-Algorithm=AWS4-HMAC-SHA256"
              f"&X-Amz-Expires=900&X-Amz-Signature={SIGNATURE}")
PASSWORD = "hunter2-CANARY"

CREDENTIALS = [TOKEN, JWT, SIGNATURE, PASSWORD, "zelda.m4a", "X-Amz-Signature"]
PATIENT = [NAME, "Zelda", "Canaryfield", DOB, SENTENCE, "canary-yellow"]


def _body() -> dict[str, Any]:
    return {
        "session": {
            "id": "ses_synthetic_1",
            "status": "completed",
            "duration": 1834.5,
            "word_count": 212,
            "is_draft": False,
            "patient": {"name": NAME, "dob": DOB, "date_of_birth": 19710517,
                        "demographic_details": "F, 53"},
            "patientName": NAME,
            "transcript": [
                {"speaker": "client", "text": SENTENCE, "start": 1.25, "end": 4.5,
                 "words": [{"word": "I", "text": "I", "start": 1.25}]},
            ],
            "notes": [{"title": "SOAP", "content": {"summary": SENTENCE}}],
            "audio_url": SIGNED_URL,
            "presignedUrl": SIGNED_URL,
            "links": {"media": SIGNED_URL, "help": "https://docs.example.invalid/help"},
            "detail": f"use Authorization: Bearer {TOKEN} or {JWT}; media at {SIGNED_URL}.",
            "access_token": TOKEN,
            "credentials": {"password": PASSWORD, "clientSecret": PASSWORD, "api_key": 12345},
            "created_at": "2025-03-04T10:15:00Z",
            "tags": [],
            "nothing": None,
        },
    }


def _exchange(body: Any = None) -> Exchange:
    return Exchange(
        method="POST",
        url=f"https://user:{PASSWORD}@api.example.invalid/v1/sessions?access_token={TOKEN}"
            f"&patient_name={NAME.replace(' ', '+')}&page=2&sig={SIGNATURE}",
        status=200,
        request_headers={
            "Authorization": f"Bearer {TOKEN}",
            "Cookie": f"session={TOKEN}",
            "Heidi-Api-Key": TOKEN,
            "X-Upheal-Signature": TOKEN,
            "X-Session-Token": TOKEN,
            "X-Trace": f"trace with {JWT}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
        request_body=orjson.dumps(body if body is not None else _body()),
        response_headers={"Set-Cookie": f"sid={TOKEN}; HttpOnly", "Location": SIGNED_URL,
                          "Content-Type": "application/json"},
        response_body=body if body is not None else _body(),
        api="upheal",
    )


def _serialized(exchange: Exchange, redactor: Redactor) -> str:
    out = io.StringIO()
    write_exchanges(out, [exchange], redactor=redactor)
    return out.getvalue()


def _shape(value: Any) -> Any:
    """Keys, lengths and value types, without the values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def _parsed(body: Any) -> Any:
    return json.loads(body) if isinstance(body, str | bytes) else body


def test_no_canary_survives_default_redaction() -> None:
    redacted = Redactor().exchange(_exchange())
    text = repr(redacted) + _serialized(_exchange(), Redactor())
    for canary in CREDENTIALS + PATIENT:
        assert canary not in text, canary


def test_opting_in_keeps_patient_data_but_never_credentials() -> None:
    redactor = Redactor(enabled=False)
    redacted = redactor.exchange(_exchange())
    text = repr(redacted) + _serialized(_exchange(), redactor)
    for canary in CREDENTIALS:
        assert canary not in text, canary
    for canary in (NAME, DOB, SENTENCE):
        assert canary in text, canary
    assert redacted.request_headers["authorization"] == "[REDACTED]"


def test_shapes_and_types_are_kept() -> None:
    original = _exchange()
    redacted = Redactor().exchange(original)
    assert _shape(redacted.response_body) == _shape(original.response_body)
    assert _shape(redacted.request_body) == _shape(_parsed(original.request_body))
    assert set(redacted.request_headers) == {k.lower() for k in original.request_headers}
    # Values that are not sensitive are kept exactly.
    session = redacted.response_body["session"]
    assert (session["id"], session["status"], session["duration"]) == (
        "ses_synthetic_1", "completed", 1834.5)
    assert session["word_count"] == 212 and session["created_at"] == "2025-03-04T10:15:00Z"
    assert session["links"]["help"] == "https://docs.example.invalid/help"
    assert session["transcript"][0]["start"] == 1.25
    # Sensitive numbers become zero of the same type; lists keep their length.
    assert session["patient"]["date_of_birth"] == 0
    assert session["credentials"]["api_key"] == 0
    assert len(session["transcript"][0]["words"]) == 1
    # Inside free text, strings go but numbers and booleans (timings) are structure.
    assert session["transcript"][0]["words"][0] == {"word": "[REDACTED:str:1]",
                                                    "text": "[REDACTED:str:1]", "start": 1.25}


def test_placeholders_keep_the_format() -> None:
    session = Redactor().exchange(_exchange()).response_body["session"]
    datetime.date.fromisoformat(session["patient"]["dob"])
    assert session["audio_url"] == "https://media.example.invalid"
    assert session["links"]["media"] == "https://media.example.invalid"
    assert session["patient"]["name"] == f"[REDACTED:str:{len(NAME)}]"
    body = Redactor(extra_keys={"when", "email", "empty"}).json(
        {"when": "2024-01-02T03:04:05+01:00", "email": "zelda@example.org", "empty": ""})
    assert body == {"when": "1900-01-01T00:00:00Z", "email": "redacted@example.invalid",
                    "empty": ""}


def test_redaction_is_idempotent() -> None:
    for redactor in (Redactor(), Redactor(enabled=False),
                     Redactor(paths=("$..words[*]",), extra_keys={"speaker"})):
        once = redactor.exchange(_exchange())
        assert redactor.exchange(once) == once


def test_the_written_log_reads_back_as_the_redacted_exchange(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    with path.open("wb") as fh:
        write_exchanges(fh, [_exchange()])
    (back,) = read_exchanges(path)
    assert back == Redactor().exchange(_exchange())
    for canary in CREDENTIALS + PATIENT:
        assert canary not in path.read_text()


@pytest.mark.parametrize("header", [
    *sorted(SECRET_HEADERS),
    "X-Auth-User", "X-Refresh-Token", "X-Client-Secret", "Sec-WebSocket-Key", "X-Custom-Key"])
@pytest.mark.parametrize("enabled", [True, False])
def test_credential_headers_are_always_redacted(header: str, enabled: bool) -> None:
    out = Redactor(enabled=enabled).headers({header: "value-CANARY", "Accept": "text/plain"})
    assert out == {header.lower(): "[REDACTED]", "accept": "text/plain"}


def test_extra_headers() -> None:
    assert Redactor(extra_headers={"X-Tenant"}).headers({"x-tenant": "acme"}) == {
        "x-tenant": "[REDACTED]"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("page=2&limit=10", "page=2&limit=10"),
        (f"access_token={TOKEN}&page=2", "access_token=%5BREDACTED%5D&page=2"),
        ("apiKey=abc&Password=x&flag", "apiKey=%5BREDACTED%5D&Password=%5BREDACTED%5D&flag"),
        (f"first_name=Zelda&q={JWT}", "first_name=%5BREDACTED%5D&q=%5BREDACTED%5D"),
        ("X-Amz-Signature=abc&X-Amz-Credential=def&other=1",
         "X-Amz-Signature=%5BREDACTED%5D&X-Amz-Credential=%5BREDACTED%5D&other=1"),
    ],
)
def test_query_strings(query: str, expected: str) -> None:
    assert Redactor().url(f"https://h.example.invalid/p?{query}") == (
        f"https://h.example.invalid/p?{expected}")
    assert Redactor().url(f"/p?{query}") == f"/p?{expected}"


def test_opt_in_keeps_patient_query_values() -> None:
    assert Redactor(enabled=False).url("/p?first_name=Zelda&token=t") == (
        "/p?first_name=Zelda&token=%5BREDACTED%5D")


@pytest.mark.parametrize("key", [
    *sorted(DEFAULT_PATIENT_KEYS),
    "firstName", "DATE_OF_BIRTH", "clinicianNotes", "external_treatment_plan"])
def test_each_patient_key(key: str) -> None:
    body = {key: "Zelda", "keep": "Zelda"}
    assert Redactor().json(body) == {key: "[REDACTED:str:5]", "keep": "Zelda"}
    assert Redactor(enabled=False).json(body) == body


@pytest.mark.parametrize("key", ["token", "access_token", "refresh_token", "api_key", "apiKey",
                                 "password", "secret", "client_secret", "upload_token", "jwt"])
def test_each_secret_key_even_on_opt_in(key: str) -> None:
    assert Redactor(enabled=False).json({key: "s3cr3t", "n": [{key: 7}]}) == {
        key: "[REDACTED:str:6]", "n": [{key: 0}]}


def test_url_keys_and_signed_urls() -> None:
    body = {"upload_url": "wss://api.eka.care/voice/v1/stream/sessions/ses_1/audio",
            "recordingUrl": "/relative/zelda.m4a",
            "upload_url_object": {"url": "https://x.example.invalid/a/b"},
            "plain": "https://x.example.invalid/a/b?page=2",
            "signed": "https://x.example.invalid/a/b?sig=zzz",
            "status_text": "urgent"}
    assert Redactor().json(body) == {
        "upload_url": "wss://api.eka.care",
        "recordingUrl": "[REDACTED:str:19]",
        "upload_url_object": {"url": "https://x.example.invalid"},
        "plain": "https://x.example.invalid/a/b?page=2",
        "signed": "https://x.example.invalid",
        "status_text": "urgent"}
    opted = Redactor(enabled=False).json(body)
    assert opted["recordingUrl"] == "/relative/zelda.m4a"
    assert opted["signed"] == "https://x.example.invalid"  # a signature is a credential


def test_credentials_inside_free_text() -> None:
    text = f"Bearer {TOKEN}; Basic dXNlcjpwYXNz; {JWT}; basic information; a bearer of news"
    out = Redactor(enabled=False).json({"detail": text})["detail"]
    assert TOKEN not in out and JWT not in out and "dXNlcjpwYXNz" not in out
    assert "basic information" in out and "a bearer of news" in out


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("$.session.patient.*",
         {"session": {"patient": {"age": 3, "id": "p1"}, "id": "s1"}},
         {"session": {"patient": {"age": 0, "id": "[REDACTED:str:2]"}, "id": "s1"}}),
        ("$.session.patient",
         {"session": {"patient": ["a", 1, True, None]}},
         {"session": {"patient": ["[REDACTED:str:1]", 0, False, None]}}),
        ("$..words[*].word",
         {"a": {"words": [{"word": "hi", "t": 1}]}, "words": [{"word": "yo", "t": 2}],
          "word": "kept"},
         {"a": {"words": [{"word": "[REDACTED:str:2]", "t": 1}]},
          "words": [{"word": "[REDACTED:str:2]", "t": 2}], "word": "kept"}),
        ("$.items[1]", {"items": ["a", "b", "c"]},
         {"items": ["a", "[REDACTED:str:1]", "c"]}),
        ("$['odd.key'].x", {"odd.key": {"x": "v", "y": "w"}},
         {"odd.key": {"x": "[REDACTED:str:1]", "y": "w"}}),
        ('$["sp ace"]', {"sp ace": 5, "space": 6}, {"sp ace": 0, "space": 6}),
        ("$", {"a": ["b", {"c": 1.5}]}, {"a": ["[REDACTED:str:1]", {"c": 0.0}]}),
        ("$..*", [{"a": 1}, "b"], [{"a": 0}, "[REDACTED:str:1]"]),
        ("$.a[*]", {"a": {"k": "v"}, "b": "w"}, {"a": {"k": "[REDACTED:str:1]"}, "b": "w"}),
        ("$.missing.path", {"other": "v"}, {"other": "v"}),
        ("$.items[0]", {"items": {"0": "v"}}, {"items": {"0": "v"}}),  # [0] is not a key
    ],
)
def test_json_paths(path: str, body: Any, expected: Any) -> None:
    assert Redactor(enabled=False, paths=(path,)).json(body) == expected


@pytest.mark.parametrize("path", ["session.patient", "$.", "$.a[", "$.a[x]", "$..", "$.a b",
                                  "$a"])
def test_bad_paths_are_usage_errors(path: str) -> None:
    with pytest.raises(UsageError, match="bad redaction path"):
        Redactor(paths=(path,))


def test_rules_given_as_a_string_are_refused() -> None:
    with pytest.raises(UsageError):
        Redactor(paths="$.a")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        Redactor(extra_keys="mrn")  # type: ignore[arg-type]


def test_non_json_bodies() -> None:
    redactor = Redactor()
    assert redactor.body(b"\x00\xff binary") == b"[REDACTED:bytes:9]"
    assert redactor.body("Zelda said hello") == "[REDACTED:str:16]"
    assert Redactor(enabled=False).body("Zelda said hello") == "Zelda said hello"
    assert Redactor(enabled=False).body(f"Bearer {TOKEN}") == "[REDACTED]"
    # A JSON body whose top-level value is a string stays raw text.
    assert redactor.body(orjson.dumps(JWT)) == '"[REDACTED]"'
    assert redactor.body("null") == "null"


def test_form_bodies_are_redacted_like_queries() -> None:
    form = f"grant_type=password&username=zelda&password={PASSWORD}&name=Zelda"
    out = Redactor().body(form.encode(), "application/x-www-form-urlencoded; charset=utf-8")
    assert out == ("grant_type=password&username=zelda&password=%5BREDACTED%5D"
                   "&name=%5BREDACTED%5D")


def test_deep_bodies_do_not_overflow_the_stack() -> None:
    depth = 5_000  # well past Python's recursion limit
    body: Any = "Zelda"
    for _ in range(depth):
        body = {"notes": [body]}
    out = Redactor().json(body)
    for _ in range(depth):
        out = out["notes"][0]
    assert out == "[REDACTED:str:5]"


def test_redactor_is_frozen_and_comparable() -> None:
    assert Redactor(extra_keys=["a"]) == Redactor(extra_keys=frozenset({"a"}))
    with pytest.raises(AttributeError):
        Redactor().enabled = False  # type: ignore[misc]


def test_free_text_containers_keep_numbers_but_not_nested_secrets() -> None:
    body = {"notes": [{"title": "SOAP", "score": 3, "final": True, "token": "t0k3n-value",
                       "name": "Zelda", "n": None}],
            "dob": 19710517, "summary": 4.5}
    assert Redactor().json(body) == {
        "notes": [{"title": "[REDACTED:str:4]", "score": 3, "final": True,
                   "token": "[REDACTED:str:11]", "name": "[REDACTED:str:5]", "n": None}],
        "dob": 0, "summary": 0.0}


@pytest.mark.parametrize("name", ["sample.har", "cassette.yaml"])
def test_fixture_tokens_never_reach_the_log(name: str) -> None:
    data = Path(__file__).parent / "data" / "exchanges" / name
    exchanges = [e for e in read_exchanges(data) if isinstance(e, Exchange)]
    assert any("synthetic-token-000" in e.request_headers.get("authorization", "")
               for e in exchanges)
    for redactor in (Redactor(), Redactor(enabled=False)):
        out = io.StringIO()
        write_exchanges(out, exchanges, redactor=redactor)
        assert "synthetic-token-000" not in out.getvalue()
        for line in out.getvalue().splitlines():
            response = json.loads(line).get("response", {})
            assert response.get("headers", {}).get("set-cookie", "[REDACTED]") == "[REDACTED]"


def test_url_keys_holding_lists_or_objects_are_redacted_too() -> None:
    from contracts.redaction import Redactor

    canary = "https://media.example.com/rec/patient-canary.m4a?X-Amz-Signature=abc&Expires=1"
    plain = "https://media.example.com/rec/patient-canary-2.m4a"
    body = {"upload_url": [canary, plain], "recordingUrl": {"primary": plain}}
    out = Redactor().json(body)
    text = str(out)
    assert "patient-canary" not in text
    assert isinstance(out["upload_url"], list) and len(out["upload_url"]) == 2
    assert isinstance(out["recordingUrl"], dict) and set(out["recordingUrl"]) == {"primary"}


def test_session_titles_are_treated_as_patient_data() -> None:
    from contracts.redaction import Redactor

    out = Redactor().json({"session": {"session_name": "Follow-up Jane Canary",
                                       "session_id": "s1"},
                           "meeting_display_name": "Review with Jane Canary"})
    assert "Canary" not in str(out)
    assert out["session"]["session_id"] == "s1"


def test_ekas_generated_documents_are_patient_data_under_any_template_name() -> None:
    """Eka's ``templates`` list holds the clinical note itself under a key named after each
    template: the built-in patient path redacts every document's ``data`` whatever the
    template is called, keeps the document's bookkeeping, and goes away on opt-in."""
    body = {
        "session_id": "ses_1", "status": "completed",
        "templates": [
            {"eka_emr_template": {"status": "success", "document_id": "doc_1",
                                  "data": {"chief_complaint": SENTENCE, "patient": NAME,
                                           "medications": [{"dose_mg": 500}]}}},
            {"a_clinic_template": {"status": "success", "data": [{"assessment": SENTENCE}]}},
        ],
        "patient_details": {"age": 53, "mobile": "+91 99999 00000"},
    }
    out = Redactor().json(body)
    text = json.dumps(out)
    assert not [c for c in [*PATIENT, "99999"] if c in text]
    first = out["templates"][0]["eka_emr_template"]
    assert first["status"] == "success" and first["document_id"] == "doc_1"
    assert first["data"]["medications"] == [{"dose_mg": 0}]  # numbers go too, shape stays
    assert _shape(out) == _shape(body)
    assert Redactor(enabled=False).json(body) == body
    # A user's own rules replace the built-in paths; credentials rules stay regardless.
    assert Redactor(patient_paths=()).json(body)["templates"][1] == body["templates"][1]


def test_ekas_documents_are_redacted_in_the_map_shape_and_in_fhir_form() -> None:
    """Eka's SDK types ``templates`` as a map keyed by template id, and a document may carry
    its FHIR form: both are the clinical note, redacted by default; bookkeeping stays."""
    body = {
        "session_id": "ses_1", "status": "completed",
        "templates": {
            "eka_emr_template": {"status": "success", "document_id": "doc_1",
                                 "data": {"chief_complaint": SENTENCE},
                                 "fhir": {"resourceType": "Bundle", "entry": [{"name": NAME}]}},
        },
    }
    out = Redactor().json(body)
    text = json.dumps(out)
    assert not [c for c in PATIENT if c in text]
    entry = out["templates"]["eka_emr_template"]
    assert entry["status"] == "success" and entry["document_id"] == "doc_1"
    assert _shape(out) == _shape(body)
    listed = {"templates": [{"t": {"fhir": {"note": SENTENCE}, "status": "success"}}]}
    assert SENTENCE not in json.dumps(Redactor().json(listed))
    assert Redactor(enabled=False).json(body) == body


def test_eka_sdk_endpoints_documents_and_upload_signature_are_redacted() -> None:
    """The SDK endpoints carry the clinical documents base64-encoded (v3 `output[*].value`,
    v1 `output.fhir`) and a presigned upload form whose signature grants uploads."""
    note = base64.b64encode(json.dumps({"chief_complaint": SENTENCE}).encode()).decode()
    v3 = {"data": {"output": [{"template_id": "eka_emr_template", "value": note,
                               "status": "success"}], "additional_data": {}}}
    v1 = {"status": "completed", "data": {"output": {"fhir": note}}}
    form = {"uploadData": {"url": "https://bucket.s3.amazonaws.com/", "fields": {
        "key": "EC_1/txn/${filename}", "x-amz-signature": "f" * 64,
        "x-amz-security-token": "t" * 40}}, "folderPath": "EC_1/txn/"}
    out = [Redactor().json(body) for body in (v3, v1, form)]
    assert note not in json.dumps(out[0]) and note not in json.dumps(out[1])
    assert out[0]["data"]["output"][0]["template_id"] == "eka_emr_template"
    fields = out[2]["uploadData"]["fields"]
    assert "f" * 64 not in json.dumps(fields) and "t" * 40 not in json.dumps(fields)
    assert fields["key"] == "EC_1/txn/${filename}"
    assert Redactor(enabled=False).json(v3) == v3


def test_realtimekit_peer_report_location_is_redacted() -> None:
    """The peer report (the SDK's typed `metadata.ip_information`) locates a participant."""
    body = {"success": True, "data": {"participant": {"peer_report": {"metadata": {
        "sdk_name": "web-core",
        "ip_information": {"ipv4": "203.0.113.7", "city": "Canaryfield", "country": "IN"},
    }}}}}
    out = Redactor().json(body)
    assert "203.0.113.7" not in json.dumps(out) and "Canaryfield" not in json.dumps(out)
    assert out["data"]["participant"]["peer_report"]["metadata"]["sdk_name"] == "web-core"
    assert Redactor(enabled=False).json(body) == body


@pytest.mark.parametrize("key", ["ehr_patient_id", "ai_command_text", "patient_details"])
def test_heidi_and_eka_patient_identifiers_are_patient_data(key: str) -> None:
    out = Redactor().json({"session": {key: "MRN-CANARY-77", "session_id": "s1"}})
    assert "CANARY" not in json.dumps(out) and out["session"]["session_id"] == "s1"


def test_patient_paths_given_as_a_string_are_refused() -> None:
    with pytest.raises(UsageError, match="patient_paths"):
        Redactor(patient_paths="$.templates")  # type: ignore[arg-type]
