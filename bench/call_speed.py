"""Per-call cost and strict mode, side by side in one run (issue 19's rows 1-5).

* strict mode (``strict=True``) against non-strict on the 124 KB Upheal body and the 519 B
  RealtimeKit body;
* the full ``validate_response`` on the 895 B Eka and 519 B RealtimeKit bodies against raw
  jsonschema-rs (``orjson.loads`` + ``is_valid`` of the same schema, compiled once): the
  difference is our fixed per-call cost;
* the full ``validate_response`` (invariants included) on the 124 KB Upheal body against
  ``orjson.loads`` of the same bytes.

Method: per-thread CPU time (``time.thread_time``), the contenders take turns within every
round, each round filling about 20 ms per contender; the ratio is the median of the per-round
ratios, shown with its spread (min-max over the rounds).

    python bench/call_speed.py            # 31 rounds
    python bench/call_speed.py --quick    # 7 rounds
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).parent))

from validate_speed import URL as UPHEAL_URL
from validate_speed import body_of_size

import contracts
from contracts.validation import Validator


def measure(fns: dict[str, Callable[[], Any]], *, rounds: int, budget: float = 0.02
            ) -> dict[str, list[float]]:
    """CPU seconds of this thread per call of each function in every round, taking turns."""
    clock = time.thread_time
    inner: dict[str, int] = {}
    for name, fn in fns.items():
        for _ in range(3):
            fn()  # warm up (compiles validators, fills caches)
        t0 = clock()
        n = 0
        while clock() - t0 < budget / 4:
            fn()
            n += 1
        inner[name] = max(1, int(n * 4 * budget / max(clock() - t0, 1e-7) / 4))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            n = inner[name]
            t0 = clock()
            for _ in range(n):
                fn()
            samples[name].append((clock() - t0) / n)
    return samples


def ratios(top: list[float], bottom: list[float]) -> tuple[float, float, float]:
    """(median, min, max) of the per-round ratios."""
    r = [a / b for a, b in zip(top, bottom, strict=True)]
    return statistics.median(r), min(r), max(r)


def example(api: str, operation: str, status: str, name: str) -> tuple[str, bytes, str]:
    """(url, raw body, schema ref) of a spec example."""
    spec = contracts.load_spec(api)
    op = spec.operation(operation)
    media = spec.resolve(op.node.child("responses", status)).child("content",
                                                                    "application/json")
    url = op.path
    for param in ("session_id", "sessionId", "id", "peer_id", "participant_id", "account_id",
                  "app_id"):
        url = url.replace("{" + param + "}", "id-1")
    return url, orjson.dumps(media.value["examples"][name]["value"]), media.child("schema").ref


def row(label: str, samples: dict[str, list[float]], top: str, bottom: str, unit: str = "µs",
        target: str = "") -> None:
    med, lo, hi = ratios(samples[top], samples[bottom])
    scale = 1e6 if unit == "µs" else 1e3
    t_top, t_bottom = (statistics.median(samples[k]) * scale for k in (top, bottom))
    print(f"{label:<48} | {t_top:>9.2f}{unit} | {t_bottom:>9.2f}{unit} | {med:>6.2f}x "
          f"({lo:.2f}-{hi:.2f}) | {(t_top - t_bottom):>8.2f}{unit} | {target}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds = 7 if args.quick else 31
    import jsonschema_rs

    print(f"{'row':<48} | {'ours':>11} | {'floor':>11} | {'ratio (spread)':>20} | "
          f"{'difference':>10} | target")
    print("-" * 125)

    upheal = Validator("upheal")
    big = body_of_size(124_000)
    s = measure({
        "strict": lambda: contracts.validate_response(upheal, "GET", UPHEAL_URL, 200, big,
                                                      strict=True),
        "plain": lambda: contracts.validate_response(upheal, "GET", UPHEAL_URL, 200, big),
        "orjson": lambda: orjson.loads(big),
    }, rounds=rounds)
    row(f"strict vs non-strict, Upheal {len(big):,} B", s, "strict", "plain", "ms", "<= 1.5x")
    row(f"validate_response vs orjson.loads, Upheal {len(big):,} B", s, "plain", "orjson", "ms",
        "<= 2x")

    for api, operation, status, name in (
            ("realtimekit", "getSessionDetails", "200", "getSessionDetails-200"),
            ("eka", "getSession", "200", "getSession-200-completed")):
        validator = Validator(api)
        schema_only = Validator(api, invariants=False)
        url, raw, ref = example(api, operation, status, name)
        assert not list(validator.iter_response_violations("GET", url, 200, raw,
                                                           strict=True)), (api, "invalid")
        spec = validator.spec
        registry = jsonschema_rs.Registry([(uri, doc.data) for uri, doc in
                                           spec.resources.items()])
        raw_rs = jsonschema_rs.Draft202012Validator({"$ref": ref}, registry=registry,
                                                    validate_formats=True,
                                                    ignore_unknown_formats=True)
        is_valid = raw_rs.is_valid
        loads = orjson.loads
        s = measure({
            "strict": lambda v=validator, u=url, b=raw: contracts.validate_response(
                v, "GET", u, 200, b, strict=True),
            "plain": lambda v=validator, u=url, b=raw: contracts.validate_response(
                v, "GET", u, 200, b),
            "schema": lambda v=schema_only, u=url, b=raw: contracts.validate_response(
                v, "GET", u, 200, b),
            "raw": lambda b=raw, is_valid=is_valid, loads=loads: is_valid(loads(b)),
        }, rounds=rounds)
        row(f"strict vs non-strict, {api} {len(raw)} B", s, "strict", "plain", "µs",
            "<= 1.5x")
        row(f"validate_response vs raw jsonschema-rs, {api} {len(raw)} B", s, "plain", "raw",
            "µs", "(invariants included)")
        row(f"  schema only (invariants=False) vs raw, {api}", s, "schema", "raw", "µs",
            "<= +2 µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
