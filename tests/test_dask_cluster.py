"""On a real Dask cluster on loopback: a ``dask scheduler`` and two single-threaded ``dask
worker`` processes; ``contracts drift`` and ``contracts validate --scheduler tcp://...`` over a
multi-file corpus give the single-process report, byte for byte. Also ``--scheduler local``
with a glob, and the one-line hint when Dask is not installed."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from _corpus import write_corpus, write_spec
from _support import CLI

DASK = str(Path(sys.executable).parent / "dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("cluster-corpus")
    return write_spec(folder), write_corpus(folder)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler and two workers (one thread each) on 127.0.0.1, killed at the end."""
    from distributed import Client

    work = tmp_path_factory.mktemp("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = [open(work / f"{name}.log", "wb") for name in ("scheduler", "w1", "w2")]  # noqa: SIM115
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard", "--no-show"],
                              stdout=logs[0], stderr=subprocess.STDOUT, cwd=work)]
    try:
        for i in (1, 2):
            procs.append(subprocess.Popen(
                [DASK, "worker", address, "--nthreads", "1", "--nworkers", "1",
                 "--no-dashboard", "--no-nanny", "--host", "127.0.0.1",
                 "--local-directory", str(work / f"w{i}"), "--death-timeout", "60"],
                stdout=logs[i], stderr=subprocess.STDOUT, cwd=work))
        deadline = time.monotonic() + 90
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=max(1, deadline - time.monotonic()))
                    assert len(client.scheduler_info()["workers"]) == 2
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        for log in logs:
            log.close()


@pytest.mark.parametrize("command", ["drift", "validate"])
def test_cluster_report_is_the_single_process_report(command: str, cluster: str, cli: CLI,
                                                     corpus: tuple[Path, list[Path]]) -> None:
    spec, files = corpus
    fmt = ["--format", "json"] + (["--show-values"] if command == "drift" else [])
    single = cli(command, "--api", spec, *fmt, "--jobs", "1", *files)
    on_dask = cli(command, "--api", spec, *fmt, "--scheduler", cluster, *files)
    assert single[0] == 1 and '"exchanges": 2100' in single[1]
    assert on_dask == single


def test_cluster_ran_the_blocks_on_both_workers(cluster: str, corpus: tuple[Path, list[Path]]
                                                ) -> None:
    """The corpus is split into more blocks than workers and both workers take some."""
    from distributed import Client

    from contracts.dask_runner import _blocks
    from contracts.parallel import Job, SpecRef, run_block
    from contracts.specs import load_spec

    spec, files = corpus
    blocks = _blocks([str(f) for f in files], 2)
    assert len(blocks) >= 6
    job = Job("validate", SpecRef.of(load_spec(str(spec))), tuple(map(str, files)))
    with Client(cluster, timeout="10s") as client:
        futures = client.map(run_block, [job] * len(blocks), blocks, pure=False)
        client.gather(futures)
        where = client.who_has(futures)
        assert len({w for ws in where.values() for w in ws}) == 2


def test_local_cluster_with_a_glob(corpus: tuple[Path, list[Path]], cli: CLI) -> None:
    spec, files = corpus
    folder = files[0].parent
    single = cli("drift", "--api", spec, "--format", "json", "--jobs", "1",
                 *sorted(folder.glob("traffic-*.jsonl")))
    local = cli("drift", "--api", spec, "--format", "json", "--scheduler", "local",
                folder / "traffic-*.jsonl")
    assert single[0] == 1 and local == single


def test_the_local_cluster_listens_on_loopback_ports_of_its_own() -> None:
    # The scheduler serves plain HTTP routes even without a dashboard, on 8787 unless told
    # otherwise: with 8787 taken (as another cluster would take it) nothing is said about it.
    import warnings

    from contracts.dask_runner import dask_client

    with contextlib.ExitStack() as stack:
        holder = stack.enter_context(socket.socket())
        with contextlib.suppress(OSError):  # already taken by someone else: the same case
            holder.bind(("127.0.0.1", 8787))
            holder.listen()
        caught = stack.enter_context(warnings.catch_warnings(record=True))
        warnings.simplefilter("always")
        with dask_client("local") as client:
            info = client.scheduler_info()
    assert not [w for w in caught if "already in use" in str(w.message)], caught
    assert info["address"].startswith("tcp://127.0.0.1:"), info["address"]
    assert info["workers"] and all(a.startswith("tcp://127.0.0.1:") for a in info["workers"])
    assert info["services"] and 8787 not in info["services"].values(), info["services"]


def test_without_dask_the_flag_says_how_to_install_it(corpus: tuple[Path, list[Path]], cli: CLI,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    spec, files = corpus
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    code, out, err = cli("drift", "--api", spec, "--scheduler", "local", files[0])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "pip install 'scribe-contracts[dask]'" in err


def test_unreachable_scheduler_is_a_one_line_error(corpus: tuple[Path, list[Path]],
                                                   cli: CLI) -> None:
    spec, files = corpus
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connection refused
        code, _, err = cli("validate", "--api", spec, "--scheduler",
                           f"tcp://127.0.0.1:{port}", files[0])
    assert code == 2 and err.count("\n") == 1 and "Dask scheduler" in err
