"""Where a spec's references lead, by the JSON Schema standard (the only importer of
``referencing``).

An OpenAPI 3.1 document is a resource whose Schema Objects are JSON Schema 2020-12
subresources: an ``$id`` inside one changes the base URI its references resolve against,
``$anchor`` / ``$dynamicAnchor`` names a location, and a relative reference is taken against
the base URI where it is written, not against the document root. The JSON Schema and OpenAPI
dialect meta-schemas are known locally; any other unknown URI is the caller's to provide.

``referencing`` (and attrs under it) is imported on first use: a spec whose references all
point inside its own document is resolved without it, so a one-body ``contracts validate``
never loads it.
"""

from __future__ import annotations

import json
import pkgutil
from collections.abc import Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin

from ._pointers import escape_pointer

if TYPE_CHECKING:
    from referencing import Registry, Resource, Specification

__all__ = [
    "DIALECTS",
    "Missing",
    "Pointless",
    "base_after",
    "registry_of",
    "resolve",
    "resource_of",
    "schema_objects",
]

JSON = Any
_STRUCTURE = frozenset({"paths", "components", "webhooks"})
_DATA = frozenset({"example", "examples"})

DIALECTS = ("oas-3.1-dialect-base.json", "oas-3.1-meta-base.json")
"""The OpenAPI 3.1 Schema Object dialect and its vocabulary, shipped in ``_meta``."""


class Missing(LookupError):
    """A reference names a resource the registry does not hold (``uri``: which one)."""

    def __init__(self, uri: str):
        super().__init__(uri)
        self.uri = uri


class Pointless(LookupError):
    """A reference names a held resource, but no location in it (a pointer or anchor)."""


def _is_document(contents: JSON) -> bool:
    return isinstance(contents, dict) and isinstance(contents.get("openapi"), str)


def schema_objects(document: JSON) -> Iterator[tuple[tuple[str | int, ...], JSON]]:
    """Every outermost Schema Object of an OpenAPI document, with its path of tokens:
    ``components/schemas/*`` and the ``schema`` of parameters, headers and media types."""
    stack: list[tuple[JSON, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        node, tokens = stack.pop()
        if isinstance(node, dict):
            for key, child in node.items():
                if key in _DATA or str(key).startswith("x-"):
                    continue
                at = (*tokens, key)
                if key == "schema" or tokens == ("components", "schemas"):
                    yield at, child
                else:
                    stack.append((child, at))
        elif isinstance(node, list):
            stack.extend((child, (*tokens, i)) for i, child in enumerate(node))


def _schema_depth(segments: list[str | int]) -> int | None:
    """How many leading tokens of a document pointer reach a Schema Object, if any do."""
    for k, token in enumerate(segments):
        if token in _DATA or str(token).startswith("x-"):
            return None
        if token == "schema" or (k == 2 and segments[:2] == ["components", "schemas"]):
            return k + 1
    return None


def _id_of(contents: JSON) -> str | None:
    from referencing.jsonschema import DRAFT202012

    return None if _is_document(contents) else DRAFT202012.id_of(contents)


def _subresources_of(contents: JSON) -> Iterable[JSON]:
    from referencing.jsonschema import DRAFT202012

    if _is_document(contents):
        return [schema for _tokens, schema in schema_objects(contents)]
    return DRAFT202012.subresources_of(contents)


def _anchors_in(_specification: Any, contents: JSON) -> Iterable[Any]:
    from referencing.jsonschema import DRAFT202012

    return [] if _is_document(contents) else DRAFT202012.anchors_in(contents)


def _maybe_in_subresource(segments: list[str | int], resolver: Any, subresource: Any) -> Any:
    from referencing.jsonschema import DRAFT202012

    schema = DRAFT202012.create_resource(subresource.contents)
    if segments and segments[0] in _STRUCTURE:  # a pointer from the document's root
        depth = _schema_depth(segments)
        if depth is None or depth > len(segments):
            return resolver
        if depth == len(segments):
            return resolver.in_subresource(schema)
        segments = segments[depth:]
    return DRAFT202012.maybe_in_subresource(segments=segments, resolver=resolver,
                                            subresource=schema)


@cache
def openapi_31() -> Specification[JSON]:
    """OpenAPI 3.1 documents as ``referencing`` resources; their Schema Objects are 2020-12."""
    from referencing import Specification

    return Specification(  # type: ignore[call-arg]
        name="openapi-3.1",
        id_of=_id_of,
        subresources_of=_subresources_of,
        anchors_in=_anchors_in,
        maybe_in_subresource=_maybe_in_subresource,
    )


def resource_of(contents: JSON) -> Resource[JSON]:
    """A document as a resource: an OpenAPI document, or a JSON Schema (2020-12 unless its
    ``$schema`` says otherwise)."""
    from referencing import Resource

    if _is_document(contents):
        return openapi_31().create_resource(contents)
    return Resource.from_contents(contents, default_specification=openapi_31())


@cache
def dialects() -> tuple[tuple[str, JSON], ...]:
    """The OpenAPI dialect meta-schemas, by their ``$id``."""
    out = []
    for name in DIALECTS:
        # pkgutil asks the package's loader (a wheel, a zip, a folder): importlib.resources
        # would also import tempfile, shutil and zipfile for the same two files.
        raw = pkgutil.get_data("contracts", f"_meta/{name}")
        if raw is None:  # pragma: no cover - a loader without get_data
            raise FileNotFoundError(f"contracts/_meta/{name}")
        data = json.loads(raw)
        out.append((str(data["$id"]), data))
    return tuple(out)


@cache
def _known() -> Registry[JSON]:
    from jsonschema_specifications import REGISTRY  # type: ignore[import-untyped]
    from referencing.jsonschema import DRAFT202012

    known: Registry[JSON] = REGISTRY
    return (known.with_resources((uri, DRAFT202012.create_resource(data))
                                    for uri, data in dialects())).crawl()


def registry_of(documents: Iterable[tuple[str, JSON]]) -> Registry[JSON]:
    """A crawled registry of the given documents plus the meta-schemas known locally."""
    return _known().with_resources(
        (uri, resource_of(data)) for uri, data in documents).crawl()


def resolve(registry: Registry[JSON], ref: str, base: str) -> tuple[JSON, str]:
    """The contents a reference written at base URI ``base`` leads to, and the base URI
    there. :class:`Missing` names an absent resource; :class:`Pointless` a bad fragment."""
    from referencing.exceptions import NoSuchAnchor, PointerToNowhere, Unresolvable

    try:
        resolved = registry.resolver(base_uri=base).lookup(ref)
    except (PointerToNowhere, NoSuchAnchor) as exc:
        raise Pointless(str(exc)) from None
    except Unresolvable:
        target = urldefrag(urljoin(base, ref) if not ref.startswith("#") else base)[0]
        if target in registry:
            raise Pointless(f"{ref} points at nothing") from None
        raise Missing(target) from None
    return resolved.contents, str(resolved.resolver._base_uri)


def base_after(base: str, node: JSON) -> str:
    """The base URI inside ``node`` (a schema): its ``$id`` taken against ``base``."""
    if isinstance(node, dict):
        ident = node.get("$id")
        if isinstance(ident, str):
            return urldefrag(urljoin(base, ident))[0]
    return base


_DATA_KEYS = frozenset({"example", "default", "const", "enum", "value"})
_REF_KEYWORDS = ("$ref", "$dynamicRef", "$schema")
"""Keywords naming another resource (a schema's ``$schema`` names its dialect's meta-schema,
which must be known locally or retrieved like any other reference)."""


def iter_refs_with_base(node: JSON, uri: str) -> Iterator[tuple[str, str, str]]:
    """Every ``$ref`` / ``$dynamicRef`` of a document with the pointer of the object holding
    it and the base URI it is written against (each enclosing ``$id`` applied, JSON Schema
    2020-12 §8.2.1). Example values, defaults, consts and enums are data, not references."""
    stack = [(node, "", False, uri)]
    while stack:
        value, where, names, base = stack.pop()
        if isinstance(value, dict):
            if not names:
                base = base_after(base, value)
                for keyword in _REF_KEYWORDS:
                    ref = value.get(keyword)
                    if isinstance(ref, str):
                        yield ref, where, base
            for key, child in value.items():
                if not isinstance(child, (dict, list)):
                    continue  # a scalar holds no reference (most members: names, texts, types)
                child_at = f"{where}/{escape_pointer(str(key))}"
                if names:
                    stack.append((child, child_at, False, base))
                elif key in _REF_KEYWORDS or key in _DATA_KEYS or str(key).startswith("x-"):
                    continue
                elif key == "examples":
                    if isinstance(child, dict):
                        for ex_name, ex in child.items():
                            if isinstance(ex, dict) and isinstance(ex.get("$ref"), str):
                                yield ex["$ref"], f"{child_at}/{escape_pointer(str(ex_name))}", \
                                    base
                else:
                    is_names = where == "/components" or key in (
                        "properties", "patternProperties", "$defs", "dependentSchemas",
                        "responses")  # a status may be called `default`
                    stack.append((child, child_at, is_names, base))
        elif isinstance(value, list):
            stack.extend((child, f"{where}/{i}", False, base) for i, child in enumerate(value)
                         if isinstance(child, (dict, list)))
