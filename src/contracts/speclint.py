"""Spec lint: the OpenAPI 3.0 or 3.1 meta-schema, references, examples and house rules, as findings.

Every rule is a generator of :class:`Finding` records with a stable code; ``iter_findings``
runs them all and ``lint`` ranks the result. A document that cannot be read at all raises
(:class:`~contracts.errors.InputError`): that is "the tool could not do its job", not a finding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ._pointers import escape_pointer, join_pointer
from ._schema import Direction, SchemaValidators, quick_check
from ._typing import JSON
from .errors import UncompilableSchema, UnresolvableRef
from .findings import Finding, Severity, ranked
from .specs import Located, Spec, load_spec

__all__ = ["RULES", "iter_findings", "lint", "lint_spec"]

Rule = Callable[["_Context"], Iterator[Finding]]

RULES: dict[str, str] = {
    "oas.schema": "the document breaks the OpenAPI meta-schema of its version (3.0 or 3.1)",
    "schema.invalid": "a Schema Object breaks the JSON Schema 2020-12 meta-schema",
    "ref.unresolved": "a $ref points at nothing or at a file that cannot be read",
    "schema.uncompilable": "a Schema Object cannot be compiled by the validation engine "
                           "(a bad regex, a wrong keyword value); the engine's reason is given",
    "example.invalid": "an example, or a schema default, does not validate against its schema",
    "operation.no_operation_id": "an operation has no operationId",
    "operation.duplicate_operation_id": "two operations share an operationId",
    "operation.no_summary": "an operation has no summary or no description",
    "operation.no_error_response": "an operation documents no 4XX/5XX or default response",
    "operation.no_success_response": "an operation documents no 2XX or 3XX response",
    "path.parameter_undeclared": "a path template names a parameter that is not declared",
    "path.parameter_unused": "a declared path parameter is not in the path template",
    "path.ambiguous": "two path templates of the same method match the same URLs",
    "security.undefined_scheme": "a security requirement names an undefined scheme",
    "link.unknown_operation": "a response link names an operationId that does not exist",
    "schema.required_undefined": "`required` names a property the object never defines",
    "discriminator.mapping_unresolved": "a discriminator's mapping names a schema that does "
                                        "not exist or is none of the oneOf/anyOf alternatives",
    "discriminator.property_not_required": "a oneOf/anyOf alternative does not require the "
                                           "discriminator's property",
    "component.unused": "a component is never referenced",
    "assumption.undescribed": "x-contracts-assumption is set but no description says what",
    "spec.no_servers": "the spec names no servers",
}

_SCHEMA_KEYWORDS_OBJECT = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_KEYWORDS_SINGLE = ("items", "additionalProperties", "not", "if", "then", "else",
                           "contains", "propertyNames", "unevaluatedItems",
                           "unevaluatedProperties", "contentSchema")
_SCHEMA_KEYWORDS_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")


@cache
def _oas_validator() -> Any:
    import jsonschema

    text = resources.files("contracts").joinpath("_meta/oas-3.1-schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


@cache
def _oas30_validator() -> Any:
    import jsonschema

    text = resources.files("contracts").joinpath("_meta/oas-3.0-schema.json").read_text("utf-8")
    return jsonschema.Draft4Validator(json.loads(text))


@cache
def _meta_validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(jsonschema.Draft202012Validator.META_SCHEMA)


@cache
def _quick(which: str) -> Any:
    """The fast yes/no form of a meta-schema check (the engine's); python-jsonschema then
    explains only what it refuses, with ``best_match`` (importing it costs seconds: its
    format checkers build parsers, so a clean spec never does)."""
    if which == "2020-12":
        from jsonschema_specifications import REGISTRY  # type: ignore[import-untyped]

        return quick_check(REGISTRY.contents("https://json-schema.org/draft/2020-12/schema"))
    name = {"oas-3.0": "oas-3.0-schema.json", "oas-3.1": "oas-3.1-schema.json"}[which]
    return quick_check(json.loads(
        resources.files("contracts").joinpath(f"_meta/{name}").read_text("utf-8")))


class _Context:
    def __init__(self, spec: Spec):
        self.spec = spec
        self.doc = spec.root
        self.validators = SchemaValidators(spec)

    def finding(self, code: str, message: str, pointer: str, *,
                severity: Severity = Severity.ERROR, uri: str | None = None) -> Finding:
        doc = self.spec.resources.get(uri or self.spec.uri, self.doc)
        return Finding(code=code, message=message, source=doc.source, pointer=pointer,
                       line=doc.line_of(pointer), severity=severity)

    def operations(self) -> Iterator[tuple[str, str, Located]]:
        for op in self.spec.operations:
            yield op.spec_path, op.method, op.node

    def schemas(self) -> Iterator[Located]:
        """Every Schema Object in the root document (refs are visited where they lead)."""
        root = Located(self.spec.document, self.spec.uri, "")
        stack: list[tuple[Located, str]] = [(root, "doc")]
        while stack:
            node, kind = stack.pop()
            if kind == "schema":
                if isinstance(node.value, dict):
                    yield node
                    stack.extend((child, "schema") for child in _subschemas(node))
                continue
            stack.extend(_document_children(node))


def _subschemas(node: Located) -> Iterator[Located]:
    """The schemas directly inside a Schema Object (properties, items, allOf members...)."""
    value = node.value
    for key in _SCHEMA_KEYWORDS_OBJECT:
        if isinstance(value.get(key), dict):
            for name in value[key]:
                yield node.child(key, name)
    for key in _SCHEMA_KEYWORDS_SINGLE:
        if key in value:
            yield node.child(key)
    for key in _SCHEMA_KEYWORDS_LIST:
        if isinstance(value.get(key), list):
            for i in range(len(value[key])):
                yield node.child(key, i)


def _document_children(node: Located) -> Iterator[tuple[Located, str]]:
    """The children of a non-schema node, each marked as a schema or more document."""
    value = node.value
    if isinstance(value, dict):
        for key, child in value.items():
            if str(key).startswith("x-") or key in ("example", "examples", "default"):
                continue
            if key == "schemas" and node.pointer == "/components":
                for name in child if isinstance(child, dict) else ():
                    yield node.child(key, name), "schema"
            elif key == "schema":
                yield node.child(key), "schema"
            else:
                yield node.child(key), "doc"
    elif isinstance(value, list):
        for i in range(len(value)):
            yield node.child(i), "doc"


# -- rules -----------------------------------------------------------------------------------

def _best(error: Any) -> Any:
    from jsonschema.exceptions import best_match

    while error.context:
        error = best_match(error.context)
    return error


def rule_oas_schema(ctx: _Context) -> Iterator[Finding]:
    seen = set()
    # A 3.0 spec is checked as written, against the 3.0 meta-schema (its 3.1 reading is ours).
    is_30 = ctx.spec.openapi_version.startswith("3.0.")
    # The engine's fast all-clear first (not for 3.0: its draft-4 build costs seconds).
    if not is_30 and _quick("oas-3.1")(ctx.spec.original.data):
        return
    validator = _oas30_validator() if is_30 else _oas_validator()
    for error in validator.iter_errors(ctx.spec.original.data):
        best = _best(error)
        pointer = join_pointer(best.absolute_path)
        key = (pointer, best.message)
        if key in seen:
            continue
        seen.add(key)
        yield ctx.finding("oas.schema", best.message[:300], pointer)


def rule_schema_invalid(ctx: _Context) -> Iterator[Finding]:
    quick = _quick("2020-12")
    for schema in ctx.schemas():
        # Check only this level: children are visited on their own.
        shallow = {k: v for k, v in schema.value.items()
                   if k not in _SCHEMA_KEYWORDS_OBJECT + _SCHEMA_KEYWORDS_SINGLE
                   + _SCHEMA_KEYWORDS_LIST}
        if quick(shallow):
            continue
        for error in _meta_validator().iter_errors(shallow):
            best = _best(error)
            where = join_pointer(best.absolute_path, schema.pointer)
            yield ctx.finding("schema.invalid", best.message[:300], where)


def rule_ref_unresolved(ctx: _Context) -> Iterator[Finding]:
    for problem in ctx.spec.ref_problems:
        yield Finding(code="ref.unresolved", message=f"$ref {problem.ref!r} {problem.reason}",
                      source=problem.source, pointer=problem.pointer, line=problem.line)


def _validate_example(ctx: _Context, schema: Located, value: JSON, where: str,
                      uri: str | None = None) -> Iterator[Finding]:
    # A body example is checked as the body it shows: a required read-only property is not
    # required in a request example, a required write-only one not in a response example.
    direction: Direction | None = ("request" if "/requestBody/" in where else
                                   "response" if "/responses/" in where else None)
    try:
        compiled = ctx.validators.compile(schema, direction)
    except UnresolvableRef as exc:
        yield ctx.finding("ref.unresolved", str(exc), schema.pointer, uri=uri)
        return
    except UncompilableSchema:
        return  # rule_schema_uncompilable names it once, where it is
    for error in compiled.iter_errors(value):
        yield ctx.finding("example.invalid",
                          f"{error.pointer or '/'}: {error.message[:240]}", where, uri=uri)


def rule_schema_uncompilable(ctx: _Context) -> Iterator[Finding]:
    """Every outermost Schema Object of the document is compiled; one the engine refuses
    is named with the engine's reason (a reference that leads nowhere is ref.unresolved)."""
    from ._refs import schema_objects

    root = Located(ctx.spec.document, ctx.spec.uri, "")
    nodes = [(root.child(*tokens), schema) for tokens, schema in schema_objects(
        ctx.spec.document) if not (isinstance(schema, dict) and set(schema) <= {
            "$ref", "description", "summary"})]  # a bare reference: its target is named
    if ctx.validators.compiles([node for node, _ in nodes]):
        return  # the common case: one compile of everything
    for node, schema in nodes:
        if not _quick("2020-12")(schema):
            continue  # schema.invalid names the keyword at fault
        try:
            ctx.validators.compile(node)
        except UncompilableSchema as exc:
            yield ctx.finding("schema.uncompilable",
                              f"the schema cannot be compiled: {exc.reason[:240]}", node.pointer)
        except UnresolvableRef:
            continue  # ref.unresolved reports it


def rule_example_invalid(ctx: _Context) -> Iterator[Finding]:
    root = Located(ctx.spec.document, ctx.spec.uri, "")
    # Media types and parameters: `example` and `examples.*.value` against `schema`.
    stack = [root]
    while stack:
        node = stack.pop()
        value = node.value
        if isinstance(value, dict):
            if isinstance(value.get("schema"), dict | bool) and ("content" not in value):
                schema = node.child("schema")
                if "example" in value:
                    yield from _validate_example(ctx, schema, value["example"],
                                                 node.child("example").pointer)
                examples = value.get("examples")
                for name in examples if isinstance(examples, dict) else ():
                    ex_node = node.child("examples", name)
                    try:
                        ex_node = ctx.spec.resolve(ex_node)
                    except UnresolvableRef:
                        continue
                    if isinstance(ex_node.value, dict) and "value" in ex_node.value:
                        yield from _validate_example(ctx, schema, ex_node.value["value"],
                                                     node.child("examples", name).pointer)
            for key, child in value.items():
                if key in ("schema", "example", "examples") or str(key).startswith("x-"):
                    continue
                if isinstance(child, dict | list):
                    stack.append(node.child(key))
        elif isinstance(value, list):
            stack.extend(node.child(i) for i in range(len(value)))
    # Schema Objects: `examples` (a list) and `default`.
    for schema in ctx.schemas():
        for i, example in enumerate(schema.value.get("examples") or []) if isinstance(
                schema.value.get("examples"), list) else ():
            yield from _validate_example(ctx, schema, example,
                                         schema.child("examples", i).pointer)
        if "default" in schema.value:
            yield from _validate_example(ctx, schema, schema.value["default"],
                                         schema.child("default").pointer)


def rule_operation_ids(ctx: _Context) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    for _path, _method, node in ctx.operations():
        op_id = node.value.get("operationId")
        if not op_id:
            yield ctx.finding("operation.no_operation_id", "the operation has no operationId",
                              node.pointer)
            continue
        if op_id in seen:
            yield ctx.finding("operation.duplicate_operation_id",
                              f"operationId {op_id!r} is also used at {seen[op_id]}",
                              node.pointer + "/operationId")
        else:
            seen[op_id] = node.pointer


def rule_operation_docs(ctx: _Context) -> Iterator[Finding]:
    for _path, _method, node in ctx.operations():
        missing = [k for k in ("summary", "description") if not node.value.get(k)]
        if missing:
            yield ctx.finding("operation.no_summary",
                              f"the operation has no {' or '.join(missing)}",
                              node.pointer, severity=Severity.WARNING)


def _status_keys(ctx: _Context, node: Located) -> list[str]:
    responses = node.value.get("responses")
    return [str(k) for k in responses] if isinstance(responses, dict) else []


def rule_operation_responses(ctx: _Context) -> Iterator[Finding]:
    for _path, _method, node in ctx.operations():
        keys = _status_keys(ctx, node)
        if not any(k[0] in "45" or k == "default" for k in keys):
            yield ctx.finding("operation.no_error_response",
                              "the operation documents no error response (4XX, 5XX or default)",
                              node.pointer + "/responses")
        if not any(k[0] in "23" for k in keys):
            yield ctx.finding("operation.no_success_response",
                              "the operation documents no success response (2XX or 3XX)",
                              node.pointer + "/responses", severity=Severity.WARNING)


_TEMPLATE_PARAM = re.compile(r"\{([^{}/]+)\}")


def rule_path_parameters(ctx: _Context) -> Iterator[Finding]:
    for path, _method, node in ctx.operations():
        in_template = set(_TEMPLATE_PARAM.findall(path))
        declared: dict[str, str] = {}
        item = Located(ctx.spec.document["paths"][path], ctx.spec.uri,
                       "/paths/" + escape_pointer(path))
        for holder in (item, node):
            for i, _ in enumerate(holder.value.get("parameters") or []):
                try:
                    param = ctx.spec.resolve(holder.child("parameters", i))
                except UnresolvableRef:
                    continue
                if isinstance(param.value, dict) and param.value.get("in") == "path":
                    declared[str(param.value.get("name"))] = holder.child("parameters", i).pointer
        for name in sorted(in_template - set(declared)):
            yield ctx.finding("path.parameter_undeclared",
                              f"path parameter {{{name}}} is not declared", node.pointer)
        for name in sorted(set(declared) - in_template):
            yield ctx.finding("path.parameter_unused",
                              f"path parameter {name!r} is not in the template {path}",
                              declared[name])


def rule_path_ambiguous(ctx: _Context) -> Iterator[Finding]:
    shapes: dict[tuple[str, str], str] = {}
    for path, method, node in ctx.operations():
        shape = (method, _TEMPLATE_PARAM.sub("{}", path.rstrip("/")))
        if shape in shapes and shapes[shape] != path:
            yield ctx.finding("path.ambiguous",
                              f"{method.upper()} {path} matches the same URLs as {shapes[shape]}",
                              node.pointer, severity=Severity.WARNING)
        shapes.setdefault(shape, path)


def rule_security(ctx: _Context) -> Iterator[Finding]:
    defined = set((ctx.spec.document.get("components") or {}).get("securitySchemes") or {})
    requirements: list[tuple[str, Any]] = [("/security", ctx.spec.document.get("security"))]
    for _path, _method, node in ctx.operations():
        requirements.append((node.pointer + "/security", node.value.get("security")))
    for pointer, reqs in requirements:
        for i, req in enumerate(reqs or []):
            for name in req if isinstance(req, dict) else ():
                if name not in defined:
                    yield ctx.finding("security.undefined_scheme",
                                      f"security scheme {name!r} is not defined",
                                      f"{pointer}/{i}")


def rule_links(ctx: _Context) -> Iterator[Finding]:
    ids = {op.operation_id for op in ctx.spec.operations}
    for _path, _method, node in ctx.operations():
        for status in _status_keys(ctx, node):
            try:
                response = ctx.spec.resolve(node.child("responses", status))
            except UnresolvableRef:
                continue
            links = response.value.get("links") if isinstance(response.value, dict) else None
            for name, link in (links or {}).items():
                target = link.get("operationId") if isinstance(link, dict) else None
                if target is not None and target not in ids:
                    yield ctx.finding("link.unknown_operation",
                                      f"link {name!r} names unknown operationId {target!r}",
                                      response.child("links", name).pointer, uri=response.uri)


def rule_required_undefined(ctx: _Context) -> Iterator[Finding]:
    for schema in ctx.schemas():
        value = schema.value
        required = value.get("required")
        props = value.get("properties")
        if not isinstance(required, list) or not isinstance(props, dict):
            continue
        if value.get("additionalProperties") not in (None, False) or "patternProperties" in value:
            continue
        for name in required:
            if name not in props:
                yield ctx.finding("schema.required_undefined",
                                  f"required property {name!r} is not in `properties`",
                                  schema.pointer + "/required", severity=Severity.WARNING)


def rule_discriminator(ctx: _Context) -> Iterator[Finding]:
    """OpenAPI's discriminator: its mapping must lead to the alternatives, whose payloads
    must carry the discriminating property (the validator picks the alternative by it)."""
    for schema in ctx.schemas():
        discriminator = schema.value.get("discriminator")
        if not isinstance(discriminator, dict):
            continue
        name = discriminator.get("propertyName")
        keyword = next((k for k in ("oneOf", "anyOf") if isinstance(schema.value.get(k), list)),
                       "")
        alternatives: dict[tuple[str, str], Located] = {}
        for i in range(len(schema.value[keyword]) if keyword else 0):
            try:
                alt = ctx.spec.resolve(schema.child(keyword, i))
            except UnresolvableRef:
                continue  # ref.unresolved says so
            alternatives[(alt.uri, alt.pointer)] = alt
        mapping = discriminator.get("mapping")
        for key, target in (mapping.items() if isinstance(mapping, dict) else ()):
            where = f"{schema.pointer}/discriminator/mapping/{escape_pointer(str(key))}"
            found = ctx.spec.mapping_target(schema, target)
            if found is None:
                yield ctx.finding("discriminator.mapping_unresolved",
                                  f"mapping {key!r} names {target!r}, which does not exist",
                                  where, uri=schema.uri)
                continue
            if keyword and (found.uri, found.pointer) not in alternatives:
                yield ctx.finding("discriminator.mapping_unresolved",
                                  f"mapping {key!r} names {target!r}, which is none of the "
                                  f"{keyword} alternatives", where, uri=schema.uri)
        if not isinstance(name, str):
            continue  # oas.schema reports a discriminator without propertyName
        for i, alt in enumerate(alternatives.values()):
            if isinstance(alt.value, dict) and name not in _required(ctx, alt):
                yield ctx.finding("discriminator.property_not_required",
                                  f"{keyword} alternative {i} does not require the "
                                  f"discriminator's property {name!r}",
                                  alt.pointer, severity=Severity.WARNING, uri=alt.uri)


def _required(ctx: _Context, schema: Located, depth: int = 0) -> set[str]:
    """The property names a schema requires, its ``allOf`` parts (refs followed) included."""
    value = schema.value
    if not isinstance(value, dict) or depth > 8:
        return set()
    out = {r for r in value.get("required") or [] if isinstance(r, str)} if isinstance(
        value.get("required"), list) else set()
    for j in range(len(value["allOf"]) if isinstance(value.get("allOf"), list) else 0):
        try:
            out |= _required(ctx, ctx.spec.resolve(schema.child("allOf", j)), depth + 1)
        except UnresolvableRef:
            continue
    return out


def rule_unused_components(ctx: _Context) -> Iterator[Finding]:
    from .specs import iter_refs, split_ref

    used: set[tuple[str, str]] = set()
    for uri, doc in ctx.spec.resources.items():
        for ref, _where in iter_refs(doc.data):
            used.add(split_ref(ref, uri))
    # A component is used if anything refers to it or to something inside it: every
    # referenced pointer of this document with all its ancestors, as one set.
    reached: set[str] = set()
    for u, p in used:
        if u == ctx.spec.uri:
            parts = p.split("/")
            reached.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    components = ctx.spec.document.get("components") or {}
    for section, entries in components.items():
        if section == "securitySchemes" or not isinstance(entries, dict):
            continue
        for name in entries:
            pointer = f"/components/{escape_pointer(section)}/{escape_pointer(name)}"
            if pointer not in reached:
                yield ctx.finding("component.unused", f"{section}/{name} is never referenced",
                                  pointer, severity=Severity.WARNING)
    schemes = components.get("securitySchemes") or {}
    named = set()
    for req in ctx.spec.document.get("security") or []:
        named.update(req)
    for _path, _method, node in ctx.operations():
        for req in node.value.get("security") or []:
            named.update(req)
    for name in schemes:
        if name not in named:
            yield ctx.finding("component.unused", f"securitySchemes/{name} is never required",
                              f"/components/securitySchemes/{escape_pointer(name)}",
                              severity=Severity.WARNING)


def rule_assumptions(ctx: _Context) -> Iterator[Finding]:
    stack = [Located(ctx.spec.document, ctx.spec.uri, "")]
    while stack:
        node = stack.pop()
        if isinstance(node.value, dict):
            if node.value.get("x-contracts-assumption") is True:
                text = str(node.value.get("description", ""))
                if "assumption" not in text.lower():
                    yield ctx.finding("assumption.undescribed",
                                      "x-contracts-assumption is set but the description has no "
                                      "'Assumption:' sentence", node.pointer,
                                      severity=Severity.WARNING)
            stack.extend(node.child(k) for k, v in node.value.items()
                         if isinstance(v, dict | list) and k not in ("example", "examples"))
        elif isinstance(node.value, list):
            stack.extend(node.child(i) for i in range(len(node.value)))


def rule_servers(ctx: _Context) -> Iterator[Finding]:
    if not ctx.spec.document.get("servers"):
        yield ctx.finding("spec.no_servers", "the spec names no servers", "",
                          severity=Severity.WARNING)


_RULES: tuple[Rule, ...] = (
    rule_oas_schema, rule_schema_invalid, rule_ref_unresolved, rule_schema_uncompilable,
    rule_example_invalid,
    rule_operation_ids, rule_operation_docs, rule_operation_responses, rule_path_parameters,
    rule_path_ambiguous, rule_security, rule_links, rule_required_undefined,
    rule_discriminator, rule_unused_components, rule_assumptions, rule_servers,
)


def iter_findings(spec: Spec) -> Iterator[Finding]:
    """Every finding of every rule, in rule order (use :func:`lint` for a ranked list)."""
    ctx = _Context(spec)
    oas_clean = True
    for rule in _RULES:
        for finding in rule(ctx):
            if finding.code == "oas.schema":
                oas_clean = False
            yield finding
        # Later rules assume the document's structure; stop after the meta-schema if broken.
        if rule is rule_oas_schema and not oas_clean:
            return


def lint_spec(spec: Spec) -> list[Finding]:
    return ranked(iter_findings(spec))


def lint(target: str | Path) -> list[Finding]:
    """Load ``target`` (bundled name or path) leniently and lint it. Unreadable input raises."""
    return lint_spec(load_spec(target, lenient=True))
