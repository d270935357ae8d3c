"""A synthetic multi-file corpus for the parallel and cluster tests: JSON Lines logs of a small
spec with every kind of departure spread over the files, broken lines included, and a HAR."""

from __future__ import annotations

import json
import random
from pathlib import Path

from contracts.exchanges import Exchange, write_exchanges
from contracts.redaction import Redactor

SPEC = """\
openapi: 3.1.0
info: {title: Items, version: "1"}
servers: [{url: "https://api.example.com"}]
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: the item
          content:
            application/json:
              schema:
                type: object
                required: [item_id, state, count]
                properties:
                  item_id: {type: string}
                  state: {type: string, enum: [open, closed]}
                  count: {type: integer, minimum: 0}
                  note: {type: string, maxLength: 400}
"""
OK = {"item_id": "i-1", "state": "open", "count": 1, "note": "x" * 300}
BODIES = [OK, OK, OK, OK, {**OK, "state": "archived"}, {**OK, "count": -3},
          {**OK, "count": "7"}, {**OK, "count": None}, {**{k: v for k, v in OK.items()
                                                          if k != "item_id"}, "itemId": "i"},
          {**OK, "extra": [1, 2]}, {**OK, "note": 5}]


def write_spec(folder: Path) -> Path:
    path = folder / "items.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def write_corpus(folder: Path, *, files: int = 3, per_file: int = 700, seed: int = 7
                 ) -> list[Path]:
    """``files`` JSON Lines logs (about 400 bytes a line) plus one HAR file."""
    rng = random.Random(seed)
    paths = []
    for f in range(files):
        path = folder / f"traffic-{f}.jsonl"
        exchanges = []
        for i in range(per_file):
            status = 418 if rng.random() < 0.02 else 200
            body = rng.choice(BODIES)
            day = rng.randrange(1, 28)
            exchanges.append(Exchange(
                "GET", f"https://api.example.com/items/i-{i}", status,
                response_headers={"content-type": "application/json"},
                response_body=json.dumps({**body, "count": body.get("count", 1)}
                                         if rng.random() < 0.5 else body).encode(),
                time=f"2026-01-{day:02d}T{rng.randrange(24):02d}:00:00Z"))
        with path.open("wb") as fh:
            write_exchanges(fh, exchanges, redactor=Redactor(enabled=False))
        lines = path.read_bytes().split(b"\n")
        lines[len(lines) // 3] = b"{broken"  # an unreadable line mid-file
        path.write_bytes(b"\n".join(lines))
        paths.append(path)
    har = folder / "extra.har"
    entries = [{"request": {"method": "GET", "url": "https://api.example.com/items/h-1",
                            "headers": []},
                "response": {"status": 200, "headers": [
                    {"name": "content-type", "value": "application/json"}],
                    "content": {"mimeType": "application/json",
                                "text": json.dumps({**OK, "state": s})}}}
               for s in ("open", "lost", "gone")]
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}), encoding="utf-8")
    return [*paths, har]
