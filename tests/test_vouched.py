"""A vendor's voucher (contracts._vouched) lets the engine skip a schema check the vendor's own
pass makes anyway: Upheal's utterances and words, which the timing proof reads. It may only
ever save work: the vouched check must say exactly what the full validator says, on any body,
and it must stand down wherever it could not be sure."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import contracts
from contracts._vouched import applies_only_at
from contracts.invariants import InvariantContext, Voucher, check_invariants, upheal
from contracts.specs import bundled_path, spec_from_text
from contracts.validation import Validator

URL = "https://api.upheal.io/sessions/s-1"
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def session(utterances: list[Any]) -> dict[str, Any]:
    return {"sessionId": "s-1", "noteTemplateIds": [], "providerUserId": "p-1",
            "clientUserIds": ["c-1"], "state": "Done", "recordingDurationMs": 100_000,
            "transcript": {"utterances": utterances, "speakerMapping": {"A": "c-1"}}}


def tidy(n: int = 3, words: int = 3) -> list[dict[str, Any]]:
    out, t = [], 0
    for i in range(n):
        ws = []
        for j in range(words):
            ws.append({"text": f"w{j}", "start": t, "end": t + 100})
            t += 150
        out.append({"text": "...", "start": ws[0]["start"] if ws else t,
                    "end": ws[-1]["end"] if ws else t, "speaker": "AB"[i % 2], "words": ws})
    return out


def plan_of(validator: Validator) -> Any:
    op = validator.spec.operation("getSession")
    plan = validator._plan(op, 200, "application/json")
    assert plan is not None
    return plan


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator("upheal")


# -- it engages on the bundled spec ----------------------------------------------------------

def test_the_bundled_upheal_session_is_checked_with_the_utterance_voucher(
        validator: Validator) -> None:
    """If this fails after a spec edit, the written-out UTTERANCE in invariants/upheal.py no
    longer matches the spec's Utterance and Word: update both, and vouch_utterances with them."""
    plan = plan_of(validator)
    assert plan.vouched is not None
    body = session(tidy())
    scratch: dict[str, Any] = {}
    assert plan.vouched(body, scratch) is True
    assert scratch["upheal.read"].typed  # the read the timing proof then reuses
    assert contracts.is_valid_response(validator, "GET", URL, 200, orjson.dumps(body))


# -- it says exactly what the full validator says --------------------------------------------

ODD = st.one_of(st.integers(-5, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                st.sampled_from([1.0, 0.0, 300.0, True, False, None, "12", "", [], {}, [1],
                                 {"a": 1}, 2**64 - 1, -(2**63)]),
                st.text(max_size=3))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid session with a few of its utterances or words broken in one place each."""
    body = session(tidy(draw(st.integers(1, 3)), draw(st.integers(0, 3))))
    for _ in range(draw(st.integers(0, 3))):
        utterances = body["transcript"]["utterances"]
        i = draw(st.integers(0, len(utterances) - 1))
        target = utterances[i]
        if type(target) is not dict or type(target.get("words")) is not list:
            continue  # broken already
        if target["words"] and draw(st.booleans()):
            j = draw(st.integers(0, len(target["words"]) - 1))
            if draw(st.integers(0, 9)) == 0:
                target["words"][j] = draw(ODD)  # a word that is not an object
                continue
            target = target["words"][j]
            if type(target) is not dict:
                continue
        elif draw(st.integers(0, 9)) == 0:
            utterances[i] = draw(ODD)
            continue
        key = draw(st.sampled_from([*sorted(target), "extra"]))
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(ODD)
    return orjson.dumps(body)


@SETTINGS
@given(mutated())
def test_the_vouched_check_agrees_with_the_full_validator(raw: bytes) -> None:
    validator = Validator("upheal")
    plan = plan_of(validator)
    body = orjson.loads(raw)
    assert plan.vouched(body, {}) is plan.is_valid(body)


@SETTINGS
@given(mutated())
def test_a_body_parsed_here_is_judged_as_the_same_body_passed_parsed(raw: bytes) -> None:
    """Bytes take the vouched check and share its read with the rules; a parsed body takes
    the full validator and the rules' own reads. Same verdict, same violations."""
    validator = Validator("upheal")
    parsed = orjson.loads(raw)
    assert contracts.is_valid_response(validator, "GET", URL, 200, raw) is \
        contracts.is_valid_response(validator, "GET", URL, 200, copy.deepcopy(parsed))
    codes = [(v.code, v.pointer) for v in contracts.iter_response_violations(
        validator, "GET", URL, 200, raw)]
    assert codes == [(v.code, v.pointer) for v in contracts.iter_response_violations(
        validator, "GET", URL, 200, parsed)]


def test_the_rules_find_the_same_on_the_vouchers_read() -> None:
    """The timing proof on the voucher's read (typed: no NaN sum) decides as on its own."""
    broken = tidy(3, 3)
    broken[1]["words"][2]["start"] = broken[1]["words"][2]["end"] + 50  # a reversed word
    for utterances in (tidy(), broken):
        body = session(utterances)
        scratch: dict[str, Any] = {}
        assert upheal.vouch_utterances(body, scratch)
        shared = InvariantContext("upheal", "getSession", 200, body, {}, None, scratch)
        alone = InvariantContext("upheal", "getSession", 200, body)
        assert [(v.code, v.pointer) for v in check_invariants(shared)] == \
            [(v.code, v.pointer) for v in check_invariants(alone)]
    assert any(v.code.endswith("time_range_reversed") for v in check_invariants(
        InvariantContext("upheal", "getSession", 200, session(broken))))


@pytest.mark.parametrize("value", [1.0, True, False, 2**64, "3", None])
def test_a_time_that_is_not_an_exact_int_is_left_to_the_engine(value: Any) -> None:
    body = session(tidy())
    body["transcript"]["utterances"][0]["words"][1]["end"] = value
    assert upheal.vouch_utterances(body, {}) is False


# -- it stands down where it cannot be sure --------------------------------------------------

def upheal_text(edit: Any) -> str:
    document = yaml.safe_load(bundled_path("upheal").read_text())
    edit(document["components"]["schemas"])
    return yaml.safe_dump(document, sort_keys=False)


def test_a_spec_whose_word_differs_from_the_written_out_one_is_not_vouched() -> None:
    def confidence(schemas: dict[str, Any]) -> None:
        schemas["Word"]["required"].append("confidence")
        schemas["Word"]["properties"]["confidence"] = {"type": "number"}

    validator = Validator(spec_from_text(upheal_text(confidence), name="upheal"))
    assert plan_of(validator).vouched is None
    body = session(tidy())  # no word has a confidence: the full validator refuses it
    assert not contracts.is_valid_response(validator, "GET", URL, 200, orjson.dumps(body))


def test_a_transcript_reached_from_a_second_place_is_not_vouched() -> None:
    def second(schemas: dict[str, Any]) -> None:
        schemas["TherapySession"]["properties"]["previousTranscript"] = {
            "$ref": "#/components/schemas/Transcript"}

    validator = Validator(spec_from_text(upheal_text(second), name="upheal"))
    assert plan_of(validator).vouched is None
    body = session(tidy())
    body["previousTranscript"] = {"utterances": [
        {"text": "x", "start": 0, "end": 1, "speaker": "A",
         "words": [{"text": "x", "start": 0, "end": "late"}]}]}
    assert not contracts.is_valid_response(validator, "GET", URL, 200, orjson.dumps(body))


def test_an_utterance_reached_from_elsewhere_is_still_checked_there() -> None:
    """The voucher leaves out one keyword (the transcript's ``utterances.items``), not the
    Utterance schema: a second place that uses Utterance is validated in full."""
    def second(schemas: dict[str, Any]) -> None:
        schemas["TherapySession"]["properties"]["highlights"] = {
            "type": "array", "items": {"$ref": "#/components/schemas/Utterance"}}

    validator = Validator(spec_from_text(upheal_text(second), name="upheal"))
    assert plan_of(validator).vouched is not None
    body = session(tidy())
    body["highlights"] = [{"text": "x", "start": 0, "end": 1, "speaker": "A",
                           "words": [{"text": "x", "start": 0, "end": "late"}]}]
    assert not contracts.is_valid_response(validator, "GET", URL, 200, orjson.dumps(body))
    body["highlights"][0]["words"][0]["end"] = 1
    assert contracts.is_valid_response(validator, "GET", URL, 200, orjson.dumps(body))


SMALL = """
openapi: 3.1.0
info: {title: t, version: '1'}
paths: {}
components:
  schemas:
    Root: %s
    Leaf: {type: object, properties: {n: {type: integer}}}
"""


@pytest.mark.parametrize(("root", "at", "expected"), [
    ('{properties: {a: {$ref: "#/components/schemas/Leaf"}}}', "/a", True),
    ('{properties: {a: {type: array, items: {$ref: "#/components/schemas/Leaf"}}}}', "/a/*", True),
    ('{allOf: [{properties: {a: {$ref: "#/components/schemas/Leaf"}}}]}', "/a", True),
    ('{anyOf: [{properties: {a: {$ref: "#/components/schemas/Leaf"}}}, {type: string}]}', "/a",
     True),
    # a second place
    ('{properties: {a: {$ref: "#/components/schemas/Leaf"},'
     ' b: {$ref: "#/components/schemas/Leaf"}}}', "/a", False),
    # a wildcard, or a keyword where a weaker part can make a stricter whole
    ('{additionalProperties: {$ref: "#/components/schemas/Leaf"}}', "/a", False),
    ('{properties: {a: {oneOf: [{$ref: "#/components/schemas/Leaf"}, {type: object}]}}}', "/a",
     False),
    ('{properties: {a: {not: {$ref: "#/components/schemas/Leaf"}}}}', "/a", False),
    ('{properties: {a: {$ref: "#/components/schemas/Leaf"}}, unevaluatedProperties: false}', "/a",
     False),
    ('{properties: {a: {type: array, prefixItems: [{$ref: "#/components/schemas/Leaf"}]}}}',
     "/a/*", False),
    # recursion
    ('{properties: {a: {$ref: "#/components/schemas/Leaf"},'
     ' self: {$ref: "#/components/schemas/Root"}}}', "/a", False),
    # not reached at all
    ('{properties: {a: {type: string}}}', "/a", False),
])
def test_applies_only_at(root: str, at: str, expected: bool) -> None:
    spec = spec_from_text(SMALL % root, name="small")
    found = applies_only_at(spec, spec.locate(spec.uri, "/components/schemas/Root"),
                            spec.locate(spec.uri, "/components/schemas/Leaf"), at)
    assert found is expected


def test_only_the_declared_operation_and_status_are_vouched(validator: Validator) -> None:
    plans = [(op.operation_id, status, validator._plan(op, status, "application/json"))
             for op in validator.spec.operations for status in (200, 201, 400, 404)]
    vouched = [(op, status) for op, status, plan in plans if plan and plan.vouched]
    assert vouched == [("getSession", 200)]
    eka = Validator("eka")
    assert not any(eka._plan(op, 200, "application/json") and
                   eka._plan(op, 200, "application/json").vouched  # type: ignore[union-attr]
                   for op in eka.spec.operations)


def test_the_voucher_record_names_what_it_proves() -> None:
    voucher = upheal.VOUCHERS[("getSession", 200)]
    assert isinstance(voucher, Voucher)
    assert voucher.schema is upheal.UTTERANCE
    assert voucher.at == "/transcript/utterances"


def test_without_the_rules_the_engine_checks_every_word_itself() -> None:
    """The voucher pays for itself by sharing its read with the timing rules; with the
    invariants off it would cost more than the engine's walk, so it is not used."""
    schema_only = Validator("upheal", invariants=False)
    assert not plan_of(schema_only).vouched
    body = session(tidy())
    assert contracts.is_valid_response(schema_only, "GET", URL, 200, orjson.dumps(body))
    body["transcript"]["utterances"][1]["words"][0]["start"] = "soon"
    assert not contracts.is_valid_response(schema_only, "GET", URL, 200, orjson.dumps(body))
