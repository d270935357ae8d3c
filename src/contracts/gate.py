"""The CI gate: run the stages over the chosen APIs and collect one result to report.

Stages: spec lint, model freshness, schemathesis suites, coverage; each a
:class:`StageResult` of the same shape. :func:`select_operations` narrows the suites to some
operations first. Progress is reported through ``on_event`` so that the CLI can render it;
this module prints nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from .errors import ContractsError, OperationNotFound, UsageError
from .findings import Finding, Severity, Violation
from .speclint import lint_spec
from .specs import BUNDLED, load_spec, suggest_names

if TYPE_CHECKING:
    from .suites import KnownParam, SuiteOptions, SuiteResult

__all__ = ["NOT_PROVED_POLICIES", "CaseResult", "GateResult", "LiveTarget", "Selection",
           "StageResult", "check_known_params", "run_gate", "select_operations"]

NOT_PROVED_POLICIES = ("fail", "warn")
"""What an operation with no validated success answer does to the coverage stage."""

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
    violations: tuple[Violation, ...] = ()
    details: tuple[str, ...] = ()
    skipped: str | None = None
    """Why the case did not run (an operation left out, an API with nothing to run)."""


@dataclass(frozen=True)
class StageResult:
    name: str
    cases: tuple[CaseResult, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.cases)


@dataclass(frozen=True)
class LiveTarget:
    """A live vendor to test instead of the mock (from CONTRACTS_<API>_BASE_URL / _TOKEN)."""

    base_url: str
    token: str | None = None
    path_prefix: str | None = None
    paths: Mapping[str, str] = field(default_factory=dict)
    """operationId -> the path the vendor really serves it at (Upheal publishes none)."""


@dataclass(frozen=True)
class Selection:
    """The operations the suites run: operationId globs resolved against the specs.

    Build one with :func:`select_operations`. ``operations`` maps each API (as given) to its
    selected operationIds in spec order; ``not_run`` maps an API left with nothing to run to
    why: ``"selection"`` (no operation selected) or ``"read-only"`` (only writes selected, and
    the run is read-only).
    """

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    operations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    not_run: Mapping[str, str] = field(default_factory=dict)


_GLOB_CHARS = re.compile(r"[*?\[\]!]")


def select_operations(apis: Sequence[str] | None = None, include: Sequence[str] = (),
                      exclude: Sequence[str] = (), *, read_only: bool = False) -> Selection:
    """Resolve ``--operation``/``--exclude-operation`` patterns against the specs of ``apis``.

    A pattern is an operationId glob (``getSession``, ``get*``, ``*Participant*``), matched
    case-sensitively, optionally qualified by API (``eka:getSession``, ``realtimekit:*``); an
    unqualified one applies to every API. No ``include`` selects every operation; ``exclude``
    then removes some. ``apis=None`` means every bundled API without naming any: one the
    patterns leave empty is not run. Usage errors (before anything runs): a pattern that
    matches no operation of the APIs it applies to (:class:`OperationNotFound`, with a
    did-you-mean), and an API named in ``apis`` that is left with nothing to run (nothing
    selected, or with ``read_only`` only writes).
    """
    from .suites import READ_ONLY, READ_ONLY_METHODS, SELECTION

    chosen = tuple(apis) if apis is not None else BUNDLED
    specs = {api: load_spec(api, lenient=True) for api in chosen}
    ids = {api: [op.operation_id for op in spec.operations] for api, spec in specs.items()}

    def matches(pattern: str, flag: str) -> set[tuple[str, str]]:
        qualifier, colon, glob = pattern.rpartition(":")
        scope = [a for a in chosen if not colon or qualifier in (a, specs[a].name)]
        everywhere = ", ".join(specs[a].name for a in chosen)
        if not scope:
            close = suggest_names(qualifier, [specs[a].name for a in chosen])
            raise OperationNotFound(f"{flag} {pattern!r}", api=everywhere,
                                    suggestions=[f"{name}:{glob}" for name in close])
        hits = {(a, op) for a in scope for op in ids[a] if fnmatchcase(op, glob)}
        if not hits:
            wanted = _GLOB_CHARS.sub("", glob)
            close = suggest_names(wanted, [op for a in scope for op in ids[a]])
            raise OperationNotFound(
                f"{flag} {pattern!r}", api=everywhere if not colon else specs[scope[0]].name,
                suggestions=[f"{qualifier}:{c}" for c in close] if colon else close)
        return hits

    included = set().union(*(matches(p, "--operation") for p in include)) if include else {
        (a, op) for a in chosen for op in ids[a]}
    excluded = set().union(*(matches(p, "--exclude-operation") for p in exclude))
    operations = {a: tuple(op for op in ids[a] if (a, op) in included - excluded)
                  for a in chosen}
    not_run: dict[str, str] = {}
    for api in chosen:
        writes = [op.operation_id for op in specs[api].operations
                  if op.method.upper() not in READ_ONLY_METHODS]
        if not operations[api]:
            not_run[api] = SELECTION
            if apis is not None:
                raise UsageError(f"--api {api}: the operation selection leaves none of its "
                                 "operations", hint=f"its operations: {', '.join(ids[api])}")
        elif read_only and set(operations[api]) <= set(writes):
            not_run[api] = READ_ONLY
            if apis is not None:
                raise UsageError(f"--api {api}: every selected operation is a write "
                                 f"({', '.join(operations[api])}) and live runs are read-only",
                                 hint="add --allow-writes, or select a read")
    if len(not_run) == len(chosen):
        raise UsageError("the operation selection leaves nothing to run", hint=(
            "every selected operation is a write, and live runs are read-only"
            if READ_ONLY in not_run.values() else "every operation is excluded"))
    return Selection(tuple(include), tuple(exclude), operations, not_run)


def check_known_params(apis: Sequence[str], params: Sequence[KnownParam]
                       ) -> tuple[KnownParam, ...]:
    """Known values (``--param``) checked against the specs before anything runs.

    Returns them with an API qualifier given as a spec path replaced by the spec's name.
    Usage errors: an API or operation that is not among ``apis``, and a name that no path,
    query or header parameter of the operations it applies to has (with a did-you-mean).
    """
    from .suites import operation_parameters

    specs = {api: load_spec(api, lenient=True) for api in apis}
    checked = []
    for param in params:
        scope = [a for a in apis if param.api is None or param.api in (a, specs[a].name)]
        if not scope:
            close = suggest_names(param.api or "", [specs[a].name for a in apis])
            raise UsageError(f"--param {param.describe()}: no API {param.api!r} in this run",
                             hint=f"did you mean {' or '.join(close)}?" if close else None)
        ops = [(a, op) for a in scope for op in specs[a].operations
               if param.operation is None or op.operation_id == param.operation]
        if not ops:
            assert param.operation is not None
            close = suggest_names(param.operation,
                                  [op.operation_id for a in scope for op in specs[a].operations])
            raise OperationNotFound(f"--param {param.describe()}",
                                    api=", ".join(specs[a].name for a in scope),
                                    suggestions=close)
        names = {name for a, op in ops for (_loc, name) in operation_parameters(specs[a], op)}
        if not any(n == param.name or n.lower() == param.name.lower() for n in names):
            close = suggest_names(param.name, sorted(names))
            raise UsageError(
                f"--param {param.describe()}: no path, query or header parameter "
                f"{param.name!r} in {param.operation or 'any operation'}"
                + (f" of {param.api}" if param.api else ""),
                hint=(f"did you mean {' or '.join(close)}?" if close and names
                      else "this operation has no parameters"))
        api_name = specs[scope[0]].name if param.api is not None else None
        checked.append(replace(param, api=api_name))
    return tuple(checked)


@dataclass(frozen=True)
class GateResult:
    apis: tuple[str, ...]
    seed: int
    stages: tuple[StageResult, ...] = field(default=())
    suites: tuple[SuiteResult, ...] = field(default=())
    selection: Selection | None = None
    phases: tuple[str, ...] = ()
    trend: tuple[Any, ...] = ()
    """Per operation, ``gate_history.OperationTrend`` records from the history file when one
    is kept (typed loosely: gate_history imports this module)."""

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


def _suite_stage(apis: Sequence[str], options: SuiteOptions, live: Mapping[str, LiveTarget],
                 emit: EventHandler, selection: Selection | None,
                 ) -> tuple[StageResult, tuple[SuiteResult, ...]]:
    from .suites import DESELECTION_REASONS, run_suite

    started = time.perf_counter()
    cases: list[CaseResult] = []
    results: list[SuiteResult] = []
    for api in apis:
        target = live.get(api)
        api_options = replace(options, base_url=target.base_url, token=target.token,
                              path_prefix=target.path_prefix, paths=target.paths) if (
            target) else options
        if selection is not None and api in selection.operations:
            api_options = replace(api_options, operations=selection.operations[api])
        t0 = time.perf_counter()
        try:
            result = run_suite(api, api_options, on_event=emit)
        except ContractsError as exc:
            cases.append(CaseResult("suites", f"{api}", False, f"could not run: {exc}",
                                    seconds=time.perf_counter() - t0, error=str(exc)))
            continue
        results.append(result)
        if result.fatal:
            cases.append(CaseResult("suites", f"{api}", False, "schemathesis stopped",
                                    seconds=result.seconds, error=result.fatal))
        for op_id in sorted(set(result.documented) | set(result.outcomes)):
            outcome = result.outcomes.get(op_id)
            if outcome is None:
                continue
            failing = tuple(outcome.failures())
            seen = tuple(outcome.notices())
            summary = (f"{outcome.requests} request(s), statuses "
                       f"{', '.join(f'{k}x{n}' for k, n in sorted(outcome.statuses.items()))}")
            if failing:
                summary = f"{len(failing)} violation kind(s); {summary}"
            elif seen:
                summary = f"{len(seen)} notice(s) (undocumented fields); {summary}"
            details = tuple(f"replay: {outcome.repro[v.key]}" for v in failing[:3]
                            if v.key in outcome.repro)
            cases.append(CaseResult("suites", f"{api}.{op_id}.contracts_conformance",
                                    not failing, summary, violations=seen, details=details))
            for name, count in sorted(outcome.engine_failures.items()):
                cases.append(CaseResult("suites", f"{api}.{op_id}.{name.split(':')[0]}", False,
                                        f"{count} x {name}"))
        # Named like the check they would have had, so a CI history shows them as skipped.
        for op_id, reason in result.deselections.items():
            why = DESELECTION_REASONS[reason]
            cases.append(CaseResult("suites", f"{api}.{op_id}.contracts_conformance", True,
                                    f"not run: {why}", skipped=why))
    return StageResult("suites", tuple(cases), time.perf_counter() - started), tuple(results)


def _coverage_stage(results: Sequence[SuiteResult], max_unauthorized: float,
                    not_proved: str = "fail") -> StageResult:
    """A green run must mean something: every selected operation exercised, answers real, and
    each proved by at least one documented success answer that was validated.

    ``documented`` holds the operations a suite was asked to run (selected and, on a read-only
    live run, reads): the operations left out are listed as not run, never counted as missing
    or not proved. An operation that ran without a validated success answer (every answer a
    404, say) is *not proved*: a ``coverage.not_proved`` record at error (``not_proved="fail"``,
    the case fails) or at warning (``"warn"``, it passes).
    """
    from .suites import NOT_RUN_REASONS, PHASES

    cases = []
    for result in results:
        left_out = tuple(f"{op}: not run ({reason})" for op, reason in
                         result.deselections.items())
        if result.not_run is not None:
            why = NOT_RUN_REASONS[result.not_run]
            cases.append(CaseResult("coverage", result.api, True, f"not run: {why}",
                                    details=left_out, skipped=why))
            continue
        missing = [op for op in result.documented
                   if result.outcomes.get(op) is None or not result.outcomes[op].requests]
        statuses = result.statuses
        total = sum(statuses.values())
        unauthorized = statuses.get(401, 0) / total if total else 1.0
        problems = []
        if missing:
            problems.append(f"never exercised: {', '.join(missing)}")
        if total and unauthorized > max_unauthorized:
            problems.append(f"{unauthorized:.0%} of {total} answers were 401 (check the token)")
        if total == 0:
            problems.append("no request was answered")
        unproved = [op for op in result.documented
                    if op not in missing and not result.outcomes[op].proved]
        records = tuple(_not_proved_record(result, op, not_proved) for op in unproved)
        if unproved and not_proved == "fail":
            problems.append(f"not proved: {', '.join(unproved)} (no documented success "
                            "answer was validated)")
        exercised = len(result.documented) - len(missing)
        summary = (f"{exercised}/{len(result.documented)} "
                   f"{'selected ' if result.deselected else ''}operations, {total} requests, "
                   f"{unauthorized:.0%} 401")
        if result.skipped_writes:
            summary += f"; writes skipped (live, read-only): {', '.join(result.skipped_writes)}"
        if result.deselected:
            summary += f"; not selected: {', '.join(result.deselected)}"
        proved = len(result.documented) - len(missing) - len(unproved)
        summary += f"; {proved}/{len(result.documented)} proved"
        if unproved and not_proved != "fail":
            summary += f"; not proved (warning): {', '.join(unproved)}"
        details = tuple(f"{op}: {result.outcomes[op].requests} request(s), " + ", ".join(
            f"{k}x{n}" for k, n in sorted(result.outcomes[op].statuses.items()))
            + _phase_counts(result.outcomes[op].phases) + (
                f"; proved by {result.outcomes[op].proved} validated success answer(s)"
                if result.outcomes[op].proved else "; not proved")
            for op in sorted(result.outcomes))
        details += (("phases: " + ", ".join(f"{p} {result.phases[p]}" for p in PHASES
                                            if p in result.phases)),) if result.phases else ()
        details += (("setup (known values, not checked): " + ", ".join(result.setup)),
                    ) if result.setup else ()
        details += left_out
        cases.append(CaseResult("coverage", result.api, not problems,
                                "; ".join(problems) if problems else summary, details=details,
                                violations=records))
    return StageResult("coverage", tuple(cases), 0.0)


def _not_proved_record(result: SuiteResult, op: str, policy: str) -> Violation:
    outcome = result.outcomes[op]
    seen = ", ".join(f"{k}x{n}" for k, n in sorted(outcome.statuses.items()))
    where = "live vendor" if result.live else "mock"
    return Violation(
        code="coverage.not_proved", api=result.api, operation=op, location="coverage",
        message=(f"not proved: {outcome.requests} request(s) to the {where}, statuses {seen}, "
                 "and no documented success answer was validated (give known values with "
                 "--param NAME=VALUE)"),
        severity=Severity.ERROR if policy == "fail" else Severity.WARNING)


def _phase_counts(phases: Mapping[str, int]) -> str:
    from .suites import PHASES

    counts = ", ".join(f"{p} {phases[p]}" for p in PHASES if phases.get(p))
    return f" ({counts})" if counts else ""


def _models_stage(apis: Sequence[str], emit: EventHandler) -> StageResult:
    """Generated models are fresh: one case per API whose spec has a ``generated/`` beside it.

    A bundled name means the checkout's ``specs/`` when the gate runs in one (else the
    installed specs, which ship no ``generated/``: the case is skipped, which does not fail).
    """
    from pathlib import Path

    from . import vendors
    from .codegen import check, default_dirs
    from .specs import bundled_path

    started = time.perf_counter()
    checkout_specs, _out = default_dirs()
    folders: dict[Path, list[tuple[str, str]]] = {}
    cases: list[CaseResult] = []
    for api in apis:
        if api in BUNDLED:
            path = checkout_specs / f"{api}.yaml"
            path = path if path.is_file() else bundled_path(api)
        else:
            entry = vendors.find(api)  # a registered vendor's spec, else a path
            path = entry.spec if entry is not None else Path(api)
        generated = path.resolve().parent.parent / "generated"
        if not generated.is_dir():
            why = "no generated/ folder"  # beside the spec: an installed toolkit ships none
            cases.append(CaseResult("models", api, True, f"skipped: {why}", skipped=why))
            continue
        folders.setdefault(path.resolve().parent, []).append((api, path.stem))
    for specs_dir, wanted in folders.items():
        t0 = time.perf_counter()
        emit("models", f"checking {', '.join(a for a, _ in wanted)} against {specs_dir.name}/")
        try:
            report = check(specs_dir, specs_dir.parent / "generated", [s for _, s in wanted])
        except ContractsError as exc:
            cases.extend(CaseResult("models", api, False, f"cannot generate: {exc}",
                                    error=str(exc)) for api, _ in wanted)
            continue
        per_case = (time.perf_counter() - t0) / len(wanted)
        for api, stem in wanted:
            stale = [m for m in report.stale if m.module == f"{stem}.py"]
            summary = ("generated/{0}.py is up to date" if not stale else
                       "generated/{0}.py is stale ({1}): run `contracts generate`").format(
                stem, stale[0].reason if stale else "")
            cases.append(CaseResult("models", api, not stale, summary, seconds=per_case,
                                    details=tuple(stale[0].diff.splitlines()) if stale else ()))
    order = {api: i for i, api in enumerate(apis)}
    cases.sort(key=lambda c: order.get(c.name, 0))
    return StageResult("models", tuple(cases), time.perf_counter() - started)


def run_gate(
    apis: Sequence[str] = BUNDLED,
    *,
    seed: int = 0,
    fail_on: Severity = Severity.WARNING,
    on_event: EventHandler | None = None,
    suites: SuiteOptions | None = None,
    live: Mapping[str, LiveTarget] | None = None,
    max_unauthorized: float = 0.5,
    selection: Selection | None = None,
    not_proved: str = "fail",
) -> GateResult:
    """Run every stage for ``apis`` (bundled names or spec paths) and return the result.

    Stages: spec lint, then (with ``suites`` options) the schemathesis suites against the
    mocks, or against the ``live`` targets named per API, then operation/status coverage.
    With a ``selection`` (:func:`select_operations`) the suites run only its operations, and
    an API it leaves with nothing to run is not run at all (no lint, no models, no suite): the
    suites and coverage stages list it as skipped, with why. ``not_proved`` ("fail" or
    "warn") is what an operation without a validated success answer does to coverage.
    """
    if not_proved not in NOT_PROVED_POLICIES:
        raise UsageError(f"not_proved must be one of {', '.join(NOT_PROVED_POLICIES)}, "
                         f"not {not_proved!r}")
    emit: EventHandler = on_event or (lambda stage, message: None)
    not_run = selection.not_run if selection is not None else {}
    running = [api for api in apis if api not in not_run]
    stages = [_lint_stage(running, fail_on, emit)]
    stages.append(_models_stage(running, emit))
    suite_results: tuple[SuiteResult, ...] = ()
    if suites is not None:
        stage, suite_results = _suite_stage(apis, replace(suites, seed=seed), live or {}, emit,
                                            selection)
        stages.append(stage)
        stages.append(_coverage_stage(suite_results, max_unauthorized, not_proved))
    return GateResult(apis=tuple(apis), seed=seed, stages=tuple(stages), suites=suite_results,
                      selection=selection, phases=suites.phases if suites is not None else ())
