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
