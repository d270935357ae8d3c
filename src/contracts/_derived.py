"""A validation walk's records, each derived from the record its operation's violations start
from: a copy with some fields changed, without ``dataclasses.replace``'s per-call field scan
(a walk makes one per violation it names); and a request parameter's violations."""

from __future__ import annotations

from collections.abc import Iterator
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from ._compiled import Param, clip, coerce, split_list
from .findings import VIOLATION_FIELDS, Severity, Violation

if TYPE_CHECKING:
    from .specs import Located

__all__ = ["body_violation", "parameter_violations", "replace", "undocumented_content_type"]


_FIELDS_OF = attrgetter(*VIOLATION_FIELDS)


def replace(v: Violation, **changes: Any) -> Violation:
    """``dataclasses.replace(v, **changes)``."""
    fields = dict(zip(VIOLATION_FIELDS, _FIELDS_OF(v), strict=True))
    fields.update(changes)
    return Violation(**fields)


def body_violation(base: Violation, code: str, message: str, pointer: str, schema_path: str,
                   expected: Any, actual: Any, severity: Severity) -> Violation:
    """``replace(base, ...)`` of what a body's violation sets, in one call (one per schema
    error and undocumented field)."""
    return Violation(code=code, message=message, api=base.api, operation=base.operation,
                     location=base.location, pointer=pointer, schema_path=schema_path,
                     expected=expected, actual=actual, severity=severity)


def undocumented_content_type(base: Violation, side: str, owner: Located,
                              content_type: str | None) -> Violation:
    """A request or response whose media type its operation does not document."""
    documented = sorted((owner.value.get("content") or {}).keys())
    return replace(base, code=f"{side}.content_type.undocumented",
                   location=f"{side}.content_type",
                   message=f"content type {content_type} is not documented",
                   expected=documented, actual=content_type)


def parameter_violations(param: Param, values: list[str], base: Violation
                         ) -> Iterator[Violation]:
    """One request parameter's values (all of them, as sent) against its schema."""
    where, name, location = param.where, param.name, param.location
    if not values:
        if param.required:
            yield replace(base, code=f"{location}.missing", location=location,
                          pointer=f"/{name}",
                          message=f"required {where} parameter {name!r} is missing")
        return
    compiled = param.compiled
    if compiled is None:
        return
    if param.item_schema is not None:  # an array
        items = split_list(values[0]) if len(values) == 1 and not param.exploded \
            else values
        coerced = [coerce(v, param.item_schema) for v in items]
        for error in compiled.iter_errors(coerced):
            yield replace(base, code=f"{location}.invalid", location=location,
                          pointer=f"/{name}{error.pointer}", message=error.message,
                          schema_path=error.schema_location, expected=error.expected)
        return
    raw = values[-1]
    value = coerce(raw, param.schema)
    if compiled.is_valid(value):
        return
    for error in compiled.iter_errors(value):
        yield replace(base, code=f"{location}.invalid", location=location,
                      pointer=f"/{name}{error.pointer}", message=error.message,
                      schema_path=error.schema_location, expected=error.expected,
                      actual=clip(raw))
