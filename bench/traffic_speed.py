"""Recorded traffic per core: ``contracts validate`` and ``contracts drift`` against a
hand-rolled loop, side by side in one run (issue 19's rows 6-8).

The log: 100,000 RealtimeKit exchanges generated at run time from the bundled mock's bodies
(``drift_speed.build_log``: a scripted tour recorded over loopback, one exchange in ten from
the drifting mock). The floor, :func:`loop`: about 40 lines of orjson, one regex per route and
``jsonschema_rs.is_valid`` on each response body, flagging the bodies that break the schema;
the bench checks that ``contracts validate`` flags the same exchanges.

Each contender runs as its own process (``python -m contracts ...`` and ``python
traffic_speed.py --loop``), the three taking turns in every round; CPU time is the child's user
+ system time (``os.wait4``), so start-up is included for all three alike, and peak RSS is the
child's. Ratios are medians of per-round ratios, with their spread.

    python bench/traffic_speed.py                      # 100,000 exchanges, 3 rounds
    python bench/traffic_speed.py --exchanges 20000 --rounds 5
    python bench/traffic_speed.py --only startup --startup-rounds 31   # the start-up row only
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

API = "realtimekit"


def loop(path: str) -> int:
    """The hand-rolled floor: how many exchanges have a response body that breaks its schema."""
    import re
    from urllib.parse import quote

    import jsonschema_rs
    import orjson
    import yaml

    from contracts.specs import bundled_path

    spec = yaml.safe_load(bundled_path(API).read_text())
    registry = jsonschema_rs.Registry([("urn:spec", spec)])
    prefix = re.sub(r"https?://[^/]+", "", spec["servers"][0]["url"]).rstrip("/")
    routes: dict[tuple[str, re.Pattern[str]], dict[int, object]] = {}
    for template, item in spec["paths"].items():
        pattern = re.compile(re.escape(prefix) + re.sub(r"\\\{[^}]+\\\}", "[^/]+",
                                                         re.escape(template)) + r"\Z")
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue
            for status, response in (op.get("responses") or {}).items():
                if "$ref" in response:  # #/components/responses/<name>
                    response = spec["components"]["responses"][response["$ref"].split("/")[-1]]
                content = (response.get("content") or {}).get("application/json")
                if content and "schema" in content and status.isdigit():
                    ref = "urn:spec#" + quote(
                        f"/paths/{template.replace('~', '~0').replace('/', '~1')}/{method}"
                        f"/responses/{status}/content/application~1json/schema", safe="/~")
                    validator = jsonschema_rs.validator_for(
                        {"$ref": ref}, registry=registry, validate_formats=True,
                        ignore_unknown_formats=True)
                    routes.setdefault((method.upper(), pattern), {})[int(status)] = \
                        validator.is_valid
    flagged = 0
    with open(path, "rb") as fh:
        for line in fh:
            record = orjson.loads(line)
            request, response = record["request"], record.get("response") or {}
            target = request["url"].split("://", 1)[-1]
            target = ("/" + target.split("/", 1)[1] if "/" in target else "/").split("?", 1)[0]
            method, status = request["method"].upper(), response.get("status")
            for (route_method, pattern), bodies in routes.items():
                if route_method == method and pattern.match(target):
                    # an undocumented 2xx owes the body of its class's documented status
                    is_valid = bodies.get(status) or next(
                        (v for k, v in sorted(bodies.items()) if k // 100 == status // 100
                         and status // 100 == 2), None)
                    body = response.get("body")
                    if "body_text" in response:
                        try:
                            body = orjson.loads(response["body_text"])
                        except orjson.JSONDecodeError:
                            flagged += 1
                            break
                    if is_valid is not None and body is not None and not is_valid(body):
                        flagged += 1
                    break
    return flagged


def run(argv: list[str], env: dict[str, str] | None = None,
        codes: tuple[int, ...] = (0, 1)) -> tuple[float, float, str]:
    """(CPU seconds, peak RSS in MB, stdout) of a child process (its workers included); an
    exit code outside ``codes`` stops the bench."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        out.seek(0)
        text = out.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code not in codes:
        raise SystemExit(f"{' '.join(argv)} exited {code}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text


def installed_env(tmp: str) -> dict[str, str]:
    """The environment of an installed tool: bytecode written and read (pip compiles a wheel
    at install; this machine sets PYTHONDONTWRITEBYTECODE, which would recompile our modules
    on every run) and a spec cache of its own."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPYCACHEPREFIX=str(Path(tmp) / "pyc"), XDG_CACHE_HOME=str(Path(tmp)))
    env.pop("CONTRACTS_NO_CACHE", None)
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--startup-rounds", type=int, default=15)
    parser.add_argument("--only", choices=["traffic", "startup"], default=None,
                        help="Run only the recorded-traffic rows or only the start-up row.")
    parser.add_argument("--loop", metavar="LOG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loop:
        print(loop(args.loop))
        return 0
    if args.only == "startup":
        startup(args.startup_rounds)
        return 0
    from drift_speed import build_log

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "traffic.jsonl"
        size = build_log(log, args.exchanges)
        print(f"log: {args.exchanges:,} {API} exchanges, {size / 1e6:.1f} MB")
        py = sys.executable
        # Per core: one process each (--jobs 1; bench/scale_speed.py measures --jobs 2).
        contenders = {
            "loop": [py, __file__, "--loop", str(log)],
            "validate": [py, "-m", "contracts", "validate", "--jobs", "1", "--api", API,
                         "--format", "json", str(log)],
            "drift": [py, "-m", "contracts", "drift", "--jobs", "1", "--api", API,
                      "--format", "json", str(log)],
        }
        env = installed_env(tmp)
        for argv in contenders.values():  # bytecode and spec cache written, as installed
            run(argv, env)
        cpu: dict[str, list[float]] = {k: [] for k in contenders}
        rss: dict[str, list[float]] = {k: [] for k in contenders}
        outputs: dict[str, str] = {}
        for _ in range(args.rounds):
            for name, argv in contenders.items():
                seconds, peak, text = run(argv, env)
                cpu[name].append(seconds)
                rss[name].append(peak)
                outputs[name] = text
    import orjson

    flagged = int(outputs["loop"].strip())
    report = orjson.loads(outputs["validate"])
    records = report.get("violations", report.get("records", []))
    ours = {(r.get("source"), r.get("line")) for r in records
            if str(r.get("code", "")).startswith("response.body")}
    print(f"bodies flagged: loop {flagged:,}, contracts validate {len(ours):,} exchanges"
          + ("" if flagged == len(ours) else "  (DIFFERENT)"))
    print(f"{'':10}{'CPU s (median)':>16}{'vs loop':>10}{'spread':>16}{'peak RSS':>11}  target")
    for name, target in (("loop", ""), ("validate", "<= 2x"), ("drift", "<= 3x")):
        r = [a / b for a, b in zip(cpu[name], cpu["loop"], strict=True)]
        print(f"{name:10}{statistics.median(cpu[name]):>16.2f}{statistics.median(r):>9.2f}x"
              f"{f'{min(r):.2f}-{max(r):.2f}':>16}{max(rss[name]):>9.0f}MB  {target}")
    if args.only is None:
        startup(args.startup_rounds)
    return 0


def contracts_command() -> list[str]:
    """How users run the tool: the ``contracts`` console script installed beside this
    interpreter ([project.scripts]); ``python -m contracts`` where there is none."""
    script = Path(sys.executable).with_name("contracts")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "contracts"]


def startup(rounds: int) -> None:
    """A one-body ``contracts validate`` (the 895 B Eka body) against the bare imports.

    The command is the installed ``contracts`` script, as users run it (``-m`` without one).
    As installed: every child may write its bytecode (to a folder of the bench's own, also
    when PYTHONDONTWRITEBYTECODE is set, as a wheel install compiles it) and the parsed-spec
    cache is warm; one run of each contender before the rounds fills both. The same run with
    ``CONTRACTS_NO_CACHE=1`` shows what the spec cache saves. CPU time (user + system) of
    each child, the three interleaved round by round; ratios are medians of per-round
    ratios, with their spread.
    """
    from call_speed import example

    _url, raw, _ref = example("eka", "getSession", "200", "getSession-200-completed")
    print(f"contracts run as: {' '.join(contracts_command())}")
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "body.json"
        body.write_bytes(raw)
        env = installed_env(tmp)
        py = sys.executable
        ours = [*contracts_command(), "validate", "--api", "eka", "--operation", "getSession",
                "--status", "200", str(body)]
        contenders = {
            "bare imports": ([py, "-c", "import jsonschema_rs, orjson"], env),
            "validate": (ours, env),
            "validate, no spec cache": (ours, {**env, "CONTRACTS_NO_CACHE": "1"}),
        }
        for argv, child_env in contenders.values():  # bytecode and spec cache written
            run(argv, child_env)
        cpu: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(rounds):
            for name, (argv, child_env) in contenders.items():
                cpu[name].append(run(argv, child_env)[0])
    bare = cpu["bare imports"]
    print(f"one-body validate (895 B Eka body), CPU, {rounds} rounds:")
    for name, times in cpu.items():
        r = [y / x for x, y in zip(bare, times, strict=True)]
        target = "  target <= 1.5x" if name == "validate" else ""
        print(f"  {name:26}{statistics.median(times) * 1e3:6.0f} ms  "
              f"{statistics.median(r):5.2f}x ({min(r):.2f}-{max(r):.2f}){target}")


if __name__ == "__main__":
    sys.exit(main())
