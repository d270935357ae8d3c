"""CLI plumbing for ``--jobs`` and ``--scheduler`` (validate, drift): which runner checks the
corpus. Returns None when the plain single-process path should run."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

__all__ = ["JOBS_HELP", "SCHEDULER_HELP", "choose_jobs", "scale_options", "scaled_drift",
           "scaled_validate"]

JOBS_HELP = ("Worker processes [default: the machine's cores; one process for inputs under "
             "4 MB]. The output is the same for any N.")
SCHEDULER_HELP = ("Run on Dask: tcp://host:port of a scheduler, or 'local' for an in-process "
                  "cluster; FILES may then be globs or fsspec URLs (s3://...). Needs "
                  "pip install 'scribe-contracts[dask]'.")


def choose_jobs(jobs: int | None, paths: Sequence[str]) -> int:
    from .parallel import PARALLEL_FROM_BYTES, default_jobs

    if jobs is not None:
        return jobs
    cores = default_jobs()
    total = 0
    for p in paths:
        with contextlib.suppress(OSError):
            total += Path(p).stat().st_size
    return cores if total >= PARALLEL_FROM_BYTES else 1


def _check(jobs: int | None, scheduler: str | None) -> None:
    if jobs is not None and scheduler is not None:
        raise click.UsageError("give --jobs or --scheduler, not both")


def scale_options(command: Any) -> Any:
    """``--jobs`` and ``--scheduler``, as validate and drift take them."""
    command = click.option("--scheduler", default=None, metavar="ADDRESS",
                           help=SCHEDULER_HELP)(command)
    return click.option("--jobs", type=click.IntRange(1), default=None, metavar="N",
                        help=JOBS_HELP)(command)


def scaled_validate(api: str | None, files: Sequence[str], operation: str | None, strict: bool,
                    jobs: int | None, scheduler: str | None, render: Any = None) -> Any:
    """The items to render (records, problems, skipped counts, the exchange count, in input
    order) from Dask or a process pool, or None for the single-process path (always for
    --operation bodies). With ``render``, a pool's workers render their records with it."""
    if operation is not None and scheduler is not None:
        raise click.UsageError("--scheduler works on recorded traffic, not --operation bodies")
    _check(jobs, scheduler)
    if operation is not None:
        return None
    if scheduler is not None:
        from .dask_runner import validate_on_dask

        return validate_on_dask(api, files, scheduler=scheduler, strict=strict,
                                accumulator=True).stream()
    n = choose_jobs(jobs, files)
    if n <= 1:
        return None
    from .parallel import iter_validate_parallel

    return iter_validate_parallel(api, files, jobs=n, strict=strict, render=render)


def scaled_drift(spec: Any, corpus: Sequence[str], *, collect: bool, jobs: int | None,
                 scheduler: str | None) -> Any:
    """A TrafficReport from Dask or a process pool, or None for the single-process path."""
    _check(jobs, scheduler)
    if scheduler is not None:
        from .dask_runner import drift_on_dask

        return drift_on_dask(spec, corpus, scheduler=scheduler, collect_values=collect)
    n = choose_jobs(jobs, corpus)
    if n <= 1:
        return None
    from .parallel import drift_parallel

    return drift_parallel(spec, corpus, jobs=n, collect_values=collect)
