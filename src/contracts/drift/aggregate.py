"""Aggregation: findings counted per (rule, operation, location, pointer) while the log
streams by, once per exchange, with first/last seen; memory grows with the distinct findings,
not the exchanges."""

from __future__ import annotations

import re
from typing import Any

from ..findings import TrafficDrift
from .report import ReadIssue
from .rules import TRAFFIC_RULES, traffic_message

__all__ = ["ID_SEGMENT", "Aggregator", "fold_pointer", "path_shape", "position"]

_INDEX = re.compile(r"/\d+(?=/|$)")
ID_SEGMENT = re.compile(r"^(?:\d+|[0-9a-fA-F-]{16,}|(?=[^/]*\d)[A-Za-z0-9_-]{12,})$")
_MAX_VALUES = 5
_MAX_PROBLEMS = 20


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


class _Agg:
    """The constant-size state of one finding while the log streams by."""

    __slots__ = ("count", "expected", "first_at", "first_seen", "last_at", "last_seen",
                 "observed", "schema_path", "total_key", "values")

    def __init__(self, total_key: tuple[str, str], expected: str, schema_path: str):
        self.count = 0
        self.first_seen = self.last_seen = ""
        self.first_at = self.last_at = ""
        self.expected = expected
        self.schema_path = schema_path
        self.total_key = total_key
        self.observed: list[str] = []
        self.values: list[Any] = []


class Aggregator:
    """Counts findings per key, once per exchange, with first/last seen and totals."""

    def __init__(self, collect_values: bool):
        self.collect_values = collect_values
        self.aggs: dict[tuple[str, str, str, str], _Agg] = {}
        self.totals: dict[tuple[str, str], int] = {}
        self.exchanges = 0
        self.problems: list[ReadIssue] = []
        self.problem_count = 0
        self._seen: set[tuple[str, str, str, str]] = set()
        self._time = ""
        self._at = ""

    def problem(self, item: Any) -> None:
        self.problem_count += 1
        if len(self.problems) < _MAX_PROBLEMS:
            pointer = getattr(item, "pointer", None)
            # A HAR or VCR "line" is an entry index: the pointer names it, not as a line.
            line = getattr(item, "line", None) if pointer is None else None
            self.problems.append(ReadIssue(str(getattr(item, "source", "<input>")), line,
                                           str(getattr(item, "message", item)), pointer))

    def start(self, item: Any) -> None:
        self.exchanges += 1
        self._seen.clear()
        self._time = getattr(item, "time", None) or ""
        self._at = position(item)

    def total(self, operation: str, part: str = "") -> None:
        key = (operation, part)
        self.totals[key] = self.totals.get(key, 0) + 1

    def hit(self, rule: str, operation: str, location: str, pointer: str, *,
            total_part: str = "", expected: str = "", observed: str = "",
            schema_path: str = "", value: Any = None, has_value: bool = False) -> None:
        key = (rule, operation, location, pointer)
        agg = self.aggs.get(key)
        if agg is None:
            agg = self.aggs[key] = _Agg((operation, total_part), expected, schema_path)
        if observed and observed not in agg.observed and len(agg.observed) < 8:
            agg.observed.append(observed)
        if has_value and self.collect_values and len(agg.values) < _MAX_VALUES and not any(
                value == v and type(value) is type(v) for v in agg.values):
            agg.values.append(value)
        if key in self._seen:
            return
        self._seen.add(key)
        agg.count += 1
        if self._time:
            if not agg.first_seen or self._time < agg.first_seen:
                agg.first_seen = self._time
            if self._time > agg.last_seen:
                agg.last_seen = self._time
        if not agg.first_at:
            agg.first_at = self._at
        agg.last_at = self._at

    def findings(self) -> list[TrafficDrift]:
        out = []
        for (rule, operation, location, pointer), agg in self.aggs.items():
            observed = ", ".join(sorted(agg.observed))
            out.append(TrafficDrift(
                rule=rule, grade=TRAFFIC_RULES[rule][0], operation=operation,
                location=location, pointer=pointer,
                message=traffic_message(rule, pointer, agg.expected, observed),
                count=agg.count, total=max(self.totals.get(agg.total_key, 0), agg.count),
                first_seen=agg.first_seen, last_seen=agg.last_seen, first_at=agg.first_at,
                last_at=agg.last_at, expected=agg.expected, observed=observed,
                schema_path=agg.schema_path, values=tuple(agg.values)))
        return out

