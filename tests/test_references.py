"""References in OpenAPI 3.1 specs resolve by the JSON Schema standard: ``$id`` changes the
base URI, ``$anchor`` names a place, a relative reference is taken against the base URI where
it is written; remote references are refused without a retriever; lint tells a schema the
engine cannot compile from a reference that leads nowhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contracts import RemoteRefRefused, is_valid_response, lint, load_spec


def _spec(tmp_path: Path, schema: Any, components: dict[str, Any] | None = None) -> Path:
    doc = {"openapi": "3.1.0", "info": {"title": "refs", "version": "1"},
           "servers": [{"url": "https://example.test"}],
           "paths": {"/t": {"get": {
               "operationId": "t", "summary": "s", "description": "d",
               "responses": {"200": {"description": "ok", "content": {
                   "application/json": {"schema": schema}}},
                   "default": {"description": "error"}}}}},
           "components": {"schemas": components or {}}}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(doc))
    return path


def _valid(path: Path, body: Any, **kwargs: Any) -> bool:
    return is_valid_response(load_spec(path, **kwargs), "GET", "/t", 200, json.dumps(body),
                             headers={"content-type": "application/json"})


def test_id_makes_relative_refs_resolve_inside_the_schema(tmp_path: Path) -> None:
    schema = {"$id": "https://example.test/schemas/item.json",
              "$defs": {"count": {"type": "integer"}},
              "properties": {"n": {"$ref": "#/$defs/count"}, "m": {"$ref": "other.json"}}}
    other = {"$id": "https://example.test/schemas/other.json", "type": "string"}
    path = _spec(tmp_path, schema, {"Other": other})
    assert _valid(path, {"n": 1, "m": "x"})
    assert not _valid(path, {"n": "one"})
    assert not _valid(path, {"m": 2})  # "other.json" is the component by its $id


def test_anchor_in_a_component_is_found_from_anywhere(tmp_path: Path) -> None:
    path = _spec(tmp_path, {"$ref": "#positive"},
                 {"Positive": {"$anchor": "positive", "type": "integer", "minimum": 1}})
    assert _valid(path, 3)
    assert not _valid(path, 0)


def test_dynamic_ref_extends_a_recursive_schema(tmp_path: Path) -> None:
    tree = {"$id": "https://example.test/tree", "$dynamicAnchor": "node", "type": "object",
            "properties": {"children": {"type": "array", "items": {"$dynamicRef": "#node"}}}}
    strict = {"$id": "https://example.test/strict-tree", "$dynamicAnchor": "node",
              "$ref": "tree", "unevaluatedProperties": False}
    path = _spec(tmp_path, {"$ref": "https://example.test/strict-tree"},
                 {"Tree": tree, "StrictTree": strict})
    assert _valid(path, {"children": [{"children": []}]})
    assert not _valid(path, {"children": [{"daat": 1}]})  # the strict tree, all the way down


def test_remote_refs_are_refused_without_a_retriever(tmp_path: Path) -> None:
    path = _spec(tmp_path, {"$id": "https://example.test/a.json", "$ref": "b.json"})
    with pytest.raises(RemoteRefRefused):
        load_spec(path)
    served: list[str] = []

    def retriever(uri: str) -> Any:
        served.append(uri)
        return {"type": "string"}

    assert _valid(path, "x", retriever=retriever) and served == ["https://example.test/b.json"]


def test_dialect_meta_schemas_are_known_locally(tmp_path: Path) -> None:
    """A schema naming the OpenAPI dialect or 2020-12 in `$schema` loads with nothing to fetch."""
    path = _spec(tmp_path, {"$schema": "https://spec.openapis.org/oas/3.1/dialect/base",
                            "type": "integer"},
                 {"A": {"$schema": "https://json-schema.org/draft/2020-12/schema"}})
    assert _valid(path, 1) and not _valid(path, "1")


def test_lint_names_an_uncompilable_schema_with_the_engines_reason(tmp_path: Path) -> None:
    path = _spec(tmp_path, {"$ref": "#/components/schemas/Bad"},
                 {"Bad": {"type": "string", "pattern": "(["},
                  "Missing": {"$ref": "#/components/schemas/Nowhere"}})
    findings = lint(path)
    uncompilable = [f for f in findings if f.code == "schema.uncompilable"]
    assert [f.pointer for f in uncompilable] == ["/components/schemas/Bad"]
    assert "regex" in uncompilable[0].message
    assert {f.pointer for f in findings if f.code == "ref.unresolved"} == {
        "/components/schemas/Missing"}
