"""A validation walk's records, each derived from the record its operation's violations start
from: a copy with some fields changed, without ``dataclasses.replace``'s per-call field scan
(a walk makes one per violation it names)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .findings import VIOLATION_FIELDS, Severity, Violation

if TYPE_CHECKING:
    from .specs import Located

__all__ = ["body_violation", "replace", "undocumented_content_type"]


def replace(v: Violation, **changes: Any) -> Violation:
    """``dataclasses.replace(v, **changes)``."""
    for name in VIOLATION_FIELDS:
        if name not in changes:
            changes[name] = getattr(v, name)
    return Violation(**changes)


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
