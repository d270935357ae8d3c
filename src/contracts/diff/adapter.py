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

    old, new = prune(old, new)
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
                path = tuple(str(p) for p in level.path(output_format="list"))
                nodes.append(Node(path, kind, None if kind == "added" else level.t1,
                                  None if kind == "removed" else level.t2))
    except Exception as exc:  # one boundary: nothing of deepdiff's escapes
        raise ContractsError(f"could not compare the specs ({type(exc).__name__}: {exc})",
                             hint="please report this with both specs") from exc
    return sorted(nodes, key=lambda n: (n.path, n.kind))


def prune(old: Tree, new: Tree) -> tuple[Tree, Tree]:
    """Both trees without the branches they share (deepdiff walks only what differs)."""
    old_out, new_out = {}, {}
    for key in old.keys() | new.keys():
        if key in old and key in new:
            a, b = old[key], new[key]
            if a == b and type(a) is type(b):
                continue
            if isinstance(a, dict) and isinstance(b, dict):
                a, b = prune(a, b)
            old_out[key], new_out[key] = a, b
        elif key in old:
            old_out[key] = old[key]
        else:
            new_out[key] = new[key]
    return old_out, new_out


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
