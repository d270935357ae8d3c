"""The ``Prefer`` request header on the mocks (RFC 7240, read the way Stoplight Prism reads
it): ``code=N`` and ``example=NAME`` force one documented answer of an operation. Only a
request that carries the header comes here; the app reads it with one dict lookup.
"""

from __future__ import annotations

import http
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .._media import is_json_media
from ..specs import Located, Operation
from ._vendor import Call, Handler, Reply, Vendor, clip

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..validation import Validator

__all__ = ["PROBLEM_TYPE", "PreferError", "Preference", "Preferred", "parse_prefer"]

PROBLEM_TYPE = "urn:scribe-contracts:mock:prefer"
"""The problem ``type`` of a refused preference; a suffix names the reason (``:malformed``,
``:undocumented-code``, ``:unknown-example``, ``:example-mismatch``, ``:unsupported``)."""

_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WS = " \t"
_ERROR_CODES = {400: "bad_request", 401: "authentication_failed", 403: "forbidden",
                404: "not_found", 409: "conflict", 410: "gone", 422: "validation_error",
                429: "rate_limited", 500: "internal_error", 503: "unavailable"}


class PreferError(Exception):
    """A preference the mock will not apply: answered 400 as ``application/problem+json``."""

    def __init__(self, reason: str, title: str, detail: str):
        super().__init__(detail)
        self.reason, self.title, self.detail = reason, title, detail

    def reply(self) -> Reply:
        return Reply(400, {"type": f"{PROBLEM_TYPE}:{self.reason}", "title": self.title,
                           "detail": self.detail},
                     {"content-type": "application/problem+json",
                      "x-contracts-mock-error": "prefer"})


@dataclass(frozen=True, slots=True)
class Preference:
    """The preferences of a request this mock acts on (others are ignored, as RFC 7240 lets
    a server do)."""

    code: int | None = None
    example: str | None = None


def _cut(text: str) -> str:
    """A token of the request, cut to a readable length for an error message."""
    return text if len(text) <= 60 else text[:60] + "…"


def _token(text: str, i: int) -> int:
    j = i
    while j < len(text) and text[j] in _TCHAR:
        j += 1
    return j


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _word(text: str, i: int) -> tuple[str, int] | None:
    """A token or a quoted-string starting at ``i``: its value and where it ends."""
    if i < len(text) and text[i] == '"':
        out, j = [], i + 1
        while j < len(text):
            c = text[j]
            if c == "\\" and j + 1 < len(text):
                out.append(text[j + 1])
                j += 2
            elif c == '"':
                return "".join(out), j + 1
            else:
                out.append(c)
                j += 1
        return None  # unterminated
    j = _token(text, i)
    return (text[i:j], j) if j > i else None


def _preferences(text: str) -> list[tuple[str, str | None]]:
    """``1#preference`` of RFC 7240 section 2 as (lower-case name, value); parameters after
    ``;`` are read and dropped (no preference this mock acts on takes any)."""
    found: list[tuple[str, str | None]] = []
    i = 0
    while True:
        while i < len(text) and (text[i] in _WS or text[i] == ","):
            i += 1
        if i >= len(text):
            return found
        end = _token(text, i)
        if end == i:
            raise ValueError(f"expected a preference name at {clip(text[i:])}")
        name, value, i = text[i:end].lower(), None, _skip(text, end)
        if i < len(text) and text[i] == "=":
            word = _word(text, _skip(text, i + 1))
            if word is None:
                raise ValueError(f"{_cut(name)}= has no value (a token or a quoted string)")
            value, i = word[0], _skip(text, word[1])
        while i < len(text) and text[i] == ";":
            i = _skip(text, i + 1)
            end = _token(text, i)
            if end == i:
                continue  # an empty parameter is allowed by the grammar
            i = _skip(text, end)
            if i < len(text) and text[i] == "=":
                word = _word(text, _skip(text, i + 1))
                if word is None:
                    raise ValueError(f"a parameter of {_cut(name)} has no value")
                i = _skip(text, word[1])
        if i < len(text) and text[i] != ",":
            raise ValueError(f"unexpected {clip(text[i:])} after the {_cut(name)} preference")
        found.append((name, value))


def parse_prefer(text: str, documented: str = "") -> Preference | None:
    """The ``code`` and ``example`` preferences of a ``Prefer`` value; None when it holds
    neither (only preferences this mock ignores). Raises :class:`PreferError`."""
    try:
        items = _preferences(text)
    except ValueError as exc:
        raise PreferError("malformed", "Malformed Prefer header",
                          f"could not read Prefer: {clip(text)} ({exc}); {documented}") from None
    code: int | None = None
    example: str | None = None
    seen: set[str] = set()
    for name, value in items:
        if name in seen:
            continue  # RFC 7240 section 2: only the first instance of a preference counts
        seen.add(name)
        if name == "code":
            if value is None or not re.fullmatch(r"[1-5][0-9][0-9]", value):
                raise PreferError("malformed", "Malformed Prefer header",
                                  f"code must be a three-digit HTTP status (100-599), not "
                                  f"{'nothing' if value is None else clip(value)}; "
                                  f"{documented}")
            code = int(value)
        elif name == "example":
            if not value:
                raise PreferError("malformed", "Malformed Prefer header",
                                  f"example needs the name of one of the spec's examples; "
                                  f"{documented}")
            example = value
        elif name == "dynamic":
            if (value or "").lower() == "true":
                raise PreferError("unsupported", "Prefer dynamic=true is not supported",
                                  "the contracts mock serves no generated (dynamic) bodies; "
                                  "prefer code=N and/or example=NAME instead; " + documented)
            if (value or "").lower() != "false":
                raise PreferError("malformed", "Malformed Prefer header",
                                  f"dynamic must be true or false, not {clip(value)}; "
                                  f"{documented}")
    if code is None and example is None:
        return None
    return Preference(code, example)


def _quoted(value: str) -> str:
    return value if value and all(c in _TCHAR for c in value) else \
        '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class _Response:
    """One documented response of an operation, as far as the mock needs it."""

    key: str
    node: Located
    media: Located | None  # the JSON media type the mock serves
    examples: tuple[tuple[str, Any], ...]
    headers: tuple[tuple[str, Located], ...]

    def example(self, name: str) -> Any:
        return next(value for n, value in self.examples if n == name)


def _status_of(key: str) -> int:
    """The status an ``example=`` preference answers with when its response is a range."""
    if key.isdigit():
        return int(key)
    if key[:1] in "12345" and key[1:].upper() == "XX":
        return int(key[0]) * 100
    return 500  # "default": the mock has nothing better to go on


class Preferred:
    """What one operation documents, read once (on its first request with a Prefer header),
    and the preferred answers built from it. The rules:

    - ``code=N`` answers the response documented for N (the exact status, else its ``NXX`` range,
      else ``default``); ``example=NAME`` alone answers the response holding that example (a range
      with its ``N00``); together, NAME must be an example of N's response.
    - The body is the named example as the spec gives it. Without ``example=`` it is the first
      candidate our own strict check passes for this very request (schema, undocumented fields,
      invariants, the request's query): the spec's examples in order, the vendor's error body, the
      operation's handler run on a scratch copy of the state, a body built from the schema; the
      first candidate when none passes. So ``code=200`` passes over Upheal's ``getSession-200`` and
      ``getSession-200-done`` and Heidi's ``listLinkedUserSessions-200``, whose documented
      warnings the specs keep on purpose; naming one still serves it.
    - Documented response headers are sent (their example, or a value from their schema); a 429
      carries ``Retry-After: 1`` as the injected faults do. ``Preference-Applied: code=N`` (with
      ``example=NAME`` when the body is a spec example) can be sent back as ``Prefer`` to repeat
      the answer.
    - Stateless: nothing is created, polled, advanced or sent as a web-hook.
    - Order: ``error_rate`` faults first, as for every answer; then credentials, then request
      validation, and a request failing either keeps the vendor's answer (a malformed Prefer
      included) unless it prefers exactly that status; then the preference. ``drift`` applies to
      a preferred 2xx as to any.
    - Refused (400 ``application/problem+json``, ``x-contracts-mock-error: prefer``, a detail
      naming the operation's statuses or the status's examples): a malformed value, an
      undocumented code, an unknown example, an example of another status, ``dynamic=true``.
      Other preferences (``respond-async``, ``return=minimal``, ``wait``, ``dynamic=false``) are
      ignored, as RFC 7240 lets a server; of a preference given twice the first counts.
    """

    def __init__(self, vendor: Vendor, operation: Operation, handler: Handler,
                 validator: Validator):
        self.vendor, self.operation, self.validator = vendor, operation, validator
        self.handler = handler
        spec = vendor.spec
        responses: list[_Response] = []
        for key in operation.node.value.get("responses") or {}:
            node = spec.resolve(operation.node.child("responses", key))
            content = node.value.get("content") or {}
            media_type = next((m for m in content if _json(m)), None)
            media = node.child("content", media_type) if media_type is not None else None
            examples: list[tuple[str, Any]] = []
            if media is not None:
                for name in media.value.get("examples") or {}:
                    example = spec.resolve(media.child("examples", name)).value
                    if isinstance(example, dict) and "value" in example:
                        examples.append((str(name), example["value"]))
                if not examples and "example" in media.value:
                    examples.append(("example", media.value["example"]))
            headers = tuple((str(name), spec.resolve(node.child("headers", name)))
                            for name in node.value.get("headers") or {}
                            if str(name).lower() != "content-type")
            responses.append(_Response(str(key), node, media, tuple(examples), headers))
        self.responses = responses
        self.by_key = {r.key: r for r in responses}

    # -- choosing ------------------------------------------------------------------------
    @property
    def documented(self) -> str:
        return f"{self.operation.operation_id} documents " + ", ".join(
            r.key for r in self.responses)

    def _names(self, response: _Response) -> str:
        names = [n for n, _ in response.examples]
        return (f"its {response.key} examples: {', '.join(names)}" if names else
                f"its {response.key} response has no named examples")

    def _key_for(self, code: int) -> _Response | None:
        text = str(code)
        for key in (text, f"{text[0]}XX", f"{text[0]}xx", "default"):
            if key in self.by_key:
                return self.by_key[key]
        return None

    def resolve(self, preference: Preference) -> tuple[int, _Response, str | None]:
        """(status, documented response, example name or None); raises PreferError."""
        op = self.operation.operation_id
        if preference.code is not None:
            response = self._key_for(preference.code)
            if response is None:
                raise PreferError("undocumented-code", "Undocumented status in Prefer",
                                  f"{op} documents no response for status {preference.code}; "
                                  f"it documents: {', '.join(r.key for r in self.responses)}")
            name = preference.example
            if name is not None and name not in {n for n, _ in response.examples}:
                owner = next((r.key for r in self.responses
                              if name in {n for n, _ in r.examples}), None)
                if owner is None:
                    raise PreferError("unknown-example", "Unknown example in Prefer",
                                      f"{op} has no example {clip(name)}; "
                                      f"{self._names(response)}")
                raise PreferError("example-mismatch", "Prefer example does not match the code",
                                  f"{clip(name)} is an example of {op}'s {owner} response, not of "
                                  f"its {response.key} response (code={preference.code}); "
                                  f"{self._names(response)}")
            return preference.code, response, name
        name = preference.example
        assert name is not None
        for response in self.responses:
            if name in {n for n, _ in response.examples}:
                return _status_of(response.key), response, name
        listed = "; ".join(
            f"{r.key}: {', '.join(n for n, _ in r.examples)}" for r in self.responses
            if r.examples) or "none"
        raise PreferError("unknown-example", "Unknown example in Prefer",
                          f"{op} has no example {clip(name)}; its examples are {listed} "
                          f"(statuses: {', '.join(r.key for r in self.responses)})")

    # -- answering -----------------------------------------------------------------------
    def answer(self, call: Call, url: str, status: int, response: _Response,
               example: str | None) -> Reply:
        """The preferred answer. A named example is served as the spec gives it; otherwise
        the first candidate our own strict check passes for this very request (the spec's
        examples in order, the vendor's error body, the handler's answer, a body built
        from the schema), or the first candidate when none passes."""
        headers = self._headers(response)
        if status == 429:
            headers.setdefault("retry-after", "1")  # as the injected 429 faults carry it
        if example is not None:
            return Reply(status, response.example(example),
                         {**headers, "preference-applied": self._applied(status, example)})
        first: tuple[Reply, str | None] | None = None
        for reply, name in self._candidates(call, status, response):
            reply = Reply(status, reply.body, {**headers, **reply.headers})
            if first is None:
                first = (reply, name)
            if self._clean(call, url, reply):
                break
        else:
            assert first is not None  # the schema candidate is always there
            reply, name = first
        return replace(reply, headers={**reply.headers,
                                       "preference-applied": self._applied(status, name)})

    @staticmethod
    def _applied(status: int, example: str | None) -> str:
        # The value can be sent back as Prefer to get the same answer again.
        return f"code={status}" + (f", example={_quoted(example)}" if example else "")

    def _candidates(self, call: Call, status: int, response: _Response
                    ) -> Iterator[tuple[Reply, str | None]]:
        for name, value in response.examples:
            yield Reply(status, value), name
        if response.media is None or "schema" not in response.media.value:
            yield Reply(status, None), None
            return
        vendor = self.vendor
        if status >= 400:
            for reply in self._vendor_errors(call, status):
                yield reply, None
        with vendor.lock:
            scratch = vendor.scratch()
        with scratch.lock:
            answered = self.handler(scratch, call)
        if answered.status == status:
            yield answered, None
        schema = response.media.child("schema")
        for full in (True, False):
            yield Reply(status, synthesize(vendor.spec.resolve, schema, full=full)), None

    def _vendor_errors(self, call: Call, status: int) -> Iterator[Reply]:
        vendor = self.vendor
        unauthorized = vendor.unauthorized(call)
        if unauthorized.status == status:
            yield unauthorized
        if status in (400, 422, vendor.bad_request_status):
            from ..findings import Violation

            problem = Violation(code="request.body.schema",
                                message="answer forced by the Prefer header",
                                api=vendor.api, operation=call.operation,
                                location="request.body", pointer="")
            yield vendor.bad_request(call, [problem])
        phrase = _phrase(status)
        yield vendor.error(status, _ERROR_CODES.get(status) or
                           re.sub(r"\W+", "_", phrase.lower()).strip("_"), phrase)

    def _clean(self, call: Call, url: str, reply: Reply) -> bool:
        headers = {**reply.headers}
        if reply.body is not None:
            headers["content-type"] = "application/json"
        violations = self.validator.iter_response_violations(
            call.method, url, reply.status, reply.body, headers=headers, strict=True,
            operation=self.operation.operation_id, query=call.query)
        return next(iter(violations), None) is None

    def _headers(self, response: _Response) -> dict[str, str]:
        """Every header the response documents, with its example or a value from its schema."""
        out: dict[str, str] = {}
        for name, node in response.headers:
            value = node.value.get("example")
            if value is None and node.value.get("examples"):
                first = next(iter(node.value["examples"].values()))
                value = first.get("value") if isinstance(first, dict) else None
            if value is None and "schema" in node.value:
                value = synthesize(self.vendor.spec.resolve, node.child("schema"))
            if value is None:
                continue
            out[name.lower()] = ("true" if value is True else "false" if value is False
                                 else str(value))
        return out


def _json(media_type: str) -> bool:
    return is_json_media(media_type)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return f"Status {status}"


# -- a body from a schema (the last resort) ---------------------------------------------------

_FORMATS = {"date-time": "2026-01-05T09:00:00Z", "date": "2026-01-05", "time": "09:00:00Z",
            "uuid": "00000000-0000-4000-8000-000000000000", "uri": "https://example.com/synthetic",
            "url": "https://example.com/synthetic", "email": "test@example.com",
            "uri-reference": "https://example.com/synthetic"}


_MISSING = object()


def _given(value: Mapping[str, Any]) -> Any:
    """The value the schema itself offers (const, default, an example, the first enum)."""
    for key in ("const", "default", "example"):
        if key in value:
            return value[key]
    if value.get("examples"):
        return value["examples"][0]
    if value.get("enum"):
        return value["enum"][0]
    return _MISSING


def _scalar(kind: Any, value: Mapping[str, Any]) -> Any:
    if kind == "string":
        text = _FORMATS.get(str(value.get("format")), "synthetic")
        return text.ljust(int(value.get("minLength") or 0), "x")
    if kind in ("integer", "number"):
        low = value.get("minimum", value.get("exclusiveMinimum", -1) + 1)
        return max(int(low), 0) if kind == "integer" else max(float(low), 0.0)
    if kind == "boolean":
        return False
    return None


def synthesize(resolve: Callable[[Located], Located], schema: Located, *, full: bool = False,
               depth: int = 0) -> Any:
    """A small value for the schema: every property and one item per array (``full``) or
    the required ones and minimum sizes; null where allowed, the first enum value or branch,
    ``allOf`` parts merged under the schema's own properties. Not a generator: our validator
    checks the result."""
    node = resolve(schema)
    value = node.value
    if depth > 12 or not isinstance(value, Mapping):
        return None
    given = _given(value)
    if given is not _MISSING:
        return given

    def part(*tokens: str | int) -> Any:
        return synthesize(resolve, node.child(*tokens), full=full, depth=depth + 1)

    kind = value.get("type")
    if isinstance(kind, list):
        if "null" in kind:
            return None
        kind = kind[0] if kind else None
    merged: dict[str, Any] | None = None
    for i in range(len(value.get("allOf") or [])):
        piece = part("allOf", i)
        if isinstance(piece, dict):
            merged = {**(merged or {}), **piece}
        elif "properties" not in value:
            return piece
    if merged is None and "properties" not in value:
        branch = next((key for key in ("oneOf", "anyOf") if value.get(key)), None)
        if branch is not None:
            return part(branch, 0)
    if kind == "object" or merged is not None or "properties" in value:
        properties = value.get("properties") or {}
        names = list(properties) if full else [
            *(value.get("required") or []), *(k for k in merged or {} if k in properties)]
        return {**(merged or {}), **{name: part("properties", name)
                                    for name in names if name in properties}}
    if kind == "array":
        count = max(int(value.get("minItems") or 0), int(full))
        return [part("items")] * count if count and "items" in value else []
    return _scalar(kind, value)
