"""``--jobs N``: validate and drift split the corpus into blocks of lines (and whole HAR files),
check them in worker processes and merge; the output is byte-identical for any N, line numbers
included, and unreadable inputs fail up front as in one process."""

from __future__ import annotations

from pathlib import Path

import pytest

from _corpus import write_corpus, write_spec
from _support import CLI
from contracts.parallel import Block, block_items, plan_blocks, read_block


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("corpus")
    return write_spec(folder), write_corpus(folder)


def test_blocks_cover_every_line_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    lines = [f'{{"n": {i}, "pad": "{"y" * (i % 50)}"}}'.encode() for i in range(3000)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    for size in (1, 7, 100, 4096, 10**9):
        got: list[bytes] = []
        total = path.stat().st_size
        with path.open("rb") as fh:
            for offset in range(0, total, size):
                got.extend(x for x in read_block(fh, offset, size).split(b"\n") if x)
        assert got == lines, size


def test_line_numbers_survive_the_split(corpus: tuple[Path, list[Path]]) -> None:
    _, files = corpus
    log = files[0]
    blocks = plan_blocks([log], size=64 * 1024)
    assert len(blocks) > 3
    numbered: list[int] = []
    before = 0
    for block in blocks:
        items, lines = block_items(block)
        numbered.extend(before + i.line for i in items)
        before += lines
    assert numbered == list(range(1, len(log.read_bytes().splitlines()) + 1))


@pytest.mark.parametrize("command", ["validate", "drift"])
def test_any_number_of_jobs_gives_identical_output(corpus: tuple[Path, list[Path]], cli: CLI,
                                                    command: str) -> None:
    spec, files = corpus
    fmt = ["--format", "json"] + (["--show-values"] if command == "drift" else [])
    outputs = {}
    for jobs in (1, 2, 3):
        code, out, err = cli(command, "--api", str(spec), *fmt, "--jobs", str(jobs),
                             *map(str, files))
        outputs[jobs] = (code, out, err)
    code, out, err = outputs[1]
    assert code == 1 and "unreadable input part" in err and "extra.har" in out
    # Findings from late blocks of the last log keep their absolute line numbers.
    late = 'traffic-2.jsonl:6' if command == "drift" else '"line": 6'
    assert late in out
    assert outputs[1] == outputs[2] == outputs[3]


def test_jobs_with_a_missing_file_is_a_one_line_input_error(corpus: tuple[Path, list[Path]],
                                                            cli: CLI, tmp_path: Path) -> None:
    spec, files = corpus
    for jobs in ("1", "2"):
        code, _, err = cli("drift", "--api", str(spec), "--jobs", jobs, str(files[0]),
                             str(tmp_path / "nope.jsonl"))
        assert code == 2 and err.count("\n") == 1 and "no such file" in err, (jobs, err)


def test_jobs_and_scheduler_together_is_a_usage_error(corpus: tuple[Path, list[Path]],
                                                      cli: CLI) -> None:
    spec, files = corpus
    code, _, err = cli("validate", "--api", str(spec), "--jobs", "2", "--scheduler", "local",
                       str(files[0]))
    assert code == 2 and "not both" in err


def test_whole_file_block_reads_har(corpus: tuple[Path, list[Path]]) -> None:
    _, files = corpus
    [block] = plan_blocks([files[-1]])
    assert block == Block(str(files[-1]), str(files[-1]), "har", 0)
    items, lines = block_items(block)
    assert lines == 0 and len(list(items)) == 3


def test_a_mixed_vendor_recording_gives_identical_output_for_any_jobs(
        tmp_path: Path, cli: CLI) -> None:
    """Lines of another API are skipped and counted, and without --api each line is judged by
    the spec its ``api`` names, however many workers split the recording."""
    import json

    from test_validate_cli import _mixed_log

    one = Path(_mixed_log(tmp_path)).read_text(encoding="utf-8")
    log = tmp_path / "many.jsonl"
    log.write_text(one * 300, encoding="utf-8")
    assert log.stat().st_size > 3 * 64 * 1024  # several blocks for two or three workers
    runs = [("validate", "--api", "eka", "--format", "json"), ("validate", "--format", "json"),
            ("validate", "--api", "eka"), ("drift", "--api", "eka", "--format", "json")]
    for args in runs:
        outputs = {jobs: cli(*args, "--jobs", str(jobs), str(log)) for jobs in (1, 2, 3)}
        assert outputs[1] == outputs[2] == outputs[3], args
        code, out, err = outputs[1]
        assert code in (0, 1), (out, err)
        if args[0] == "drift":
            assert json.loads(out)["skipped"] == {"heidi": 300, "upheal": 300,
                                                  "realtimekit": 300}
        elif args[-1] == "json" and args[0] == "validate":
            data = json.loads(out)
            with_api = "--api" in args
            assert data["exchanges"] == (300 if with_api else 1200)
            assert data["skipped"] == ({"heidi": 300, "upheal": 300, "realtimekit": 300}
                                       if with_api else {})
        elif args[0] == "validate":
            assert "900 skipped (another API: heidi 300, upheal 300, realtimekit 300)" in out


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "sarif"])
def test_every_format_and_strict_mode_give_identical_output_for_any_jobs(
        corpus: tuple[Path, list[Path]], cli: CLI, fmt: str) -> None:
    """Blocks small enough that each worker gets several, so the fast path's per-process
    caches and the merge both take part; records, counts and unreadable parts in input order."""
    from contracts import parallel

    spec, files = corpus
    logs = [str(f) for f in files if f.suffix == ".jsonl"]
    before = parallel.MIN_BLOCK_BYTES
    parallel.MIN_BLOCK_BYTES = 16 * 1024
    try:
        for strict in ((), ("--strict",)):
            outputs = {jobs: cli("validate", "--api", str(spec), "--format", fmt, *strict,
                                 "--show-values", "--jobs", str(jobs), *logs)
                       for jobs in (1, 2, 3)}
            assert outputs[1] == outputs[2] == outputs[3], (fmt, strict)
            code, out, _ = outputs[1]
            assert code == 1 and out.count("traffic-2.jsonl") > 10
    finally:
        parallel.MIN_BLOCK_BYTES = before
