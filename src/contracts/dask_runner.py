"""Validation and traffic drift of a corpus on a Dask cluster: inputs (local paths, globs, or
fsspec URLs such as ``s3://bucket/logs/*.jsonl``) cut into blocks of lines, each block checked
on a worker by :func:`contracts.parallel.run_block`, the accumulators merged on the client.

Dask is optional (``pip install 'scribe-contracts[dask]'``); nothing here imports it at module
level.
"""

from __future__ import annotations

import contextlib
import glob
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .errors import InputError, UsageError
from .parallel import (
    Block,
    Job,
    SpecRef,
    block_size,
    empty,
    fold,
    input_format,
    run_block,
)

__all__ = ["INSTALL_HINT", "dask_client", "drift_on_dask", "expand_inputs", "validate_on_dask"]

INSTALL_HINT = "pip install 'scribe-contracts[dask]'"
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".har": "har", ".yaml": "vcr", ".yml": "vcr"}


def _is_url(name: str) -> bool:
    return "://" in name and not name.startswith("file://")


@contextlib.contextmanager
def dask_client(address: str) -> Iterator[Any]:
    """A client of the scheduler at ``address`` (``tcp://host:port``), or of an in-process
    cluster of one single-threaded worker process per core (``local``)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--scheduler needs Dask, which is not installed",
                         hint=f"install it with: {INSTALL_HINT}") from None
    if address == "local":
        from .parallel import default_jobs

        # On loopback, no dashboard: an in-process cluster is a private engine, not a service.
        # The scheduler serves its plain HTTP routes (health, metrics) even so, on 8787 when
        # given no address: a free loopback port instead, so two runs never collide.
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=default_jobs(), threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False})
        with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    if "://" not in address:
        raise UsageError(f"--scheduler {address!r} is not an address",
                         hint="give tcp://host:port of a Dask scheduler, or local")
    try:
        client = Client(address, timeout="10s")  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise InputError(f"cannot reach the Dask scheduler ({exc.__class__.__name__})",
                         source=address) from None
    with client:
        yield client


def expand_inputs(names: Sequence[str]) -> list[str]:
    """Local paths as given, local globs sorted, URLs (and their globs) through fsspec."""
    out: list[str] = []
    for name in names:
        if _is_url(name):
            import fsspec

            fs, _, paths = fsspec.core.get_fs_token_paths(name)
            found = sorted(fs.unstrip_protocol(p) for p in paths)
        elif glob.has_magic(name):
            found = sorted(glob.glob(name))
        else:
            found = [name]
        if not found:
            raise InputError("no file matches", source=name)
        out.extend(found)
    return out


def _blocks(names: Sequence[str], workers: int) -> list[Block]:
    sized: list[tuple[str, str, int]] = []
    for name in names:
        if _is_url(name):
            import fsspec

            fs, _, (path,) = fsspec.core.get_fs_token_paths(name)
            fmt = _SUFFIXES.get(Path(path).suffix.lower(), "jsonl")
            if fmt != "jsonl":
                raise UsageError(f"{name}: only JSON Lines logs are read from object storage",
                                 hint="copy HAR files and cassettes to a local disk")
            sized.append((name, fmt, int(fs.size(path))))
        else:
            fmt = input_format(Path(name), name)
            sized.append((name, fmt, Path(name).stat().st_size))
    size = block_size(sum(s for _, _, s in sized), workers)
    blocks: list[Block] = []
    for file, (name, fmt, total) in enumerate(sized):
        if fmt != "jsonl":
            blocks.append(Block(name, name, fmt, file))
            continue
        blocks.extend(Block(name, name, fmt, file, i, offset, size)
                      for i, offset in enumerate(range(0, total, size)))
    return blocks


def _run(client: Any, job: Job, names: Sequence[str]) -> Any:
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    blocks = _blocks(names, workers)
    [shared] = client.scatter([job], broadcast=True)
    futures = client.map(run_block, [shared] * len(blocks), blocks, pure=False)
    results = client.gather(futures)
    merged = fold(job, blocks, results)
    return empty(job) if merged is None else merged


def validate_on_dask(api: Any, names: Sequence[str], *, scheduler: str, strict: bool = False,
                     request_side: bool = True, accumulator: bool = False) -> Any:
    """:func:`contracts.corpus.validate_corpus` on a Dask cluster: the same report (with
    ``accumulator``, the merged :class:`~contracts.accumulate.CorpusAccumulator`)."""
    from .validation import validator_for

    spec = validator_for(api).spec if api is not None else None  # None: by each line's api
    with dask_client(scheduler) as client:
        files = expand_inputs(names)
        job = Job("validate", SpecRef.of(spec), tuple(files), strict=strict,
                  request_side=request_side)
        merged = _run(client, job, files)
        return merged if accumulator else merged.report()


def drift_on_dask(spec: Any, names: Sequence[str], *, scheduler: str,
                  collect_values: bool = False) -> Any:
    """:func:`contracts.drift.traffic_drift` over files on a Dask cluster: the same report."""
    from .drift.traffic import drift_report

    with dask_client(scheduler) as client:
        files = expand_inputs(names)
        job = Job("drift", SpecRef.of(spec), tuple(files), collect_values=collect_values)
        return drift_report(spec, _run(client, job, files), tuple(files))
