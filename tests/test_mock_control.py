"""The mock's ``/__contracts__/`` control API refuses bad input over real HTTP on loopback: a
wrong JSON type, a body that is not a JSON object, an unknown scenario (on one vendor or on
``all``) is a 400 ``application/problem+json`` naming what is wrong, never a 500; user input
echoed in any error body is clipped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from contracts.mock import DEFAULT_TOKEN, MockServer, app

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
HUGE = "x" * 60_000
MALFORMED = "urn:scribe-contracts:mock:control:malformed"


@pytest.fixture(scope="module")
def every() -> Iterator[str]:
    """One ``all`` mock shared by the module's tests (each test resets what it changes)."""
    with MockServer(app("all")) as server:
        yield f"{server.url}/__contracts__"


def _problem(answer: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert set(problem) == {"type", "title", "detail"} and problem["title"]
    assert len(answer.content) < 1000, "user input echoed unclipped"
    return problem  # type: ignore[no-any-return]


def _scenarios(control: str) -> dict[str, Any]:
    return {api: s["scenario"] for api, s in httpx.get(f"{control}/state").json().items()}


def test_a_scenario_of_the_wrong_type_is_a_400_naming_the_field(every: str) -> None:
    before = _scenarios(every)
    problem = _problem(httpx.post(f"{every}/scenario", json={"scenario": [1, 2]}))
    assert problem["type"] == MALFORMED
    assert "'scenario'" in problem["detail"] and "an array" in problem["detail"]
    assert "[1, 2]" in problem["detail"]
    assert _scenarios(every) == before


# Every field of every control endpoint, given each JSON type it does not accept.
_WRONG = [1, 2.5, True, [1, 2], {"a": 1}]
_FIELDS = [("/scenario", "scenario"), ("/scenario", "api"), ("/reset", "api"),
           ("/sessions/s-1/advance", "api"), ("/sessions/s-1/advance", "to")]


@pytest.mark.parametrize("value", _WRONG, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize(("path", "name"), _FIELDS, ids=lambda x: str(x))
def test_every_control_field_refuses_a_wrong_json_type(every: str, path: str, name: str,
                                                       value: Any) -> None:
    problem = _problem(httpx.post(every + path, json={name: value}))
    assert problem["type"] == MALFORMED
    assert f"{name!r} must be a string" in problem["detail"]


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b'"eka"', b"3",
                                  b"null"], ids=["broken", "binary", "array", "string",
                                                 "number", "null"])
@pytest.mark.parametrize("path", ["/scenario", "/reset", "/sessions/s-1/advance"])
def test_a_body_that_is_not_a_json_object_is_a_400(every: str, path: str,
                                                   body: bytes) -> None:
    answer = httpx.post(every + path, content=body,
                        headers={"content-type": "application/json"})
    problem = _problem(answer)
    assert problem["type"] == MALFORMED
    assert "not JSON" in problem["detail"] or "must be a JSON object" in problem["detail"]


def test_an_unknown_scenario_on_the_all_mock_is_refused_naming_the_known_ones(
        every: str) -> None:
    before = _scenarios(every)
    problem = _problem(httpx.post(f"{every}/scenario", json={"scenario": "parital"}))
    assert problem["type"] == "urn:scribe-contracts:mock:control:unknown-scenario"
    assert "'parital'" in problem["detail"]
    for known in ("partial", "no_linked_user", "failed"):
        assert known in problem["detail"]
    assert _scenarios(every) == before  # nothing was switched off either


def test_a_known_scenario_on_the_all_mock_still_reaches_its_vendor(every: str) -> None:
    try:
        answer = httpx.post(f"{every}/scenario", json={"scenario": "no_linked_user"})
        assert answer.status_code == 200
        assert _scenarios(every)["heidi"] == "no_linked_user"
        assert _scenarios(every)["eka"] is None
        cleared = httpx.post(f"{every}/scenario", json={"scenario": None})
        assert cleared.status_code == 200 and _scenarios(every)["heidi"] is None
    finally:
        httpx.post(f"{every}/reset")


def test_an_unknown_scenario_for_one_vendor_names_its_scenarios(
        mock_server: Callable[..., Any]) -> None:
    server = mock_server("eka")
    problem = _problem(httpx.post(f"{server.url}/__contracts__/scenario",
                                  json={"scenario": "nope"}))
    assert "eka has no scenario 'nope'" in problem["detail"]
    assert "partial" in problem["detail"]


def _clipped(detail: str) -> None:
    assert "…" in detail and HUGE not in detail and len(detail) < 600


def test_a_huge_scenario_header_is_clipped_in_the_answer(
        mock_server: Callable[..., Any]) -> None:
    server = mock_server("eka")
    answer = httpx.post(f"{server.url}/voice/v1/sessions", json={},
                        headers={**AUTH, "x-contracts-scenario": HUGE})
    _clipped(_problem(answer)["detail"])


@pytest.mark.parametrize(("path", "body", "status"), [
    ("/scenario", {"scenario": HUGE}, 400),
    ("/scenario", {"api": HUGE}, 404),
    ("/reset", {"api": HUGE}, 404),
    ("/sessions/s-1/advance", {"api": HUGE}, 404),
    (f"/sessions/{HUGE[:8000]}/advance", {}, 404),
    ("/scenario", {"scenario": [HUGE]}, 400),
], ids=["scenario", "scenario-api", "reset-api", "advance-api", "session-id", "in-a-list"])
def test_huge_control_values_are_clipped(every: str, path: str, body: dict[str, Any],
                                         status: int) -> None:
    _clipped(_problem(httpx.post(every + path, json=body), status)["detail"])


def test_a_huge_state_name_is_clipped(mock_server: Callable[..., Any]) -> None:
    server = mock_server("eka")
    with httpx.Client(base_url=f"{server.url}/voice/v1", headers=AUTH) as c:
        sid = c.post("/sessions", json={"upload_type": "chunked",
                                        "communication_protocol": "http",
                                        "templates": ["eka_emr_template"]}).json()["session_id"]
        assert c.post(f"/sessions/{sid}/end", json={"audio_files_sent": 1}).status_code < 300
    problem = _problem(httpx.post(f"{server.url}/__contracts__/sessions/{sid}/advance",
                                  json={"to": HUGE}))
    _clipped(problem["detail"])
    assert "it can reach processing, done" in problem["detail"]


def test_the_query_string_is_checked_like_the_body(every: str) -> None:
    problem = _problem(httpx.get(f"{every}/state", params={"api": "nope"}), 404)
    assert "'nope'" in problem["detail"] and "eka" in problem["detail"]


@pytest.mark.parametrize("prefer", [f"code={'9' * 60_000}", f"example={HUGE}", f"{HUGE}=",
                                    f"code=200 {HUGE}", f"dynamic={HUGE}",
                                    f'example="{HUGE}"'],
                         ids=["code", "example", "name", "trailing", "dynamic", "quoted"])
def test_a_huge_prefer_header_is_clipped_in_the_problem(mock_server: Callable[..., Any],
                                                        prefer: str) -> None:
    server = mock_server("eka")
    answer = httpx.get(f"{server.url}/voice/v1/sessions/s-1",
                       headers={**AUTH, "prefer": prefer})
    assert HUGE[:1000] not in _problem(answer)["detail"]
