"""One finding per change, not per place: a change inside a shared component schema is
reported once, listing (and counting) every operation and place it reaches."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from ..findings import DriftChange
from .rules import RULES

__all__ = ["group_shared"]

LineOf = Callable[[str], tuple[str, int | None]]  # component name -> (source, line)
_SHOWN = 5  # operations named in the message; all are in ``reach``


def group_shared(changes: Iterable[DriftChange], line_of: LineOf) -> list[DriftChange]:
    """``changes`` with those that are one change of a shared component, seen at several
    places, folded into one finding whose ``reach`` lists the places."""
    out: list[DriftChange] = []
    groups: dict[tuple[str, str, str, str], list[DriftChange]] = {}
    for c in changes:
        if c.component:
            groups.setdefault((c.component, c.rule, c.old, c.new), []).append(c)
        else:
            out.append(c)
    for (component, rule, _old, _new), members in groups.items():
        places = sorted({_place(m) for m in members})
        if len(places) == 1:
            out.extend(members[:1])
            continue
        out.append(_folded(component, rule, members, places, line_of))
    return out


def _place(c: DriftChange) -> str:
    where = c.location + c.pointer if not c.pointer or c.pointer.startswith("/") else \
        f"{c.location} {c.pointer}"
    return f"{c.operation}: {where}"


def _folded(component: str, rule: str, members: list[DriftChange], places: list[str],
            line_of: LineOf) -> DriftChange:
    name, inside = component.split("#", 1)
    first = min(members, key=lambda m: (m.operation, m.location, m.pointer))
    operations = sorted({m.operation for m in members})
    named = ", ".join(operations[:_SHOWN]) + (", …" if len(operations) > _SHOWN else "")
    change_text = f"{first.old} → {first.new}" if first.old and first.new else \
        (f"{first.old} removed" if first.old else f"{first.new} added")
    source, line = line_of(name)
    side = rule.split(".", 1)[0]
    return replace(
        first, operation=f"schema {name}", location=f"{side}.schema", pointer=inside,
        message=(f"shared schema {name}{inside or ''}: {RULES[rule][1]} ({change_text}); "
                 f"reaches {len(places)} places in {len(operations)} operation(s): {named}"),
        source=source or first.source, line=line if line is not None else first.line,
        reach=tuple(places))
