"""Recorded traffic's fast paths decide nothing the full checks would not: a plain log record
becomes the Exchange the field-by-field checks build, an exchange the fast path calls clean
has no violation in the walk, JSON reports are the standard library's bytes, and an invariant
rule marked with its operations finds nothing elsewhere."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator
from enum import IntEnum
from types import MappingProxyType
from typing import Any

import orjson
import pytest

from contracts._exchange import NO_HEADERS, filled_exchange
from contracts._loading import Limits
from contracts._logline import BLANK, line_value, parse_line, plain_record
from contracts.corpus import exchange_violations, validate_corpus
from contracts.errors import InputError
from contracts.exchanges import Exchange, ReadProblem, exchange_from_record
from contracts.exchanges import exchanges_from_lines as lines_of
from contracts.invariants import (
    InvariantContext,
    check_invariants,
    rules_for,
    rules_for_operation,
)
from contracts.reporting._common import indented_json
from contracts.specs import load_spec
from contracts.validation import Validator

# -- a plain record is the Exchange the full checks build ------------------------------------

BASE: dict[str, Any] = {
    "version": 1, "time": "2026-01-05T10:00:00Z", "api": "eka",
    "request": {"method": "GET", "url": "https://api.example.com/v1/x?a=1",
                "headers": {"host": "api.example.com", "authorization": "Bearer t"}},
    "response": {"status": 200, "headers": {"content-type": "application/json"},
                 "body_text": '{"ok": true}'},
}


def _variants() -> Iterator[Any]:
    """The base record and, for each field, values the full checks accept and refuse."""
    yield BASE
    yield [BASE]
    yield "text"
    for key, values in {
        "version": [1, 2, True, 1.0, None, "1"],
        "time": [None, "", 5, "t"],
        "api": [None, "", 3, "heidi"],
        "operation": [None, "", "getX", ["x"]],
        "x-note": ["extension"],
        "extra": [1],
        "request": [None, [], "GET"],
        "response": [None, [], {"headers": {}}],
    }.items():
        for value in values:
            yield {**BASE, key: value}
        yield {k: v for k, v in BASE.items() if k != key}
    for part, key, values in [
        ("request", "method", ["get", "POST", "PROPFIND", "G ET", "", 5, None]),
        ("request", "url", ["/v1/x", "x", "", "ftp://h/x", None, 5]),
        ("request", "headers", [None, {}, {"Host": "h"}, {"a": "1", "A": "2"}, {"a": 1},
                                {"a": None}, [], {"ÄB": "x"}, {"ß": "x"}]),
        ("request", "body", [{"a": 1}, [1], 3, "text", None]),
        ("request", "body_text", ["", "{}", 5]),
        ("request", "body_base64", ["e30=", "!!", 5]),
        ("request", "other", ["x"]),
        ("response", "status", [201, 100, 599, 99, 600, 200.0, 200.5, True, "200", None]),
        ("response", "headers", [None, {}, {"Content-Type": "application/json"}, {"a": 1}]),
        ("response", "body", [{"a": 1}, None, "s", [], 0]),
        ("response", "body_text", ["", 5, None]),
        ("response", "body_base64", ["e30=", "%%"]),
        ("response", "other", ["x"]),
    ]:
        for value in values:
            yield {**BASE, part: {**BASE[part], key: value}}
        yield {**BASE, part: {k: v for k, v in BASE[part].items() if k != key}}
    # two body fields at once
    yield {**BASE, "response": {**BASE["response"], "body": {"a": 1}}}
    yield {**BASE, "request": {**BASE["request"], "body_text": "{}", "body_base64": "e30="}}


def _full(record: Any) -> Exchange | str:
    try:
        return exchange_from_record(record, "log.jsonl", 1)
    except InputError as exc:
        return exc.detail


def _fast(record: Any) -> Exchange | str:
    [item] = list(lines_of(orjson.dumps(record), "log.jsonl"))
    return item.message if isinstance(item, ReadProblem) else item


@pytest.mark.parametrize("record", list(_variants()), ids=lambda r: json.dumps(r)[-60:])
def test_a_record_read_from_a_log_is_what_the_full_checks_make_of_it(record: Any) -> None:
    full, fast = _full(record), _fast(record)
    assert fast == full
    if isinstance(full, Exchange):
        assert isinstance(fast, Exchange)
        assert (fast.source, fast.line, fast.pointer) == (full.source, full.line, full.pointer)
        assert dict(fast.request_headers) == dict(full.request_headers)
        assert dict(fast.response_headers) == dict(full.response_headers)
        with pytest.raises(TypeError):  # frozen, like the full checks' headers
            fast.request_headers["x"] = "y"  # type: ignore[index]


def _reordered(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``record`` with its keys, and its request's and response's, in every order."""
    for top in itertools.permutations(record):
        for request in itertools.permutations(record["request"]):
            for response in itertools.permutations(record["response"]):
                parts = {"request": {k: record["request"][k] for k in request},
                         "response": {k: record["response"][k] for k in response}}
                yield {k: parts.get(k, record[k]) for k in top}


def test_keys_in_any_order_take_the_fast_path_to_the_same_exchange() -> None:
    """The fast path tells the usual shape by its keys, not their order: every order of the
    same keys takes it, and gives what the full checks give."""
    for record in _reordered({**BASE, "operation": "getX"}):
        fast = plain_record(record, "log.jsonl", 1)
        assert fast is not None, list(record)
        assert fast == _full(record)
        assert type(fast) is Exchange and fast.line == 1 and fast.source == "log.jsonl"


@pytest.mark.parametrize("part, key, value", [
    ("request", "headers", {"host": 1}), ("request", "headers", None),
    ("request", "headers", {"Host": "h", "host": "i"}), ("response", "body_text", 5),
    ("response", "headers", {"content-type": ["a"]}), ("response", "status", "200"),
    ("request", "method", "G ET"), ("request", "url", "x"),
    ("", "time", None), ("", "time", ""), ("", "api", 3), ("", "version", True),
])
def test_a_usual_record_with_an_unusual_value_still_gets_the_full_checks(
        part: str, key: str, value: Any) -> None:
    """Header names met before are remembered, values never: a record with a plain record's
    keys and an odd value is still decided as the full checks decide it."""
    plain = {**BASE, "api": "heidi"}
    assert plain_record(plain, "log.jsonl", 1) == _full(plain)  # its header names now met
    odd = {**plain, part: {**plain[part], key: value}} if part else {**plain, key: value}
    assert list(odd) == list(plain)
    assert _fast(odd) == _full(odd)
    if not (part == "request" and key == "headers" and isinstance(value, dict)
            and all(isinstance(v, str) for v in value.values())):
        assert plain_record(odd, "log.jsonl", 1) is None  # not a decision of the fast path


@pytest.mark.parametrize("raw", [
    b'{"a": 1}\n', b'  {"a": 1}\t\r\n', b"\n", b"  \r\n", b"", b"\x0c{}\n", b"{}\x0b",
    b"\xef\xbb\xbf{}\n", b" \xef\xbb\xbf{}", b"\xef\xbb\xbf \n", b"\xef\xbb\xbf", b"[1,\n",
    b"nul\n", b"null\n", b'"x"\n', b"{} {}\n", b"1 ", "{\"é\": 1}\n".encode(), b"{\"\xff\": 1}\n",
], ids=repr)
@pytest.mark.parametrize("first", [True, False])
def test_a_line_parsed_as_read_is_the_line_stripped_and_parsed(raw: bytes, first: bool) -> None:
    """line_value hands orjson the line with its white space and newline; what it makes of
    a line is what stripping it first (and a first line's BOM) and parse_line make of it."""
    limits = Limits(max_bytes=1024)

    def careful() -> Any:
        stripped = (raw.removeprefix(b"\xef\xbb\xbf") if first else raw).strip()
        return parse_line(stripped, "log.jsonl", limits) if stripped else BLANK

    def outcome(read: Any) -> Any:
        try:
            return read()
        except InputError as exc:
            return exc.detail

    assert outcome(lambda: line_value(raw, first, "log.jsonl", limits)) == outcome(careful)


@pytest.mark.parametrize("extra", [
    {}, {"time": "t"}, {"time": ""}, {"time": None}, {"time": 5}, {"x-note": "n"},
    {"time": "t", "x-note": "n"}, {"time": "t", "extra": None}, {"api": "eka"},
    {"api": None, "time": "t"}, {"operation": "getX", "time": "t"}, {"unknown": "t"},
])
def test_the_keys_beside_a_usual_records_parts_are_all_checked(extra: dict[str, Any]) -> None:
    """A record with the usual request and response has its other keys counted, not listed:
    a key that is not ours, or a null, still takes the full checks."""
    record = {"version": 1, "request": BASE["request"], "response": BASE["response"], **extra}
    full = _full(record)
    assert _fast(record) == full
    fast = plain_record(record, "log.jsonl", 1)
    if isinstance(full, str):
        assert fast is None  # refused: the full checks name why
    else:  # the fast path may leave an extension key to the full checks, no more
        assert fast == full or (fast is None and any(k.startswith("x-") for k in extra))


@pytest.mark.parametrize("request_part, response_part", [
    ({"method": "POST", "url": "/x", "body_text": "{}"}, BASE["response"]),
    ({"method": "POST", "url": "/x", "body": {}}, BASE["response"]),
    ({"method": "GET", "url": "/x", "other": "y"}, BASE["response"]),
    (BASE["request"], {"status": 200, "headers": {}, "body": {"a": 1}}),
    (BASE["request"], {"status": 200, "headers": {}, "body_base64": "e30="}),
    (BASE["request"], {"status": 200, "body_text": "{}", "body": {}}),
    (BASE["request"], {"status": 204, "headers": {"a": "b"}, "other": 1}),
    ({"method": "GET", "url": "/x", "headers": {"A": "b"}}, BASE["response"]),
], ids=repr)
def test_parts_of_three_other_keys_are_not_the_usual_shape(
        request_part: dict[str, Any], response_part: dict[str, Any]) -> None:
    """The usual request and response are told by their three keys: three others (a body,
    an unknown key) are decided as the general checks decide them."""
    record = {"version": 1, "time": "t", "request": request_part, "response": response_part}
    full = _full(record)
    assert _fast(record) == full
    fast = plain_record(record, "log.jsonl", 1)
    assert fast is None if isinstance(full, str) else fast in (full, None)


def test_an_exchange_filled_in_place_is_an_exchange_like_any_other() -> None:
    """filled_exchange fills the slots of an Exchange without __init__: the record is the
    same in every way that shows (type, equality, frozen, copy, replace)."""
    import copy
    import dataclasses

    fields: dict[str, Any] = dict(
        method="GET", url="/x", status=200, request_headers=NO_HEADERS, request_body=None,
        response_headers=MappingProxyType({"a": "b"}), response_body="{}", api="eka",
        operation=None, time="t", source="log.jsonl", line=3)
    filled = filled_exchange(*fields.values())
    built = Exchange(**fields)
    assert type(filled) is Exchange and filled == built and repr(filled) == repr(built)
    assert filled.pointer is None and filled.location == "log.jsonl:3"
    with pytest.raises(dataclasses.FrozenInstanceError):
        filled.url = "/y"  # type: ignore[misc]
    assert copy.copy(filled) == built
    assert dataclasses.replace(filled, line=4).line == 4


def test_the_variants_reach_both_paths() -> None:
    """The fast path is taken for the base record and the full checks decide the odd ones."""
    outcomes = [_full(r) for r in _variants()]
    assert sum(isinstance(o, Exchange) for o in outcomes) > 30
    assert sum(isinstance(o, str) for o in outcomes) > 30


# -- an exchange the fast path calls clean has nothing the walk would name --------------------


def _examples(api: str) -> Iterator[tuple[Any, int, Any]]:
    """(operation, status, body) of every documented JSON example of ``api``."""
    spec = load_spec(api)
    for op in spec.operations:
        for status, _ in (op.node.value.get("responses") or {}).items():
            if not str(status).isdigit():
                continue
            response = spec.resolve(op.node.child("responses", status)).value
            media = (response.get("content") or {}).get("application/json") or {}
            for example in (media.get("examples") or {}).values():
                if isinstance(example, dict) and "value" in example:
                    yield op, int(status), example["value"]


def _url(op: Any, query: str = "") -> str:
    import re

    return "https://api.example.com" + re.sub(r"\{[^}]+\}", "id-1", op.path) + query


def _broken(value: Any) -> Any:
    """``value`` with what the domain rules look at broken in every object: ended sessions
    without an end, more live participants than ever, ends before starts."""
    if isinstance(value, list):
        return [_broken(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _broken(v) for k, v in value.items()}
    for start, end in (("started_at", "ended_at"), ("joined_at", "left_at")):
        if isinstance(out.get(start), str) and isinstance(out.get(end), str):
            out[start], out[end] = out[end], out[start]
    if "live_participants" in out:
        out["live_participants"] = 99
    if out.get("status") in ("LIVE", "ENDED") and "ended_at" not in out:
        out["status"] = "ENDED"
    return out


def _walker(api: str) -> Validator:
    """A validator that walks every exchange (its fast paths never answer)."""
    validator = Validator(api)
    never = staticmethod(lambda *args, **kwargs: False)
    for name in ("_request_clean", "_response_clean", "_body_clean"):
        setattr(validator, name, never.__func__)
    # No vendor screen either: every invariant rule runs.
    validator._op_checks = lambda op: (  # type: ignore[method-assign]
        rules_for_operation(api, op), None)
    return validator


def _exchanges(api: str) -> list[Exchange]:
    """Each example as recorded traffic, and varied: statuses of the same class, other
    statuses, queries (arrays, numbers, unknown names), credentials or none, request bodies,
    header case, broken and edited bodies."""
    out = []
    auth = {"authorization": "Bearer t", "x-api-key": "k", "client-id": "c",
            "x-heidi-api-key": "k"}
    queries = ["", "?per_page=1", "?per_page=x", "?page_no=2&per_page=1",
               "?filters=device_info", "?filters=device_info,events", "?filters=nope",
               "?filters=device_info&filters=events", "?view=raw&unknown=1",
               "?include_peer_events=maybe"]
    for (op, status, body), query in itertools.product(_examples(api), queries):
        text = orjson.dumps(body).decode()
        edited = body
        if isinstance(body, dict) and body:
            first = next(iter(body))
            edited = {**body, first: None}
        for response_status, response_body, headers, request_body in [
                (status, text, auth, None),
                (status, orjson.dumps(_broken(body)).decode(), auth, None),
                (status + 1, orjson.dumps(_broken(body)).decode(), auth, None),
                (status, body, {}, None),
                (status + 1, text, auth, None),
                (500, text, auth, None),
                (status, text, {"Authorization": "Bearer t"}, None),
                (status, text, auth, "{}"),
                (status, text, auth, ""),
                (status, "{broken", auth, None),
                (status, orjson.dumps(edited).decode(), auth, None),
                (None, None, auth, None)]:
            out.append(Exchange(
                op.method, _url(op, query), response_status, request_headers=headers,
                request_body=request_body,
                response_headers={} if response_status is None else
                {"content-type": "application/json"},
                response_body=response_body))
    return out


@pytest.mark.parametrize("api", ["realtimekit", "eka", "heidi", "upheal"])
@pytest.mark.parametrize("strict", [False, True])
def test_the_fast_verdict_never_hides_a_violation(api: str, strict: bool) -> None:
    validator = Validator(api)
    fresh = _walker(api)
    verdicts = {"": 0, "response": 0, "both": 0}
    for exchange in _exchanges(api):
        walk = validator.exchange_walk(exchange, strict=strict)
        verdicts[walk] += 1
        found = list(exchange_violations(fresh, exchange, strict=strict))
        if walk == "":
            assert found == [], exchange
        elif walk == "response":
            assert list(fresh.iter_request_violations(
                exchange.method, exchange.url, exchange.request_body,
                headers=exchange.request_headers or None, strict=strict)) == [], exchange
        assert list(exchange_violations(validator, exchange, strict=strict,
                                        request=walk == "both")) == found
    assert all(verdicts.values()), verdicts  # every verdict was reached


def test_a_corpus_reports_what_walking_every_exchange_reports(tmp_path: Any) -> None:
    from contracts.exchanges import write_exchanges
    from contracts.redaction import Redactor

    exchanges = _exchanges("realtimekit")
    log = tmp_path / "rtk.jsonl"
    with log.open("wb") as fh:
        write_exchanges(fh, exchanges, redactor=Redactor(enabled=False))
    report = validate_corpus("realtimekit", [log])
    fresh = _walker("realtimekit")
    walked = [v for e in exchanges for v in exchange_violations(fresh, e)]
    assert [r.violation for r in report.records] == walked
    assert report.exchanges == len(exchanges) and len(walked) > 100


# -- JSON reports: orjson where the bytes are the standard library's ---------------------------


class _Level(IntEnum):
    LOW = 1


VALUES: list[Any] = [
    {"a": [], "b": {}, "c": None, "d": True, "e": "x"},
    [0.0, -0.0, 0.1, 1e-4, 9.99e-5, 1e15, 1e16, 123456.789, 5e-324, 1.5e300],
    [2**63 - 1, -2**63, 2**64 - 1, 2**64, -2**63 - 1, 10**30],
    ["é", "日本", "\x7f", "\x00\x1f\n\t\"\\", "\ud800", "😀", "/"],
    {"nested": [{"k": [1, {"z": "é"}]}]},
    {1: "int key"}, {(1, 2): "tuple key"} if False else {"t": (1, 2)},
    [float("nan"), float("inf")],
    {"level": _Level.LOW, "set": {1}, "bytes": b"x"},
    [True, False, None, "", 0],
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: repr(v)[:40])
@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_indented_json_is_the_standard_librarys_bytes(value: Any, ensure_ascii: bool) -> None:
    expected = json.dumps(value, indent=2, default=str, ensure_ascii=ensure_ascii)
    assert indented_json(value, ensure_ascii=ensure_ascii) == expected


def test_indented_json_matches_on_many_floats() -> None:
    import random

    rng = random.Random(19)
    values = [rng.random() * 10 ** rng.randint(-8, 20) for _ in range(5000)]
    values += [math.ldexp(rng.random(), rng.randint(-60, 60)) for _ in range(5000)]
    assert indented_json(values) == json.dumps(values, indent=2, default=str)


# -- rules marked with their operations ---------------------------------------------------------


@pytest.mark.parametrize("api", ["realtimekit", "eka", "heidi", "upheal"])
def test_leaving_out_the_rules_marked_for_other_operations_changes_nothing(api: str) -> None:
    """Every operation, every example body (and each broken), with and without a query: the
    rules kept for the operation find what all the rules find."""
    spec = load_spec(api)
    bodies = [b for _, _, body in _examples(api) for b in (body, _broken(body))]
    found = 0
    for op, body, query, status in itertools.product(
            spec.operations, bodies, ({}, {"per_page": "1", "page_no": "3"}), (200, None)):
        ctx = InvariantContext(api=api, operation=op.operation_id, status=status, body=body,
                               query=query)
        every = [v for rule in rules_for(api) for v in rule(ctx)]
        assert list(check_invariants(ctx)) == every, op.operation_id
        kept = rules_for_operation(api, op.operation_id)
        assert all(op.operation_id in getattr(r, "operations", (op.operation_id,))
                   for r in kept)
        found += len(every)
    if api == "realtimekit":  # its rules are all marked, each finds something here
        assert found > 20
        assert all(getattr(r, "operations", None) for r in rules_for(api))
        assert rules_for_operation(api, "getSessionChat") == ()


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_records_spooled_in_batches_are_the_whole_report(fmt: str) -> None:
    """Over several batches, with records that orjson writes and records only the standard
    library writes alike (non-ASCII, a big integer, an exponent) in the same batch."""
    import io

    from contracts.corpus import CorpusReport, Record
    from contracts.findings import Severity, Violation
    from contracts.reporting import violations_json, violations_sarif
    from contracts.reporting.stream import write_violations

    odd: list[Any] = ["é", 2**70, 1e-7, None, [1, 2], "plain"]
    records = [Record(Violation(code="response.body.schema", message=f"m{i} {odd[i % 6]}",
                                api="eka", operation="getX", expected=odd[i % 6],
                                actual=odd[(i + 1) % 6], severity=Severity(10 * (1 + i % 3))),
                      "log.jsonl", i) for i in range(700)]
    report = CorpusReport(records=records, exchanges=700)
    whole = (violations_json if fmt == "json" else violations_sarif)(report, show_values=True)
    out = io.StringIO()
    write_violations([*records, 700], fmt, out, fail_on=Severity.ERROR, show_values=True)
    assert out.getvalue() == whole


def test_a_body_violation_is_its_base_with_what_the_walk_sets() -> None:
    """The walk's shortcut for schema errors and undocumented fields builds the record
    ``replace`` would: every other field (a new one too) comes from the base."""
    from contracts._derived import body_violation, replace
    from contracts.findings import VIOLATION_FIELDS, Severity, Violation

    base = Violation(code="c", message="m", api="a", operation="o", location="response.body",
                     pointer="/p", schema_path="s", expected=[1], actual=2,
                     severity=Severity.WARNING)
    made = body_violation(base, "response.body.schema", "msg", "/x", "#/y", ["e"], 3,
                          Severity.INFO)
    assert made == replace(base, code="response.body.schema", message="msg", pointer="/x",
                           schema_path="#/y", expected=["e"], actual=3, severity=Severity.INFO)
    assert {"api", "operation", "location"} < set(VIOLATION_FIELDS)
    assert len(VIOLATION_FIELDS) == 10, "a new Violation field: copy it in body_violation"
