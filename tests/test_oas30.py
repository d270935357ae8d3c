"""OpenAPI 3.0 specs work natively: each 3.0 feature on a small 3.0 spec of our own
(tests/data/oas30/pets-3.0.yaml) in lint, validate, diff and generate; the gate and the mock
on 3.0 are in tests/test_mock_any_spec.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contracts import SpecError, iter_request_violations, iter_response_violations, lint, load_spec

DATA = Path(__file__).parent / "data" / "oas30"
PETS30 = DATA / "pets-3.0.yaml"
PETS31 = DATA / "pets-3.1.yaml"
JSON_HEADERS = {"content-type": "application/json"}


def _codes(body: Any, *, status: int = 200, url: str = "/v1/pets/1", method: str = "GET"
           ) -> list[str]:
    return [v.code for v in iter_response_violations(str(PETS30), method, url, status,
                                                     json.dumps(body), headers=JSON_HEADERS)]


DOG = {"id": 1, "name": "Rex", "kind": "dog", "barks": True}


def test_a_30_spec_loads_as_its_31_reading() -> None:
    spec = load_spec(PETS30)
    assert spec.openapi_version == "3.0.3" and spec.document["openapi"] == "3.1.0"
    assert spec.original.data["openapi"] == "3.0.3"


def test_lint_checks_a_30_spec_against_the_30_meta_schema(tmp_path: Path) -> None:
    assert [f for f in lint(PETS30) if f.severity.name == "ERROR"] == []
    # `type: [..]` is 3.1; the 3.0 meta-schema refuses it (the 3.1 one would not).
    bad = tmp_path / "bad.yaml"
    bad.write_text(PETS30.read_text().replace("type: boolean", "type: [boolean, 'null']"))
    assert [f.pointer for f in lint(bad) if f.code == "oas.schema"] == [
        "/components/schemas/Dog"]


def test_nullable() -> None:
    assert _codes({**DOG, "nickname": None}) == []
    assert _codes({**DOG, "name": None}) == ["response.body.schema"]  # not nullable


def test_boolean_exclusive_minimum_and_maximum() -> None:
    assert _codes({**DOG, "weight": 0}) == ["response.body.schema"]  # exclusive: 0 is out
    assert _codes({**DOG, "weight": 0.5}) == []
    assert _codes({**DOG, "weight": 100}) == []  # exclusiveMaximum: false, 100 is in
    # petId: `minimum: 0, exclusiveMinimum: true`
    assert list(iter_request_violations(str(PETS30), "GET", "/v1/pets/1")) == []
    assert [(v.location, v.pointer) for v in iter_request_violations(
        str(PETS30), "GET", "/v1/pets/0")] == [("request.path", "/petId")]


def test_example_is_validated_by_lint(tmp_path: Path) -> None:
    bad = tmp_path / "bad-example.yaml"
    bad.write_text(PETS30.read_text().replace("weight: 12.5", "weight: -1"))
    assert [f.pointer for f in lint(bad) if f.code == "example.invalid"] == [
        "/paths/~1pets/post/responses/201/content/application~1json/example"]


def test_read_only_and_write_only() -> None:
    request = [v.code for v in iter_request_violations(
        str(PETS30), "POST", "/v1/pets", json.dumps({**DOG}), headers=JSON_HEADERS)]
    assert request == ["request.body.read_only"]  # `id` is read-only: warned, not required
    no_id = {k: v for k, v in DOG.items() if k != "id"}
    assert list(iter_request_violations(str(PETS30), "POST", "/v1/pets", json.dumps(
        {**no_id, "secret": "x"}), headers=JSON_HEADERS)) == []
    assert _codes({**DOG, "secret": "x"}) == ["response.body.write_only"]


def test_discriminator_picks_the_alternative() -> None:
    cat = {"id": 2, "name": "Tom", "kind": "cat"}  # neither alternative matches
    violations = list(iter_response_violations(
        str(PETS30), "GET", "/v1/pets/1", 200, json.dumps(cat), headers=JSON_HEADERS))
    assert [v.code for v in violations] == ["response.body.schema"]
    assert "lives" in violations[0].message  # the Cat alternative's failure, not "no match"
    wrong = list(iter_response_violations(
        str(PETS30), "GET", "/v1/pets/1", 200, json.dumps({**cat, "kind": "fish"}),
        headers=JSON_HEADERS))
    assert "discriminator" in wrong[0].message


def test_diff_compares_meaning_not_spelling() -> None:
    from contracts.drift import diff_specs

    assert diff_specs(PETS30, PETS31).changes == ()
    assert diff_specs(PETS31, PETS30).changes == ()


def test_diff_sees_a_real_change_across_versions(tmp_path: Path) -> None:
    from contracts.drift import diff_specs

    changed = tmp_path / "pets-3.1.yaml"
    changed.write_text(PETS31.read_text().replace("type: [string, 'null']", "type: string"))
    changes = diff_specs(PETS30, changed).changes
    assert changes and all("nickname" in c.pointer or "nickname" in c.message for c in changes)


def test_generate_reads_30() -> None:
    from contracts.codegen import render

    code = "\n".join(render([PETS30]).values())
    assert "class Dog" in code and "nickname: str | None" in code


def test_swagger_2_is_refused_naming_a_converter(tmp_path: Path) -> None:
    path = tmp_path / "old.yaml"
    path.write_text("swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n")
    with pytest.raises(SpecError, match="swagger2openapi"):
        load_spec(path)
