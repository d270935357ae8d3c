"""The ``contracts`` command line: parses options, calls the library, renders, sets exit codes.

Exit codes: 0 clean, 1 contract violations / findings / breaking drift, 2 usage or input
error. No command prints a traceback: tool failures become one line on stderr.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import click

from .errors import ContractsError
from .findings import Severity

__all__ = ["main", "run"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Exit(Exception):
    def __init__(self, code: int):
        self.code = code


def _severity(_ctx: click.Context, _param: click.Parameter, value: str) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    with none, every bundled spec is linted.
    """
    from .lint import lint as lint_target
    from .reporting import findings_json, findings_text
    from .specs import BUNDLED

    findings = []
    for target in targets or BUNDLED:
        findings.extend(lint_target(target))
    out = sys.stdout
    out.write(findings_json(findings) if fmt == "json" else findings_text(findings))
    raise _Exit(EXIT_FINDINGS if any(f.severity >= fail_on for f in findings) else EXIT_OK)


@cli.command()
@click.option("--api", "apis", multiple=True, metavar="API",
              help="Bundled API name or spec path; repeat for several (default: all four).")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports"), show_default=True, help="Where reports are written.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed for every generated example (printed, for replay).")
@click.option("--fail-on", default="warning", show_default=True, callback=_severity,
              help="Lowest lint severity that fails the gate.")
def gate(apis: tuple[str, ...], report_dir: Path, seed: int, fail_on: Severity) -> None:
    """Run the CI gate and write JUnit XML, Markdown and JSON reports."""
    from .gate import run_gate
    from .reporting import gate_json, gate_junit, gate_markdown
    from .specs import BUNDLED

    err = sys.stderr

    def progress(stage: str, message: str) -> None:
        err.write(f"[{stage}] {message}\n")

    chosen = apis or BUNDLED
    click.echo(f"contracts gate: {', '.join(chosen)} (seed {seed})")
    result = run_gate(chosen, seed=seed, fail_on=fail_on, on_event=progress)
    _print_gate_table(result)
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / "junit.xml").write_text(gate_junit(result), encoding="utf-8")
        markdown = gate_markdown(result)
        (report_dir / "summary.md").write_text(markdown, encoding="utf-8")
        (report_dir / "report.json").write_text(gate_json(result), encoding="utf-8")
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            with open(summary_file, "a", encoding="utf-8") as fh:
                fh.write(markdown)
    except OSError as exc:
        raise ContractsError(f"cannot write reports ({exc.strerror})",
                             source=str(report_dir)) from None
    click.echo(f"reports: {report_dir}/junit.xml, summary.md, report.json")
    click.echo("gate passed" if result.passed else "gate FAILED")
    raise _Exit(result.exit_code)


@cli.command()
@click.option("--api", required=True, metavar="API",
              help="Bundled API name (upheal, heidi, eka, realtimekit) or a spec path.")
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
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(api: str, operation: str | None, status: int | None, fmt: str, strict: bool,
             fail_on: Severity, show_values: bool, files: tuple[Path, ...]) -> None:
    """Validate recorded traffic or single bodies against a spec.

    FILES are exchange logs (JSON Lines, see docs/exchange-log.md), HAR 1.2 files or VCR.py /
    pytest-recording cassettes; with --operation, each file is one JSON body.
    """
    from .corpus import validate_bodies, validate_corpus
    from .reporting import violations_json, violations_junit, violations_sarif, violations_text

    if status is not None and operation is None:
        raise click.UsageError("--status needs --operation")
    with _progress(files) as advance:
        if operation is not None:
            report = validate_bodies(api, operation, status, files, strict=strict,
                                     progress=advance)
        else:
            report = validate_corpus(api, files, strict=strict, progress=advance)
    if fmt == "json":
        sys.stdout.write(violations_json(report, show_values=show_values))
    elif fmt == "junit":
        sys.stdout.write(violations_junit(report, fail_on=fail_on, show_values=show_values))
    elif fmt == "sarif":
        sys.stdout.write(violations_sarif(report, show_values=show_values))
    else:
        sys.stdout.write(violations_text(report, show_values=show_values))
    if report.problems:
        first = report.problems[0]
        where = f"{first.source}:{first.line}" if first.line is not None else first.source
        sys.stderr.write(f"contracts: {len(report.problems)} unreadable input part(s); first: "
                         f"{where}: {first.message}\n")
    failed = bool(report.failing(fail_on))
    raise _Exit(EXIT_FINDINGS if failed else (EXIT_USAGE if report.problems else EXIT_OK))


class _progress:
    """A progress bar on stderr for long inputs (over ~5 MB), silent otherwise."""

    def __init__(self, files: tuple[Path, ...]):
        total = 0
        for f in files:
            try:
                total += f.stat().st_size
            except OSError:
                pass
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


def _print_gate_table(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="contracts gate")
    for column in ("stage", "case", "result", "summary"):
        table.add_column(column)
    for case in result.cases:
        mark = "[green]pass[/]" if case.passed else ("[red]error[/]" if case.error
                                                     else "[red]FAIL[/]")
        table.add_row(case.stage, case.name, mark, case.summary)
    Console(file=sys.stdout, width=120).print(table)
    for case in result.cases:
        if not case.passed:
            for f in case.findings:
                click.echo(f"  {case.name}: {f.location}: {f.severity.label}: {f.code}: "
                           f"{f.message}")


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
        sys.stderr.write(f"contracts: error: {exc}\n")
        return EXIT_USAGE
    except click.exceptions.Exit as exc:  # --help, --version
        return int(exc.exit_code or 0)
    except click.ClickException as exc:
        exc.show(file=sys.stderr)
        return EXIT_USAGE
    except click.exceptions.Abort:
        sys.stderr.write("contracts: aborted\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("contracts: interrupted\n")
        return 130
    except Exception as exc:
        if os.environ.get("CONTRACTS_DEBUG"):
            raise
        sys.stderr.write(f"contracts: internal error: {type(exc).__name__}: {exc} "
                         "(set CONTRACTS_DEBUG=1 for the traceback)\n")
        return EXIT_USAGE
    finally:
        sys.stdout, sys.stderr = old_out, old_err


def main() -> None:
    sys.exit(run())
