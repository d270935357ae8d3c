"""JSON Pointers (RFC 6901): escaping a token, splitting and joining a pointer."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["escape_pointer", "join_pointer", "split_pointer", "unescape_token"]


def escape_pointer(token: str) -> str:
    """One reference token as it appears in a pointer: ``~`` is ``~0``, ``/`` is ``~1``."""
    if "~" not in token and "/" not in token:  # nearly every key: no copies
        return token
    return token.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """The key a pointer's reference token names (``~1`` first, as RFC 6901 requires)."""
    return token.replace("~1", "/").replace("~0", "~")


def join_pointer(tokens: Iterable[str | int], base: str = "") -> str:
    """``base`` followed by each token, escaped: ``join_pointer(["a/b", 0]) == "/a~1b/0"``."""
    return base + "".join("/" + escape_pointer(str(t)) for t in tokens)


def split_pointer(pointer: str) -> list[str]:
    """The unescaped tokens of a pointer (``""`` is the whole document: no tokens)."""
    if not pointer:
        return []
    return [unescape_token(t) for t in pointer.split("/")[1:]]
