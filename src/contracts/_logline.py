"""One line of our JSON Lines log: the record's shape (its keys, method and URL syntax) and
the fast reading of a line of the usual shape, which takes no decision of the field-by-field
checks in :mod:`contracts.exchanges` (anything else is handed to them)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from orjson import loads as _loads

from ._exchange import NO_HEADERS, Exchange, filled_exchange, freeze_headers
from ._loading import Limits, parse_json

__all__ = ["BLANK", "LOG_VERSION", "REQUEST_KEYS", "RESPONSE_KEYS", "TOKEN", "TOP_KEYS", "URL",
           "line_value", "parse_line", "plain_record"]

LOG_VERSION = 1
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 token: an HTTP method
URL = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://|/)")
TOP_KEYS = frozenset({"version", "time", "api", "operation", "request", "response"})
REQUEST_KEYS = frozenset({"method", "url", "headers", "body", "body_text", "body_base64"})
RESPONSE_KEYS = frozenset({"status", "headers", "body", "body_text", "body_base64"})


def parse_line(raw: bytes, source: str, limits: Limits) -> Any:
    """:func:`parse_json` of one log line; orjson straight away when no limit can apply."""
    if len(raw) <= limits.max_json_values:
        try:
            return _loads(raw)
        except ValueError:
            pass  # parse_json names what is wrong
    return parse_json(raw, source=source, limits=limits)


BLANK: Any = object()
"""What :func:`line_value` gives for a line of nothing but white space."""


def line_value(raw: bytes, first: bool, source: str, limits: Limits) -> Any:
    """The JSON value of one line of a log as read (its newline included; ``first``: the
    file's first line, which may begin with a BOM), or BLANK."""
    if len(raw) <= limits.max_json_values:
        try:  # JSON allows white space around a value: a usual line needs no stripped copy
            return _loads(raw)
        except ValueError:
            pass  # blank, a BOM, or broken: the careful path says which
    raw = (raw.removeprefix(b"\xef\xbb\xbf") if first else raw).strip()
    return parse_line(raw, source, limits) if raw else BLANK


_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_OPTIONAL = ("api", "operation", "time")
_NOT_PLAIN = object()
_USUAL_URL = ("http://", "https://", "/")  # what URL matches, told without the regex


def plain_record(record: Any, source: str, line: int | None) -> Exchange | None:
    """The exchange of a record parsed from our own log that takes no decision of the full
    checks (the common shape): the same Exchange that
    :func:`contracts.exchanges.exchange_from_record` builds, without its field-by-field walk
    and without copying the headers. None: take the full checks."""
    if type(record) is not dict:
        return None
    optional = _TOP_SHAPES.get(tuple(record))
    if optional is None:
        optional = _top_shape(record)
    if optional is _NOT_PLAIN:
        return None
    version = record.get("version")
    request = record.get("request")
    if type(version) is not int or version != LOG_VERSION or type(request) is not dict:
        return None
    method = request.get("method")
    url = request.get("url")
    if type(method) is not str or type(url) is not str or not (
            method in _METHODS or (method and TOKEN.fullmatch(method))) \
            or not (url.startswith(_USUAL_URL) or URL.match(url)):
        return None
    request_part = _plain_part(request, _REQUEST_SHAPES, REQUEST_KEYS)
    if request_part is None:
        return None
    status = None
    response_part: tuple[Mapping[str, str], Any] = (NO_HEADERS, None)
    response = record.get("response")
    if response is not None:
        if type(response) is not dict:
            return None
        status = response.get("status")
        if type(status) is not int or not 100 <= status <= 599:
            return None
        plain = _plain_part(response, _RESPONSE_SHAPES, RESPONSE_KEYS)
        if plain is None:
            return None
        response_part = plain
    # Each of api, operation and time present must be a non-empty string (absent is fine,
    # null is not); anything else is for the full checks to name.
    for key in optional:
        value = record[key]
        if type(value) is not str or not value:
            return None
    get = record.get
    return filled_exchange(method.upper(), url, status, *request_part, *response_part,
                           get("api"), get("operation"), get("time"), source, line)


def _plain_part(part: dict[str, Any], shapes: dict[tuple[str, ...], Any],
                known: frozenset[str]) -> tuple[Mapping[str, str], Any] | None:
    """A request's or response's headers (frozen without a copy) and body when they are
    plain: headers absent or an object of strings under lower-case names, and no body or
    ``body_text`` alone, a string. None: let the full checks decide."""
    shape = shapes.get(tuple(part))
    if shape is None:
        shape = _part_shape(part, shapes, known)
    if shape is _NOT_PLAIN:
        return None
    has_headers, has_text = shape
    body = None
    if has_text:
        body = part["body_text"]
        if type(body) is not str:
            return None
    if not has_headers:
        return NO_HEADERS, body
    headers = part["headers"]
    if type(headers) is not dict:
        return None
    if not headers:
        return NO_HEADERS, body
    try:
        "".join(headers.values())  # one C pass: TypeError at the first value not a string
    except TypeError:
        return None
    if not headers.keys() <= _LOWER_NAMES:  # names met before need no second look
        names = "".join(headers)
        if names != names.lower():
            return freeze_headers(headers), body  # names differing only in case fold into one
        if len(_LOWER_NAMES) < 4096:  # a log repeats a few dozen names
            _LOWER_NAMES.update(headers)
    return MappingProxyType(headers), body


# Header names already seen to be in lower case (a name with no upper-case letter is its own
# lower case wherever it stands, so names checked one dict at a time hold for any dict).
_LOWER_NAMES: set[str] = set()

# What the keys of a record, and of its request and response, say, by the keys in the order
# they came (a log writes every line alike, so a handful of orders cover it): which of
# api/operation/time a record has; whether a part has headers and a body_text; or
# _NOT_PLAIN, a key the fast path leaves to the full checks (unknown, or another body).
_TOP_SHAPES: dict[tuple[str, ...], Any] = {}
_REQUEST_SHAPES: dict[tuple[str, ...], Any] = {}
_RESPONSE_SHAPES: dict[tuple[str, ...], Any] = {}
_MAX_SHAPES = 256  # orders beyond these are worked out again each time


def _top_shape(record: dict[str, Any]) -> Any:
    shape: Any = _NOT_PLAIN
    if record.keys() <= TOP_KEYS:
        shape = tuple(key for key in _OPTIONAL if key in record)
    if len(_TOP_SHAPES) < _MAX_SHAPES:
        _TOP_SHAPES[tuple(record)] = shape
    return shape


def _part_shape(part: dict[str, Any], shapes: dict[tuple[str, ...], Any],
                known: frozenset[str]) -> Any:
    shape: Any = _NOT_PLAIN
    if part.keys() <= known and "body" not in part and "body_base64" not in part:
        shape = ("headers" in part, "body_text" in part)
    if len(shapes) < _MAX_SHAPES:
        shapes[tuple(part)] = shape
    return shape
