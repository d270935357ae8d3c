"""Big specs: lint time, and time from process start to a first validated response.

Takes a big spec's path (a real public one, e.g. GitHub's or Stripe's OpenAPI description,
downloaded by you) or generates one of that size: 1,200 component schemas with nested
objects, enums, arrays, ``allOf`` and ``$ref``s, and an operation per 4 schemas (about 2 MB
of JSON). Nothing is downloaded here.

    python bench/big_spec.py                          # generated, JSON
    python bench/big_spec.py --yaml                   # generated, YAML
    python bench/big_spec.py --spec path/to/api.json  # a real spec

Each measurement runs in a fresh interpreter (``python -c``), so imports and loading count:
"first response" is start -> ``load_spec`` -> ``Validator`` -> one response validated.
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


def generate(schemas: int) -> dict[str, Any]:
    components: dict[str, Any] = {}
    for i in range(schemas):
        components[f"Model{i}"] = {
            "type": "object",
            "description": f"Model number {i}, generated for the benchmark.",
            "required": ["id", "name", "status"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": {"type": "string", "minLength": 1, "maxLength": 200},
                "status": {"type": "string", "enum": ["active", "archived", "deleted"]},
                "count": {"type": "integer", "minimum": 0},
                "ratio": {"type": "number", "minimum": 0, "maximum": 1e3},
                "created_at": {"type": "string", "format": "date-time"},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 50},
                "owner": {"$ref": f"#/components/schemas/Model{(i * 7 + 1) % schemas}"}
                if i % 3 else {"type": ["string", "null"]},
                "meta": {"type": "object", "additionalProperties": {"type": "string"},
                         "properties": {"source": {"type": "string"},
                                        "version": {"type": "integer"}}},
                "parts": {"type": "array", "items": {"allOf": [
                    {"$ref": f"#/components/schemas/Model{(i * 13 + 5) % schemas}"}
                    if i % 5 == 0 else {"type": "object"},
                    {"type": "object", "properties": {"position": {"type": "integer"}}}]}},
            },
        }
    paths: dict[str, Any] = {}
    for i in range(0, schemas, 4):
        ref = {"$ref": f"#/components/schemas/Model{i}"}
        paths[f"/models{i}/{{id}}"] = {"get": {
            "operationId": f"getModel{i}", "summary": f"Get model {i}",
            "description": "Returns one.",
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "content": {
                "application/json": {"schema": ref}}},
                "404": {"description": "not found"}}}}
    return {"openapi": "3.1.0", "info": {"title": "Big generated spec", "version": "1"},
            "servers": [{"url": "https://big.example.test"}], "paths": paths,
            "components": {"schemas": components}}


FIRST_RESPONSE = """
import time, json, sys
t0 = time.perf_counter()
from contracts import Validator, iter_response_violations, load_spec
spec = load_spec(sys.argv[1])
op = spec.operations[0]
url = op.path.replace("{id}", "x")
v = Validator(spec)
body = sys.argv[2]
found = list(iter_response_violations(v, "GET", url, 200, body,
                                      headers={"content-type": "application/json"}))
print(json.dumps({"seconds": time.perf_counter() - t0, "violations": len(found),
                  "operations": len(spec.operations), "cpu": time.process_time()}))
"""

LINT = """
import time, json, sys
t0 = time.perf_counter()
from contracts import lint
findings = lint(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - t0, "findings": len(findings),
                  "cpu": time.process_time()}))
"""


def run(code: str, *args: str) -> dict[str, Any]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["wall"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", type=Path, default=None, help="a big spec to measure")
    parser.add_argument("--schemas", type=int, default=1200)
    parser.add_argument("--yaml", action="store_true", help="write the generated spec as YAML")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.spec
        if path is None:
            data = generate(args.schemas)
            if args.yaml:
                import yaml

                path = Path(tmp) / "big.yaml"
                path.write_text(yaml.safe_dump(data, sort_keys=False))
            else:
                path = Path(tmp) / "big.json"
                path.write_text(json.dumps(data, indent=1))
        size = path.stat().st_size
        body = json.dumps({"id": "00000000-0000-4000-8000-000000000000", "name": "n",
                           "status": "active"})
        first = run(FIRST_RESPONSE, str(path), body)
        linted = run(LINT, str(path))
        print(f"spec: {path.name if args.spec else 'generated ' + path.suffix[1:]}, "
              f"{size / 1e6:.2f} MB, {first['operations']} operations")
        print(f"first response validated: {first['wall']:.2f} s from process start "
              f"({first['seconds']:.2f} s after interpreter start; {first['cpu']:.2f} s of CPU "
              f"in all), {first['violations']} violation(s)")
        print(f"lint: {linted['wall']:.2f} s from process start ({linted['cpu']:.2f} s of CPU), "
              f"{linted['findings']} findings")
        # CPU time is what the process itself spent: on a shared machine, wall time also
        # counts the time it waited for a core.


if __name__ == "__main__":
    main()
