"""Spec loading: bundled names and paths, $refs across files, refusals, operation lookup."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from contracts import (
    BUNDLED,
    OperationNotFound,
    RemoteRefRefused,
    SpecNotFound,
    UnresolvableRef,
    load_spec,
)
from contracts.specs import Located, spec_from_text

MAIN = """
openapi: 3.1.0
info: {title: t, version: "1"}
servers: [{url: "https://api.example.test/client/v4"}]
paths:
  /sessions/{session_id}:
    get:
      operationId: getSession
      responses:
        "200": {$ref: "#/components/responses/Ok"}
  /sessions/linked-user:
    get:
      operationId: listLinked
      responses: {"200": {description: ok}}
  /things:
    $ref: "common/things.yaml#/pathItems/things"
components:
  responses:
    Ok:
      description: ok
      content:
        application/json:
          schema: {$ref: "common/things.yaml#/schemas/Thing"}
          examples:
            one: {value: {$ref: "data, not a reference"}}
"""
COMMON = """
pathItems:
  things:
    post:
      operationId: createThing
      responses: {"201": {description: x}}
schemas:
  Thing: {type: object, properties: {example: {$ref: "#/schemas/Other"}}}
  Other: {type: string}
"""


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    (tmp_path / "common").mkdir()
    (tmp_path / "main.yaml").write_text(MAIN)
    (tmp_path / "common" / "things.yaml").write_text(COMMON)
    return tmp_path


@pytest.mark.parametrize("api", BUNDLED)
def test_bundled_specs_load_by_name(api: str) -> None:
    spec = load_spec(api)
    assert spec.name == api and spec.operations
    assert spec.document["openapi"].startswith("3.1")


def test_unknown_name_lists_the_bundled_specs() -> None:
    with pytest.raises(SpecNotFound, match="bundled specs: upheal, heidi, eka, realtimekit"):
        load_spec("upheel")


def test_refs_across_files_resolve(spec_dir: Path) -> None:
    spec = load_spec(spec_dir / "main.yaml")
    assert len(spec.resources) == 2
    assert {op.operation_id for op in spec.operations} == {"getSession", "listLinked",
                                                           "createThing"}
    op = spec.operation("getSession")
    response = spec.resolve(op.node.child("responses", "200"))
    assert response.pointer == "/components/responses/Ok"
    schema = spec.resolve(response.child("content", "application/json", "schema"))
    assert schema.uri.endswith("common/things.yaml") and schema.pointer == "/schemas/Thing"
    # A "$ref" inside an example value is data: it was not followed (nor reported).
    assert spec.ref_problems == ()


def test_a_missing_target_raises_unless_lenient(spec_dir: Path) -> None:
    (spec_dir / "main.yaml").write_text(MAIN.replace("#/schemas/Thing", "#/schemas/Nope"))
    with pytest.raises(UnresolvableRef, match="points at nothing"):
        load_spec(spec_dir / "main.yaml")
    lenient = load_spec(spec_dir / "main.yaml", lenient=True)
    assert [p.reason for p in lenient.ref_problems] == ["points at nothing"]


def test_a_file_ref_may_not_leave_the_spec_folder(tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text("A: {type: string}\n")
    inner = tmp_path / "specs"
    inner.mkdir()
    (inner / "main.yaml").write_text(MAIN.replace("common/things.yaml#/schemas/Thing",
                                                  "../outside.yaml#/A"))
    with pytest.raises(UnresolvableRef, match="leaves the spec's folder"):
        load_spec(inner / "main.yaml")


def _listener() -> tuple[socket.socket, list[bytes], threading.Thread]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(1)
    hits: list[bytes] = []

    def accept() -> None:
        try:
            conn, _ = server.accept()
            hits.append(conn.recv(64))
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    return server, hits, thread


def test_remote_refs_are_refused_and_nothing_is_fetched(spec_dir: Path) -> None:
    server, hits, thread = _listener()
    port = server.getsockname()[1]
    (spec_dir / "main.yaml").write_text(MAIN.replace(
        "common/things.yaml#/schemas/Thing", f"http://127.0.0.1:{port}/s.yaml#/Thing"))
    with pytest.raises(RemoteRefRefused, match="pass a retriever"):
        load_spec(spec_dir / "main.yaml")
    thread.join()
    server.close()
    assert hits == []


def test_a_retriever_the_caller_passes_is_used(spec_dir: Path) -> None:
    (spec_dir / "main.yaml").write_text(MAIN.replace(
        "common/things.yaml#/schemas/Thing", "https://schemas.example.test/s.yaml#/Thing"))
    asked: list[str] = []

    def retrieve(uri: str) -> Any:
        asked.append(uri)
        return {"Thing": {"type": "object"}}

    spec = load_spec(spec_dir / "main.yaml", retriever=retrieve)
    assert asked == ["https://schemas.example.test/s.yaml"]
    assert "https://schemas.example.test/s.yaml" in spec.resources


def test_a_cycle_of_bare_refs_is_an_error() -> None:
    text = """
openapi: 3.1.0
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    A: {$ref: "#/components/schemas/B"}
    B: {$ref: "#/components/schemas/A"}
"""
    with pytest.raises(UnresolvableRef, match="cycle of bare"):
        spec_from_text(text)


def test_match_by_url_prefers_literal_segments_and_strips_the_server(spec_dir: Path) -> None:
    spec = load_spec(spec_dir / "main.yaml")
    hit = spec.match("GET", "https://api.example.test/client/v4/sessions/abc?x=1")
    assert hit.operation.operation_id == "getSession"
    assert dict(hit.path_params) == {"session_id": "abc"}
    assert spec.match("get", "/client/v4/sessions/linked-user/").operation.operation_id == (
        "listLinked")
    assert spec.match("GET", "/sessions/linked-user").operation.operation_id == "listLinked"
    assert spec.match("POST", "things").operation.operation_id == "createThing"


def test_lookups_that_fail_suggest_what_exists(spec_dir: Path) -> None:
    spec = load_spec(spec_dir / "main.yaml")
    with pytest.raises(OperationNotFound, match="did you mean 'getSession'"):
        spec.operation("getSesion")
    with pytest.raises(OperationNotFound, match="GET /sessions"):
        spec.match("DELETE", "/sessions/1")


def test_path_overrides_make_a_new_spec(spec_dir: Path) -> None:
    spec = load_spec(spec_dir / "main.yaml")
    moved = spec.with_paths(prefix="/partner", overrides={"listLinked": "/v2/linked"})
    assert moved.match("GET", "/partner/sessions/1").operation.operation_id == "getSession"
    assert moved.match("GET", "/v2/linked").operation.operation_id == "listLinked"
    # The original is untouched.
    assert spec.match("GET", "/sessions/1").operation.path == "/sessions/{session_id}"
    with pytest.raises(OperationNotFound):
        spec.with_paths(overrides={"nope": "/x"})


def test_located_refs_are_valid_uris(spec_dir: Path) -> None:
    spec = load_spec(spec_dir / "main.yaml")
    node = Located(spec.document, spec.uri, "").child("paths", "/sessions/{session_id}")
    assert "%7Bsession_id%7D" in node.ref and " " not in node.ref
