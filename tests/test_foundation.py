"""The foundation helpers that have one home: JSON pointers, media types, schema flattening
and the unreadable-input record."""

from __future__ import annotations

from pathlib import Path

import pytest

import contracts.corpus
import contracts.exchanges
from contracts._media import is_json_media, media_base
from contracts._pointers import escape_pointer, join_pointer, split_pointer, unescape_token
from contracts.findings import ReadProblem
from contracts.specs import Located, load_spec


@pytest.mark.parametrize(("key", "token"), [("a/b", "a~1b"), ("m~n", "m~0n"), ("~1", "~01"),
                                            ("/~", "~1~0"), ("", "")])
def test_pointer_tokens_round_trip(key: str, token: str) -> None:
    assert escape_pointer(key) == token
    assert unescape_token(token) == key


def test_join_and_split_are_inverse() -> None:
    tokens = ["paths", "/sessions/{id}", "get", "0", "~x"]
    pointer = join_pointer(tokens)
    assert pointer == "/paths/~1sessions~1{id}/get/0/~0x"
    assert split_pointer(pointer) == tokens
    assert join_pointer([1, "a"], "/base") == "/base/1/a"
    assert split_pointer("") == [] and join_pointer([]) == ""


@pytest.mark.parametrize(("media", "is_json"), [
    ("application/json", True), ("Application/JSON; charset=utf-8", True),
    ("application/problem+json", True), ("*/*", True), ("text/plain", False),
    ("application/jsonl", False), ("multipart/form-data", False),
])
def test_json_media_types(media: str, is_json: bool) -> None:
    assert is_json_media(media) is is_json
    assert media_base(media) == media.split(";")[0].strip().lower()


def test_one_unreadable_input_record() -> None:
    assert contracts.corpus.Problem is ReadProblem is contracts.exchanges.ReadProblem
    line = ReadProblem("log.jsonl", 3, "not JSON")
    entry = ReadProblem("x.har", 2, "no response", "/log/entries/2")
    assert (line.location, str(line)) == ("log.jsonl:3", "log.jsonl:3: not JSON")
    assert entry.location == "x.har#/log/entries/2"


def test_spec_flatten_follows_refs_and_combinators(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("""openapi: 3.1.0
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    A:
      allOf:
        - $ref: '#/components/schemas/B'
        - oneOf: [{type: string}, {$ref: '#/components/schemas/C'}, {$ref: '#/nowhere'}]
    B: {type: object}
    C: {type: integer}
""", "utf-8")
    spec = load_spec(path, lenient=True)
    root = Located(spec.document["components"]["schemas"]["A"], spec.uri, "/components/schemas/A")
    parts = spec.flatten(root)
    assert [p.pointer for p in parts] == [
        "/components/schemas/A", "/components/schemas/B", "/components/schemas/A/allOf/1",
        "/components/schemas/A/allOf/1/oneOf/0", "/components/schemas/C"]
