"""Aggregation: findings counted per (rule, operation, location, pointer) while the log
streams by, once per exchange, with first/last seen; memory grows with the distinct findings,
not the exchanges."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ..findings import TrafficDrift, location
from .report import ReadIssue
from .rules import TRAFFIC_RULES, traffic_message

__all__ = ["ID_SEGMENT", "Aggregator", "DriftAccumulator", "fold_pointer", "path_shape", "position"]

_INDEX = re.compile(r"/\d+(?=/|$)")
ID_SEGMENT = re.compile(r"^(?:\d+|[0-9a-fA-F-]{16,}|(?=[^/]*\d)[A-Za-z0-9_-]{12,})$")
_MAX_VALUES = 5
_MAX_PROBLEMS = 20
_MAX_OBSERVED = 8


def fold_pointer(pointer: str) -> str:
    """``/sessions/3/id`` -> ``/sessions/*/id``: one drift in a list is one finding."""
    return _INDEX.sub("/*", pointer) if pointer else pointer


def path_shape(url: str) -> str:
    """A URL's path with id-like segments folded to ``{id}`` (undocumented operations)."""
    from urllib.parse import urlsplit

    path = urlsplit(url).path or "/"
    return "/".join("{id}" if ID_SEGMENT.match(p) else p for p in path.split("/")) or "/"


def position(item: Any) -> str:
    """``file:line`` (or ``file#/log/entries/N`` for HAR and VCR entries)."""
    location = getattr(item, "location", None)
    if isinstance(location, str) and location:
        return location
    source = getattr(item, "source", "") or "<memory>"
    line = getattr(item, "line", None)
    return f"{source}:{line}" if line is not None else source


# Where an exchange was read, as a sortable key: (rank of its source, source, line or entry
# index, pointer). The rank is the source's place in the run's inputs, so "first" means first in
# the order the user gave the files, and lines are compared as numbers.
Place = tuple[int, str, int, str]


class _Agg:
    """The constant-size state of one finding while the log streams by.

    Every field is merged by a rule that ignores the order of arrival: counts add, times and
    places take their minimum and maximum, ``expected`` comes with the earliest place, observed
    types keep the 8 smallest, values the 5 earliest distinct ones.
    """

    __slots__ = ("count", "expected", "first_at", "first_seen", "last_at", "last_seen",
                 "observed", "schema_path", "total_key", "values")

    def __init__(self, total_key: tuple[str, str], expected: str, schema_path: str,
                 at: Place):
        self.count = 0
        self.first_seen = self.last_seen = ""
        self.first_at = self.last_at = at
        self.expected = expected
        self.schema_path = schema_path
        self.total_key = total_key
        self.observed: list[str] = []
        self.values: list[tuple[tuple[Place, int], Any]] = []

    def merge(self, other: _Agg) -> None:
        self.count += other.count
        if other.first_seen and (not self.first_seen or other.first_seen < self.first_seen):
            self.first_seen = other.first_seen
        self.last_seen = max(self.last_seen, other.last_seen)
        if other.first_at < self.first_at:
            self.first_at = other.first_at
            self.expected, self.schema_path = other.expected, other.schema_path
        self.last_at = max(self.last_at, other.last_at)
        self.observed = sorted(set(self.observed) | set(other.observed))[:_MAX_OBSERVED]
        values: list[tuple[tuple[Place, int], Any]] = []
        for key, value in sorted(self.values + other.values, key=lambda kv: kv[0]):
            if len(values) < _MAX_VALUES and not _has(values, value):
                values.append((key, value))
        self.values = values

    def shift(self, lines: int) -> None:
        self.first_at = _shifted(self.first_at, lines)
        self.last_at = _shifted(self.last_at, lines)
        self.values = [((_shifted(at, lines), seq), v) for (at, seq), v in self.values]


def _has(values: list[tuple[tuple[Place, int], Any]], value: Any) -> bool:
    return any(value == v and type(value) is type(v) for _, v in values)


def _shifted(at: Place, lines: int) -> Place:
    rank, source, line, pointer = at
    return (rank, source, line + lines, pointer) if line >= 0 and not pointer else at


def _render(at: Place) -> str:
    _, source, line, pointer = at
    return location(source, line if line >= 0 else None, pointer or None)


class Aggregator:
    """Counts findings per key, once per exchange, with first/last seen and totals.

    Mergeable: :meth:`merge` is associative and commutative, so a corpus split into any parts,
    aggregated apart (in processes, on Dask workers) and merged in any order gives the same
    findings as one pass. ``sources`` ranks the inputs (the order the user gave them);
    parts to be merged must share it. :meth:`shift` moves the line numbers of a part read from
    the middle of a JSON Lines file (a block whose first line was counted as line 1).
    """

    def __init__(self, collect_values: bool, sources: tuple[str, ...] = ()):
        self.collect_values = collect_values
        self.aggs: dict[tuple[str, str, str, str], _Agg] = {}
        self.totals: dict[tuple[str, str], int] = {}
        self.exchanges = 0
        self.problems: list[tuple[Place, ReadIssue]] = []
        self.problem_count = 0
        self.skipped: dict[str, tuple[Place, int]] = {}
        """Per API other than the spec's (a recording that mixes vendors): where its first
        exchange was read, and how many were skipped."""
        self._ranks = {s: i for i, s in reversed(list(enumerate(sources)))}
        self._seen: set[tuple[str, str, str, str]] = set()
        self._time = ""
        self._at: Place | None = (0, "", -1, "")
        self._item: Any = None
        self._seq = 0

    def _place(self, item: Any) -> Place:
        source = str(getattr(item, "source", "") or "<memory>")
        rank = self._ranks.get(source)
        if rank is None:  # an input nobody listed: ranked by first appearance in this part
            rank = self._ranks[source] = len(self._ranks)
        line = getattr(item, "line", None)
        return (rank, source, line if isinstance(line, int) else -1,
                getattr(item, "pointer", None) or "")

    def problem(self, item: Any) -> None:
        self.problem_count += 1
        pointer = getattr(item, "pointer", None)
        # A HAR or VCR "line" is an entry index: the pointer names it, not as a line.
        line = getattr(item, "line", None) if pointer is None else None
        issue = ReadIssue(str(getattr(item, "source", "<input>")), line,
                          str(getattr(item, "message", item)), pointer)
        self.problems.append((self._place(item), issue))
        if len(self.problems) > _MAX_PROBLEMS:
            self.problems.sort(key=lambda p: p[0])
            del self.problems[_MAX_PROBLEMS:]

    def skip(self, item: Any, api: str) -> None:
        place = self._place(item)
        first, seen = self.skipped.get(api, (place, 0))
        self.skipped[api] = (min(first, place), seen + 1)

    def skipped_counts(self) -> dict[str, int]:
        """Exchanges skipped per other API, in the order a single pass first meets them."""
        ordered = sorted(self.skipped.items(), key=lambda e: (e[1][0], e[0]))
        return {api: count for api, (_, count) in ordered}

    def start(self, item: Any) -> None:
        self.exchanges += 1
        if self._seen:
            self._seen.clear()
        self._time = getattr(item, "time", None) or ""
        # Where the exchange was read is worked out at its first finding (most have none);
        # an input nobody listed is ranked now, in the order exchanges come.
        self._item = item
        self._at = None
        if (getattr(item, "source", "") or "<memory>") not in self._ranks:
            self._place(item)
        self._seq = 0

    def _here(self) -> Place:
        at = self._at
        if at is None:
            at = self._at = self._place(self._item)
        return at

    def total(self, operation: str, part: str = "") -> None:
        key = (operation, part)
        self.totals[key] = self.totals.get(key, 0) + 1

    def hit(self, rule: str, operation: str, location: str, pointer: str, *,
            total_part: str = "", expected: str = "", observed: str = "",
            schema_path: str = "", value: Any = None, has_value: bool = False) -> None:
        key = (rule, operation, location, pointer)
        agg = self.aggs.get(key)
        if agg is None:
            agg = self.aggs[key] = _Agg((operation, total_part), expected, schema_path,
                                        self._here())
        if observed and observed not in agg.observed:
            agg.observed = sorted([*agg.observed, observed])[:_MAX_OBSERVED]
        if has_value and self.collect_values and len(agg.values) < _MAX_VALUES and not _has(
                agg.values, value):
            self._seq += 1
            agg.values.append(((self._here(), self._seq), value))
        if key in self._seen:
            return
        self._seen.add(key)
        agg.count += 1
        if self._time:
            if not agg.first_seen or self._time < agg.first_seen:
                agg.first_seen = self._time
            if self._time > agg.last_seen:
                agg.last_seen = self._time
        agg.last_at = max(agg.last_at, self._here())

    def merge(self, other: Aggregator) -> Aggregator:
        """Fold ``other`` (a disjoint part of the same corpus) into this one; returns self."""
        self.exchanges += other.exchanges
        self.problem_count += other.problem_count
        self.problems = sorted(self.problems + other.problems, key=lambda p: p[0])
        del self.problems[_MAX_PROBLEMS:]
        for part, count in other.totals.items():
            self.totals[part] = self.totals.get(part, 0) + count
        for api, (place, count) in other.skipped.items():
            first, seen = self.skipped.get(api, (place, 0))
            self.skipped[api] = (min(first, place), seen + count)
        for key, agg in other.aggs.items():
            mine = self.aggs.get(key)
            if mine is None:
                self.aggs[key] = agg
            else:
                mine.merge(agg)
        return self

    def shift(self, lines: int) -> Aggregator:
        """Add ``lines`` to every JSON Lines line number (a block read from mid-file)."""
        for agg in self.aggs.values():
            agg.shift(lines)
        self.problems = [(_shifted(at, lines),
                          replace(p, line=p.line + lines) if p.line is not None else p)
                         for at, p in self.problems]
        self.skipped = {api: (_shifted(at, lines), n) for api, (at, n) in self.skipped.items()}
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_seen"] = set()  # per-exchange scratch
        state["_item"] = None
        return state

    def findings(self) -> list[TrafficDrift]:
        out = []
        for (rule, operation, location_, pointer), agg in sorted(self.aggs.items()):
            observed = ", ".join(sorted(agg.observed))
            out.append(TrafficDrift(
                rule=rule, grade=TRAFFIC_RULES[rule][0], operation=operation,
                location=location_, pointer=pointer,
                message=traffic_message(rule, pointer, agg.expected, observed),
                count=agg.count, total=max(self.totals.get(agg.total_key, 0), agg.count),
                first_seen=agg.first_seen, last_seen=agg.last_seen,
                first_at=_render(agg.first_at), last_at=_render(agg.last_at),
                expected=agg.expected, observed=observed, schema_path=agg.schema_path,
                values=tuple(v for _, v in agg.values)))
        return out

    def read_issues(self) -> tuple[ReadIssue, ...]:
        return tuple(p for _, p in sorted(self.problems, key=lambda p: p[0]))


DriftAccumulator = Aggregator
"""The public name of the mergeable traffic-drift state (its report:
:func:`contracts.drift.drift_report`)."""
