"""Records the toolkit reports: severities, spec findings, and their stable ordering."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from ._secrets import mask_text, mask_value

__all__ = [
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


class Severity(enum.IntEnum):
    """How much a record matters to an integrator; ordered so that ``max()`` is the worst."""

    INFO = 10
    WARNING = 20
    ERROR = 30

    @classmethod
    def parse(cls, text: str) -> Severity:
        aliases = {"warn": "warning", "err": "error"}
        key = aliases.get(text.strip().lower(), text.strip().lower())
        try:
            return cls[key.upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r} (one of {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True, order=False)
class Finding:
    """Something a check found in a spec file: a stable ``code``, where, and what.

    ``pointer`` is a JSON pointer into ``source``; ``line`` is 1-based when known.
    """

    code: str
    message: str
    source: str
    pointer: str = ""
    line: int | None = None
    severity: Severity = Severity.ERROR
    extra: tuple[tuple[str, str], ...] = field(default=())

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


def _mask_fields(record: object, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(record, name)
        if isinstance(value, str) and value:
            masked = mask_text(value)
            if masked != value:
                object.__setattr__(record, name, masked)


@dataclass(frozen=True, slots=True)
class ReadProblem:
    """A part of an input that could not be read (a broken line, a bad HAR entry); reading
    went on after it and the rest was analysed.

    ``message`` never contains values from the input (they may be patient data).
    """

    source: str
    line: int | None
    message: str
    pointer: str | None = None  # a HAR entry or VCR interaction: /log/entries/N

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


@dataclass(frozen=True, slots=True)
class Violation:
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

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What makes two violations the same finding (used to collapse duplicates)."""
        return (self.code, self.api, self.operation, self.location, self.pointer)

    def __post_init__(self) -> None:
        _mask_fields(self, ("pointer", "message"))

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
        _mask_fields(self, ("pointer", "message", "first_at", "last_at"))
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
