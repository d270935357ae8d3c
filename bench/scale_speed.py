"""One corpus on one core, on two worker processes (``--jobs 2``) and on a two-worker Dask
cluster (``--scheduler``), for ``contracts validate`` and ``contracts drift``, in one run.

Builds the 100,000-exchange RealtimeKit log of ``bench/drift_speed.py`` (recorded from the
bundled mock on loopback, one exchange in ten drifted) in a temporary folder, split into four
files. Each mode runs the real command (``contracts.cli.run``, JSON output to a file) in a
fresh subprocess, so that its peak memory is its own; the Dask cluster (a ``LocalCluster`` of
two single-threaded worker processes on 127.0.0.1) is started before the clock starts, as a
running cluster would be. Reported: wall seconds, exchanges per second, speed-up over one
process, CPU seconds of the driver and all its workers (the Dask workers' whole lives, start-up
included) and exchanges per CPU second (the per-core rate to size a cluster), peak RSS of the
driver and of the largest worker; the outputs of the three modes are
compared byte for byte.

The modes are interleaved round by round (``--rounds``, default 5); each row shows the median
over the rounds and, for the speed-up, the median of the per-round ratios with their range.
Every child runs as an installed tool does (``traffic_speed.installed_env``: its bytecode
written and read, a spec cache of its own), so that no mode recompiles our modules per run.

    python bench/scale_speed.py                     # 100,000 exchanges
    python bench/scale_speed.py --exchanges 20000 --kinds validate --rounds 3

Target (issue 19): ``--jobs 2`` at least 1.7x one process on this 2-core machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

API = "realtimekit"
MODES = ("single", "jobs2", "dask2")


def build(folder: Path, count: int, files: int = 4) -> list[Path]:
    sys.path.insert(0, str(Path(__file__).parent))
    from drift_speed import build_log

    whole = folder / "all.jsonl"
    build_log(whole, count)
    lines = whole.read_bytes().splitlines(keepends=True)
    whole.unlink()
    paths = []
    for i in range(files):
        path = folder / f"traffic-{i}.jsonl"
        path.write_bytes(b"".join(lines[i * len(lines) // files:(i + 1) * len(lines) // files]))
        paths.append(path)
    return paths


def peak_mib() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited across fork + exec
    from the bench's own 300 MB parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(mode: str, kind: str, out: str, files: list[str]) -> dict[str, Any]:
    """In a subprocess: run the command once in ``mode``; seconds and peak memory."""
    import resource

    from contracts.cli import run

    args = [kind, "--api", API, "--format", "json"]
    cluster: Any = None
    client: Any = None
    if mode == "dask2":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None,
                               scheduler_kwargs={"dashboard": False})
        client = Client(cluster)
        args += ["--scheduler", cluster.scheduler_address]
    else:
        args += ["--jobs", "1" if mode == "single" else "2"]
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    with open(out, "w", encoding="utf-8") as sink, open(out + ".err", "w") as errors:
        start = time.perf_counter()
        code = run([*args, *files], stdout=sink, stderr=errors)
        seconds = time.perf_counter() - start
    driver = peak_mib()
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime - cpu_before
    if client is not None:
        cpu += sum(client.run(time.process_time).values())
        peaks = client.run(peak_mib)
        worker = max(peaks.values())
        client.close()
        cluster.close()
    else:
        worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 \
            if mode == "jobs2" else driver
    return {"mode": mode, "code": code, "seconds": seconds, "cpu": cpu, "driver_mib": driver,
            "worker_mib": worker}


def _run(mode: str, kind: str, out: str, files: list[str], env: dict[str, str]
         ) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--measure", mode, kind, out, *files],
                          capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"{mode} {kind} failed:\n{done.stderr[-2000:]}")
    row: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if row["code"] not in (0, 1):  # 1: the corpus has violations, as it should
        raise SystemExit(f"{mode} {kind}: contracts exited {row['code']}")
    row["digest"] = hashlib.sha256(Path(out).read_bytes()).hexdigest()[:12]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=100_000)
    parser.add_argument("--kinds", default="validate,drift")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--measure", nargs="+", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.measure:
        mode, kind, out, *files = opts.measure
        print(json.dumps(measure(mode, kind, out, files)))
        return 0
    sys.path.insert(0, str(Path(__file__).parent))
    from traffic_speed import installed_env

    modes = opts.modes.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = [str(p) for p in build(folder, opts.exchanges)]
        env = installed_env(tmp)
        size = sum(Path(f).stat().st_size for f in files)
        print(f"{opts.exchanges:,} exchanges of {API} in {len(files)} files, "
              f"{size / 2**20:.0f} MiB; {opts.rounds} rounds, modes interleaved\n")
        print("| command | mode | seconds (median, range) | exchanges/s | speed-up (median of "
              "rounds, range) | CPU s | exchanges/CPU s | driver peak | worker peak | output |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for kind in opts.kinds.split(","):
            for mode in modes:  # one untimed run each: the bytecode and spec cache written
                _run(mode, kind, str(folder / "warm.json"), files, env)
            rows: dict[str, list[dict[str, Any]]] = {mode: [] for mode in modes}
            for _ in range(opts.rounds):
                for mode in modes:
                    rows[mode].append(_run(mode, kind, str(folder / f"{kind}-{mode}.json"),
                                           files, env))
            digests = {row["digest"] for runs in rows.values() for row in runs}
            base = rows[modes[0]]
            for mode in modes:
                runs = rows[mode]
                seconds = [r["seconds"] for r in runs]
                ups = [b["seconds"] / r["seconds"] for b, r in zip(base, runs, strict=True)]
                mid, cpu = median(seconds), median([r["cpu"] for r in runs])
                print(f"| {kind} | {mode} | {mid:.2f} ({min(seconds):.2f}-{max(seconds):.2f}) | "
                      f"{opts.exchanges / mid:,.0f} | **{median(ups):.2f}x** "
                      f"({min(ups):.2f}-{max(ups):.2f}) | "
                      f"{cpu:.1f} | {opts.exchanges / cpu:,.0f} | "
                      f"{max(r['driver_mib'] for r in runs):.0f} MiB | "
                      f"{max(r['worker_mib'] for r in runs):.0f} MiB | "
                      f"{runs[0]['digest']} |", flush=True)
            if len(digests) != 1:
                print(f"OUTPUTS DIFFER for {kind}: {sorted(digests)}")
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
