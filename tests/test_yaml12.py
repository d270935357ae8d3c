"""Documents are read by YAML 1.2 rules, and JSON files as JSON: numbers such as ``1e-8`` are
numbers, and the line of every pointer is kept either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts import lint
from contracts._loading import load_document, parse_document

YAML12 = [
    ("1e-8", 1e-8), ("1.5e3", 1500.0), ("-2E+2", -200.0), (".5", 0.5), ("+1.", 1.0),
    ("017", 17), ("0o17", 15), ("0x1F", 31), ("-12", -12),
    ("true", True), ("False", False), ("null", None), ("~", None),
    # YAML 1.1 readings that 1.2 drops: these are strings.
    ("yes", "yes"), ("off", "off"), ("1:30", "1:30"), ("0b101", "0b101"), ("1_000", "1_000"),
]


@pytest.mark.parametrize(("text", "value"), YAML12, ids=[t for t, _ in YAML12])
def test_plain_scalars_follow_yaml_1_2(text: str, value: object) -> None:
    data = parse_document(f"v: {text}\n").data
    assert data["v"] == value and type(data["v"]) is type(value)


def test_json_file_is_parsed_as_json_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text('{\n  "a": 1.5e3,\n  "b": [1e-8,\n        12345678901234567890123],\n'
                    '  "c": "\\/x"\n}\n')
    doc = load_document(path)
    assert doc.data == {"a": 1500.0, "b": [1e-8, 12345678901234567890123], "c": "/x"}
    assert isinstance(doc.data["a"], float)
    assert doc.line_of("/a") == 2 and doc.line_of("/b/1") == 4 and doc.line_of("/c") == 5


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_lint_reads_exponent_numbers_as_numbers(tmp_path: Path, suffix: str) -> None:
    """The issue's report: lint blamed the user for `'1.5e3' is not of type 'number'`."""
    import json

    spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "servers": [{"url": "https://example.test"}],
            "paths": {"/x": {"get": {
                "operationId": "getX", "summary": "s", "description": "d",
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "number", "minimum": 1e-8, "maximum": 1.5e3},
                    "example": 1.5e3}}},
                              "default": {"description": "error"}}}}}}
    path = tmp_path / f"spec.{suffix}"
    text = json.dumps(spec, indent=2)
    if suffix == "yaml":
        text = text.replace("1500.0", "1.5e3").replace("1e-08", "1e-8")
        assert "1.5e3" in text
    path.write_text(text)
    findings = lint(path)
    assert [f for f in findings if f.code in ("oas.schema", "example.invalid",
                                             "schema.invalid")] == []


def test_json_line_map_matches_the_yaml_one(tmp_path: Path) -> None:
    """Differential: a bundled spec written as JSON gets the same line for every pointer
    from the JSON scan as from the YAML composer reading the same text."""
    import json

    from contracts.specs import bundled_path

    data = load_document(bundled_path("eka")).data
    text = json.dumps(data, indent=2)
    as_json = parse_document(text, source="eka.json")
    as_yaml = parse_document(text, source="eka.yaml")
    assert as_json.data == as_yaml.data
    assert as_json.lines == as_yaml.lines and len(as_json.lines) > 500
