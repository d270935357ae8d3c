"""Drift: how an API changed, graded for its consumer: spec-to-spec diff, traffic against a
spec (with waivers, history and spec suggestions), and two recordings against each other.

The only module that imports deepdiff (inside ``_deepdiff`` and ``_deepdiff_bodies``, so that
importing this module stays cheap, and where its errors become ours). For the spec diff, both
specs are first normalised into plain trees that say what a client can rely on (``$ref``s
inlined, ``allOf`` merged, operations keyed by method and path shape, parameters by place and
name, responses by status, schemas by property); deepdiff finds what differs and each
difference is classified into a stable rule with a grade from ``RULES``. Traffic and baseline
drift (``TRAFFIC_RULES``) are described where their sections start, below.
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
from .findings import DriftChange, Severity, TrafficDrift
from .findings import location as _input_location
from .specs import Located, Spec, load_spec

__all__ = ["DEFAULT_VOLATILE_KEYS", "RULES", "TRAFFIC_RULES", "HistoryMark", "ReadIssue",
           "Resolved", "SpecDiff", "TrafficReport", "TrendPoint", "VolatileRules", "Waiver",
           "apply_waivers", "baseline_drift", "diff_specs", "fold_pointer", "iter_spec_changes",
           "load_waivers", "rank_changes", "rank_traffic", "record_history", "suggest_spec",
           "traffic_drift"]

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
                "content": self._content(body, "readOnly"),
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
                                         "schema": self._param_schema(header, "writeOnly")}
            out["responses"][str(status).upper()] = {"content": self._content(resp, "writeOnly"),
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
                "schema": self._param_schema(param, "readOnly"),
            }
        return out

    def _param_schema(self, param: Located, drop: str) -> Tree:
        if isinstance(param.value.get("schema"), dict | bool):
            return self.schema(param.child("schema"), drop=drop)
        content = param.value.get("content")
        if isinstance(content, dict) and content:
            first = sorted(content)[0]
            media = param.child("content", first)
            if isinstance(media.value, dict) and "schema" in media.value:
                return self.schema(media.child("schema"), drop=drop)
        return {}

    def _content(self, owner: Located, drop: str) -> Tree:
        out: Tree = {}
        content = owner.value.get("content")
        for media_type in content if isinstance(content, dict) else ():
            media = owner.child("content", media_type)
            key = re.sub(r"\s+", "", str(media_type)).lower()
            has_schema = isinstance(media.value, dict) and "schema" in media.value
            out[key] = self.schema(media.child("schema"), drop=drop) if has_schema else {}
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
    def schema(self, loc: Located, stack: tuple[str, ...] = (), *, drop: str = "") -> Tree:
        """The plain tree of a schema. ``drop`` (``readOnly`` in what we send, ``writeOnly``
        in what we read) leaves out the properties marked so: a client never sends the one
        nor reads the other, so a field becoming write-only is a response field removed."""
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
            base = self.schema(target, (*stack, key), drop=drop)
            siblings = {k: v for k, v in value.items() if k != "$ref"}
            if not siblings:
                return base
            return _merge(base, self.schema(Located(siblings, loc.uri, loc.pointer), stack,
                                            drop=drop))
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
            out["values"] = self.schema(loc.child("additionalProperties"), stack, drop=drop)
        if "default" in value:
            out["default"] = _json(value["default"])
        if value.get("deprecated") is True:
            out["deprecated"] = True
        raw_props, raw_required = value.get("properties"), value.get("required")
        props: dict[str, JSON] = raw_props if isinstance(raw_props, dict) else {}
        required = ({r for r in raw_required if isinstance(r, str)}
                    if isinstance(raw_required, list) else set())
        if drop and props:
            hidden = {name for name in props
                      if self.spec.marked(loc.child("properties", name), drop)}
            props = {name: v for name, v in props.items() if name not in hidden}
            required -= hidden
        if props or required:
            out["properties"] = {
                str(name): {"required": name in required,
                            "schema": self.schema(loc.child("properties", name), stack,
                                                  drop=drop)}
                for name in props}
            for name in required - set(props):
                out["properties"][name] = {"required": True, "schema": {}}
        if isinstance(value.get("items"), dict | bool):
            out["items"] = self.schema(loc.child("items"), stack, drop=drop)
        if isinstance(value.get("prefixItems"), list):
            out["prefixItems"] = {str(i): self.schema(loc.child("prefixItems", i), stack,
                                                      drop=drop)
                                  for i in range(len(value["prefixItems"]))}
        for keyword in ("oneOf", "anyOf"):
            if isinstance(value.get(keyword), list):
                out[keyword] = self._variants(loc, keyword, stack, drop)
        if isinstance(value.get("not"), dict | bool):
            out["not"] = self.schema(loc.child("not"), stack, drop=drop)
        if isinstance(value.get("allOf"), list):
            for i in range(len(value["allOf"])):
                out = _merge(out, self.schema(loc.child("allOf", i), stack, drop=drop))
        return out

    def _variants(self, loc: Located, keyword: str, stack: tuple[str, ...],
                  drop: str = "") -> Tree:
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
            out[name] = self.schema(loc.child(keyword, i), stack, drop=drop)
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


# =============================================================================================
# Traffic drift: recorded exchanges against a spec (contracts drift --api API CORPUS...)
# =============================================================================================
# Each exchange's response is validated strictly (undocumented fields too, invariants off: they
# are domain rules, not shape) and every violation is classified into a rule below; findings
# are aggregated per (rule, operation, location, pointer) with counts and first/last seen, so a
# log of any length costs memory in proportion to the distinct findings, not the exchanges.
# docs/drift.md mirrors this table (a test keeps them equal).
TRAFFIC_RULES: Mapping[str, tuple[Severity, str]] = MappingProxyType({
    "drift.operation.undocumented": (WARN, "a call went to a method and path the spec does not "
                                           "document"),
    "drift.status.undocumented": (WARN, "a status the operation does not document (code that "
                                        "checks for the documented status may mishandle it)"),
    "drift.content_type.undocumented": (ERR, "a response media type the spec does not document"),
    "drift.body.not_json": (ERR, "a JSON response whose body does not parse"),
    "drift.body.missing": (ERR, "a response that documents a body came without one"),
    "drift.header.missing": (WARN, "a required response header was absent"),
    "drift.header.invalid": (WARN, "a response header does not match its schema"),
    "drift.field.missing_required": (ERR, "a required response field was absent"),
    "drift.field.renamed": (ERR, "an undocumented field whose name matches a documented one "
                                 "(snake_case/camelCase, a _v2 suffix): the field moved"),
    "drift.field.type_changed": (ERR, "a response value of a type the spec does not allow"),
    "drift.field.became_nullable": (ERR, "a response value was null where the spec does not "
                                         "allow null"),
    "drift.enum.new_value": (WARN, "a response value outside the documented enum (or const)"),
    "drift.field.format_changed": (WARN, "a response string not in its documented format"),
    "drift.field.constraint": (WARN, "a response value outside a documented bound (length, "
                                     "range, pattern, item count, ...)"),
    "drift.schema.mismatch": (WARN, "any other schema failure (no oneOf/anyOf alternative fits, "
                                    "a `not`, a false schema, ...)"),
    "drift.field.write_only": (ERR, "a response carries a value the spec marks `writeOnly` "
                                    "(a password or secret, never to be read back)"),
    "drift.field.undocumented": (INFO, "a response field the spec does not declare (safe to "
                                       "ignore; document it)"),
    "drift.waiver.expired": (INFO, "a waiver passed its expiry date: it silences nothing any "
                                   "more and should be removed or renewed"),
    "drift.waiver.unused": (INFO, "an active waiver matched no finding of the run: the drift it "
                                  "silenced is gone (or the traffic did not reach it), so it may "
                                  "be removed"),
    # baseline drift (contracts drift --baseline OLD NEW)
    "baseline.exchange.unpaired": (INFO, "a call recorded in only one of the two recordings"),
    "baseline.status.changed": (WARN, "the same call answered with another status of the "
                                      "same class"),
    "baseline.status.class_changed": (ERR, "the same call answered with a status of another "
                                           "class (a success became an error, or back)"),
    "baseline.body.changed_kind": (ERR, "a body that parsed as JSON no longer does (or the "
                                        "reverse), or one side has no body"),
    "baseline.field.removed": (ERR, "a field present before is gone"),
    "baseline.field.added": (INFO, "a new field"),
    "baseline.field.type_changed": (ERR, "a value changed type"),
    "baseline.field.became_null": (ERR, "a value that was not null is now null"),
    "baseline.value.changed": (INFO, "a non-volatile value changed (the same call gave other "
                                     "data)"),
})

_SCHEMA_KEYWORD_RULES = {
    "required": "drift.field.missing_required",
    "type": "drift.field.type_changed",
    "enum": "drift.enum.new_value",
    "const": "drift.enum.new_value",
    "format": "drift.field.format_changed",
    **dict.fromkeys(_CONSTRAINTS - {"additionalProperties"}, "drift.field.constraint"),
    "maxContains": "drift.field.constraint",
    "minContains": "drift.field.constraint",
}
_VIOLATION_RULES = {
    "response.content_type.undocumented": "drift.content_type.undocumented",
    "response.body.not_json": "drift.body.not_json",
    "response.body.missing": "drift.body.missing",
    "response.header.missing": "drift.header.missing",
    "response.header.invalid": "drift.header.invalid",
    "response.body.undocumented_field": "drift.field.undocumented",
    "response.body.write_only": "drift.field.write_only",
}
_INDEX = re.compile(r"/\d+(?=/|$)")
_CLIPPED = re.compile(r"<(object|array) of \d+>")
_ID_SEGMENT = re.compile(r"^(?:\d+|[0-9a-fA-F-]{16,}|(?=[^/]*\d)[A-Za-z0-9_-]{12,})$")
_MAX_VALUES = 5
_MAX_PROBLEMS = 20


def fold_pointer(pointer: str) -> str:
    """``/sessions/3/id`` -> ``/sessions/*/id``: one drift in a list is one finding."""
    return _INDEX.sub("/*", pointer) if pointer else pointer


def _path_shape(url: str) -> str:
    """A URL's path with id-like segments folded to ``{id}`` (undocumented operations)."""
    from urllib.parse import urlsplit

    path = urlsplit(url).path or "/"
    return "/".join("{id}" if _ID_SEGMENT.match(p) else p for p in path.split("/")) or "/"


def _position(item: Any) -> str:
    """``file:line`` (or ``file#/log/entries/N`` for HAR and VCR entries)."""
    location = getattr(item, "location", None)
    if isinstance(location, str) and location:
        return location
    source = getattr(item, "source", "") or "<memory>"
    line = getattr(item, "line", None)
    return f"{source}:{line}" if line is not None else source


def _observed_type(actual: Any) -> str:
    """The JSON type of a violation's ``actual`` (containers arrive clipped as a summary)."""
    from ._schema import json_type

    if isinstance(actual, str):
        found = _CLIPPED.fullmatch(actual)
        if found:
            return found.group(1)
    return json_type(actual)


@dataclass(frozen=True, slots=True)
class ReadIssue:
    """A part of an input that could not be read; the rest was analysed."""

    source: str
    line: int | None
    message: str
    pointer: str | None = None  # a HAR entry or VCR interaction: /log/entries/N

    @property
    def location(self) -> str:
        return _input_location(self.source, self.line, self.pointer)


@dataclass(frozen=True, slots=True)
class HistoryMark:
    """What the history file knows of a finding: first and last run it appeared in, and how
    many runs showed it."""

    first_seen: str
    last_seen: str
    runs: int


@dataclass(frozen=True, slots=True)
class Resolved:
    """A finding of an earlier run that this run no longer shows."""

    rule: str
    grade: Severity
    operation: str
    location: str
    pointer: str
    last_seen: str
    resolved_since: str


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One run of the history: when, and how many findings per grade (ERR, WARN, INFO)."""

    run: int
    time: str
    errors: int
    warnings: int
    infos: int


@dataclass(frozen=True, slots=True)
class Waiver:
    """Silences findings that match it until ``expires`` (inclusive). Globs use ``*``."""

    code: str
    reason: str
    expires: Any  # datetime.date
    operation: str = "*"
    location: str = "*"
    pointer: str = "*"
    source: str = ""
    index: int = 0

    def matches(self, finding: TrafficDrift) -> bool:
        from fnmatch import fnmatchcase

        return (fnmatchcase(finding.rule, self.code)
                and fnmatchcase(finding.operation, self.operation)
                and fnmatchcase(finding.location, self.location)
                and fnmatchcase(finding.pointer, self.pointer))


@dataclass(frozen=True)
class TrafficReport:
    """Traffic (or baseline) drift of one API: findings ranked worst first, and what was
    waived, unreadable, and (with a history file) seen before."""

    api: str
    sources: tuple[str, ...]
    exchanges: int
    findings: tuple[TrafficDrift, ...] = ()
    kind: str = "traffic"
    problems: tuple[ReadIssue, ...] = ()
    problem_count: int = 0
    waived: tuple[tuple[TrafficDrift, Waiver], ...] = ()
    history: Mapping[str, HistoryMark] = field(default_factory=dict)
    resolved: tuple[Resolved, ...] = ()
    trend: tuple[TrendPoint, ...] = ()

    def failing(self, fail_on: Severity) -> tuple[TrafficDrift, ...]:
        return tuple(f for f in self.findings if f.grade >= fail_on)

    @property
    def counts(self) -> dict[Severity, int]:
        counts = dict.fromkeys(sorted(Severity, reverse=True), 0)
        for finding in self.findings:
            counts[finding.grade] += 1
        return counts

    @property
    def worst(self) -> Severity | None:
        return max((f.grade for f in self.findings), default=None)


def rank_traffic(findings: Iterable[TrafficDrift]) -> list[TrafficDrift]:
    """Worst first, then by operation, place and rule: input order never changes the answer."""
    return sorted(findings, key=lambda f: (-f.grade, f.operation, f.location, f.pointer, f.rule))


class _Agg:
    """The constant-size state of one finding while the log streams by."""

    __slots__ = ("count", "expected", "first_at", "first_seen", "last_at", "last_seen",
                 "observed", "schema_path", "total_key", "values")

    def __init__(self, total_key: tuple[str, str], expected: str, schema_path: str):
        self.count = 0
        self.first_seen = self.last_seen = ""
        self.first_at = self.last_at = ""
        self.expected = expected
        self.schema_path = schema_path
        self.total_key = total_key
        self.observed: list[str] = []
        self.values: list[Any] = []


class _Aggregator:
    """Counts findings per key, once per exchange, with first/last seen and totals."""

    def __init__(self, collect_values: bool):
        self.collect_values = collect_values
        self.aggs: dict[tuple[str, str, str, str], _Agg] = {}
        self.totals: dict[tuple[str, str], int] = {}
        self.exchanges = 0
        self.problems: list[ReadIssue] = []
        self.problem_count = 0
        self._seen: set[tuple[str, str, str, str]] = set()
        self._time = ""
        self._at = ""

    def problem(self, item: Any) -> None:
        self.problem_count += 1
        if len(self.problems) < _MAX_PROBLEMS:
            pointer = getattr(item, "pointer", None)
            # A HAR or VCR "line" is an entry index: the pointer names it, not as a line.
            line = getattr(item, "line", None) if pointer is None else None
            self.problems.append(ReadIssue(str(getattr(item, "source", "<input>")), line,
                                           str(getattr(item, "message", item)), pointer))

    def start(self, item: Any) -> None:
        self.exchanges += 1
        self._seen.clear()
        self._time = getattr(item, "time", None) or ""
        self._at = _position(item)

    def total(self, operation: str, part: str = "") -> None:
        key = (operation, part)
        self.totals[key] = self.totals.get(key, 0) + 1

    def hit(self, rule: str, operation: str, location: str, pointer: str, *,
            total_part: str = "", expected: str = "", observed: str = "",
            schema_path: str = "", value: Any = None, has_value: bool = False) -> None:
        key = (rule, operation, location, pointer)
        agg = self.aggs.get(key)
        if agg is None:
            agg = self.aggs[key] = _Agg((operation, total_part), expected, schema_path)
        if observed and observed not in agg.observed and len(agg.observed) < 8:
            agg.observed.append(observed)
        if has_value and self.collect_values and len(agg.values) < _MAX_VALUES and not any(
                value == v and type(value) is type(v) for v in agg.values):
            agg.values.append(value)
        if key in self._seen:
            return
        self._seen.add(key)
        agg.count += 1
        if self._time:
            if not agg.first_seen or self._time < agg.first_seen:
                agg.first_seen = self._time
            if self._time > agg.last_seen:
                agg.last_seen = self._time
        if not agg.first_at:
            agg.first_at = self._at
        agg.last_at = self._at

    def findings(self) -> list[TrafficDrift]:
        out = []
        for (rule, operation, location, pointer), agg in self.aggs.items():
            observed = ", ".join(sorted(agg.observed))
            out.append(TrafficDrift(
                rule=rule, grade=TRAFFIC_RULES[rule][0], operation=operation,
                location=location, pointer=pointer,
                message=_traffic_message(rule, pointer, agg.expected, observed),
                count=agg.count, total=max(self.totals.get(agg.total_key, 0), agg.count),
                first_seen=agg.first_seen, last_seen=agg.last_seen, first_at=agg.first_at,
                last_at=agg.last_at, expected=agg.expected, observed=observed,
                schema_path=agg.schema_path, values=tuple(agg.values)))
        return out


def _last_token(pointer: str) -> str:
    return pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


def _traffic_message(rule: str, pointer: str, expected: str, observed: str) -> str:
    name = _last_token(pointer)
    if rule == "drift.operation.undocumented":
        return "no documented operation matches this method and path"
    if rule == "drift.status.undocumented":
        return f"status {name} is not documented (documented: {expected})"
    if rule == "drift.field.undocumented":
        return f"field {name!r} is not in the spec (observed: {observed})"
    if rule == "drift.field.missing_required":
        return f"required field {name!r} is missing"
    if rule == "drift.field.renamed":
        return f"documented field {expected!r} seems to be sent as {name!r}"
    if rule == "drift.field.type_changed":
        return f"expected {expected}, got {observed}"
    if rule == "drift.field.became_nullable":
        return f"expected {expected}, got null"
    if rule == "drift.enum.new_value":
        return f"a {observed} value outside the documented values ({_short(expected, 60)})"
    if rule == "drift.field.format_changed":
        return f"not a valid {expected}"
    if rule == "drift.content_type.undocumented":
        return f"media type {name} is not documented (documented: {expected})"
    if rule in ("drift.field.constraint", "drift.schema.mismatch", "drift.header.invalid",
                "drift.header.missing", "drift.body.not_json", "drift.body.missing"):
        return expected or TRAFFIC_RULES[rule][1]
    return TRAFFIC_RULES[rule][1]


class _TrafficAnalyser:
    def __init__(self, spec: Spec, collect_values: bool):
        from .validation import Validator

        self.spec = spec
        self.validator = Validator(spec, invariants=False)
        self.agg = _Aggregator(collect_values)
        self._ops: dict[tuple[str, str], Any] = {}
        self._keys: dict[tuple[str, int], tuple[tuple[str, ...], bool]] = {}

    def _match(self, item: Any) -> tuple[Any, bool]:
        """(operation or None, matched by URL)."""
        from urllib.parse import urlsplit

        from .errors import OperationNotFound

        key = (item.method, urlsplit(item.url).path or item.url)
        op = self._ops.get(key, False)
        if op is False:
            try:
                op = self.spec.match(item.method, item.url).operation
            except OperationNotFound:
                op = None
            if len(self._ops) > 4096:
                self._ops.clear()
            self._ops[key] = op
        if op is None and getattr(item, "operation", None):
            try:
                return self.spec.operation(item.operation), False
            except ContractsError:
                return None, False
        return op, True

    def _response_keys(self, op: Any, status: int) -> tuple[tuple[str, ...], bool]:
        """The documented responses the body may be checked against, and whether ``status``
        is documented (the validator's rule: exact, class, default; an undocumented 2xx/3xx
        owes the body of a documented status of its class)."""
        cache = (op.operation_id, status)
        hit = self._keys.get(cache)
        if hit is None:
            responses = op.node.value.get("responses") or {}
            text = str(status)
            for key in (text, f"{text[0]}XX", f"{text[0]}xx", "default"):
                if key in responses:
                    hit = ((key,), True)
                    break
            else:
                hit = (tuple(sorted(str(k) for k in responses
                                    if str(k)[:1] == text[:1] and text[:1] in "23")), False)
            self._keys[cache] = hit
        return hit

    def add(self, item: Any) -> None:
        agg = self.agg
        if not hasattr(item, "method"):
            agg.problem(item)
            return
        agg.start(item)
        op, by_url = self._match(item)
        if op is None:
            label = f"{item.method} {_path_shape(item.url)}"
            agg.total(label)
            agg.hit("drift.operation.undocumented", label, "request.path", "")
            return
        label = op.operation_id
        agg.total(label)
        if item.status is None:
            return
        status = int(item.status)
        keys, documented = self._response_keys(op, status)
        if not documented:
            listed = ", ".join(sorted(str(k) for k in op.node.value.get("responses") or {}))
            agg.hit("drift.status.undocumented", label, "response.status", f"/{status}",
                    expected=listed)
        if not keys:
            return
        headers = item.response_headers or None
        name = None if by_url else label
        if len(keys) == 1:
            key = keys[0]
            found: Iterable[Any] = self.validator.iter_response_violations(
                item.method, item.url, status, item.response_body, headers=headers,
                strict=True, operation=name)
        else:
            # An undocumented status whose class documents several bodies (a 201 where 200,
            # 202 and 206 are documented): judge the body by the one it fits best, so the
            # status is one finding and not a cascade of body findings.
            best: tuple[tuple[int, int], str, list[Any]] | None = None
            for candidate in keys:
                checked = list(self.validator.iter_response_violations(
                    item.method, item.url, int(candidate), item.response_body,
                    headers=headers, strict=True, operation=name))
                score = (sum(1 for v in checked if v.severity > INFO), len(checked))
                if best is None or score < best[0]:
                    best = (score, candidate, checked)
            assert best is not None
            _score, key, found = best
        part = f"response.{key}"
        agg.total(label, part)
        for v in found:
            self._violation(v, label, part)

    def _violation(self, v: Any, label: str, part: str) -> None:
        code = v.code
        if code == "response.body.schema":
            keyword = v.schema_path.rsplit("/", 1)[-1]
            if keyword == "additionalProperties":
                return  # strict mode names each such field as undocumented
            rule = _SCHEMA_KEYWORD_RULES.get(keyword, "drift.schema.mismatch")
            pointer = fold_pointer(v.pointer)
            expected = ""
            observed = _observed_type(v.actual)
            if rule == "drift.field.missing_required":
                pointer = f"{pointer}/{escape_pointer(str(v.expected))}"
                observed = ""
            elif rule in ("drift.field.type_changed", "drift.enum.new_value"):
                if v.actual is None:
                    rule = "drift.field.became_nullable"
                if keyword == "type":
                    expected = " or ".join(map(str, v.expected or []))
                elif keyword == "const":
                    expected = _short(json.dumps(v.expected, default=str), 60)
                else:
                    expected = ", ".join(map(str, v.expected or []))
            elif rule == "drift.field.format_changed":
                expected = str(v.expected)
            else:
                expected = v.message
            self.agg.hit(rule, label, f"{part}.body", pointer, total_part=part,
                         expected=expected, observed=observed, schema_path=v.schema_path,
                         value=v.actual, has_value=rule != "drift.field.missing_required")
            return
        mapped = _VIOLATION_RULES.get(code)
        if mapped is None:
            return  # response.status.undocumented (counted above), invariants, requests
        rule = mapped
        if rule == "drift.field.undocumented":
            self.agg.hit(rule, label, f"{part}.body", fold_pointer(v.pointer), total_part=part,
                         observed=str(v.actual))
        elif rule == "drift.field.write_only":
            self.agg.hit(rule, label, f"{part}.body", fold_pointer(v.pointer), total_part=part,
                         observed=_observed_type(v.actual), schema_path=v.schema_path,
                         value=v.actual, has_value=True)
        elif rule == "drift.content_type.undocumented":
            media = str(v.actual or "").split(";", 1)[0].strip().lower()
            self.agg.hit(rule, label, f"{part}.content_type", f"/{escape_pointer(media)}",
                         total_part=part, expected=", ".join(map(str, v.expected or [])))
        elif rule.startswith("drift.header."):
            name = v.pointer.split("/")[1] if v.pointer.startswith("/") else v.pointer
            self.agg.hit(rule, label, f"{part}.header", f"/{name}", total_part=part,
                         expected=v.message)
        else:
            self.agg.hit(rule, label, f"{part}.body", "", total_part=part, expected=v.message)

    def report(self, sources: tuple[str, ...]) -> TrafficReport:
        findings = _detect_renames(self.spec, self.agg.findings())
        return TrafficReport(api=self.spec.name, sources=sources,
                             exchanges=self.agg.exchanges, findings=tuple(rank_traffic(findings)),
                             problems=tuple(self.agg.problems),
                             problem_count=self.agg.problem_count)


def traffic_drift(api: Spec | str | Path, items: Iterable[Any], *,
                  sources: Iterable[str] = (), collect_values: bool = False) -> TrafficReport:
    """Aggregate how recorded traffic departs from ``api``'s spec.

    ``items`` are exchanges (``contracts.exchanges.Exchange`` or anything with the same
    attributes) and, for parts of the input that could not be read, problem records (anything
    with ``source``, ``line`` and ``message`` but no ``method``); the caller reads the files,
    e.g. ``itertools.chain.from_iterable(map(read_exchanges, paths))``. Streams: memory grows
    with the distinct findings, not the exchanges. ``collect_values`` keeps up to five observed
    values per finding (for ``--show-values`` and suggestions); off by default, as values may be
    patient data.
    """
    analyser = _TrafficAnalyser(_as_spec(api), collect_values)
    for item in items:
        analyser.add(item)
    return analyser.report(tuple(sources))


# -- schema walking (renames and suggestions) ------------------------------------------------
def _flatten_schema(spec: Spec, node: Located, depth: int = 0) -> list[Located]:
    """The schema and its allOf/anyOf/oneOf members, recursively, ``$ref``s resolved."""
    try:
        node = spec.resolve(node)
    except ContractsError:
        return []
    out = [node]
    if isinstance(node.value, dict) and depth < 16:
        for combinator in ("allOf", "anyOf", "oneOf"):
            members = node.value.get(combinator)
            for i, _ in enumerate(members if isinstance(members, list) else []):
                out.extend(_flatten_schema(spec, node.child(combinator, i), depth + 1))
    return out


def _body_schema(spec: Spec, operation: str, location: str) -> Located | None:
    """The JSON body schema of ``location`` (``response.200.body``) of ``operation``."""
    parts = location.split(".")
    if len(parts) != 3 or parts[0] != "response" or parts[2] != "body":
        return None
    try:
        op = spec.operation(operation)
        response = spec.resolve(op.node.child("responses", parts[1]))
    except (ContractsError, KeyError, TypeError):
        return None
    content = response.value.get("content") if isinstance(response.value, dict) else None
    for media, entry in (content or {}).items():
        base = str(media).split(";", 1)[0].strip().lower()
        if (base == "application/json" or base.endswith("+json") or base == "*/*") and \
                isinstance(entry, dict) and "schema" in entry:
            return response.child("content", media, "schema")
    return None


def _schemas_at(spec: Spec, root: Located, pointer: str) -> list[Located]:
    """Every schema part that describes the instance at ``pointer`` (``*`` = any item)."""
    current = [root]
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    for token in tokens:
        following: list[Located] = []
        for schema in current:
            for part in _flatten_schema(spec, schema):
                value = part.value
                if not isinstance(value, dict):
                    continue
                props = value.get("properties")
                if isinstance(props, dict) and token in props:
                    following.append(part.child("properties", token))
                elif token == "*" and isinstance(value.get("items"), dict):
                    following.append(part.child("items"))
                elif isinstance(value.get("additionalProperties"), dict):
                    following.append(part.child("additionalProperties"))
        current = following
        if not current:
            return []
    return [p for s in current for p in _flatten_schema(spec, s) if isinstance(p.value, dict)]


def _name_key(name: str) -> str:
    """``transcript_v2``, ``transcriptV2`` and ``transcript`` share a key; so do snake_case
    and camelCase spellings of one name."""
    key = name.replace("_", "").replace("-", "").lower()
    return re.sub(r"v\d+$", "", key) or key


def _detect_renames(spec: Spec, findings: list[TrafficDrift]) -> list[TrafficDrift]:
    """An undocumented field whose documented twin is missing (or never sent) is a rename."""
    from dataclasses import replace

    out = list(findings)
    by_key = {f.key: f for f in out}
    for finding in findings:
        if finding.rule != "drift.field.undocumented":
            continue
        root = _body_schema(spec, finding.operation, finding.location)
        if root is None:
            continue
        parent = finding.pointer.rsplit("/", 1)[0]
        documented: set[str] = set()
        for part in _schemas_at(spec, root, parent):
            props = part.value.get("properties")
            if isinstance(props, dict):
                documented.update(str(p) for p in props)
        twins = sorted(d for d in documented if d != _last_token(finding.pointer)
                       and _name_key(d) == _name_key(_last_token(finding.pointer)))
        if len(twins) != 1:
            continue
        twin = twins[0]
        renamed = replace(finding, rule="drift.field.renamed", grade=ERR, expected=twin,
                          message=_traffic_message("drift.field.renamed", finding.pointer,
                                                   twin, finding.observed))
        out[out.index(finding)] = renamed
        missing = by_key.get(("drift.field.missing_required", finding.operation,
                              finding.location, f"{parent}/{escape_pointer(twin)}"))
        if missing is not None and missing in out:
            out.remove(missing)  # the rename explains the missing field
    return out


# -- waivers ----------------------------------------------------------------------------------
_WAIVER_KEYS = frozenset({"code", "operation", "location", "pointer", "reason", "expires"})


def load_waivers(path: str | Path) -> tuple[Waiver, ...]:
    """Read a waiver file: a YAML list (or ``{waivers: [...]}``) of entries with ``code``,
    ``reason``, ``expires: YYYY-MM-DD`` and optional ``operation``/``location``/``pointer``
    globs. Anything else is an :class:`InputError` naming the entry."""
    import datetime

    from ._loading import load_document

    doc = load_document(path)
    data = doc.data
    if isinstance(data, dict) and set(data) == {"waivers"}:
        data = data["waivers"]
    if not isinstance(data, list):
        raise InputError("a waiver file is a list of waivers (or {waivers: [...]})",
                         source=doc.source)
    out = []
    for i, entry in enumerate(data):
        where = f"/{i}" if data is doc.data else f"/waivers/{i}"
        line = doc.line_of(where)
        if not isinstance(entry, dict):
            raise InputError("a waiver is a mapping", source=doc.source, line=line)
        unknown = sorted(set(map(str, entry)) - _WAIVER_KEYS)
        if unknown:
            raise InputError(f"unknown waiver key(s) {', '.join(unknown)}", source=doc.source,
                             line=line, hint=f"keys: {', '.join(sorted(_WAIVER_KEYS))}")
        for key in ("code", "reason", "expires"):
            if not str(entry.get(key, "") or "").strip():
                raise InputError(f"a waiver needs {key!r}", source=doc.source, line=line)
        for key in ("code", "operation", "location", "pointer", "reason"):
            if key in entry and not isinstance(entry[key], str):
                raise InputError(f"waiver {key!r} must be a string", source=doc.source,
                                 line=line)
        raw = entry["expires"]
        try:
            if not isinstance(raw, datetime.date) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}",
                                                                        str(raw)):
                raise ValueError(raw)  # fromisoformat also takes 2099-W01-1 and 20990101
            expires = raw if isinstance(raw, datetime.date) else datetime.date.fromisoformat(
                str(raw))
        except ValueError:
            raise InputError("waiver 'expires' must be a date YYYY-MM-DD", source=doc.source,
                             line=line) from None
        out.append(Waiver(code=entry["code"].strip(), reason=entry["reason"].strip(),
                          expires=expires, operation=entry.get("operation", "*") or "*",
                          location=entry.get("location", "*") or "*",
                          pointer=entry.get("pointer", "*") or "*", source=doc.source,
                          index=i))
    return tuple(out)


def apply_waivers(report: TrafficReport, waivers: Iterable[Waiver], *,
                  today: Any = None) -> TrafficReport:
    """Move findings silenced by an active waiver to ``waived``; each expired waiver silences
    nothing and becomes an INFO finding (``drift.waiver.expired``), and each active one that
    silenced nothing another (``drift.waiver.unused``), so that stale waivers get cleaned up."""
    import datetime
    from dataclasses import replace

    day = today or datetime.date.today()
    active = [w for w in waivers if w.expires >= day]
    expired = [w for w in waivers if w.expires < day]
    kept: list[TrafficDrift] = []
    waived: list[tuple[TrafficDrift, Waiver]] = list(report.waived)
    for finding in report.findings:
        match = next((w for w in active if w.matches(finding)), None)
        if match is None:
            kept.append(finding)
        else:
            waived.append((finding, match))
    used = {id(w) for _finding, w in waived}
    for w in active:
        if id(w) not in used:
            kept.append(_waiver_finding(
                w, "drift.waiver.unused",
                f"waiver for {w.code} (until {w.expires.isoformat()}, {w.reason}) matched no "
                f"finding of this run"))
    for w in expired:
        still = sum(1 for f in report.findings if w.matches(f))
        kept.append(_waiver_finding(
            w, "drift.waiver.expired",
            f"waiver for {w.code} expired on {w.expires.isoformat()} ({w.reason}); "
            f"it matches {still} finding(s) of this run"))
    return replace(report, findings=tuple(rank_traffic(kept)), waived=tuple(waived))


def _waiver_finding(waiver: Waiver, rule: str, message: str) -> TrafficDrift:
    """A finding about the waiver itself, placed at its entry in the waiver file."""
    where = f"{waiver.source}#/{waiver.index}"
    return TrafficDrift(rule=rule, grade=TRAFFIC_RULES[rule][0], operation=waiver.operation,
                        location="waivers", pointer=f"/{waiver.index}", message=message,
                        count=1, total=1, first_at=where, last_at=where,
                        expected=waiver.expires.isoformat())


# -- history ----------------------------------------------------------------------------------
_HISTORY_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,
                                 api TEXT NOT NULL, corpus TEXT NOT NULL,
                                 exchanges INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS findings (run_id INTEGER NOT NULL REFERENCES runs(id), key TEXT NOT NULL,
                                     rule TEXT NOT NULL, grade TEXT NOT NULL,
                                     count INTEGER NOT NULL, total INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS findings_key ON findings (key);
"""
_GRADES = {"ERR": ERR, "WARN": WARN, "INFO": INFO}
_TREND_RUNS = 30


def record_history(path: str | Path, report: TrafficReport, *, now: str | None = None
                   ) -> TrafficReport:
    """Store this run's findings in the SQLite file ``path`` (created when missing) and return
    the report with, per finding, first/last seen and how many runs showed it; the findings of
    earlier runs that are gone (``resolved``); and the per-grade counts of the last 30 runs.
    Runs are kept per API. A file that is not such a history is an :class:`InputError`."""
    import datetime
    import sqlite3
    from dataclasses import replace

    from ._sqlite import open_history

    stamp = now or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    db = open_history(path)  # refuses objects we did not create; bounds every statement
    try:
        with db:
            db.executescript(_HISTORY_SCHEMA)
            cursor = db.execute("INSERT INTO runs (time, api, corpus, exchanges) "
                                "VALUES (?, ?, ?, ?)", (stamp, report.api,
                                                        ", ".join(report.sources),
                                                        report.exchanges))
            run_id = cursor.lastrowid
            db.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?)", [
                (run_id, f.key_text, f.rule, f.grade_label, f.count, f.total)
                for f in report.findings])
        marks: dict[str, HistoryMark] = {}
        rows = db.execute(
            "SELECT f.key, MIN(r.time), MAX(r.time), COUNT(DISTINCT r.id) FROM findings f "
            "JOIN runs r ON r.id = f.run_id WHERE r.api = ? GROUP BY f.key", (report.api,))
        seen = {key: (first, last, runs) for key, first, last, runs in rows}
        for f in report.findings:
            first, last, runs = seen.get(f.key_text, (stamp, stamp, 1))
            marks[f.key_text] = HistoryMark(first, last, runs)
        current = {f.key_text for f in report.findings}
        resolved = []
        rows = db.execute(
            "SELECT f.key, f.rule, f.grade, MAX(r.id), MAX(r.time) FROM findings f "
            "JOIN runs r ON r.id = f.run_id WHERE r.api = ? GROUP BY f.key", (report.api,))
        for key, rule, grade, last_run, last_time in rows.fetchall():
            if key in current:
                continue
            since = db.execute("SELECT MIN(time) FROM runs WHERE api = ? AND id > ?",
                               (report.api, last_run)).fetchone()[0]
            _rule, operation, location, pointer = [*key.split("|", 3), "", "", ""][:4]
            resolved.append(Resolved(rule=rule, grade=_GRADES.get(grade, INFO),
                                     operation=operation, location=location, pointer=pointer,
                                     last_seen=last_time, resolved_since=since or stamp))
        trend = []
        runs = db.execute("SELECT id, time FROM runs WHERE api = ? ORDER BY id DESC LIMIT ?",
                          (report.api, _TREND_RUNS)).fetchall()
        for rid, time in reversed(runs):
            counts = dict(db.execute("SELECT grade, COUNT(*) FROM findings WHERE run_id = ? "
                                     "GROUP BY grade", (rid,)).fetchall())
            trend.append(TrendPoint(rid, time, counts.get("ERR", 0), counts.get("WARN", 0),
                                    counts.get("INFO", 0)))
    except sqlite3.DatabaseError as exc:
        raise InputError(f"not a drift history file ({exc})", source=str(path)) from None
    finally:
        db.close()
    resolved.sort(key=lambda r: (-r.grade, r.operation, r.location, r.pointer, r.rule))
    return replace(report, history=marks, resolved=tuple(resolved), trend=tuple(trend))


# -- spec suggestions -------------------------------------------------------------------------
def _suggested_type(observed: str) -> Any:
    types = {t.strip() for t in observed.split(",") if t.strip()}
    if {"integer", "number"} <= types:
        types.discard("integer")
    order = ["object", "array", "string", "number", "integer", "boolean", "null"]
    ordered = [t for t in order if t in types]
    if not ordered:
        return None
    return ordered[0] if len(ordered) == 1 else ordered


def _when(finding: TrafficDrift) -> str:
    span = ""
    if finding.first_seen:
        span = f", first {finding.first_seen}, last {finding.last_seen}"
    return f"{finding.count} of {finding.total} recorded exchanges{span}"


def _node_at(data: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        data = data[int(token)] if isinstance(data, list) else data[token]
    return data


def suggest_spec(api: Spec | str | Path, report: TrafficReport) -> tuple[str, tuple[str, ...]]:
    """A copy of the spec that documents the observed drift, for a human to review: each
    undocumented (or renamed-to) field becomes an optional property typed from what was seen
    (``null`` added when nulls were), each new enum value is appended (values need
    ``collect_values``). Every addition carries ``x-contracts-suggested: true`` and a
    description of when it was observed. Returns the YAML text and notes on what was skipped."""
    import copy
    from urllib.parse import unquote

    from ._loading import dump_document

    spec = _as_spec(api)
    data = copy.deepcopy(spec.root.data)
    notes: list[str] = []
    for finding in report.findings:
        if finding.rule in ("drift.field.undocumented", "drift.field.renamed"):
            root = _body_schema(spec, finding.operation, finding.location)
            parent, token = finding.pointer.rsplit("/", 1)
            name = token.replace("~1", "/").replace("~0", "~")
            parts = _schemas_at(spec, root, parent) if root is not None else []
            holder = next((p for p in parts if isinstance(p.value.get("properties"), dict)),
                          None) or next((p for p in parts if p.value.get("type") == "object"),
                                        None)
            if holder is None or holder.uri != spec.uri:
                notes.append(f"{finding.operation} {finding.location}{finding.pointer}: no "
                             "object schema in the spec file to add it to")
                continue
            node = _node_at(data, holder.pointer)
            props = node.setdefault("properties", {})
            if name in props:
                continue
            prop: dict[str, Any] = {}
            kind = _suggested_type(finding.observed)
            if kind is not None:
                prop["type"] = kind
            prop["description"] = (f"Undocumented field seen in traffic ({_when(finding)}, "
                                   f"operation {finding.operation}). Review before keeping.")
            prop["x-contracts-suggested"] = True
            props[name] = prop
        elif finding.rule == "drift.enum.new_value" and finding.schema_path.endswith("/enum"):
            uri, _hash, fragment = finding.schema_path.partition("#")
            pointer = unquote(fragment)
            if uri != spec.uri:
                notes.append(f"{finding.operation} {finding.location}{finding.pointer}: the "
                             "enum lives in another file")
                continue
            if not finding.values:
                notes.append(f"{finding.operation} {finding.location}{finding.pointer}: no "
                             "values collected for the new enum value")
                continue
            schema = _node_at(data, pointer.rsplit("/", 1)[0])
            enum = schema.get("enum")
            if not isinstance(enum, list):
                continue
            added = [v for v in finding.values if v not in enum]
            if not added:
                continue
            enum.extend(added)
            text = ", ".join(json.dumps(v, ensure_ascii=False) for v in added)
            note = (f"Suggested from traffic: {text} seen ({_when(finding)}, operation "
                    f"{finding.operation}). Review before keeping.")
            described = schema.get("description")
            schema["description"] = f"{described} {note}" if described else note
            schema["x-contracts-suggested"] = True
    return dump_document(data), tuple(notes)


# -- baseline drift: two recordings of the same calls ------------------------------------------
# Volatile fields change on every call (ids, timestamps, signed URLs): their values are masked
# by a placeholder that keeps their JSON type, so their shape (present, absent, type) is still
# compared but a new id is not a change. Users add key regexes or JSON pointer globs.
DEFAULT_VOLATILE_KEYS: tuple[str, ...] = (
    r"(?i)^(id|uuid|guid)$", r"(?i)[_-](id|uuid|guid)$", r"[a-z0-9](Id|ID|Uuid)$",
    r"(?i)[_-]at$", r"[a-z0-9]At$", r"(?i)(^|[_-])(date|time|timestamp|datetime)$",
    r"(?i)^(created|updated|modified|expires|expiry)", r"(?i)url", r"(?i)(token|signature|etag|"
    r"nonce)",
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                       r"(?:Z|[+-]\d{2}:?\d{2})?)?")
_SIGNED_URL = re.compile(r"(?i)^https?://\S*[?&](x-amz-signature|signature|sig|token|expires)=")


class VolatileRules:
    """Which body fields are volatile: key regexes and JSON pointer globs (``/a/*/b``)."""

    def __init__(self, extra: Iterable[str] = (), *, defaults: bool = True):
        keys = list(DEFAULT_VOLATILE_KEYS if defaults else ())
        pointers: list[str] = []
        for pattern in extra:
            (pointers if pattern.startswith("/") else keys).append(pattern)
        try:
            self._keys = [re.compile(k) for k in keys]
        except re.error as exc:
            raise ContractsError(f"--ignore: not a regular expression ({exc})") from None
        self._pointers = tuple(pointers)

    def key(self, name: str, pointer: str) -> bool:
        from fnmatch import fnmatchcase

        if any(k.search(name) for k in self._keys):
            return True
        return any(fnmatchcase(pointer, p) for p in self._pointers)

    def value(self, value: Any) -> bool:
        return isinstance(value, str) and (_ISO_DATE.fullmatch(value) is not None
                                           or _SIGNED_URL.match(value) is not None)

    def mask(self, value: Any, pointer: str = "") -> Any:
        """The value with volatile values replaced by ``<volatile TYPE>`` placeholders."""
        from ._schema import json_type

        if isinstance(value, dict):
            out = {}
            for name, child in value.items():
                here = f"{pointer}/{escape_pointer(str(name))}"
                if not isinstance(child, dict | list) and (self.key(str(name), fold_pointer(
                        here)) or self.value(child)):
                    out[name] = f"<volatile {json_type(child)}>"
                else:
                    out[name] = self.mask(child, here)
            return out
        if isinstance(value, list):
            return [self.mask(v, f"{pointer}/{i}") for i, v in enumerate(value)]
        if self.value(value):
            return f"<volatile {json_type(value)}>"
        return value


def _deepdiff_bodies(old: Any, new: Any) -> list[tuple[str, tuple[Any, ...], Any, Any]]:
    """deepdiff's tree view of two bodies as (report, path, old, new); errors become ours."""
    from deepdiff import DeepDiff

    try:
        result = DeepDiff(old, new, view="tree", ignore_order=True,
                          ignore_numeric_type_changes=True, cache_size=0,
                          threshold_to_diff_deeper=0)
        out = []
        for report, levels in result.items():
            for level in levels:
                out.append((report, tuple(level.path(output_format="list")),
                            getattr(level, "t1", None), getattr(level, "t2", None)))
    except Exception as exc:  # one boundary: nothing of deepdiff's escapes
        raise ContractsError(f"could not compare two bodies ({type(exc).__name__}: {exc})",
                             hint="please report this") from exc
    return out


def _pointer_of(path: tuple[Any, ...]) -> str:
    return fold_pointer("".join(f"/{escape_pointer(str(p))}" for p in path))


def _parsed_body(body: Any) -> tuple[str, Any]:
    """("json", value) / ("none", None) / ("text", None): the body as the consumer reads it."""
    from ._loading import parse_json

    if body is None:
        return "none", None
    if isinstance(body, bytes | bytearray | str):
        if not body.strip():
            return "none", None
        try:
            return "json", parse_json(bytes(body) if not isinstance(body, str) else body)
        except InputError:
            return "text", None
    return "json", body


def _call_key(spec: Spec, item: Any) -> tuple[str, str]:
    """(operation label, normalised query) used to pair the same call in two recordings."""
    from urllib.parse import parse_qsl, urlsplit

    from .errors import OperationNotFound

    try:
        label = spec.match(item.method, item.url).operation.operation_id
    except OperationNotFound:
        label = f"{item.method} {_path_shape(item.url)}"
    pairs = parse_qsl(urlsplit(item.url).query, keep_blank_values=True)
    query = "&".join(f"{k}={'{id}' if _ID_SEGMENT.match(v) else v}" for k, v in sorted(pairs))
    return label, query


def baseline_drift(api: Spec | str | Path, old: Iterable[Any], new: Iterable[Any], *,
                   ignore: Iterable[str] = (), collect_values: bool = False,
                   sources: Iterable[str] = ()) -> TrafficReport:
    """What changed between two recordings of the same calls, in shape and in value.

    Calls are paired by operation (or method and path shape), query and ordinal (the n-th such
    call in each recording); their statuses and JSON bodies are compared with deepdiff, with
    volatile fields (ids, timestamps, signed URLs, and ``ignore``: key regexes or JSON pointer
    globs) masked. ``old`` is held in memory; ``new`` streams.
    """
    from dataclasses import replace

    spec = _as_spec(api)
    rules = VolatileRules(ignore)
    agg = _Aggregator(collect_values)
    recorded: dict[tuple[str, str, int], tuple[Any, str, Any]] = {}
    ordinals: dict[tuple[str, str], int] = {}
    for item in old:
        if not hasattr(item, "method"):
            agg.problem(item)
            continue
        call = _call_key(spec, item)
        n = ordinals[call] = ordinals.get(call, 0) + 1
        kind, body = _parsed_body(item.response_body)
        recorded[(*call, n)] = (item.status, kind, rules.mask(body) if kind == "json" else None)
    ordinals.clear()
    for item in new:
        if not hasattr(item, "method"):
            agg.problem(item)
            continue
        call = _call_key(spec, item)
        n = ordinals[call] = ordinals.get(call, 0) + 1
        label = call[0]
        agg.start(item)
        agg.total(label)
        before = recorded.pop((*call, n), None)
        if before is None:
            agg.hit("baseline.exchange.unpaired", label, "exchange", "/new-only",
                    expected="recorded in NEW only")
            continue
        old_status, old_kind, old_body = before
        if old_status != item.status:
            same_class = str(old_status)[:1] == str(item.status)[:1]
            agg.hit("baseline.status.changed" if same_class else "baseline.status.class_changed",
                    label, "response.status", "", expected=f"{old_status} -> {item.status}",
                    value=(old_status, item.status), has_value=True)
        kind, body = _parsed_body(item.response_body)
        if kind != old_kind:
            agg.hit("baseline.body.changed_kind", label, "response.body", "",
                    expected=f"{old_kind} -> {kind}")
            continue
        if kind != "json":
            continue
        for report, path, t1, t2 in _deepdiff_bodies(old_body, rules.mask(body)):
            _baseline_change(agg, label, report, path, t1, t2)
    for (label, _query, _n), _before in sorted(recorded.items()):
        agg.total(label)
        agg.hit("baseline.exchange.unpaired", label, "exchange", "/old-only",
                expected="recorded in OLD only")
    findings = [replace(f, message=_baseline_message(f)) for f in agg.findings()]
    return TrafficReport(api=spec.name, sources=tuple(sources), exchanges=agg.exchanges,
                         findings=tuple(rank_traffic(findings)), kind="baseline",
                         problems=tuple(agg.problems), problem_count=agg.problem_count)


def _baseline_change(agg: _Aggregator, label: str, report: str, path: tuple[Any, ...],
                     t1: Any, t2: Any) -> None:
    from ._schema import json_type

    pointer = _pointer_of(path)
    if report == "dictionary_item_removed":
        agg.hit("baseline.field.removed", label, "response.body", pointer,
                observed=json_type(t1), value=t1, has_value=True)
    elif report == "dictionary_item_added":
        agg.hit("baseline.field.added", label, "response.body", pointer,
                observed=json_type(t2), value=t2, has_value=True)
    elif report == "type_changes":
        volatile = (isinstance(t1, str) and t1.startswith("<volatile ")) or (
            isinstance(t2, str) and t2.startswith("<volatile "))
        old_type = t1[10:-1] if volatile and isinstance(t1, str) and t1.startswith(
            "<volatile ") else json_type(t1)
        new_type = t2[10:-1] if volatile and isinstance(t2, str) and t2.startswith(
            "<volatile ") else json_type(t2)
        if new_type == "null" and old_type != "null":
            rule = "baseline.field.became_null"
        elif old_type == "null":
            rule = "baseline.value.changed"
        else:
            rule = "baseline.field.type_changed"
        agg.hit(rule, label, "response.body", pointer, expected=old_type, observed=new_type,
                value=(t1, t2), has_value=True)
    elif report == "values_changed":
        if isinstance(t1, str) and isinstance(t2, str) and t1.startswith("<volatile ") \
                and t2.startswith("<volatile "):
            if t1 != t2:  # a volatile value changed type
                agg.hit("baseline.field.type_changed", label, "response.body", pointer,
                        expected=t1[10:-1], observed=t2[10:-1])
            return
        # (One side may look volatile, a date, and the other not: the value changed.)
        agg.hit("baseline.value.changed", label, "response.body", pointer,
                expected=json_type(t1), observed=json_type(t2), value=(t1, t2), has_value=True)
    elif report in ("iterable_item_added", "iterable_item_removed"):
        agg.hit("baseline.value.changed", label, "response.body", fold_pointer(
            _pointer_of(path[:-1]) if path else ""), expected="list items",
            observed="added" if report == "iterable_item_added" else "removed",
            value=t2 if report == "iterable_item_added" else t1, has_value=True)
    else:  # set/attribute reports cannot come from JSON values; be safe
        agg.hit("baseline.value.changed", label, "response.body", pointer, expected=report)


def _baseline_message(finding: TrafficDrift) -> str:
    name = _last_token(finding.pointer) or "body"
    rule = finding.rule
    if rule == "baseline.exchange.unpaired":
        return f"a call {finding.expected}"
    if rule in ("baseline.status.changed", "baseline.status.class_changed"):
        return f"status changed ({finding.expected})"
    if rule == "baseline.body.changed_kind":
        return f"the body changed kind ({finding.expected})"
    if rule == "baseline.field.removed":
        return f"field {name!r} is gone (was {finding.observed})"
    if rule == "baseline.field.added":
        return f"new field {name!r} ({finding.observed})"
    if rule == "baseline.field.type_changed":
        return f"{name!r} changed type from {finding.expected} to {finding.observed}"
    if rule == "baseline.field.became_null":
        return f"{name!r} was {finding.expected}, is now null"
    if finding.expected == "list items":
        return f"list items {finding.observed}"
    return f"{name!r} changed value ({finding.expected} -> {finding.observed})"
