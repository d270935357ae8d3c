"""A failed conformance check as a test failure's text: the best violation, expected and
actual at its pointer, then the rest."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .._exchange import Exchange
    from ..findings import ContractViolation, Violation

__all__ = ["expected_text", "failure_text", "short_uri", "value_text"]


def failure_text(error: ContractViolation, exchange: Exchange, api: str, *, show_values: bool,
                 value_hint: str, more_hint: str) -> str:
    """The best violation, expected and actual at its pointer, then the rest (a count and up
    to ten lines). Body values appear only with ``show_values``; ``value_hint`` stands in for a
    hidden value and ``more_hint`` says where the rest is listed."""
    best = error.best
    lines = [best.describe(show_values=False),
             f"  response: {exchange.method} {path_of(exchange.url)} -> {exchange.status} "
             f"({api})"]
    if best.schema_path:
        lines.append(f"  schema:   {short_uri(best.schema_path)}")
    if best.expected is not None:
        lines.append(f"  expected: {expected_text(best)}")
    if best.code.endswith((".schema", ".invalid")):
        actual = value_text(best.actual) if show_values else value_hint
        lines.append(f"  actual:   {actual}")
    rest = error.violations[1:]
    if rest:
        lines.append(f"and {len(rest)} more violation(s):")
        lines.extend("  " + v.describe(show_values=show_values) for v in rest[:10])
        if len(rest) > 10:
            lines.append(f"  ... {len(rest) - 10} more ({more_hint})")
    return "\n".join(lines)


def short_uri(uri: str) -> str:
    """``file:///.../specs/eka.yaml#/components/...`` -> ``eka.yaml#/components/...``."""
    where, hash_, fragment = uri.partition("#")
    return where.rsplit("/", 1)[-1] + hash_ + fragment


def expected_text(violation: Violation) -> str:
    expected = violation.expected
    keyword = violation.schema_path.rsplit("/", 1)[-1]
    if keyword == "enum" and isinstance(expected, list):
        return "one of " + ", ".join(value_text(v) for v in expected)
    if keyword == "type" and isinstance(expected, list):
        return " or ".join(map(str, expected))
    if keyword == "required":
        return f"property {expected!r} present"
    if violation.code.endswith("status.undocumented") and isinstance(expected, list):
        return "a documented status: " + ", ".join(map(str, expected))
    if isinstance(expected, list):
        return ", ".join(map(str, expected))
    return str(expected) if keyword in ("pattern", "format") else value_text(expected)


def value_text(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def path_of(url: str) -> str:
    return urlsplit(url).path or url
