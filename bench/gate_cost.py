"""The gate's cost on top of schemathesis, side by side in one run.

Starts the four mocks in one process over HTTP on 127.0.0.1 (`contracts mock all`), then
times, for each API and all four together:

- a bare ``schemathesis run specs/<api>.yaml --url <mock>`` with the same seed, number of
  examples, phases and bearer token;
- ``contracts gate --api <api> --live`` against the same mock (lint, model freshness,
  schemathesis suites with our conformance check, coverage, five reports), with
  schemathesis's own checks switched on as well (``--schemathesis-checks``) so both runs do
  the same schemathesis work.

    python bench/gate_cost.py [--max-examples 10] [--rounds 3]

Prints a table of median wall times and the gate's overhead in percent.
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


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          cwd=ROOT, check=False)
    return time.perf_counter() - t0, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=18931)
    args = parser.parse_args()
    st_bin = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    contracts_cmd = [sys.executable, "-m", "contracts"]
    proc, urls = start_mocks(args.port)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for api in (*APIS, "all"):
                apis = APIS if api == "all" else (api,)
                env = dict(os.environ)
                for a in apis:
                    env[f"CONTRACTS_{a.upper()}_BASE_URL"] = urls[a]
                    env[f"CONTRACTS_{a.upper()}_TOKEN"] = TOKEN
                bare, gate = [], []
                for _ in range(args.rounds):
                    total = 0.0
                    for a in apis:
                        seconds, _code = timed([
                            st_bin, "run", str(ROOT / "specs" / f"{a}.yaml"), "--url", urls[a],
                            "--seed", "0", "--max-examples", str(args.max_examples),
                            "-H", f"Authorization: Bearer {TOKEN}", "--no-color"], env)
                        total += seconds
                    bare.append(total)
                    seconds, _code = timed([
                        *contracts_cmd, "gate", *(x for a in apis for x in ("--api", a)),
                        "--live", "--allow-writes", "--rate-limit", "100000/s",
                        "--budget", "1000000", "--schemathesis-checks", "--seed", "0",
                        "--max-examples", str(args.max_examples), "--report-dir",
                        str(Path(tmp) / api)], env)
                    gate.append(seconds)
                b, g = statistics.median(bare), statistics.median(gate)
                rows.append((api, b, g, (g - b) / b * 100))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    print(f"{'api':>12} | {'schemathesis run':>16} | {'contracts gate':>14} | {'overhead':>8}")
    print("-" * 62)
    for api, b, g, pct in rows:
        print(f"{api:>12} | {b:>15.1f}s | {g:>13.1f}s | {pct:>+7.0f}%")
    print(f"(median of {args.rounds} rounds, --max-examples {args.max_examples}, seed 0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
