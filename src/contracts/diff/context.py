"""The state one classification shares between its rules: both trees, where each operation
is written, and the differences that are decided only once all are seen (renames, moves)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..findings import DriftChange
from .adapter import Node
from .normalise import Normaliser, OpInfo
from .rules import RULES
from .text import Tree, short

__all__ = ["Context", "FieldGroup", "Rule", "Where", "change"]

FieldGroup = tuple[str, str, str, str]  # (operation, location, pointer, side)


@dataclass(frozen=True, slots=True)
class Where:
    """Where a change is reported: operation label, location, spec source and line."""

    operation: str
    location: str
    source: str
    line: int | None
    origin: tuple[str, str] | None = None  # (shared component, pointer where it starts)


class Context:
    """Both normalised trees and what the rules collect while the differences stream by."""

    def __init__(self, old: Tree, new: Tree, old_norm: Normaliser, new_norm: Normaliser):
        self.old, self.new = old, new
        self.old_ops: dict[str, OpInfo] = old_norm.ops
        self.new_ops: dict[str, OpInfo] = new_norm.ops
        self.old_source, self.new_source = old_norm.spec.source, new_norm.spec.source
        # Removed and added members, paired up at the end (a rename is a removal plus an
        # addition that match each other and nothing else).
        self.params: dict[str, dict[str, dict[str, Tree]]] = {}
        self.security: dict[str, dict[str, list[str]]] = {}
        self.fields: dict[FieldGroup, dict[str, dict[str, Tree]]] = {}
        self.where_of: dict[FieldGroup, Where] = {}

    def where(self, op_key: str, location: str, *, old_side: bool = False) -> Where:
        info = (self.old_ops if old_side else self.new_ops).get(op_key)
        if info is None:
            info = self.old_ops[op_key]
            old_side = True
        if op_key.startswith("WEBHOOK "):
            location = f"webhook.{location}"
        return Where(info.label, location, self.old_source if old_side else self.new_source,
                     info.line)

    def param_name(self, op_key: str, key: str) -> str:
        """A parameter's name as written in the spec (tree keys are place and name, or
        place and position for path parameters)."""
        for ops in (self.new_ops, self.old_ops):
            if op_key in ops and key in ops[op_key].params:
                return ops[op_key].params[key]
        return key.split(":", 1)[1]


Rule = Callable[[Context, Node], Iterator[DriftChange]]


def change(rule: str, where: Where, pointer: str, old: str, new: str,
           message: str) -> DriftChange:
    """A :class:`DriftChange` graded from :data:`RULES`."""
    component = ""
    if where.origin is not None:
        name, start = where.origin
        inside = pointer[len(start):] if pointer.startswith(start) else pointer
        component = f"{name}#{inside}"
    return DriftChange(rule=rule, grade=RULES[rule][0], operation=where.operation,
                       location=where.location, pointer=pointer, old=short(old),
                       new=short(new), message=message, source=where.source, line=where.line,
                       component=component)
