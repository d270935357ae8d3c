"""Validation speed, side by side in one run: our full ``validate_response`` on raw bytes vs
``orjson.loads`` of the same bytes, python-jsonschema, and openapi-core's ``validate_response``.

Each call passes the response headers a vendor sends, so the content-type and header checks
run as they do on real traffic. Bodies: Upheal "Get session data" responses (the heaviest
payload of the four vendors: a transcript with words) of about 1 KB, 124 KB and 2 MB, built
from the spec's example by adding utterances, so every body is valid and satisfies the
invariants.

    python bench/validate_speed.py            # needs: pip install '.[bench]'
    python bench/validate_speed.py --quick    # fewer rounds

Prints one table; the figures in docs/benchmarks.md come from this script.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import orjson

import contracts
from contracts.validation import Validator

URL = "https://api.upheal.io/sessions/s-1"
# As the vendor sends them: with headers, the content-type check (and any documented header's
# check) runs; without, validation has no headers to judge and skips them.
HEADERS = {"content-type": "application/json; charset=utf-8", "content-length": "0",
           "date": "Fri, 04 Dec 2026 12:00:00 GMT", "x-request-id": "req-1"}


def body_of_size(target: int, *, overlapping: bool = False) -> bytes:
    """A valid body of about ``target`` bytes. ``overlapping``: each word ends after the next
    one starts (legal, but it defeats the timing rules' fast proof, so they walk every word:
    the worst case)."""
    spec = contracts.load_spec("upheal")
    op = spec.operation("getSession")
    media = spec.resolve(op.node.child("responses", "200")).child("content", "application/json")
    base = copy.deepcopy(media.value["examples"]["getSession-200-done"]["value"])
    words = ["patient", "reports", "feeling", "calmer", "this", "week", "after", "practising",
             "the", "breathing"]
    utterances = []
    t = 0
    i = 0
    body = base
    while True:
        speaker = "AB"[i % 2]
        start = t
        ws = []
        for w in words:
            ws.append({"text": w, "start": t, "end": t + (400 if overlapping else 300)})
            t += 350
        end = t + 50 if overlapping else t  # covers its last word
        utterances.append({"text": " ".join(words), "start": start, "end": end,
                           "speaker": speaker, "words": ws})
        i += 1
        if i % 16 == 0:
            body = dict(base)
            body["transcript"] = dict(base["transcript"], utterances=list(utterances))
            body["recordingDurationMs"] = t + 1000
            if len(orjson.dumps(body)) >= target:
                break
        if target < 4096 and i >= 2:  # speakers A and B, as the example's speakerMapping
            body = dict(base)
            body["transcript"] = dict(base["transcript"], utterances=list(utterances))
            body["recordingDurationMs"] = t + 1000
            break
    return orjson.dumps(body)


def measure(fns: dict[str, Callable[[], Any]], *, rounds: int, budget: float = 0.02
            ) -> dict[str, list[float]]:
    """Seconds per call of each function in every round, the functions taking turns.

    Taking turns (rather than all rounds of one, then all of the next) means a slower or
    busier stretch of the machine hits every contender alike, so the ratios are fair. Each
    round calls a function enough times to fill about ``budget`` seconds.
    """
    inner: dict[str, int] = {}
    for name, fn in fns.items():
        fn()  # warm up (compiles validators, fills caches)
        t0 = time.perf_counter()
        fn()
        inner[name] = max(1, int(budget / max(time.perf_counter() - t0, 1e-7)))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            n = inner[name]
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - t0) / n)
    return samples


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def ratio(top: list[float], bottom: list[float]) -> float:
    """The median of the per-round ratios: each pair was measured back to back, so a slow
    stretch of the machine cancels out of it (a ratio of the two medians would not)."""
    return statistics.median(a / b for a, b in zip(top, bottom, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds = 5 if args.quick else 31

    validator = Validator("upheal")
    schema_only = Validator("upheal", invariants=False)
    spec = validator.spec
    op = spec.operation("getSession")
    schema_ref = spec.resolve(op.node.child("responses", "200")).child(
        "content", "application/json", "schema")

    import jsonschema
    import referencing
    from referencing.jsonschema import DRAFT202012

    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (uri, DRAFT202012.create_resource(doc.data)) for uri, doc in spec.resources.items())
    pyjs = jsonschema.Draft202012Validator({"$ref": schema_ref.ref}, registry=registry,
                                           format_checker=jsonschema.FormatChecker())
    try:
        from openapi_core import OpenAPI
        from openapi_core.testing import MockRequest, MockResponse

        oac: Any = OpenAPI.from_dict(orjson.loads(orjson.dumps(spec.document)))
    except ImportError:
        oac = None
        print("openapi-core not installed: pip install '.[bench]' for that column",
              file=sys.stderr)

    print(f"{'body':>9} | {'orjson.loads':>12} | {'ours (full)':>12} | {'ratio':>6} | "
          f"{'schema only':>11} | {'ratio':>6} | {'py-jsonschema':>13} | {'openapi-core':>12} | "
          f"{'ours vs openapi-core':>20}")
    print("-" * 128)
    cases = (("1 KB", 1_000, False), ("124 KB", 124_000, False), ("2 MB", 2_000_000, False),
             ("124 KB*", 124_000, True))
    for label, size, overlapping in cases:
        raw = body_of_size(size, overlapping=overlapping)
        headers = {**HEADERS, "content-length": str(len(raw))}
        assert not list(validator.iter_response_violations("GET", URL, 200, raw,
                                                           headers=headers)), "invalid body"
        # The header checks are live: a wrong content type is reported.
        assert any(v.location == "response.content_type" or "content" in v.code
                   for v in validator.iter_response_violations(
                       "GET", URL, 200, raw, headers={**headers, "content-type": "text/plain"}))
        fast = measure({
            "orjson": lambda raw=raw: orjson.loads(raw),
            "ours": lambda raw=raw, h=headers: contracts.validate_response(
                validator, "GET", URL, 200, raw, headers=h),
            "schema": lambda raw=raw, h=headers: contracts.validate_response(
                schema_only, "GET", URL, 200, raw, headers=h),
        }, rounds=rounds)
        slow: dict[str, Callable[[], Any]] = {
            "pyjs": lambda raw=raw: pyjs.validate(orjson.loads(raw))}
        if oac is not None:
            req = MockRequest("https://api.upheal.io", "get", "/sessions/s-1")
            resp = MockResponse(raw, status_code=200, content_type="application/json")
            slow["oac"] = lambda req=req, resp=resp: oac.validate_response(req, resp)
        slow_t = measure(slow, rounds=max(3, rounds // 3))
        t_orjson, t_ours, t_schema = (median(fast[k]) for k in ("orjson", "ours", "schema"))
        t_pyjs = median(slow_t["pyjs"])
        t_oac = median(slow_t["oac"]) if "oac" in slow_t else float("nan")
        print(f"{label:>9} | {t_orjson * 1e6:>10.0f}µs | {t_ours * 1e6:>10.0f}µs | "
              f"{ratio(fast['ours'], fast['orjson']):>5.2f}x | {t_schema * 1e6:>9.0f}µs | "
              f"{ratio(fast['schema'], fast['orjson']):>5.2f}x | {t_pyjs * 1e6:>11.0f}µs | "
              f"{t_oac * 1e6:>10.0f}µs | {t_oac / t_ours:>19.0f}x"
              + f"   ({len(raw):,} bytes)")
    print("* overlapping words: legal, but the timing rules cannot prove them clean in one sort"
          " and check them one utterance at a time (the slower case)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
