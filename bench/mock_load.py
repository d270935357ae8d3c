"""Mock server load: ``contracts mock`` vs Stoplight Prism on the same spec, side by side.

Both serve RealtimeKit's "Fetch details of a session" (a GET session operation); a bounded
load generator (asyncio, raw keep-alive sockets, 32 connections, N seconds, on 127.0.0.1)
measures requests/s and p50/p99 latency; start-up time is spawn -> first 200; memory is the
resident set of the server process itself after the load.

Like for like: each server is the one process spawned. Prism runs under ``node`` directly
(its installed ``prism-cli`` entry script), not through ``npx``, whose own process and package
resolution would otherwise count towards Prism's start-up and memory. A server that has
child processes is flagged.

    python bench/mock_load.py                  # 5 s per server
    python bench/mock_load.py --seconds 10 --connections 32
    python bench/mock_load.py --prism-dir /tmp/prism   # where `npm install --prefix` put it
    python bench/mock_load.py --spec tests/data/oas30/pets-3.0.yaml --get /pets/1

With ``--spec`` both serve a user's spec (any OpenAPI 3.0/3.1 file; ours is the stateless
``contracts mock PATH``) and ``--get`` names the path loaded, without the server URL's path.

Install Prism with ``npm install --prefix /tmp/prism @stoplight/prism-cli``. Without it (or
without ``node``) a note is printed and only our mock is measured. Any non-200 answer under
load is counted and reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "realtimekit.yaml"
TOKEN = "contracts-mock-token"
APP = "/accounts/acc-bench/realtime/kit/app-bench/sessions"
PRISM_SESSION = "6f1c2a9e-3b7d-4c21-9e0a-5d8b7f4e2c11"  # the spec example's id


@dataclass
class Result:
    name: str
    startup_s: float
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    rss_mb: float
    requests: int
    unexpected: dict[int, int]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request_bytes(path: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Accept: application/json\r\n\r\n").encode()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in
               (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        parts = []
        while True:
            size = int((await reader.readline()).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            parts.append(chunk[:-2])
        body = b"".join(parts)
    else:
        body = b""
    return status, body


async def fetch_once(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request_bytes(path))
    await writer.drain()
    try:
        return await read_response(reader)
    finally:
        writer.close()


class _Client(asyncio.Protocol):
    """One keep-alive connection sending the next request as soon as an answer is complete.

    A Protocol (not streams) and uvloop when available keep the generator cheap enough that
    the server, not the generator, is what the numbers measure.
    """

    def __init__(self, payload: bytes, run: _Run):
        self.payload = payload
        self.run = run
        self.buffer = b""
        self.started = 0.0
        self.transport: Any = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._send()

    def _send(self) -> None:
        if time.perf_counter() >= self.run.stop_at:
            self.transport.close()
            return
        self.started = time.perf_counter()
        self.transport.write(self.payload)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            status = int(head.split(" ", 2)[1])
            self.buffer = self.buffer[total:]
            self.run.latencies.append(time.perf_counter() - self.started)
            if status != 200:
                self.run.unexpected[status] = self.run.unexpected.get(status, 0) + 1
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


@dataclass
class _Run:
    stop_at: float
    latencies: list[float]
    unexpected: dict[int, int]


async def _phase(port: int, payload: bytes, connections: int, seconds: float) -> _Run:
    run = _Run(time.perf_counter() + seconds, [], {})
    loop = asyncio.get_running_loop()
    clients = []
    for _ in range(connections):
        _transport, client = await loop.create_connection(
            lambda: _Client(payload, run), "127.0.0.1", port)
        clients.append(client)
    await asyncio.gather(*(c.closed for c in clients))
    return run


async def load(port: int, path: str, connections: int, seconds: float
               ) -> tuple[list[float], dict[int, int]]:
    payload = request_bytes(path)
    await _phase(port, payload, connections, 1.0)  # warm-up: caches, pools, connections
    run = await _phase(port, payload, connections, seconds)
    return run.latencies, run.unexpected


def run_async(coro: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of the process ``pid`` alone (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_ready(port: int, path: str, proc: subprocess.Popen[bytes], timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            status, _ = asyncio.run(fetch_once(port, path))
            if status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.005)
    raise RuntimeError("server did not answer 200 in time")


def measure(name: str, argv: list[str], port: int, probe: str, args: argparse.Namespace,
            target: Callable[[bytes], str] | None = None) -> Result:
    """Spawn, time until ``probe`` answers 200, then load ``target(probe body)`` (or probe)."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        startup = wait_ready(port, probe, proc, timeout=120)
        path = probe
        if target is not None:
            _status, body = asyncio.run(fetch_once(port, probe))
            path = target(body)
        latencies, unexpected = run_async(load(port, path, args.connections, args.seconds))
        rss = rss_mb(proc.pid)
        if children_of(proc.pid):
            print(f"note: {name} runs child processes; only the server process is measured",
                  file=sys.stderr)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    latencies.sort()
    return Result(name, startup, len(latencies) / args.seconds,
                  statistics.median(latencies) * 1000,
                  latencies[int(len(latencies) * 0.99) - 1] * 1000, rss, len(latencies),
                  unexpected)


def _server_path(spec: Path) -> str:
    sys.path.insert(0, str(ROOT / "src"))
    from contracts import load_spec

    server = next(iter(load_spec(spec).server_paths), "/")
    return "" if server == "/" else server


def ours(args: argparse.Namespace) -> Result:
    port = free_port()
    if args.spec is not None:
        argv = [sys.executable, "-m", "contracts", "mock", str(args.spec), "--port", str(port)]
        return measure("contracts mock", argv, port, _server_path(args.spec) + args.get, args)
    argv = [sys.executable, "-m", "contracts", "mock", "realtimekit", "--port", str(port),
            "--seed", "1"]
    listing = f"/client/v4{APP}"

    def first_session(body: bytes) -> str:
        return f"{listing}/{json.loads(body)['data']['sessions'][0]['id']}"

    return measure("contracts mock", argv, port, listing, args, first_session)


def prism_entry(prism_dir: str | None) -> Path | None:
    """prism-cli's entry script in an ``npm install --prefix`` folder or the global modules."""
    roots = [Path(prism_dir)] if prism_dir else [Path("/tmp/prism"), Path.home() / ".prism"]
    if not prism_dir and shutil.which("npm"):
        done = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip():
            roots.append(Path(done.stdout.strip()).parent)
    for root in roots:
        for modules in (root / "node_modules", root):
            package = modules / "@stoplight" / "prism-cli"
            if (package / "package.json").is_file():
                meta = json.loads((package / "package.json").read_text())
                binary = meta.get("bin")
                script = binary.get("prism") if isinstance(binary, dict) else binary
                if isinstance(script, str) and (package / script).is_file():
                    return package / script
    return None


def prism(args: argparse.Namespace) -> Result | None:
    node = shutil.which("node")
    entry = prism_entry(args.prism_dir)
    if node is None or entry is None:
        print("note: Prism is not measured: needs `node` and "
              "`npm install --prefix /tmp/prism @stoplight/prism-cli` (or --prism-dir)",
              file=sys.stderr)
        return None
    command = [node, str(entry)]
    port = free_port()
    # Quiet logging: Prism logs every request at "info", which costs it about half its
    # throughput; compare against Prism at its best.
    argv = [*command, "mock", "-p", str(port), "-h", "127.0.0.1", "--verboseLevel", "silent",
            str(args.spec or SPEC)]
    # Prism serves the spec's paths without the server URL's path.
    path = args.get if args.spec is not None else f"{APP}/{PRISM_SESSION}"
    try:
        return measure("Prism", argv, port, path, args)
    except RuntimeError as exc:
        print(f"note: Prism could not be measured: {exc}", file=sys.stderr)
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--prism-dir", default=None,
                        help="folder Prism was installed into with `npm install --prefix` "
                             "(default: /tmp/prism, ~/.prism, the global node_modules)")
    parser.add_argument("--no-prism", action="store_true")
    parser.add_argument("--spec", type=Path, default=None,
                        help="serve this user spec instead of RealtimeKit (both servers)")
    parser.add_argument("--get", default="/", help="with --spec: the path to load")
    args = parser.parse_args()
    results = [ours(args)]
    if not args.no_prism:
        other = prism(args)
        if other is not None:
            results.append(other)
    what = f"{args.spec.name} GET {args.get}" if args.spec else "RealtimeKit getSessionDetails"
    print(f"\n{what}, {args.connections} keep-alive connections, "
          f"{args.seconds:g} s, 127.0.0.1, {os.cpu_count()} CPUs\n")
    print(f"{'server':<16} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'start s':>8} "
          f"{'RSS MB':>8} {'non-200':>8}")
    for r in results:
        print(f"{r.name:<16} {r.requests_per_s:>9,.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
              f"{r.startup_s:>8.2f} {r.rss_mb:>8.1f} {sum(r.unexpected.values()):>8}")
    if len(results) == 2:
        a, b = results
        print(f"\nratio (ours / Prism): req/s {a.requests_per_s / b.requests_per_s:.2f}x, "
              f"start-up {a.startup_s / b.startup_s:.2f}x, memory {a.rss_mb / b.rss_mb:.2f}x")
    for r in results:
        if r.unexpected:
            print(f"{r.name}: non-200 answers {r.unexpected}")


if __name__ == "__main__":
    main()
