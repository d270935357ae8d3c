"""The exchange record: one recorded request and its response, as every reader, writer,
redactor and checker of traffic sees it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .findings import location

__all__ = ["NO_HEADERS", "Body", "Exchange", "freeze_headers"]

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
