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


def _own_headers(part: dict[str, Any]) -> Mapping[str, str] | None:
    """A parsed record's ``headers`` frozen without a copy when they are plain (string values,
    names in lower case, as recorders write them); None: let the full checks decide."""
    headers = part.get("headers")
    if headers is None:
        return None if "headers" in part else NO_HEADERS
    if type(headers) is not dict:
        return None
    try:
        "".join(headers.values())  # one C pass: TypeError at the first value not a string
    except TypeError:
        return None
    if not headers.keys() <= _LOWER_NAMES:  # names met before need no second look
        names = "".join(headers)
        if names != names.lower():
            return freeze_headers(headers)  # names differing only in case fold into one
        if len(_LOWER_NAMES) < 4096:  # a log repeats a few dozen names
            _LOWER_NAMES.update(headers)
    return MappingProxyType(headers) if headers else NO_HEADERS


# Header names already seen to be in lower case (a name with no upper-case letter is its own
# lower case wherever it stands, so names checked one dict at a time hold for any dict).
_LOWER_NAMES: set[str] = set()


def _own_body(part: dict[str, Any]) -> Any:
    """A record part's body when it is plain (none, or ``body_text`` alone); else _NOT_PLAIN."""
    if "body_text" in part:
        value = part["body_text"]
        if type(value) is str and "body" not in part and "body_base64" not in part:
            return value
        return _NOT_PLAIN
    if "body" in part or "body_base64" in part:
        return _NOT_PLAIN
    return None


_NOT_PLAIN = object()
_USUAL_URL = ("http://", "https://", "/")  # what URL matches, told without the regex


def plain_record(record: Any, source: str, line: int | None) -> Exchange | None:
    """The exchange of a record parsed from our own log that takes no decision of the full
    checks (the common shape): the same Exchange that
    :func:`contracts.exchanges.exchange_from_record` builds, without its field-by-field walk
    and without copying the headers. None: take the full checks.

    A request and a response with the usual keys (method, url and headers; status, headers
    and body_text, as a recorder writes an answered request) and the usual values (a usual
    method, an absolute URL or a path, header names met before) are checked here in fewer
    steps; anything else is for the general plain path (:func:`_plain_record`) to decide."""
    if type(record) is not dict:
        return None
    try:
        version, request, response = record["version"], record["request"], record["response"]
        if type(request) is not dict or type(response) is not dict or len(request) != 3 \
                or len(response) != 3:
            return _plain_record(record, source, line)
        # three keys each, and these three: the usual request and response
        method, url, request_headers = request["method"], request["url"], request["headers"]
        status, response_headers, body = (response["status"], response["headers"],
                                          response["body_text"])
    except KeyError:
        return _plain_record(record, source, line)
    if type(version) is not int or version != LOG_VERSION or type(method) is not str \
            or method not in _METHODS or type(url) is not str \
            or not url.startswith(_USUAL_URL) or type(status) is not int \
            or not 100 <= status <= 599 or type(body) is not str \
            or type(request_headers) is not dict or type(response_headers) is not dict \
            or not request_headers.keys() <= _LOWER_NAMES \
            or not response_headers.keys() <= _LOWER_NAMES:
        return _plain_record(record, source, line)
    try:  # one C pass: TypeError at the first value not a string
        "".join([*request_headers.values(), *response_headers.values()])
    except TypeError:
        return None
    # Besides version, request and response: none, or time alone (the usual), else any of
    # api, operation and time (each a non-empty string). Counting the keys also refuses one
    # that is not ours: it makes one key more than the strings found.
    api = operation = None
    time = record.get("time")
    present = len(record) - 3
    if present != (time is not None) or (time is not None and (type(time) is not str or not time)):
        extra = _extra_keys(record, present)
        if extra is None:
            return None
        api, operation, time = extra
    return filled_exchange(
        method, url, status,
        MappingProxyType(request_headers) if request_headers else NO_HEADERS, None,
        MappingProxyType(response_headers) if response_headers else NO_HEADERS, body,
        api, operation, time, source, line)


def _extra_keys(record: dict[str, Any], present: int) -> tuple[Any, Any, Any] | None:
    """A record's api, operation and time when the ``present`` keys it has besides version,
    request and response are among them, each a non-empty string (absent is fine, null is
    not); None: anything else, which is for the full checks to name."""
    api, operation, time = record.get("api"), record.get("operation"), record.get("time")
    if present and ((api is not None and (type(api) is not str or not api))
                    or (operation is not None and (type(operation) is not str or not operation))
                    or (time is not None and (type(time) is not str or not time))
                    or (api is None) + (operation is None) + (time is None) != 3 - present):
        return None
    return api, operation, time


def _plain_record(record: dict[str, Any], source: str, line: int | None) -> Exchange | None:
    """:func:`plain_record` of a record of any plain shape."""
    if not record.keys() <= TOP_KEYS:
        return None
    version = record.get("version")
    request = record.get("request")
    if type(version) is not int or version != LOG_VERSION or type(request) is not dict \
            or not request.keys() <= REQUEST_KEYS:
        return None
    method = request.get("method")
    url = request.get("url")
    if type(method) is not str or type(url) is not str or not (
            method in _METHODS or (method and TOKEN.fullmatch(method))) \
            or not (url.startswith(_USUAL_URL) or URL.match(url)):
        return None
    status = None
    response_headers: Mapping[str, str] | None = NO_HEADERS
    response_body = None
    response = record.get("response")
    if response is not None:
        if type(response) is not dict or not response.keys() <= RESPONSE_KEYS:
            return None
        status = response.get("status")
        if type(status) is not int or not 100 <= status <= 599:
            return None
        response_headers = _own_headers(response)
        response_body = _own_body(response) if len(response) > 2 or (
            "headers" not in response) else None  # status and headers alone: no body
    request_headers = _own_headers(request)
    request_body = _own_body(request) if len(request) > 3 or (
        "headers" not in request) else None  # method, url and headers alone: no body
    if response_headers is None or request_headers is None or response_body is _NOT_PLAIN \
            or request_body is _NOT_PLAIN:
        return None
    extra = _extra_keys(record, len(record) - 2 - ("response" in record))
    if extra is None:
        return None
    api, operation, time = extra
    if method not in _METHODS:  # the usual methods are upper case already
        method = method.upper()
    return filled_exchange(method, url, status, request_headers, request_body,
                           response_headers, response_body, api, operation, time, source, line)
