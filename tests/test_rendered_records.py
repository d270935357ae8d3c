"""``--jobs N`` workers render their records (text, JSON) with holes for the line numbers, and
the parent fills them: the bytes are those of the records rendered in the parent, whatever the
records hold and however far their block is shifted."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _corpus import write_corpus, write_spec
from contracts.corpus import Record
from contracts.findings import Severity, Violation
from contracts.parallel import iter_validate_parallel
from contracts.reporting.stream import renderer, write_violations

TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["", "é", "\x1b[31m", "a\nb", '"q"', "\\", "\u2028", "\x7f", "@eyJ", "x" * 40])
SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | TEXT
           | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([1e-5, 1e16, 0.5]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8)


@st.composite
def records(draw: st.DrawFn) -> Record:
    violation = Violation(
        draw(st.sampled_from(["response.body.schema", "strict.undocumented", "a.b"])),
        draw(TEXT), api=draw(TEXT), operation=draw(TEXT),
        location=draw(st.sampled_from(["", "response.body", "request.query"])),
        pointer=draw(TEXT), schema_path=draw(TEXT), expected=draw(VALUES),
        actual=draw(VALUES), severity=draw(st.sampled_from(list(Severity))))
    kind = draw(st.sampled_from(["line", "entry", "both", "neither"]))
    return Record(violation, draw(TEXT | st.just("logs/traffic-1.jsonl")),
                  draw(st.integers(1, 10**6)) if kind in ("line", "both") else None,
                  draw(TEXT | st.just("/log/entries/3")) if kind in ("entry", "both") else None)


def _moved(record: Record, lines: int) -> Record:
    if record.line is None or record.pointer is not None:
        return record
    return Record(record.violation, record.source, record.line + lines, record.pointer)


def _written(items: list[object], fmt: str, show_values: bool,
             fail_on: Severity = Severity.ERROR) -> tuple[str, bool]:
    out = io.StringIO()
    summary = write_violations(items, fmt, out, fail_on=fail_on,  # type: ignore[arg-type]
                               show_values=show_values)
    return out.getvalue(), summary.failed


@settings(max_examples=150, deadline=None)
@given(blocks=st.lists(st.lists(records(), max_size=5), min_size=1, max_size=3),
       shifts=st.lists(st.integers(0, 10**6), min_size=3, max_size=3),
       fmt=st.sampled_from(["text", "json"]), show_values=st.booleans(),
       fail_on=st.sampled_from(list(Severity)))
def test_rendered_blocks_write_what_their_records_write(
        blocks: list[list[Record]], shifts: list[int], fmt: str, show_values: bool,
        fail_on: Severity) -> None:
    render = renderer(fmt, show_values=show_values)
    assert render is not None
    plain: list[object] = []
    rendered: list[object] = []
    for block, shift in zip(blocks, shifts, strict=False):
        plain.extend(_moved(r, shift) for r in block)
        if block:  # a worker renders a block that has records
            rendered.append(render(block).shift(shift))
    plain.append(7)
    rendered.append(7)
    assert _written(rendered, fmt, show_values, fail_on) == _written(plain, fmt, show_values,
                                                                     fail_on)


def test_a_float_the_standard_library_writes_its_own_way_is_written_its_way() -> None:
    """The records of a block hold values orjson and ``json.dumps`` write differently (NaN, an
    exponent, an integer past 64 bits): the block as a whole takes the standard library."""
    render = renderer("json")
    assert render is not None
    for odd in (math.nan, 1e-7, 2**65, {"k": [1e20]}):
        record = Record(Violation("c", "m", expected=odd), "x.jsonl", 4)
        plain, _ = _written([record, 1], "json", False)
        done, _ = _written([render([record]).shift(10), 1], "json", False)
        assert done == plain.replace('"line": 4', '"line": 14')
        assert '"line": 14' in done


def test_sarif_and_junit_render_in_the_parent() -> None:
    assert renderer("sarif") is None and renderer("junit") is None
    render = renderer("text")
    assert render is not None
    chunk = render([Record(Violation("c", "m"), "x.jsonl", 1)])
    with pytest.raises(TypeError, match="rendered as text"):
        _written([chunk, 1], "sarif", False)


def test_workers_hand_back_rendered_records_the_parent_shifts(tmp_path: Path) -> None:
    """Through real worker processes: what the parent receives is text, not records, and its
    lines are the lines of the whole file."""
    spec, files = write_spec(tmp_path), write_corpus(tmp_path)
    logs = [f for f in files if f.suffix == ".jsonl"]
    kwargs = {"jobs": 2, "block_bytes": 16 * 1024}
    plain = list(iter_validate_parallel(str(spec), logs, **kwargs))  # type: ignore[arg-type]
    rendered = list(iter_validate_parallel(str(spec), logs, render=renderer("json"),
                                           **kwargs))  # type: ignore[arg-type]
    kinds = {type(item).__name__ for item in rendered}
    assert "RenderedRecords" in kinds and "Record" not in kinds, kinds
    assert sum(1 for i in rendered if type(i).__name__ == "RenderedRecords") > 3
    assert _written(rendered, "json", False) == _written(plain, "json", False)
    late = max(r.line for r in plain if isinstance(r, Record) and r.line is not None)
    assert late > 100 and f'"line": {late},' in _written(rendered, "json", False)[0]


def test_a_part_whose_records_are_rendered_streams_and_does_not_merge() -> None:
    from contracts.accumulate import CorpusAccumulator

    part = CorpusAccumulator(["x.jsonl"])
    part.records.append(((0, "x.jsonl", 3), 0, Record(Violation("c", "m"), "x.jsonl", 3)))
    render = renderer("text")
    assert render is not None
    part.render_with(render).shift(2)
    [chunk] = part.entries()
    assert part.records == [] and chunk.text().startswith("x.jsonl:5: ")
    with pytest.raises(ValueError, match="does not merge"):
        CorpusAccumulator(["x.jsonl"]).merge(part)
