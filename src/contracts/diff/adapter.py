"""The deepdiff adapter: the only importer of deepdiff, and where its errors become ours.

deepdiff is imported inside the functions, so that importing ``contracts`` stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ContractsError
from .text import JSON, Tree

__all__ = ["BodyChange", "Node", "body_changes", "prune", "tree_changes"]

# deepdiff's report names for a normalised spec tree (dicts only) and what each one means.
_TREE_KINDS = {"dictionary_item_added": "added", "dictionary_item_removed": "removed",
               "values_changed": "changed", "type_changes": "changed"}

BodyChange = tuple[str, tuple[Any, ...], Any, Any]  # (deepdiff report, path, old, new)


@dataclass(frozen=True, slots=True)
class Node:
    """One difference deepdiff found: where (a key path) and the values on each side."""

    path: tuple[str, ...]
    kind: str  # "added" | "removed" | "changed"
    old: JSON
    new: JSON


def tree_changes(old: Tree, new: Tree) -> list[Node]:
    """The differences between two normalised spec trees as plain :class:`Node` records,
    sorted by path."""
    from deepdiff import DeepDiff

    aliases: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    old, new = prune(old, new, aliases=aliases)
    try:
        # threshold_to_diff_deeper=0: a dict whose keys all changed is still reported key by
        # key (the classification is per key), never as one replaced value.
        result = DeepDiff(old, new, view="tree", ignore_numeric_type_changes=True,
                          threshold_to_diff_deeper=0, cache_size=0, verbose_level=2)
        nodes = []
        for report, levels in result.items():
            kind = _TREE_KINDS.get(report)
            if kind is None:
                raise ValueError(f"unexpected deepdiff report {report!r}")
            for level in levels:
                path = tuple(part for p in level.path(output_format="list")
                             for part in str(p).split(_SEP))
                nodes.append(Node(path, kind, None if kind == "added" else level.t1,
                                  None if kind == "removed" else level.t2))
    except Exception as exc:  # one boundary: nothing of deepdiff's escapes
        raise ContractsError(f"could not compare the specs ({type(exc).__name__}: {exc})",
                             hint="please report this with both specs") from exc
    return sorted(_expand(nodes, aliases), key=lambda n: (n.path, n.kind))


Alias = tuple[tuple[str, ...], tuple[str, ...]]  # (a place, the place it repeats)


def prune(old: Tree, new: Tree, path: tuple[str, ...] = (),
          aliases: list[Alias] | None = None,
          seen: dict[tuple[int, int], tuple[str, ...]] | None = None) -> tuple[Tree, Tree]:
    """Both trees without the branches they share (deepdiff walks only what differs).

    A normalised spec shares one tree per ``$ref`` target between every place that uses it:
    with ``aliases``, a pair of subtrees already met elsewhere is left out too and recorded
    as ``(place, first place)``, so deepdiff compares each shared pair once and
    :func:`_expand` repeats its differences at every place."""
    seen = {} if seen is None else seen
    old_out, new_out = {}, {}
    for key in old.keys() | new.keys():
        if key in old and key in new:
            a, b = old[key], new[key]
            if a is b or (a == b and type(a) is type(b)):
                continue
            if isinstance(a, dict) and isinstance(b, dict):
                here = (*path, key)
                if aliases is not None:
                    first = seen.setdefault((id(a), id(b)), here)
                    if first != here:
                        aliases.append((here, first))
                        continue
                a, b = prune(a, b, here, aliases, seen)
                if not a and not b:  # every difference below is a repeat (aliased)
                    continue
                if _chain(a, b):  # one key on both sides: one key joined, one level less
                    (inner,) = a
                    key, a, b = f"{key}{_SEP}{inner}", a[inner], b[inner]
            old_out[key], new_out[key] = a, b
        elif key in old:
            old_out[key] = old[key]
        else:
            new_out[key] = new[key]
    return old_out, new_out


# Joins the keys of a chain of one-key dicts, so that deepdiff walks one level for the chain
# (a normalised spec is mostly such chains once pruned: operation, responses, status, ...).
_SEP = "\x1f"


def _chain(a: Any, b: Any) -> bool:
    if not (isinstance(a, dict) and isinstance(b, dict) and len(a) == 1 and a.keys() == b.keys()):
        return False
    (inner,) = a
    return isinstance(a[inner], dict) and isinstance(b[inner], dict) and _SEP not in inner


def _expand(nodes: list[Node], aliases: list[Alias]) -> list[Node]:
    """The differences found once under a first place, repeated at each place that shares
    it (aliases in the order they were met: a place's own repeats are filled in first)."""
    if not aliases:
        return nodes
    firsts = {first for _here, first in aliases}
    under: dict[tuple[str, ...], list[Node]] = {}
    out: list[Node] = []

    def add(node: Node) -> None:
        out.append(node)
        for depth in range(1, len(node.path) + 1):
            if node.path[:depth] in firsts:
                under.setdefault(node.path[:depth], []).append(node)

    for node in nodes:
        add(node)
    for here, first in aliases:
        depth = len(first)
        for n in list(under.get(first, ())):
            add(Node((*here, *n.path[depth:]), n.kind, n.old, n.new))
    return out


def body_changes(old: Any, new: Any) -> list[BodyChange]:
    """deepdiff's tree view of two JSON bodies (list order ignored) as
    ``(report, path, old, new)``."""
    from deepdiff import DeepDiff

    try:
        result = DeepDiff(old, new, view="tree", ignore_order=True,
                          ignore_numeric_type_changes=True, cache_size=0,
                          threshold_to_diff_deeper=0)
        out = []
        for report, levels in result.items():
            for level in levels:
                out.append((report, tuple(level.path(output_format="list")),
                            getattr(level, "t1", None), getattr(level, "t2", None)))
    except Exception as exc:  # one boundary: nothing of deepdiff's escapes
        raise ContractsError(f"could not compare two bodies ({type(exc).__name__}: {exc})",
                             hint="please report this") from exc
    return out
