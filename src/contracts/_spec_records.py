"""The records a loaded spec hands out: a node with where it lives (``Located``), an
``Operation``, a matched path (``PathMatch``) and a ``$ref`` that could not be followed
(``RefProblem``). ``contracts.specs`` is where callers import them from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from ._pointers import escape_pointer
from ._record import Record
from ._typing import JSON
from .errors import UnresolvableRef

__all__ = ["Located", "Operation", "PathMatch", "RefProblem"]

_FRAGMENT_SAFE = "/~!$&'()*+,;=:@-._"


@dataclass(init=False, repr=False, eq=False, slots=True)  # a frozen record: see _record
class Located(Record):
    """A node of a spec together with where it lives (document URI and JSON pointer)."""

    value: JSON
    uri: str
    pointer: str

    def __init__(self, value: JSON, uri: str, pointer: str) -> None:
        _set = object.__setattr__
        _set(self, "value", value)
        _set(self, "uri", uri)
        _set(self, "pointer", pointer)

    @property
    def ref(self) -> str:
        """An absolute URI for the node (the pointer percent-encoded, as URIs require)."""
        return f"{self.uri}#{quote(self.pointer, safe=_FRAGMENT_SAFE)}"

    def child(self, *tokens: str | int) -> Located:
        value, pointer = self.value, self.pointer
        for token in tokens:
            value = value[token]
            pointer = f"{pointer}/{escape_pointer(str(token))}"
        return Located(value, self.uri, pointer)


@dataclass(init=False, repr=False, eq=False, slots=True)  # a frozen record: see _record
class RefProblem(Record):
    """A ``$ref`` that could not be followed, found while loading leniently (for lint)."""

    ref: str
    source: str
    pointer: str
    line: int | None
    reason: str

    def __init__(self, ref: str, source: str, pointer: str, line: int | None,
                 reason: str) -> None:
        _set = object.__setattr__
        _set(self, "ref", ref)
        _set(self, "source", source)
        _set(self, "pointer", pointer)
        _set(self, "line", line)
        _set(self, "reason", reason)

    def as_error(self) -> UnresolvableRef:
        return UnresolvableRef(self.ref, source=self.source, pointer=self.pointer,
                               reason=self.reason, line=self.line)


@dataclass(init=False, repr=False, eq=False, slots=True)  # a frozen record: see _record
class PathMatch(Record):
    operation: Operation
    path_params: Mapping[str, str]

    def __init__(self, operation: Operation, path_params: Mapping[str, str]) -> None:
        object.__setattr__(self, "operation", operation)
        object.__setattr__(self, "path_params", path_params)


@dataclass(init=False, repr=False, eq=False)  # a frozen record: see _record
class Operation(Record):
    """One operation of a spec. ``path`` is the effective template (after any override)."""

    api: str
    operation_id: str
    method: str
    path: str
    spec_path: str
    node: Located = field(repr=False, compare=False)
    path_item: Located = field(repr=False, compare=False)

    def __init__(self, api: str, operation_id: str, method: str, path: str, spec_path: str,
                 node: Located, path_item: Located) -> None:
        _set = object.__setattr__
        _set(self, "api", api)
        _set(self, "operation_id", operation_id)
        _set(self, "method", method)
        _set(self, "path", path)
        _set(self, "spec_path", spec_path)
        _set(self, "node", node)
        _set(self, "path_item", path_item)

    @property
    def pointer(self) -> str:
        return self.node.pointer

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def summary(self) -> str:
        return str(self.node.value.get("summary", ""))

    def __str__(self) -> str:
        return f"{self.api}.{self.operation_id} ({self.key})"
