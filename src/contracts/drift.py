"""Drift: how an API changed, graded for its consumer. Today: spec-to-spec diff.

The only module that imports deepdiff (inside ``_deepdiff``, so that importing this module
stays cheap, and where its errors become ours). Both specs are first normalised into plain
trees that say what a client can rely on (``$ref``s inlined, ``allOf`` merged, operations
keyed by method and path shape, parameters by place and name, responses by status, schemas
by property); deepdiff finds what differs and each difference is classified into a stable
rule with a grade from ``RULES``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ._loading import escape_pointer
from .errors import ContractsError, InputError
from .findings import DriftChange, Severity
from .specs import Located, Spec, load_spec

__all__ = ["RULES", "SpecDiff", "diff_specs", "iter_spec_changes", "rank_changes"]

ERR, WARN, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

# -- the rules --------------------------------------------------------------------------------
# Graded for an integrator: ERR = code written against the old spec will break; WARN = it may
# break or silently misbehave; INFO = nothing to do. docs/drift.md mirrors this table (a test
# keeps them equal).
RULES: Mapping[str, tuple[Severity, str]] = MappingProxyType({
    # operations
    "operation.removed": (ERR, "an operation is gone (no operation with that method and path "
                               "shape, nor with its operationId)"),
    "operation.added": (INFO, "a new operation"),
    "operation.path.changed": (ERR, "an operation kept its operationId but moved to another "
                                    "path or method"),
    "operation.id.changed": (WARN, "same method and path, new operationId (generated clients "
                                   "rename their methods)"),
    "operation.deprecated": (WARN, "an operation became deprecated"),
    # parameters
    "request.parameter.removed": (WARN, "a parameter is no longer documented (the server may "
                                        "ignore or reject what we send)"),
    "request.parameter.added": (INFO, "a new optional parameter"),
    "request.parameter.added.required": (ERR, "a new required parameter"),
    "request.parameter.renamed": (ERR, "a parameter removed and one with the same place and "
                                       "schema added"),
    "request.parameter.moved": (ERR, "a parameter kept its name but moved (query, header, "
                                     "cookie)"),
    "request.parameter.required.added": (ERR, "an optional parameter became required"),
    "request.parameter.required.removed": (INFO, "a required parameter became optional"),
    "request.parameter.deprecated": (WARN, "a parameter became deprecated"),
    "request.parameter.style.changed": (WARN, "a parameter's serialisation (style or explode) "
                                              "changed"),
    # request body
    "request.body.added": (INFO, "an operation accepts an optional body it did not document"),
    "request.body.added.required": (ERR, "an operation now requires a body"),
    "request.body.removed": (WARN, "an operation no longer documents its body"),
    "request.body.required.added": (ERR, "an optional body became required"),
    "request.body.required.removed": (INFO, "a required body became optional"),
    "request.content_type.added": (INFO, "the body may be sent in a new media type"),
    "request.content_type.removed": (ERR, "a request media type is no longer accepted"),
    # request schemas (bodies and parameters: what we send)
    "request.field.added": (INFO, "a new optional request field"),
    "request.field.added.required": (ERR, "a new required request field"),
    "request.field.removed": (WARN, "a request field is no longer documented (the server may "
                                    "ignore or reject it)"),
    "request.field.renamed": (ERR, "a request field removed and one with the same schema added "
                                   "beside it"),
    "request.field.required.added": (ERR, "an optional request field became required"),
    "request.field.required.removed": (INFO, "a required request field became optional"),
    "request.field.deprecated": (WARN, "a request field became deprecated"),
    "request.type.changed": (ERR, "a request value's type changed or narrowed (something we "
                                  "send may be rejected)"),
    "request.type.widened": (INFO, "a request value accepts more types"),
    "request.nullable.added": (INFO, "a request value may now be null"),
    "request.nullable.removed": (ERR, "a request value may no longer be null"),
    "request.format.changed": (WARN, "a request value's format was added, removed or changed"),
    "request.enum.value.added": (INFO, "a request enum accepts a new value"),
    "request.enum.value.removed": (ERR, "a request enum no longer accepts a value"),
    "request.constraint.tightened": (ERR, "a request constraint got stricter (max lower, min "
                                          "higher, pattern or enum added, extra fields "
                                          "forbidden, ...)"),
    "request.constraint.relaxed": (INFO, "a request constraint got looser"),
    "request.variant.added": (INFO, "a request oneOf/anyOf accepts a new variant"),
    "request.variant.removed": (ERR, "a request oneOf/anyOf no longer accepts a variant"),
    "request.default.changed": (WARN, "a request default was added, removed or changed (what "
                                      "we omit now means something else)"),
    "request.schema.changed": (WARN, "any other change to a request schema"),
    # responses
    "response.status.success.added": (WARN, "a new 1xx/2xx/3xx status our code may not expect"),
    "response.status.success.removed": (WARN, "a success status is no longer documented"),
    "response.status.error.added": (WARN, "a new error status (4xx, 5xx, default) our code may "
                                          "not handle"),
    "response.status.error.removed": (INFO, "an error status is no longer documented"),
    "response.content_type.added": (WARN, "a response may come in a new media type"),
    "response.content_type.removed": (ERR, "a response media type is no longer sent"),
    "response.header.added": (INFO, "a new response header"),
    "response.header.removed": (ERR, "a response header is no longer documented"),
    "response.header.required.added": (INFO, "a response header is now always sent"),
    "response.header.required.removed": (ERR, "a response header may now be absent"),
    # response schemas (what we read)
    "response.field.added": (INFO, "a new response field"),
    "response.field.removed": (ERR, "a response field is gone"),
    "response.field.renamed": (ERR, "a response field removed and one with the same schema "
                                    "added beside it"),
    "response.field.required.added": (INFO, "a response field is now always present"),
    "response.field.required.removed": (ERR, "a response field may now be absent"),
    "response.field.deprecated": (WARN, "a response field became deprecated"),
    "response.type.changed": (ERR, "a response value's type changed or widened (we may read a "
                                   "type we do not handle)"),
    "response.type.narrowed": (INFO, "a response value comes in fewer types"),
    "response.nullable.added": (ERR, "a response value may now be null"),
    "response.nullable.removed": (INFO, "a response value is no longer null"),
    "response.format.changed": (WARN, "a response value's format was added, removed or "
                                      "changed"),
    "response.enum.value.added": (WARN, "a response enum has a new value (our switch may not "
                                        "handle it)"),
    "response.enum.value.removed": (INFO, "a response enum lost a value"),
    "response.constraint.relaxed": (WARN, "a response constraint got looser (longer strings, "
                                          "wider ranges, extra fields, ...)"),
    "response.constraint.tightened": (INFO, "a response constraint got stricter"),
    "response.variant.added": (WARN, "a response oneOf/anyOf has a new variant"),
    "response.variant.removed": (INFO, "a response oneOf/anyOf lost a variant"),
    "response.default.changed": (INFO, "a response default was added, removed or changed"),
    "response.schema.changed": (WARN, "any other change to a response schema"),
    # security and servers
    "security.requirement.added": (INFO, "a new way to authenticate is accepted"),
    "security.requirement.removed": (ERR, "a way to authenticate (or calling without "
                                          "credentials) is no longer accepted"),
    "security.changed": (ERR, "the accepted ways to authenticate were replaced by others"),
    "security.scopes.added": (ERR, "a security requirement needs a new scope"),
    "security.scopes.removed": (INFO, "a security requirement needs fewer scopes"),
    "server.added": (INFO, "a new server URL"),
    "server.removed": (WARN, "a server URL is no longer documented"),
})


# -- the result -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpecDiff:
    """The changes from ``old`` to ``new`` (spec sources), most relevant first."""

    old: str
    new: str
    changes: tuple[DriftChange, ...] = field(default=())

    def failing(self, fail_on: Severity) -> tuple[DriftChange, ...]:
        return tuple(c for c in self.changes if c.grade >= fail_on)

    @property
    def counts(self) -> dict[Severity, int]:
        counts = dict.fromkeys(sorted(Severity, reverse=True), 0)
        for change in self.changes:
            counts[change.grade] += 1
        return counts

    @property
    def worst(self) -> Severity | None:
        return max((c.grade for c in self.changes), default=None)


def rank_changes(changes: Iterable[DriftChange]) -> list[DriftChange]:
    """Worst first, then by operation, place and rule: input order never changes the answer."""
    return sorted(set(changes), key=lambda c: (-c.grade, c.operation, c.location, c.pointer,
                                               c.rule, c.old, c.new, c.message))


def diff_specs(old: Spec | str | Path, new: Spec | str | Path) -> SpecDiff:
    """Compare two specs (bundled names, paths or loaded specs) for a consumer of the API."""
    old_spec, new_spec = _as_spec(old), _as_spec(new)
    return SpecDiff(old=old_spec.source, new=new_spec.source,
                    changes=tuple(rank_changes(iter_spec_changes(old_spec, new_spec))))


def iter_spec_changes(old: Spec | str | Path, new: Spec | str | Path) -> Iterator[DriftChange]:
    """Every change from ``old`` to ``new``, unranked (see :func:`diff_specs`)."""
    old_norm = _Normaliser(_as_spec(old))
    new_norm = _Normaliser(_as_spec(new))
    old_tree, new_tree = old_norm.tree(), new_norm.tree()
    classifier = _Classifier(old_tree, new_tree, old_norm, new_norm)
    yield from classifier.moved_operations()
    yield from classifier.classify(_deepdiff(old_tree, new_tree))


def _as_spec(spec: Spec | str | Path) -> Spec:
    return spec if isinstance(spec, Spec) else load_spec(spec)


# -- normalisation ----------------------------------------------------------------------------
JSON = Any
Tree = dict[str, Any]

_TEMPLATE_PARAM = re.compile(r"\{([^{}/]+)\}")
_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}
_MAX_LEVELS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties",
               "maxContains")
_MIN_LEVELS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties",
               "minContains")
_OTHER_CONSTRAINTS = ("pattern", "multipleOf", "uniqueItems", "additionalProperties")
_CONSTRAINTS = frozenset(_MAX_LEVELS + _MIN_LEVELS + _OTHER_CONSTRAINTS)
_MAX_SCHEMA_DEPTH = 40
_MAX_NODES = 500_000


def _json(value: JSON) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


@dataclass
class _OpInfo:
    """What the normalised tree leaves out: names and where the operation is written."""

    label: str
    operation_id: str | None
    method: str
    path: str
    source: str
    line: int | None
    params: dict[str, str] = field(default_factory=dict)  # tree key -> parameter name


class _Normaliser:
    """Turns a :class:`Spec` into a plain tree of dicts (no lists: deepdiff reports by key)."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.ops: dict[str, _OpInfo] = {}
        self._nodes = 0
        components = spec.document.get("components")
        schemes = components.get("securitySchemes") if isinstance(components, dict) else None
        self._schemes: dict[str, JSON] = schemes if isinstance(schemes, dict) else {}

    def tree(self) -> Tree:
        servers = self.spec.document.get("servers")
        out: Tree = {"servers": {}, "operations": {}}
        for server in servers if isinstance(servers, list) else []:
            if isinstance(server, dict) and isinstance(server.get("url"), str):
                out["servers"][server["url"].rstrip("/") or "/"] = True
        for op in self.spec.operations:
            path = op.path if op.path.startswith("/") else "/" + op.path
            key = f"{op.method.upper()} {_TEMPLATE_PARAM.sub('{}', path)}"
            if key in out["operations"]:
                continue  # two templates of the same shape: the spec is ambiguous; first wins
            raw_id = op.node.value.get("operationId")
            doc = self.spec.resources.get(op.node.uri)
            info = _OpInfo(
                label=str(raw_id) if raw_id else f"{op.method.upper()} {path}",
                operation_id=str(raw_id) if raw_id else None,
                method=op.method.upper(), path=path,
                source=doc.source if doc else self.spec.source,
                line=doc.line_of(op.node.pointer) if doc else None)
            self.ops[key] = info
            out["operations"][key] = self._operation(op.node, op.path_item, path, info)
        return out

    # operations
    def _operation(self, node: Located, item: Located, path: str, info: _OpInfo) -> Tree:
        op = node.value
        out: Tree = {
            "operationId": info.operation_id or "",
            "deprecated": op.get("deprecated") is True,
            "security": self._security(op.get("security", self.spec.document.get("security"))),
            "parameters": self._parameters(node, item, path, info),
            "responses": {},
        }
        if isinstance(op.get("requestBody"), dict):
            body = self.spec.resolve(node.child("requestBody"))
            out["requestBody"] = {
                "required": body.value.get("required") is True,
                "content": self._content(body),
            }
        raw_responses = op.get("responses")
        for status in raw_responses if isinstance(raw_responses, dict) else ():
            if not isinstance(raw_responses[status], dict):
                continue
            resp = self.spec.resolve(node.child("responses", status))
            headers: Tree = {}
            raw_headers = resp.value.get("headers")
            for name in raw_headers if isinstance(raw_headers, dict) else ():
                if name.lower() == "content-type" or not isinstance(raw_headers[name], dict):
                    continue  # OpenAPI: a Content-Type header definition is ignored
                header = self.spec.resolve(resp.child("headers", name))
                headers[name.lower()] = {"required": header.value.get("required") is True,
                                         "schema": self._param_schema(header)}
            out["responses"][str(status).upper()] = {"content": self._content(resp),
                                                    "headers": headers}
        return out

    def _parameters(self, node: Located, item: Located, path: str, info: _OpInfo) -> Tree:
        positions = {name: i for i, name in enumerate(_TEMPLATE_PARAM.findall(path))}
        merged: dict[tuple[str, str], Located] = {}
        for owner in (item, node):  # operation-level parameters override path-level ones
            raw = owner.value.get("parameters")
            for i in range(len(raw) if isinstance(raw, list) else 0):
                if not isinstance(raw[i], dict):
                    continue
                param = self.spec.resolve(owner.child("parameters", i))
                where, name = param.value.get("in"), param.value.get("name")
                if isinstance(where, str) and isinstance(name, str):
                    merged[(where, name.lower() if where == "header" else name)] = param
        out: Tree = {}
        for (where, name), param in merged.items():
            # Path parameters are positional: renaming {id} to {session_id} changes nothing
            # for a client that fills the template.
            key = (f"path:{positions[name]}" if where == "path" and name in positions
                   else f"{where}:{name}")
            value = param.value
            style = value.get("style", _DEFAULT_STYLE.get(where, "form"))
            explode = value.get("explode", style == "form")
            info.params[key] = str(value.get("name"))
            out[key] = {
                "required": where == "path" or value.get("required") is True,
                "deprecated": value.get("deprecated") is True,
                "style": f"{style}{' explode' if explode else ''}",
                "schema": self._param_schema(param),
            }
        return out

    def _param_schema(self, param: Located) -> Tree:
        if isinstance(param.value.get("schema"), dict | bool):
            return self.schema(param.child("schema"))
        content = param.value.get("content")
        if isinstance(content, dict) and content:
            first = sorted(content)[0]
            media = param.child("content", first)
            if isinstance(media.value, dict) and "schema" in media.value:
                return self.schema(media.child("schema"))
        return {}

    def _content(self, owner: Located) -> Tree:
        out: Tree = {}
        content = owner.value.get("content")
        for media_type in content if isinstance(content, dict) else ():
            media = owner.child("content", media_type)
            key = re.sub(r"\s+", "", str(media_type)).lower()
            has_schema = isinstance(media.value, dict) and "schema" in media.value
            out[key] = self.schema(media.child("schema")) if has_schema else {}
        return out

    def _security(self, requirements: JSON) -> Tree:
        out: Tree = {}
        if not isinstance(requirements, list) or not requirements:
            return {"none": {}}
        for requirement in requirements:
            if not isinstance(requirement, dict):
                continue
            alternative = {self._scheme(name): {str(s): True for s in scopes or []}
                           for name, scopes in requirement.items()
                           if isinstance(scopes, list | type(None))}
            out[" + ".join(sorted(alternative)) or "none"] = alternative
        return out

    def _scheme(self, name: str) -> str:
        """What a client must send, independent of the scheme's name inside the spec."""
        scheme = self._schemes.get(name)
        if isinstance(scheme, dict) and isinstance(scheme.get("$ref"), str):
            scheme = self.spec.resolve(Located(scheme, self.spec.uri, "")).value
        if not isinstance(scheme, dict):
            return f"undefined {name}"
        kind = str(scheme.get("type", ""))
        if kind == "http":
            return f"http {str(scheme.get('scheme', '')).lower()}"
        if kind == "apiKey":
            where = str(scheme.get("in", ""))
            key = str(scheme.get("name", ""))
            return f"apiKey {where} {key.lower() if where == 'header' else key}"
        if kind == "openIdConnect":
            return f"openIdConnect {scheme.get('openIdConnectUrl', '')}"
        return kind or f"undefined {name}"

    # schemas
    def schema(self, loc: Located, stack: tuple[str, ...] = ()) -> Tree:
        self._nodes += 1
        if self._nodes > _MAX_NODES:
            raise InputError(f"schemas expand to more than {_MAX_NODES:,} nodes when their "
                             "$refs are inlined", source=self.spec.source,
                             hint="too large to compare")
        value = loc.value
        if value is False:
            return {"never": True}
        if not isinstance(value, dict):
            return {}
        if len(stack) > _MAX_SCHEMA_DEPTH:
            return {"$truncated": True}
        if isinstance(value.get("$ref"), str):
            target = self.spec.resolve(Located({"$ref": value["$ref"]}, loc.uri, loc.pointer))
            key = f"{target.uri}#{target.pointer}"
            if key in stack:  # a recursive schema: keep a marker instead of inlining forever
                return {"$recursive": target.pointer.rsplit("/", 1)[-1]}
            base = self.schema(target, (*stack, key))
            siblings = {k: v for k, v in value.items() if k != "$ref"}
            if not siblings:
                return base
            return _merge(base, self.schema(Located(siblings, loc.uri, loc.pointer), stack))
        out: Tree = {}
        types = value.get("type")
        if isinstance(types, str):
            types = [types]
        if isinstance(types, list):
            out["type"] = "|".join(sorted({str(t) for t in types}))
        if "format" in value:
            out["format"] = str(value["format"])
        if isinstance(value.get("enum"), list):
            out["enum"] = {_json(v): True for v in value["enum"]}
        if "const" in value:
            const = {_json(value["const"]): True}
            out["enum"] = {k: True for k in out["enum"] if k in const} if "enum" in out else const
        for keyword in _CONSTRAINTS - {"additionalProperties"}:
            if keyword in value:
                raw = value[keyword]
                out[keyword] = raw if isinstance(raw, int | float | str | bool) else _json(raw)
        extra = value.get("additionalProperties")
        if extra is False:
            out["additionalProperties"] = False
        elif isinstance(extra, dict) and extra:
            out["values"] = self.schema(loc.child("additionalProperties"), stack)
        if "default" in value:
            out["default"] = _json(value["default"])
        if value.get("deprecated") is True:
            out["deprecated"] = True
        raw_props, raw_required = value.get("properties"), value.get("required")
        props: dict[str, JSON] = raw_props if isinstance(raw_props, dict) else {}
        required = ({r for r in raw_required if isinstance(r, str)}
                    if isinstance(raw_required, list) else set())
        if props or required:
            out["properties"] = {
                str(name): {"required": name in required,
                            "schema": self.schema(loc.child("properties", name), stack)}
                for name in props}
            for name in required - set(props):
                out["properties"][name] = {"required": True, "schema": {}}
        if isinstance(value.get("items"), dict | bool):
            out["items"] = self.schema(loc.child("items"), stack)
        if isinstance(value.get("prefixItems"), list):
            out["prefixItems"] = {str(i): self.schema(loc.child("prefixItems", i), stack)
                                  for i in range(len(value["prefixItems"]))}
        for keyword in ("oneOf", "anyOf"):
            if isinstance(value.get(keyword), list):
                out[keyword] = self._variants(loc, keyword, stack)
        if isinstance(value.get("not"), dict | bool):
            out["not"] = self.schema(loc.child("not"), stack)
        if isinstance(value.get("allOf"), list):
            for i in range(len(value["allOf"])):
                out = _merge(out, self.schema(loc.child("allOf", i), stack))
        return out

    def _variants(self, loc: Located, keyword: str, stack: tuple[str, ...]) -> Tree:
        """Variants keyed by their component name (or title) so that reordering is no change."""
        out: Tree = {}
        for i, raw in enumerate(loc.value[keyword]):
            name = f"#{i}"
            if isinstance(raw, dict) and isinstance(raw.get("$ref"), str):
                name = raw["$ref"].rsplit("/", 1)[-1]
            elif isinstance(raw, dict) and isinstance(raw.get("title"), str):
                name = raw["title"]
            while name in out:
                name = f"{name}#{i}"
            out[name] = self.schema(loc.child(keyword, i), stack)
        return out


def _merge(a: Tree, b: Tree) -> Tree:
    """``allOf``: both schemas hold. Properties and required-ness add up; types intersect."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key == "properties":
            merged = dict(out[key])
            for name, prop in value.items():
                if name in merged:
                    merged[name] = {"required": merged[name]["required"] or prop["required"],
                                    "schema": _merge(merged[name]["schema"], prop["schema"])}
                else:
                    merged[name] = prop
            out[key] = merged
        elif key == "type":
            both = set(out[key].split("|")) & set(value.split("|"))
            if "integer" in value.split("|") and "number" in out[key].split("|"):
                both.add("integer")
            if "integer" in out[key].split("|") and "number" in value.split("|"):
                both.add("integer")
            out[key] = "|".join(sorted(both)) if both else out[key]
        elif key == "enum":
            out[key] = {k: True for k in out[key] if k in value}
        elif key in ("items", "values", "not"):
            out[key] = _merge(out[key], value)
    return out


# -- deepdiff ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Node:
    """One difference deepdiff found: where (a key path) and the values on each side."""

    path: tuple[str, ...]
    kind: str  # "added" | "removed" | "changed"
    old: JSON
    new: JSON


def _deepdiff(old: Tree, new: Tree) -> list[_Node]:
    """The one place deepdiff is called: its tree view becomes plain :class:`_Node` records."""
    from deepdiff import DeepDiff

    old, new = _prune(old, new)
    try:
        # threshold_to_diff_deeper=0: a dict whose keys all changed is still reported key by
        # key (the classification is per key), never as one replaced value.
        result = DeepDiff(old, new, view="tree", ignore_numeric_type_changes=True,
                          threshold_to_diff_deeper=0, cache_size=0, verbose_level=2)
        nodes = []
        for report, levels in result.items():
            kind = {"dictionary_item_added": "added", "dictionary_item_removed": "removed",
                    "values_changed": "changed", "type_changes": "changed"}.get(report)
            if kind is None:
                raise ValueError(f"unexpected deepdiff report {report!r}")
            for level in levels:
                path = tuple(str(p) for p in level.path(output_format="list"))
                nodes.append(_Node(path, kind, None if kind == "added" else level.t1,
                                   None if kind == "removed" else level.t2))
    except Exception as exc:  # one boundary: nothing of deepdiff's escapes
        raise ContractsError(f"could not compare the specs ({type(exc).__name__}: {exc})",
                             hint="please report this with both specs") from exc
    return sorted(nodes, key=lambda n: (n.path, n.kind))


def _prune(old: Tree, new: Tree) -> tuple[Tree, Tree]:
    """Both trees without the branches they share (deepdiff walks only what differs)."""
    old_out, new_out = {}, {}
    for key in old.keys() | new.keys():
        if key in old and key in new:
            a, b = old[key], new[key]
            if a == b and type(a) is type(b):
                continue
            if isinstance(a, dict) and isinstance(b, dict):
                a, b = _prune(a, b)
            old_out[key], new_out[key] = a, b
        elif key in old:
            old_out[key] = old[key]
        else:
            new_out[key] = new[key]
    return old_out, new_out


# -- classification ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Where:
    operation: str
    location: str
    source: str
    line: int | None


_Pending = dict[tuple[str, str, str, str], dict[str, dict[str, Tree]]]


def _types(value: str | None) -> set[str] | None:
    return None if value is None else set(value.split("|"))


def _covers(wide: set[str], narrow: set[str]) -> bool:
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _describe(schema: Tree) -> str:
    if not schema:
        return "any"
    if "$recursive" in schema:
        return f"recursive {schema['$recursive']}"
    text = schema.get("type", "")
    if text == "array" and isinstance(schema.get("items"), dict) and schema["items"].get("type"):
        text = f"array of {schema['items']['type']}"
    if "format" in schema:
        text += f" ({schema['format']})"
    if "enum" in schema:
        text += f" enum[{len(schema['enum'])}]"
    for keyword in ("oneOf", "anyOf"):
        if keyword in schema:
            text += f" {keyword}[{len(schema[keyword])}]"
    return _short(text.strip() or "object")


def _is_success(status: str) -> bool:
    return status[:1] in ("1", "2", "3")


class _Classifier:
    def __init__(self, old: Tree, new: Tree, old_norm: _Normaliser, new_norm: _Normaliser):
        self.old, self.new = old, new
        self.old_ops, self.new_ops = old_norm.ops, new_norm.ops
        self.old_source, self.new_source = old_norm.spec.source, new_norm.spec.source
        self.moved: list[DriftChange] = []
        self._where_of: dict[tuple[str, str, str, str], _Where] = {}
        self._match_moved_operations()

    # operations that moved keep their operationId: diff them under their old key
    def _match_moved_operations(self) -> None:
        old_ops, new_ops = self.old["operations"], self.new["operations"]
        gone = {self.old_ops[k].operation_id: k for k in sorted(old_ops)
                if k not in new_ops and self.old_ops[k].operation_id}
        for key in sorted(new_ops):
            info = self.new_ops[key]
            if key in old_ops or info.operation_id not in gone:
                continue
            old_key = gone.pop(info.operation_id)
            old_info = self.old_ops[old_key]
            new_ops[old_key] = new_ops.pop(key)
            self.new_ops[old_key] = self.new_ops.pop(key)
            self.moved.append(self._change(
                "operation.path.changed", self._where(old_key, "operation"), "",
                f"{old_info.method} {old_info.path}", f"{info.method} {info.path}",
                f"{info.label} moved from {old_info.method} {old_info.path} to "
                f"{info.method} {info.path}"))

    def moved_operations(self) -> Iterator[DriftChange]:
        yield from self.moved

    def _where(self, op_key: str, location: str, *, old_side: bool = False) -> _Where:
        info = (self.old_ops if old_side else self.new_ops).get(op_key)
        if info is None:
            info = self.old_ops[op_key]
            old_side = True
        return _Where(info.label, location, self.old_source if old_side else self.new_source,
                      info.line)

    @staticmethod
    def _change(rule: str, where: _Where, pointer: str, old: str, new: str,
                message: str) -> DriftChange:
        return DriftChange(rule=rule, grade=RULES[rule][0], operation=where.operation,
                           location=where.location, pointer=pointer, old=_short(old),
                           new=_short(new), message=message, source=where.source,
                           line=where.line)

    def classify(self, nodes: list[_Node]) -> Iterator[DriftChange]:
        fields: _Pending = {}
        params: dict[str, dict[str, dict[str, Tree]]] = {}
        security: dict[str, dict[str, list[str]]] = {}
        for node in nodes:
            path = node.path
            if path[0] == "servers":
                yield from self._server(node)
            elif len(path) == 2:
                yield from self._operation_presence(node)
            elif path[2] == "parameters" and len(path) == 4:
                params.setdefault(path[1], {"removed": {}, "added": {}})[node.kind][path[3]] = \
                    node.old if node.kind == "removed" else node.new
            elif path[2] == "security" and len(path) == 4:
                security.setdefault(path[1], {"removed": [], "added": []})[node.kind].append(
                    path[3])
            else:
                yield from self._operation_part(node, fields)
        for op_key, found in sorted(params.items()):
            yield from self._parameter_presence(op_key, found["removed"], found["added"])
        for op_key, alternatives in sorted(security.items()):
            yield from self._security_presence(op_key, alternatives["removed"],
                                               alternatives["added"])
        for group, found in sorted(fields.items()):
            yield from self._field_presence(group, found["removed"], found["added"])

    def _server(self, node: _Node) -> Iterator[DriftChange]:
        where = _Where("", "servers", self.new_source, None)
        url = node.path[1] if len(node.path) > 1 else ""
        if node.kind == "added":
            yield self._change("server.added", where, url, "", url, f"new server {url}")
        elif node.kind == "removed":
            yield self._change("server.removed", where, url, url, "",
                               f"server {url} is no longer documented")

    def _operation_presence(self, node: _Node) -> Iterator[DriftChange]:
        key = node.path[1]
        if node.kind == "added":
            info = self.new_ops[key]
            yield self._change("operation.added", self._where(key, "operation"), "", "",
                               f"{info.method} {info.path}",
                               f"new operation {info.method} {info.path}")
        else:
            info = self.old_ops[key]
            yield self._change("operation.removed", self._where(key, "operation", old_side=True),
                               "", f"{info.method} {info.path}", "",
                               f"operation {info.method} {info.path} was removed")

    def _operation_part(self, node: _Node, fields: _Pending) -> Iterator[DriftChange]:
        path, op_key = node.path, node.path[1]
        part = path[2]
        if part == "operationId":
            yield self._change("operation.id.changed", self._where(op_key, "operation"), "",
                               str(node.old or ""), str(node.new or ""),
                               f"operationId changed from {node.old or '(none)'} to "
                               f"{node.new or '(none)'}")
        elif part == "deprecated":
            if node.new is True:
                yield self._change("operation.deprecated", self._where(op_key, "operation"), "",
                                   "", "deprecated", "the operation is now deprecated")
        elif part == "security":
            yield from self._scopes(node)
        elif part == "parameters":
            yield from self._parameter_part(node, fields)
        elif part == "requestBody":
            yield from self._request_body(node, fields)
        elif part == "responses":
            yield from self._response(node, fields)

    # parameters
    def _param_name(self, op_key: str, key: str) -> str:
        for ops in (self.new_ops, self.old_ops):
            if op_key in ops and key in ops[op_key].params:
                return ops[op_key].params[key]
        return key.split(":", 1)[1]

    def _parameter_presence(self, op_key: str, removed: dict[str, Tree],
                            added: dict[str, Tree]) -> Iterator[DriftChange]:
        old_names = {k: self.old_ops[op_key].params.get(k, k.split(":", 1)[1]) for k in removed}
        new_names = {k: self.new_ops[op_key].params.get(k, k.split(":", 1)[1]) for k in added}
        # Same name, another place: moved.
        for old_key in sorted(removed):
            where_old = old_key.split(":", 1)[0]
            for new_key in sorted(added):
                where_new = new_key.split(":", 1)[0]
                if new_names[new_key] == old_names[old_key] and where_new != where_old \
                        and "path" not in (where_old, where_new):
                    yield self._change(
                        "request.parameter.moved", self._where(op_key, f"request.{where_new}"),
                        f"/{escape_pointer(new_names[new_key])}", where_old, where_new,
                        f"parameter {new_names[new_key]} moved from {where_old} to {where_new}")
                    del removed[old_key], added[new_key]
                    break
        # Same place and schema, another name: renamed.
        for old_key, new_key in _unique_pairs(
                removed, added, lambda o, n: o.split(":")[0] == n.split(":")[0],
                lambda o, n: removed[o]["schema"] == added[n]["schema"]):
            where = old_key.split(":", 1)[0]
            yield self._change(
                "request.parameter.renamed", self._where(op_key, f"request.{where}"),
                f"/{escape_pointer(old_names[old_key])}", old_names[old_key],
                new_names[new_key],
                f"{where} parameter {old_names[old_key]} was renamed to {new_names[new_key]}")
            del removed[old_key], added[new_key]
        for key, param in sorted(removed.items()):
            where = key.split(":", 1)[0]
            yield self._change(
                "request.parameter.removed", self._where(op_key, f"request.{where}"),
                f"/{escape_pointer(old_names[key])}", _describe(param["schema"]), "",
                f"{where} parameter {old_names[key]} is no longer documented")
        for key, param in sorted(added.items()):
            where = key.split(":", 1)[0]
            required = param["required"]
            yield self._change(
                "request.parameter.added.required" if required else "request.parameter.added",
                self._where(op_key, f"request.{where}"), f"/{escape_pointer(new_names[key])}",
                "", _describe(param["schema"]),
                f"new {'required' if required else 'optional'} {where} parameter "
                f"{new_names[key]}")

    def _parameter_part(self, node: _Node, fields: _Pending) -> Iterator[DriftChange]:
        op_key, key, part = node.path[1], node.path[3], node.path[4]
        where_in = key.split(":", 1)[0]
        name = self._param_name(op_key, key)
        where = self._where(op_key, f"request.{where_in}")
        pointer = f"/{escape_pointer(name)}"
        if part == "required":
            rule = ("request.parameter.required.added" if node.new
                    else "request.parameter.required.removed")
            yield self._change(rule, where, pointer, _flag(node.old, "required"),
                               _flag(node.new, "required"),
                               f"{where_in} parameter {name} is now "
                               f"{'required' if node.new else 'optional'}")
        elif part == "deprecated":
            if node.new is True:
                yield self._change("request.parameter.deprecated", where, pointer, "",
                                   "deprecated", f"{where_in} parameter {name} is deprecated")
        elif part == "style":
            yield self._change("request.parameter.style.changed", where, pointer,
                               str(node.old), str(node.new),
                               f"{where_in} parameter {name} is serialised differently")
        elif part == "schema":
            yield from self._schema(node, node.path[5:], "request", where, pointer, fields,
                                    ("operations", op_key, "parameters", key, "schema"))

    def _security_presence(self, op_key: str, removed: list[str],
                           added: list[str]) -> Iterator[DriftChange]:
        where = self._where(op_key, "security")
        if removed and added:
            old, new = " | ".join(sorted(removed)), " | ".join(sorted(added))
            yield self._change("security.changed", where, "", old, new,
                               f"authentication changed from {old} to {new}")
            return
        for alternative in sorted(removed):
            yield self._change("security.requirement.removed", where, "", alternative, "",
                               f"authenticating with {alternative} is no longer accepted")
        for alternative in sorted(added):
            yield self._change("security.requirement.added", where, "", "", alternative,
                               f"authenticating with {alternative} is now accepted")

    def _scopes(self, node: _Node) -> Iterator[DriftChange]:
        if len(node.path) != 6 or node.kind == "changed":
            return
        op_key, alternative, scheme, scope = node.path[1], node.path[3], node.path[4], \
            node.path[5]
        where = self._where(op_key, "security")
        if node.kind == "added":
            yield self._change("security.scopes.added", where, scheme, "", scope,
                               f"{alternative} now needs scope {scope}")
        else:
            yield self._change("security.scopes.removed", where, scheme, scope, "",
                               f"{alternative} no longer needs scope {scope}")

    # bodies
    def _request_body(self, node: _Node, fields: _Pending) -> Iterator[DriftChange]:
        path, op_key = node.path, node.path[1]
        where = self._where(op_key, "request.body")
        if len(path) == 3:
            body = node.new if node.kind == "added" else node.old
            media = ", ".join(sorted(body["content"])) or "no media type"
            if node.kind == "added":
                required = body["required"]
                yield self._change(
                    "request.body.added.required" if required else "request.body.added",
                    where, "", "", media,
                    f"the operation now {'requires' if required else 'accepts'} a body")
            else:
                yield self._change("request.body.removed", where, "", media, "",
                                   "the operation no longer documents a request body")
        elif path[3] == "required":
            rule = "request.body.required.added" if node.new else "request.body.required.removed"
            yield self._change(rule, where, "", _flag(node.old, "required"),
                               _flag(node.new, "required"),
                               f"the request body is now {'required' if node.new else 'optional'}")
        elif path[3] == "content":
            if len(path) == 5:
                yield from self._content_type(node, "request", self._where(
                    op_key, "request.content_type"))
            else:
                yield from self._schema(node, path[5:], "request", where, "", fields,
                                        path[:5])

    def _response(self, node: _Node, fields: _Pending) -> Iterator[DriftChange]:
        path, op_key, status = node.path, node.path[1], node.path[3]
        if len(path) == 4:
            kind = "success" if _is_success(status) else "error"
            if node.kind == "added":
                yield self._change(f"response.status.{kind}.added",
                                   self._where(op_key, f"response.{status}"), "", "", status,
                                   f"new {kind} status {status}")
            else:
                yield self._change(f"response.status.{kind}.removed",
                                   self._where(op_key, f"response.{status}"), "", status, "",
                                   f"{kind} status {status} is no longer documented")
        elif path[4] == "content":
            if len(path) == 6:
                yield from self._content_type(node, "response", self._where(
                    op_key, f"response.{status}.content_type"))
            else:
                yield from self._schema(node, path[6:], "response",
                                        self._where(op_key, f"response.{status}.body"), "",
                                        fields, path[:6])
        elif path[4] == "headers" and len(path) >= 6:
            where = self._where(op_key, f"response.{status}.header")
            name = path[5]
            pointer = f"/{escape_pointer(name)}"
            if len(path) == 6:
                if node.kind == "added":
                    yield self._change("response.header.added", where, pointer, "",
                                       _describe(node.new["schema"]),
                                       f"new response header {name}")
                else:
                    yield self._change("response.header.removed", where, pointer,
                                       _describe(node.old["schema"]), "",
                                       f"response header {name} is no longer documented")
            elif path[6] == "required":
                rule = ("response.header.required.added" if node.new
                        else "response.header.required.removed")
                yield self._change(rule, where, pointer, _flag(node.old, "required"),
                                   _flag(node.new, "required"),
                                   f"response header {name} is "
                                   f"{'now always sent' if node.new else 'now optional'}")
            elif path[6] == "schema":
                yield from self._schema(node, path[7:], "response", where, pointer, fields,
                                        path[:7])

    def _content_type(self, node: _Node, side: str, where: _Where) -> Iterator[DriftChange]:
        media = node.path[-1]
        if node.kind == "added":
            yield self._change(f"{side}.content_type.added", where, media, "", media,
                               f"the {side} body may now be {media}")
        else:
            yield self._change(f"{side}.content_type.removed", where, media, media, "",
                               f"the {side} body is no longer {media}")

    # schemas
    def _schema(self, node: _Node, rest: tuple[str, ...], side: str, where: _Where,
                pointer: str, fields: _Pending, root: tuple[str, ...]) -> Iterator[DriftChange]:
        """Walk down to the schema that changed, tracking the pointer into the instance."""
        old, new = _get(self.old, root), _get(self.new, root)
        variant = ""
        i = 0
        while i < len(rest):
            key = rest[i]
            if key == "properties" and i + 2 < len(rest) and rest[i + 2] == "schema":
                name = rest[i + 1]
                old, new = old[key][name]["schema"], new[key][name]["schema"]
                pointer += f"/{escape_pointer(name)}"
                i += 3
            elif key in ("items", "values", "not") and i + 1 < len(rest):
                old, new = old[key], new[key]
                pointer += {"items": "/[]", "values": "/{*}", "not": ""}[key]
                i += 1
            elif key in ("oneOf", "anyOf", "prefixItems") and i + 2 < len(rest):
                old, new = old[key][rest[i + 1]], new[key][rest[i + 1]]
                if key == "prefixItems":
                    pointer += f"/{rest[i + 1]}"
                else:
                    variant = f" (in {key} variant {rest[i + 1]})"
                i += 2
            else:
                break
        keyword, tail = (rest[i], rest[i + 1:]) if i < len(rest) else ("", ())
        yield from self._keyword(node, side, where, pointer, keyword, tail, old, new, variant,
                                 fields)

    def _keyword(self, node: _Node, side: str, where: _Where, pointer: str, keyword: str,
                 tail: tuple[str, ...], old: Tree, new: Tree, variant: str,
                 fields: _Pending) -> Iterator[DriftChange]:
        place = f"{pointer or '/'}{variant}"
        if keyword == "properties" and not tail:
            group = (where.operation, where.location, pointer, side)
            found = fields.setdefault(group, {"removed": {}, "added": {}})
            props = node.old if node.kind == "removed" else node.new
            for name, prop in (props or {}).items():
                found[node.kind][name] = prop
            self._where_of[group] = where
        elif keyword == "properties" and len(tail) == 1:
            group = (where.operation, where.location, pointer, side)
            found = fields.setdefault(group, {"removed": {}, "added": {}})
            found[node.kind][tail[0]] = node.old if node.kind == "removed" else node.new
            self._where_of[group] = where
        elif keyword == "properties" and tail[1:] == ("required",):
            name = tail[0]
            field_pointer = f"{pointer}/{escape_pointer(name)}"
            if side == "request":
                rule = ("request.field.required.added" if node.new
                        else "request.field.required.removed")
            else:
                rule = ("response.field.required.added" if node.new
                        else "response.field.required.removed")
            what = ("now required" if side == "request" else "now always present") if node.new \
                else ("now optional" if side == "request" else "now optional (may be absent)")
            yield self._change(rule, where, field_pointer, _flag(node.old, "required"),
                               _flag(node.new, "required"),
                               f"{side} field {field_pointer}{variant} is {what}")
        elif keyword == "type" and not tail:
            yield from self._type(side, where, pointer, place, old.get("type"), new.get("type"))
        elif keyword == "format" and not tail:
            yield self._change(f"{side}.format.changed", where, pointer,
                               str(old.get("format", "none")), str(new.get("format", "none")),
                               f"{side} value {place} format changed from "
                               f"{old.get('format', 'none')} to {new.get('format', 'none')}")
        elif keyword == "enum" and len(tail) == 1:
            value = tail[0]
            if node.kind == "added":
                rule = f"{side}.enum.value.added"
                yield self._change(rule, where, pointer, "", value,
                                   f"{side} value {place} has a new enum value {value}")
            elif node.kind == "removed":
                yield self._change(f"{side}.enum.value.removed", where, pointer, value, "",
                                   f"{side} value {place} lost enum value {value}")
        elif keyword in _CONSTRAINTS or (keyword in ("enum", "items", "values", "oneOf",
                                                     "anyOf", "prefixItems") and not tail):
            yield from self._constraint(node, side, where, pointer, place, keyword, old, new)
        elif keyword in ("oneOf", "anyOf") and len(tail) == 1:
            name = tail[0]
            if node.kind == "added":
                yield self._change(f"{side}.variant.added", where, pointer, "",
                                   f"{name}: {_describe(node.new)}",
                                   f"{side} value {place} has a new {keyword} variant {name}")
            else:
                yield self._change(f"{side}.variant.removed", where, pointer,
                                   f"{name}: {_describe(node.old)}", "",
                                   f"{side} value {place} lost {keyword} variant {name}")
        elif keyword == "default" and not tail:
            yield self._change(f"{side}.default.changed", where, pointer,
                               _short(str(old.get("default", "none")), 40),
                               _short(str(new.get("default", "none")), 40),
                               f"{side} value {place} default changed from "
                               f"{_short(str(old.get('default', 'none')), 40)} to "
                               f"{_short(str(new.get('default', 'none')), 40)}")
        elif keyword == "deprecated" and not tail:
            if node.new is True:
                yield self._change(f"{side}.field.deprecated", where, pointer, "", "deprecated",
                                   f"{side} field {place} is deprecated")
        else:
            yield self._change(f"{side}.schema.changed", where, pointer,
                               _short(_json(node.old), 40) if node.kind != "added" else "",
                               _short(_json(node.new), 40) if node.kind != "removed" else "",
                               f"{side} schema at {place} changed "
                               f"({'/'.join((keyword, *tail)) or 'schema'} {node.kind})")

    def _type(self, side: str, where: _Where, pointer: str, place: str, old: str | None,
              new: str | None) -> Iterator[DriftChange]:
        old_set, new_set = _types(old), _types(new)
        if old_set is not None and new_set is not None:
            old_null, new_null = "null" in old_set, "null" in new_set
            if old_null != new_null:
                rule = f"{side}.nullable.{'added' if new_null else 'removed'}"
                yield self._change(rule, where, pointer, old or "", new or "",
                                   f"{side} value {place} "
                                   f"{'may now be null' if new_null else 'may no longer be null'}")
            old_set, new_set = old_set - {"null"}, new_set - {"null"}
            if old_set == new_set or not (old_set and new_set):
                return
        # None means any type: from "any" to some types narrows, and the reverse widens.
        widened = new_set is None or (old_set is not None and _covers(new_set, old_set))
        narrowed = old_set is None or (new_set is not None and _covers(old_set, new_set))
        if side == "request":
            rule = "request.type.widened" if widened else "request.type.changed"
        else:
            rule = "response.type.narrowed" if narrowed else "response.type.changed"
        yield self._change(rule, where, pointer, old or "any", new or "any",
                           f"{side} value {place} type changed from {old or 'any'} to "
                           f"{new or 'any'}")

    def _constraint(self, node: _Node, side: str, where: _Where, pointer: str, place: str,
                    keyword: str, old: Tree, new: Tree) -> Iterator[DriftChange]:
        before, after = old.get(keyword), new.get(keyword)
        if keyword in _MAX_LEVELS or keyword in _MIN_LEVELS:
            if before is None or after is None:
                tighter = after is not None
            else:
                try:
                    tighter = (after < before) if keyword in _MAX_LEVELS else (after > before)
                except TypeError:
                    tighter = True
        elif keyword in ("uniqueItems",):
            tighter = after is True
        elif keyword == "additionalProperties":
            tighter = after is False
        else:  # pattern, multipleOf, a whole enum, items, variants: present is stricter
            tighter = after is not None
        rule = f"{side}.constraint.{'tightened' if tighter else 'relaxed'}"
        text_old = "none" if before is None else _constraint_text(keyword, before)
        text_new = "none" if after is None else _constraint_text(keyword, after)
        yield self._change(rule, where, pointer, f"{keyword} {text_old}",
                           f"{keyword} {text_new}",
                           f"{side} value {place} {keyword} changed from {text_old} to "
                           f"{text_new}")

    def _field_presence(self, group: tuple[str, str, str, str], removed: dict[str, Tree],
                        added: dict[str, Tree]) -> Iterator[DriftChange]:
        _op, _location, pointer, side = group
        where = self._where_of[group]
        for old_name, new_name in _unique_pairs(removed, added, lambda o, n: True,
                                                lambda o, n: removed[o]["schema"]
                                                == added[n]["schema"]):
            yield self._change(f"{side}.field.renamed", where,
                               f"{pointer}/{escape_pointer(old_name)}", old_name, new_name,
                               f"{side} field {pointer}/{old_name} was renamed to {new_name}")
            del removed[old_name], added[new_name]
        for name, prop in sorted(removed.items()):
            field_pointer = f"{pointer}/{escape_pointer(name)}"
            yield self._change(f"{side}.field.removed", where, field_pointer,
                               _describe(prop["schema"]), "",
                               f"{side} field {field_pointer} was removed")
        for name, prop in sorted(added.items()):
            field_pointer = f"{pointer}/{escape_pointer(name)}"
            rule = f"{side}.field.added"
            if side == "request" and prop["required"]:
                rule += ".required"
            kind = "required " if prop["required"] else ""
            yield self._change(rule, where, field_pointer, "", _describe(prop["schema"]),
                               f"new {kind}{side} field {field_pointer}")


def _get(tree: Tree, path: tuple[str, ...]) -> Tree:
    node: Any = tree
    for key in path:
        node = node[key]
    return node  # type: ignore[no-any-return]


def _flag(value: JSON, word: str) -> str:
    return word if value else f"not {word}"


def _constraint_text(keyword: str, value: JSON) -> str:
    if keyword in ("enum", "oneOf", "anyOf", "prefixItems") and isinstance(value, dict):
        return _short(", ".join(sorted(value)), 60)
    if keyword in ("items", "values") and isinstance(value, dict):
        return _describe(value)
    return _short(str(value), 60)


def _unique_pairs(removed: Mapping[str, Tree], added: Mapping[str, Tree],
                  comparable: Any, same: Any) -> list[tuple[str, str]]:
    """Pairs (removed, added) that match each other and nothing else: a rename, not a guess."""
    pairs = []
    for old_key in sorted(removed):
        matches = [n for n in sorted(added) if comparable(old_key, n) and same(old_key, n)]
        if len(matches) != 1:
            continue
        back = [o for o in sorted(removed) if comparable(o, matches[0]) and same(o, matches[0])]
        if back == [old_key]:
            pairs.append((old_key, matches[0]))
    return pairs
