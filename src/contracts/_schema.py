"""Compiled JSON Schema 2020-12 validators for the schemas of a spec (jsonschema-rs).

The only module that imports the validation engine. Every schema is compiled once per spec
against a registry of the spec's own documents; the registry's retriever refuses everything,
so validating never reaches the network.

OpenAPI's additions to JSON Schema live here too: a ``discriminator`` picks the ``oneOf`` /
``anyOf`` alternative whose failures are reported, and ``readOnly`` / ``writeOnly`` are
read by direction (a read-only property is not required in a request and should not be sent
in one; a write-only property is not required in a response and must not appear in one).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ._pointers import escape_pointer, join_pointer, split_pointer
from ._record import Record
from ._refs import dialects, schema_objects
from .errors import UncompilableSchema, UnresolvableRef

if TYPE_CHECKING:
    from .specs import Located, Spec

__all__ = ["FLAGS", "CompiledSchema", "SchemaError", "SchemaValidators", "json_type",
           "quick_check"]

Direction = Literal["request", "response"]

FLAGS: dict[str, str] = {"request": "readOnly", "response": "writeOnly"}
"""The annotation a body must not carry, by direction (OpenAPI's readOnly / writeOnly)."""

_DATA_KEYS = frozenset({"example", "examples", "default", "const", "enum"})
"""Keywords whose values are data, not schemas (a ``readOnly`` key there means nothing)."""
_NAME_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas", "$defs",
                        "definitions", "schemas", "paths", "responses", "content",
                        "parameters", "requestBodies", "headers", "callbacks", "webhooks"})
"""Keywords whose keys are names chosen by the spec (a property may be called ``default``)."""


@dataclass(init=False, repr=False, eq=False, slots=True)  # a frozen record: see _record
class SchemaError(Record):
    """One failed keyword: where in the instance, which keyword where in the spec, and why.

    ``message`` never contains the instance's value (it may be patient data); ``actual`` is
    the value at ``pointer`` for callers that opt in to showing it.
    """

    pointer: str
    keyword: str
    schema_location: str
    message: str
    expected: Any
    actual: Any

    def __init__(self, pointer: str, keyword: str, schema_location: str, message: str,
                 expected: Any, actual: Any) -> None:
        # by slot descriptor (_ERROR_SETTERS): one record per error a walk names
        pointer_, keyword_, schema_location_, message_, expected_, actual_ = _ERROR_SETTERS
        pointer_(self, pointer)
        keyword_(self, keyword)
        schema_location_(self, schema_location)
        message_(self, message)
        expected_(self, expected)
        actual_(self, actual)


_ERROR_SETTERS = tuple(getattr(SchemaError, name).__set__ for name in (
    "pointer", "keyword", "schema_location", "message", "expected", "actual"))


def _refuse(uri: str) -> Any:
    raise ValueError(f"reference {uri} is not part of the loaded spec (nothing is fetched)")


def json_type(value: Any) -> str:
    name = _JSON_TYPES.get(type(value))  # a parsed JSON value's own type: one lookup
    if name is not None:
        return name
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


_JSON_TYPES: dict[type, str] = {type(None): "null", bool: "boolean", int: "integer",
                                str: "string", list: "array", dict: "object"}
""":func:`json_type` of a value of exactly one of these types (a float's depends on its value,
and a subclass's is told by json_type's isinstance tests)."""


def _at(instance: Any, parts: list[str | int]) -> Any:
    for part in parts:
        if isinstance(instance, list) and isinstance(part, str) and part.isdigit():
            part = int(part)  # a token of a JSON pointer
        try:
            instance = instance[part]
        except (KeyError, IndexError, TypeError):
            return None
    return instance


_U64_MAX = 2**64 - 1


def _pointer(path: list[str | int]) -> str:
    """``join_pointer(path)``, in one join when no token needs escaping (nearly every path)."""
    if not path:
        return ""
    joined = "/".join(map(str, path))
    if "~" in joined or joined.count("/") != len(path) - 1:
        return join_pointer(path)
    return "/" + joined


def _joined(values: Any) -> str:
    return ", ".join(map(str, values or []))


# keyword -> (params, the instance's JSON type) -> (message without the value, expected)
_DESCRIBED: dict[str, Callable[[dict[str, Any], str], tuple[str, Any]]] = {
    "type": lambda p, got: (f"expected {' or '.join(p.get('types') or [])}, got {got}",
                            p.get("types") or []),
    "required": lambda p, _: (f"missing required property {p.get('property')!r}",
                              p.get("property")),
    "enum": lambda p, got: (f"{got} value is not one of the {len(p.get('options') or [])} "
                            "documented values", p.get("options") or []),
    "const": lambda p, _: ("not the documented constant", p.get("expected_value")),
    "format": lambda p, _: (f"not a valid {p.get('format')}", p.get("format")),
    "pattern": lambda p, _: (f"does not match the pattern {p.get('pattern')}",
                             p.get("pattern")),
    "additionalProperties": lambda p, _: (
        f"properties not allowed here: {_joined(p.get('unexpected'))}", None),
    "oneOfMultipleValid": lambda p, _: ("matches more than one oneOf alternative", None),
}


# keyword -> its message, ``{limit}`` and ``{multiple_of}`` filled from the error's params
_SIMPLE: dict[str, str] = {
    "maxLength": "longer than {limit} characters",
    "minLength": "shorter than {limit} characters",
    "maximum": "greater than the maximum {limit}",
    "minimum": "less than the minimum {limit}",
    "exclusiveMaximum": "not less than {limit}",
    "exclusiveMinimum": "not greater than {limit}",
    "maxItems": "more than {limit} items",
    "minItems": "fewer than {limit} items",
    "maxProperties": "more than {limit} properties",
    "minProperties": "fewer than {limit} properties",
    "multipleOf": "not a multiple of {multiple_of}",
    "uniqueItems": "items are not unique",
    "not": "matches a schema it must not match",
    "oneOf": "matches none of the oneOf alternatives",
    "anyOf": "matches none of the anyOf alternatives",
    "falseSchema": "no value is allowed here",
    "contains": "no item matches `contains`",
}


def _describe(keyword: str, params: dict[str, Any], actual: Any) -> tuple[str, Any]:
    """A message without the instance's value, and what was expected."""
    described = _DESCRIBED.get(keyword)
    if described is not None:
        return described(params, json_type(actual))
    limit = params.get("limit")
    simple = _SIMPLE.get(keyword)
    if simple is not None:  # only the message it needs formatted (each was an f-string)
        return simple.format(limit=limit, multiple_of=params.get("multiple_of")), limit
    return f"fails `{keyword}`", None


class CompiledSchema:
    """A compiled schema; ``iter_errors`` yields every failure, ``is_valid`` short-circuits.

    ``flag`` is the annotation (``readOnly`` or ``writeOnly``) that :meth:`flagged` looks
    for, set only when the spec uses it for this schema's direction.
    """

    __slots__ = ("_spec", "_validator", "flag", "ref", "valid")

    def __init__(self, validator: Any, ref: str, spec: Spec | None = None,
                 flag: str | None = None):
        self._validator = validator
        self.valid = validator.is_valid
        """The engine's own ``is_valid`` (no Python frame: for hot paths that call it per
        exchange)."""
        self._spec = spec
        self.ref = ref
        self.flag = flag

    def flagged(self, instance: Any) -> Iterator[tuple[str, str, Any]]:
        """(instance pointer, schema location, value) of every value annotated with
        :attr:`flag`.

        Annotations come from the engine's evaluation, which keeps only those of the
        subschemas that matched: a property read-only in one ``oneOf`` alternative and
        writable in the one that applies is not flagged.
        """
        if self.flag is None:
            return
        for unit in self._validator.evaluate(instance).annotations():
            notes = unit.get("annotations")
            if isinstance(notes, dict) and notes.get(self.flag) is True:
                pointer = str(unit.get("instanceLocation", ""))
                parts: list[str | int] = [*split_pointer(pointer)]
                yield pointer, str(unit.get("absoluteKeywordLocation")
                                   or unit.get("schemaLocation", "")), _at(instance, parts)

    def is_valid(self, instance: Any) -> bool:
        return bool(self._validator.is_valid(instance))

    def iter_errors(self, instance: Any) -> Iterator[SchemaError]:
        if self._validator.is_valid(instance):
            return
        for err in self._validator.iter_errors(instance):
            yield from self._expand(err, instance)

    def _expand(self, err: Any, instance: Any) -> Iterator[SchemaError]:
        kind = err.kind
        name = str(getattr(kind, "name", ""))
        try:
            params = kind.as_dict()
        except Exception:  # noqa: BLE001 - kinds without parameters
            params = {}
        if not isinstance(params, dict):
            params = {}
        context = params.get("context") if name in ("anyOf", "oneOf") else None
        if context and not all(context):
            # An alternative without errors matched: a oneOf failing so matched several.
            name, context = "oneOfMultipleValid", None
        if context:
            chosen = self._discriminated(err, name, instance, len(context))
            if isinstance(chosen, SchemaError):
                yield chosen
                return
            if chosen is not None:
                for inner in context[chosen]:
                    yield from self._expand(inner, instance)
                return
            # Report the alternative that came closest (fewest, deepest errors), like
            # jsonschema's best_match: the user wants to know what differs, not "no match".
            # An alternative that rejects the value's type outright (the `type: "null"` of a
            # nullable `anyOf` against an object) is the least relevant, as in best_match.
            here = list(err.instance_path)

            def wrong_type(errs: list[Any]) -> bool:
                return len(errs) == 1 and str(getattr(errs[0].kind, "name", "")) == "type" \
                    and list(errs[0].instance_path) == here

            branch = min(context, key=lambda errs: (
                wrong_type(errs), len(errs),
                -max((len(list(e.instance_path)) for e in errs), default=0)))
            if branch and len(branch) <= 8:
                for inner in branch:
                    yield from self._expand(inner, instance)
                return
        path = list(err.instance_path)
        actual = _at(instance, path)
        if params.get("limit") == _U64_MAX:
            params = {**params, "limit": self._written_limit(err, name, _U64_MAX)}
        message, expected = _describe(name, params, actual)
        yield SchemaError(_pointer(path), name,
                          str(err.absolute_keyword_location or join_pointer(err.schema_path)),
                          message, expected, actual)

    def _keyword_owner(self, err: Any, keyword: str) -> Any:
        """The spec node holding the ``keyword`` an engine error points at (None when the
        error's location is not in the spec or does not resolve)."""
        from urllib.parse import unquote

        spec, location = self._spec, str(err.absolute_keyword_location or "")
        uri, _, fragment = location.partition("#")
        if spec is None or not fragment.endswith("/" + keyword):
            return None
        try:
            return spec.locate(uri, unquote(fragment)[: -len(keyword) - 1])
        except UnresolvableRef:
            return None

    def _written_limit(self, err: Any, keyword: str, clamped: int) -> Any:
        """The limit as the spec writes it: the engine clamps counts to 64 bits, and
        ``minItems: 18446744073709551616`` must not read as one less."""
        node = self._keyword_owner(err, keyword)
        if node is None:
            return clamped
        value = node.value.get(keyword) if isinstance(node.value, dict) else None
        return value if isinstance(value, int | float) and not isinstance(value, bool) \
            else clamped

    def _discriminated(self, err: Any, keyword: str, instance: Any, branches: int
                       ) -> int | SchemaError | None:
        """The alternative a ``discriminator`` names, an error when its value names none, or
        None (no discriminator, no string value, or a mapping we cannot follow)."""
        spec, node = self._spec, self._keyword_owner(err, keyword)
        if spec is None or node is None:
            return None
        schema = node.value
        discriminator = schema.get("discriminator") if isinstance(schema, dict) else None
        alternatives = schema.get(keyword) if isinstance(schema, dict) else None
        if not isinstance(discriminator, dict) or not isinstance(alternatives, list) or len(
                alternatives) != branches:
            return None
        name = discriminator.get("propertyName")
        path = list(err.instance_path)
        target = _at(instance, path)
        value = target.get(name) if isinstance(target, dict) and isinstance(name, str) else None
        if not isinstance(value, str):
            return None  # absent or not a string: the alternatives' own errors say so

        def where(ref: Any) -> tuple[str, str] | None:
            found = spec.mapping_target(node, ref)
            return None if found is None else (found.uri, found.pointer)

        mapping = discriminator.get("mapping")
        mapping = mapping if isinstance(mapping, dict) else {}
        refs = [alt.get("$ref") if isinstance(alt, dict) else None for alt in alternatives]
        if value in mapping:
            wanted = where(mapping[value])
            for i, ref in enumerate(refs):
                if wanted is not None and where(ref) == wanted:
                    return i
            return None
        # Implicit mapping: the value is the name of the alternative's component.
        for i, ref in enumerate(refs):
            if isinstance(ref, str) and ref.rsplit("/", 1)[-1] == value:
                return i
        # The mapping's keys, then the names of the alternatives it does not reach.
        reached = {where(ref) for ref in mapping.values()}
        names = [*map(str, mapping), *(r.rsplit("/", 1)[-1] for r in refs
                                       if isinstance(r, str) and where(r) not in reached)]
        return SchemaError(
            pointer=join_pointer([*path, str(name)]),
            keyword="discriminator",
            schema_location=f"{node.ref}/discriminator",
            message=f"not one of the discriminator's values ({', '.join(names)})",
            expected=names,
            actual=value,
        )


class SchemaValidators:
    """A per-spec cache of compiled validators, keyed by the schema's location."""

    def __init__(self, spec: Spec, *, validate_formats: bool = True):
        import jsonschema_rs  # imported on first use: `import contracts` stays light

        self._engine = jsonschema_rs
        self._spec = spec
        self._formats = validate_formats
        self._registry = jsonschema_rs.Registry(
            _engine_resources((uri, doc.data) for uri, doc in spec.resources.items()),
            retriever=_refuse,
        )
        # Per direction: the registry to compile against, and the flag to look for; a spec
        # that never uses readOnly (writeOnly) shares the plain registry for requests
        # (responses) and pays nothing.
        self._directed: dict[str, tuple[Any, str | None]] = {}
        self._cache: dict[tuple[str, str, str | None], CompiledSchema] = {}
        self._lock = threading.Lock()

    def compile(self, schema: Located, direction: Direction | None = None) -> CompiledSchema:
        """The validator for the schema at ``schema`` (its ``$ref``s resolve in the spec).

        ``direction`` ("request" or "response", for bodies) applies readOnly / writeOnly.
        """
        # not ``schema.ref`` as the key: quoting it costs a URL encode
        key = (schema.uri, schema.pointer, direction)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        with self._lock:
            hit = self._cache.get(key)
            if hit is None:
                registry, flag = (self._registry, None) if direction is None else (
                    self._for(direction))
                dialect = schema.value.get("$schema") if isinstance(schema.value, dict) else None
                hit = self._build(self._target(schema), registry, flag,
                                  dialect if isinstance(dialect, str) else None)
                self._cache[key] = hit
        return hit

    def compile_without(self, schema: Located, direction: Direction, node: str,
                        keyword: str) -> CompiledSchema:
        """The validator for ``schema`` as :meth:`compile` builds it, but with ``keyword``
        left out of the schema object at ``node`` (a JSON pointer in the spec's root
        document): for a check its caller makes itself (:mod:`contracts._vouched`). Not
        cached: the caller keeps it."""
        documents, flag = self._documents(direction)
        tokens = split_pointer(node)
        registry = self._engine.Registry(_engine_resources(
            (uri, _without(data, tokens, keyword) if uri == self._spec.uri else data)
            for uri, data in documents), retriever=_refuse)
        dialect = schema.value.get("$schema") if isinstance(schema.value, dict) else None
        return self._build(self._target(schema), registry, flag,
                           dialect if isinstance(dialect, str) else None)

    def _for(self, direction: str) -> tuple[Any, str | None]:
        """The registry and flag of a direction (under the lock)."""
        hit = self._directed.get(direction)
        if hit is None:
            documents, flag = self._documents(direction)
            hit = (self._registry, None) if flag is None else (self._engine.Registry(
                _engine_resources(iter(documents)), retriever=_refuse), flag)
            self._directed[direction] = hit
        return hit

    def _documents(self, direction: str) -> tuple[list[tuple[str, Any]], str | None]:
        """The spec's documents as a direction compiles them, and the flag to look for: a
        spec that never uses readOnly (writeOnly) is used as it is (flag None)."""
        flag = FLAGS[direction]
        resources = self._spec.resources
        if not any(_uses(doc.data, flag) for doc in resources.values()):
            return [(uri, doc.data) for uri, doc in resources.items()], None
        return [(uri, self._relaxed(doc.data, uri, flag)) for uri, doc in resources.items()], flag

    def _relaxed(self, data: Any, uri: str, flag: str) -> Any:
        """A copy of a document in which no property marked ``flag`` is required (OpenAPI:
        a required read-only property is required in responses only, and a required
        write-only property in requests only)."""
        from .specs import Located

        spec = self._spec

        def marked(node: Any, pointer: str) -> bool:
            return spec.marked(Located(node, uri, pointer), flag)

        def walk(node: Any, pointer: str, names: bool = False) -> Any:
            if isinstance(node, list):
                return [walk(item, f"{pointer}/{i}") for i, item in enumerate(node)]
            if not isinstance(node, dict):
                return node
            out = {key: value if key in _DATA_KEYS and not names else
                   walk(value, f"{pointer}/{escape_pointer(str(key))}", key in _NAME_MAPS
                        and not names)
                   for key, value in node.items()}
            required, props = node.get("required"), node.get("properties")
            if not names and isinstance(required, list) and isinstance(props, dict):
                out["required"] = [name for name in required if not (
                    isinstance(name, str) and marked(
                        props.get(name), f"{pointer}/properties/{escape_pointer(name)}"))]
            return out

        return walk(data, "")

    def _target(self, schema: Located) -> str:
        """What to compile: the schema's location, or its own URI when it has an ``$id``
        (its references then resolve against that, as the standard says)."""
        value = schema.value
        if isinstance(value, dict) and isinstance(value.get("$id"), str):
            return self._spec.base_uri(schema)
        return schema.ref

    def compiles(self, schemas: list[Located]) -> bool:
        """Whether all these schemas compile, tried as one (a fast all-clear for lint)."""
        try:
            self._engine.Draft202012Validator(
                {"anyOf": [{"$ref": self._target(s)} for s in schemas]},
                registry=self._registry, retriever=_refuse, validate_formats=self._formats,
                ignore_unknown_formats=True)
        except (self._engine.ValidationError, ValueError):
            return False
        return True

    def _build(self, ref: str, registry: Any, flag: str | None,
               dialect: str | None = None) -> CompiledSchema:
        # A schema naming its dialect (`$schema`) is compiled by that dialect's vocabularies.
        wrapper = {"$ref": ref} if dialect is None else {"$schema": dialect, "$ref": ref}
        make = self._engine.Draft202012Validator if dialect is None else self._engine.validator_for
        try:
            validator = make(
                wrapper,
                registry=registry,
                retriever=_refuse,
                validate_formats=self._formats,
                ignore_unknown_formats=True,
            )
        except self._engine.ValidationError as exc:
            reason = str(exc).splitlines()[0]
            # jsonschema-rs reports an unresolvable reference at compile time this way too.
            if type(exc.kind).__name__.endswith("Referencing"):
                raise UnresolvableRef(ref, source=self._spec.source,
                                      reason=f"cannot be compiled ({reason})") from None
            raise UncompilableSchema(ref, source=self._spec.source, reason=reason) from None
        except ValueError as exc:
            raise UncompilableSchema(ref, source=self._spec.source, reason=str(exc)) from None
        return CompiledSchema(validator, ref, self._spec, flag)


_IDENTIFIERS = ("$id", "$anchor", "$dynamicAnchor")
_IDENTIFIER_KEYS = tuple(f'"{key}"'.encode() for key in _IDENTIFIERS)
_SERIALIZED: list[Any] = [None, None]  # the last document serialized, and its JSON text


def _without(data: Any, tokens: list[str], keyword: str) -> Any:
    """A copy of ``data`` (the objects on the way copied, the rest shared) in which the
    object at ``tokens`` lacks ``keyword``."""
    if not tokens:
        return {key: value for key, value in data.items() if key != keyword}
    head = int(tokens[0]) if isinstance(data, list) else tokens[0]
    copy = list(data) if isinstance(data, list) else dict(data)
    copy[head] = _without(data[head], tokens[1:], keyword)  # type: ignore[index]
    return copy


def _may_hold(data: Any, needles: tuple[bytes, ...]) -> bool:
    """False when ``data``'s JSON text holds none of ``needles`` (a key such as ``"$id"``,
    or a member such as ``"readOnly":true``): the walk that looks for them can be skipped.
    Serializing in C is a small part of walking in Python, and most specs hold neither.
    True when that cannot be told (a value JSON cannot hold): walk."""
    import orjson

    last, text = _SERIALIZED
    if last is not data:
        try:
            text = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
        except (orjson.JSONEncodeError, TypeError):
            return True
        _SERIALIZED[:] = [data, text]  # one spec at a time: the two directions share it
    return any(needle in text for needle in needles)


def _engine_resources(documents: Iterator[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The documents as the engine should see them, with the OpenAPI dialect meta-schemas.

    The engine reads an OpenAPI document as one schema and does not know where its Schema
    Objects are, so it would miss an ``$id`` or ``$anchor`` inside one. A document whose
    Schema Objects identify themselves is handed over as a shallow copy that also lists
    them under ``$defs`` (a keyword the engine crawls); nothing else in the copy changes.
    """
    out = []
    for uri, data in documents:
        if isinstance(data, dict) and isinstance(data.get("openapi"), str):
            named = [schema for _tokens, schema in schema_objects(data)
                     if _identifies(schema)] if _may_hold(data, _IDENTIFIER_KEYS) else []
            if named:
                defs = dict(data["$defs"]) if isinstance(data.get("$defs"), dict) else {}
                defs.update((f"contracts:schema-object-{i}", schema)
                            for i, schema in enumerate(named))
                data = {**data, "$defs": defs}
        out.append((uri, data))
    out.extend(dialects())
    return out


def _identifies(node: Any) -> bool:
    """Whether an ``$id``, ``$anchor`` or ``$dynamicAnchor`` appears anywhere in ``node``."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any(isinstance(item.get(key), str) for key in _IDENTIFIERS):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def quick_check(schema: Any) -> Any:
    """A fast yes/no validator for ``schema`` (its own ``$schema`` dialect; nothing fetched):
    callers with a slower, more explanatory validator ask this one first and explain only
    what it refuses."""
    import jsonschema_rs

    dialect = str(schema.get("$schema", "")) if isinstance(schema, dict) else ""
    # The draft's class directly: `validator_for` is far slower to build for a big schema.
    make = jsonschema_rs.Draft4Validator if "draft-04" in dialect else (
        jsonschema_rs.Draft202012Validator)
    return make(schema, retriever=_refuse).is_valid


def _uses(node: Any, flag: str) -> bool:
    """Whether ``flag: true`` appears anywhere in a document (outside example data)."""
    if not _may_hold(node, (f'"{flag}":true'.encode(),)):
        return False
    stack: list[tuple[Any, bool]] = [(node, False)]
    while stack:
        item, names = stack.pop()
        if isinstance(item, dict):
            if not names and item.get(flag) is True:
                return True
            stack.extend((v, k in _NAME_MAPS and not names) for k, v in item.items()
                         if names or k not in _DATA_KEYS)
        elif isinstance(item, list):
            stack.extend((v, False) for v in item)
    return False
