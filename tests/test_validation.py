"""The validation engine: statuses, content types, parameters, bodies, strict mode, and a
mutation suite cross-checked against python-jsonschema."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import jsonschema
import orjson
import pytest
import referencing
from hypothesis import given, settings
from hypothesis import strategies as st

import contracts
from _support import Example, concrete_url, examples, spec
from contracts import ContractViolation, Severity
from contracts.specs import Located
from contracts.validation import Validator, validator_for

EXAMPLES = list(examples())
HEIDI = "https://registrar.api.heidihealth.com/api/v2/ml-scribe/open-api"


def _validator(api: str) -> Validator:
    # Invariants are tested in test_invariants.py; here the JSON Schema verdict is the point.
    return Validator(spec(api), invariants=False)


_VALIDATORS = {api: _validator(api) for api in contracts.BUNDLED}


def violations(ex: Example, value: Any, *, strict: bool = False,
               encode: bool = True) -> list[contracts.Violation]:
    """Validate ``value`` as raw JSON bytes (``encode``) or as an already-parsed value."""
    v = _VALIDATORS[ex.api]
    body = orjson.dumps(value) if encode else value
    headers = {"content-type": ex.media_type}
    if ex.status is None:
        found = v.iter_request_violations(ex.operation.method, ex.url, body, headers=headers,
                                          strict=strict)
        return [x for x in found if x.location.startswith("request.body")]
    return list(v.iter_response_violations(ex.operation.method, ex.url, ex.status, body,
                                           headers=headers, strict=strict))


def reference_verdict(ex: Example, value: Any) -> bool:
    """python-jsonschema's verdict on the same schema (with format checks)."""
    s = spec(ex.api)
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (uri, referencing.jsonschema.DRAFT202012.create_resource(doc.data))
        for uri, doc in s.resources.items())
    validator = jsonschema.Draft202012Validator(
        {"$ref": ex.schema.ref}, registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return bool(validator.is_valid(value))


# -- the spec's own examples ----------------------------------------------------------------

@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_spec_examples_are_valid_and_fully_documented(ex: Example) -> None:
    found = violations(ex, ex.value, strict=True)
    assert found == [], [v.describe(show_values=True) for v in found]
    assert reference_verdict(ex, ex.value)


# -- mutations ---------------------------------------------------------------------------------

WRONG_VALUES: dict[str, list[Any]] = {
    "integer": ["123", True, "3", 1.5],
    "number": ["1.5", True],
    "string": [123, True, ["x"]],
    "boolean": ["true", 1, 0],
    "array": [{"x": 1}, "[]"],
    "object": [["x"], "{}"],
}
BAD_FORMATS = {
    "date-time": ["2024-13-45T99:00:00Z", "yesterday", "2024-01-01 12:00"],
    "date": ["2024-02-30", "01/02/2024"],
    "uri": ["not a uri", "//no-scheme"],
    "uuid": ["not-a-uuid", "1234"],
    "email": ["no-at-sign"],
}


def _resolve(ex: Example, node: Located) -> Located:
    return spec(ex.api).resolve(node)


def _members(ex: Example, node: Located) -> list[Located]:
    node = _resolve(ex, node)
    out = [node]
    for i, _ in enumerate(node.value.get("allOf") or []) if isinstance(node.value, dict) else ():
        out.extend(_members(ex, node.child("allOf", i)))
    return out


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type")
    return {declared} if isinstance(declared, str) else set(declared or [])


def sites(ex: Example, schema: Located, value: Any, pointer: str = "", depth: int = 0
          ) -> Iterator[tuple[str, str, Any]]:
    """(kind, pointer, payload) places where one defect can be planted unambiguously.

    Only properties declared outside anyOf/oneOf qualify: inside alternatives another branch
    may legitimately accept the defect.
    """
    if depth > 6:
        return
    members = _members(ex, schema)
    if any(isinstance(m.value, dict) and ("anyOf" in m.value or "oneOf" in m.value
                                          or "not" in m.value) for m in members):
        return
    if isinstance(value, dict):
        for member in members:
            for name in member.value.get("required") or []:
                if name in value:
                    yield ("remove_required", pointer, name)
            for name, _ in (member.value.get("properties") or {}).items():
                if name not in value:
                    continue
                prop = _resolve(ex, member.child("properties", name))
                child_pointer = f"{pointer}/{name.replace('~', '~0').replace('/', '~1')}"
                yield from _property_sites(ex, prop, value[name], child_pointer)
                yield from sites(ex, prop, value[name], child_pointer, depth + 1)
    elif isinstance(value, list) and value:
        for member in members:
            if "items" in member.value:
                yield from sites(ex, member.child("items"), value[0], f"{pointer}/0",
                                 depth + 1)


def _property_sites(ex: Example, prop: Located, value: Any, pointer: str
                    ) -> Iterator[tuple[str, str, Any]]:
    """The defects one property's own schema can take (none under a combinator: there the
    recursion into its members decides)."""
    pv = prop.value if isinstance(prop.value, dict) else {}
    if any(k in pv for k in ("anyOf", "oneOf", "not", "allOf")):
        return
    types = _types(pv)
    if types:
        yield ("wrong_type", pointer, types)
    if "enum" in pv and isinstance(value, str):
        yield ("bad_enum", pointer, pv["enum"])
    if pv.get("format") in BAD_FORMATS and isinstance(value, str):
        yield ("bad_format", pointer, pv["format"])
    if "integer" in types and isinstance(value, int) and not isinstance(value, bool):
        yield ("integer_as_float", pointer, None)


def _get(doc: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


def _set(doc: Any, pointer: str, value: Any) -> Any:
    doc = copy.deepcopy(doc)
    parent_pointer, _, last = pointer.rpartition("/")
    last = last.replace("~1", "/").replace("~0", "~")
    parent = _get(doc, parent_pointer)
    parent[int(last) if isinstance(parent, list) else last] = value
    return doc


def _wrong_types(ex: Example, pointer: str, allowed_types: set[str]
                 ) -> Iterator[tuple[str, Any, str, bool]]:
    current = _get(ex.value, pointer)
    for allowed in sorted(allowed_types):
        for wrong in WRONG_VALUES.get(allowed, []):
            wrong_type = contracts._schema.json_type(wrong)
            if wrong_type in allowed_types or ("number" in allowed_types
                                               and wrong_type == "integer"):
                continue
            if wrong == current:
                continue
            yield f"{pointer} as {wrong!r}", _set(ex.value, pointer, wrong), pointer, True
    if "null" not in allowed_types:
        yield f"{pointer} as null", _set(ex.value, pointer, None), pointer, True


def mutations(ex: Example) -> Iterator[tuple[str, Any, str, bool]]:
    """(label, mutated body, pointer where it must be reported, should_fail)."""
    for kind, pointer, payload in sites(ex, ex.schema, ex.value):
        if kind == "remove_required":
            body = copy.deepcopy(ex.value)
            del _get(body, pointer)[payload]
            yield f"missing {pointer}/{payload}", body, pointer, True
        elif kind == "wrong_type":
            yield from _wrong_types(ex, pointer, payload)
        elif kind == "bad_enum":
            current = _get(ex.value, pointer)
            yield f"{pointer} bad enum", _set(ex.value, pointer, "NOT_A_VALUE"), pointer, True
            for changed in (current.swapcase(), current.lower(), current.upper()):
                if changed not in payload:
                    yield (f"{pointer} wrong case", _set(ex.value, pointer, changed),
                           pointer, True)
                    break
        elif kind == "bad_format":
            for bad in BAD_FORMATS[payload]:
                yield (f"{pointer} bad {payload} {bad!r}", _set(ex.value, pointer, bad), pointer,
                       True)
        elif kind == "integer_as_float":
            value = float(_get(ex.value, pointer))
            yield f"{pointer} as {value!r}", _set(ex.value, pointer, value), pointer, False
    if isinstance(ex.value, dict):
        extra = dict(ex.value, x_contracts_undocumented={"nested": [1, "two"]})
        yield "extra undocumented field", extra, "/x_contracts_undocumented", False


MUTATION_CASES = [pytest.param(ex, id=ex.id) for ex in EXAMPLES]


@pytest.mark.parametrize("ex", MUTATION_CASES)
def test_every_defect_is_found_and_agrees_with_python_jsonschema(ex: Example) -> None:
    tried = 0
    for label, body, pointer, should_fail in mutations(ex):
        tried += 1
        found = [v for v in violations(ex, body) if v.severity >= Severity.ERROR]
        reference = reference_verdict(ex, body)
        if should_fail:
            assert found, f"{label}: not reported"
            assert any(v.pointer == pointer or pointer.startswith(v.pointer + "/")
                       or v.pointer.startswith(pointer + "/") or v.pointer == pointer
                       for v in found), (
                f"{label}: reported elsewhere: {[v.pointer for v in found]}")
            assert reference is False, f"{label}: python-jsonschema disagrees (says valid)"
        else:
            assert not found, f"{label}: wrongly reported {[v.describe() for v in found]}"
            assert reference is True, f"{label}: python-jsonschema disagrees (says invalid)"
    assert tried > 0 or not isinstance(ex.value, dict | list) or ex.value in ({}, [])


def test_mutation_suite_reaches_every_depth() -> None:
    depths = {pointer.count("/") for ex in EXAMPLES for _l, _b, pointer, fail in mutations(ex)
              if fail}
    assert {1, 2, 3, 4} <= depths, depths


# -- behaviour ---------------------------------------------------------------------------------

def test_validate_response_raises_with_best_violation_first() -> None:
    body = {"session": {"session_id": 5, "patient": {"gender": 3, "dob": None}}}
    with pytest.raises(ContractViolation) as info:
        contracts.validate_response("heidi", "GET", f"{HEIDI}/sessions/1", 200, body)
    err = info.value
    assert isinstance(err, AssertionError)
    assert err.best.code == "response.body.schema"
    assert err.best.pointer == "/session/session_id"
    assert len(err.violations) == 2
    assert "1 more violation" in str(err)
    assert "5" not in str(err).split("expected")[0]  # values are not shown by default


def test_messages_never_contain_body_values() -> None:
    secret = "Jane Canary-Doe 1970-01-01"
    body = {"session": {"session_id": secret, "patient": {"gender": secret}, "duration": secret}}
    found = list(contracts.iter_response_violations("heidi", "GET", "/sessions/1", 200, body))
    assert found
    assert all(secret not in v.message and secret not in v.describe() for v in found)
    assert any(secret in v.describe(show_values=True) for v in found)


def test_status_codes() -> None:
    v = validator_for("eka")
    url = "https://api.eka.care/voice/v1/sessions/ses_1"
    codes = [x.code for x in v.iter_response_violations("GET", url, 418, b"{}")]
    assert codes == ["response.status.undocumented"]
    # A documented range or default covers the status (RealtimeKit documents 4XX).
    rtk = "https://api.cloudflare.com/client/v4/accounts/a/realtime/kit/b/sessions"
    assert contracts.is_valid_response("realtimekit", "GET", rtk, 429, {"success": False})


def test_content_type_and_non_json_bodies() -> None:
    url = f"{HEIDI}/sessions/1"
    codes = [v.code for v in contracts.iter_response_violations(
        "heidi", "GET", url, 200, b"<html/>", headers={"Content-Type": "text/html"})]
    assert codes == ["response.content_type.undocumented"]
    codes = [v.code for v in contracts.iter_response_violations(
        "heidi", "GET", url, 200, b"{not json", headers={"content-type": "application/json"})]
    assert codes == ["response.body.not_json"]
    codes = [v.code for v in contracts.iter_response_violations(
        "heidi", "GET", url, 200, b"\xff\xfe", headers={"content-type": "application/json"})]
    assert codes == ["response.body.not_json"]
    assert contracts.is_valid_response("heidi", "GET", url, 200, '{"session": {}}',
                                       headers={"content-type": "application/json; charset=utf-8"})


@pytest.mark.parametrize("body", [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"session": {"duration": ' + b"1" * 20_000 + b"}}",
    b'{"session": {"duration": NaN}}',
], ids=["deep", "huge-integer", "nan"])
def test_hostile_bodies_are_violations_not_crashes(body: bytes) -> None:
    found = list(contracts.iter_response_violations("heidi", "GET", "/sessions/1", 200, body))
    assert [v.code for v in found] == ["response.body.not_json"]
    assert len(found[0].message) < 200


def test_huge_string_is_reported_without_carrying_it() -> None:
    body = b'{"session": {"duration": "' + b"x" * 30_000_000 + b'"}}'
    found = list(contracts.iter_response_violations("heidi", "GET", "/sessions/1", 200, body))
    assert [v.code for v in found] == ["response.body.schema"]
    assert len(repr(found[0])) < 1_000


def test_url_forms_and_trailing_slashes() -> None:
    body = {"session": {"session_id": "1"}}
    for url in (f"{HEIDI}/sessions/1", f"{HEIDI}/sessions/1/", "/sessions/1",
                "/api/v2/ml-scribe/open-api/sessions/1?x=1", "sessions/1"):
        assert contracts.is_valid_response("heidi", "GET", url, 200, body), url
    # Literal segments win over templates: linked-user is not a session id.
    found = list(contracts.iter_response_violations("heidi", "GET", "/sessions/linked-user",
                                                    200, {"sessions": "nope"}))
    assert found and found[0].operation == "listLinkedUserSessions"


def test_undocumented_operation_is_a_violation_with_a_hint() -> None:
    found = list(contracts.iter_response_violations("heidi", "DELETE", "/sessions/1", 200, {}))
    assert [v.code for v in found] == ["request.operation.undocumented"]
    assert "did you mean" in found[0].message
    with pytest.raises(contracts.OperationNotFound, match="did you mean"):
        list(contracts.iter_response_violations("heidi", "GET", "/sessions/1", 200, {},
                                                operation="getSesion"))


def test_strict_mode_reports_undocumented_fields_at_low_severity() -> None:
    body = {"session": {"session_id": "1", "new_field": {"deep": 1}}, "top": True}
    url = "/sessions/1"
    assert contracts.is_valid_response("heidi", "GET", url, 200, body)
    found = list(contracts.iter_response_violations("heidi", "GET", url, 200, body, strict=True))
    assert sorted(v.pointer for v in found) == ["/session/new_field", "/top"]
    assert {v.code for v in found} == {"response.body.undocumented_field"}
    assert {v.severity for v in found} == {Severity.INFO}
    contracts.validate_response("heidi", "GET", url, 200, body, strict=True)  # INFO: passes
    with pytest.raises(ContractViolation):
        contracts.validate_response("heidi", "GET", url, 200, body, strict=True,
                                    fail_on=Severity.INFO)
    # Free-form maps (Upheal's analytics keyed by user id) document every key.
    ex = next(e for e in EXAMPLES if e.api == "upheal" and e.name == "getSession-200")
    assert violations(ex, ex.value, strict=True) == []


def test_requests_parameters_auth_and_bodies() -> None:
    url = "https://api.cloudflare.com/client/v4/accounts/a/realtime/kit/b/sessions"
    auth = {"authorization": "Bearer t"}
    assert contracts.is_valid_request("realtimekit", "GET", f"{url}?per_page=10&status=LIVE",
                                      headers=auth)
    codes = {v.code for v in contracts.iter_request_violations(
        "realtimekit", "GET", f"{url}?status=live&sort_order=UP", headers=auth)}
    assert codes == {"request.query.invalid"}
    codes = {v.code for v in contracts.iter_request_violations("realtimekit", "GET", url,
                                                                 headers={})}
    assert codes == {"request.auth.missing"}
    codes = {v.code for v in contracts.iter_request_violations(
        "realtimekit", "GET", f"{url}?unknown=1", headers=auth, strict=True)}
    assert codes == {"request.query.undocumented"}
    # Upheal: clientUserId and clientPronouns together are refused; the body is required.
    body = {"providerUserId": "p", "clientUserId": "c", "clientPronouns": "NeutralThem",
            "sessionType": "Soap", "input": {"text": {"text": "notes"}}}
    codes = {v.code for v in contracts.iter_request_violations("upheal", "POST", "/sessions",
                                                                 body)}
    assert codes == {"request.body.schema"}
    codes = {v.code for v in contracts.iter_request_violations("upheal", "POST", "/sessions")}
    assert codes == {"request.body.missing"}
    with pytest.raises(ContractViolation):
        contracts.validate_request("upheal", "POST", "/sessions", {"providerUserId": "p"})


def test_path_overrides_reach_validation() -> None:
    moved = spec("upheal").with_paths(prefix="/partner/v1")
    body = {"sessionId": "s"}
    assert contracts.is_valid_response(moved, "POST", "/partner/v1/sessions", 200, body)
    found = list(contracts.iter_response_violations(moved, "POST", "/sessions", 200, body))
    assert [v.code for v in found] == ["request.operation.undocumented"]


PEER_REPORT = ("https://api.cloudflare.com/client/v4/accounts/a/realtime/kit/b/sessions/"
               "peer-report/p-1")


@pytest.mark.parametrize(("query", "failing"), [
    ("filters=device_info", []),
    ("filters=device_info,events", []),
    ("filters=device_info%2Cquality_stats", []),
    ("filters=", []),  # form, explode false: the empty list
    ("filters=device_info&filters=events", []),
    ("filters=device_info,%20events", ["/filters/1"]),  # "no spaces between the filters"
    ("filters=device_info,", ["/filters/1"]),
    ("filters=bogus", ["/filters/0"]),
])
def test_comma_separated_array_query_parameters(query: str, failing: list[str]) -> None:
    found = list(contracts.iter_request_violations(
        "realtimekit", "GET", f"{PEER_REPORT}?{query}", headers={"authorization": "Bearer t"},
        strict=True))
    assert [v.pointer for v in found] == failing
    assert {v.code for v in found} <= {"request.query.invalid"}


def test_a_nullable_ref_reports_the_objects_failures_not_the_null_branch() -> None:
    # data: anyOf [$ref Session, type null]; a broken session is not "expected null".
    url = ("https://api.cloudflare.com/client/v4/accounts/a/realtime/kit/b/sessions/"
           "6f1c2a9e-3b7d-4c21-9e0a-5d8b7f4e2c11")
    body = copy.deepcopy(next(e.value for e in EXAMPLES
                              if e.name == "getSessionDetails-200"))
    del body["data"]["id"]
    body["data"]["live_participants"] = "0"
    found = [(v.pointer, v.message) for v in contracts.iter_response_violations(
        "realtimekit", "GET", url, 200, body)]
    assert found == [("/data", "missing required property 'id'"),
                     ("/data/live_participants", "expected number, got string")]
    assert contracts.is_valid_response("realtimekit", "GET", url, 200,
                                       {"success": None, "data": None})


UPHEAL_ERRORS = [("GET", "/sessions/s-1", 403), ("GET", "/sessions/s-1", 404),
                 ("POST", "/sessions", 400), ("POST", "/sessions", 401),
                 ("POST", "/sessions", 403), ("POST", "/recording-url", 400),
                 ("POST", "/recording-url", 401)]


@pytest.mark.parametrize(("method", "url", "status"), UPHEAL_ERRORS,
                         ids=[f"{m}-{u}-{s}" for m, u, s in UPHEAL_ERRORS])
def test_upheal_error_bodies_are_not_published_so_any_body_passes(method: str, url: str,
                                                                  status: int) -> None:
    # The pages print one line of text per error status and no body or media type.
    assert "content" not in spec("upheal").resolve(
        spec("upheal").match(method, url).operation.node.child("responses", str(status))).value
    bodies: list[tuple[bytes | None, dict[str, str]]] = [
        (b"Invalid API Key", {"content-type": "text/plain; charset=utf-8"}),
        (b"", {}),
        (None, {}),
        (b'{"message": "Invalid API Key", "code": "invalid-api-key"}',
         {"content-type": "application/json"}),
        (b'{"error": {"detail": ["any", "shape"]}}', {"content-type": "application/json"}),
    ]
    for body, headers in bodies:
        found = list(contracts.iter_response_violations(
            "upheal", method, url, status, body, headers=headers, strict=True))
        assert found == [], (body, [v.describe() for v in found])


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=20),
                    lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(st.text(max_size=8), children, max_size=4),
                    max_leaves=30))
def test_arbitrary_json_never_crashes_and_is_deterministic(body: Any) -> None:
    for ex in EXAMPLES[::7]:
        first = violations(ex, body, strict=True, encode=False)
        assert violations(ex, body, strict=True, encode=False) == first
        assert all(isinstance(v, contracts.Violation) for v in first)


def test_concrete_url_helper_matches_every_operation() -> None:
    for api in contracts.BUNDLED:
        for op in spec(api).operations:
            assert spec(api).match(op.method, concrete_url(op)).operation is op


# -- generated bodies: what the mock serves on its scripted tours ---------------------------

@pytest.fixture(scope="module")
def served() -> list[Example]:
    """Realistic bodies generated by the mock (seeded synthetic data) for every 2xx answer the
    tours reach: the "generated ones" beside the spec examples."""
    import httpx

    from contracts.mock import MockServer, app, base_urls
    from test_mock_contract import AUTH, TOURS

    bodies: list[Example] = []
    seen: dict[tuple[str, str, int], int] = {}
    for api, tour in TOURS.items():
        log: list[httpx.Response] = []

        def record(response: httpx.Response, _log: list[httpx.Response] = log) -> None:
            response.read()
            _log.append(response)

        with MockServer(app(api, seed=7)) as server:
            base = server.url if api in ("eka", "realtimekit") else base_urls(
                [api], server.url)[api]
            hooks = {"response": [record]}
            with httpx.Client(base_url=base, headers=AUTH, event_hooks=hooks) as client, \
                    httpx.Client(base_url=base, event_hooks=hooks) as anon:
                tour(client, anon)
        s = spec(api)
        for response in log:
            if not 200 <= response.status_code < 300 or not response.content:
                continue
            op = s.match(response.request.method, str(response.request.url)).operation
            key = (api, op.operation_id, response.status_code)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 2:
                continue
            holder = s.resolve(op.node.child("responses", str(response.status_code)))
            media = holder.child("content", "application/json")
            bodies.append(Example(api, op, response.status_code, "application/json",
                                  media.child("schema"), f"mock-{seen[key]}",
                                  orjson.loads(response.content)))
    return bodies


def test_mutations_of_mock_served_bodies(served: list[Example]) -> None:
    assert len({(b.api, b.operation.operation_id) for b in served}) >= 15
    tried = 0
    for ex in served:
        assert violations(ex, ex.value, strict=True) == [], ex.id
        assert reference_verdict(ex, ex.value), ex.id
        for label, body, _pointer, should_fail in mutations(ex):
            tried += 1
            found = [v for v in violations(ex, body) if v.severity >= Severity.ERROR]
            if should_fail:
                assert found, f"{ex.id}: {label}: not reported"
                assert reference_verdict(ex, body) is False, f"{ex.id}: {label}"
            else:
                assert not found, f"{ex.id}: {label}: {[v.describe() for v in found]}"
                assert reference_verdict(ex, body) is True, f"{ex.id}: {label}"
    assert tried > 200
