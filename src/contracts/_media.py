"""Media types: the one place that decides whether a ``content`` entry or header is JSON."""

from __future__ import annotations

__all__ = ["is_json_media", "media_base"]


def media_base(media_type: str) -> str:
    """The type without parameters, lower-cased: ``Application/JSON; charset=utf-8`` ->
    ``application/json``."""
    return media_type.split(";", 1)[0].strip().lower()


def is_json_media(media_type: str) -> bool:
    """``application/json``, any ``+json`` structured suffix, or ``*/*`` (which a JSON body
    satisfies)."""
    base = media_base(media_type)
    return base == "application/json" or base.endswith("+json") or base == "*/*"
