"""Per-call cost and strict mode, side by side in one run (issue 19's rows 1-5).

* strict mode (``strict=True``) against non-strict on the 124 KB Upheal body and the 519 B
  RealtimeKit body;
* the full ``validate_response`` on the 895 B Eka and 519 B RealtimeKit bodies against raw
  jsonschema-rs (``orjson.loads`` + ``is_valid`` of the same schema, compiled once): the
  difference is our fixed per-call cost;
* the full ``validate_response`` (invariants included) on the 124 KB Upheal body against
  ``orjson.loads`` of the same bytes.

Method: per-thread CPU time (``time.thread_time``). Every round gives each contender about
``--budget`` CPU seconds (50 ms by default), cut into slices taken in turn (A B C, B C A,
C A B, ...) so a burst of load from elsewhere on the machine lands on all of them alike; the
garbage collector is emptied before each round (it still runs inside the calls, as it does for
a user). A ratio is the median of the per-round ratios, shown as ``median [p25-p75]
(min-max)`` over the rounds.

    python bench/call_speed.py            # 31 rounds
    python bench/call_speed.py --quick    # 7 rounds
    python bench/call_speed.py --rounds 61 --budget 0.1   # a steadier figure, about 4 min
    python bench/call_speed.py --breakdown  # where the 124 KB row's time goes, step by step
"""

from __future__ import annotations

import argparse
import gc
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


def measure(fns: dict[str, Callable[[], Any]], *, rounds: int, budget: float = 0.05,
            slices: int = 5) -> dict[str, list[float]]:
    """CPU seconds of this thread per call of each function in every round.

    A round gives each function about ``budget`` seconds in ``slices`` turns; the order of the
    turns rotates, so no function always runs right after the same other one.
    """
    clock = time.thread_time
    names = list(fns)
    per_slice: dict[str, int] = {}
    for name, fn in fns.items():
        for _ in range(3):
            fn()  # warm up (compiles validators, fills caches)
        t0 = clock()
        n = 0
        while clock() - t0 < budget / slices:
            fn()
            n += 1
        per_slice[name] = max(1, int(n * (budget / slices) / max(clock() - t0, 1e-7)))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    enabled = gc.isenabled()
    try:
        for _ in range(rounds):
            gc.collect()
            gc.disable()  # as timeit does: a collection would land on one contender each round
            spent = dict.fromkeys(names, 0.0)
            for k in range(slices):
                for name in names[k % len(names):] + names[:k % len(names)]:
                    fn, n = fns[name], per_slice[name]
                    t0 = clock()
                    for _ in range(n):
                        fn()
                    spent[name] += clock() - t0
            gc.enable()
            for name in names:
                samples[name].append(spent[name] / (per_slice[name] * slices))
    finally:
        if enabled:
            gc.enable()
    return samples


def ratios(top: list[float], bottom: list[float]) -> tuple[float, float, float, float, float]:
    """(median, p25, p75, min, max) of the per-round ratios."""
    r = sorted(a / b for a, b in zip(top, bottom, strict=True))
    q1, _q2, q3 = statistics.quantiles(r, n=4) if len(r) > 1 else (r[0], r[0], r[0])
    return statistics.median(r), q1, q3, r[0], r[-1]


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
    med, q1, q3, lo, hi = ratios(samples[top], samples[bottom])
    scale = 1e6 if unit == "µs" else 1e3
    t_top, t_bottom = (statistics.median(samples[k]) * scale for k in (top, bottom))
    print(f"{label:<58} | {t_top:>8.2f}{unit} | {t_bottom:>8.2f}{unit} | {med:>5.2f}x "
          f"[{q1:.2f}-{q3:.2f}] ({lo:.2f}-{hi:.2f}) | {(t_top - t_bottom):>7.2f}{unit} | {target}")


def raw_engine(spec: Any, ref: str) -> Callable[[Any], bool]:
    """jsonschema-rs's own ``is_valid`` for the schema at ``ref``, compiled once."""
    import jsonschema_rs

    registry = jsonschema_rs.Registry([(uri, doc.data) for uri, doc in spec.resources.items()])
    return jsonschema_rs.Draft202012Validator(
        {"$ref": ref}, registry=registry, validate_formats=True,
        ignore_unknown_formats=True).is_valid


def breakdown(rounds: int, budget: float) -> None:
    """Where the 124 KB row's time goes, each step on top of the one before, on fresh parses
    (the order a call runs them in). For comparison, the engine's own ``is_valid`` of the
    whole schema. Then the path a call takes: the engine without the transcript's utterances
    (``items`` left out, see ``contracts._vouched``); the voucher's one read of every
    utterance and word (``invariants.upheal.vouch_utterances``); the timing proof on that
    read; every Upheal rule; the full ``validate_response``."""
    from urllib.parse import unquote

    from contracts.invariants import InvariantContext, rules_for_operation, upheal

    validator = Validator("upheal")
    big = body_of_size(124_000)
    _url, _raw, ref = example("upheal", "getSession", "200", "getSession-200-done")
    is_valid = raw_engine(validator.spec, ref)
    op = validator.spec.operation("getSession")
    voucher = upheal.VOUCHERS[("getSession", 200)]
    schema = validator.spec.locate(validator.spec.uri, unquote(ref.split("#", 1)[1]))
    reduced = validator._schemas.compile_without(schema, "response", voucher.node,
                                                 voucher.keyword).valid
    plan = validator._plan(op, 200, None)
    assert plan is not None and plan.vouched, "the Upheal voucher is not in use"
    loads = orjson.loads
    rules = rules_for_operation("upheal", "getSession")

    def vouched() -> None:
        body = loads(big)
        if not (reduced(body) and upheal.vouch_utterances(body, {})):
            raise AssertionError("not vouched")

    def proof() -> None:
        body, scratch = loads(big), {}
        plan.vouched(body, scratch)
        upheal._prove_timing_clean(body, scratch["upheal.read"])

    def every_rule() -> None:
        body, scratch = loads(big), {}
        plan.vouched(body, scratch)
        ctx = InvariantContext("upheal", "getSession", 200, body, {}, None, scratch)
        for rule in rules:
            for _found in rule(ctx):
                raise AssertionError(_found)

    s = measure({
        "orjson": lambda: loads(big),
        "engine": lambda: is_valid(loads(big)),
        "reduced": lambda: reduced(loads(big)),
        "vouched": vouched,
        "proof": proof,
        "rules": every_rule,
        "full": lambda: contracts.validate_response(validator, "GET", UPHEAL_URL, 200, big),
    }, rounds=rounds, budget=budget)
    print(f"{'124 KB Upheal body, step by step':<58} | {'step':>10} | {'loads':>10} | "
          f"{'ratio [p25-p75] (min-max)':>27} | {'over loads':>9} |")
    print("-" * 140)
    for label, name in (("loads + jsonschema-rs is_valid, whole schema (for comparison)",
                         "engine"),
                        ("loads + is_valid without the utterances", "reduced"),
                        ("  + the voucher's read of every utterance and word", "vouched"),
                        ("  + the timing proof on that read", "proof"),
                        ("  + every Upheal rule instead (the proof among them)", "rules"),
                        ("validate_response (all of it)", "full")):
        row(label, s, name, "orjson", "ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="7 rounds")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default 31)")
    parser.add_argument("--budget", type=float, default=0.05,
                        help="CPU seconds per contender per round (default 0.05)")
    parser.add_argument("--breakdown", action="store_true",
                        help="only where the 124 KB Upheal row's time goes, step by step")
    args = parser.parse_args()
    rounds = args.rounds or (7 if args.quick else 31)
    budget = args.budget
    if args.breakdown:
        breakdown(rounds, budget)
        return 0
    loads = orjson.loads

    print(f"{'row':<58} | {'ours':>10} | {'floor':>10} | {'ratio [p25-p75] (min-max)':>27} | "
          f"{'difference':>9} | target")
    print("-" * 140)

    upheal = Validator("upheal")
    upheal_schema = Validator("upheal", invariants=False)
    big = body_of_size(124_000)
    _url, _raw, upheal_ref = example("upheal", "getSession", "200", "getSession-200-done")
    upheal_valid = raw_engine(upheal.spec, upheal_ref)
    assert upheal_valid(loads(big))
    s = measure({
        "strict": lambda: contracts.validate_response(upheal, "GET", UPHEAL_URL, 200, big,
                                                      strict=True),
        "plain": lambda: contracts.validate_response(upheal, "GET", UPHEAL_URL, 200, big),
        "schema": lambda: contracts.validate_response(upheal_schema, "GET", UPHEAL_URL, 200,
                                                      big),
        "raw": lambda: upheal_valid(loads(big)),
        "orjson": lambda: loads(big),
    }, rounds=rounds, budget=budget)
    row(f"strict vs non-strict, Upheal {len(big):,} B", s, "strict", "plain", "ms", "<= 1.5x")
    row(f"validate_response vs orjson.loads, Upheal {len(big):,} B", s, "plain", "orjson", "ms",
        "<= 2x")
    row("  schema only (invariants=False) vs orjson.loads, Upheal", s, "schema", "orjson", "ms",
        "(no invariants)")
    row("  raw jsonschema-rs (loads + is_valid) vs loads, Upheal", s, "raw", "orjson",
        "ms", "(the engine's floor)")

    for api, operation, status, name in (
            ("realtimekit", "getSessionDetails", "200", "getSessionDetails-200"),
            ("eka", "getSession", "200", "getSession-200-completed")):
        validator = Validator(api)
        schema_only = Validator(api, invariants=False)
        url, raw, ref = example(api, operation, status, name)
        assert not list(validator.iter_response_violations("GET", url, 200, raw,
                                                           strict=True)), (api, "invalid")
        is_valid = raw_engine(validator.spec, ref)
        s = measure({
            "strict": lambda v=validator, u=url, b=raw: contracts.validate_response(
                v, "GET", u, 200, b, strict=True),
            "plain": lambda v=validator, u=url, b=raw: contracts.validate_response(
                v, "GET", u, 200, b),
            "schema": lambda v=schema_only, u=url, b=raw: contracts.validate_response(
                v, "GET", u, 200, b),
            "raw": lambda b=raw, is_valid=is_valid: is_valid(loads(b)),
        }, rounds=rounds, budget=budget)
        row(f"strict vs non-strict, {api} {len(raw)} B", s, "strict", "plain", "µs",
            "<= 1.5x")
        row(f"validate_response vs raw jsonschema-rs, {api} {len(raw)} B", s, "plain", "raw",
            "µs", "(invariants included)")
        row(f"  schema only (invariants=False) vs raw, {api}", s, "schema", "raw", "µs",
            "<= +2 µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
