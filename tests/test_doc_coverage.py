"""The specs cover the vendor pages: every operation, status, field and example named there.

The pages are transcribed as data in tests/data/docs/<vendor>.yaml (see its README); these
tests compare each entry with the spec. A failure names the vendor, the entry and what differs.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts import load_spec
from contracts._schema import SchemaValidators
from contracts.specs import Located, Spec

DOCS = Path(__file__).parent / "data" / "docs"
VENDORS = ("upheal", "heidi", "eka", "realtimekit")


@functools.cache
def _load(vendor: str) -> dict[str, Any]:
    # Cached: every field entry's tests read the file (a few hundred entries per vendor).
    return yaml.safe_load((DOCS / f"{vendor}.yaml").read_text("utf-8"))


def _entries(key: str) -> list[Any]:
    params = []
    for vendor in VENDORS:
        for i, entry in enumerate(_load(vendor).get(key) or []):
            label = entry.get("name") or entry.get("operationId")
            holder = entry.get("schema", "").rsplit("/", 1)[-1]
            ident = f"{vendor}:{holder + '.' if key == 'fields' else ''}{label}:{i}"
            params.append(pytest.param(vendor, entry, id=ident))
    return params


_SPECS: dict[str, Spec] = {}


def spec_of(vendor: str) -> Spec:
    if vendor not in _SPECS:
        _SPECS[vendor] = load_spec(vendor)
    return _SPECS[vendor]


def _resolve(spec: Spec, node: Located) -> Located:
    return spec.resolve(node)


def _members(spec: Spec, node: Located) -> list[Located]:
    """The schema and, recursively, every allOf member (where properties may be declared)."""
    node = _resolve(spec, node)
    out = [node]
    if isinstance(node.value, dict):
        for i, _ in enumerate(node.value.get("allOf") or []):
            out.extend(_members(spec, node.child("allOf", i)))
    return out


def _property(spec: Spec, holder: Located, name: str) -> Located | None:
    for member in _members(spec, holder):
        props = member.value.get("properties") if isinstance(member.value, dict) else None
        if isinstance(props, dict) and name in props:
            return _resolve(spec, member.child("properties", name))
    # A nullable object is `anyOf: [{$ref: X}, {type: "null"}]`: its properties live in X.
    for member in _members(spec, holder):
        for key in ("anyOf", "oneOf"):
            for i, _ in enumerate(member.value.get(key) or []):
                found = _property(spec, member.child(key, i), name)
                if found is not None:
                    return found
    return None


def _requiring_member(spec: Spec, holder: Located, name: str) -> dict[str, Any]:
    for member in _members(spec, holder):
        if name in (member.value.get("required") or []):
            return dict(member.value)
    return {}


def _required_anywhere(spec: Spec, holder: Located, name: str) -> str | None:
    """Where ``name`` is required at this level.

    'required' (in `required`), 'every-branch' (in every anyOf/oneOf branch: as strict as
    required), 'some-branch' (an alternative, e.g. sessionType or noteTemplateIds), or None.
    """
    found = None
    for member in _members(spec, holder):
        value = member.value
        if name in (value.get("required") or []):
            return "required"
        for key in ("anyOf", "oneOf"):
            branches = [_resolve(spec, member.child(key, i)).value
                        for i, _ in enumerate(value.get(key) or [])]
            hits = [name in (b.get("required") or []) for b in branches]
            if hits and all(hits):
                return "every-branch"
            if any(hits):
                found = "some-branch"
    return found


def _allowed_types(spec: Spec, node: Located) -> set[str] | None:
    """Types a schema admits (None: unconstrained). Unions through anyOf/oneOf and $ref."""
    node = _resolve(spec, node)
    value = node.value
    if value is True or value == {}:
        return None
    types: set[str] = set()
    declared = value.get("type")
    if isinstance(declared, str):
        types.add(declared)
    elif isinstance(declared, list):
        types.update(declared)
    if "const" in value and value["const"] is None:
        types.add("null")
    branches = [k for k in ("anyOf", "oneOf") if k in value]
    for key in branches:
        for i, _ in enumerate(value[key]):
            sub = _allowed_types(spec, node.child(key, i))
            if sub is None:
                return None
            types.update(sub)
    for i, _ in enumerate(value.get("allOf") or []):
        sub = _allowed_types(spec, node.child("allOf", i))
        if sub is not None and not types:
            types.update(sub)
    if not types and not branches and "type" not in value:
        return None
    return types


def _array_items(spec: Spec, node: Located) -> Located | None:
    """The items schema of an array, also when the array is one branch of an anyOf/oneOf."""
    node = _resolve(spec, node)
    if "items" in node.value:
        return _resolve(spec, node.child("items"))
    for key in ("anyOf", "oneOf"):
        for i, _ in enumerate(node.value.get(key) or []):
            found = _array_items(spec, node.child(key, i))
            if found is not None:
                return found
    return None


def _admits(allowed: set[str] | None, documented: str) -> bool:
    if allowed is None:
        return True
    if documented in allowed:
        return True
    # A spec may be wider than the page, never narrower: "integer" fits in "number".
    return documented == "integer" and "number" in allowed


@pytest.mark.parametrize(("vendor", "entry"), _entries("operations"))
def test_operation_documented(vendor: str, entry: dict[str, Any]) -> None:
    spec = spec_of(vendor)
    op = spec.operation(entry["operationId"])
    assert op.method == entry["method"], f"{op}: method"
    assert op.spec_path == entry["path"], f"{op}: path"
    responses = {str(k) for k in op.node.value.get("responses", {})}
    missing = {str(s) for s in entry.get("statuses") or []} - responses
    assert not missing, f"{op}: statuses the page documents are missing: {sorted(missing)}"
    declared = {}
    for holder in (op.path_item, op.node):
        for i, _ in enumerate(holder.value.get("parameters") or []):
            param = spec.resolve(holder.child("parameters", i)).value
            declared[(param["in"], param["name"])] = param
    for name in entry.get("query") or []:
        assert ("query", name) in declared, f"{op}: query parameter {name!r} missing"
    for name in entry.get("path_params") or []:
        assert declared.get(("path", name), {}).get("required") is True, f"{op}: path {name}"


@pytest.mark.parametrize(("vendor", "entry"), _entries("webhooks"))
def test_webhook_documented(vendor: str, entry: dict[str, Any]) -> None:
    spec = spec_of(vendor)
    webhook = spec.document["webhooks"][entry["name"]][entry["method"]]
    headers = {spec.resolve(Located(p, spec.uri, "")).value["name"].lower()
               for p in webhook.get("parameters") or [] if p.get("in", "header") == "header"}
    assert {h.lower() for h in entry["headers"]} <= headers
    assert {str(s) for s in entry["statuses"]} <= {str(k) for k in webhook["responses"]}


@pytest.mark.parametrize(("vendor", "entry"), _entries("fields"))
def test_field_documented(vendor: str, entry: dict[str, Any]) -> None:
    spec = spec_of(vendor)
    holder = spec.locate(spec.uri, entry["schema"])
    name = entry["name"]
    prop = _property(spec, holder, name)
    assert prop is not None, f"{entry['schema']} has no property {name!r}"
    if entry.get("type") is not None:
        allowed = _allowed_types(spec, prop)
        assert _admits(allowed, entry["type"]), (
            f"{name}: page says {entry['type']}, spec admits {sorted(allowed or [])}")
    where = _required_anywhere(spec, holder, name)
    if entry["required"]:
        assert where is not None or prop.value.get("x-contracts-assumption"), (
            f"{name}: the page calls it required but the spec does not require it")
    else:
        # Stricter than the page only as a recorded choice: the requiring schema is marked
        # x-contracts-assumption and its description names the field.
        member = _requiring_member(spec, holder, name)
        recorded = bool(member.get("x-contracts-assumption")) and (
            f"`{name}`" in str(member.get("description", "")))
        assert where in (None, "some-branch") or recorded, (
            f"{name}: required in the spec ({where}) but optional on the page")
    target = prop
    if entry.get("items") is not None:
        items = _array_items(spec, prop)
        assert items is not None, f"{name}: the spec declares no array items"
        assert _admits(_allowed_types(spec, items), entry["items"]), f"{name}: item type"
        target = items
    if "enum" in entry:
        enum_node = target if "enum" in target.value else _resolve(spec, prop)
        # Wider than the page (no enum at all) only as a recorded choice: another source
        # allows other values.
        if "enum" in enum_node.value or not enum_node.value.get("x-contracts-assumption"):
            values = set(enum_node.value.get("enum") or [])
            assert set(entry["enum"]) <= values, (
                f"{name}: enum values {set(entry['enum']) - values}")
    if "format" in entry:
        formats = {target.value.get("format"), prop.value.get("format")}
        assert entry["format"] in formats, f"{name}: format {entry['format']} not in the spec"
    if "max_length" in entry:
        assert prop.value.get("maxLength") == entry["max_length"], f"{name}: maxLength"
    if "minimum" in entry:
        assert prop.value.get("minimum") == entry["minimum"], f"{name}: minimum"


# Specs that read the page's "optional <type>" as "may be absent or null", as the vendor's SDK
# does (one assumption, on the spec's `info`; see specs/CONVENTIONS.md).
OPTIONAL_IS_NULLABLE = ("realtimekit",)
# Response fields the spec takes from the SDK alone, read the same way.
SDK_ONLY_OPTIONAL = {"realtimekit": [
    ("/components/schemas/Participant", "peer_events"),
    ("/components/schemas/SessionGenerateSummaryOfTranscriptsResponse", "data"),
    ("/components/schemas/SessionGenerateSummaryOfTranscriptsResponse", "success"),
    ("/components/schemas/SessionGenerateSummaryOfTranscriptsResponse/properties/data",
     "session_id"),
    ("/components/schemas/SessionGenerateSummaryOfTranscriptsResponse/properties/data",
     "status"),
]}


@pytest.mark.parametrize(("vendor", "entry"), [
    p for p in _entries("fields") if p.values[0] in OPTIONAL_IS_NULLABLE])
def test_optional_fields_admit_null_and_required_ones_do_not(vendor: str,
                                                             entry: dict[str, Any]) -> None:
    spec = spec_of(vendor)
    info = spec.document["info"]
    assert info.get("x-contracts-assumption") is True and "absent or null" in info["description"]
    prop = _property(spec, spec.locate(spec.uri, entry["schema"]), entry["name"])
    assert prop is not None
    allowed = _allowed_types(spec, prop)
    if entry["required"]:
        assert allowed is not None and "null" not in allowed, f"{entry['name']}: admits null"
    else:
        assert allowed is None or "null" in allowed, f"{entry['name']}: optional, not nullable"


@pytest.mark.parametrize("vendor", OPTIONAL_IS_NULLABLE)
def test_sdk_only_optional_fields_admit_null(vendor: str) -> None:
    spec = spec_of(vendor)
    for holder, name in SDK_ONLY_OPTIONAL[vendor]:
        prop = _property(spec, spec.locate(spec.uri, holder), name)
        assert prop is not None, (holder, name)
        allowed = _allowed_types(spec, prop)
        assert allowed is None or "null" in allowed, (holder, name)


def _media(spec: Spec, operation: str, status: Any) -> Located:
    op = spec.operation(operation)
    if status == "request":
        holder = spec.resolve(op.node.child("requestBody"))
    else:
        holder = spec.resolve(op.node.child("responses", str(status)))
    return holder.child("content", "application/json")


def _walk(value: Any, pointer: str) -> Any:
    for token in [t for t in pointer.split("/")[1:]]:
        token = token.replace("~1", "/").replace("~0", "~")
        value = value[int(token)] if isinstance(value, list) else value[token]
    return value


@pytest.mark.parametrize(("vendor", "entry"), _entries("examples"))
def test_page_example(vendor: str, entry: dict[str, Any]) -> None:
    spec = spec_of(vendor)
    media = _media(spec, entry["operationId"], entry["status"])
    assert entry["name"] in (media.value.get("examples") or {}), (
        f"the spec carries no example named {entry['name']!r}")
    example = spec.resolve(media.child("examples", entry["name"])).value["value"]
    compiled = SchemaValidators(spec).compile(media.child("schema"))
    assert compiled.is_valid(example), f"spec example {entry['name']} does not validate"
    if entry.get("parses") is False:
        with pytest.raises(json.JSONDecodeError):
            json.loads(entry["page"])
        return
    page = json.loads(entry["page"])
    if "at" in entry:
        assert _walk(example, entry["at"]) == page, (
            f"the page fragment is not what the spec example holds at {entry['at']}")
        return
    failing = {err.pointer for err in compiled.iter_errors(page)}
    expected = set(entry.get("departs_at") or [])
    # Each documented departure fails, and nothing else does.
    assert all(any(f == d or f.startswith(d + "/") for f in failing) for d in expected), (
        f"documented departures {sorted(expected)} do not all fail (failing: {sorted(failing)})")
    assert all(any(f == d or f.startswith(d + "/") for d in expected) for f in failing), (
        f"undocumented failures: {sorted(failing)}; documented: {sorted(expected)}")


def _source_keys(entry: dict[str, Any]) -> list[str]:
    source = entry.get("source")
    return [source] if isinstance(source, str) else list(source or [])


@pytest.mark.parametrize(("vendor", "entry"), _entries("fields"))
def test_field_names_its_source(vendor: str, entry: dict[str, Any]) -> None:
    """Each field says where it was read: keys of the file's `provenance` map."""
    provenance = _load(vendor).get("provenance") or {}
    keys = _source_keys(entry)
    assert keys, f"{entry['name']}: no `source` (which page, file or SDK type names it?)"
    unknown = [k for k in keys if k not in provenance]
    assert not unknown, f"{entry['name']}: source keys {unknown} are not in `provenance`"


@pytest.mark.parametrize("vendor", VENDORS)
def test_provenance_is_cited_by_the_spec(vendor: str) -> None:
    """Every source a field is read from is cited in the spec's info.x-contracts-source, and
    every provenance key is used by some field (no stale sources)."""
    data = _load(vendor)
    provenance = data.get("provenance") or {}
    assert provenance, "the transcription has no `provenance` map"
    cited = json.dumps(spec_of(vendor).document["info"].get("x-contracts-source"))
    for key, item in provenance.items():
        assert item["cites"] in cited, (
            f"provenance {key!r}: the spec's info.x-contracts-source does not cite "
            f"{item['cites']!r}")
    used = {k for entry in data.get("fields") or [] for k in _source_keys(entry)}
    assert set(provenance) <= used, f"provenance keys no field uses: {set(provenance) - used}"


@pytest.mark.parametrize("vendor", VENDORS)
def test_transcription_names_its_sources(vendor: str) -> None:
    data = _load(vendor)
    spec = spec_of(vendor)
    assert data["spec"] == f"{vendor}.yaml"
    sources = json.dumps(spec.document["info"].get("x-contracts-source"))
    for source in data["sources"]:
        assert source.split("_")[0] in sources or source in sources, (
            f"spec info.x-contracts-source does not cite {source}")


_EKA_LIST = [{"eka_emr_template": {"status": "success", "data": {"chief_complaint": "cough"}}}]
_EKA_MAP = {"eka_emr_template": {"status": "success", "data": {"chief_complaint": "cough"}}}


@pytest.mark.parametrize(("status", "state"), [(200, "completed"), (206, "partial"),
                                               (410, "expired")])
@pytest.mark.parametrize("templates", [_EKA_LIST, _EKA_MAP, {}, []], ids=["list", "map",
                                                                           "empty-map",
                                                                           "empty-list"])
def test_eka_templates_list_or_map_in_every_state_a_source_describes(
        status: int, state: str, templates: Any) -> None:
    """The Get Session page and Eka's OpenAPI files print `templates` as a list of single-key
    objects; Eka's SDK JSON schemas type it as a map keyed by template id (200, 206, 410)."""
    spec = spec_of("eka")
    compiled = SchemaValidators(spec).compile(_media(spec, "getSession", status).child("schema"))
    body = {"session_id": "ses_abc123def456", "status": state, "templates": templates}
    assert compiled.is_valid(body), [e.message for e in compiled.iter_errors(body)]
    bad = dict(body, templates="eka_emr_template")
    assert not compiled.is_valid(bad)
    if status != 410:  # a map whose values are not template results is still refused
        assert not compiled.is_valid(dict(body, templates={"eka_emr_template": "done"}))
