"""Schema checks a vendor's rules make anyway, left out of the engine's walk.

A long Upheal transcript has thousands of words. The engine checks each utterance and word
against ``Utterance`` and ``Word``, and then the timing rules read every word's times again.
A vendor module may declare a :class:`~contracts.invariants.Voucher` for an (operation,
status): a keyword of one schema object (Upheal's: ``items`` of
``Transcript.properties.utterances``) that its own pass proves for every instance the
keyword applies to. The response is then judged by a validator compiled without that
keyword plus the voucher, and by the full validator whenever the voucher cannot vouch.

That is sound only where the schema object applies at exactly the instance path the voucher
walks, through keywords that never turn a weaker subschema into a stricter whole. So
:func:`vouched_check` first walks the response schema (:func:`applies_only_at`) and declines,
leaving the full validator alone in charge, on anything else: a second place, a wildcard
(``additionalProperties``, ``prefixItems`` ...), ``not``/``oneOf``/``if`` above it,
``unevaluated*`` anywhere, a recursion, ``$id`` or ``$dynamicRef``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._pointers import escape_pointer
from ._spec_records import Located
from .errors import UncompilableSchema, UnresolvableRef
from .invariants import voucher_for

__all__ = ["VouchedCheck", "applies_only_at", "bare", "vouched_check"]

VouchedCheck = Callable[[Any, dict[str, Any]], bool]
"""``check(value, scratch)``: whether ``value`` is valid against the full schema; the
voucher leaves what it read in ``scratch`` for the rules."""

# Subschemas applied to the same instance, where a weaker subschema makes a weaker whole.
_SAME = ("allOf", "anyOf", "then", "else")
# Subschemas applied to instances (or in ways) the walk does not follow: the target must not
# be below them (``items`` as a list: the tuple form of older drafts).
_OPAQUE = ("items", "additionalProperties", "patternProperties", "propertyNames",
           "dependentSchemas", "contains", "prefixItems", "additionalItems", "not", "oneOf", "if")
_REFUSE = ("unevaluatedItems", "unevaluatedProperties", "$dynamicRef", "$recursiveRef", "$id")
_MAX_DEPTH = 64


class _Unsure(Exception):
    pass


class _Walk:
    """:func:`applies_only_at`'s walk: the instance paths where ``goal`` was met."""

    def __init__(self, spec: Any, goal: tuple[str, str]) -> None:
        self.spec, self.goal, self.found = spec, goal, set[str]()

    def schema(self, node: Located, path: str, stack: frozenset[tuple[str, str]],
               opaque: bool) -> None:
        here = (node.uri, node.pointer)
        if here == self.goal:
            if opaque:
                raise _Unsure
            self.found.add(path)
            return
        value = node.value
        if not isinstance(value, dict):
            return
        if here in stack or len(stack) > _MAX_DEPTH or any(k in value for k in _REFUSE):
            raise _Unsure
        stack = stack | {here}
        ref = value.get("$ref")
        if isinstance(ref, str):
            self.schema(self.spec.resolve(Located({"$ref": ref}, node.uri, node.pointer)), path,
                        stack, opaque)
        for keyword in _SAME:
            for child in _subschemas(node, keyword):
                self.schema(child, path, stack, opaque)
        props = value.get("properties")
        for name in props if isinstance(props, dict) else ():
            self.schema(node.child("properties", name), f"{path}/{escape_pointer(name)}", stack,
                        opaque)
        items = isinstance(value.get("items"), dict)
        if items:
            self.schema(node.child("items"), f"{path}/*", stack, opaque)
        for keyword in _OPAQUE[items:]:  # items as one schema walked just above
            for child in _subschemas(node, keyword):
                self.schema(child, "?", stack, True)


def _subschemas(node: Located, keyword: str) -> list[Located]:
    """The subschemas under ``keyword`` of the schema object at ``node``: one, a list's items,
    or a map's values (``patternProperties``, ``dependentSchemas``)."""
    sub = node.value.get(keyword)
    if isinstance(sub, list):
        return [node.child(keyword, i) for i in range(len(sub))]
    if isinstance(sub, dict) and keyword in ("patternProperties", "dependentSchemas"):
        return [node.child(keyword, name) for name in sub]
    return [node.child(keyword)] if sub is not None else []


def applies_only_at(spec: Any, root: Located, target: Located, at: str) -> bool:
    """Whether, validating an instance against the schema at ``root``, the schema object at
    ``target`` applies only at the instance path ``at`` (JSON pointer tokens, ``*`` for every
    array item), through ``$ref``, ``properties``, ``items``, ``allOf``, ``anyOf``, ``then`` and
    ``else`` only. False when unsure."""
    walk = _Walk(spec, (target.uri, target.pointer))
    try:
        walk.schema(root, "", frozenset(), False)
    except (_Unsure, UnresolvableRef, RecursionError):
        return False
    return walk.found == {at}


_ANNOTATIONS = frozenset({"description", "title", "examples", "example", "$comment",
                          "deprecated", "externalDocs"})


def bare(spec: Any, node: Located, depth: int = 0) -> Any:
    """The schema at ``node`` written out: ``$ref``-only objects followed, annotations and
    ``x-`` extensions left out (what a voucher's ``schema`` is compared with)."""
    if depth > _MAX_DEPTH:
        raise _Unsure
    value = node.value
    if isinstance(value, dict):
        if set(value) == {"$ref"}:
            return bare(spec, spec.resolve(node), depth + 1)
        return {key: child if key in ("enum", "const", "default") else
                bare(spec, node.child(key), depth + 1)
                for key, child in value.items()
                if key not in _ANNOTATIONS and not str(key).startswith("x-")}
    if isinstance(value, list):
        return [bare(spec, node.child(i), depth + 1) for i in range(len(value))]
    return value


def vouched_check(spec: Any, schemas: Any, root: Located, full: Any, operation: Any,
                  status: int) -> VouchedCheck | None:
    """The check of ``operation``'s ``status`` response body, whose schema is at ``root``
    and compiled as ``full``, with the vendor's :class:`~contracts.invariants.Voucher` (if it
    declares one) in place of one keyword; None when there is none, or it cannot be used
    soundly (see the module's docstring), or the schema does not compile without it.

    The reduced validator accepts whatever the full one accepts, so a body it refuses is
    invalid; a body it accepts is valid when the voucher vouches, and otherwise judged by
    ``full``."""
    voucher = voucher_for(spec.name, operation.operation_id, status)
    if voucher is None:
        return None
    try:
        target = spec.locate(spec.uri, voucher.node)
        if not isinstance(target.value, dict) or voucher.keyword not in target.value \
                or bare(spec, target.child(voucher.keyword)) != voucher.schema:
            return None
    except (UnresolvableRef, _Unsure):
        return None
    if not applies_only_at(spec, root, target, voucher.at):
        return None
    try:
        reduced = schemas.compile_without(root, "response", voucher.node, voucher.keyword).valid
    except (UnresolvableRef, UncompilableSchema):
        return None
    vouch, valid = voucher.vouch, full.valid

    def check(value: Any, scratch: dict[str, Any]) -> bool:
        if not reduced(value):
            return False
        return vouch(value, scratch) or valid(value)

    return check
