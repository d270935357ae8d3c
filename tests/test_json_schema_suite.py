"""The official JSON-Schema-Test-Suite (draft 2020-12, required tests) through our public API.

Each case's schema becomes the response schema of a tiny generated OpenAPI 3.1 document and
each test's instance a response body. A schema with an ``$id`` (or without references) is
embedded in the document itself; one without an ``$id`` whose references mean "this schema's
root" (``#/$defs/a``) is written to a file beside the document and referenced from it, because
embedded in an OpenAPI document its base URI would be the document's (OpenAPI 3.1 §4.8.24).
The suite's remotes (``http://localhost:1234/...``) are served by a local retriever; nothing
is fetched. The pass count must be no lower than jsonschema-rs's own on the same tests, and no
schema may be refused at load.

Deliberate difference, behind a switch: we assert ``format`` by default, as OpenAPI tools do,
where 2020-12 makes it an annotation; ``Validator(spec, formats=False)`` follows the suite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from contracts import ContractsError, Validator, is_valid_response, load_spec

SUITE = Path(__file__).parent / "data" / "json-schema-test-suite"
TESTS = SUITE / "tests" / "draft2020-12"
REMOTES = SUITE / "remotes"


def _remote(uri: str) -> Any:
    """The suite's remotes, from disk: ``http://localhost:1234/x`` is ``remotes/x``."""
    prefix = "http://localhost:1234/"
    if not uri.startswith(prefix):
        raise LookupError(f"{uri} is not one of the suite's remotes")
    return json.loads((REMOTES / uri[len(prefix):]).read_text("utf-8"))


def _groups() -> Iterator[tuple[str, int, dict[str, Any]]]:
    for path in sorted(TESTS.glob("*.json")):
        for i, group in enumerate(json.loads(path.read_text("utf-8"))):
            yield path.stem, i, group


def _spec_for(schema: Any, folder: Path) -> Path:
    text = json.dumps(schema)
    embed = isinstance(schema, bool) or "$id" in schema or not any(
        k in text for k in ('"$ref"', '"$dynamicRef"'))
    if not embed:
        (folder / "case.json").write_text(text)
        schema = {"$ref": "case.json"}
    doc = {"openapi": "3.1.0", "info": {"title": "suite", "version": "1"},
           "paths": {"/t": {"get": {"operationId": "t", "responses": {"200": {
               "description": "ok", "content": {"application/json": {"schema": schema}}}}}}}}
    path = folder / "spec.json"
    path.write_text(json.dumps(doc))
    return path


def _ours(groups: list[tuple[str, int, dict[str, Any]]], tmp: Path, formats: bool
          ) -> tuple[int, list[str], list[str]]:
    passed, failed, refused = 0, [], []
    for name, i, group in groups:
        folder = tmp / f"{name}-{i}"
        folder.mkdir()
        try:
            validator = Validator(load_spec(_spec_for(group["schema"], folder),
                                            retriever=_remote), formats=formats)
            results = [is_valid_response(
                validator, "GET", "/t", 200, orjson.dumps(test["data"]),
                headers={"content-type": "application/json"}) for test in group["tests"]]
        except ContractsError as exc:
            refused.append(f"{name}[{i}] {group['description']}: {exc}")
            continue
        for test, ok in zip(group["tests"], results, strict=True):
            if ok == test["valid"]:
                passed += 1
            else:
                failed.append(f"{name}[{i}] {group['description']} / {test['description']}")
    return passed, failed, refused


def _engine() -> int:
    import jsonschema_rs

    passed = 0
    for _name, _i, group in _groups():
        try:
            validator = jsonschema_rs.validator_for(group["schema"], retriever=_remote)
        except Exception:  # noqa: BLE001 - a schema the engine cannot compile fails its tests
            continue
        passed += sum(validator.is_valid(t["data"]) == t["valid"] for t in group["tests"])
    return passed


def test_suite_passes_at_least_as_many_as_the_engine(tmp_path: Path) -> None:
    groups = list(_groups())
    total = sum(len(g["tests"]) for _n, _i, g in groups)
    ours, failed, refused = _ours(groups, tmp_path, formats=False)
    engine = _engine()
    print(f"\nJSON-Schema-Test-Suite draft2020-12: ours {ours}/{total}, "
          f"jsonschema-rs {engine}/{total}")
    assert refused == [], "\n".join(refused[:20])
    assert ours >= engine, "\n".join(failed[:40])


def test_formats_are_asserted_by_default_and_the_switch_follows_the_suite(tmp_path: Path
                                                                          ) -> None:
    """The one documented difference: with formats asserted (our default, as OpenAPI tools
    do) only the suite's "format is an annotation" tests change outcome."""
    groups = [g for g in _groups() if g[0] == "format"]
    total = sum(len(g["tests"]) for _n, _i, g in groups)
    (tmp_path / "on").mkdir()
    (tmp_path / "off").mkdir()
    on, on_failed, _ = _ours(groups, tmp_path / "on", formats=True)
    off, _, _ = _ours(groups, tmp_path / "off", formats=False)
    assert off == total
    assert on < total and all("only an annotation" in f for f in on_failed)
