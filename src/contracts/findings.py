"""Records the toolkit reports: severities, spec findings, and their stable ordering.

``Severity`` lives in ``_severity`` and the spec-diff and drift records (``DriftChange``,
``TrafficDrift``) in ``_drift_records``; this module is where every caller imports them from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from ._record import Record
from ._secrets import mask_fields, mask_value
from ._severity import Severity

if TYPE_CHECKING:
    from ._drift_records import DriftChange, TrafficDrift

__all__ = [
    "VIOLATION_FIELDS",
    "ContractViolation",
    "DriftChange",
    "Finding",
    "ReadProblem",
    "Severity",
    "TrafficDrift",
    "Violation",
    "location",
    "rank_violations",
    "ranked",
]


_set = object.__setattr__


# Frozen records (see _record): the dataclass builds no methods; __init__ is written out.
@dataclass(init=False, repr=False, eq=False, slots=True)
class Finding(Record):
    """Something a check found in a spec file: a stable ``code``, where, and what.

    ``pointer`` is a JSON pointer into ``source``; ``line`` is 1-based when known.
    """

    code: str
    message: str
    source: str
    pointer: str = ""
    line: int | None = None
    severity: Severity = Severity.ERROR
    extra: tuple[tuple[str, str], ...] = ()

    def __init__(self, code: str, message: str, source: str, pointer: str = "",
                 line: int | None = None, severity: Severity = Severity.ERROR,
                 extra: tuple[tuple[str, str], ...] = ()) -> None:
        _set(self, "code", code)
        _set(self, "message", message)
        _set(self, "source", source)
        _set(self, "pointer", pointer)
        _set(self, "line", line)
        _set(self, "severity", severity)
        _set(self, "extra", extra)

    @property
    def location(self) -> str:
        line = f":{self.line}" if self.line is not None else ""
        return f"{self.source}{line}#{self.pointer}" if self.pointer else f"{self.source}{line}"

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.label,
            "message": self.message,
            "source": self.source,
            "pointer": self.pointer,
            "line": self.line,
            **dict(self.extra),
        }


def location(source: str, line: int | None, pointer: str | None = None) -> str:
    """Where in an input: ``file:line`` in a line-based file (JSON Lines), ``file#/pointer``
    for an entry of a structured one (a HAR entry, a VCR interaction), else ``file``."""
    if pointer is not None:
        return f"{source}#{pointer}"
    return f"{source}:{line}" if line is not None else source


@dataclass(init=False, repr=False, eq=False, slots=True)
class ReadProblem(Record):
    """A part of an input that could not be read (a broken line, a bad HAR entry); reading
    went on after it and the rest was analysed.

    ``message`` never contains values from the input (they may be patient data).
    """

    source: str
    line: int | None
    message: str
    pointer: str | None = None  # a HAR entry or VCR interaction: /log/entries/N

    def __init__(self, source: str, line: int | None, message: str,
                 pointer: str | None = None) -> None:
        _set(self, "source", source)
        _set(self, "line", line)
        _set(self, "message", message)
        _set(self, "pointer", pointer)

    @property
    def location(self) -> str:
        return location(self.source, self.line, self.pointer)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


def ranked(findings: Iterable[Finding]) -> list[Finding]:
    """Worst first, then by place and code, so that the order of input never changes the answer."""
    return sorted(
        findings,
        key=lambda f: (-f.severity, f.source, f.line or 0, f.pointer, f.code, f.message),
    )


@dataclass(init=False, repr=False, eq=False, slots=True)
class Violation(Record):
    """The API (or our client) broke its contract in one exchange.

    ``code`` is stable (``response.body.schema``, ``response.status.undocumented``,
    ``invariant.upheal.word_outside_utterance``, ...). ``message`` never contains values from
    the body: ``actual`` holds the offending value and reports show it only when asked.
    ``location`` names the part of the exchange (``response.body``, ``request.query``, ...)
    and ``pointer`` is a JSON pointer inside it.
    """

    code: str
    message: str
    api: str = ""
    operation: str = ""
    location: str = ""
    pointer: str = ""
    schema_path: str = ""
    expected: object = None
    actual: object = None
    severity: Severity = Severity.ERROR

    def __init__(self, code: str, message: str, api: str = "", operation: str = "",
                 location: str = "", pointer: str = "", schema_path: str = "",
                 expected: object = None, actual: object = None,
                 severity: Severity = Severity.ERROR) -> None:
        # Each slot filled by its own descriptor (_VIOLATION_SETTERS): a walk builds one
        # record per finding, and object.__setattr__ looks the slot up by name every call.
        code_, message_, api_, operation_, location_, pointer_, schema_path_, expected_, \
            actual_, severity_ = _VIOLATION_SETTERS
        code_(self, code)
        message_(self, message)
        api_(self, api)
        operation_(self, operation)
        location_(self, location)
        pointer_(self, pointer)
        schema_path_(self, schema_path)
        expected_(self, expected)
        actual_(self, actual)
        severity_(self, severity)
        # mask_text's own hints, looked for in C: most records hold none, and skip the call
        text = pointer + message if type(pointer) is str and type(message) is str else "@eyJ"
        if "@" in text or "eyJ" in text or "earer" in text or "asic" in text:
            self.__post_init__()

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What makes two violations the same finding (used to collapse duplicates)."""
        return (self.code, self.api, self.operation, self.location, self.pointer)

    def __post_init__(self) -> None:
        mask_fields(self, ("pointer", "message"))

    def describe(self, *, show_values: bool = False) -> str:
        where = f"{self.location}{self.pointer}" if self.location else (self.pointer or "/")
        text = f"[{self.code}] {self.operation or self.api}: {where}: {self.message}"
        if show_values and self.actual is not None:
            text += f" (actual: {mask_value(self.actual)!r})"
        return text

    def as_dict(self, *, show_values: bool = False) -> dict[str, object]:
        out: dict[str, object] = {
            "code": self.code,
            "severity": self.severity.label,
            "message": self.message,
            "api": self.api,
            "operation": self.operation,
            "location": self.location,
            "pointer": self.pointer,
            "schema_path": self.schema_path,
            "expected": self.expected,
        }
        if show_values:
            out["actual"] = mask_value(self.actual)  # values on opt-in; credentials never
        return out


VIOLATION_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Violation))
"""A violation's field names, in order: to copy one or send it as a plain tuple without
``dataclasses.replace``'s or ``asdict``'s per-call field scan."""
_VIOLATION_SETTERS = tuple(getattr(Violation, name).__set__ for name in VIOLATION_FIELDS)


def rank_violations(violations: Iterable[Violation]) -> list[Violation]:
    """Most relevant first: worst severity, then status/body before details, then place."""
    order = {"response.status": 0, "response.content_type": 1, "request.path": 2,
             "request.query": 3, "request.header": 4, "request.body": 5,
             "response.header": 6, "response.body": 7}
    return sorted(
        violations,
        key=lambda v: (-v.severity, order.get(v.location, 9), v.pointer.count("/"), v.pointer,
                       v.code, v.message),
    )


class ContractViolation(AssertionError):
    """Raised by ``validate_*``: the exchange broke the contract. Best violation first."""

    def __init__(self, violations: Iterable[Violation], *, show_values: bool = False):
        self.violations: tuple[Violation, ...] = tuple(rank_violations(violations))
        if not self.violations:
            raise ValueError("ContractViolation needs at least one violation")
        self.show_values = show_values
        super().__init__(self._render())

    @property
    def best(self) -> Violation:
        return self.violations[0]

    def _render(self) -> str:
        first = self.best.describe(show_values=self.show_values)
        rest = len(self.violations) - 1
        if not rest:
            return first
        more = "\n".join("  " + v.describe(show_values=self.show_values)
                         for v in self.violations[1:6])
        extra = f"\n  ... and {rest - 5} more" if rest > 5 else ""
        return f"{first}\n({rest} more violation(s))\n{more}{extra}"


def __getattr__(name: str) -> Any:
    # The spec-diff and drift records are built on first use: a dataclass costs about a
    # millisecond to create, and checking exchanges (a one-body validate) needs neither.
    if name in ("DriftChange", "TrafficDrift"):
        from ._drift_records import DriftChange, TrafficDrift

        globals().update(DriftChange=DriftChange, TrafficDrift=TrafficDrift)
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
