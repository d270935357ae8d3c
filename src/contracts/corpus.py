"""Validating recorded traffic (JSON Lines logs, HAR, VCR cassettes) and single bodies.

Streams: exchanges are read and validated one at a time, so a large log costs constant
memory; a line that cannot be read becomes a problem record and the rest is still checked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ._loading import DEFAULT_LIMITS, parse_json, read_capped
from ._record import Record as FrozenRecord
from .errors import ContractsError
from .findings import ReadProblem, Severity, Violation
from .findings import location as _location
from .specs import Spec
from .validation import Validator, validator_for

__all__ = ["CorpusReport", "Problem", "Record", "Skipped", "exchange_violations", "iter_corpus",
           "judge", "validate_bodies", "validate_corpus"]

Progress = Callable[[int], None]
"""Called with the number of bytes (or items) just consumed."""


@dataclass(init=False, repr=False, eq=False, slots=True)  # a frozen record: see _record
class Record(FrozenRecord):
    """A violation and where it came from: the input file and the line (or entry) in it."""

    violation: Violation
    source: str
    line: int | None = None
    pointer: str | None = None  # a HAR entry or VCR interaction: /log/entries/N

    def __init__(self, violation: Violation, source: str, line: int | None = None,
                 pointer: str | None = None) -> None:
        # by slot descriptor (_RECORD_SETTERS): one record per violation a corpus names
        violation_, source_, line_, pointer_ = _RECORD_SETTERS
        violation_(self, violation)
        source_(self, source)
        line_(self, line)
        pointer_(self, pointer)

    @property
    def location(self) -> str:
        return _location(self.source, self.line, self.pointer)


_RECORD_SETTERS = tuple(getattr(Record, name).__set__
                        for name in ("violation", "source", "line", "pointer"))


# A part of an input that could not be read (the name this module has always used).
Problem = ReadProblem


@dataclass
class CorpusReport:
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    exchanges: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    """Exchanges left out because their ``api`` names another API: count per API."""

    def failing(self, fail_on: Severity) -> list[Record]:
        return [r for r in self.records if r.violation.severity >= fail_on]


def _validator(api: Spec | str | Validator) -> Validator:
    return validator_for(api)


def exchange_violations(validator: Validator, exchange: Any, *, strict: bool = False,
                        request: bool = True) -> Iterator[Violation]:
    """Both directions of one recorded exchange (request, then response when recorded);
    ``request=False`` when the request is known to break nothing and the response not to be
    clean (:meth:`~contracts.validation.Validator.exchange_walk` said ``"response"``): the
    response is then walked without its clean fast path, which has failed once already.

    One violation, one record: what both directions find alike (an exchange the spec has no
    operation for is undocumented once, not once per direction) is yielded once.
    """
    operation = getattr(exchange, "operation", None) or None
    if request:
        return _both_directions(validator, exchange, strict, operation)
    if exchange.status is None:
        return iter(())
    return validator.iter_response_violations(  # the response's walk itself: no layer more
        exchange.method, exchange.url, exchange.status, exchange.response_body,
        headers=exchange.response_headers or None, strict=strict, operation=operation,
        walk_only=True)


def _both_directions(validator: Validator, exchange: Any, strict: bool,
                     operation: str | None) -> Iterator[Violation]:
    """:func:`exchange_violations` of the request and then the response."""
    seen = set()
    for violation in validator.iter_request_violations(
            exchange.method, exchange.url, exchange.request_body,
            headers=exchange.request_headers or None, strict=strict, operation=operation):
        seen.add(violation.key)
        yield violation
    if exchange.status is not None:
        found = validator.iter_response_violations(
            exchange.method, exchange.url, exchange.status, exchange.response_body,
            headers=exchange.response_headers or None, strict=strict, operation=operation)
        yield from (v for v in found if v.key not in seen) if seen else found


@dataclass(init=False, repr=False, eq=False, slots=True)  # a frozen record: see _record
class Skipped(FrozenRecord):
    """Exchanges left out because their ``api`` names another API (what :func:`iter_corpus`
    yields for each such exchange, ``count`` 1)."""

    api: str
    count: int = 1

    def __init__(self, api: str, count: int = 1) -> None:
        object.__setattr__(self, "api", api)
        object.__setattr__(self, "count", count)


def judge(validator: Validator | None, item: Any, line: int | None
          ) -> Validator | Problem | Skipped:
    """Who judges one recorded exchange: ``validator``; or, with no validator, the spec its
    ``api`` names. A line naming another API than ``validator``'s is :class:`Skipped`; one
    naming no API (with no validator) or an unknown API is a :class:`Problem`."""
    named = getattr(item, "api", None)
    if validator is not None:
        if named and not validator.spec.answers_to(str(named)):
            return Skipped(str(named))
        return validator
    if not named:
        return Problem(item.source, line, "the exchange names no API (no 'api' field): pass "
                       "--api, or record with the pytest plugin, which writes it", item.pointer)
    try:
        return _validator(str(named))
    except ContractsError as exc:
        return Problem(item.source, line, f"api {named!r}: {exc}", item.pointer)


def iter_corpus(api: Spec | str | Validator | None, paths: Sequence[str | Path], *,
                strict: bool = False, progress: Progress | None = None,
                request_side: bool = True) -> Iterator[Record | Problem | Skipped | int]:
    """Stream :func:`validate_corpus`: every :class:`Record`, :class:`Problem` and
    :class:`Skipped` as it is found, and after each exchange the number of exchanges read so
    far (an ``int``). Memory stays flat at any corpus size: nothing is kept."""
    from .exchanges import Exchange, read_exchanges

    validator = _validator(api) if api is not None else None
    exchanges = 0
    for path in paths:
        for item in read_exchanges(path):
            if progress:
                progress(1)
            # judge(): the given validator, unless the exchange names an API (most name none)
            if validator is not None and type(item) is Exchange and not item.api:
                judged = validator
            else:
                verdict = _judged(validator, item)
                if not isinstance(verdict, Validator):
                    yield verdict
                    continue
                judged = verdict
            exchanges += 1
            walk = judged.exchange_walk(item, strict=strict)
            if not walk:  # most traffic: no walk, no record
                yield exchanges
                continue
            # A HAR or VCR "line" is an entry index: the pointer names it, and not as a line.
            line = item.line if item.pointer is None else None
            found: Iterable[Violation] = exchange_violations(judged, item, strict=strict,
                                                             request=walk == "both")
            if not request_side:
                found = (v for v in found if not v.location.startswith("request.")
                         or v.code == "request.operation.undocumented")
            for v in found:
                yield Record(v, item.source, line, item.pointer)
            yield exchanges


def _judged(validator: Validator | None, item: Any) -> Validator | Problem | Skipped:
    """:func:`judge` of what a reader yielded: a problem it read is passed on (its line
    dropped for a HAR or VCR entry, which its pointer names)."""
    line = item.line if item.pointer is None else None
    if isinstance(item, ReadProblem):
        return replace(item, line=line)
    return judge(validator, item, line)


def validate_corpus(api: Spec | str | Validator | None, paths: Sequence[str | Path], *,
                    strict: bool = False, progress: Progress | None = None,
                    request_side: bool = True) -> CorpusReport:
    """Validate every exchange in ``paths`` (format detected per file), keeping every
    record (:func:`iter_corpus` streams them instead).

    A recording may mix vendors (the pytest plugin writes ``api`` on every line): with
    ``api`` given, a line whose ``api`` names another API is skipped and counted in
    ``CorpusReport.skipped``; with ``api`` None, each line is judged by the spec its ``api``
    names, and a line that names none is an input problem.
    """
    report = CorpusReport()
    for item in iter_corpus(api, paths, strict=strict, progress=progress,
                            request_side=request_side):
        if isinstance(item, int):
            report.exchanges = item
        elif isinstance(item, Record):
            report.records.append(item)
        elif isinstance(item, Skipped):
            report.skipped[item.api] += item.count
        else:
            report.problems.append(item)
    return report


def validate_bodies(api: Spec | str | Validator, operation: str, status: int | None,
                    paths: Sequence[str | Path], *, strict: bool = False,
                    progress: Progress | None = None) -> CorpusReport:
    """Validate files that each hold one JSON body of ``operation`` (a response of ``status``,
    or the request body when ``status`` is None). Unreadable files raise InputError."""
    validator = _validator(api)
    op = validator.spec.operation(operation)
    report = CorpusReport()
    for path in paths:
        path = Path(path)
        # Read through the cap: a 1.5 GB body is refused after 32 MB, not after reading it all.
        raw = read_capped(path, DEFAULT_LIMITS.max_bytes, what="body")
        value = parse_json(raw, source=str(path))
        if progress:
            progress(1)
        report.exchanges += 1
        if status is None:
            found = validator.iter_request_violations(op.method, op.path, value, strict=strict,
                                                      operation=operation)
            found = (v for v in found if v.location.startswith("request.body"))
        else:
            found = validator.iter_response_violations(op.method, op.path, status, value,
                                                       strict=strict, operation=operation)
        report.records.extend(Record(v, str(path)) for v in found)
    return report
