"""Recorded HTTP exchanges: reading our JSON Lines log, HAR 1.2 files and VCR.py cassettes.

Readers yield :class:`Exchange` records and, for a line or entry they cannot use, a
:class:`ReadProblem`, then go on: one bad line never hides the rest. A file that cannot be
read at all (missing, not the format, not UTF-8 for HAR and VCR) raises
:class:`~contracts.errors.InputError` with one line naming it. The JSON Lines reader streams:
memory stays bounded by the longest line, not the length of the log.

Body convention (shared with the validator): ``None`` means no body; ``bytes`` or ``str`` is
raw text for the consumer to parse as JSON; any other value (dict, list, int, float, bool) is
an already-parsed JSON value. A JSON body whose top-level value is a string (or ``null``) is
therefore carried as raw text.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import urlencode

from orjson import loads as _loads

from ._exchange import NO_HEADERS, Body, Exchange, freeze_headers
from ._loading import Document, Limits, load_document, open_regular, parse_json, read_capped
from ._logline import BLANK, LOG_VERSION, line_value, plain_record
from ._logline import REQUEST_KEYS as _REQUEST_KEYS
from ._logline import RESPONSE_KEYS as _RESPONSE_KEYS
from ._logline import TOKEN as _TOKEN
from ._logline import TOP_KEYS as _TOP_KEYS
from ._logline import URL as _URL
from .errors import InputError, UsageError
from .findings import ReadProblem
from .redaction import Redactor

__all__ = [
    "FORMATS",
    "LOG_VERSION",
    "MAX_DOCUMENT_BYTES",
    "MAX_INFLATED_BYTES",
    "MAX_LINE_BYTES",
    "Body",
    "Exchange",
    "ReadProblem",
    "TooLarge",
    "decode_content",
    "exchange_from_record",
    "exchange_to_record",
    "read_exchanges",
    "write_exchanges",
]

FORMATS = ("jsonl", "har", "vcr")
MAX_LINE_BYTES = 64 * 1024 * 1024
"""A JSON Lines line longer than this is reported and skipped (memory stays bounded by it)."""
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
"""HAR files are one JSON document and are read whole; larger ones are refused."""

MAX_INFLATED_BYTES = 32 * 1024 * 1024
"""A content-encoded body (gzip, deflate, br) is inflated up to this many bytes, no further."""

_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".har": "har", ".yaml": "vcr", ".yml": "vcr"}
_BODY_KEYS = ("body", "body_text", "body_base64")


class _Bad(Exception):
    """One record or entry is unusable; the message says what and where inside it."""


# --------------------------------------------------------------------------- content-encoding


class TooLarge(InputError):
    """A content-encoded body inflates past the limit (a decompression bomb, or just big)."""


def decode_content(raw: bytes, encoding: str | None, *, limit: int = MAX_INFLATED_BYTES,
                   source: str = "<body>") -> bytes:
    """``raw`` with its ``Content-Encoding`` undone (``gzip``, ``x-gzip``, ``deflate``,
    ``br`` when a brotli package is installed, ``identity``; several in the order listed),
    in a stream that never holds more than ``limit + 1`` inflated bytes: a body that inflates
    further is :class:`TooLarge`; one that cannot be decoded is an :class:`InputError`.
    """
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
    data = raw
    for coding in reversed(codings):  # the last coding applied is undone first
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            data = _inflate(data, 16 + 15, limit, source)
        elif coding == "deflate":
            try:  # RFC 9110 deflate is zlib-wrapped; some servers send it raw
                data = _inflate(data, 15, limit, source)
            except TooLarge:
                raise
            except InputError:
                data = _inflate(data, -15, limit, source)
        elif coding == "br":
            data = _unbrotli(data, limit, source)
        else:
            raise InputError(f"unknown content-encoding {coding[:20]!r}", source=source)
        if len(data) > limit:
            raise _too_large(limit, source)
    return data


def _too_large(limit: int, source: str) -> TooLarge:
    return TooLarge(f"body inflates to more than {limit:,} bytes", source=source)


def _inflate(data: bytes, wbits: int, limit: int, source: str) -> bytes:
    import zlib

    out: list[bytes] = []
    size = 0
    while data:
        inflater = zlib.decompressobj(wbits)
        try:
            # max_length >= 1 here (0 would mean no limit); output stops one byte past it
            chunk = inflater.decompress(data, limit + 1 - size)
        except zlib.error:
            raise InputError("body cannot be decoded as its content-encoding says",
                             source=source) from None
        size += len(chunk)
        out.append(chunk)
        if inflater.unconsumed_tail or size > limit:
            raise _too_large(limit, source)
        if not inflater.eof:
            raise InputError("body is cut short (its content-encoding stream does not end)",
                             source=source)
        # gzip allows several members one after another
        data = inflater.unused_data if wbits > 16 else b""
    return b"".join(out)


def _unbrotli(data: bytes, limit: int, source: str) -> bytes:
    try:
        import brotli  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise InputError("body is brotli-compressed and no brotli package is installed",
                         source=source, hint="pip install brotli") from None
    if not data:
        return b""  # as for gzip: no bytes, nothing to undo
    inflater = brotli.Decompressor()
    out: list[bytes] = []
    size = 0
    step = 1024  # input per call: the output of one small step is bounded by what follows
    try:
        for start in range(0, len(data), step):
            try:
                chunk = inflater.process(data[start:start + step],
                                         output_buffer_limit=limit + 1 - size)
                finished = inflater.is_finished
            except (TypeError, AttributeError):  # a brotli older than 1.2 (or brotlipy)
                raise InputError("body is brotli-compressed and the installed brotli "
                                 "cannot inflate it with a limit", source=source,
                                 hint="pip install 'brotli>=1.2'") from None
            size += len(chunk)
            out.append(chunk)
            if size > limit:
                raise _too_large(limit, source)
    except brotli.error:
        raise InputError("body cannot be decoded as its content-encoding says",
                         source=source) from None
    if not finished():
        raise InputError("body is cut short (its content-encoding stream does not end)",
                         source=source)
    return b"".join(out)


# --------------------------------------------------------------------------- our log format


def exchange_to_record(exchange: Exchange) -> dict[str, Any]:
    """The exchange as one record of our log format (see ``docs/exchange-log.md``)."""
    record: dict[str, Any] = {"version": LOG_VERSION}
    if exchange.time is not None:
        record["time"] = exchange.time
    if exchange.api is not None:
        record["api"] = exchange.api
    if exchange.operation is not None:
        record["operation"] = exchange.operation
    request: dict[str, Any] = {"method": exchange.method, "url": exchange.url}
    if exchange.request_headers:
        request["headers"] = dict(exchange.request_headers)
    _put_body(request, exchange.request_body)
    record["request"] = request
    if exchange.status is not None:
        response: dict[str, Any] = {"status": exchange.status}
        if exchange.response_headers:
            response["headers"] = dict(exchange.response_headers)
        _put_body(response, exchange.response_body)
        record["response"] = response
    return record


def _put_body(part: dict[str, Any], body: Body) -> None:
    if body is None:
        return
    if isinstance(body, bytes | bytearray | memoryview):
        raw = bytes(body)
        try:
            part["body_text"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            part["body_base64"] = base64.b64encode(raw).decode("ascii")
    elif isinstance(body, str):
        part["body_text"] = body
    else:
        part["body"] = body


def exchange_from_record(
    record: Any, source: str = "<record>", line: int | None = None
) -> Exchange:
    """Build an :class:`Exchange` from one log record; :class:`InputError` if it is not one."""
    try:
        return _from_record(record, source, line)
    except _Bad as exc:
        raise InputError(str(exc), source=source, line=line) from None


def _from_record(record: Any, source: str, line: int | None) -> Exchange:
    if not isinstance(record, dict):
        raise _Bad(f"a record must be a JSON object, not {_kind(record)}")
    if "version" not in record and "request" not in record:
        # Most often a bare body handed over as a log: say so rather than name its first key.
        raise _Bad("not an exchange record (no 'version' or 'request'); a bare body is "
                   "validated against a named operation")
    _no_unknown(record, _TOP_KEYS, "", extensions=True)
    if "version" not in record:
        raise _Bad("missing field 'version'")
    version = record["version"]
    if version != LOG_VERSION or isinstance(version, bool):
        raise _Bad(f"unsupported log version {_short(version)} (this reader knows "
                   f"{LOG_VERSION})")
    request = record.get("request")
    if request is None:
        raise _Bad("missing field 'request'")
    if not isinstance(request, dict):
        raise _Bad(f"'request' must be an object, not {_kind(request)}")
    _no_unknown(request, _REQUEST_KEYS, "request.")
    method = _required_str(request, "method", "request.")
    if not _TOKEN.fullmatch(method):
        raise _Bad("'request.method' is not an HTTP method")
    url = _required_str(request, "url", "request.")
    if not _URL.match(url):
        raise _Bad("'request.url' must be an absolute URL or a path starting with '/'")
    status = None
    response_headers: Mapping[str, str] = NO_HEADERS
    response_body = None
    response = record.get("response")
    if response is not None:
        if not isinstance(response, dict):
            raise _Bad(f"'response' must be an object, not {_kind(response)}")
        _no_unknown(response, _RESPONSE_KEYS, "response.")
        if "status" not in response:
            raise _Bad("missing field 'response.status'")
        status = _status(response["status"], "'response.status'")
        response_headers = _record_headers(response, "response.")
        response_body = _record_body(response, "response.")
    return Exchange(
        method=method,
        url=url,
        status=status,
        request_headers=_record_headers(request, "request."),
        request_body=_record_body(request, "request."),
        response_headers=response_headers,
        response_body=response_body,
        api=_optional_str(record, "api"),
        operation=_optional_str(record, "operation"),
        time=_optional_str(record, "time"),
        source=source,
        line=line,
    )


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    # Only ever used for fields that cannot carry patient data (version, status).
    text = repr(value)
    return text if len(text) <= 20 else text[:17] + "..."


def _no_unknown(obj: dict[str, Any], known: frozenset[str], prefix: str,
                extensions: bool = False) -> None:
    if obj.keys() <= known:
        return
    for key in obj:
        if key not in known and not (extensions and key.startswith("x-")):
            name = key if len(key) <= 40 else key[:37] + "..."
            raise _Bad(f"unknown field '{prefix}{name}'")


def _required_str(obj: dict[str, Any], key: str, prefix: str) -> str:
    if key not in obj:
        raise _Bad(f"missing field '{prefix}{key}'")
    value = obj[key]
    if not isinstance(value, str) or not value:
        raise _Bad(f"'{prefix}{key}' must be a non-empty string, not {_kind(value)}")
    return value


def _optional_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if key in obj and (not isinstance(value, str) or not value):
        raise _Bad(f"'{key}' must be a non-empty string, not {_kind(value)}")
    return value


def _status(value: Any, what: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON (and its Schema) do not tell 200.0 from 200
    if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
        raise _Bad(f"{what} must be an integer from 100 to 599, not {_short(value)}")
    return value


def _record_headers(part: dict[str, Any], prefix: str) -> Mapping[str, str]:
    headers = part.get("headers")
    if headers is None:
        if "headers" in part:
            raise _Bad(f"'{prefix}headers' must be an object, not null")
        return NO_HEADERS
    if not isinstance(headers, dict):
        raise _Bad(f"'{prefix}headers' must be an object, not {_kind(headers)}")
    for value in headers.values():
        if not isinstance(value, str):
            raise _Bad(f"'{prefix}headers' values must be strings, not {_kind(value)}")
    return headers  # Exchange freezes (and lower-cases) them, once


def _record_body(part: dict[str, Any], prefix: str) -> Body:
    present = [key for key in _BODY_KEYS if key in part]
    if len(present) > 1:
        raise _Bad(f"'{prefix}{present[0]}' and '{prefix}{present[1]}' are exclusive")
    if not present:
        return None
    key = present[0]
    value = part[key]
    if key == "body":
        if value is None or isinstance(value, str):
            import orjson

            return orjson.dumps(value).decode("utf-8")  # top-level string/null: raw text
        return value
    if not isinstance(value, str):
        raise _Bad(f"'{prefix}{key}' must be a string, not {_kind(value)}")
    if key == "body_text":
        return value
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _Bad(f"'{prefix}body_base64' is not valid base64") from None


def write_exchanges(
    fh: IO[bytes] | IO[str],
    exchanges: Iterable[Exchange],
    *,
    redactor: Redactor | None = None,
) -> int:
    """Write exchanges to ``fh`` as JSON Lines, redacted first; return how many were written.

    Redaction is on by default (``Redactor()``). ``redactor=Redactor(enabled=False)`` keeps
    body values, but credentials (auth headers, tokens, signed URLs) are removed whatever
    redactor is passed: nothing unredacted is ever written.
    """
    import orjson

    active = redactor if redactor is not None else Redactor()
    text = isinstance(fh, io.TextIOBase)
    count = 0
    for exchange in exchanges:
        record = exchange_to_record(active.exchange(exchange))
        try:
            data = orjson.dumps(record) + b"\n"
        except TypeError:
            # orjson refuses integers beyond 64 bits; the standard library writes them.
            import json

            data = (json.dumps(record, ensure_ascii=False, separators=(",", ":"),
                               allow_nan=False) + "\n").encode("utf-8")
        if text:
            cast("IO[str]", fh).write(data.decode("utf-8"))
        else:
            cast("IO[bytes]", fh).write(data)
        count += 1
    return count


# --------------------------------------------------------------------------- reading


def read_exchanges(
    path: str | Path,
    *,
    format: str | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[Exchange | ReadProblem]:
    """Read exchanges from a JSON Lines log, a HAR 1.2 file or a VCR.py cassette.

    The format comes from ``format`` (``"jsonl"``, ``"har"``, ``"vcr"``), else the extension
    (``.jsonl``/``.ndjson``, ``.har``, ``.yaml``/``.yml``), else the content. An unreadable
    file raises :class:`InputError` here, before iteration starts; a bad line or entry is
    yielded as a :class:`ReadProblem` and reading goes on.
    """
    path = Path(path)
    source = str(path)
    if format is not None and format not in FORMATS:
        raise UsageError(f"unknown exchange format {format!r}", hint=f"one of {', '.join(FORMATS)}")
    head = _check_file(path, source, max_line_bytes)
    fmt = format or _SUFFIXES.get(path.suffix.lower())
    data: Any = None
    document: Document | None = None
    if fmt is None:
        fmt, data = _sniff(path, source, head)
    if fmt == "jsonl":
        if head is None:
            raise InputError("file is empty", source=source)
        return _iter_jsonl(path, source, max_line_bytes)
    if fmt == "har":
        if data is None:
            data = _load_json(path, source)
        return _iter_har(data, source)
    if data is None:
        document = _load_yaml(path, source)
        data = document.data
    return _iter_vcr(data, source, document)


def _check_file(path: Path, source: str, max_line_bytes: int) -> bytes | None:
    """Fail early on a missing, unreadable or compressed file; the first non-blank line."""
    try:
        with open_regular(path, source) as fh:
            if fh.read(2) == b"\x1f\x8b":
                raise InputError("is gzip-compressed", source=source, hint="decompress it first")
            fh.seek(0)
            while True:
                raw = fh.readline(min(max_line_bytes, 1024 * 1024))
                if not raw:
                    return None
                stripped = raw.strip().removeprefix(b"\xef\xbb\xbf").strip()
                if stripped:
                    return stripped
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", source=source) from None


def _sniff(path: Path, source: str, head: bytes | None) -> tuple[str, Any]:
    """Tell our log, HAR and VCR apart by content: the first line, else the whole document."""
    if head is None:
        raise InputError("file is empty", source=source)
    if head.startswith(b"{"):
        import orjson

        try:
            first = orjson.loads(head)
        except orjson.JSONDecodeError:
            first = None  # a pretty-printed document: its first line is not a whole object
        if isinstance(first, dict):
            if "log" in first:
                return "har", None
            if "interactions" in first:
                return "vcr", None
            return "jsonl", None
        try:
            data = _load_json(path, source)
        except InputError as exc:
            raise InputError(f"cannot tell the format: {exc.message}", source=exc.source,
                             line=exc.line, pointer=exc.pointer,
                             hint="name the file .jsonl, .har or .yaml, or pass a format"
                             ) from None
        if isinstance(data, dict) and "log" in data:
            return "har", data
        if isinstance(data, dict) and "interactions" in data:
            return "vcr", data
        raise InputError("not an exchange log, HAR file or VCR cassette", source=source)
    return "vcr", None


def _read_bytes(path: Path, source: str, limit: int) -> bytes:
    return read_capped(path, limit, source=source)


def _load_json(path: Path, source: str) -> Any:
    raw = _read_bytes(path, source, MAX_DOCUMENT_BYTES)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        raise InputError("file is empty", source=source)
    try:
        return parse_json(raw, source=source, limits=Limits(max_bytes=MAX_DOCUMENT_BYTES))
    except InputError as exc:
        # The line orjson reports is useful for a document (unlike a log line's "1").
        raise InputError(exc.message, source=source, line=exc.line, pointer=exc.pointer) from None


def _load_yaml(path: Path, source: str) -> Document:
    try:
        return load_document(path)
    except InputError as exc:
        if "tag:yaml.org,2002:binary" in str(exc):
            raise InputError(
                "VCR cassette has !!binary bodies, which are not supported", source=source,
                hint="record with decode_compressed_response=True, or convert to HAR") from None
        raise


_NOT_READ: Any = object()


def _iter_jsonl(path: Path, source: str, max_line_bytes: int) -> Iterator[Exchange | ReadProblem]:
    limits = Limits(max_bytes=max_line_bytes + 2)
    loads, small = _loads, limits.max_json_values  # line_value's first step, inline
    with open_regular(path, source) as fh:
        number = 0
        readline, cap = fh.readline, max_line_bytes + 1
        while raw := readline(cap):
            number += 1
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                while True:  # skip the rest of the line in bounded chunks
                    chunk = fh.readline(64 * 1024)
                    if not chunk or chunk.endswith(b"\n"):
                        break
                yield ReadProblem(source, number, f"line is longer than {max_line_bytes:,} bytes")
                continue
            try:
                try:
                    record = loads(raw) if len(raw) <= small else _NOT_READ
                except ValueError:  # blank, a BOM, or broken: line_value says which
                    record = _NOT_READ
                if record is _NOT_READ:
                    record = line_value(raw, number == 1, source, limits)
                    if record is BLANK:
                        continue
                yield plain_record(record, source, number) or _from_record(record, source,
                                                                            number)
            except InputError as exc:
                yield ReadProblem(source, number, exc.detail)
            except _Bad as exc:
                yield ReadProblem(source, number, str(exc))


# --------------------------------------------------------------------------- HAR 1.2


def _iter_har(data: Any, source: str) -> Iterator[Exchange | ReadProblem]:
    log = data.get("log") if isinstance(data, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise InputError("not a HAR file: no log.entries list", source=source)
    return _har_entries(entries, source)


def _har_entries(entries: list[Any], source: str) -> Iterator[Exchange | ReadProblem]:
    for index, entry in enumerate(entries):
        pointer = f"/log/entries/{index}"
        try:
            yield _har_exchange(entry, source, index, pointer)
        except _Bad as exc:
            yield ReadProblem(source, index, str(exc), pointer)


def _request_line(record: dict[str, Any], url_key: str) -> tuple[Any, str, str]:
    """A HAR entry's or VCR interaction's request object, its method and its URL."""
    request = _har_object(record, "request", required=True)
    method = _required_str(request, "method", "request.")
    if not _TOKEN.fullmatch(method):
        raise _Bad("'request.method' is not an HTTP method")
    return request, method, _required_str(request, url_key, "request.")


def _har_exchange(entry: Any, source: str, index: int, pointer: str) -> Exchange:
    if not isinstance(entry, dict):
        raise _Bad(f"entry must be an object, not {_kind(entry)}")
    request, method, url = _request_line(entry, "url")
    body: Body = None
    post = _har_object(request, "postData", required=False, prefix="request.")
    if post:
        text = post.get("text")
        params = post.get("params")
        if text is not None and not isinstance(text, str):
            raise _Bad(f"'request.postData.text' must be a string, not {_kind(text)}")
        if text:
            body = text
        elif isinstance(params, list) and params:
            body = urlencode([(str(p.get("name", "")), str(p.get("value", "")))
                              for p in params if isinstance(p, dict)])
    status = None
    response_headers: Mapping[str, str] = NO_HEADERS
    response_body: Body = None
    response = _har_object(entry, "response", required=False)
    if response:
        raw_status = response.get("status")
        # HAR records a request that never got an answer as status 0.
        if raw_status != 0 or isinstance(raw_status, bool):
            status = _status(raw_status, "'response.status'")
            response_headers = _har_headers(response, "response.")
            response_body = _har_content(response, response_headers.get("content-encoding"))
    started = entry.get("startedDateTime")
    return Exchange(
        method=method,
        url=url,
        status=status,
        request_headers=_har_headers(request, "request."),
        request_body=body,
        response_headers=response_headers,
        response_body=response_body,
        time=started if isinstance(started, str) else None,
        source=source,
        line=index,
        pointer=pointer,
    )


def _har_object(obj: dict[str, Any], key: str, *, required: bool,
                prefix: str = "") -> dict[str, Any]:
    value = obj.get(key)
    if value is None and not required:
        return {}
    if value is None:
        raise _Bad(f"missing field '{prefix}{key}'")
    if not isinstance(value, dict):
        raise _Bad(f"'{prefix}{key}' must be an object, not {_kind(value)}")
    return value


def _headers_field(part: dict[str, Any], prefix: str, shape: type, noun: str) -> Any:
    """A record's ``headers`` field when it has the format's shape, None when absent."""
    headers = part.get("headers")
    if headers is not None and not isinstance(headers, shape):
        raise _Bad(f"'{prefix}headers' must be {noun}, not {_kind(headers)}")
    return headers


def _har_headers(part: dict[str, Any], prefix: str) -> Mapping[str, str]:
    headers = _headers_field(part, prefix, list, "an array")
    pairs: list[tuple[str, str]] = []
    for item in headers or ():
        if not (isinstance(item, dict) and isinstance(item.get("name"), str)
                and isinstance(item.get("value"), str)):
            raise _Bad(f"'{prefix}headers' items must be objects with string name and value")
        if not item["name"].startswith(":"):  # HTTP/2 pseudo-headers are not headers
            pairs.append((item["name"], item["value"]))
    return freeze_headers(pairs)


def _har_content(response: dict[str, Any], encoding: str | None = None) -> Body:
    content = _har_object(response, "content", required=False, prefix="response.")
    text = content.get("text")
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise _Bad(f"'response.content.text' must be a string, not {_kind(text)}")
    if content.get("encoding") == "base64":
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise _Bad("'response.content.text' is not valid base64") from None
        if encoding and encoding.strip().lower() != "identity":
            # Browsers store bodies decoded, other tools as sent: undo the encoding when it
            # is still there, within MAX_INFLATED_BYTES.
            try:
                return decode_content(raw, encoding)
            except TooLarge:
                raise _Bad(f"'response.content.text' inflates to more than "
                           f"{MAX_INFLATED_BYTES:,} bytes (too large to validate)") from None
            except InputError:
                return raw  # already decoded
        return raw
    return text


# --------------------------------------------------------------------------- VCR.py cassettes


def _iter_vcr(data: Any, source: str,
              document: Document | None) -> Iterator[Exchange | ReadProblem]:
    interactions = data.get("interactions") if isinstance(data, dict) else None
    if not isinstance(interactions, list):
        raise InputError("not a VCR cassette: no interactions list", source=source)
    return _vcr_entries(interactions, source, document)


def _vcr_entries(interactions: list[Any], source: str,
                 document: Document | None) -> Iterator[Exchange | ReadProblem]:
    for index, interaction in enumerate(interactions):
        pointer = f"/interactions/{index}"
        try:
            yield _vcr_exchange(interaction, source, index, pointer)
        except _Bad as exc:
            line = document.line_of(pointer) if document is not None else None
            where = f" (line {line})" if line is not None else ""
            yield ReadProblem(source, index, f"{exc}{where}", pointer)


def _vcr_exchange(interaction: Any, source: str, index: int, pointer: str) -> Exchange:
    if not isinstance(interaction, dict):
        raise _Bad(f"interaction must be an object, not {_kind(interaction)}")
    request, method, url = _request_line(interaction, "uri")
    status = None
    response_headers: Mapping[str, str] = NO_HEADERS
    response_body: Body = None
    response = _har_object(interaction, "response", required=False)
    if response:
        raw_status = response.get("status")
        if isinstance(raw_status, dict):
            raw_status = raw_status.get("code")
        status = _status(raw_status, "'response.status.code'")
        response_headers = _vcr_headers(response, "response.")
        response_body = _vcr_body(response.get("body"), "response.body")
    return Exchange(
        method=method,
        url=url,
        status=status,
        request_headers=_vcr_headers(request, "request."),
        request_body=_vcr_body(request.get("body"), "request.body"),
        response_headers=response_headers,
        response_body=response_body,
        source=source,
        line=index,
        pointer=pointer,
    )


def _vcr_headers(part: dict[str, Any], prefix: str) -> Mapping[str, str]:
    headers = _headers_field(part, prefix, dict, "a mapping")
    pairs: list[tuple[str, str]] = []
    for name, values in (headers or {}).items():
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise _Bad(f"'{prefix}headers' values must be strings or lists of strings")
            pairs.append((name, str(value)))
    return freeze_headers(pairs)


def _vcr_body(body: Any, what: str) -> Body:
    # VCR.py writes request bodies as plain strings and response bodies as {string: ...}.
    if isinstance(body, dict):
        body = body.get("string")
    if body is None or body == "":
        return None
    if not isinstance(body, str):
        raise _Bad(f"'{what}' must be a string, not {_kind(body)}")
    return body


# --------------------------------------------------------------------------- parts of a log
# For readers that split a file (contracts.parallel, contracts.dask_runner): the same checks
# and the same record parsing as read_exchanges.


def exchange_format(path: str | Path, *, max_line_bytes: int = MAX_LINE_BYTES) -> str:
    """The format :func:`read_exchanges` reads ``path`` in ("jsonl", "har" or "vcr"), after
    its up-front checks (an unreadable, empty or compressed file raises InputError)."""
    path = Path(path)
    source = str(path)
    head = _check_file(path, source, max_line_bytes)
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        fmt, _ = _sniff(path, source, head)
    if fmt == "jsonl" and head is None:
        raise InputError("file is empty", source=source)
    return fmt


def exchanges_from_lines(data: bytes, source: str, *, at_start: bool = True,
                         max_line_bytes: int = MAX_LINE_BYTES
                         ) -> Iterator[Exchange | ReadProblem]:
    """The exchanges (and problems) of whole JSON Lines in ``data``, numbered from line 1, as
    :func:`read_exchanges` reads them; ``at_start``: ``data`` begins the file (a BOM may lead)."""
    limits = Limits(max_bytes=max_line_bytes + 2)
    for number, raw in enumerate(data.split(b"\n"), 1):
        if len(raw) > max_line_bytes:
            yield ReadProblem(source, number, f"line is longer than {max_line_bytes:,} bytes")
            continue
        try:
            record = line_value(raw, at_start and number == 1, source, limits)
            if record is BLANK:
                continue
            yield plain_record(record, source, number) or _from_record(record, source, number)
        except InputError as exc:
            yield ReadProblem(source, number, exc.detail)
        except _Bad as exc:
            yield ReadProblem(source, number, str(exc))
