"""The gate command's parts (and ``diff --base``): progress, tables, reports, replay, live
targets. Adapter code, split from :mod:`contracts.cli` to keep each module one screenful."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from .errors import ContractsError, UsageError
from .findings import Severity

__all__ = ["configuration", "diff_base", "gate_replay", "live_targets", "parse_severity",
           "print_gate_table", "run_with_progress", "with_history", "write_gate_reports"]


def configuration(path: Path | None) -> Any:
    """The configuration file given, or found from the working folder upward (or none)."""
    from .config import Config, find_config, load_config

    found = path or find_config()
    return load_config(found) if found is not None else Config()


def parse_severity(value: str, flag: str) -> Severity:
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def with_history(result: Any, history: Path | None) -> Any:
    """Record the run in the history file (when one is kept) and print what is not passing."""
    if history is None or not result.suites:
        return result
    from dataclasses import replace

    from .gate_history import record_gate_run

    result = replace(result, trend=record_gate_run(history, result))
    for trend in result.trend:
        if trend.state != "pass":
            click.echo(f"history: {trend.name} {trend.state} since {trend.since} "
                       f"({trend.runs} run(s))")
    return result


def live_targets(chosen: Sequence[str], selection: Any, config: Any) -> dict[str, Any]:
    """Each API's live vendor: base URL from the environment (else the file), token from the
    environment only, path overrides from the file; a usage error naming what is missing."""
    from .gate import LiveTarget

    targets: dict[str, Any] = {}
    missing = []
    for api in chosen:
        if selection is not None and api in selection.not_run:
            continue  # nothing of it runs: no vendor to reach
        key = Path(api).stem.upper().replace("-", "_")
        configured = config.api(api)
        base_url = os.environ.get(f"CONTRACTS_{key}_BASE_URL") or (
            configured.base_url if configured else None)
        if not base_url:
            missing.append(f"CONTRACTS_{key}_BASE_URL")
            continue
        targets[api] = LiveTarget(
            base_url, os.environ.get(f"CONTRACTS_{key}_TOKEN"),
            path_prefix=configured.path_prefix if configured else None,
            paths=dict(configured.paths) if configured else {})
    if missing:
        raise click.UsageError(f"--live needs {', '.join(missing)} in the environment "
                               "(or base-url in the configuration file)")
    return targets


def gate_replay(apis: Sequence[str], seed: int, max_examples: int, operations: Sequence[str],
                 excluded: Sequence[str], phases: Sequence[str], budget: int | None, *,
                 live: bool, allow_writes: bool, schemathesis_checks: bool,
                 params: Sequence[str] = ()) -> str:
    """The command that runs the same requests again: the same APIs, seed, selection, phases,
    budget and checks.

    Only the APIs given are repeated (none: every bundled API), so that an API the selection
    left out stays out; patterns are shell-quoted (``'get*'``).
    """
    import shlex

    args = ["contracts", "gate"]
    for api in apis:
        args += ["--api", api]
    args += ["--seed", str(seed), "--max-examples", str(max_examples)]
    for pattern in operations:
        args += ["--operation", pattern]
    for pattern in excluded:
        args += ["--exclude-operation", pattern]
    if phases:
        args += ["--phases", ",".join(phases)]
    if budget is not None:
        args += ["--budget", str(budget)]
    for param in params:
        args += ["--param", param]
    args += ["--live"] if live else []
    args += ["--allow-writes"] if allow_writes else []
    args += ["--schemathesis-checks"] if schemathesis_checks else []
    return shlex.join(args)


def run_with_progress(job: Any) -> Any:
    """Run ``job(emit)`` with a rich status line on a terminal, plain lines otherwise."""
    if not sys.stderr.isatty():
        return job(lambda stage, message: sys.stderr.write(f"[{stage}] {message}\n"))
    from rich.console import Console

    console = Console(file=sys.stderr)
    with console.status("starting") as status:
        return job(lambda stage, message: status.update(f"[{stage}] {message}"))


def write_gate_reports(result: Any, report_dir: Path) -> list[Path]:
    from .reporting import gate_html, gate_json, gate_junit, gate_markdown, gate_sarif

    markdown = gate_markdown(result)
    outputs = {"junit.xml": gate_junit(result), "summary.md": markdown,
               "report.sarif": gate_sarif(result), "report.json": gate_json(result),
               "report.html": gate_html(result)}
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        for name, text in outputs.items():
            (report_dir / name).write_text(text, encoding="utf-8")
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            with open(summary_file, "a", encoding="utf-8") as fh:
                fh.write(markdown)
    except OSError as exc:
        raise ContractsError(f"cannot write reports ({exc.strerror})",
                             source=str(report_dir)) from None
    return [report_dir / name for name in outputs]


def print_gate_table(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ._text import terminal_safe

    table = Table(title="contracts gate")
    for column in ("stage", "case", "result", "summary"):
        table.add_column(column)
    passing_ops = 0
    not_run: dict[str, int] = {}
    for case in result.cases:
        if case.skipped and case.stage == "suites":
            not_run[case.skipped] = not_run.get(case.skipped, 0) + 1
            continue
        if case.passed and case.stage == "suites":
            passing_ops += 1
            continue
        mark = Text("skipped", style="yellow") if case.skipped else Text(
            "pass", style="green") if case.passed else Text(
            "error" if case.error else "FAIL", style="red")
        # names and summaries quote the traffic and the spec: Text keeps rich markup inert,
        # terminal_safe keeps control characters from driving the terminal
        table.add_row(case.stage, Text(terminal_safe(case.name)), mark,
                      Text(terminal_safe(case.summary)))
    if passing_ops:
        table.add_row("suites", f"{passing_ops} operation check(s)", Text("pass", style="green"),
                      "")
    if not_run:
        table.add_row("suites", f"{sum(not_run.values())} operation(s) not run",
                      Text("skipped", style="yellow"),
                      Text(terminal_safe("; ".join(f"{n}: {why}" for why, n in not_run.items()))))
    Console(file=sys.stdout, width=120).print(table)
    for case in result.cases:
        if case.passed and not (case.stage == "coverage" and case.violations):
            continue  # a passing coverage case may still carry not-proved warnings
        lines = [f"{f.location}: {f.severity.label}: {f.code}: {f.message}"
                 for f in case.findings]
        lines += [v.describe() for v in case.violations]
        lines += list(case.details)
        for line in lines:
            click.echo(terminal_safe(f"  {case.name}: {line}"))


def diff_base(ref: str, files: Sequence[str], fmt: str, fail_on: Severity) -> tuple[str, bool]:
    """``diff --base``: each file against its version at ``ref``; the text and whether a
    change at or above ``fail_on`` was found."""
    from ._git import file_at
    from .diff import diff_specs
    from .reporting import drift_github, drift_json, drift_markdown, drift_table
    from .specs import load_spec, spec_from_text

    texts, failed = [], False
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise UsageError(f"--base compares spec files: {name!r} is not a file")
        old_text = file_at(path, ref)
        if old_text is None:
            texts.append(f"{name}: new since {ref}, nothing to compare\n")
            continue
        current = load_spec(path)
        previous = spec_from_text(old_text, name=current.name, source=f"{ref}:{name}",
                                  folder=path.resolve().parent)
        result = diff_specs(previous, current)
        failed = failed or bool(result.failing(fail_on))
        render = {"markdown": drift_markdown, "json": drift_json,
                  "github": drift_github}.get(fmt)
        texts.append(render(result) if render else drift_table(result, color=False, width=160))
    return "".join(texts), failed
