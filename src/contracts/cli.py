"""The ``contracts`` command line: parses options, calls the library, renders, sets exit codes.

Exit codes: 0 clean, 1 contract violations / findings / breaking drift, 2 usage or input
error (including output that cannot be written), 3 internal error (a bug in the tool: one line
asking for a report; the traceback only with ``CONTRACTS_DEBUG=1``). No command prints a
traceback otherwise: tool failures become one line on stderr.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import click

from ._cli_errors import (
    EXIT_INTERNAL,
    WRITE_ERRNOS,
    internal_error,
    one_line,
    silence_stdout,
    usage_line,
    write_failure,
)
from ._cli_gate import (
    configuration,
    diff_base,
    gate_replay,
    live_targets,
    parse_severity,
    print_gate_table,
    run_with_progress,
    with_history,
    write_gate_reports,
)
from ._cli_scale import scale_options, scaled_drift, scaled_validate
from .errors import ContractsError, UsageError
from .findings import Severity

__all__ = ["main", "run"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
EXIT_CODES = (EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL)  # as documented in README
# A closed pipe (``contracts lint | head``) ends quietly with the status of a process killed by
# SIGPIPE, as other command-line tools do.
EXIT_BROKEN_PIPE = 141


class _Exit(Exception):
    def __init__(self, code: int):
        self.code = code


def _severity(_ctx: click.Context, _param: click.Parameter, value: str) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]},
             epilog="Exit codes: 0 clean; 1 violations, findings or breaking drift; 2 usage or "
                    "input error (also: output that cannot be written); 3 internal error of the "
                    "tool (please report it; CONTRACTS_DEBUG=1 shows the traceback).")
@click.version_option(package_name="scribe-contracts", prog_name="contracts")
def cli() -> None:
    """Check clinical-session vendor APIs against their documented contracts."""


@cli.command()
@click.argument("targets", nargs=-1, metavar="[SPEC_OR_API]...")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--fail-on", default="warning", show_default=True, callback=_severity,
              help="Lowest severity that makes the exit code 1 (info, warning, error).")
def lint(targets: tuple[str, ...], fmt: str, fail_on: Severity) -> None:
    """Lint specs: OpenAPI 3.1 meta-schema, $refs, examples and house rules.

    Each target is a bundled API name (upheal, heidi, eka, realtimekit) or a spec file;
    with none, the configuration file's APIs (contracts.toml or [tool.contracts]), else
    every bundled spec.
    """
    from .reporting import findings_json, findings_text
    from .speclint import lint as lint_target
    from .specs import BUNDLED

    findings = []
    configured = tuple(a.target for a in configuration(None).apis) if not targets else ()
    for target in targets or configured or BUNDLED:
        findings.extend(lint_target(target))
    out = sys.stdout
    out.write(findings_json(findings) if fmt == "json" else findings_text(findings))
    raise _Exit(EXIT_FINDINGS if any(f.severity >= fail_on for f in findings) else EXIT_OK)


@cli.command()
@click.option("--api", "apis", multiple=True, metavar="API",
              help="Bundled API name or spec path; repeat for several (default: all four).")
@click.option("--live", is_flag=True,
              help="Test the live vendors named by CONTRACTS_<API>_BASE_URL and "
                   "CONTRACTS_<API>_TOKEN instead of the bundled mocks.")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Where reports are written [default: reports].")
@click.option("--seed", type=int, default=None,
              help="Seed for every generated request (printed; rerun with it to replay) "
                   "[default: 0].")
@click.option("--max-examples", type=click.IntRange(1, 10_000), default=None,
              help="Generated examples per operation and phase [default: 10].")
@click.option("--allow-writes", is_flag=True,
              help="Live runs: also send POST/PATCH/PUT/DELETE (default: read-only).")
@click.option("--rate-limit", default=None, metavar="auto|N/s",
              help="Live runs: 'auto' (default: adapts to the vendor and honours 429 with "
                   "Retry-After) or a fixed cap such as 5/s or 100/m (schemathesis then does "
                   "not retry 429s).")
@click.option("--budget", type=click.IntRange(1, None), default=None, metavar="N",
              help="Stop each API's suite at its N-th request (default: 200 for live runs, "
                   "none against the mocks); schemathesis's 2 start-up probes come on top.")
@click.option("--operation", "operations", multiple=True, metavar="PATTERN",
              help="Run only the operations whose operationId matches this glob (getSession, "
                   "get*, *Participant*; case-sensitive), optionally qualified by API "
                   "(eka:getSession, realtimekit:*); repeat for several.")
@click.option("--exclude-operation", "excluded", multiple=True, metavar="PATTERN",
              help="Leave out the operations matching this pattern (as for --operation); "
                   "repeat for several.")
@click.option("--phases", default=None, metavar="LIST",
              help="schemathesis phases to run, comma-separated: examples, coverage, "
                   "fuzzing, stateful [default: all four].")
@click.option("--no-suites", is_flag=True, help="Only lint the specs (no requests at all).")
@click.option("--schemathesis-checks", is_flag=True,
              help="Also run schemathesis's own checks (negative data rejection, ...).")
@click.option("--fail-on", default=None, help="Lowest lint severity that fails the gate "
              "[default: warning].")
@click.option("--param", "params", multiple=True, metavar="[API:][OPERATION.]NAME=VALUE",
              help="A path, query or header parameter value that exists at the vendor (a "
                   "session id kept for monitoring): every request of an operation with that "
                   "parameter uses it, so a read-only run fetches real success answers; repeat "
                   "for several values or names.")
@click.option("--not-proved", type=click.Choice(["fail", "warn"]), default=None,
              help="An operation with no validated documented success answer fails the "
                   "coverage stage, or (warn) is only reported [default: fail].")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Configuration file [default: the first contracts.toml, or "
                                 "pyproject.toml with [tool.contracts], from here upward].")
@click.option("--history", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite file that keeps every run's per-operation results (the same file "
                   "as `contracts drift --history`; created when missing); report.html then "
                   "shows since when each operation fails.")
def gate(apis: tuple[str, ...], live: bool, report_dir: Path | None, seed: int | None,
         max_examples: int | None, allow_writes: bool, rate_limit: str | None,
         budget: int | None, operations: tuple[str, ...], excluded: tuple[str, ...],
         phases: str | None, no_suites: bool, schemathesis_checks: bool, fail_on: str | None,
         params: tuple[str, ...], not_proved: str | None, config_path: Path | None,
         history: Path | None) -> None:
    """Run the CI gate: spec lint, model freshness, schemathesis suites, coverage, reports.

    Against the bundled mocks (in-process, offline) by default; with --live, against the
    vendors named by the environment. Reports: junit.xml, summary.md (also appended to
    $GITHUB_STEP_SUMMARY), report.sarif, report.json and report.html in --report-dir.

    --operation, --exclude-operation and --phases narrow the suites as in `schemathesis run`;
    coverage then judges the selected operations only, and the reports list the rest. An API
    the patterns leave empty is not run (an error if --api named it); a pattern that matches
    no operation is an error. Example: --api eka --operation 'get*' --phases examples,fuzzing.
    """
    from .gate import check_known_params, run_gate, select_operations
    from .specs import BUNDLED, spec_location
    from .suites import PHASES, KnownParam, SuiteOptions, parse_phases

    config = configuration(config_path)
    # The command line overrides the file, which overrides the built-in defaults.
    report_dir = report_dir or Path(config.report_dir or "reports")
    seed = seed if seed is not None else (config.seed or 0)
    max_examples = max_examples or config.max_examples or 10
    budget = budget or config.budget
    rate_limit = rate_limit or config.rate_limit
    lint_fail_on = parse_severity(fail_on or config.fail_on or "warning", "--fail-on")
    not_proved = not_proved or config.not_proved or "fail"
    apis = apis or tuple(a.target for a in config.apis)
    for api in apis:
        spec_location(api)  # a typo is a usage error, refused before any work or report
    given = {KnownParam.parse(p).name for p in params}
    params = tuple(p for a in config.apis for p in a.params
                   if KnownParam.parse(p).name not in given) + params
    if no_suites and (operations or excluded or phases is not None):
        raise UsageError("--operation, --exclude-operation and --phases choose what the suites "
                         "run: they do nothing with --no-suites")
    phase_list = parse_phases(phases) if phases is not None else PHASES
    selection = select_operations(apis or None, operations, excluded,
                                  read_only=live and not allow_writes) if (
        operations or excluded) else None
    chosen = apis or BUNDLED
    known = check_known_params(chosen, [KnownParam.parse(p) for p in params])
    targets = live_targets(chosen, selection, config) if live else {}
    options = None if no_suites else SuiteOptions(
        max_examples=max_examples, allow_writes=allow_writes,
        rate_limit=rate_limit or ("auto" if live else None),
        request_budget=budget or (200 if live else None),
        schemathesis_checks=schemathesis_checks, phases=phase_list, known_params=known)
    where = "live vendors" if live else "bundled mocks"
    click.echo(f"contracts gate: {', '.join(chosen)} against the {where} (seed {seed})")
    if selection is not None:
        not_run = ", ".join(selection.not_run)
        click.echo(f"operations: {' '.join(operations) or 'all'}"
                   + (f", excluding {' '.join(excluded)}" if excluded else "")
                   + (f"; not run: {not_run}" if not_run else ""))
    if phases is not None:
        click.echo(f"phases: {', '.join(phase_list)}")
    result = run_with_progress(lambda emit: run_gate(
        chosen, seed=seed, fail_on=lint_fail_on, on_event=emit, suites=options, live=targets,
        selection=selection, not_proved=not_proved))
    result = with_history(result, history or (Path(config.history) if config.history else None))
    print_gate_table(result)
    written = write_gate_reports(result, report_dir)
    click.echo(f"reports: {', '.join(str(p) for p in written)}")
    if not result.passed:
        replay = gate_replay(apis, seed, max_examples, operations, excluded,
                              phase_list if phases is not None else (), budget,
                              live=live, allow_writes=allow_writes,
                              schemathesis_checks=schemathesis_checks, params=params)
        click.echo(f"replay: {replay}")
    click.echo("gate passed" if result.passed else "gate FAILED")
    raise _Exit(result.exit_code)


@cli.command("config")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Configuration file [default: found from here upward].")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
def showconfiguration(config_path: Path | None, fmt: str) -> None:
    """Print the effective configuration (file, then environment), secrets masked.

    Tokens are read from CONTRACTS_<API>_TOKEN only; this shows whether each is set, never
    its value.
    """
    import json

    from .specs import BUNDLED

    config = configuration(config_path)
    data = config.as_dict()
    names = [a.name for a in config.apis] or list(BUNDLED)
    environment = {}
    for name in names:
        key = Path(name).stem.upper().replace("-", "_")
        environment[name] = {
            "base-url": os.environ.get(f"CONTRACTS_{key}_BASE_URL"),
            "token": "set (masked)" if os.environ.get(f"CONTRACTS_{key}_TOKEN") else "not set"}
    data["environment"] = environment
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        raise _Exit(EXIT_OK)
    click.echo(f"configuration: {data['source'] or 'none found (built-in defaults)'}")
    for key in ("report-dir", "budget", "rate-limit", "max-examples", "seed", "fail-on",
                "not-proved", "history"):
        click.echo(f"  {key}: {data[key] if data[key] is not None else '(default)'}")
    for name, api in data["apis"].items():
        click.echo(f"  api {name}:")
        for key, value in api.items():
            if value not in (None, [], {}):
                click.echo(f"    {key}: {value}")
    click.echo("environment:")
    for name, env in environment.items():
        click.echo(f"  {name}: base-url {env['base-url'] or '(not set)'}; token {env['token']}")
    raise _Exit(EXIT_OK)


@cli.command()
@click.option("--api", default=None, metavar="API",
              help="Bundled API name (upheal, heidi, eka, realtimekit) or a spec path; lines "
                   "of a log that name another API are skipped. Omitted: each line is judged "
                   "by the spec its 'api' field names.")
@click.option("--operation", metavar="OP", help="operationId: the files are single bodies.")
@click.option("--status", type=int, metavar="CODE",
              help="With --operation: the response status (omit for a request body).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "sarif"]),
              default="text", show_default=True, help="Output format (on stdout).")
@click.option("--strict", is_flag=True, help="Also report undocumented fields (at info).")
@click.option("--fail-on", default="error", show_default=True, callback=_severity,
              help="Lowest severity that makes the exit code 1 (info, warning, error).")
@click.option("--show-values", is_flag=True,
              help="Show offending body values in the output (off: they may be patient data).")
@scale_options
@click.argument("names", nargs=-1, required=True, type=click.Path(), metavar="FILES...")
def validate(api: str | None, operation: str | None, status: int | None, fmt: str,
             strict: bool, fail_on: Severity, show_values: bool, jobs: int | None,
             scheduler: str | None, names: tuple[str, ...]) -> None:
    """Validate recorded traffic or single bodies against a spec.

    FILES are exchange logs (JSON Lines, see docs/exchange-log.md), HAR 1.2 files or VCR.py /
    pytest-recording cassettes; with --operation, each file is one JSON body.
    """
    if status is not None and operation is None:
        raise click.UsageError("--status needs --operation")
    if operation is not None and api is None:
        raise click.UsageError("--operation needs --api")
    if api is not None:
        from .specs import spec_location

        spec_location(api)  # a typo is a usage error before any file is read
    from .corpus import iter_corpus, validate_bodies
    from .reporting.stream import write_violations

    files = tuple(Path(n) for n in names)
    scaled = scaled_validate(api, names, operation, strict, jobs, scheduler)
    with _progress(files if scaled is None else ()) as advance:
        if scaled is not None:  # from workers, streamed out in input order
            items: Iterable[Any] = scaled
        elif operation is None or api is None:  # recorded traffic: streamed, constant memory
            items = iter_corpus(api, files, strict=strict, progress=advance)
        else:
            report = validate_bodies(api, operation, status, files, strict=strict,
                                     progress=advance)
            items = [*report.records, report.exchanges]
        summary = write_violations(items, fmt, sys.stdout, fail_on=fail_on,
                                   show_values=show_values)
    problems, failed = summary.problems, summary.failed
    if problems:
        first = problems[0]
        sys.stderr.write(f"contracts: {len(problems)} unreadable input part(s); first: "
                         f"{first.location}: {first.message}\n")
    raise _Exit(EXIT_FINDINGS if failed else (EXIT_USAGE if problems else EXIT_OK))


@cli.command()
@click.argument("old", metavar="OLD_SPEC")
@click.argument("new", metavar="NEW_SPEC", required=False)
@click.option("--format", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "markdown", "github", "json", "junit", "sarif",
                                 "html"]),
              help="Output format (github: workflow annotations; markdown: a PR comment).")
@click.option("--fail-on", default="ERR", show_default=True, callback=_severity,
              help="Lowest grade that makes the exit code 1 (ERR, WARN or INFO).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of stdout.")
@click.option("--base", "base", default=None, metavar="REF",
              help="Compare each spec FILE given with its version at git revision REF (e.g. "
                   "origin/main): `contracts diff --base origin/main specs/a.yaml ...`. A "
                   "spec new since REF has nothing to compare and is skipped.")
@click.argument("more", nargs=-1, metavar="")
def diff(old: str, new: str | None, fmt: str, fail_on: Severity, output: Path | None,
         base: str | None, more: tuple[str, ...]) -> None:
    """Classify every change from OLD_SPEC to NEW_SPEC for a consumer of the API.

    Each spec is a bundled API name or a file. Grades: ERR (code written against OLD_SPEC
    breaks), WARN (it may break), INFO (nothing to do); see docs/drift.md for the rules.
    With --base REF, every argument is a spec file compared with its version at REF.
    """
    if base is not None:
        text, failed = diff_base(base, [old, *([new] if new else []), *more], fmt, fail_on)
        _emit(text, output)
        raise _Exit(EXIT_FINDINGS if failed else EXIT_OK)
    if new is None or more:
        raise click.UsageError("give OLD_SPEC and NEW_SPEC (or --base REF and spec files)")
    from .diff import diff_specs
    from .reporting import (
        drift_github,
        drift_html,
        drift_json,
        drift_junit,
        drift_markdown,
        drift_sarif,
        drift_table,
    )

    result = diff_specs(old, new)
    if fmt == "table":
        tty = output is None and sys.stdout.isatty()
        width = __import__("shutil").get_terminal_size((120, 24)).columns if tty else 160
        text = drift_table(result, color=tty, width=width)
    elif fmt == "junit":
        text = drift_junit(result, fail_on=fail_on)
    else:
        render = {"markdown": drift_markdown, "json": drift_json, "sarif": drift_sarif,
                  "html": drift_html, "github": drift_github}[fmt]
        text = render(result)
    _emit(text, output)
    raise _Exit(EXIT_FINDINGS if result.failing(fail_on) else EXIT_OK)


@cli.command()
@click.option("--api", required=True, metavar="API",
              help="Bundled API name (upheal, heidi, eka, realtimekit) or a spec path.")
@click.option("--baseline", nargs=2, type=click.Path(path_type=Path), metavar="OLD NEW",
              help="Compare two recordings of the same calls instead of traffic to the spec.")
@click.option("--format", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "markdown", "json", "junit", "sarif", "html"]),
              help="Output format.")
@click.option("--fail-on", default="ERR", show_default=True, callback=_severity,
              help="Lowest grade that makes the exit code 1 (ERR, WARN or INFO).")
@click.option("--show-values", is_flag=True,
              help="Show observed body values (off: they may be patient data).")
@click.option("--waivers", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Waiver file [default: the configuration file's waivers for the API, "
                   "else waivers/<api>.yaml when it exists].")
@click.option("--history", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite file that keeps every run's findings (created when missing).")
@click.option("--suggest", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="OUT.yaml", help="Write a copy of the spec that documents the drift.")
@click.option("--ignore", multiple=True, metavar="PATTERN",
              help="--baseline: also treat as volatile a key regex or a JSON pointer glob "
                   "(/sessions/*/token); repeatable.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of stdout.")
@scale_options
@click.argument("names", nargs=-1, type=click.Path(), metavar="[CORPUS]...")
def drift(api: str, baseline: tuple[Path, Path] | None, fmt: str, fail_on: Severity,
          show_values: bool, waivers: Path | None, history: Path | None,
          suggest: Path | None, ignore: tuple[str, ...], output: Path | None,
          jobs: int | None, scheduler: str | None, names: tuple[str, ...]) -> None:
    """Aggregate how recorded traffic departs from API's spec, or (--baseline) what changed
    between two recordings of the same calls.

    CORPUS files are exchange logs (JSON Lines), HAR files or VCR cassettes. Grades: ERR (our
    code will break), WARN (it may break), INFO (safe); see docs/drift.md for the rules.
    """
    from .drift import apply_waivers, load_waivers, record_history
    from .specs import load_spec

    corpus = tuple(Path(n) for n in names)
    _check_drift_options(baseline, corpus, suggest, ignore)
    spec = load_spec(api)
    configured = configuration(None).api(api)
    if waivers is None and configured is not None and configured.waivers:
        waivers = Path(configured.waivers)
    if waivers is None:
        default = Path("waivers") / f"{spec.name}.yaml"
        waivers = default if default.is_file() else None
    waiver_list = load_waivers(waivers) if waivers is not None else ()
    collect = show_values or suggest is not None
    report = None if baseline else scaled_drift(spec, names, collect=collect, jobs=jobs,
                                                scheduler=scheduler)
    if report is None:
        report = _drift_report(spec, baseline, corpus, ignore, collect=collect)
    if waiver_list:
        report = apply_waivers(report, waiver_list)
    if history is not None:
        report = record_history(history, report)
    if suggest is not None:
        _write_suggestion(spec, report, suggest)
    text = _render_traffic(report, fmt, fail_on=fail_on, show_values=show_values,
                           tty=output is None and sys.stdout.isatty())
    _emit(text, output)
    if report.problems:
        first = report.problems[0]
        sys.stderr.write(f"contracts: {report.problem_count} unreadable input part(s); first: "
                         f"{first.location}: {first.message}\n")
    failed = bool(report.failing(fail_on))
    raise _Exit(EXIT_FINDINGS if failed else (EXIT_USAGE if report.problem_count else EXIT_OK))


def _check_drift_options(baseline: tuple[Path, Path] | None, corpus: tuple[Path, ...],
                         suggest: Path | None, ignore: tuple[str, ...]) -> None:
    if baseline and corpus:
        raise click.UsageError("give either --baseline OLD NEW or CORPUS files, not both")
    if not baseline and not corpus:
        raise click.UsageError("give CORPUS files (or --baseline OLD NEW)")
    if baseline and suggest:
        raise click.UsageError("--suggest works on CORPUS files, not --baseline")
    if ignore and not baseline:
        raise click.UsageError("--ignore applies to --baseline")


def _drift_report(spec: Any, baseline: tuple[Path, Path] | None, corpus: tuple[Path, ...],
                  ignore: tuple[str, ...], *, collect: bool) -> Any:
    """Baseline drift of two recordings, or traffic drift of the corpus (with progress)."""
    import itertools

    from .drift import baseline_drift, traffic_drift
    from .exchanges import read_exchanges

    if baseline:
        old, new = baseline
        return baseline_drift(spec, read_exchanges(old), read_exchanges(new), ignore=ignore,
                              collect_values=collect, sources=(str(old), str(new)))
    with _progress(corpus) as advance:
        def stream() -> Any:
            for item in itertools.chain.from_iterable(map(read_exchanges, corpus)):
                advance(1)
                yield item

        return traffic_drift(spec, stream(), collect_values=collect,
                             sources=[str(p) for p in corpus])


def _write_suggestion(spec: Any, report: Any, suggest: Path) -> None:
    from .drift import suggest_spec

    text, notes = suggest_spec(spec, report)
    try:
        suggest.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ContractsError(f"cannot write the suggested spec ({exc.strerror})",
                             source=str(suggest)) from None
    for note in notes:
        sys.stderr.write(f"contracts: suggest: skipped {note}\n")


def _render_traffic(report: Any, fmt: str, *, fail_on: Severity, show_values: bool,
                    tty: bool) -> str:
    from .reporting import (
        traffic_html,
        traffic_json,
        traffic_junit,
        traffic_markdown,
        traffic_sarif,
        traffic_table,
    )

    if fmt == "table":
        width = __import__("shutil").get_terminal_size((120, 24)).columns if tty else 160
        return traffic_table(report, show_values=show_values, color=tty, width=width)
    if fmt == "junit":
        return traffic_junit(report, fail_on=fail_on, show_values=show_values)
    render = {"markdown": traffic_markdown, "json": traffic_json, "sarif": traffic_sarif,
              "html": traffic_html}[fmt]
    return render(report, show_values=show_values)


class _progress:
    """A progress bar on stderr for long inputs (over ~5 MB), silent otherwise."""

    def __init__(self, files: tuple[Path, ...]):
        total = 0
        for f in files:
            with contextlib.suppress(OSError):
                total += f.stat().st_size
        self._show = total > 5_000_000 and sys.stderr.isatty()
        self._bar: Any = None

    def __enter__(self) -> Any:
        if not self._show:
            return lambda n: None
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._bar = Progress(SpinnerColumn(), TextColumn("{task.completed:,} exchanges"),
                             TimeElapsedColumn(), transient=True,
                             console=__import__("rich.console").console.Console(file=sys.stderr))
        self._bar.start()
        task = self._bar.add_task("validating", total=None)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _duration(_ctx: click.Context, _param: click.Parameter, value: str) -> float:
    text = value.strip().lower()
    try:
        if text.endswith("ms"):
            seconds = float(text[:-2]) / 1000
        else:
            seconds = float(text[:-1] if text.endswith("s") else text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a duration (e.g. 0.05, 50ms, 1s)") from None
    if seconds < 0:
        raise click.BadParameter("must not be negative")
    return seconds


@cli.command(epilog="Drift kinds: field-removed, field-renamed, type-changed, enum-value, "
             "field-added, status-code (or all). Control API under /__contracts__/: POST "
             "reset, POST scenario {\"scenario\": NAME}, POST sessions/ID/advance, GET state. "
             "Per-request headers: x-contracts-scenario: NAME (that request's scenario); "
             "Prefer: code=N[, example=NAME] (one documented answer, state unchanged).")
@click.argument("api", metavar="API|all")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (a warning is printed unless it is loopback).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port to listen on (0 picks a free one).")
@click.option("--token", default=None, metavar="T",
              help="Token the mock accepts as Bearer (Heidi: as Heidi-Api-Key, for GET /jwt) "
                   "[default: contracts-mock-token].")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the synthetic data.")
@click.option("--steps", type=click.IntRange(0), default=1, show_default=True,
              help="Polls a session spends in each processing state.")
@click.option("--step-seconds", type=click.FloatRange(0), default=None,
              help="Advance lifecycles by time (seconds per state) instead of by polls.")
@click.option("--scenario", default=None, metavar="NAME",
              help="Scenario for new sessions (e.g. eka: partial, failed, expired).")
@click.option("--latency", default="0", callback=_duration, show_default=True,
              help="Delay before every answer (0.05, 50ms, 1s).")
@click.option("--error-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Fraction of answers replaced by 500/502/503 or 429 with Retry-After.")
@click.option("--drift", default="", metavar="KIND[,KIND...]",
              help="Serve controlled departures from the spec: field-removed, field-renamed, "
                   "type-changed, enum-value, field-added, status-code, or all.")
@click.option("--webhook-url", default=None, metavar="URL",
              help="Where Upheal's session web-hook is POSTed when processing ends.")
@click.option("--accept-key-as-bearer", is_flag=True,
              help="Heidi: take the API key as Bearer too (Heidi wants the JWT of GET /jwt).")
def mock(api: str, host: str, port: int, token: str | None, drift: str,
         **settings: Any) -> None:
    """Serve a stateful mock of API (upheal, heidi, eka, realtimekit, or all), or a stateless
    mock of any OpenAPI 3.0/3.1 spec given by path (examples, Prefer, request validation).

    Prints each base URL (with the vendor's server path, e.g. http://127.0.0.1:PORT/client/v4)
    once it serves, and serves until interrupted (Ctrl-C: exit code 0).
    """
    from .mock import DEFAULT_TOKEN, VENDORS, MockOptions, parse_drift, serve

    if api != "all" and api not in VENDORS:
        if Path(api).is_file():  # any team's spec: a stateless mock, as Prism serves one
            from .mock.generic import serve_spec

            def announce(url: str) -> None:
                click.echo(f"{Path(api).stem}: {url}")
                sys.stdout.flush()

            serve_spec(api, host=host, port=port, on_ready=announce)
            return
        raise click.BadParameter(f"{api!r} (one of: {', '.join(VENDORS)}, all, or the path of "
                                 "an OpenAPI 3.0/3.1 spec)", param_hint="API")
    # The other flags are MockOptions fields of the same names (seed, steps, scenario...).
    options = MockOptions(token=token or DEFAULT_TOKEN, drift=parse_drift(drift), **settings)

    def ready(urls: dict[str, str], root: str) -> None:
        for name, url in urls.items():
            click.echo(f"{name}: {url}")
        click.echo(f"control: {root}/__contracts__/ (token: "
                   f"{'as given' if token else DEFAULT_TOKEN})")
        sys.stdout.flush()

    def warn(message: str) -> None:
        sys.stderr.write(f"contracts: warning: {message}\n")

    serve(api, host=host, port=port, options=options, on_ready=ready, on_warning=warn)


@cli.command()
@click.argument("api", metavar="API")
@click.option("--upstream", required=True, metavar="URL",
              help="The vendor to forward to, e.g. https://api.eka.care (the request path "
                   "and query are appended).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (a warning is printed unless it is loopback).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port to listen on (0 picks a free one).")
@click.option("--record", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE", help="Exchange log (JSON Lines) the redacted exchanges are "
                                   "appended to.")
@click.option("--strict", is_flag=True, help="Also report undocumented fields (at info).")
@click.option("--redact-path", "redact_paths", multiple=True, metavar="JSONPATH",
              help="Also redact the body values this path selects (e.g. $..patient); repeat.")
@click.option("--redact-key", "redact_keys", multiple=True, metavar="KEY",
              help="Also redact body values and query parameters under this key; repeat.")
@click.option("--redact-header", "redact_headers", multiple=True, metavar="NAME",
              help="Also redact this header; repeat.")
@click.option("--keep-values", is_flag=True,
              help="Keep body values (patient data) in the log; credentials are still removed.")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=60.0,
              show_default=True, help="Seconds to wait for the upstream.")
def proxy(api: str, upstream: str, host: str, port: int, record: Path, strict: bool,
          redact_paths: tuple[str, ...], redact_keys: tuple[str, ...],
          redact_headers: tuple[str, ...], keep_values: bool, timeout: float) -> None:
    """Forward traffic to the real vendor, validate both directions, record it redacted.

    API is a bundled API name (upheal, heidi, eka, realtimekit) or a spec path. Point your
    client at the printed URL instead of the vendor's origin. Each violation is printed as one
    line (no values) as it happens; a summary by code is printed on exit (Ctrl-C). Exit code
    1 when a violation at error severity was seen. See docs/proxy.md.
    """
    import threading

    from .proxy import proxy_app, serve
    from .redaction import Redactor

    redactor = Redactor(enabled=not keep_values, paths=redact_paths,
                        extra_keys=frozenset(redact_keys), extra_headers=frozenset(redact_headers))
    lock = threading.Lock()

    def violation(v: Any) -> None:
        with lock:
            sys.stdout.write(f"violation: {v.severity.label}: {v.describe()}\n")
            sys.stdout.flush()

    def warn(message: str) -> None:
        with lock:
            sys.stderr.write(f"contracts: warning: {message}\n")
            sys.stderr.flush()

    app = proxy_app(api, upstream, record=record, redactor=redactor, strict=strict,
                    on_violation=violation, on_error=warn, timeout=timeout)

    def ready(url: str) -> None:
        click.echo(f"proxy: {url} -> {app.upstream} (recording to {record})")
        sys.stdout.flush()

    serve(app, host=host, port=port, on_ready=ready, on_warning=warn)  # until Ctrl-C
    click.echo(f"proxy summary: {app.stats.summary()}")
    raise _Exit(EXIT_FINDINGS if app.stats.severities[Severity.ERROR] else EXIT_OK)


@cli.command()
@click.option("--check", "check_only", is_flag=True,
              help="Regenerate into memory and exit 1 with a diff summary if the output is stale.")
@click.option("--specs", "specs_dir", type=click.Path(path_type=Path), default=None,
              help="Folder of specs (default: the checkout's specs/, else the bundled specs).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: generated/ beside the specs folder, or ./generated).")
def generate(check_only: bool, specs_dir: Path | None, out_dir: Path | None) -> None:
    """Generate pydantic v2 models from the specs (one module per spec) into generated/."""
    from .codegen import check, default_dirs
    from .codegen import generate as write_models

    default_specs, default_out = default_dirs()
    if out_dir is None:
        out_dir = specs_dir.parent / "generated" if specs_dir else default_out
    specs_dir = specs_dir or default_specs
    if check_only:
        report = check(specs_dir, out_dir)
        click.echo(report.summary())
        raise _Exit(EXIT_OK if report.fresh else EXIT_FINDINGS)
    written = write_models(specs_dir, out_dir)
    click.echo(f"wrote {len(written)} file(s) to {out_dir} from {specs_dir}")
    raise _Exit(EXIT_OK)


def _emit(text: str, output: Path | None) -> None:
    """Write a rendered report to ``output``, or to stdout when there is none."""
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ContractsError(f"cannot write the report ({exc.strerror})",
                             source=str(output)) from None


def run(argv: Sequence[str] | None = None, *, stdout: IO[str] | None = None,
        stderr: IO[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit code (tests call this directly)."""
    args = list(sys.argv[1:] if argv is None else argv)
    old_out, old_err = sys.stdout, sys.stderr
    if stdout is not None:
        sys.stdout = stdout
    if stderr is not None:
        sys.stderr = stderr
    try:
        cli.main(args=args, prog_name="contracts", standalone_mode=False)
        return EXIT_OK
    except _Exit as exc:
        return exc.code
    except ContractsError as exc:
        sys.stderr.write(f"contracts: error: {one_line(str(exc))}\n")
        return EXIT_USAGE
    except click.exceptions.Exit as exc:  # --help, --version
        return int(exc.exit_code or 0)
    except click.UsageError as exc:
        sys.stderr.write(f"{usage_line(exc)}\n")
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show(file=sys.stderr)
        return EXIT_USAGE
    except click.exceptions.Abort:
        sys.stderr.write("contracts: aborted\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("contracts: interrupted\n")
        return 130
    except (BrokenPipeError, SystemExit):
        # click answers a closed output pipe (EPIPE) with SystemExit(1) even outside standalone
        # mode, and no command of ours calls sys.exit: either way the reader has gone.
        silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        if exc.errno not in WRITE_ERRNOS:
            return internal_error(exc)
        sys.stderr.write(f"contracts: error: {write_failure(exc)}\n")
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - the one boundary where a bug becomes exit 3
        return internal_error(exc)
    finally:
        sys.stdout, sys.stderr = old_out, old_err


def main() -> None:
    code = run()
    try:
        sys.stdout.flush()  # what is still buffered can fail too (a full disk, a closed pipe)
    except BrokenPipeError:
        silence_stdout()
        code = EXIT_BROKEN_PIPE
    except OSError as exc:
        silence_stdout()
        if code != EXIT_USAGE:
            sys.stderr.write(f"contracts: error: {write_failure(exc)}\n")
        code = EXIT_USAGE
    sys.exit(code)
