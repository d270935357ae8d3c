"""Compiled JSON Schema 2020-12 validators for the schemas of a spec (jsonschema-rs).

The only module that imports the validation engine. Every schema is compiled once per spec
against a registry of the spec's own documents; the registry's retriever refuses everything,
so validating never reaches the network.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._loading import escape_pointer
from .errors import UnresolvableRef

if TYPE_CHECKING:
    from .specs import Located, Spec

__all__ = ["CompiledSchema", "SchemaError", "SchemaValidators", "json_type"]


@dataclass(frozen=True, slots=True)
class SchemaError:
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


def _refuse(uri: str) -> Any:
    raise ValueError(f"reference {uri} is not part of the loaded spec (nothing is fetched)")


def _pointer(parts: list[str | int]) -> str:
    return "".join("/" + escape_pointer(str(p)) for p in parts)


def json_type(value: Any) -> str:
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


def _at(instance: Any, parts: list[str | int]) -> Any:
    for part in parts:
        try:
            instance = instance[part]
        except (KeyError, IndexError, TypeError):
            return None
    return instance


def _describe(keyword: str, params: dict[str, Any], actual: Any) -> tuple[str, Any]:
    """A message without the instance's value, and what was expected."""
    limit = params.get("limit")
    got = json_type(actual)
    simple = {
        "maxLength": f"longer than {limit} characters",
        "minLength": f"shorter than {limit} characters",
        "maximum": f"greater than the maximum {limit}",
        "minimum": f"less than the minimum {limit}",
        "exclusiveMaximum": f"not less than {limit}",
        "exclusiveMinimum": f"not greater than {limit}",
        "maxItems": f"more than {limit} items",
        "minItems": f"fewer than {limit} items",
        "maxProperties": f"more than {limit} properties",
        "minProperties": f"fewer than {limit} properties",
        "multipleOf": f"not a multiple of {params.get('multiple_of')}",
        "uniqueItems": "items are not unique",
        "not": "matches a schema it must not match",
        "oneOf": "matches none of the oneOf alternatives",
        "anyOf": "matches none of the anyOf alternatives",
        "falseSchema": "no value is allowed here",
        "contains": "no item matches `contains`",
    }
    if keyword == "type":
        types = params.get("types") or []
        return f"expected {' or '.join(types)}, got {got}", types
    if keyword == "required":
        return f"missing required property {params.get('property')!r}", params.get("property")
    if keyword == "enum":
        options = params.get("options") or []
        return f"{got} value is not one of the {len(options)} documented values", options
    if keyword == "const":
        return "not the documented constant", params.get("expected_value")
    if keyword == "format":
        return f"not a valid {params.get('format')}", params.get("format")
    if keyword == "pattern":
        return f"does not match the pattern {params.get('pattern')}", params.get("pattern")
    if keyword == "additionalProperties":
        unexpected = params.get("unexpected") or []
        return f"properties not allowed here: {', '.join(map(str, unexpected))}", None
    if keyword == "oneOfMultipleValid":
        return "matches more than one oneOf alternative", None
    if keyword in simple:
        return simple[keyword], limit
    return f"fails `{keyword}`", None


class CompiledSchema:
    """A compiled schema; ``iter_errors`` yields every failure, ``is_valid`` short-circuits."""

    __slots__ = ("_validator", "ref")

    def __init__(self, validator: Any, ref: str):
        self._validator = validator
        self.ref = ref

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
        if context:
            # Report the alternative that came closest (fewest, deepest errors), like
            # jsonschema's best_match: the user wants to know what differs, not "no match".
            branch = min(context, key=lambda errs: (
                len(errs), -max((len(list(e.instance_path)) for e in errs), default=0)))
            if branch and len(branch) <= 8:
                for inner in branch:
                    yield from self._expand(inner, instance)
                return
        path = list(err.instance_path)
        actual = _at(instance, path)
        message, expected = _describe(name, params, actual)
        yield SchemaError(
            pointer=_pointer(path),
            keyword=name,
            schema_location=str(err.absolute_keyword_location or _pointer(list(err.schema_path))),
            message=message,
            expected=expected,
            actual=actual,
        )


class SchemaValidators:
    """A per-spec cache of compiled validators, keyed by the schema's location."""

    def __init__(self, spec: Spec, *, validate_formats: bool = True):
        import jsonschema_rs  # imported on first use: `import contracts` stays light

        self._engine = jsonschema_rs
        self._spec = spec
        self._formats = validate_formats
        self._registry = jsonschema_rs.Registry(
            [(uri, doc.data) for uri, doc in spec.resources.items()],
            retriever=_refuse,
        )
        self._cache: dict[tuple[str, str], CompiledSchema] = {}
        self._lock = threading.Lock()

    def compile(self, schema: Located) -> CompiledSchema:
        """The validator for the schema at ``schema`` (its ``$ref``s resolve in the spec)."""
        key = (schema.uri, schema.pointer)  # not ``schema.ref``: quoting it costs a URL encode
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        with self._lock:
            hit = self._cache.get(key)
            if hit is None:
                hit = self._build(schema.ref)
                self._cache[key] = hit
        return hit

    def _build(self, ref: str) -> CompiledSchema:
        try:
            validator = self._engine.Draft202012Validator(
                {"$ref": ref},
                registry=self._registry,
                retriever=_refuse,
                validate_formats=self._formats,
                ignore_unknown_formats=True,
            )
        except self._engine.ValidationError as exc:
            # jsonschema-rs reports an unresolvable reference at compile time this way.
            raise UnresolvableRef(ref, source=self._spec.source,
                                  reason=f"cannot be compiled ({str(exc).splitlines()[0]})"
                                  ) from None
        except ValueError as exc:
            raise UnresolvableRef(ref, source=self._spec.source,
                                  reason=f"cannot be compiled ({exc})") from None
        return CompiledSchema(validator, ref)
