"""Mergeable corpus-validation results: parts of a corpus validated apart (in processes, on Dask
workers) and merged in any order give the report of one pass, record for record."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import Any

from .corpus import CorpusReport, Problem, Record, Skipped, exchange_violations, judge
from .findings import VIOLATION_FIELDS, Violation
from .validation import Validator

__all__ = ["CorpusAccumulator", "Place"]

Place = tuple[int, str, int]
"""Where an item was read, as a sortable key: (rank of its source among the run's inputs,
source, line or entry index; -1 when unknown)."""


def _order(entry: tuple[Place, int, Any]) -> tuple[Place, int]:
    """An entry's place, then its index among its exchange's violations (problems: -1)."""
    return entry[0], entry[1]


def _violation(values: tuple[Any, ...]) -> Violation:
    """A violation from the field values of one already built (its masking already done)."""
    violation = object.__new__(Violation)
    for name, value in zip(VIOLATION_FIELDS, values, strict=True):
        object.__setattr__(violation, name, value)
    return violation


class CorpusAccumulator:
    """The records, unreadable parts and exchange count of a part of a corpus.

    ``merge`` is associative and commutative; :meth:`report` orders records by input place
    (the inputs in the order of ``sources``, then line), which is the order of a single pass.
    Parts to be merged must share ``sources``. :meth:`shift` moves line numbers of a part read
    from the middle of a JSON Lines file.
    """

    def __init__(self, sources: Iterable[str] = ()):
        self.records: list[tuple[Place, int, Record]] = []
        self.problems: list[tuple[Place, Problem]] = []
        self.exchanges = 0
        self.skipped: dict[str, tuple[Place, int]] = {}
        """Per other API: where its first line was read, and how many were skipped."""
        self._ranks = {s: i for i, s in reversed(list(enumerate(sources)))}
        self.rendered: Any = None
        """With :meth:`render_with`: the records, rendered (they are then not in ``records``)."""

    def _place(self, item: Any) -> Place:
        source = str(getattr(item, "source", "") or "<memory>")
        rank = self._ranks.get(source)
        if rank is None:
            rank = self._ranks[source] = len(self._ranks)
        line = getattr(item, "line", None)
        return (rank, source, line if isinstance(line, int) else -1)

    def add(self, item: Any, violations: Iterable[Violation]) -> None:
        """One exchange and its violations, or (anything with ``message`` and no ``method``)
        an unreadable part."""
        place = self._place(item)
        pointer = getattr(item, "pointer", None)
        # A HAR or VCR "line" is an entry index: the pointer names it, and not as a line.
        line = getattr(item, "line", None) if pointer is None else None
        if not hasattr(item, "method"):
            self.problems.append((place, replace(item, line=line)))
            return
        self.exchanges += 1
        source = str(getattr(item, "source", "") or "<memory>")
        self.records.extend((place, i, Record(v, source, line, pointer))
                            for i, v in enumerate(violations))

    def skip(self, item: Any, api: str, count: int = 1) -> None:
        """An exchange of another API (a recording that mixes vendors)."""
        place = self._place(item)
        first, seen = self.skipped.get(api, (place, 0))
        self.skipped[api] = (min(first, place), seen + count)

    def feed(self, validator: Validator | None, items: Iterable[Any], *, strict: bool = False,
             request_side: bool = True) -> CorpusAccumulator:
        """Validate ``items`` (as :func:`contracts.corpus.validate_corpus` does: with no
        validator, each by the spec its ``api`` names); returns self."""
        from .exchanges import Exchange

        for item in items:
            # judge(): the given validator, unless the exchange names an API (most name none)
            if validator is not None and type(item) is Exchange and not item.api:
                judged: Any = validator
            else:
                if not hasattr(item, "method"):
                    self.add(item, ())
                    continue
                pointer = getattr(item, "pointer", None)
                judged = judge(validator, item, getattr(item, "line", None) if pointer is None
                               else None)
                if isinstance(judged, Skipped):
                    self.skip(item, judged.api)
                    continue
                if not isinstance(judged, Validator):
                    self.problems.append((self._place(item), judged))
                    continue
            walk = judged.exchange_walk(item, strict=strict)
            if not walk:  # most traffic: no walk, no record, no place (its source ranked)
                self.exchanges += 1
                if (getattr(item, "source", "") or "<memory>") not in self._ranks:
                    self._place(item)
                continue
            found: Iterable[Violation] = exchange_violations(judged, item, strict=strict,
                                                             request=walk == "both")
            if not request_side:
                found = (v for v in found if not v.location.startswith("request.")
                         or v.code == "request.operation.undocumented")
            self.add(item, found)
        return self

    def __getstate__(self) -> dict[str, Any]:
        """Sent back from a worker as plain tuples (pickled and unpickled in C, not one
        dataclass at a time)."""
        state = dict(self.__dict__)
        state["records"] = [(place, i, r.source, r.line, r.pointer,
                             tuple(getattr(r.violation, name) for name in VIOLATION_FIELDS))
                            for place, i, r in self.records]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["records"] = [(place, i, Record(_violation(values), source, line, pointer))
                            for place, i, source, line, pointer, values in state["records"]]
        self.__dict__.update(state)

    def render_with(self, render: Callable[[list[Record]], Any]) -> CorpusAccumulator:
        """Replace the records by ``render`` of them in input order (done by the worker that
        found them, so that the parent only writes text). What it returns must have
        ``shift(lines)``; :meth:`entries` yields it in the records' place, and a rendered part
        streams but does not merge."""
        if self.records:
            self.rendered = render([r for _, _, r in sorted(self.records, key=_order)])
            self.records = []
        return self

    def merge(self, other: CorpusAccumulator) -> CorpusAccumulator:
        """Fold ``other`` (a disjoint part of the same corpus) into this one; returns self."""
        if self.rendered is not None or other.rendered is not None:
            raise ValueError("a part whose records are rendered streams, it does not merge")
        self.records += other.records
        self.problems += other.problems
        self.exchanges += other.exchanges
        for api, (place, count) in other.skipped.items():
            first, seen = self.skipped.get(api, (place, 0))
            self.skipped[api] = (min(first, place), seen + count)
        return self

    def shift(self, lines: int) -> CorpusAccumulator:
        """Add ``lines`` to every JSON Lines line number (a block read from mid-file)."""
        def moved(place: Place) -> Place:
            rank, source, line = place
            return (rank, source, line + lines) if line >= 0 else place

        self.records = [(moved(p), i, Record(r.violation, r.source, r.line + lines)
                         if r.line is not None and r.pointer is None else r)
                        for p, i, r in self.records]
        self.problems = [(moved(p), replace(q, line=q.line + lines) if q.line is not None
                          else q) for p, q in self.problems]
        self.skipped = {api: (moved(p), n) for api, (p, n) in self.skipped.items()}
        if self.rendered is not None:
            self.rendered.shift(lines)
        return self

    def _skipped(self) -> list[Skipped]:
        """Per other API, in the order a single pass first meets them."""
        ordered = sorted(self.skipped.items(), key=lambda e: (e[1][0], e[0]))
        return [Skipped(api, count) for api, (_, count) in ordered]

    def stream(self) -> Iterator[Record | Problem | Skipped | int]:
        """Records and problems in input order, the skipped counts, then the exchange count:
        what :func:`contracts.corpus.iter_corpus` yields for one pass (its running counts and
        the order of skipped lines among the records aside)."""
        yield from self.entries()
        yield from self.tail()

    def entries(self) -> Iterator[Any]:
        """The records and problems, in input order (rendered records: them, then the
        problems)."""
        entries: list[tuple[Place, int, Any]] = [*self.records]
        if self.rendered is not None:
            yield self.rendered
        entries.extend((place, -1, p) for place, p in self.problems)
        for _, _, item in sorted(entries, key=_order):
            yield item

    def tail(self) -> Iterator[Skipped | int]:
        """The skipped counts, then the exchange count (what follows :meth:`entries`)."""
        yield from self._skipped()
        yield self.exchanges

    def counts(self) -> CorpusAccumulator:
        """This part without its records and problems (once they are streamed out): what
        :meth:`tail` needs from it, to merge."""
        part = CorpusAccumulator()
        part._ranks = self._ranks
        part.exchanges = self.exchanges
        part.skipped = dict(self.skipped)
        return part

    def report(self) -> CorpusReport:
        records = sorted(self.records, key=_order)
        problems = sorted(self.problems, key=lambda p: p[0])
        skipped: Counter[str] = Counter()
        for s in self._skipped():
            skipped[s.api] += s.count
        return CorpusReport(records=[r for _, _, r in records],
                            problems=[p for _, p in problems], exchanges=self.exchanges,
                            skipped=skipped)
