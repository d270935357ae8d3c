"""``contracts validate``: recorded traffic or single bodies against a spec (imported only
when that command runs, as each command's module is)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from ._cli_errors import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    CommandExit,
    severity_option,
)
from ._cli_scale import scale_options, scaled_validate
from .findings import Severity

__all__ = ["progress", "validate"]


@click.command()
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
@click.option("--fail-on", default="error", show_default=True, callback=severity_option,
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
    from .reporting.stream import renderer, write_violations

    files = tuple(Path(n) for n in names)
    scaled = scaled_validate(api, names, operation, strict, jobs, scheduler,
                             renderer(fmt, show_values=show_values))
    with progress(files if scaled is None else ()) as advance:
        advance = None if advance is _silent else advance  # no call per exchange for nothing
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
    raise CommandExit(EXIT_FINDINGS if failed else (EXIT_USAGE if problems else EXIT_OK))


def _silent(n: int) -> None:
    """What :class:`progress` advances when it shows no bar: nothing."""


class progress:
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
            return _silent
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
