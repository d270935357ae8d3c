"""Schema changes: walk down to the schema that changed, then grade the keyword by a rule
function looked up in a table (keyword and how deep the difference goes -> rule)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from .._pointers import escape_pointer
from ..findings import DriftChange
from .adapter import Node
from .context import Context, Where, change
from .normalise import SINGLE_SUBSCHEMAS, WEBHOOK
from .rules import CONSTRAINTS, MAX_LEVELS, MIN_LEVELS
from .text import Tree, as_json, constraint_text, describe, flag, short

__all__ = ["schema_changes"]


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """One difference inside a schema: the keyword, what lies below it (``tail``), both
    schemas that hold it, and where a client meets the value."""

    node: Node
    side: str  # "request" | "response"
    where: Where
    pointer: str  # into the instance
    variant: str  # " (in oneOf variant X)" or ""
    keyword: str
    tail: tuple[str, ...]
    old: Tree
    new: Tree
    origin: tuple[str, str] | None = None  # (component, pointer where it starts)

    @property
    def place(self) -> str:
        return f"{self.pointer or '/'}{self.variant}"


SchemaRule = Callable[[Context, SchemaChange], Iterator[DriftChange]]


def schema_changes(ctx: Context, node: Node, rest: tuple[str, ...], side: str, where: Where,
                   pointer: str, root: tuple[str, ...]) -> Iterator[DriftChange]:
    """The changes of ``node``, a difference at ``root + rest`` where ``root`` is a schema."""
    if is_webhook(root):  # the consumer receives a webhook's body and answers it
        side = INVERTED[side]
    d = _Descent(_get(ctx.old, root), _get(ctx.new, root), pointer)
    i = d.walk(rest)
    keyword, tail = (rest[i], rest[i + 1:]) if i < len(rest) else ("", ())
    c = SchemaChange(node, side, replace(where, origin=d.origin), d.pointer, d.variant,
                     keyword, tail, d.old, d.new, d.origin)
    rule = _KEYWORDS.get((keyword, len(tail))) or _KEYWORDS.get((keyword, None))
    yield from (rule or _schema_changed)(ctx, c)


INVERTED = {"request": "response", "response": "request"}


def is_webhook(path: tuple[str, ...]) -> bool:
    return len(path) > 1 and path[1].startswith(WEBHOOK + " ")


class _Descent:
    """Follows subschemas down a key path, tracking the pointer into the instance, the
    variant or condition it lies in, and the innermost shared component both sides use."""

    def __init__(self, old: Tree, new: Tree, pointer: str):
        self.old, self.new, self.pointer = old, new, pointer
        self.variant = ""
        self.origin: tuple[str, str] | None = None
        self._note_origin()

    def _note_origin(self) -> None:
        name = self.old.get("$from") if isinstance(self.old, dict) else None
        if name is not None and isinstance(self.new, dict) and self.new.get("$from") == name:
            self.origin = (str(name), self.pointer)

    def _step(self, *keys: str) -> None:
        for key in keys:
            self.old, self.new = self.old[key], self.new[key]

    def walk(self, rest: tuple[str, ...]) -> int:
        """Descend as far as ``rest`` goes through subschemas; the index of the keyword
        that changed."""
        i = 0
        while i < len(rest):
            key = rest[i]
            if key == "properties" and i + 2 < len(rest) and rest[i + 2] == "schema":
                self._step(key, rest[i + 1], "schema")
                self.pointer += f"/{escape_pointer(rest[i + 1])}"
                i += 3
            elif key in _STEPS and i + 1 < len(rest):
                self._step(key)
                self.pointer += _STEPS[key]
                if key in _CONDITIONS:
                    self.variant = f" (in {key})"
                i += 1
            elif key in _KEYED_STEPS and i + 2 < len(rest):
                self._step(key, rest[i + 1])
                self._keyed(key, rest[i + 1])
                i += 2
            else:
                break
            self._note_origin()
        return i

    def _keyed(self, key: str, name: str) -> None:
        if key == "prefixItems":
            self.pointer += f"/{name}"
        elif key == "patternProperties":
            self.pointer += f"/{{{name}}}"
        elif key == "dependentSchemas":
            self.variant = f" (when {name} is present)"
        else:
            self.variant = f" (in {key} variant {name})"


# Subschemas of one instance value, and what they add to the pointer into the instance.
_STEPS = {"items": "/[]", "values": "/{*}", "not": "", "then": "", "else": "",
          "contains": "/[]", "unevaluatedItems": "/[]", "unevaluatedProperties": "/{*}",
          "propertyNames": "/{name}", "contentSchema": ""}
_CONDITIONS = frozenset({"then", "else", "contentSchema"})
_KEYED_STEPS = frozenset({"oneOf", "anyOf", "prefixItems", "patternProperties",
                          "dependentSchemas"})


def _get(tree: Tree, path: tuple[str, ...]) -> Tree:
    node: Any = tree
    for key in path:
        node = node[key]
    return node  # type: ignore[no-any-return]


# -- properties: collected, then paired (renames) once every difference is seen ---------------
def _collect(ctx: Context, c: SchemaChange, members: dict[str, Tree]) -> None:
    group = (c.where.operation, c.where.location, c.pointer, c.side)
    found = ctx.fields.setdefault(group, {"removed": {}, "added": {}})
    found[c.node.kind].update(members)
    ctx.where_of[group] = c.where


def _properties(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    props = c.node.old if c.node.kind == "removed" else c.node.new
    _collect(ctx, c, dict((props or {}).items()))
    yield from ()


def _property(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    _collect(ctx, c, {c.tail[0]: c.node.old if c.node.kind == "removed" else c.node.new})
    yield from ()


def _property_part(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    if c.tail[1] != "required":
        yield from _schema_changed(ctx, c)
        return
    node, side = c.node, c.side
    field_pointer = f"{c.pointer}/{escape_pointer(c.tail[0])}"
    rule = f"{side}.field.required.{'added' if node.new else 'removed'}"
    if node.new:
        what = "now required" if side == "request" else "now always present"
    else:
        what = "now optional" if side == "request" else "now optional (may be absent)"
    yield change(rule, c.where, field_pointer, flag(node.old, "required"),
                 flag(node.new, "required"), f"{side} field {field_pointer}{c.variant} is {what}")


# -- values -----------------------------------------------------------------------------------
def _types(value: str | None) -> set[str] | None:
    return None if value is None else set(value.split("|"))


def _covers(wide: set[str], narrow: set[str]) -> bool:
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _type(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    side, old, new = c.side, c.old.get("type"), c.new.get("type")
    old_set, new_set = _types(old), _types(new)
    if old_set is not None and new_set is not None:
        old_null, new_null = "null" in old_set, "null" in new_set
        if old_null != new_null:
            yield change(f"{side}.nullable.{'added' if new_null else 'removed'}", c.where,
                         c.pointer, old or "", new or "",
                         f"{side} value {c.place} "
                         f"{'may now be null' if new_null else 'may no longer be null'}")
        old_set, new_set = old_set - {"null"}, new_set - {"null"}
        if old_set == new_set or not (old_set and new_set):
            return
    # None means any type: from "any" to some types narrows, and the reverse widens.
    if side == "request":
        widened = new_set is None or (old_set is not None and _covers(new_set, old_set))
        rule = "request.type.widened" if widened else "request.type.changed"
    else:
        narrowed = old_set is None or (new_set is not None and _covers(old_set, new_set))
        rule = "response.type.narrowed" if narrowed else "response.type.changed"
    yield change(rule, c.where, c.pointer, old or "any", new or "any",
                 f"{side} value {c.place} type changed from {old or 'any'} to {new or 'any'}")


def _format(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    old, new = c.old.get("format", "none"), c.new.get("format", "none")
    yield change(f"{c.side}.format.changed", c.where, c.pointer, str(old), str(new),
                 f"{c.side} value {c.place} format changed from {old} to {new}")


def _enum_value(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    value, side = c.tail[0], c.side
    if c.node.kind == "added":
        yield change(f"{side}.enum.value.added", c.where, c.pointer, "", value,
                     f"{side} value {c.place} has a new enum value {value}")
    elif c.node.kind == "removed":
        yield change(f"{side}.enum.value.removed", c.where, c.pointer, value, "",
                     f"{side} value {c.place} lost enum value {value}")


def _tighter(keyword: str, before: Any, after: Any) -> bool:
    if keyword in MAX_LEVELS or keyword in MIN_LEVELS:
        if before is None or after is None:
            return after is not None
        try:
            return bool(after < before) if keyword in MAX_LEVELS else bool(after > before)
        except TypeError:
            return True
    if keyword == "uniqueItems":
        return after is True
    if keyword == "additionalProperties":
        return after is False
    return after is not None  # pattern, multipleOf, a whole enum, items, variants


def _constraint(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    keyword = c.keyword
    before, after = c.old.get(keyword), c.new.get(keyword)
    rule = f"{c.side}.constraint.{'tightened' if _tighter(keyword, before, after) else 'relaxed'}"
    text_old = "none" if before is None else constraint_text(keyword, before)
    text_new = "none" if after is None else constraint_text(keyword, after)
    yield change(rule, c.where, c.pointer, f"{keyword} {text_old}", f"{keyword} {text_new}",
                 f"{c.side} value {c.place} {keyword} changed from {text_old} to {text_new}")


def _variant(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    name, side, node = c.tail[0], c.side, c.node
    if node.kind == "added":
        yield change(f"{side}.variant.added", c.where, c.pointer, "",
                     f"{name}: {describe(node.new)}",
                     f"{side} value {c.place} has a new {c.keyword} variant {name}")
    else:
        yield change(f"{side}.variant.removed", c.where, c.pointer,
                     f"{name}: {describe(node.old)}", "",
                     f"{side} value {c.place} lost {c.keyword} variant {name}")


def _default(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    old = short(str(c.old.get("default", "none")), 40)
    new = short(str(c.new.get("default", "none")), 40)
    yield change(f"{c.side}.default.changed", c.where, c.pointer, old, new,
                 f"{c.side} value {c.place} default changed from {old} to {new}")


def _deprecated(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    if c.node.new is True:
        yield change(f"{c.side}.field.deprecated", c.where, c.pointer, "", "deprecated",
                     f"{c.side} field {c.place} is deprecated")


def _presence(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    """A subschema or dependency added (stricter) or removed (looser)."""
    node = c.node
    if node.kind == "changed":
        yield from _schema_changed(ctx, c)
        return
    what = "/".join((c.keyword, *c.tail))
    rule = f"{c.side}.constraint.{'tightened' if node.kind == 'added' else 'relaxed'}"
    value = node.new if node.kind == "added" else node.old
    text = describe(value) if isinstance(value, dict) else short(str(value), 40)
    yield change(rule, c.where, c.pointer, "" if node.kind == "added" else f"{what}: {text}",
                 f"{what}: {text}" if node.kind == "added" else "",
                 f"{c.side} value {c.place} {node.kind} {what}")


def _extensible_value(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    value, side, kind = c.tail[0], c.side, c.node.kind
    if kind in ("added", "removed"):
        yield change(f"{side}.extensible_enum.value.{kind}", c.where, c.pointer,
                     value if kind == "removed" else "", value if kind == "added" else "",
                     f"{side} value {c.place} x-extensible-enum {kind} {value}")


def _encoding(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    old, new = c.old.get(c.keyword, "none"), c.new.get(c.keyword, "none")
    yield change(f"{c.side}.encoding.changed", c.where, c.pointer, f"{c.keyword} {old}",
                 f"{c.keyword} {new}",
                 f"{c.side} value {c.place} {c.keyword} changed from {old} to {new}")


def _discriminator(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    old, new = c.old.get("discriminator"), c.new.get("discriminator")
    yield change(f"{c.side}.discriminator.changed", c.where, c.pointer,
                 short(as_json(old), 40) if old else "", short(as_json(new), 40) if new else "",
                 f"{c.side} value {c.place} discriminator "
                 f"{'/'.join((c.keyword, *c.tail))} {c.node.kind}")


def _ignored(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    yield from ()


def _schema_changed(ctx: Context, c: SchemaChange) -> Iterator[DriftChange]:
    """Any other change: named by its keyword path and kind."""
    node = c.node
    yield change(f"{c.side}.schema.changed", c.where, c.pointer,
                 short(as_json(node.old), 40) if node.kind != "added" else "",
                 short(as_json(node.new), 40) if node.kind != "removed" else "",
                 f"{c.side} schema at {c.place} changed "
                 f"({'/'.join((c.keyword, *c.tail)) or 'schema'} {node.kind})")


# (keyword, how many keys below it the difference lies) -> rule; None: at any depth. A
# keyword and depth not listed is graded by _schema_changed.
_KEYWORDS: dict[tuple[str, int | None], SchemaRule] = {
    ("properties", 0): _properties,
    ("properties", 1): _property,
    ("properties", 2): _property_part,
    ("type", 0): _type,
    ("format", 0): _format,
    ("enum", 1): _enum_value,
    **{(keyword, None): _constraint for keyword in CONSTRAINTS},
    **{(keyword, 0): _constraint for keyword in ("enum", "items", "values", "oneOf", "anyOf",
                                                 "prefixItems")},
    ("oneOf", 1): _variant,
    ("anyOf", 1): _variant,
    ("default", 0): _default,
    ("deprecated", 0): _deprecated,
    **{(keyword, 0): _presence for keyword in SINGLE_SUBSCHEMAS
       if keyword not in ("items", "not")},
    ("if", None): _schema_changed,  # inside a condition: either way, graded as a change
    **{(keyword, depth): _presence for keyword in ("patternProperties", "dependentSchemas")
       for depth in (0, 1)},
    **{("dependentRequired", depth): _presence for depth in (0, 1, 2)},
    ("x-extensible-enum", 0): _presence,
    ("x-extensible-enum", 1): _extensible_value,
    ("contentMediaType", 0): _encoding,
    ("contentEncoding", 0): _encoding,
    ("discriminator", None): _discriminator,
    ("$from", None): _ignored,
}
