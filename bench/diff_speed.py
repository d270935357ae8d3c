"""Spec diff speed and memory on a large spec, side by side with a deepdiff-only baseline.

Generates (or takes on the command line) two versions of a 1-3 MB OpenAPI 3.1 spec: about
1,000 component schemas that reference each other, 300 paths whose operations use them, and
a mutated copy (an enum value added to a schema shared by every operation, a field removed,
a constraint tightened, an operation removed). Then, each side in a fresh subprocess (so that
peak RSS is its own), several rounds:

* ``contracts``: ``contracts.diff.diff_specs`` on both files (load, normalise, deepdiff,
  classify, group), what ``contracts diff`` runs;
* ``deepdiff``: load both files with PyYAML's C loader and ``DeepDiff(old, new)`` on the raw
  documents: the baseline a team would get from deepdiff alone (no grades, no $ref inlining,
  one report per changed key).

Every subprocess must exit 0 (checked); the table shows the median and the spread (min-max)
of the wall time, the CPU time (what the process itself spent: on a shared machine the wall
time includes waiting for a core) and the peak RSS. oasdiff (Go) is not installable from the
registries this machine reaches (it is not on PyPI or npm), so it is not measured.

    python bench/diff_speed.py                        # generated pair, 5 rounds
    python bench/diff_speed.py OLD.yaml NEW.yaml --rounds 3
    python bench/diff_speed.py --schemas 1500 --keep /tmp/pair

Target: the contracts side within 5 s and 300 MB on a 1-3 MB spec.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def build_spec(schemas: int, paths: int) -> dict[str, Any]:
    """A large spec with shared components: every schema has a few scalar fields and refers
    to two earlier ones; ``Common`` (an enum) is used by every schema, so by every operation."""
    comp: dict[str, Any] = {"Common": {"type": "string", "enum": ["a", "b", "c"]}}
    for i in range(schemas):
        props: dict[str, Any] = {
            "id": {"type": "string", "format": "uuid"},
            "name": {"type": "string", "maxLength": 200, "description": f"name of item {i}"},
            "count": {"type": "integer", "minimum": 0},
            "kind": {"$ref": "#/components/schemas/Common"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "note": {"type": ["string", "null"]},
        }
        for j in (i // 2, i // 3):
            if j < i and j % 5 == 0:
                props[f"rel{j}"] = {"$ref": f"#/components/schemas/S{j}"}
        comp[f"S{i}"] = {"type": "object", "properties": props, "required": ["id", "name"],
                         "description": f"Schema number {i} of the generated spec."}
    out: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "Big", "version": "1"},
                           "paths": {}, "components": {"schemas": comp}}
    for p in range(paths):
        target = f"#/components/schemas/S{(p * 7) % schemas}"
        body = {"application/json": {"schema": {"$ref": target}}}
        out["paths"][f"/things{p}/{{id}}"] = {
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "get": {"operationId": f"get{p}", "parameters": [
                {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}}],
                "responses": {"200": {"description": "ok", "content": body},
                              "404": {"description": "missing"}}},
            "put": {"operationId": f"put{p}", "requestBody": {"required": True, "content": body},
                    "responses": {"200": {"description": "ok", "content": body}}},
        }
    return out


def mutate(doc: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(doc)
    schemas = new["components"]["schemas"]
    schemas["Common"]["enum"].append("d")  # reaches every operation
    del schemas["S10"]["properties"]["count"]
    schemas["S20"]["properties"]["name"]["maxLength"] = 100
    del new["paths"]["/things3/{id}"]["put"]
    return new


def build_pair(folder: Path, schemas: int, paths: int) -> tuple[Path, Path]:
    import yaml

    old = build_spec(schemas, paths)
    folder.mkdir(parents=True, exist_ok=True)
    old_path, new_path = folder / "old.yaml", folder / "new.yaml"
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    old_path.write_text(yaml.dump(old, Dumper=dumper, sort_keys=False), "utf-8")
    new_path.write_text(yaml.dump(mutate(old), Dumper=dumper, sort_keys=False), "utf-8")
    return old_path, new_path


def measure(side: str, old: str, new: str) -> dict[str, Any]:
    """Run in a subprocess: one diff, timed, with the process's peak RSS."""
    import resource
    import time

    start, cpu = time.perf_counter(), time.process_time()
    loaded = start
    if side == "contracts":
        from contracts.diff import diff_specs
        from contracts.specs import load_spec

        specs = [load_spec(old), load_spec(new)]
        loaded = time.perf_counter()
        result = diff_specs(*specs)
        found = len(result.changes)
    else:
        import yaml
        from deepdiff import DeepDiff

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        docs = [yaml.load(Path(p).read_text("utf-8"), Loader=loader) for p in (old, new)]
        loaded = time.perf_counter()
        found = sum(len(v) for v in DeepDiff(docs[0], docs[1]).values())
    end = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kB
    return {"side": side, "seconds": end - start, "cpu": time.process_time() - cpu,
            "load": loaded - start,
            "diff": end - loaded, "rss": rss, "found": found}


def _run(side: str, old: Path, new: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--measure", side, str(old), str(new)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("specs", nargs="*", help="OLD NEW (default: a generated pair)")
    parser.add_argument("--schemas", type=int, default=1000)
    parser.add_argument("--paths", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="write the generated pair to this folder")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        if args.specs:
            if len(args.specs) != 2:
                parser.error("give two specs: OLD NEW")
            old, new = (Path(p) for p in args.specs)
        else:
            old, new = build_pair(args.keep or Path(tmp), args.schemas, args.paths)
        sizes = f"{old.stat().st_size / 1e6:.2f} MB → {new.stat().st_size / 1e6:.2f} MB"
        print(f"pair: {old} → {new} ({sizes}), {args.rounds} round(s) per side")
        print(f"{'side':<10} {'median s':>9} {'min-max s':>13} {'CPU s':>6} {'min-max':>11} "
              f"{'load s':>7} {'diff s':>7} {'peak RSS MB':>12} {'min-max MB':>11} "
              f"{'findings':>9}")
        for side in ("contracts", "deepdiff"):
            runs = [_run(side, old, new) for _ in range(args.rounds)]
            secs = [r["seconds"] for r in runs]
            cpu = [r["cpu"] for r in runs]
            rss = [r["rss"] / 1e6 for r in runs]
            print(f"{side:<10} {statistics.median(secs):>9.2f} "
                  f"{min(secs):>6.2f}-{max(secs):<6.2f} "
                  f"{statistics.median(cpu):>6.2f} {min(cpu):>5.2f}-{max(cpu):<5.2f} "
                  f"{statistics.median(r['load'] for r in runs):>7.2f} "
                  f"{statistics.median(r['diff'] for r in runs):>7.2f} "
                  f"{statistics.median(rss):>12.0f} {min(rss):>5.0f}-{max(rss):<5.0f} "
                  f"{runs[0]['found']:>9}")


if __name__ == "__main__":
    main()
