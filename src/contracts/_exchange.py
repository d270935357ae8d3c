"""The exchange record: one recorded request and its response, as every reader, writer,
redactor and checker of traffic sees it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .findings import location

__all__ = ["NO_HEADERS", "Body", "Exchange", "filled_exchange", "freeze_headers"]

Body = Any
"""``None`` (no body), ``bytes``/``str`` (raw text, JSON to be parsed), or a parsed JSON value."""

NO_HEADERS: Mapping[str, str] = MappingProxyType({})


def freeze_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> Mapping[str, str]:
    if isinstance(headers, MappingProxyType) and all(k == k.lower() for k in headers):
        return headers
    if type(headers) is dict:  # a log record's: one pass in C unless names repeat in case
        try:
            lowered = {k.lower(): v for k, v in headers.items() if type(v) is str}
        except AttributeError:  # a name that is not a string
            lowered = {}
        if len(lowered) == len(headers):
            return MappingProxyType(lowered) if lowered else NO_HEADERS
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        key = str(name).lower()
        text = value if isinstance(value, str) else str(value)
        # Repeated headers fold into one, as RFC 9110 section 5.3 allows.
        out[key] = f"{out[key]}, {text}" if key in out else text
    return MappingProxyType(out) if out else NO_HEADERS


@dataclass(frozen=True, slots=True)
class Exchange:
    """One recorded request and (when there was one) its response.

    ``method`` is upper case; header names are lower case (repeated headers are joined with
    ``", "``). ``url`` is absolute or a path. ``source``, ``line`` and ``pointer`` say where it
    was read (``line`` is the 1-based line of a JSON Lines log, or the 0-based entry index of a
    HAR file or VCR cassette, whose ``pointer`` is then ``/log/entries/N`` or
    ``/interactions/N``); they do not take part in equality.
    """

    method: str
    url: str
    status: int | None = None
    request_headers: Mapping[str, str] = field(default_factory=lambda: NO_HEADERS)
    request_body: Body = None
    response_headers: Mapping[str, str] = field(default_factory=lambda: NO_HEADERS)
    response_body: Body = None
    api: str | None = None
    operation: str | None = None
    time: str | None = None
    source: str = field(default="<memory>", compare=False)
    line: int | None = field(default=None, compare=False)
    pointer: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        object.__setattr__(self, "request_headers", freeze_headers(self.request_headers))
        object.__setattr__(self, "response_headers", freeze_headers(self.response_headers))
        if self.status is None and (self.response_headers or self.response_body is not None):
            raise ValueError("an exchange without a response status cannot have a response")

    @property
    def location(self) -> str:
        """``file:line`` for a log line, ``file#/log/entries/N`` for a HAR or VCR entry."""
        return location(self.source, self.line, self.pointer)


class _Filling:
    """Exchange's slots, writable: an exchange read from a log is filled here by plain
    attribute stores (a few nanoseconds each, against a descriptor call per field or a
    dataclass ``__init__`` of ``object.__setattr__`` calls), then becomes an Exchange by
    ``__class__`` assignment, which CPython allows between classes of the same slots."""

    __slots__ = Exchange.__slots__


def filled_exchange(method: str, url: str, status: int | None,
                    request_headers: Mapping[str, str], request_body: Body,
                    response_headers: Mapping[str, str], response_body: Body,
                    api: str | None, operation: str | None, time: str | None,
                    source: str, line: int | None) -> Exchange:
    """The Exchange of these fields as they are, without ``__post_init__``: ``method`` must
    already be upper case and both header maps frozen with lower-case names (what
    ``Exchange(...)`` would make of them), and a status must come with any response part."""
    exchange: Any = _new(_Filling)
    exchange.method = method
    exchange.url = url
    exchange.status = status
    exchange.request_headers = request_headers
    exchange.request_body = request_body
    exchange.response_headers = response_headers
    exchange.response_body = response_body
    exchange.api = api
    exchange.operation = operation
    exchange.time = time
    exchange.source = source
    exchange.line = line
    exchange.pointer = None
    exchange.__class__ = Exchange
    return exchange  # type: ignore[no-any-return]


_new = object.__new__
