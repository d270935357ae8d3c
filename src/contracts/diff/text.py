"""How schema values and changes are written in a change's ``old``/``new`` and message."""

from __future__ import annotations

import json
from typing import Any

from .._typing import JSON

__all__ = ["JSON", "Tree", "as_json", "constraint_text", "describe", "flag", "short"]

Tree = dict[str, Any]  # a normalised spec or schema: plain dicts, no lists


def as_json(value: JSON) -> str:
    """A stable text for a JSON value (keys sorted), as stored in normalised trees."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def describe(schema: Tree) -> str:
    """A normalised schema in a few words: ``array of string``, ``string (date) enum[3]``."""
    if not schema:
        return "any"
    if "$recursive" in schema:
        return f"recursive {schema['$recursive']}"
    text = schema.get("type", "")
    if text == "array" and isinstance(schema.get("items"), dict) and schema["items"].get("type"):
        text = f"array of {schema['items']['type']}"
    if "format" in schema:
        text += f" ({schema['format']})"
    if "enum" in schema:
        text += f" enum[{len(schema['enum'])}]"
    for keyword in ("oneOf", "anyOf"):
        if keyword in schema:
            text += f" {keyword}[{len(schema[keyword])}]"
    return short(text.strip() or "object")


def flag(value: JSON, word: str) -> str:
    return word if value else f"not {word}"


def constraint_text(keyword: str, value: JSON) -> str:
    if keyword in ("enum", "oneOf", "anyOf", "prefixItems") and isinstance(value, dict):
        return short(", ".join(sorted(value)), 60)
    if keyword in ("items", "values") and isinstance(value, dict):
        return describe(value)
    return short(str(value), 60)
