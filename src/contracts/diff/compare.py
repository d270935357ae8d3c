"""Comparing two specs: normalise both, let deepdiff find what differs, classify, rank."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .._pointers import escape_pointer
from ..findings import DriftChange, Severity
from ..specs import Spec, load_spec
from .adapter import tree_changes
from .classify import classify, moved_operations
from .context import Context
from .normalise import Normaliser
from .shared import LineOf, group_shared

__all__ = ["SpecDiff", "as_spec", "diff_specs", "iter_spec_changes", "rank_changes"]


@dataclass(frozen=True)
class SpecDiff:
    """The changes from ``old`` to ``new`` (spec sources), most relevant first."""

    old: str
    new: str
    changes: tuple[DriftChange, ...] = field(default=())

    def failing(self, fail_on: Severity) -> tuple[DriftChange, ...]:
        return tuple(c for c in self.changes if c.grade >= fail_on)

    @property
    def counts(self) -> dict[Severity, int]:
        counts = dict.fromkeys(sorted(Severity, reverse=True), 0)
        for change in self.changes:
            counts[change.grade] += 1
        return counts

    @property
    def worst(self) -> Severity | None:
        return max((c.grade for c in self.changes), default=None)



def rank_changes(changes: Iterable[DriftChange]) -> list[DriftChange]:
    """Worst first, then by operation, place and rule: input order never changes the answer."""
    return sorted(set(changes), key=lambda c: (-c.grade, c.operation, c.location, c.pointer,
                                               c.rule, c.old, c.new, c.message))


def diff_specs(old: Spec | str | Path, new: Spec | str | Path) -> SpecDiff:
    """Compare two specs (bundled names, paths or loaded specs) for a consumer of the API."""
    old_spec, new_spec = as_spec(old), as_spec(new)
    return SpecDiff(old=old_spec.source, new=new_spec.source,
                    changes=tuple(rank_changes(iter_spec_changes(old_spec, new_spec))))


def iter_spec_changes(old: Spec | str | Path, new: Spec | str | Path) -> Iterator[DriftChange]:
    """Every change from ``old`` to ``new``, unranked (see :func:`diff_specs`)."""
    old_spec, new_spec = as_spec(old), as_spec(new)
    old_norm, new_norm = Normaliser(old_spec), Normaliser(new_spec)
    old_tree, new_tree = old_norm.tree(), new_norm.tree()
    ctx = Context(old_tree, new_tree, old_norm, new_norm)
    yield from moved_operations(ctx)  # before deepdiff: moved operations are re-keyed
    found = classify(ctx, tree_changes(old_tree, new_tree))
    yield from group_shared(found, _component_line(new_spec, old_spec))


def _component_line(*specs: Spec) -> LineOf:
    """Where a component schema is written: the first spec that has it."""
    def line_of(name: str) -> tuple[str, int | None]:
        for spec in specs:
            doc = spec.resources.get(spec.uri)
            schemas = spec.document.get("components", {}).get("schemas", {})
            if doc is not None and isinstance(schemas, dict) and name in schemas:
                return doc.source, doc.line_of(f"/components/schemas/{escape_pointer(name)}")
        return "", None
    return line_of


def as_spec(spec: Spec | str | Path) -> Spec:
    """A loaded spec, or the spec a bundled name or path names."""
    return spec if isinstance(spec, Spec) else load_spec(spec)
