"""How the CLI fails: an internal crash is exit 3 with one line asking for a report (the
traceback only with ``CONTRACTS_DEBUG=1``), an output that cannot be written is one line and
exit 2, a closed pipe is quiet, and click's usage errors are one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import contracts.speclint
from _support import CLI
from contracts.cli import EXIT_INTERNAL, EXIT_USAGE
from contracts.errors import InputError

HERE = Path(__file__).parent
CORPUS = HERE / "data" / "exchanges" / "sample.jsonl"


def _boom(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("a bug in the tool with /secret/path in its message")


def test_an_internal_crash_exits_3_with_one_line(cli: CLI, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    monkeypatch.delenv("CONTRACTS_DEBUG", raising=False)
    monkeypatch.setattr(contracts.speclint, "lint", _boom)
    code, _out, err = cli("lint", "upheal")
    assert code == EXIT_INTERNAL == 3
    assert len(err.strip().splitlines()) == 1, err
    assert "internal error (RuntimeError)" in err and "report" in err
    assert "CONTRACTS_DEBUG=1" in err and "Traceback" not in err


def test_contracts_debug_shows_the_traceback(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTRACTS_DEBUG", "1")
    monkeypatch.setattr(contracts.speclint, "lint", _boom)
    code, _out, err = cli("lint", "upheal")
    assert code == EXIT_INTERNAL
    assert "Traceback (most recent call last)" in err and "RuntimeError" in err
    assert err.strip().splitlines()[-1].startswith("contracts: internal error (RuntimeError)")


def test_an_input_error_is_still_exit_2(cli: CLI, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: [", "utf-8")
    code, _out, err = cli("lint", bad)
    assert code == EXIT_USAGE and "internal error" not in err
    assert len(err.strip().splitlines()) == 1


def test_exit_codes_are_documented() -> None:
    readme = (HERE.parent / "README.md").read_text("utf-8")
    assert "| 3 |" in readme and "CONTRACTS_DEBUG=1" in readme
    out = subprocess.run([sys.executable, "-m", "contracts", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "3 internal error" in " ".join(out.split())


def test_input_error_keeps_line_and_pointer_as_fields() -> None:
    exc = InputError("too deep", source="spec.yaml", line=7, pointer="/paths/~1x", hint="flatten")
    assert (exc.message, exc.source, exc.line, exc.pointer) == (
        "too deep", "spec.yaml", 7, "/paths/~1x")
    assert str(exc) == "spec.yaml:7: too deep at /paths/~1x (flatten)"
    assert str(InputError("empty", source="a.json")) == "a.json: empty"
    assert str(InputError("empty", line=3)) == "empty"


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [("lint", "upheal"), ("lint", "--format", "json", "eka"),
                                  ("validate", "--api", "eka", str(CORPUS))])
def test_a_full_disk_on_stdout_is_one_line_and_exit_2(args: tuple[str, ...]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CONTRACTS_DEBUG"}
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "contracts", *args], stdout=full,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    assert proc.returncode == EXIT_USAGE, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "cannot write the output: No space left on device" in lines[0]
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_a_closed_pipe_ends_quietly() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "contracts", "lint", "--format", "json",
                             "upheal", "heidi", "eka", "realtimekit"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the tool (still importing) has written a byte
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert err == "", err
    assert proc.returncode == 141


@pytest.mark.parametrize(("args", "says"), [
    (("drift", "--api", "eka", "--output", "{tmp}", str(CORPUS)), "is a directory"),
    (("gate", "--report-dir", str(CORPUS)), "is a file"),
    (("lint", "--no-such-option"), "No such option"),
])
def test_click_usage_errors_are_one_line(cli: CLI, tmp_path: Path, args: tuple[str, ...],
                                         says: str) -> None:
    code, _out, err = cli(*(a.format(tmp=tmp_path) for a in args))
    assert code == EXIT_USAGE
    assert len(err.strip().splitlines()) == 1, err
    assert says in err and "--help" in err
