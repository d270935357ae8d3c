"""The CI gate: run the stages over the chosen APIs and collect one result to report.

Stages today: spec lint. Later stages (model freshness, suites, coverage) add
:class:`StageResult`s of the same shape. Progress is reported through ``on_event`` so that
the CLI can render it; this module prints nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .errors import ContractsError
from .findings import Finding, Severity
from .lint import lint_spec
from .specs import BUNDLED, load_spec

__all__ = ["CaseResult", "GateResult", "StageResult", "run_gate"]

EventHandler = Callable[[str, str], None]
"""Called with (stage, message) as the gate progresses."""


@dataclass(frozen=True)
class CaseResult:
    """One reported test case: a stage's verdict on one API (or one operation)."""

    stage: str
    name: str
    passed: bool
    summary: str
    findings: tuple[Finding, ...] = ()
    seconds: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class StageResult:
    name: str
    cases: tuple[CaseResult, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.cases)


@dataclass(frozen=True)
class GateResult:
    apis: tuple[str, ...]
    seed: int
    stages: tuple[StageResult, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.stages)

    @property
    def cases(self) -> tuple[CaseResult, ...]:
        return tuple(c for s in self.stages for c in s.cases)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


def _lint_stage(apis: Sequence[str], fail_on: Severity, emit: EventHandler) -> StageResult:
    started = time.perf_counter()
    cases = []
    for api in apis:
        t0 = time.perf_counter()
        emit("lint", f"linting {api}")
        try:
            findings = tuple(lint_spec(load_spec(api, lenient=True)))
        except ContractsError as exc:
            cases.append(CaseResult("lint", api, False, f"cannot be read: {exc}",
                                    seconds=time.perf_counter() - t0, error=str(exc)))
            continue
        failing = [f for f in findings if f.severity >= fail_on]
        summary = "clean" if not findings else (
            f"{len(failing)} finding(s) at or above {fail_on.label}, {len(findings)} in all")
        cases.append(CaseResult("lint", api, not failing, summary, findings,
                                time.perf_counter() - t0))
    return StageResult("lint", tuple(cases), time.perf_counter() - started)


def run_gate(
    apis: Sequence[str] = BUNDLED,
    *,
    seed: int = 0,
    fail_on: Severity = Severity.WARNING,
    on_event: EventHandler | None = None,
) -> GateResult:
    """Run every stage for ``apis`` (bundled names or spec paths) and return the result."""
    emit: EventHandler = on_event or (lambda stage, message: None)
    stages = [_lint_stage(apis, fail_on, emit)]
    return GateResult(apis=tuple(apis), seed=seed, stages=tuple(stages))
