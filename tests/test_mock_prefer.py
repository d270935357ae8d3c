"""The ``Prefer`` request header on the mocks (RFC 7240, as Stoplight Prism reads it), over real
HTTP: every documented status of every operation answered on request and validating strictly,
named examples served as written, refused preferences as problems naming the alternatives,
``Preference-Applied``, no state change, and auth, validation, faults and drift around it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from _support import concrete_url, examples, heidi_auth, spec
from contracts import BUNDLED
from contracts.mock import DEFAULT_TOKEN, MockServer, app, base_urls
from contracts.specs import Operation

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}", "Heidi-Api-Key": DEFAULT_TOKEN}
RANGE_SAMPLES = {"1": (100,), "2": (200,), "3": (300,), "4": (400, 401, 403, 404, 409, 422, 429),
                 "5": (500, 502, 503)}
"""The statuses tried for a range key (the 4xx ones are those Cloudflare's SDK maps)."""
PROBLEM = "application/problem+json"


def _statuses(key: str) -> tuple[int, ...]:
    if key.isdigit():
        return (int(key),)
    if key.upper().endswith("XX"):
        return RANGE_SAMPLES[key[0]]
    return (599,)  # "default": a status nothing else documents


def _documented() -> Iterator[Any]:
    for api in BUNDLED:
        for op in spec(api).operations:
            for key in op.node.value.get("responses") or {}:
                for status in _statuses(str(key)):
                    label = str(key) if str(key) == str(status) else f"{key}={status}"
                    yield pytest.param(api, op, status, id=f"{api}:{op.operation_id}:{label}")


def _request_body(api: str, op: Operation) -> Any:
    """The spec's first request example, for operations that take a body."""
    for example in examples((api,)):
        if example.status is None and example.operation.operation_id == op.operation_id:
            return example.value
    return None


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    """One mock per API for the whole module (preferred answers change no state): base URLs."""
    running = {api: MockServer(app(api)).start() for api in BUNDLED}
    yield {api: base_urls([api], server.url)[api] for api, server in running.items()}
    for server in running.values():
        server.stop()


_HEIDI: dict[str, dict[str, str]] = {}


def _auth(base: str, api: str) -> dict[str, str]:
    """AUTH, except for Heidi: the JWT its ``GET /jwt`` answers (one per mock) as Bearer."""
    if api != "heidi":
        return AUTH
    if base not in _HEIDI:
        _HEIDI[base] = heidi_auth(base)
    return _HEIDI[base]


def _call(base: str, api: str, op: Operation, prefer: str | None = None,
          headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
    sent = dict(_auth(base, api) if headers is None else headers)
    if prefer is not None:
        sent["Prefer"] = prefer
    kwargs.setdefault("json", _request_body(api, op))
    return httpx.request(op.method.upper(), base + concrete_url(op), headers=sent, **kwargs)


def _problem(response: httpx.Response, reason: str) -> str:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["x-contracts-mock-error"] == "prefer"
    assert "preference-applied" not in response.headers
    body = response.json()
    assert set(body) == {"type", "title", "detail"} and body["title"]
    assert body["type"] == f"urn:scribe-contracts:mock:prefer:{reason}"
    return str(body["detail"])


# -- every documented status ------------------------------------------------------------------

@pytest.mark.parametrize(("api", "op", "status"), list(_documented()))
def test_every_documented_status_is_answered_on_request(
        servers: dict[str, str], contract_violations: Callable[..., list[Any]], api: str,
        op: Operation, status: int) -> None:
    response = _call(servers[api], api, op, f"code={status}")
    assert response.status_code == status, response.text
    assert re.fullmatch(rf"code={status}(, example=\S+)?",
                        response.headers["preference-applied"])
    problems = [f"{v.code} {v.pointer} {v.message}"
                for v in contract_violations(api, response, strict=True)]
    assert not problems
    if status == 429:
        assert response.headers["retry-after"] == "1"


def test_code_passes_over_examples_with_documented_warnings(servers: dict[str, str]) -> None:
    upheal = spec("upheal").operation("getSession")
    chosen = _call(servers["upheal"], "upheal", upheal, "code=200")
    assert chosen.headers["preference-applied"] == "code=200, example=getSession-200-error"
    heidi = spec("heidi").operation("listLinkedUserSessions")
    listed = _call(servers["heidi"], "heidi", heidi, "code=200")
    assert listed.headers["preference-applied"] == "code=200"  # the handler's page
    assert listed.json()["count"] == len(listed.json()["sessions"])


def test_a_named_example_is_served_as_written(servers: dict[str, str],
                                              contract_violations: Callable[..., list[Any]]
                                              ) -> None:
    op = spec("upheal").operation("getSession")
    done = _call(servers["upheal"], "upheal", op, "example=getSession-200-done")
    assert done.headers["preference-applied"] == "code=200, example=getSession-200-done"
    assert {v.code for v in contract_violations("upheal", done)} == {
        "invariant.upheal.speaker_mapping_unused"}  # the spec's own example, kept on purpose


_FEW = {("eka", "getSession"), ("eka", "createSession"), ("upheal", "getSession"),
        ("realtimekit", "getSessions")}


@pytest.mark.parametrize("example", [
    pytest.param(e, id=e.id) for e in examples()
    if e.status is not None and (e.api, e.operation.operation_id) in _FEW])
@pytest.mark.parametrize("with_code", [False, True], ids=["example", "code+example"])
def test_every_named_example_of_a_few_operations(servers: dict[str, str], example: Any,
                                                 with_code: bool) -> None:
    status = example.status
    prefer = (f"code={status}, " if with_code else "") + f"example={example.name}"
    response = _call(servers[example.api], example.api, example.operation, prefer)
    assert response.status_code == status
    assert response.json() == example.value
    assert response.headers["preference-applied"] == f"code={status}, example={example.name}"


def test_preference_applied_repeats_the_answer(servers: dict[str, str]) -> None:
    op = spec("eka").operation("getSession")
    first = _call(servers["eka"], "eka", op, "code=410")
    again = _call(servers["eka"], "eka", op, first.headers["preference-applied"])
    assert (again.status_code, again.json()) == (410, first.json())
    assert again.headers["preference-applied"] == first.headers["preference-applied"]


def test_an_answer_is_checked_against_the_request_itself(
        servers: dict[str, str], contract_violations: Callable[..., list[Any]]) -> None:
    # No spec example holds soap_template, so each would break the template filter rule.
    op = spec("eka").operation("getSession")
    response = _call(servers["eka"], "eka", op, "code=200",
                     params={"template_id": "soap_template"})
    assert response.status_code == 200
    assert response.headers["preference-applied"] == "code=200"
    assert not contract_violations("eka", response, strict=True)


def test_head_and_several_prefer_lines(servers: dict[str, str]) -> None:
    base = servers["realtimekit"]
    op = spec("realtimekit").operation("getSessionDetails")
    head = httpx.head(base + concrete_url(op), headers={**AUTH, "Prefer": "code=404"})
    assert (head.status_code, head.content) == (404, b"")
    assert head.headers["preference-applied"] == "code=404, example=client-error"
    lines = [*AUTH.items(), ("Prefer", "respond-async"), ("Prefer", "code=409")]
    both = httpx.get(base + concrete_url(op), headers=lines)
    assert both.status_code == 409


# -- refused and ignored preferences ----------------------------------------------------------

LINKED = ("heidi", "listLinkedUserSessions")  # 200, 401, 403, 422; examples for 200 and 403
STATUSES = "200, 401, 403, 422"


@pytest.mark.parametrize(("prefer", "reason", "names"), [
    ("code=418", "undocumented-code", [STATUSES]),
    ("code=302, example=listLinkedUserSessions-200", "undocumented-code", [STATUSES]),
    ("example=nope", "unknown-example",
     ["'nope'", "200: listLinkedUserSessions-200", "403: listLinkedUserSessions-403", STATUSES]),
    ("code=200, example=nope", "unknown-example", ["'nope'", "listLinkedUserSessions-200"]),
    ("code=200, example=listLinkedUserSessions-403", "example-mismatch",
     ["403 response", "its 200 examples: listLinkedUserSessions-200"]),
    ("code=401, example=listLinkedUserSessions-200", "example-mismatch",
     ["200 response", "its 401 response has no named examples"]),
    ("code=abc", "malformed", ["three-digit", STATUSES]),
    ("code=4XX", "malformed", ["three-digit", STATUSES]),
    ("code", "malformed", ["three-digit", STATUSES]),
    ("example=", "malformed", [STATUSES]),
    ('example="unterminated', "malformed", [STATUSES]),
    ("code=200 example=x", "malformed", [STATUSES]),
    ("=200", "malformed", [STATUSES]),
    ("dynamic=maybe", "malformed", [STATUSES]),
    ("dynamic=true", "unsupported", ["dynamic", "code=N", STATUSES]),
    ("code=200, dynamic=true", "unsupported", ["dynamic", STATUSES]),
])
def test_a_refused_preference_is_a_problem_naming_what_is_documented(
        servers: dict[str, str], prefer: str, reason: str, names: list[str]) -> None:
    api, operation = LINKED
    detail = _problem(_call(servers[api], api, spec(api).operation(operation), prefer), reason)
    for name in names:
        assert name in detail, detail


@pytest.mark.parametrize("prefer", ["respond-async", "return=minimal", "wait=10",
                                    "dynamic=false", "handling=lenient; x=1"])
def test_other_preferences_are_ignored(servers: dict[str, str], prefer: str) -> None:
    op = spec("realtimekit").operation("getSessions")
    plain = _call(servers["realtimekit"], "realtimekit", op)
    preferred = _call(servers["realtimekit"], "realtimekit", op, prefer)
    assert (preferred.status_code, preferred.json()) == (plain.status_code, plain.json())
    assert "preference-applied" not in preferred.headers


def test_known_preferences_among_others_and_the_first_of_a_repeat(
        servers: dict[str, str]) -> None:
    op = spec("realtimekit").operation("getSessions")
    mixed = _call(servers["realtimekit"], "realtimekit", op,
                  'return=minimal, code=404; lang="en", respond-async')
    assert mixed.status_code == 404
    repeated = _call(servers["realtimekit"], "realtimekit", op, "code=403, CODE=200")
    assert repeated.status_code == 403  # RFC 7240: only the first instance counts


# -- state ------------------------------------------------------------------------------------

def _state(server: Any, api: str) -> Any:
    return httpx.get(f"{server.url}/__contracts__/state").json()[api]


def test_a_preferred_create_creates_nothing(mock_server: Callable[..., Any]) -> None:
    server = mock_server("eka")
    op = spec("eka").operation("createSession")
    base = base_urls(["eka"], server.url)["eka"]
    created = _call(base, "eka", op, "code=201")
    assert created.status_code == 201 and created.json()["session_id"]
    assert _state(server, "eka")["sessions"] == {}


def test_preferred_polls_move_no_lifecycle(mock_server: Callable[..., Any]) -> None:
    server = mock_server("upheal", webhook_url="http://127.0.0.1:9/never-called")
    base = base_urls(["upheal"], server.url)["upheal"]
    create = spec("upheal").operation("createSession")
    sid = _call(base, "upheal", create).json()["sessionId"]
    for _ in range(4):
        preferred = httpx.get(f"{base}/sessions/{sid}", headers={**AUTH, "Prefer": "code=200"})
        assert preferred.status_code == 200 and preferred.json()["sessionId"] != sid
    before = _state(server, "upheal")
    assert before["sessions"][sid]["state"] == "InProgress" and before["webhooks"] == []
    # Two plain polls, as if nothing had been preferred (short of Done: no web-hook to wait on).
    states = [httpx.get(f"{base}/sessions/{sid}", headers=AUTH).json()["state"]
              for _ in range(2)]
    assert states == ["InProgress", "Processing"]


def test_the_handlers_answer_comes_from_a_scratch_copy(mock_server: Callable[..., Any]) -> None:
    # No spec example holds soap_template: the answer is the handler's, run on a copy.
    server = mock_server("eka", steps=0)
    base = base_urls(["eka"], server.url)["eka"]
    with httpx.Client(base_url=base, headers=AUTH) as c:
        sid = c.post("/voice/v1/sessions", json={
            "upload_type": "chunked", "communication_protocol": "http",
            "templates": ["soap_template"]}).json()["session_id"]
        c.post(f"/voice/v1/sessions/{sid}/end", json={"audio_files_sent": 1})
        before = _state(server, "eka")
        preferred = c.get(f"/voice/v1/sessions/{sid}", params={"template_id": "soap_template"},
                          headers={"Prefer": "code=200"})
        assert preferred.headers["preference-applied"] == "code=200"
        assert preferred.json()["session_id"] == sid
        assert [next(iter(t)) for t in preferred.json()["templates"]] == ["soap_template"]
        assert _state(server, "eka") == before


def test_a_preference_outranks_the_scenario_header(servers: dict[str, str]) -> None:
    api, operation = LINKED
    op = spec(api).operation(operation)
    scenario = {**_auth(servers[api], api), "x-contracts-scenario": "no_linked_user"}
    assert _call(servers[api], api, op, headers=scenario).status_code == 403
    assert _call(servers[api], api, op, "code=200", headers=scenario).status_code == 200


# -- order: auth, validation, faults, drift ---------------------------------------------------

def test_credentials_are_checked_first(servers: dict[str, str]) -> None:
    op = spec("eka").operation("getSession")
    base, anon = servers["eka"], {"Authorization": "Bearer wrong"}
    refused = _call(base, "eka", op, "code=404", headers=anon)
    assert refused.status_code == 401 and "preference-applied" not in refused.headers
    assert refused.json()["error"]["code"] == "authentication_failed"  # the vendor's own 401
    assert _call(base, "eka", op, "code=abc", headers=anon).status_code == 401
    exact = _call(base, "eka", op, "code=401", headers=anon)
    assert exact.headers["preference-applied"] == "code=401, example=unauthorized"
    upheal = spec("upheal").operation("getSession")  # documents a bad key as 403
    forbidden = _call(servers["upheal"], "upheal", upheal, "code=403", headers={})
    assert forbidden.status_code == 403
    # The page publishes no error body (the spec declares no content): none is served.
    assert forbidden.headers["preference-applied"] == "code=403"
    assert forbidden.content == b""
    with_token = _call(base, "eka", op, "code=401")
    assert with_token.status_code == 401 and "preference-applied" in with_token.headers


def test_the_request_is_validated_before_the_preference(servers: dict[str, str]) -> None:
    op = spec("eka").operation("createSession")
    base, bad = servers["eka"], {"upload_type": 5}
    invalid = _call(base, "eka", op, "code=201", json=bad)
    assert invalid.status_code == 422 and "preference-applied" not in invalid.headers
    assert invalid.json()["error"]["code"] in ("missing_required_field", "validation_error")
    exact = _call(base, "eka", op, "code=422", json=bad)
    assert exact.headers["preference-applied"] == "code=422, example=createSession-422"


def test_faults_still_replace_a_preferred_answer(mock_server: Callable[..., Any]) -> None:
    server = mock_server("eka", error_rate=1.0)
    op = spec("eka").operation("getSession")
    response = _call(server.url, "eka", op, "code=404")
    assert response.headers["x-contracts-fault"] == "1"
    assert response.status_code in (500, 502, 503, 429)
    assert "preference-applied" not in response.headers


def test_drift_applies_to_a_preferred_success(mock_server: Callable[..., Any],
                                              contract_violations: Callable[..., list[Any]]
                                              ) -> None:
    server = mock_server("realtimekit", drift="field-added")
    base = base_urls(["realtimekit"], server.url)["realtimekit"]
    op = spec("realtimekit").operation("getSessionDetails")
    drifted = _call(base, "realtimekit", op, "code=200")
    assert drifted.headers["x-contracts-drift"] == "field-added"
    assert drifted.headers["preference-applied"] == "code=200, example=getSessionDetails-200"
    assert "x_vendor_trace" in drifted.json()["data"]
    assert "response.body.undocumented_field" in {
        v.code for v in contract_violations("realtimekit", drifted, strict=True)}
    error = _call(base, "realtimekit", op, "code=404")
    assert "x-contracts-drift" not in error.headers  # drift touches successes only


# -- the pytest plugin's handle ---------------------------------------------------------------

def test_the_contract_mock_handle_builds_the_header(servers: dict[str, str]) -> None:
    from contracts.pytest_plugin import MockHandle

    handle = MockHandle("heidi", servers["heidi"], DEFAULT_TOKEN)
    headers = handle.prefer(403)
    assert headers == {**handle.headers, "Prefer": "code=403"}
    refused = httpx.get(handle.url("/sessions/linked-user"), headers=headers)
    assert refused.status_code == 403
    assert handle.prefer(example="a b")["Prefer"] == 'example="a b"'
    assert handle.prefer(200, "x")["Prefer"] == "code=200, example=x"
    with pytest.raises(TypeError):
        handle.prefer()
    live = MockHandle("heidi", servers["heidi"], DEFAULT_TOKEN, live=True)
    with pytest.raises(pytest.skip.Exception, match="live API"):
        live.prefer(403)
