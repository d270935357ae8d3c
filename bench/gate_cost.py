"""The gate's cost on top of schemathesis, like for like, side by side in one run.

Starts the four mocks in one process over HTTP on 127.0.0.1 (`contracts mock all`), then
times, for each API:

- a bare ``schemathesis run specs/<api>.yaml --url <mock>`` with the same seed, number of
  examples, phases and bearer token (one process);
- ``contracts gate --api <api> --live`` against the same mock (lint, model freshness,
  schemathesis suites with our conformance check, coverage, five reports), with
  schemathesis's own checks switched on as well (``--schemathesis-checks``) so both runs do
  the same schemathesis work (one process).

Like for like: every timed command starts from a fresh mock (``POST /__contracts__/reset``
before it), so no side runs against state the other left behind; each side is one process
per API; exit codes are kept and shown (a row whose sides end differently, or in an error,
is flagged rather than averaged in silence); every cell shows the median and the spread
(min-max) over the rounds. The "all four" row is the sum of the per-API rows (the same
processes); the gate's one-process run over the four APIs is shown on its own line.

Also times the gate's fixed cost per API: ``contracts gate --api <api> --no-suites`` (start-up,
lint, models, reports; no requests).

    python bench/gate_cost.py [--max-examples 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
APIS = ("upheal", "heidi", "eka", "realtimekit")
TOKEN = "contracts-mock-token"


def start_mocks(port: int) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "-m", "contracts", "mock", "all", "--port",
                             str(port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    urls: dict[str, str] = {}
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while len(urls) < len(APIS) and time.monotonic() < deadline:
        line = proc.stdout.readline().decode().strip()
        name, _, url = line.partition(": ")
        if name in APIS:
            urls[name] = url
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/__contracts__/state", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return proc, urls


def auth_flags(api: str, url: str) -> list[str]:
    """The headers schemathesis sends, as the gate sends them: Heidi's calls take the JWT its
    ``GET /jwt`` answers for the key (the mock, like Heidi, refuses the key as Bearer), and
    ``GET /jwt`` the key in ``Heidi-Api-Key``; the other vendors the token as Bearer."""
    if api != "heidi":
        return ["-H", f"Authorization: Bearer {TOKEN}"]
    answer = httpx.get(url + "/jwt", headers={"Heidi-Api-Key": TOKEN}, timeout=10)
    answer.raise_for_status()
    return ["-H", f"Authorization: Bearer {answer.json()['token']}",
            "-H", f"Heidi-Api-Key: {TOKEN}"]


def reset(port: int) -> None:
    """Every vendor of the mock back to its start state (sessions, scenario, web-hooks)."""
    response = httpx.post(f"http://127.0.0.1:{port}/__contracts__/reset", json={}, timeout=10)
    response.raise_for_status()


def timed(cmd: list[str], env: dict[str, str], port: int | None) -> tuple[float, int]:
    if port is not None:
        reset(port)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          cwd=ROOT, check=False)
    return time.perf_counter() - t0, done.returncode


def cell(samples: list[float]) -> str:
    return (f"{statistics.median(samples):5.1f}s ({min(samples):.1f}-{max(samples):.1f})")


def codes(values: list[int]) -> str:
    return ",".join(str(c) for c in sorted(set(values)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=18931)
    args = parser.parse_args()
    st_bin = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    contracts_cmd = [sys.executable, "-m", "contracts"]
    proc, urls = start_mocks(args.port)
    bare: dict[str, list[float]] = {a: [] for a in APIS}
    gate: dict[str, list[float]] = {a: [] for a in (*APIS, "one process")}
    fixed: dict[str, list[float]] = {a: [] for a in APIS}
    exits: dict[tuple[str, str], list[int]] = {}
    env = dict(os.environ)
    for a in APIS:
        env[f"CONTRACTS_{a.upper()}_BASE_URL"] = urls[a]
        env[f"CONTRACTS_{a.upper()}_TOKEN"] = TOKEN

    def gate_cmd(apis: tuple[str, ...], out: Path) -> list[str]:
        return [*contracts_cmd, "gate", *(x for a in apis for x in ("--api", a)), "--live",
                "--allow-writes", "--rate-limit", "100000/s", "--budget", "1000000",
                "--schemathesis-checks", "--seed", "0", "--max-examples",
                str(args.max_examples), "--report-dir", str(out)]

    try:
        with tempfile.TemporaryDirectory() as tmp:
            for _round in range(args.rounds):
                for a in APIS:
                    seconds, code = timed([
                        st_bin, "run", str(ROOT / "specs" / f"{a}.yaml"), "--url", urls[a],
                        "--seed", "0", "--max-examples", str(args.max_examples),
                        *auth_flags(a, urls[a]), "--no-color"], env, args.port)
                    bare[a].append(seconds)
                    exits.setdefault((a, "bare"), []).append(code)
                    seconds, code = timed(gate_cmd((a,), Path(tmp) / a), env, args.port)
                    gate[a].append(seconds)
                    exits.setdefault((a, "gate"), []).append(code)
                    seconds, code = timed([*contracts_cmd, "gate", "--api", a, "--no-suites",
                                           "--report-dir", str(Path(tmp) / f"{a}-fixed")],
                                          env, None)
                    fixed[a].append(seconds)
                    exits.setdefault((a, "fixed"), []).append(code)
                seconds, code = timed(gate_cmd(APIS, Path(tmp) / "all"), env, args.port)
                gate["one process"].append(seconds)
                exits.setdefault(("one process", "gate"), []).append(code)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)

    print(f"{'api':>12} | {'schemathesis run':>20} | {'contracts gate':>20} | "
          f"{'overhead':>8} | {'exit (st / gate)':>16} | {'gate fixed cost':>20}")
    print("-" * 112)
    flagged = []
    for a in APIS:
        b, g = statistics.median(bare[a]), statistics.median(gate[a])
        ex = f"{codes(exits[(a, 'bare')])} / {codes(exits[(a, 'gate')])}"
        if set(exits[(a, "bare")]) != set(exits[(a, "gate")]) or (
                set(exits[(a, "bare")]) | set(exits[(a, "gate")])) - {0, 1}:
            flagged.append(a)
        print(f"{a:>12} | {cell(bare[a]):>20} | {cell(gate[a]):>20} | "
              f"{(g - b) / b * 100:>+7.0f}% | {ex:>16} | {cell(fixed[a]):>20}")
    round_bare = [sum(bare[a][i] for a in APIS) for i in range(args.rounds)]
    round_gate = [sum(gate[a][i] for a in APIS) for i in range(args.rounds)]
    b, g = statistics.median(round_bare), statistics.median(round_gate)
    print(f"{'all four':>12} | {cell(round_bare):>20} | {cell(round_gate):>20} | "
          f"{(g - b) / b * 100:>+7.0f}% | {'(sum of rows)':>16} |")
    one = gate["one process"]
    one_pct = (statistics.median(one) - b) / b * 100
    print(f"{'':>12}   gate over all four in one process: {cell(one)} "
          f"(exit {codes(exits[('one process', 'gate')])}), {one_pct:+.0f}% on the summed "
          "schemathesis runs")
    print(f"(median and min-max of {args.rounds} rounds, --max-examples {args.max_examples}, "
          "seed 0, a fresh mock before every command)")
    if flagged:
        print(f"exit codes differ between the sides, or a run errored: {', '.join(flagged)} "
              "(exit 1 = the run found failures; compare with care)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
