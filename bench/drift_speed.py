"""Traffic drift speed and memory vs plain validation of the same log, in one run.

Builds a synthetic JSON Lines log of 100,000 Cloudflare RealtimeKit exchanges (the vendor with
list answers, so the most body to walk per exchange) in a temporary folder: a scripted tour of
every operation is recorded from the bundled mock on loopback, once plain and once with every
drift kind, and the log repeats those exchanges (one in ten drifted) with a new time on each.
Then, each in a fresh subprocess so that peak RSS is its own:

* plain validation: ``contracts.corpus.validate_corpus`` (what ``contracts validate`` runs);
* drift: ``contracts.drift.traffic_drift`` over ``read_exchanges`` (what ``contracts drift``
  runs);

each timed without tracing (exchanges/s, peak RSS of the process and its growth during the
timed run), then run again under tracemalloc on the first tenth and on the whole log (peak
traced memory: flat means constant memory; RSS hides small growth, as freed import-time memory
is reused).

    python bench/drift_speed.py                 # 100,000 exchanges
    python bench/drift_speed.py --exchanges 20000 --keep /tmp/log.jsonl

Target: drift streams in constant memory at no less than a third of plain validation's speed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

API = "realtimekit"


def _tour(drift: str, requests: list[Any] | None = None) -> list[Any]:
    """Every operation of the API over real HTTP on loopback; with ``requests``, replay them."""
    import httpx

    from contracts.mock import DEFAULT_TOKEN, MockServer, app

    app_path = "/client/v4/accounts/acc-0001/realtime/kit/app-0001/sessions"
    log: list[Any] = []

    def record(response: httpx.Response) -> None:
        response.read()
        log.append(response)

    with MockServer(app(API, drift=drift)) as server, httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
            event_hooks={"response": [record]}) as c:
        if requests is not None:
            for r in requests:
                c.request(r.method, r.url.raw_path.decode(), content=r.content)
            return log
        listing = c.get(app_path, params={"per_page": 10}).json()["data"]["sessions"]
        c.get(app_path, params={"status": "LIVE"})
        for session in listing[:4]:
            sid = session["id"]
            c.get(f"{app_path}/{sid}")
            pid = c.get(f"{app_path}/{sid}/participants").json()["data"]["participants"][0]["id"]
            c.get(f"{app_path}/{sid}/participants/{pid}")
            c.get(f"{app_path}/{sid}/chat")
            c.get(f"{app_path}/{sid}/transcript")
            c.post(f"{app_path}/{sid}/summary")
            c.get(f"{app_path}/{sid}/summary")
            c.get(f"{app_path}/peer-report/{pid}", params={"filters": "device_info"})
        c.get(f"{app_path}/00000000-0000-4000-8000-000000000000")
    return log


def build_log(path: Path, count: int) -> int:
    import orjson

    from contracts.exchanges import Exchange, exchange_to_record

    plain = _tour("")
    drifted = _tour("all", [r.request for r in plain])
    records = []
    for r in plain + drifted:
        records.append(exchange_to_record(Exchange(
            r.request.method, str(r.request.url), r.status_code, dict(r.request.headers),
            r.request.content or None, dict(r.headers), r.content)))
    with path.open("wb") as fh:
        for i in range(count):
            # one in ten from the drifting run, the rest plain
            source = records[len(plain) + i % len(drifted)] if i % 10 == 9 else \
                records[i % len(plain)]
            record = dict(source, time=f"2026-01-{1 + i * 30 // count:02d}T"
                                        f"{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:"
                                        f"{i % 60:02d}Z")
            fh.write(orjson.dumps(record) + b"\n")
    return path.stat().st_size


def measure(mode: str, path: str, traced: int) -> dict[str, Any]:
    """Run in a subprocess: time one mode, then its tracemalloc peak on ``traced`` lines."""
    import itertools
    import resource
    import tracemalloc

    from contracts.corpus import validate_corpus
    from contracts.drift import traffic_drift
    from contracts.exchanges import read_exchanges
    from contracts.specs import load_spec

    spec = load_spec(API)

    def run(limit: int | None) -> int:
        if mode == "validate":
            if limit is None:
                return validate_corpus(spec, [path]).exchanges
            head = Path(path).with_suffix(f".head{limit}.jsonl")
            if not head.exists():
                with open(path, "rb") as src, head.open("wb") as dst:
                    dst.writelines(itertools.islice(src, limit))
            return validate_corpus(spec, [head]).exchanges
        items = read_exchanges(path)
        if limit is not None:
            items = itertools.islice(items, limit)
        return traffic_drift(spec, items, sources=[path]).exchanges

    run(200)  # warm up: compile the schemas once, as a long run would
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kB
    start = time.perf_counter()
    exchanges = run(None)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    run(traced)
    _current, peak_part = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    run(None)
    _current, peak_all = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"mode": mode, "exchanges": exchanges, "seconds": seconds, "rss": rss,
            "rss_growth": rss - before,
            "traced_part": peak_part, "traced_all": peak_all}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the log here (default: a temp dir)")
    parser.add_argument("--measure", nargs=3, metavar=("MODE", "PATH", "TRACED"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        mode, path, traced = args.measure
        print(json.dumps(measure(mode, path, int(traced))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "traffic.jsonl"
        size = build_log(path, args.exchanges)
        print(f"log: {args.exchanges:,} {API} exchanges, {size / 1e6:.1f} MB ({path})")
        results = {}
        for mode in ("validate", "drift"):
            out = subprocess.run([sys.executable, __file__, "--measure", mode, str(path),
                                  str(max(args.exchanges // 10, 1))],
                                 capture_output=True, text=True, check=True).stdout
            results[mode] = json.loads(out.strip().splitlines()[-1])
    plain, drift = results["validate"], results["drift"]
    part = max(args.exchanges // 10, 1)
    print(f"{'':20}{'exchanges/s':>13}{'peak RSS':>11}{'RSS growth':>12}"
          f"{f'traced {part:,}':>15}{f'traced {args.exchanges:,}':>17}")
    for name, r in (("plain validation", plain), ("traffic drift", drift)):
        print(f"{name:20}{r['exchanges'] / r['seconds']:>13,.0f}{r['rss'] / 1e6:>9.1f}MB"
              f"{r['rss_growth'] / 1e6:>10.1f}MB{r['traced_part'] / 1e6:>13.2f}MB"
              f"{r['traced_all'] / 1e6:>15.2f}MB")
    ratio = (drift["exchanges"] / drift["seconds"]) / (plain["exchanges"] / plain["seconds"])
    print(f"drift / plain throughput: {ratio:.2f} (target >= 0.33)")


if __name__ == "__main__":
    main()
