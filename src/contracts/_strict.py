"""Strict mode compiled: which fields of a body the spec does not document.

A field counts as documented when any ``allOf``/``anyOf``/``oneOf`` alternative of the schema
at its parent declares it; an object schema with ``additionalProperties: true`` or
``patternProperties`` (a free-form map) documents every key. The spec is walked once per
schema location into a graph of :class:`Shape` nodes; checking a body then touches only the
body, and a first pass with C-level set checks (``frozenset.issuperset`` over a list of word
dicts) proves a clean body without building a single pointer. Only a body with undocumented
fields is walked again, exactly, to name them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ._pointers import escape_pointer

if TYPE_CHECKING:
    from .specs import Located, Spec

__all__ = ["Shape", "Shapes", "clean_of", "undocumented_in"]


class Shape:
    """What strict mode knows of one schema location (its ``allOf``/``anyOf``/``oneOf``
    members and ``$ref`` targets flattened in): documented names and the shapes of children."""

    __slots__ = ("checks", "deep", "deep_extra", "extra", "flat", "free", "items", "names",
                 "props", "trivial")

    def __init__(self) -> None:
        self.names: frozenset[str] = frozenset()
        self.props: dict[str, tuple[Shape, ...]] = {}
        """Every documented name with the shapes of its value (trivial ones included: the
        exact walk needs the name, not the shape)."""
        self.extra: tuple[Shape, ...] = ()
        self.free = False
        self.checks = False  # an object value is checked at all (props or extra)
        self.items: tuple[Shape, ...] = ()
        self.trivial = True  # can never report anything
        self.flat = False  # reports only on this object's own keys (no deeper shapes)
        self.deep: tuple[tuple[str, tuple[Shape, ...]], ...] = ()
        """The names whose value has a shape that can report (what the clean pass visits)."""
        self.deep_extra: tuple[Shape, ...] = ()


class Shapes:
    """The strict-mode shapes of one spec, built once per schema location, on first use."""

    def __init__(self, spec: Spec):
        self._spec = spec
        self._cache: dict[tuple[str, str], Shape] = {}
        self._lock = threading.Lock()

    def root(self, node: Located) -> Shape:
        """The shape of a body's schema, its whole graph built (and finished) on first use."""
        shape = self._cache.get((node.uri, node.pointer))
        if shape is not None:
            return shape
        with self._lock:
            before = len(self._cache)
            shape = self.of(node)
            if len(self._cache) != before:
                self._finish()
        return shape

    def of(self, node: Located) -> Shape:
        key = (node.uri, node.pointer)
        shape = self._cache.get(key)
        if shape is not None:
            return shape
        shape = self._cache[key] = Shape()
        parts = [p for p in self._spec.flatten(node) if isinstance(p.value, dict)]
        props: dict[str, list[Located]] = {}
        extra: list[Located] = []
        items: list[Located] = []
        for part in parts:
            for name in part.value.get("properties") or {}:
                props.setdefault(name, []).append(part.child("properties", name))
            additional = part.value.get("additionalProperties")
            if isinstance(additional, dict):
                extra.append(part.child("additionalProperties"))
            elif additional is True or "patternProperties" in part.value:
                shape.free = True
            if "items" in part.value:
                items.append(part.child("items"))
        shape.checks = bool(props or extra)
        shape.names = frozenset(props)
        # Known before recursing, so a recursive schema sees its own triviality.
        shape.trivial = not shape.checks and not items
        shape.props = {name: tuple(self.of(n) for n in nodes) for name, nodes in props.items()}
        shape.extra = tuple(self.of(n) for n in extra)
        shape.items = tuple(self.of(n) for n in items)
        return shape

    def _finish(self) -> None:
        """Mark the trivial and flat shapes (after a graph is complete: both look at
        children). A shape that checks no keys is trivial when every item shape is: an array
        of free-form values (or of arrays of them) can never report, so the clean pass does
        not walk it."""
        shapes = list(self._cache.values())
        candidates = {id(s) for s in shapes if not s.checks}
        changed = True
        while changed:  # the greatest fixpoint: a recursive array of arrays stays trivial
            changed = False
            for shape in shapes:
                if id(shape) in candidates and any(id(i) not in candidates
                                                   for i in shape.items):
                    candidates.discard(id(shape))
                    changed = True
        for shape in shapes:
            shape.trivial = id(shape) in candidates
        for shape in shapes:
            shape.deep = tuple((name, deep) for name, subs in shape.props.items()
                               if (deep := tuple(s for s in subs if not s.trivial)))
            shape.deep_extra = tuple(s for s in shape.extra if not s.trivial)
            shape.flat = shape.checks and not shape.items and not shape.deep \
                and not shape.deep_extra


def clean_of(value: Any, shape: Shape) -> bool:
    """True when strict mode has nothing to report (no pointers built, no set of seen
    locations: the exact walk :func:`undocumented_in` runs only when this says False)."""
    if isinstance(value, dict):
        if not shape.checks:
            return True
        if not (shape.extra or shape.free or shape.names.issuperset(value)):
            return False
        if shape.flat:
            return True
        if shape.deep_extra:  # every key may lead somewhere: visit them all
            return _every_key_clean(value, shape)
        for name, subs in shape.deep:
            if name in value:
                child = value[name]
                if isinstance(child, dict | list):
                    for sub in subs:
                        if not clean_of(child, sub):
                            return False
        return True
    if isinstance(value, list):
        for sub in shape.items:
            if not (sub.trivial or _items_clean(value, sub)):
                return False
    return True


def _every_key_clean(value: dict[str, Any], shape: Shape) -> bool:
    props, extra = shape.props, shape.extra
    for name, child in value.items():
        for sub in props.get(name) or extra:
            if not sub.trivial and not clean_of(child, sub):
                return False
    return True


def _items_clean(value: list[Any], sub: Shape) -> bool:
    if sub.flat and not (sub.extra or sub.free):
        try:  # C-level: every dict's keys among the names (strings pass: no keys)
            if all(map(sub.names.issuperset, value)):
                return True
        except TypeError:
            pass
    for item in value:  # noqa: SIM110 - a loop, not all() over a generator: no frame per item
        if not clean_of(item, sub):
            return False
    return True


def undocumented_in(value: Any, shape: Shape, pointer: str,
                 seen: set[tuple[int, str]]) -> Iterator[tuple[str, str, Any]]:
    """(pointer, name, value) of every undocumented field, in the body's order."""
    key = (id(shape), pointer)
    if key in seen:
        return
    seen.add(key)
    if isinstance(value, dict):
        if not shape.checks:
            return
        props, extra, free = shape.props, shape.extra, shape.free
        for name, child in value.items():
            subs = props.get(name) or extra
            if subs:
                if isinstance(child, dict | list):  # a scalar has no fields: no visit
                    child_pointer = f"{pointer}/{escape_pointer(name)}"
                    for sub in subs:
                        yield from undocumented_in(child, sub, child_pointer, seen)
            elif not free:
                yield f"{pointer}/{escape_pointer(name)}", name, child
    elif isinstance(value, list):
        for sub in shape.items:
            for i, item in enumerate(value):
                if isinstance(item, dict | list):
                    yield from undocumented_in(item, sub, f"{pointer}/{i}", seen)

