"""The walk's shortcuts on recorded traffic name what the plain walk names: a body the fast
path parsed is parsed no more (and never mistaken for another), a vendor's screen stands in
for its rules only where they find nothing, credentials are judged from the route as the
walk judges them, and a violation is built and masked as before."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

import contracts.validation as validation
from contracts._loading import DEFAULT_LIMITS
from contracts._schema import json_type
from contracts.corpus import exchange_violations
from contracts.exchanges import Exchange
from contracts.findings import Severity, Violation
from contracts.invariants import rules_for_operation
from contracts.specs import load_spec
from contracts.validation import Validator

SESSION = "https://api.example.com/client/v4/accounts/a/realtime/kit/app/sessions/s-1"
AUTH = {"authorization": "Bearer t"}


def _session_body(**changes: Any) -> dict[str, Any]:
    session = {"id": "s-1", "associated_id": "m-1", "created_at": "2025-03-04T09:00:00.000Z",
               "live_participants": 0, "max_concurrent_participants": 2,
               "meeting_display_name": "Synthetic", "minutes_consumed": 1.5,
               "organization_id": "app", "started_at": "2025-03-04T09:00:00.000Z",
               "status": "ENDED", "type": "meeting", "updated_at": "2025-03-04T09:30:00.000Z",
               "ended_at": "2025-03-04T09:30:00.000Z"}
    session.update(changes)
    return {"success": True, "data": session}


def _exchange(body: Any, status: int = 200) -> Exchange:
    raw = body if isinstance(body, bytes | str) else orjson.dumps(body)
    return Exchange("GET", SESSION, status, request_headers=AUTH,
                    response_headers={"content-type": "application/json"}, response_body=raw)


def _alone(exchange: Exchange) -> list[Violation]:
    """What a validator that has seen nothing else names (no body remembered)."""
    return list(exchange_violations(Validator("realtimekit"), exchange))


BODIES = [
    _session_body(),                                   # clean
    _session_body(live_participants="many"),           # the schema's
    _session_body(ended_at="2025-03-04T08:00:00.000Z"),  # ends before it starts (a rule's)
    _session_body(status="ENDED", ended_at=None),      # a warning
    _session_body(live_participants=3),                # more live than ever, and ENDED
    {"success": True, "data": None},
]


def test_the_bodies_reach_clean_and_each_kind_of_finding() -> None:
    codes = [{v.code for v in _alone(_exchange(b))} for b in BODIES]
    assert codes[0] == set()
    assert "response.body.schema" in codes[1]
    assert "invariant.realtimekit.ended_before_started" in codes[2]
    assert "invariant.realtimekit.ended_without_ended_at" in codes[3]
    assert "invariant.realtimekit.live_participants_exceed_max" in codes[4]


@pytest.mark.parametrize("status", [200, 201])
def test_a_remembered_parse_is_never_another_bodys(status: int) -> None:
    """One validator, bodies in turn (each after the fast path looked at the one before):
    every exchange gets what it gets alone, twice in a row too."""
    validator = Validator("realtimekit")
    for first in BODIES:
        for second in BODIES:
            for exchange in (_exchange(first, status), _exchange(second, status),
                             _exchange(second, status)):
                walk = validator.exchange_walk(exchange)
                found = list(exchange_violations(validator, exchange, request=walk == "both"))
                assert found == (_alone(exchange) if walk else []), exchange.response_body


@pytest.mark.parametrize("status", [200, 201, 404])
def test_the_walk_alone_names_what_the_walk_after_the_fast_path_names(status: int) -> None:
    """``walk_only`` skips the clean fast path, which only ever saves the walk: the same
    violations for every body, clean ones (none either way), broken JSON and none included."""
    validator = Validator("realtimekit")
    for body in [*BODIES, b"{not json", b"", None]:
        exchange = _exchange(body, status) if body is not None else dataclasses.replace(
            _exchange(b"{}", status), response_body=None)
        args = ("GET", SESSION, status, exchange.response_body)
        kwargs: dict[str, Any] = {"headers": exchange.response_headers}
        both = list(validator.iter_response_violations(*args, **kwargs))
        alone = list(validator.iter_response_violations(*args, **kwargs, walk_only=True))
        assert alone == both, (status, body)
        assert (both == []) == validator._response_clean(*args, kwargs["headers"], False, None)


def test_a_violating_body_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path's parse serves the walk that follows it (the body is JSON, well under
    the limits at which parse_json refuses what orjson parses)."""
    parses: list[Any] = []
    real_loads, real_parse = validation._loads, validation.parse_json

    def loads(raw: Any) -> Any:
        parses.append(raw)
        return real_loads(raw)

    def parse_json(raw: Any, **kwargs: Any) -> Any:
        parses.append(raw)
        return real_parse(raw, **kwargs)

    monkeypatch.setattr(validation, "_loads", loads)
    monkeypatch.setattr(validation, "parse_json", parse_json)
    validator = Validator("realtimekit")
    for status in (200, 201):  # 201: undocumented, checked against the documented 200's body
        exchange = _exchange(BODIES[1], status)
        parses.clear()
        assert validator.exchange_walk(exchange) == "response"
        found = list(exchange_violations(validator, exchange, request=False))
        assert "response.body.schema" in {v.code for v in found}
        assert len(parses) == 1, (status, len(parses))
    limits = (DEFAULT_LIMITS.max_json_values, DEFAULT_LIMITS.max_bytes)
    remembered = validation._REMEMBERED
    assert all(remembered <= limit for limit in limits)


def test_a_body_the_fast_path_could_not_parse_is_still_named_by_the_walk() -> None:
    validator = Validator("realtimekit")
    for raw in (b"{broken", b"", "  ", bytearray(orjson.dumps(BODIES[1]))):
        exchange = Exchange("GET", SESSION, 200, request_headers=AUTH,
                            response_headers={"content-type": "application/json"},
                            response_body=raw)
        validator.exchange_walk(exchange)
        assert list(exchange_violations(validator, exchange)) == _alone(exchange)


def test_the_walk_runs_the_rules_a_screen_does_not_clear() -> None:
    """With the vendor's screens and without them, the walk names the same violations."""
    screened = Validator("realtimekit")
    unscreened = Validator("realtimekit")
    unscreened._op_checks = lambda op: (  # type: ignore[method-assign]
        rules_for_operation("realtimekit", op), None)
    for body in BODIES:
        for status in (200, 201, 404):
            exchange = _exchange(body, status)
            assert screened.exchange_walk(exchange) == unscreened.exchange_walk(exchange)
            assert list(exchange_violations(screened, exchange)) == \
                list(exchange_violations(unscreened, exchange))


@pytest.mark.parametrize("headers", [{}, AUTH, {"authorization": "Basic dTpw"},
                                     {"authorization": "[REDACTED]"},
                                     {"authorization": "bearer t"}, {"x-api-key": "k"}])
def test_credentials_are_judged_from_the_route_as_the_walk_judges_them(
        headers: dict[str, str]) -> None:
    validator = Validator("realtimekit")
    exchange = Exchange("GET", SESSION, 200, request_headers=headers,
                        response_headers={"content-type": "application/json"},
                        response_body=orjson.dumps(BODIES[0]))
    walk = validator.exchange_walk(exchange)
    requested = list(validator.iter_request_violations(
        exchange.method, exchange.url, None, headers=headers))
    assert (walk == "both") == bool(requested and headers)  # no headers recorded: not checked
    op = load_spec("realtimekit").match("GET", SESSION).operation
    assert validator._credentials_present(op, headers, {}) == (
        "request.auth.missing" not in {v.code for v in requested})


BASE = Violation(code="c", message="m", api="a", operation="o", location="response.body",
                 pointer="/p", schema_path="s", expected=[1], actual=2,
                 severity=Severity.WARNING)


@pytest.mark.parametrize("changes", [
    {}, {"code": "x", "pointer": "/q"}, {"message": "Bearer abcdefghijkl"},
    {"pointer": "/https://user:pw@host/x"}, {"message": "see eyJhbGciOi.eyJzdWIiOi.sig"},
    {"message": "Basic dXNlcjpwYXNz"}, {"pointer": "/a@b"}, {"severity": Severity.INFO},
])
def test_a_derived_violation_is_what_dataclasses_replace_makes(changes: dict[str, Any]
                                                               ) -> None:
    from contracts._derived import replace

    assert replace(BASE, **changes) == dataclasses.replace(BASE, **changes)


@pytest.mark.parametrize(("pointer", "message", "masked"), [
    ("/x", "Bearer abcdefghijkl was sent", "[REDACTED] was sent"),
    ("/x", "token eyJhbGciOi.eyJzdWIiOi.sig here", "token [REDACTED] here"),
    ("/https://user:pw@host/x", "m", None),
    ("/x", "Basic dXNlcjpwYXNz", "[REDACTED]"),
    ("/x", "a basic reading", "a basic reading"),
    ("/x", "plain", "plain"),
])
def test_a_violation_masks_credentials_in_its_pointer_and_message(
        pointer: str, message: str, masked: str | None) -> None:
    made = Violation(code="c", message=message, pointer=pointer)
    if masked is not None:
        assert made.message == masked
    assert "user:pw" not in made.pointer and "eyJzdWIiOi" not in made.message


def test_a_request_body_is_never_taken_for_the_response_body_parsed_before() -> None:
    """The fast path parsed a response body; a request body checked next is its own."""
    validator = Validator("heidi")
    url = "https://api.example.com" + load_spec("heidi").operation("createSession").path
    response = orjson.dumps({"session_id": 5, "unexpected": [1, 2]})
    request = b'{"patient_profile_id": 7, "ehr_appointment_id": [1]}'
    for status in (200, 201):
        assert not validator._response_clean("POST", url, status, response,
                                              {"content-type": "application/json"}, False,
                                              None)
    alone = list(Validator("heidi").iter_request_violations(
        "POST", url, request, headers={"content-type": "application/json"}))
    assert alone
    assert list(validator.iter_request_violations(
        "POST", url, request, headers={"content-type": "application/json"})) == alone


@pytest.mark.parametrize("path", [[], [""], ["", ""], ["a"], [0, "b"], ["a/b"], ["~"],
                                  ["a", "b/c", 3], ["~1"], ["x", "~0/"], [10, 2]])
def test_a_schema_errors_pointer_is_join_pointers(path: list[str | int]) -> None:
    from contracts._pointers import join_pointer
    from contracts._schema import _pointer

    assert _pointer(path) == join_pointer(path)


@pytest.mark.parametrize("check", ["validate_response", "is_valid_response"])
def test_each_call_of_its_own_parses_its_body_even_the_same_object(
        monkeypatch: pytest.MonkeyPatch, check: str) -> None:
    """The remembered parse serves only the walk that follows a fast path: a caller that
    validates the same bytes object twice (a benchmark, a retry) gets a parse each time."""
    parses: list[Any] = []
    real_loads = validation._loads

    def loads(raw: Any) -> Any:
        parses.append(raw)
        return real_loads(raw)

    monkeypatch.setattr(validation, "_loads", loads)
    validator = Validator("realtimekit")
    exchange = _exchange(BODIES[0])
    for _ in range(3):
        getattr(validation, check)(validator, exchange.method, exchange.url, 200,
                                   exchange.response_body)
    assert len(parses) == 3


@pytest.mark.parametrize("headers", [
    {"content-type": "application/json"}, {"Content-Type": "text/html"},
    {"CONTENT-TYPE": "application/json"}, {"content-type": "text/html"},
    {"Content-Type": "application/json; charset=utf-8"}, {"content-type": b"application/json"},
    {"x-other": "1"}, {}])
@pytest.mark.parametrize("status", [200, 201])
def test_the_fast_verdict_reads_the_content_type_as_the_walk_does(
        headers: dict[str, Any], status: int) -> None:
    """The content type a recorder writes is read without content_type_of's call; any other
    spelling (a name in another case, a value not a string) still goes through it."""
    validator = Validator("realtimekit")
    for body in BODIES:
        raw = orjson.dumps(body)
        clean = validator._response_clean("GET", SESSION, status, raw, headers, False, None)
        walked = list(Validator("realtimekit").iter_response_violations(
            "GET", SESSION, status, raw, headers=headers, walk_only=True))
        assert clean == (not walked), (headers, body)


@pytest.mark.parametrize("status", [201, 202, 204, 302])
def test_an_undocumented_status_is_what_dataclasses_replace_makes(status: int) -> None:
    """The walk builds the undocumented-status record in one call: every field as
    ``dataclasses.replace`` of the operation's base record makes it."""
    validator = Validator("realtimekit")
    op = validator.spec.match("GET", SESSION).operation
    documented = sorted(str(k) for k in op.node.value["responses"])
    want = dataclasses.replace(
        validator._base(op.operation_id), code="response.status.undocumented",
        location="response.status", message=f"status {status} is not documented",
        expected=documented, actual=status)
    for body in BODIES:
        found = [v for v in validator.iter_response_violations(
            "GET", SESSION, status, orjson.dumps(body),
            headers={"content-type": "application/json"}) if v.location == "response.status"]
        assert [dataclasses.asdict(v) for v in found] == [dataclasses.asdict(want)]



class _Text(str):
    pass


class _Count(int):
    pass


class _Object(dict):  # type: ignore[type-arg]
    pass


_LEAVES = (st.none() | st.booleans() | st.integers() | st.floats() | st.text()
           | st.builds(_Text, st.text()) | st.builds(_Count, st.integers())
           | st.sampled_from([Severity.ERROR, b"x", (1,), frozenset()]))


@given(st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=3), inner, max_size=3) | st.builds(_Object, st.dictionaries(
        st.text(max_size=3), inner, max_size=2)), max_leaves=8))
def test_json_type_by_exact_type_is_the_isinstance_chain(value: Any) -> None:
    """The lookup by exact type answers what json_type's isinstance chain (the reference,
    with the lookup emptied) answers, for subclasses and non-JSON values too."""
    from contracts import _schema

    looked_up = json_type(value)
    table = _schema._JSON_TYPES
    try:
        _schema._JSON_TYPES = {}
        assert looked_up == json_type(value)
    finally:
        _schema._JSON_TYPES = table
