"""Members that were removed or added (parameters, security alternatives, fields), paired up
once every difference is seen: a removal and an addition that match each other and nothing
else are one rename (or move), not two changes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from .._pointers import escape_pointer
from ..findings import DriftChange
from .context import Context, FieldGroup, change
from .text import Tree, describe

__all__ = ["pending_changes", "unique_pairs"]


def pending_changes(ctx: Context) -> Iterator[DriftChange]:
    """What the collected removals and additions add up to, operation by operation."""
    for op_key, found in sorted(ctx.params.items()):
        yield from _parameters(ctx, op_key, found["removed"], found["added"])
    for op_key, alternatives in sorted(ctx.security.items()):
        yield from _security(ctx, op_key, alternatives["removed"], alternatives["added"])
    for group, members in sorted(ctx.fields.items()):
        yield from _fields(ctx, group, members["removed"], members["added"])


def unique_pairs(removed: Mapping[str, Tree], added: Mapping[str, Tree],
                 comparable: Callable[[str, str], bool],
                 same: Callable[[str, str], bool]) -> list[tuple[str, str]]:
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


# -- parameters -------------------------------------------------------------------------------
def _place(key: str) -> str:
    return key.split(":", 1)[0]


def _parameters(ctx: Context, op_key: str, removed: dict[str, Tree],
                added: dict[str, Tree]) -> Iterator[DriftChange]:
    old_names = {k: ctx.old_ops[op_key].params.get(k, k.split(":", 1)[1]) for k in removed}
    new_names = {k: ctx.new_ops[op_key].params.get(k, k.split(":", 1)[1]) for k in added}
    yield from _moved_parameters(ctx, op_key, removed, added, old_names, new_names)
    yield from _renamed_parameters(ctx, op_key, removed, added, old_names, new_names)
    for key, param in sorted(removed.items()):
        where = _place(key)
        yield change("request.parameter.removed", ctx.where(op_key, f"request.{where}"),
                     f"/{escape_pointer(old_names[key])}", describe(param["schema"]), "",
                     f"{where} parameter {old_names[key]} is no longer documented")
    for key, param in sorted(added.items()):
        where = _place(key)
        required = param["required"]
        yield change(
            "request.parameter.added.required" if required else "request.parameter.added",
            ctx.where(op_key, f"request.{where}"), f"/{escape_pointer(new_names[key])}",
            "", describe(param["schema"]),
            f"new {'required' if required else 'optional'} {where} parameter {new_names[key]}")


def _moved_parameters(ctx: Context, op_key: str, removed: dict[str, Tree],
                      added: dict[str, Tree], old_names: dict[str, str],
                      new_names: dict[str, str]) -> Iterator[DriftChange]:
    """Same name, another place (query, header, cookie): moved. Pairs leave both dicts."""
    for old_key in sorted(removed):
        where_old = _place(old_key)
        for new_key in sorted(added):
            where_new = _place(new_key)
            if new_names[new_key] == old_names[old_key] and where_new != where_old \
                    and "path" not in (where_old, where_new):
                yield change(
                    "request.parameter.moved", ctx.where(op_key, f"request.{where_new}"),
                    f"/{escape_pointer(new_names[new_key])}", where_old, where_new,
                    f"parameter {new_names[new_key]} moved from {where_old} to {where_new}")
                del removed[old_key], added[new_key]
                break


def _renamed_parameters(ctx: Context, op_key: str, removed: dict[str, Tree],
                        added: dict[str, Tree], old_names: dict[str, str],
                        new_names: dict[str, str]) -> Iterator[DriftChange]:
    """Same place and schema, another name: renamed. Pairs leave both dicts."""
    for old_key, new_key in unique_pairs(
            removed, added, lambda o, n: o.split(":")[0] == n.split(":")[0],
            lambda o, n: bool(removed[o]["schema"] == added[n]["schema"])):
        where = _place(old_key)
        yield change(
            "request.parameter.renamed", ctx.where(op_key, f"request.{where}"),
            f"/{escape_pointer(old_names[old_key])}", old_names[old_key], new_names[new_key],
            f"{where} parameter {old_names[old_key]} was renamed to {new_names[new_key]}")
        del removed[old_key], added[new_key]


# -- security ---------------------------------------------------------------------------------
def _security(ctx: Context, op_key: str, removed: list[str],
              added: list[str]) -> Iterator[DriftChange]:
    where = ctx.where(op_key, "security")
    if "none" in added and removed:  # calling without credentials is accepted: no break
        old = " | ".join(sorted(removed))
        yield change("security.auth.removed", where, "", old, "none",
                     f"calling without credentials is now accepted (was {old})")
        return
    if removed and added:
        old, new = " | ".join(sorted(removed)), " | ".join(sorted(added))
        yield change("security.changed", where, "", old, new,
                     f"authentication changed from {old} to {new}")
        return
    for alternative in sorted(removed):
        yield change("security.requirement.removed", where, "", alternative, "",
                     f"authenticating with {alternative} is no longer accepted")
    for alternative in sorted(added):
        yield change("security.requirement.added", where, "", "", alternative,
                     f"authenticating with {alternative} is now accepted")


# -- schema fields ----------------------------------------------------------------------------
def _fields(ctx: Context, group: FieldGroup, removed: dict[str, Tree],
            added: dict[str, Tree]) -> Iterator[DriftChange]:
    _op, _location, pointer, side = group
    where = ctx.where_of[group]
    for old_name, new_name in unique_pairs(
            removed, added, lambda o, n: True,
            lambda o, n: bool(removed[o]["schema"] == added[n]["schema"])):
        yield change(f"{side}.field.renamed", where, f"{pointer}/{escape_pointer(old_name)}",
                     old_name, new_name,
                     f"{side} field {pointer}/{old_name} was renamed to {new_name}")
        del removed[old_name], added[new_name]
    for name, prop in sorted(removed.items()):
        field_pointer = f"{pointer}/{escape_pointer(name)}"
        yield change(f"{side}.field.removed", where, field_pointer, describe(prop["schema"]),
                     "", f"{side} field {field_pointer} was removed")
    for name, prop in sorted(added.items()):
        field_pointer = f"{pointer}/{escape_pointer(name)}"
        rule = f"{side}.field.added"
        if side == "request" and prop["required"]:
            rule += ".required"
        kind = "required " if prop["required"] else ""
        yield change(rule, where, field_pointer, "", describe(prop["schema"]),
                     f"new {kind}{side} field {field_pointer}")
