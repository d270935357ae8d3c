"""Mergeable results: any partition of a corpus, validated or aggregated part by part (each
part pickled as a worker would send it), merged in any order and any grouping, gives the
report of one pass, byte for byte; specs and validators pickle and validate the same."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import load_spec
from contracts.accumulate import CorpusAccumulator
from contracts.corpus import validate_corpus
from contracts.drift import DriftAccumulator, TrafficAnalyser, drift_report, traffic_drift
from contracts.exchanges import Exchange
from contracts.reporting import traffic_json, violations_json
from contracts.specs import spec_from_text
from contracts.validation import Validator

SPEC = """\
openapi: 3.1.0
info: {title: Items, version: "1"}
servers: [{url: "https://api.example.com"}]
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: the item
          content:
            application/json:
              schema:
                type: object
                required: [item_id, state, count]
                properties:
                  item_id: {type: string}
                  state: {type: string, enum: [open, closed]}
                  count: {type: integer, minimum: 0}
                  note: {type: string}
"""
URL = "https://api.example.com/items/i-1"
HEADERS = {"content-type": "application/json"}
OK = {"item_id": "i-1", "state": "open", "count": 1}
# Bodies that depart from the spec in different ways (and with different values, so that the
# kept values, observed types and expected texts depend on which exchange came first).
VARIANTS: list[tuple[str, int, Any]] = [
    ("GET", 200, OK),
    ("GET", 200, {**OK, "state": "archived"}),
    ("GET", 200, {**OK, "state": "paused"}),
    ("GET", 200, {**OK, "count": -3}),
    ("GET", 200, {**OK, "count": "7"}),
    ("GET", 200, {**OK, "count": None}),
    ("GET", 200, {"itemId": "i-1", "state": "open", "count": 1}),  # a rename
    ("GET", 200, {**OK, "extra": [1, 2]}),
    ("GET", 200, {**OK, "note": 5}),
    ("GET", 418, OK),
    ("GET", 200, b"{oops"),
    ("DELETE", 204, None),
]
TIMES = ["", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-03-01T12:00:00Z"]
SOURCES = ("a.jsonl", "b.jsonl", "c.har")


@pytest.fixture(scope="module")
def spec() -> Any:
    return spec_from_text(SPEC, name="items")


def corpus(picks: list[tuple[int, int, int]]) -> list[Any]:
    """Exchanges (and one unreadable kind of line) as read from three files, in input order."""
    lines = dict.fromkeys(range(len(SOURCES)), 0)
    out: list[Any] = []
    for file, variant, time in sorted(picks, key=lambda p: p[0]):
        lines[file] += 1
        source, line = SOURCES[file], lines[file]
        pointer = f"/log/entries/{line}" if source.endswith(".har") else None
        if variant == len(VARIANTS):
            from contracts.findings import ReadProblem
            out.append(ReadProblem(source, line, f"broken record {line}", pointer))
            continue
        method, status, body = VARIANTS[variant]
        raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        out.append(Exchange(method, URL, status, response_headers=HEADERS, response_body=raw,
                            time=TIMES[time] or None, source=source, line=line,
                            pointer=pointer))
    return out


def merged(parts: list[Any], order: list[int]) -> Any:
    """Merge ``parts`` pairwise in an order drawn by the test: any grouping, any order."""
    pool = [pickle.loads(pickle.dumps(p)) for p in parts]  # as a worker sends it back
    for pick in order:
        if len(pool) == 1:
            break
        left = pool.pop(pick % len(pool))
        right = pool.pop((pick // 7) % len(pool))
        pool.append(left.merge(right))
    while len(pool) > 1:
        pool.append(pool.pop(0).merge(pool.pop(0)))
    return pool[0]


PICKS = st.lists(st.tuples(st.integers(0, len(SOURCES) - 1), st.integers(0, len(VARIANTS)),
                           st.integers(0, len(TIMES) - 1)), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(picks=PICKS, parts=st.integers(1, 6), data=st.data(), collect=st.booleans())
def test_drift_any_partition_any_merge_order_same_report(spec: Any, picks: Any, parts: int,
                                                          data: Any, collect: bool) -> None:
    items = corpus(picks)
    whole = traffic_json(traffic_drift(spec, items, sources=SOURCES, collect_values=collect),
                         show_values=True)
    owner = data.draw(st.lists(st.integers(0, parts - 1), min_size=len(items),
                               max_size=len(items)))
    order = data.draw(st.lists(st.integers(0, 1000), max_size=8))
    accs = []
    for part in range(parts):
        analyser = TrafficAnalyser(spec, collect, SOURCES)
        for item, o in zip(items, owner, strict=True):
            if o == part:
                analyser.add(item)
        accs.append(analyser.agg)
    acc = merged(accs, order)
    assert isinstance(acc, DriftAccumulator)
    assert traffic_json(drift_report(spec, acc, SOURCES), show_values=True) == whole


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(picks=PICKS, parts=st.integers(1, 6), data=st.data())
def test_validation_any_partition_any_merge_order_same_report(spec: Any, picks: Any, parts: int,
                                                               data: Any) -> None:
    items = corpus(picks)
    validator = Validator(spec)
    whole = violations_json(CorpusAccumulator(SOURCES).feed(validator, items).report(),
                            show_values=True)
    owner = data.draw(st.lists(st.integers(0, parts - 1), min_size=len(items),
                               max_size=len(items)))
    order = data.draw(st.lists(st.integers(0, 1000), max_size=8))
    accs = [CorpusAccumulator(SOURCES).feed(
        validator, [i for i, o in zip(items, owner, strict=True) if o == part])
        for part in range(parts)]
    assert violations_json(merged(accs, order).report(), show_values=True) == whole


def test_one_pass_accumulator_is_validate_corpus(spec: Any, tmp_path: Path) -> None:
    """The accumulator's report of a file is what validate_corpus has always returned."""
    from contracts.exchanges import write_exchanges
    from contracts.redaction import Redactor

    items = [i for i in corpus([(0, v % len(VARIANTS), 0) for v in range(30)])]
    log = tmp_path / "a.jsonl"
    with log.open("wb") as fh:
        write_exchanges(fh, items, redactor=Redactor(enabled=False))
    from contracts.exchanges import read_exchanges
    direct = validate_corpus(spec, [log])
    acc = CorpusAccumulator([str(log)]).feed(Validator(spec), read_exchanges(log)).report()
    assert direct.records and violations_json(acc, show_values=True) == violations_json(
        direct, show_values=True)


def test_first_and_last_seen_come_from_timestamps_not_input_order(spec: Any) -> None:
    late = corpus([(0, 1, 3)])[0]
    early = corpus([(1, 1, 1)])[0]
    report = traffic_drift(spec, [late, early], sources=SOURCES)
    (enum,) = [f for f in report.findings if f.rule == "drift.enum.new_value"]
    assert (enum.first_seen, enum.last_seen) == (TIMES[1], TIMES[3])
    assert (enum.first_at, enum.last_at) == ("a.jsonl:1", "b.jsonl:1")


def test_renames_are_detected_after_the_merge(spec: Any) -> None:
    """One part sees only the undocumented spelling, another only the missing field: the
    merged report still names one rename (and no missing-field finding)."""
    items = corpus([(0, 6, 0)])
    a = TrafficAnalyser(spec, False, SOURCES)
    a.add(items[0])
    b = TrafficAnalyser(spec, False, SOURCES)
    report = drift_report(spec, b.agg.merge(a.agg), SOURCES)
    rules = sorted(f.rule for f in report.findings)
    assert rules == ["drift.field.renamed"]


# -- pickling ----------------------------------------------------------------------------------
def test_bundled_spec_pickles_by_name() -> None:
    spec = load_spec("upheal")
    data = pickle.dumps(spec)
    assert len(data) < 200 and b"upheal" in data
    again = pickle.loads(data)
    assert again.name == "upheal" and again.document == spec.document
    assert pickle.loads(data) is again  # loaded once per process


def test_spec_from_a_file_pickles_by_content(tmp_path: Path) -> None:
    path = tmp_path / "items.yaml"
    path.write_text(SPEC, encoding="utf-8")
    spec = load_spec(str(path))
    data = pickle.dumps(spec)
    path.unlink()  # the pickle does not need the file
    again = pickle.loads(data)
    assert again.document == spec.document and again.name == "items"
    assert [o.operation_id for o in again.operations] == ["getItem"]


def test_spec_with_paths_keeps_its_overrides_through_pickle() -> None:
    spec = load_spec("upheal").with_paths(prefix="/v9")
    again = pickle.loads(pickle.dumps(spec))
    assert [o.path for o in again.operations] == [o.path for o in spec.operations]
    assert all(o.path.startswith("/v9") for o in again.operations)


@pytest.mark.parametrize("api", ["upheal", "content"])
def test_pickled_validator_validates_identically(api: str, spec: Any) -> None:
    validator = Validator("upheal" if api == "upheal" else spec)
    again = pickle.loads(pickle.dumps(validator))
    assert isinstance(again, Validator)
    items = corpus([(0, v, 0) for v in range(len(VARIANTS))])
    if api == "upheal":
        op = validator.spec.operations[0]
        items = [Exchange(op.method.upper(), f"https://x{op.path}", 200,
                          response_headers=HEADERS, response_body=b'{"id": 5}')]
    for item in items:
        first = list(validator.iter_response_violations(item.method, item.url, item.status,
                                                        item.response_body,
                                                        headers=dict(item.response_headers)))
        second = list(again.iter_response_violations(item.method, item.url, item.status,
                                                     item.response_body,
                                                     headers=dict(item.response_headers)))
        assert first == second
    assert any(list(validator.iter_response_violations(i.method, i.url, i.status,
                                                       i.response_body)) for i in items)
