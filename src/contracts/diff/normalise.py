"""Normalisation: a spec as a plain tree of what a client can rely on.

``$ref``s inlined, ``allOf`` merged, operations keyed by method and path shape, parameters by
place and name (path parameters by position), responses by status, schemas by property, lists
turned into dicts so that deepdiff reports by key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ..errors import InputError
from ..specs import Located, Spec
from .rules import CONSTRAINTS
from .text import JSON, Tree, as_json

__all__ = ["WEBHOOK", "Normaliser", "OpInfo", "merge"]

_TEMPLATE_PARAM = re.compile(r"\{([^{}/]+)\}")
_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
WEBHOOK = "WEBHOOK"  # the first word of a webhook's operation key
_MAX_SCHEMA_DEPTH = 40
_MAX_NODES = 500_000


@dataclass
class OpInfo:
    """What the normalised tree leaves out: names and where the operation is written."""

    label: str
    operation_id: str | None
    method: str
    path: str
    source: str
    line: int | None
    params: dict[str, str] = field(default_factory=dict)  # tree key -> parameter name


class Normaliser:
    """Turns a :class:`Spec` into a plain tree of dicts (no lists: deepdiff reports by key)."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.ops: dict[str, OpInfo] = {}
        self._nodes = 0
        self._memo: dict[tuple[str, str], Tree] = {}
        self._targets: dict[tuple[str, str], Located] = {}
        self._recursions: list[str] = []
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
            out["operations"][key] = self._add_operation(key, op.method, path, op.node,
                                                         op.path_item)
        hooks = self._webhooks()
        for op in self.spec.operations:  # callbacks: webhooks one operation subscribes to
            hooks += self._webhooks(op.node, f"{op.method.upper()} {op.path} callback ")
        for name, method, node, item in hooks:
            # A webhook is an operation the provider calls on the consumer: keyed apart so
            # that classification inverts its directions (the consumer reads its body).
            key = f"{WEBHOOK} {name} {method.upper()}"
            out["operations"][key] = self._add_operation(key, method, name, node, item)
        return out

    def _add_operation(self, key: str, method: str, path: str, node: Located,
                       item: Located) -> Tree:
        raw_id = node.value.get("operationId")
        doc = self.spec.resources.get(node.uri)
        label = f"{method.upper()} {path}"
        if key.startswith(WEBHOOK):
            label = f"webhook {path} ({method.upper()})"
        info = OpInfo(
            label=str(raw_id) if raw_id else label,
            operation_id=str(raw_id) if raw_id else None,
            method=method.upper(), path=path,
            source=doc.source if doc else self.spec.source,
            line=doc.line_of(node.pointer) if doc else None)
        self.ops[key] = info
        return self._operation(node, item, path, info)

    def _webhooks(self, owner: Located | None = None,
                  prefix: str = "") -> list[tuple[str, str, Located, Located]]:
        """(name, method, operation, path item) of every webhook (OpenAPI 3.1), or with
        ``owner`` of every callback of that operation (named ``prefix`` + name + expression)."""
        out: list[tuple[str, str, Located, Located]] = []
        if owner is None:
            root = Located(self.spec.document, self.spec.uri, "")
            hooks = self.spec.document.get("webhooks")
            items = [(str(n), root.child("webhooks", n)) for n in sorted(hooks)
                     if isinstance(hooks[n], dict)] if isinstance(hooks, dict) else []
        else:
            items = self._callback_items(owner, prefix)
        for name, located in items:
            item = self.spec.resolve(located)
            for method in _METHODS:
                if isinstance(item.value, dict) and isinstance(item.value.get(method), dict):
                    out.append((name, method, item.child(method), item))
        return out

    def _callback_items(self, owner: Located, prefix: str) -> list[tuple[str, Located]]:
        callbacks = owner.value.get("callbacks")
        out: list[tuple[str, Located]] = []
        for name in sorted(callbacks) if isinstance(callbacks, dict) else ():
            callback = self.spec.resolve(owner.child("callbacks", name))
            if not isinstance(callback.value, dict):
                continue
            for expression in sorted(callback.value):
                if isinstance(callback.value[expression], dict):
                    out.append((f"{prefix}{name} {expression}",
                                callback.child(expression)))
        return out

    # operations
    def _operation(self, node: Located, item: Located, path: str, info: OpInfo) -> Tree:
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

    def _parameters(self, node: Located, item: Located, path: str, info: OpInfo) -> Tree:
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
            return self._reference(loc, stack, drop)
        out = _assertions(value)
        extra = value.get("additionalProperties")
        if extra is False:
            out["additionalProperties"] = False
        elif isinstance(extra, dict) and extra:
            out["values"] = self.schema(loc.child("additionalProperties"), stack, drop=drop)
        properties = self._properties(loc, stack, drop)
        if properties:
            out["properties"] = properties
        if not _NESTING.isdisjoint(value):  # most schemas hold no other schema
            out.update(self._subschemas(loc, stack, drop))
            out.update(self._schema_maps(loc, stack, drop))
        if isinstance(value.get("allOf"), list):
            for i in range(len(value["allOf"])):
                out = merge(out, self.schema(loc.child("allOf", i), stack, drop=drop))
        return _nullable_variant(out)

    def _reference(self, loc: Located, stack: tuple[str, ...], drop: str) -> Tree:
        """A ``$ref`` inlined (with its siblings merged in), or a marker when it recurses.

        A target is normalised once per ``drop`` and shared (the trees hold the same dict at
        every place that uses it), unless its tree depends on where it is reached from (a
        recursion marker for a schema outside it). Component schemas carry ``$from``: the
        classification reports a change inside one once, with every place it reaches."""
        value = loc.value
        target = self._target(loc.uri, value["$ref"], loc.pointer)
        key = f"{target.uri}#{target.pointer}"
        if key in stack:  # a recursive schema: keep a marker instead of inlining forever
            self._recursions.append(key)
            return {"$recursive": target.pointer.rsplit("/", 1)[-1]}
        memo_key = (key, drop)
        base = self._memo.get(memo_key)
        if base is None:
            mark = len(self._recursions)
            base = self.schema(target, (*stack, key), drop=drop)
            if target.pointer.startswith(_COMPONENT_SCHEMAS):
                base = {**base, "$from": target.pointer[len(_COMPONENT_SCHEMAS):]}
            if not set(self._recursions[mark:]) & set(stack):
                self._memo[memo_key] = base
        siblings = {k: v for k, v in value.items() if k != "$ref"}
        if not siblings:
            return base
        base = {k: v for k, v in base.items() if k != "$from"}
        return merge(base, self.schema(Located(siblings, loc.uri, loc.pointer), stack,
                                       drop=drop))

    def _target(self, uri: str, ref: str, pointer: str) -> Located:
        """Where a ``$ref`` leads. A plain pointer into its own document that lands on a
        schema leads there from any place (no ``$id`` is consulted): looked up once."""
        target = self._targets.get((uri, ref))
        if target is None:
            target = self.spec.resolve(Located({"$ref": ref}, uri, pointer))
            if (ref.startswith("#/") and target.uri == uri
                    and target.pointer == unquote(ref[1:])):
                self._targets[(uri, ref)] = target
        return target

    def _properties(self, loc: Located, stack: tuple[str, ...], drop: str) -> Tree:
        """Properties by name with their required-ness, without those marked ``drop``."""
        value = loc.value
        raw_props, raw_required = value.get("properties"), value.get("required")
        props: dict[str, JSON] = raw_props if isinstance(raw_props, dict) else {}
        required = ({r for r in raw_required if isinstance(r, str)}
                    if isinstance(raw_required, list) else set())
        if drop and props:
            hidden = {name for name, prop in props.items()
                      if self._marked(prop, loc, name, drop)}
            props = {name: v for name, v in props.items() if name not in hidden}
            required -= hidden
        if not (props or required):
            return {}
        out: Tree = {
            str(name): {"required": name in required,
                        "schema": self.schema(loc.child("properties", name), stack, drop=drop)}
            for name in props}
        for name in required - set(props):
            out[name] = {"required": True, "schema": {}}
        return out

    def _marked(self, prop: JSON, loc: Located, name: str, drop: str) -> bool:
        if isinstance(prop, dict) and (prop.get(drop) is True or "$ref" not in prop):
            return prop.get(drop) is True  # the common case, without a Located
        return self.spec.marked(loc.child("properties", name), drop)

    def _subschemas(self, loc: Located, stack: tuple[str, ...], drop: str) -> Tree:
        """The keywords holding one schema (``items``, ``not``, ``if``/``then``/``else``,
        ``contains``, ...), ``prefixItems`` by position, ``oneOf``/``anyOf`` by variant."""
        value = loc.value
        out: Tree = {}
        for keyword in SINGLE_SUBSCHEMAS:
            if isinstance(value.get(keyword), dict | bool):
                out[keyword] = self.schema(loc.child(keyword), stack, drop=drop)
        if isinstance(value.get("prefixItems"), list):
            out["prefixItems"] = {str(i): self.schema(loc.child("prefixItems", i), stack,
                                                      drop=drop)
                                  for i in range(len(value["prefixItems"]))}
        for keyword in ("oneOf", "anyOf"):
            if isinstance(value.get(keyword), list):
                out[keyword] = self._variants(loc, keyword, stack, drop)
        return out

    def _schema_maps(self, loc: Located, stack: tuple[str, ...], drop: str) -> Tree:
        """``patternProperties`` and ``dependentSchemas``: schemas by pattern or name."""
        out: Tree = {}
        for keyword in ("patternProperties", "dependentSchemas"):
            raw = loc.value.get(keyword)
            if isinstance(raw, dict) and raw:
                out[keyword] = {str(k): self.schema(loc.child(keyword, k), stack, drop=drop)
                                for k in raw if isinstance(raw[k], dict | bool)}
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
            elif raw == {"type": "null"}:
                name = "null"
            while name in out:
                name = f"{name}#{i}"
            out[name] = self.schema(loc.child(keyword, i), stack, drop=drop)
        return out


# Keywords holding one subschema, compared key by key like the schema itself.
SINGLE_SUBSCHEMAS = ("items", "not", "if", "then", "else", "contains", "propertyNames",
                     "unevaluatedItems", "unevaluatedProperties", "contentSchema")
_COMPONENT_SCHEMAS = "/components/schemas/"
# Every keyword _subschemas and _schema_maps read.
_NESTING = frozenset({*SINGLE_SUBSCHEMAS, "prefixItems", "oneOf", "anyOf", "patternProperties",
                      "dependentSchemas"})


def _nullable_variant(schema: Tree) -> Tree:
    """``oneOf``/``anyOf`` of ``null`` and one schema is that schema, nullable: the same
    values as ``type: [X, "null"]``, so both spellings give the same tree."""
    for keyword in ("oneOf", "anyOf"):
        variants = schema.get(keyword)
        if not isinstance(variants, dict) or len(variants) != 2:
            continue
        nulls = [k for k, v in variants.items() if v == {"type": "null"}]
        if len(nulls) != 1:
            continue
        other = next(v for k, v in variants.items() if k != nulls[0])
        rest = {k: v for k, v in schema.items() if k != keyword}
        inner = dict(other)
        if "type" in inner:
            inner["type"] = "|".join(sorted({*inner["type"].split("|"), "null"}))
        return merge(rest, inner) if rest else inner
    return schema


def _assertions(value: dict[str, JSON]) -> Tree:
    """The keywords that hold values, not schemas: type, format, enum/const, constraints."""
    out: Tree = {}
    types = value.get("type")
    if isinstance(types, str):
        out["type"] = types
    elif isinstance(types, list):
        out["type"] = "|".join(sorted({str(t) for t in types}))
    if "format" in value:
        out["format"] = str(value["format"])
    if not _VALUE_KEYWORDS.isdisjoint(value):  # most schemas have none of them
        _value_keywords(value, out)
    for keyword in _VALUE_CONSTRAINTS.intersection(value):
        raw = value[keyword]
        out[keyword] = raw if isinstance(raw, int | float | str | bool) else as_json(raw)
    return out


def _value_keywords(value: dict[str, JSON], out: Tree) -> None:
    """enum/const, defaults, deprecation and the keyword maps, into ``out``."""
    if isinstance(value.get("enum"), list):
        out["enum"] = {as_json(v): True for v in value["enum"]}
    if "const" in value:
        const = {as_json(value["const"]): True}
        out["enum"] = {k: True for k in out["enum"] if k in const} if "enum" in out else const
    extensible = value.get("x-extensible-enum")
    if isinstance(extensible, list):
        out["x-extensible-enum"] = {as_json(v): True for v in extensible}
    for keyword in ("contentMediaType", "contentEncoding"):
        if isinstance(value.get(keyword), str):
            out[keyword] = value[keyword]
    if "default" in value:
        out["default"] = as_json(value["default"])
    if value.get("deprecated") is True:
        out["deprecated"] = True
    out.update(_keyword_maps(value))


# Every keyword _value_keywords reads.
_VALUE_KEYWORDS = frozenset({"enum", "const", "x-extensible-enum", "contentMediaType",
                             "contentEncoding", "default", "deprecated", "dependentRequired",
                             "discriminator"})
_VALUE_CONSTRAINTS = CONSTRAINTS - {"additionalProperties"}  # that one holds a schema too


def _keyword_maps(value: dict[str, JSON]) -> Tree:
    """``dependentRequired`` (name -> names) and ``discriminator`` as plain dicts."""
    out: Tree = {}
    dependent = value.get("dependentRequired")
    if isinstance(dependent, dict) and dependent:
        out["dependentRequired"] = {str(k): {str(n): True for n in v}
                                    for k, v in dependent.items() if isinstance(v, list)}
    discriminator = value.get("discriminator")
    if isinstance(discriminator, dict) and isinstance(discriminator.get("propertyName"), str):
        mapping = discriminator.get("mapping")
        out["discriminator"] = {
            "propertyName": discriminator["propertyName"],
            "mapping": {str(k): str(v).rsplit("/", 1)[-1] for k, v in mapping.items()}
            if isinstance(mapping, dict) else {}}
    return out


def merge(a: Tree, b: Tree) -> Tree:
    """``allOf``: both schemas hold. Properties and required-ness add up; types intersect."""
    out = dict(a)
    for key, value in b.items():
        if key == "$from":
            continue  # the merged schema is not that component
        if key not in out:
            out[key] = value
        elif key in _MERGERS:
            out[key] = _MERGERS[key](out[key], value)
    return out


def _merge_properties(a: Tree, b: Tree) -> Tree:
    merged = dict(a)
    for name, prop in b.items():
        if name in merged:
            merged[name] = {"required": merged[name]["required"] or prop["required"],
                            "schema": merge(merged[name]["schema"], prop["schema"])}
        else:
            merged[name] = prop
    return merged


def _merge_types(a: str, b: str) -> str:
    left, right = a.split("|"), b.split("|")
    both = set(left) & set(right)
    if ("integer" in right and "number" in left) or ("integer" in left and "number" in right):
        both.add("integer")
    return "|".join(sorted(both)) if both else a


def _merge_enums(a: Tree, b: Tree) -> Tree:
    return {k: True for k in a if k in b}


# How ``allOf`` combines a keyword both schemas have; any other keyword keeps the first value.
_MERGERS: dict[str, Callable[[Any, Any], Any]] = {
    "properties": _merge_properties, "type": _merge_types, "enum": _merge_enums,
    "items": merge, "values": merge, "not": merge, "x-extensible-enum": _merge_enums,
    "dependentRequired": lambda a, b: {**a, **b},
}
