"""Reading and writing exchanges: our JSON Lines log, HAR 1.2 and VCR.py cassettes."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tracemalloc
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.errors import InputError, UsageError
from contracts.exchanges import (
    Exchange,
    ReadProblem,
    exchange_from_record,
    exchange_to_record,
    read_exchanges,
    write_exchanges,
)
from contracts.redaction import Redactor

DATA = Path(__file__).parent / "data" / "exchanges"
SCHEMA = json.loads(files("contracts").joinpath("_meta/exchange-log.schema.json").read_text())


def _split(items: list[Exchange | ReadProblem]) -> tuple[list[Exchange], list[ReadProblem]]:
    exchanges = [i for i in items if isinstance(i, Exchange)]
    problems = [i for i in items if isinstance(i, ReadProblem)]
    assert len(exchanges) + len(problems) == len(items)
    return exchanges, problems


def _one_line(text: str) -> None:
    assert text and "\n" not in text and "Traceback" not in text


# --------------------------------------------------------------------------- round trips

ROUND_TRIP = [
    Exchange("get", "https://api.example.invalid/sessions/1?page=2", 200,
             {"Accept": "application/json"}, None, {"Content-Type": "application/json"},
             {"session_id": "s1", "items": [1, 2.5, True, None, {"k": []}]},
             api="heidi", operation="getSession", time="2025-03-04T10:15:00Z"),
    Exchange("POST", "/voice/v1/sessions", 415, {}, "not json at all", {}, None),
    Exchange("PUT", "/upload", 204, {}, b"\x00\x01\xff\xfe", {}, None),
    Exchange("DELETE", "/sessions/2"),  # no response
    Exchange("GET", "/n", 200, {}, None, {}, 42),
    Exchange("GET", "/s", 200, {}, None, {}, '"a top-level JSON string"'),
    Exchange("GET", "/e", 200, {}, None, {}, []),
]


@pytest.mark.parametrize("exchange", ROUND_TRIP, ids=lambda e: f"{e.method} {e.url}")
def test_record_round_trip_is_exact(exchange: Exchange) -> None:
    record = orjson.loads(orjson.dumps(exchange_to_record(exchange)))
    assert exchange_from_record(record) == exchange


def test_write_then_read(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    redactor = Redactor(enabled=False)
    with path.open("wb") as fh:
        assert write_exchanges(fh, ROUND_TRIP, redactor=redactor) == len(ROUND_TRIP)
    exchanges, problems = _split(list(read_exchanges(path)))
    assert problems == []
    assert exchanges == [redactor.exchange(e) for e in ROUND_TRIP]
    assert [e.line for e in exchanges] == list(range(1, len(ROUND_TRIP) + 1))
    assert all(e.source == str(path) for e in exchanges)


def test_write_to_text_stream_matches_bytes() -> None:
    text, raw = io.StringIO(), io.BytesIO()
    write_exchanges(text, ROUND_TRIP)
    write_exchanges(raw, ROUND_TRIP)
    assert text.getvalue().encode("utf-8") == raw.getvalue()
    assert text.getvalue().count("\n") == len(ROUND_TRIP)


def test_write_redacts_by_default() -> None:
    out = io.StringIO()
    secret = Exchange("GET", "/x?access_token=tok-CANARY-1", 200,
                      {"Authorization": "Bearer tok-CANARY-2"}, None, {},
                      {"patient_name": "Canary Person"})
    write_exchanges(out, [secret])
    assert "CANARY" not in out.getvalue() and "Canary" not in out.getvalue()


def test_big_integers_are_written_by_the_fallback() -> None:
    out = io.BytesIO()
    write_exchanges(out, [Exchange("GET", "/", 200, {}, None, {}, {"n": 10**30})],
                    redactor=Redactor(enabled=False))
    assert json.loads(out.getvalue())["response"]["body"] == {"n": 10**30}


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(body=_json, status=st.integers(100, 599), raw=st.binary(max_size=16))
def test_any_json_body_survives_a_round_trip(body: Any, status: int, raw: bytes) -> None:
    if body is None or isinstance(body, str):
        body = orjson.dumps(body).decode()  # the body convention: top-level strings are raw
    exchange = Exchange("POST", "/x", status, {}, raw or None, {}, body)
    record = orjson.loads(orjson.dumps(exchange_to_record(exchange)))
    back = exchange_from_record(record)
    expected_request = raw.decode("utf-8") if _utf8(raw) else raw or None
    assert back.response_body == body
    assert back.request_body == expected_request


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return bool(raw)


# --------------------------------------------------------------------------- fixtures


def test_sample_log() -> None:
    exchanges, problems = _split(list(read_exchanges(DATA / "sample.jsonl")))
    assert problems == []
    first, second, third = exchanges
    assert (first.api, first.operation, first.status) == ("heidi", "getSession", 200)
    assert first.response_body["patient"]["dob"] == "1900-01-01"
    assert (second.method, second.line, second.request_body) == ("POST", 3, "not json")
    assert dict(second.request_headers) == {"content-type": "text/plain"}
    assert third.request_body == b"\x00\x01\x02\xff" and third.status is None


def test_sample_har() -> None:
    exchanges, problems = _split(list(read_exchanges(DATA / "sample.har")))
    assert problems == []
    created, binary, aborted = exchanges
    assert created.method == "POST" and created.status == 201
    assert created.request_body == "{}"
    assert json.loads(created.response_body) == {"session_id": "ses_synthetic_har"}
    assert ":authority" not in created.request_headers
    assert created.response_headers["set-cookie"] == "a=1, b=2"
    assert created.time == "2025-03-04T10:15:00.000Z"
    assert binary.method == "GET" and binary.response_body == b"\x00\x01\x02\xff"
    assert aborted.status is None and aborted.request_body == "a=1+2&b=3"
    assert [e.location for e in exchanges] == [
        f"{DATA / 'sample.har'}#/log/entries/{i}" for i in range(3)]


def test_sample_cassette() -> None:
    exchanges, problems = _split(list(read_exchanges(DATA / "cassette.yaml")))
    assert problems == []
    created, missing = exchanges
    assert created.url == "https://api.eka.care/voice/v1/sessions"
    assert created.request_headers["authorization"] == "Bearer synthetic-token-0002"
    assert json.loads(created.request_body) == {"template_id": "tpl_synthetic"}
    assert json.loads(created.response_body)["session_id"] == "ses_synthetic_vcr"
    assert created.status == 201 and created.line == 0
    assert missing.status == 404 and missing.request_body is None
    assert missing.response_body is None


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("broken.jsonl", [1, 3, 9], [2, 4, 5, 6, 7, 8]),
        ("broken.har", [0, 5], [1, 2, 3, 4]),
        ("broken-cassette.yaml", [0, 3], [1, 2]),
    ],
)
def test_bad_lines_are_reported_and_the_rest_is_read(
    name: str, good: list[int], bad: list[int]
) -> None:
    items = list(read_exchanges(DATA / name))
    exchanges, problems = _split(items)
    assert [e.line for e in exchanges] == good
    assert [p.line for p in problems] == bad
    assert [i.line for i in items] == sorted(good + bad), "reported in file order"
    for problem in problems:
        _one_line(str(problem))
        assert str(problem).startswith(str(DATA / name))


def test_cassette_problems_name_the_yaml_line() -> None:
    problems = [p for p in read_exchanges(DATA / "broken-cassette.yaml")
                if isinstance(p, ReadProblem)]
    assert "(line 11)" in problems[0].message
    assert problems[0].location.endswith("#/interactions/1")


@pytest.mark.parametrize("name", ["sample.jsonl", "sample.har", "cassette.yaml",
                                  "broken.jsonl", "broken.har"])
def test_format_is_sniffed_without_an_extension(name: str, tmp_path: Path) -> None:
    copy = tmp_path / "recording.txt"
    shutil.copy(DATA / name, copy)
    def strip(items: list[Any]) -> list[Any]:
        return [(i.line, i.message) if isinstance(i, ReadProblem) else i for i in items]
    assert strip(list(read_exchanges(copy))) == strip(list(read_exchanges(DATA / name)))


@pytest.mark.parametrize(("name", "format"), [("sample.jsonl", "jsonl"), ("sample.har", "har"),
                                              ("cassette.yaml", "vcr")])
def test_format_overrides_the_extension(name: str, format: str, tmp_path: Path) -> None:
    copy = tmp_path / "misnamed.har" if format != "har" else tmp_path / "misnamed.jsonl"
    shutil.copy(DATA / name, copy)
    assert list(read_exchanges(copy, format=format)) == list(read_exchanges(DATA / name))


def test_one_line_har_is_sniffed(tmp_path: Path) -> None:
    data = json.loads((DATA / "sample.har").read_text())
    path = tmp_path / "one-line.json"
    path.write_text(json.dumps(data))
    assert len([e for e in read_exchanges(path) if isinstance(e, Exchange)]) == 3


def test_json_cassette_is_read(tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load((DATA / "cassette.yaml").read_text())
    path = tmp_path / "cassette.json"
    path.write_text(json.dumps(data, indent=2))
    assert list(read_exchanges(path)) == list(read_exchanges(DATA / "cassette.yaml"))


# --------------------------------------------------------------------------- hostile input

DEEP = b"[" * 100_000 + b"]" * 100_000
GOOD = b'{"version": 1, "request": {"method": "GET", "url": "/ok"}}'


@pytest.mark.parametrize(
    ("line", "expect"),
    [
        (b'{"version": 1, "request": {"method": "GET", "url": "/\xff\xfe"}}', "UTF-8"),
        (DEEP, "nested deeper"),
        (b'{"version": 1, "request": {"method": "GET", "url": "/"}, "x-n": ' + b"7" * 20_000
         + b"}", "too large"),
        (b'{"version": 1, "request": {"method": "GET", "url": "/"}, "x-n": NaN}', "not valid"),
        (b'{"version": 1, "request": {"method": "GET", "url": "/"}, "x-n": Infinity}',
         "not valid"),
        (b'{"version": 1, "request": {"method": "G T", "url": "/"}}', "HTTP method"),
        (b'{"version": 1, "request": {"method": "GET", "url": "relative"}}', "absolute URL"),
        (b'{"version": true, "request": {"method": "GET", "url": "/"}}', "version"),
        (b'{"version": 1, "request": {"method": "GET", "url": "/"}, "response": {"status": '
         b'"200"}}', "100 to 599"),
        (b'{"version": 1, "request": {"method": "GET", "url": "/", "body": 1, "body_text": '
         b'"1"}}', "exclusive"),
        (b'{"version": 1, "request": {"method": "GET", "url": "/", "body_base64": "@@"}}',
         "base64"),
        (b'{"version": 1, "request": {"method": "GET", "url": "/", "headers": {"a": 1}}}',
         "strings"),
        (b'"just a string"', "JSON object"),
        (b'{"session_id": "ses_1", "status": "completed"}', "not an exchange record"),
        (b'{"version": 1, "request": {"method": "GET", "url": "/"}, "status": 200}',
         "unknown field 'status'"),
    ],
    ids=["utf8", "deep", "20000-digits", "nan", "infinity", "method", "url", "version", "status",
         "two-bodies", "base64", "header-value", "not-object", "bare-body", "unknown-field"],
)
def test_bad_line_in_the_middle(line: bytes, expect: str, tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(GOOD + b"\n" + line + b"\n" + GOOD + b"\n")
    items = list(read_exchanges(path))
    assert [type(i).__name__ for i in items] == ["Exchange", "ReadProblem", "Exchange"]
    problem = items[1]
    assert isinstance(problem, ReadProblem) and problem.line == 2
    assert expect in problem.message
    _one_line(str(problem))
    assert len(str(problem)) < 300


def test_problem_messages_do_not_quote_values(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text('{"version": 1, "request": {"method": "GET CANARY", "url": "/"}}\n'
                    '{"version": 1, "request": {"method": "GET", "url": "CANARY"}}\n'
                    '{"version": 1, "request": {"method": "GET", "url": "/", "body_base64": '
                    '"CANARY!"}}\n')
    problems = list(read_exchanges(path))
    assert len(problems) == 3 and all(isinstance(p, ReadProblem) for p in problems)
    assert not any("CANARY" in str(p) for p in problems)


def test_long_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    long = b'{"version": 1, "x-pad": "' + b"a" * 4_000_000 + b'"}'
    path.write_bytes(GOOD + b"\n" + long + b"\n" + GOOD + b"\n")
    list(read_exchanges(tmp_path / "log.jsonl", max_line_bytes=100_000))  # warm up
    tracemalloc.start()
    try:
        items = list(read_exchanges(path, max_line_bytes=100_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [type(i).__name__ for i in items] == ["Exchange", "ReadProblem", "Exchange"]
    assert "longer than 100,000 bytes" in items[1].message  # type: ignore[union-attr]
    assert peak < 1_000_000, peak  # a quarter of the line: it was never held whole


def _line(n: int) -> bytes:
    return (b'{"version":1,"api":"heidi","request":{"method":"GET","url":"/sessions/%d",'
            b'"headers":{"accept":"application/json"}},"response":{"status":200,'
            b'"body":{"id":%d,"words":[{"start":1.5}]}}}\n') % (n, n)


def _peak_reading(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_exchanges(path))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_does_not_grow_with_the_log(tmp_path: Path) -> None:
    # tracemalloc makes each line ~4x slower; 3k vs 30k lines shows any per-line retention
    # (40 bytes kept per exchange would add 1.2 MB) while keeping the test near two seconds.
    peaks = {}
    for n in (10, 3_000, 30_000):
        path = tmp_path / f"log-{n}.jsonl"
        with path.open("wb") as fh:
            for start in range(0, n, 1000):
                fh.write(b"".join(_line(i) for i in range(start, min(n, start + 1000))))
        count, peaks[n] = _peak_reading(path)  # the 10-line run warms lazy imports and caches
        assert count == n
    assert peaks[30_000] < 512 * 1024, peaks
    assert peaks[30_000] < peaks[3_000] * 1.5 + 16 * 1024, peaks


@pytest.mark.parametrize(
    ("name", "content", "expect"),
    [
        ("empty.jsonl", b"", "file is empty"),
        ("blank.jsonl", b"\n  \n\t\n", "file is empty"),
        ("empty.har", b"", "file is empty"),
        ("empty.yaml", b"", "file is empty"),
        ("empty.txt", b"   \n", "file is empty"),
        ("bad.har", b'{"log": {"entries": [}', "not valid JSON"),
        ("utf8.har", b'{"log": {"entries": ["\xff"]}}', "UTF-8"),
        ("deep.har", DEEP, "nested deeper"),
        ("nan.har", b'{"log": {"entries": [NaN]}}', "not valid JSON"),
        ("noentries.har", b'{"log": {}}', "no log.entries"),
        ("list.har", b"[1, 2]", "no log.entries"),
        ("notcassette.yaml", b"openapi: 3.1.0\n", "no interactions"),
        ("utf8.yaml", b"interactions: [\xff]\n", "UTF-8"),
        ("malformed.yaml", b"interactions: [a, b\n", "not valid YAML"),
        ("binary.yaml", b"interactions:\n- response:\n    body:\n      string: !!binary |\n"
         b"        AAEC\n", "!!binary"),
        ("pretty.txt", b'{\n  "neither": true\n}\n', "not an exchange log"),
        ("log.gz", gzip.compress(GOOD, mtime=0), "gzip"),  # mtime=0: same id in every process
    ],
)
def test_unreadable_files_raise_one_line(name: str, content: bytes, expect: str,
                                         tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        list(read_exchanges(path))
    message = str(info.value)
    _one_line(message)
    assert message.startswith(str(path)) and expect in message


@pytest.mark.parametrize("make", [lambda p: p / "missing.jsonl", lambda p: p],
                         ids=["missing", "directory"])
def test_missing_or_directory(make: Callable[[Path], Path], tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_exchanges(make(tmp_path))  # raised at the call, before iteration
    _one_line(str(info.value))


def test_extensionless_log_with_a_bad_first_line(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_bytes(b'{"version": 1, "request": \n' + GOOD + b"\n")
    with pytest.raises(InputError, match="cannot tell the format") as info:
        read_exchanges(path)
    _one_line(str(info.value))
    items = list(read_exchanges(path, format="jsonl"))
    assert [type(i).__name__ for i in items] == ["ReadProblem", "Exchange"]


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown exchange format"):
        read_exchanges(DATA / "sample.jsonl", format="pcap")


# --------------------------------------------------------------------------- the schema


def _validator() -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def test_sample_lines_validate_against_the_schema() -> None:
    validator = _validator()
    lines = [ln for ln in (DATA / "sample.jsonl").read_text().splitlines() if ln.strip()]
    assert lines
    for line in lines:
        assert list(validator.iter_errors(json.loads(line))) == []


def test_what_we_write_validates_against_the_schema() -> None:
    validator = _validator()
    out = io.StringIO()
    write_exchanges(out, ROUND_TRIP)
    har = [e for e in read_exchanges(DATA / "sample.har") if isinstance(e, Exchange)]
    write_exchanges(out, har)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(ROUND_TRIP) + len(har)
    for line in lines:
        assert list(validator.iter_errors(json.loads(line))) == [], line


EXTRA_RECORDS = [
    {"version": 1, "request": {"method": "GET", "url": "/"}, "x-recorder": {"any": 1}},
    {"version": 1, "request": {"method": "GET", "url": "/"}, "unknown": 1},
    {"version": 1, "request": {"method": "GET", "url": "/", "extra": 1}},
    {"version": 1, "request": {"method": "GET", "url": "/"}, "response": {"status": 99}},
    {"version": 1, "request": {"method": "GET", "url": "/"}, "response": {"status": 200.0}},
    {"version": 1, "request": {"method": "GET", "url": "/"}, "response": {}},
    {"version": 1, "request": {"method": "GET", "url": "/"}, "response": {"status": 200,
                                                                          "body": None}},
    {"version": 1, "request": {"method": "GET", "url": "/", "body_text": 3}},
    {"version": 1, "request": {"method": "", "url": "/"}},
    {"version": 1, "request": {"method": "GET", "url": ""}},
    {"version": 1, "request": {"method": "GET", "url": "/"}, "api": ""},
    {"version": 1, "request": {"method": "GET", "url": "/"}, "operation": 5},
    {"version": 1, "request": {"method": "GET", "url": "/", "headers": {"a": "b"}}},
    {"version": 1, "request": {"method": "GET", "url": "/", "headers": []}},
    {"version": 1, "request": {"method": "GET", "url": "/", "body_base64": "AAEC/w=="},
     "response": {"status": 200, "body_text": "x", "body_base64": "AA=="}},
    {"version": 1},
    {"request": {"method": "GET", "url": "/"}},
]


def _strict_json(line: str) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


@pytest.mark.parametrize(
    "line",
    [ln for name in ("sample.jsonl", "broken.jsonl")
     for ln in (DATA / name).read_text().splitlines() if _strict_json(ln)]
    + [json.dumps(r) for r in EXTRA_RECORDS],
)
def test_reader_and_schema_agree(line: str) -> None:
    record = json.loads(line)
    schema_ok = not list(_validator().iter_errors(record))
    try:
        exchange_from_record(record)
        reader_ok = True
    except InputError:
        reader_ok = False
    assert reader_ok == schema_ok
