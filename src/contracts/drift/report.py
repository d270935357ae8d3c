"""The records a traffic or baseline drift run returns: the report, and what it carries about
unreadable input, waivers and history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..findings import ReadProblem, Severity, TrafficDrift

__all__ = ["HistoryMark", "ReadIssue", "Resolved", "TrafficReport", "TrendPoint", "Waiver",
           "rank_traffic"]


# A part of an input that could not be read; the rest was analysed (the name drift has used).
ReadIssue = ReadProblem


@dataclass(frozen=True, slots=True)
class HistoryMark:
    """What the history file knows of a finding: first and last run it appeared in, and how
    many runs showed it."""

    first_seen: str
    last_seen: str
    runs: int


@dataclass(frozen=True, slots=True)
class Resolved:
    """A finding of an earlier run that this run no longer shows."""

    rule: str
    grade: Severity
    operation: str
    location: str
    pointer: str
    last_seen: str
    resolved_since: str


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One run of the history: when, and how many findings per grade (ERR, WARN, INFO)."""

    run: int
    time: str
    errors: int
    warnings: int
    infos: int


@dataclass(frozen=True, slots=True)
class Waiver:
    """Silences findings that match it until ``expires`` (inclusive). Globs use ``*``."""

    code: str
    reason: str
    expires: Any  # datetime.date
    operation: str = "*"
    location: str = "*"
    pointer: str = "*"
    source: str = ""
    index: int = 0

    def matches(self, finding: TrafficDrift) -> bool:
        from fnmatch import fnmatchcase

        return (fnmatchcase(finding.rule, self.code)
                and fnmatchcase(finding.operation, self.operation)
                and fnmatchcase(finding.location, self.location)
                and fnmatchcase(finding.pointer, self.pointer))


@dataclass(frozen=True)
class TrafficReport:
    """Traffic (or baseline) drift of one API: findings ranked worst first, and what was
    waived, unreadable, and (with a history file) seen before."""

    api: str
    sources: tuple[str, ...]
    exchanges: int
    findings: tuple[TrafficDrift, ...] = ()
    kind: str = "traffic"
    problems: tuple[ReadIssue, ...] = ()
    problem_count: int = 0
    waived: tuple[tuple[TrafficDrift, Waiver], ...] = ()
    history: Mapping[str, HistoryMark] = field(default_factory=dict)
    resolved: tuple[Resolved, ...] = ()
    trend: tuple[TrendPoint, ...] = ()
    skipped: Mapping[str, int] = field(default_factory=dict)
    """Exchanges left out because their ``api`` names another API: count per API."""

    def failing(self, fail_on: Severity) -> tuple[TrafficDrift, ...]:
        return tuple(f for f in self.findings if f.grade >= fail_on)

    @property
    def counts(self) -> dict[Severity, int]:
        counts = dict.fromkeys(sorted(Severity, reverse=True), 0)
        for finding in self.findings:
            counts[finding.grade] += 1
        return counts

    @property
    def worst(self) -> Severity | None:
        return max((f.grade for f in self.findings), default=None)


def rank_traffic(findings: Iterable[TrafficDrift]) -> list[TrafficDrift]:
    """Worst first, then by operation, place and rule: input order never changes the answer."""
    return sorted(findings, key=lambda f: (-f.grade, f.operation, f.location, f.pointer, f.rule))
