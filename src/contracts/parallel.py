"""Validation and traffic drift of a corpus on every core: inputs cut into blocks of lines (a
JSON Lines file) or whole files (HAR, VCR), each block checked in a worker process, the
mergeable results folded together. The output is the same for any number of workers.

The same block reader and worker functions serve :mod:`contracts.dask_runner`.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:
    from .corpus import Record

__all__ = ["Block", "default_jobs", "drift_parallel", "iter_validate_parallel", "plan_blocks",
           "validate_parallel"]

MIN_BLOCK_BYTES = 64 * 1024
MAX_BLOCK_BYTES = 32 * 1024 * 1024
PARALLEL_FROM_BYTES = 4 * 1024 * 1024
"""Below this much input a default run stays in one process (a worker's start-up and spec
compilation cost more than they save)."""


def default_jobs() -> int:
    """The machine's cores (what ``--jobs`` means when not given)."""
    return os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class Block:
    """A part of one input: bytes ``[offset, offset + length)`` of a JSON Lines file, cut at
    line boundaries when read (a line belongs to the block it starts in), or (``length``
    None) a whole HAR file or VCR cassette. ``index`` is the block's place in its file."""

    path: str
    source: str
    fmt: str
    file: int = 0
    index: int = 0
    offset: int = 0
    length: int | None = None


def block_size(total: int, jobs: int) -> int:
    """About sixteen blocks per worker, so that the workers finish within a small block of
    each other, and the first results reach the parent (which renders them) early."""
    return max(MIN_BLOCK_BYTES, min(MAX_BLOCK_BYTES, total // max(1, jobs * 16) + 1))


def input_format(path: Path, source: str) -> str:
    """The format of a local input, with the checks (and errors) of a single-process read."""
    from .exchanges import exchange_format

    return exchange_format(path)


def plan_blocks(paths: Sequence[str | Path], size: int | None = None, jobs: int = 1
                ) -> list[Block]:
    """Cut local inputs into blocks; unreadable inputs raise InputError here, up front."""
    found = [(Path(p), str(p)) for p in paths]
    formats = [input_format(p, s) for p, s in found]
    if size is None:
        size = block_size(sum(p.stat().st_size for p, _ in found), jobs)
    blocks: list[Block] = []
    for file, ((path, source), fmt) in enumerate(zip(found, formats, strict=True)):
        if fmt != "jsonl":
            blocks.append(Block(str(path), source, fmt, file))
            continue
        total = path.stat().st_size
        blocks.extend(Block(str(path), source, fmt, file, i, offset, size)
                      for i, offset in enumerate(range(0, total, size)))
    return blocks


# -- reading a block ---------------------------------------------------------------------------


def _skip_line(fh: IO[bytes]) -> int:
    """Move past the end of the current line (in bounded chunks); the new position."""
    while True:
        chunk = fh.read(64 * 1024)
        if not chunk:
            return int(fh.tell())
        end = chunk.find(b"\n")
        if end >= 0:
            position = int(fh.tell()) - len(chunk) + end + 1
            fh.seek(position)
            return position


def read_block(fh: IO[bytes], offset: int, length: int) -> bytes:
    """The lines that start in ``[offset, offset + length)`` of a seekable binary file."""
    if offset > 0:
        fh.seek(offset - 1)
        start = _skip_line(fh)
    else:
        start = 0
    fh.seek(offset + length - 1)
    end = _skip_line(fh)
    if end <= start:
        return b""
    fh.seek(start)
    return bytes(fh.read(end - start))


def line_count(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def open_input(path: str) -> IO[bytes]:
    """A local path, or (with the matching fsspec backend installed) a URL such as s3://."""
    if "://" in path and not path.startswith("file://"):
        import fsspec

        return fsspec.open(path, "rb").open()  # type: ignore[no-any-return]
    return open(path.removeprefix("file://"), "rb")


def block_items(block: Block) -> tuple[Iterable[Any], int]:
    """The items of a block and its number of lines (0 for a whole file)."""
    if block.length is None:
        from .exchanges import read_exchanges

        return read_exchanges(block.path, format=block.fmt), 0
    with open_input(block.path) as fh:
        data = read_block(fh, block.offset, block.length)
    from .exchanges import exchanges_from_lines

    return (exchanges_from_lines(data, block.source, at_start=block.offset == 0),
            line_count(data))


# -- work in a worker ----------------------------------------------------------------------------

# Per process: the spec and what was compiled from it, keyed by a digest of its pickle, so a
# worker compiles a spec once however many blocks it is given.
_COMPILED: dict[tuple[str, str, bool], Any] = {}


@dataclass(frozen=True, slots=True)
class SpecRef:
    """A spec as a worker receives it: its pickle (a bundled spec: just its name) and digest."""

    digest: str
    data: bytes

    @classmethod
    def of(cls, spec: Any) -> SpecRef:
        data = pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL)
        return cls(hashlib.sha256(data).hexdigest(), data)

    def given(self, validator: Any) -> SpecRef:
        """Use ``validator`` (compiled from this spec) for "validate" in this process: the
        parent has compiled it already, and forked workers inherit it."""
        _COMPILED.setdefault((self.digest, "validate", False), validator)
        return self

    def compiled(self, what: str, flag: bool) -> Any:
        key = (self.digest, what, flag)
        hit = _COMPILED.get(key)
        if key not in _COMPILED:
            spec = pickle.loads(self.data)
            if what == "drift":
                from .drift.traffic import TrafficAnalyser

                hit = TrafficAnalyser(spec, flag)
            elif spec is not None:  # None: each exchange judged by the spec its api names
                from .validation import Validator

                hit = Validator(spec)
            _COMPILED[key] = hit
        return hit


@dataclass(frozen=True, slots=True)
class Job:
    """What each block is checked for: ``kind`` "validate" or "drift" and their options."""

    kind: str
    spec: SpecRef
    sources: tuple[str, ...]
    strict: bool = False
    request_side: bool = True
    collect_values: bool = False
    render: Callable[[list[Record]], Any] | None = None
    """With ``render``, a worker hands back its block's records rendered (see
    :meth:`contracts.accumulate.CorpusAccumulator.render_with`), not the records."""


def run_block(job: Job, block: Block) -> tuple[Any, int]:
    """Check one block; (its accumulator, its line count) or (the error text, -1)."""
    from .errors import ContractsError

    try:
        items, lines = block_items(block)
        if job.kind == "drift":
            from .drift.aggregate import Aggregator

            analyser = job.spec.compiled("drift", job.collect_values)
            analyser.agg = Aggregator(job.collect_values, job.sources)
            for item in items:
                analyser.add(item)
            return analyser.agg, lines
        from .accumulate import CorpusAccumulator

        validator = job.spec.compiled("validate", False)
        acc = CorpusAccumulator(job.sources).feed(validator, items, strict=job.strict,
                                                  request_side=job.request_side)
        if job.render is not None:
            acc.render_with(job.render)
        return acc, lines
    except ContractsError as exc:
        return str(exc), -1


def placed(ordered: Iterable[tuple[Block, tuple[Any, int]]]) -> Iterator[Any]:
    """Each block's accumulator (blocks in input order), its lines shifted by those of the
    blocks before it in its file; a block that could not be read raises its InputError."""
    before: dict[int, int] = {}
    for block, (acc, lines) in ordered:
        if lines < 0:
            raise InputError(str(acc))
        offset = before.get(block.file, 0)
        before[block.file] = offset + lines
        if offset:
            acc.shift(offset)
        yield acc


def fold(job: Job, blocks: Sequence[Block], results: Sequence[tuple[Any, int]]) -> Any:
    """Shift each block's lines by those of the blocks before it in its file, then merge."""
    merged: Any = None
    ordered = sorted(zip(blocks, results, strict=True), key=lambda br: (br[0].file, br[0].index))
    for acc in placed(ordered):
        merged = acc if merged is None else merged.merge(acc)
    return merged


def empty(job: Job) -> Any:
    if job.kind == "drift":
        from .drift.aggregate import Aggregator

        return Aggregator(job.collect_values, job.sources)
    from .accumulate import CorpusAccumulator

    return CorpusAccumulator(job.sources)


Mapper = Callable[[Job, Sequence[Block]], list[tuple[Any, int]]]


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """While the pool runs, the heap its forked workers inherit is left out of garbage
    collections (``gc.freeze``), in the parent and in the workers: a collection that walks
    those objects writes to their pages and makes each worker copy them."""
    import gc

    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _pool_map(jobs: int) -> Mapper:
    def run(job: Job, blocks: Sequence[Block]) -> list[tuple[Any, int]]:
        from concurrent.futures import ProcessPoolExecutor

        if jobs <= 1 or len(blocks) <= 1:
            return [run_block(job, b) for b in blocks]
        job.spec.compiled(job.kind, job.collect_values)  # forked workers inherit it compiled
        with _frozen_heap(), ProcessPoolExecutor(max_workers=min(jobs, len(blocks))) as pool:
            return list(pool.map(run_block, [job] * len(blocks), blocks))
    return run


def _pool_imap(jobs: int, job: Job, blocks: Sequence[Block]) -> Iterator[tuple[Any, int]]:
    """Each block's result in block order, as soon as it and those before it are done."""
    if jobs <= 1 or len(blocks) <= 1:
        yield from (run_block(job, b) for b in blocks)
        return
    from concurrent.futures import ProcessPoolExecutor

    job.spec.compiled(job.kind, job.collect_values)  # forked workers inherit it compiled
    with _frozen_heap(), ProcessPoolExecutor(max_workers=min(jobs, len(blocks))) as pool:
        yield from pool.map(run_block, [job] * len(blocks), blocks)


def run_job(job: Job, blocks: Sequence[Block], mapper: Mapper) -> Any:
    results = mapper(job, blocks)
    merged = fold(job, blocks, results)
    return empty(job) if merged is None else merged


def validate_parallel(api: Any, paths: Sequence[str | Path], *, jobs: int, strict: bool = False,
                      request_side: bool = True, block_bytes: int | None = None,
                      accumulator: bool = False) -> Any:
    """:func:`contracts.corpus.validate_corpus` on ``jobs`` processes: the same report (with
    ``accumulator``, the merged :class:`~contracts.accumulate.CorpusAccumulator`)."""
    blocks = plan_blocks(paths, block_bytes, jobs)
    job = Job("validate", _spec_ref(api), tuple(str(p) for p in paths), strict=strict,
              request_side=request_side)
    merged = run_job(job, blocks, _pool_map(jobs))
    return merged if accumulator else merged.report()


def _spec_ref(api: Any) -> SpecRef:
    """The spec of ``api`` for the workers (None: each line by the spec its api names), its
    validator the one this process has compiled already."""
    from .validation import validator_for

    if api is None:
        return SpecRef.of(None)
    validator = validator_for(api)
    return SpecRef.of(validator.spec).given(validator)


def iter_validate_parallel(api: Any, paths: Sequence[str | Path], *, jobs: int,
                           strict: bool = False, request_side: bool = True,
                           block_bytes: int | None = None,
                           render: Callable[[list[Record]], Any] | None = None
                           ) -> Iterator[Any]:
    """What :meth:`CorpusAccumulator.stream` yields for the merged result of
    :func:`validate_parallel`, streamed block by block as the workers finish them: the caller
    renders one block while the workers check the next, and memory holds the blocks in flight,
    not every record of the corpus. The same items in the same order: blocks are planned in
    input order, and every record or problem of a JSON Lines block has its line, so no entry
    of a later block sorts before one of an earlier block.

    With ``render`` (a picklable function of a block's records, in order), each block's
    records come as what it returns, rendered by the worker, its lines shifted here (see
    :meth:`CorpusAccumulator.render_with`): the parent then only writes text."""
    from .accumulate import CorpusAccumulator

    blocks = plan_blocks(paths, block_bytes, jobs)
    job = Job("validate", _spec_ref(api), tuple(str(p) for p in paths), strict=strict,
              request_side=request_side, render=render)
    total = CorpusAccumulator(job.sources)
    for acc in placed(zip(blocks, _pool_imap(jobs, job, blocks), strict=True)):
        yield from acc.entries()
        total.merge(acc.counts())
    yield from total.tail()


def drift_parallel(spec: Any, paths: Sequence[str | Path], *, jobs: int,
                   collect_values: bool = False, block_bytes: int | None = None) -> Any:
    """:func:`contracts.drift.traffic_drift` over files on ``jobs`` processes: the same report."""
    from .drift.traffic import drift_report

    sources = tuple(str(p) for p in paths)
    blocks = plan_blocks(paths, block_bytes, jobs)
    job = Job("drift", SpecRef.of(spec), sources, collect_values=collect_values)
    return drift_report(spec, run_job(job, blocks, _pool_map(jobs)), sources)
