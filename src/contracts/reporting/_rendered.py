"""Records rendered where they were found.

A ``--jobs`` worker renders its block's records as the stream writer would (the lines of a
text report, or the items of the JSON report's ``violations`` array), leaving holes where their
line numbers go: a block does not know how many lines the blocks before it hold. The parent
fills the holes once the block is placed (:meth:`RenderedRecords.shift`) and writes the text,
instead of unpickling every record and rendering it on the core the workers need.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from .._text import terminal_safe
from ..findings import Severity

if TYPE_CHECKING:
    from ..corpus import Record
    from ..findings import Violation

__all__ = ["RenderedRecords", "line_tail", "record_dict", "renderer"]

# The JSON report's records are the items of "violations", two levels in: each record's
# standalone indented text (two-space keys) is indented by PAD once more.
PAD = "  "
_LIST_END = "\n  }\n]"
_BETWEEN = "\n  },\n"


class RenderedRecords:
    """The text of some records, in input order, with ``lines[i]`` (plus ``offset``) written
    between ``parts[i]`` and ``parts[i + 1]``; ``counts``: how many records of each severity.

    A plain class (a dataclass would compile its methods when a one-body validate imports
    the stream writer, which never needs one); it pickles by its slots."""

    __slots__ = ("counts", "fmt", "lines", "offset", "parts")

    def __init__(self, fmt: str, parts: list[str], lines: list[int],
                 counts: dict[Severity, int] | None = None, offset: int = 0) -> None:
        self.fmt = fmt
        self.parts = parts
        self.lines = lines
        self.counts: dict[Severity, int] = {} if counts is None else counts
        self.offset = offset

    def shift(self, lines: int) -> RenderedRecords:
        """Add ``lines`` to every line number (the block was read from mid-file)."""
        self.offset += lines
        return self

    def text(self) -> str:
        if not self.lines:
            return self.parts[0]
        out = [""] * (2 * len(self.lines) + 1)
        out[0::2] = self.parts
        offset = self.offset
        out[1::2] = [str(n + offset) for n in self.lines]
        return "".join(out)

    def fails(self, fail_on: Severity) -> bool:
        return any(n and severity >= fail_on for severity, n in self.counts.items())


class _Holes:
    """Builds ``parts`` and ``lines``: text, a hole for a line number, text..."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.lines: list[int] = []
        self._pending: list[str] = []

    def text(self, text: str) -> None:
        self._pending.append(text)

    def hole(self, line: int) -> None:
        self.parts.append("".join(self._pending))
        self._pending = []
        self.lines.append(line)

    def done(self, fmt: str, counts: dict[Severity, int]) -> RenderedRecords:
        self.parts.append("".join(self._pending))
        return RenderedRecords(fmt, self.parts, self.lines, counts)


def _shifted(record: Record) -> bool:
    """Whether ``record``'s line moves with its block (a JSON Lines line, as
    :meth:`contracts.accumulate.CorpusAccumulator.shift` moves it)."""
    return record.line is not None and record.pointer is None


def _counts(records: Sequence[Record]) -> dict[Severity, int]:
    counts: dict[Severity, int] = {}
    for r in records:
        severity = r.violation.severity
        counts[severity] = counts.get(severity, 0) + 1
    return counts


def render_text(records: Sequence[Record], *, show_values: bool = False) -> RenderedRecords:
    """The report lines of :func:`contracts.reporting.stream.write_violations` as text
    (``terminal_safe`` works character by character, so a line may be made safe in parts)."""
    out = _Holes()
    for r in records:
        rest = terminal_safe(line_tail(r.violation, show_values))
        if _shifted(r):
            out.text(terminal_safe(f"{r.source}:"))
            out.hole(r.line)  # type: ignore[arg-type]  # _shifted: not None
            out.text(rest + "\n")
        else:
            out.text(terminal_safe(r.location) + rest + "\n")
    return out.done("text", _counts(records))


def render_json(records: Sequence[Record], *, show_values: bool = False) -> RenderedRecords:
    """The items of the JSON report's ``violations`` array, joined by ``",\\n"``.

    Rendered as one list of the records without their last two keys (``line``, ``entry``),
    which is then cut at its items (at two spaces, ``"\\n  },\\n"`` only ever closes an item:
    deeper lines are indented further, and JSON strings hold no newline) and given those keys
    back, the line as a hole: what ``json.dumps(..., indent=2)`` writes for the whole record.
    """
    from ._common import indented_json

    heads = [_head(r, show_values) for r in records]
    text = indented_json(heads)
    items = text[2:-len(_LIST_END)].split(_BETWEEN) if records else []
    if not text.endswith(_LIST_END) or len(items) != len(records):
        raise AssertionError("a record's JSON is not one item of the list")  # pragma: no cover
    out = _Holes()
    for i, (item, r) in enumerate(zip(items, records, strict=True)):
        entry = ',\n    "entry": ' + json.dumps(r.pointer) + "\n  }"
        head = (",\n" if i else "") + PAD + (item + ',\n    "line": ').replace("\n", "\n" + PAD)
        if _shifted(r):
            out.text(head)
            out.hole(r.line)  # type: ignore[arg-type]  # _shifted: not None
        else:
            out.text(head + json.dumps(r.line))
        out.text(entry.replace("\n", "\n" + PAD))
    return out.done("json", _counts(records))


def _head(record: Record, show_values: bool) -> dict[str, object]:
    """:func:`record_dict` without its last two keys (``line``, ``entry``)."""
    head = record.violation.as_dict(show_values=show_values)  # a new dict: completed in place
    head["source"] = record.source
    return head


def record_dict(record: Record, show_values: bool) -> dict[str, object]:
    """A record as the JSON report lists it (in one process, or rendered by a worker)."""
    out = _head(record, show_values)
    out["line"] = record.line
    out["entry"] = record.pointer
    return out


def line_tail(violation: Violation, show_values: bool) -> str:
    """What a text report's line says of a record after its location (not yet made safe for
    a terminal: ``terminal_safe`` of the whole line is that of its parts)."""
    return f": {violation.severity.label}: {violation.describe(show_values=show_values)}"


_RENDER = {"text": render_text, "json": render_json}


def renderer(fmt: str, *, show_values: bool = False
             ) -> Callable[[Sequence[Record]], RenderedRecords] | None:
    """What a worker renders its records with for ``fmt`` (picklable), or None: the parent
    renders that format (SARIF gathers its rules as it goes, and JUnit groups every record
    under its test case)."""
    render = _RENDER.get(fmt)
    return None if render is None else partial(render, show_values=show_values)
