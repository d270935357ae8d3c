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

__all__ = ["CompiledSchema", "SchemaError", "SchemaValidators"]


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One failed keyword: where in the instance, which keyword where in the spec, and why."""

    pointer: str
    keyword: str
    schema_location: str
    message: str
    params: dict[str, Any]


def _refuse(uri: str) -> Any:
    raise ValueError(f"reference {uri} is not part of the loaded spec (nothing is fetched)")


def _pointer(parts: list[str | int]) -> str:
    return "".join("/" + escape_pointer(str(p)) for p in parts)


class CompiledSchema:
    """A compiled schema; ``iter_errors`` yields every failure, ``is_valid`` short-circuits."""

    __slots__ = ("_validator", "ref")

    def __init__(self, validator: Any, ref: str):
        self._validator = validator
        self.ref = ref

    def is_valid(self, instance: Any) -> bool:
        return bool(self._validator.is_valid(instance))

    def iter_errors(self, instance: Any) -> Iterator[SchemaError]:
        for err in self._validator.iter_errors(instance):
            kind = err.kind
            try:
                params = kind.as_dict()
            except Exception:  # noqa: BLE001 - kinds without parameters
                params = {}
            yield SchemaError(
                pointer=_pointer(list(err.instance_path)),
                keyword=str(getattr(kind, "name", "")),
                schema_location=str(err.absolute_keyword_location or _pointer(
                    list(err.schema_path))),
                message=str(err.message),
                params=params if isinstance(params, dict) else {},
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
        self._cache: dict[str, CompiledSchema] = {}
        self._lock = threading.Lock()

    def compile(self, schema: Located) -> CompiledSchema:
        """The validator for the schema at ``schema`` (its ``$ref``s resolve in the spec)."""
        ref = schema.ref
        hit = self._cache.get(ref)
        if hit is not None:
            return hit
        with self._lock:
            hit = self._cache.get(ref)
            if hit is None:
                hit = self._build(ref)
                self._cache[ref] = hit
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
