"""Strict mode, compiled once per schema: the same undocumented fields as the walk over the
spec it replaced, on every spec example with an unknown field planted at every object and
every value swapped for a wrong one."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from _support import Example, examples, spec
from contracts.errors import UnresolvableRef
from contracts.specs import Located, Spec
from contracts.validation import Validator

EXAMPLES = list(examples())


def _reference_flatten(s: Spec, schema: Located, depth: int = 0) -> list[Located]:
    try:
        schema = s.resolve(schema)
    except UnresolvableRef:
        return []
    out = [schema]
    if isinstance(schema.value, dict) and depth < 16:
        for combinator in ("allOf", "anyOf", "oneOf"):
            for i, _ in enumerate(schema.value.get(combinator) or []):
                out.extend(_reference_flatten(s, schema.child(combinator, i), depth + 1))
    return out


def reference_undocumented(  # noqa: C901 - the replaced walk, kept verbatim as the oracle
        s: Spec, value: Any, schema: Located, pointer: str = "",
        seen: set[tuple[str, str]] | None = None) -> Iterator[str]:
    """The per-body walk over the spec that strict mode used before it was compiled."""
    seen = set() if seen is None else seen
    if (schema.ref, pointer) in seen:
        return
    seen.add((schema.ref, pointer))
    parts = [p for p in _reference_flatten(s, schema) if isinstance(p.value, dict)]
    if isinstance(value, dict):
        props: dict[str, list[Located]] = {}
        extra: list[Located] = []
        free = False
        for part in parts:
            for name in part.value.get("properties") or {}:
                props.setdefault(name, []).append(part.child("properties", name))
            additional = part.value.get("additionalProperties")
            if isinstance(additional, dict):
                extra.append(part.child("additionalProperties"))
            elif additional is True or "patternProperties" in part.value:
                free = True
        if not props and not extra:
            return
        for name, child in value.items():
            child_pointer = f"{pointer}/{str(name).replace('~', '~0').replace('/', '~1')}"
            if name in props or extra:
                for child_schema in props.get(name) or extra:
                    yield from reference_undocumented(s, child, child_schema, child_pointer,
                                                      seen)
            elif not free:
                yield child_pointer
    elif isinstance(value, list):
        for part in parts:
            if "items" in part.value:
                for i, item in enumerate(value):
                    yield from reference_undocumented(s, item, part.child("items"),
                                                      f"{pointer}/{i}", seen)


def _planted(value: Any) -> Iterator[Any]:
    """The body with an unknown field added to one object, for every object in it; and with
    each value replaced by an object, a list and a string (wrong shapes must not crash)."""
    def paths(node: Any, at: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        yield at
        if isinstance(node, dict):
            for k, v in node.items():
                yield from paths(v, (*at, k))
        elif isinstance(node, list):
            for i, v in enumerate(node[:3]):
                yield from paths(v, (*at, i))

    def get(node: Any, at: tuple[Any, ...]) -> Any:
        for k in at:
            node = node[k]
        return node

    for at in paths(value, ()):
        target = get(value, at)
        if isinstance(target, dict):
            body = copy.deepcopy(value)
            get(body, at)["x_planted~/field"] = {"nested": [1, {"deeper": True}]}
            yield body
        if at:
            for wrong in ({"x_wrong": 1}, [{"x_wrong": 1}, 2, "s"], "text"):
                body = copy.deepcopy(value)
                get(body, at[:-1])[at[-1]] = wrong
                yield body


def _strict_pointers(v: Validator, ex: Example, body: Any) -> list[str]:
    headers = {"content-type": ex.media_type}
    if ex.status is None:
        found = v.iter_request_violations(ex.operation.method, ex.url, body, headers=headers,
                                          strict=True)
    else:
        found = v.iter_response_violations(ex.operation.method, ex.url, ex.status, body,
                                           headers=headers, strict=True)
    return [x.pointer for x in found if x.code.endswith(".undocumented_field")]


_VALIDATORS: dict[str, Validator] = {}


@pytest.mark.parametrize("ex", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_compiled_strict_mode_reports_what_the_spec_walk_did(ex: Example) -> None:
    v = _VALIDATORS.setdefault(ex.api, Validator(spec(ex.api), invariants=False))
    checked = 0
    for body in [ex.value, *_planted(ex.value)]:
        expected = list(reference_undocumented(v.spec, body, ex.schema))
        assert _strict_pointers(v, ex, body) == expected
        checked += bool(expected)
    assert checked or not isinstance(ex.value, dict | list)


def _nested_arrays_spec() -> Spec:
    import json

    from contracts.specs import spec_from_text

    row = {"type": "object", "properties": {"id": {"type": "string"}}}
    schema = {"type": "object", "properties": {
        "tags": {"type": "array", "items": {"type": "string"}},
        "grid": {"type": "array", "items": {"type": "array", "items": {}}},
        "tree": {"$ref": "#/components/schemas/Tree"},
        "rows": {"type": "array", "items": {"type": "array", "items": row}},
    }}
    return spec_from_text(json.dumps({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"get": {"operationId": "getX", "responses": {"200": {
            "description": "ok", "content": {"application/json": {"schema": schema}}}}}}},
        "components": {"schemas": {"Tree": {"type": "array",
                                            "items": {"$ref": "#/components/schemas/Tree"}}}},
    }), name="nested")


def test_arrays_of_free_values_are_trivial_and_arrays_of_objects_are_not() -> None:
    """Strict mode skips what can never report (arrays of free-form values, nested or
    recursive) and still reaches objects however deep in arrays they sit."""
    v = Validator(_nested_arrays_spec(), invariants=False)
    body = {"tags": ["a"], "grid": [[{"free": 1}]], "tree": [[[]], []],
            "rows": [[{"id": "r", "extra": 1}]]}
    found = [x.pointer for x in v.iter_response_violations("GET", "/x", 200, body, strict=True)
             if x.code.endswith(".undocumented_field")]
    assert found == ["/rows/0/0/extra"]
    shape = v._shapes.root(v.spec.operation("getX").node.child(
        "responses", "200", "content", "application/json", "schema"))
    assert [name for name, _subs in shape.deep] == ["rows"]
    del body["rows"][0][0]["extra"]
    assert list(v.iter_response_violations("GET", "/x", 200, body, strict=True)) == []
