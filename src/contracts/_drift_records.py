"""The records of what changed: a graded change between two versions of a spec
(:class:`DriftChange`) and a departure from the spec seen in recorded traffic
(:class:`TrafficDrift`). Re-exported by :mod:`contracts.findings`, which loads them on first
use: checking exchanges needs neither."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._secrets import mask_fields, mask_value
from ._severity import Severity

__all__ = ["DriftChange", "TrafficDrift"]


_GRADE = {Severity.ERROR: "ERR", Severity.WARNING: "WARN", Severity.INFO: "INFO"}


class _Graded:
    """What a spec-diff change and a traffic-drift finding share: a grade and a rule at a place."""

    __slots__ = ()
    grade: Severity
    rule: str
    operation: str
    location: str
    pointer: str

    @property
    def grade_label(self) -> str:
        """``ERR``, ``WARN`` or ``INFO``."""
        return _GRADE[self.grade]

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.rule, self.operation, self.location, self.pointer)


@dataclass(frozen=True, slots=True)
class DriftChange(_Graded):
    """One change between two versions of an API, graded for a consumer of that API.

    ``rule`` is stable (``response.field.removed``, ``request.parameter.required.added``,
    ...); ``grade`` says how much it matters to code written against the old version
    (ERROR: it breaks, WARNING: it may break, INFO: nothing to do). ``operation`` is the
    operationId (or ``METHOD /path``); ``location`` the part of the exchange
    (``request.query``, ``request.body``, ``response.200.body``, ``security``, ...) and
    ``pointer`` a JSON pointer inside it (a parameter's name for parameters). ``old`` and
    ``new`` are short descriptions, never whole schemas. ``source`` and ``line`` say where
    to look in the spec files.
    """

    rule: str
    grade: Severity
    operation: str
    location: str
    pointer: str
    old: str
    new: str
    message: str
    source: str = ""
    line: int | None = None
    # A change inside a shared component schema: ``Name#/pointer/inside``, and every place
    # (``operation location pointer``) it reaches once grouped (see contracts.diff).
    component: str = ""
    reach: tuple[str, ...] = ()


    def describe(self) -> str:
        if self.pointer.startswith("/") or not self.pointer:
            where = f"{self.location}{self.pointer}"
        else:  # a media type, a server URL or a security scheme
            where = f"{self.location} {self.pointer}".strip()
        op = f"{self.operation}: " if self.operation else ""
        return f"{self.grade_label} [{self.rule}] {op}{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "grade": self.grade_label,
            "operation": self.operation,
            "location": self.location,
            "pointer": self.pointer,
            "old": self.old,
            "new": self.new,
            "message": self.message,
            "source": self.source,
            "line": self.line,
            **({"component": self.component, "reach": list(self.reach),
                "reach_count": len(self.reach)} if self.reach else {}),
        }


@dataclass(frozen=True, slots=True)
class TrafficDrift(_Graded):
    """A departure from the spec seen in recorded traffic, aggregated over every exchange.

    Not a :class:`DriftChange`: that record compares two specs (``old``/``new`` descriptions
    and a spec line), this one counts exchanges. ``rule`` is stable
    (``drift.field.type_changed``, ``baseline.field.removed``, ...); ``grade`` as for
    ``DriftChange``. ``location`` is the part of the exchange (``response.200.body`` names the
    documented response the body was checked against, ``response.status``, ``request.path``)
    and ``pointer`` a JSON pointer inside it with array indices folded to ``*``. ``count`` is
    how many exchanges showed it out of ``total`` exchanges of that operation and response.
    ``first_seen``/``last_seen`` are the earliest and latest recorded times (empty when the log
    has none); ``first_at``/``last_at`` the first and last exchange as ``file:line``.
    ``expected``/``observed`` are short descriptions (types, keyword), never body values;
    ``values`` holds a few observed values only when the caller collected them (opt-in).
    """

    rule: str
    grade: Severity
    operation: str
    location: str
    pointer: str
    message: str
    count: int = 1
    total: int = 1
    first_seen: str = ""
    last_seen: str = ""
    first_at: str = ""
    last_at: str = ""
    expected: str = ""
    observed: str = ""
    schema_path: str = ""
    values: tuple[object, ...] = field(default=())


    @property
    def key_text(self) -> str:
        """The key as one string (history files and SARIF fingerprints)."""
        return "|".join(self.key)

    def __post_init__(self) -> None:
        # A key that holds a credential (a JWT as an object key) reaches every format, the
        # history file and --suggest through the pointer: mask it here, once.
        mask_fields(self, ("pointer", "message", "first_at", "last_at"))
        if self.values:
            object.__setattr__(self, "values", tuple(mask_value(v) for v in self.values))

    def describe(self, *, show_values: bool = False) -> str:
        op = f"{self.operation}: " if self.operation else ""
        text = (f"{self.grade_label} [{self.rule}] {op}{self.location}{self.pointer}: "
                f"{self.message} ({self.count}/{self.total} exchanges)")
        if show_values and self.values:
            text += f" (values: {', '.join(repr(v) for v in self.values)})"
        return text

    def as_dict(self, *, show_values: bool = False) -> dict[str, object]:
        out: dict[str, object] = {
            "rule": self.rule,
            "grade": self.grade_label,
            "operation": self.operation,
            "location": self.location,
            "pointer": self.pointer,
            "message": self.message,
            "count": self.count,
            "total": self.total,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "expected": self.expected,
            "observed": self.observed,
        }
        if show_values:
            out["values"] = list(self.values)
        return out
