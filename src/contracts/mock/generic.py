"""A stateless mock of any OpenAPI 3.0/3.1 spec, the way Stoplight Prism mocks one.

For each request: find the documented operation (404 / 405 otherwise), check credentials
are present where the operation requires them (401), validate the request against the spec
(400, or 422 where the operation documents it), then answer with the first documented 2xx
response: its first example, or a body built from its schema. The ``Prefer`` header
(``code=N``, ``example=NAME``) chooses another documented answer, as on the vendor mocks.
Every refusal is ``application/problem+json`` (RFC 9457) with a vendor-neutral ``type``.

A plain ASGI callable: each answer is computed once per (operation, status, example) and
served from a cache afterwards, since nothing here has state.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson

from ..errors import OperationNotFound
from ..findings import Severity
from ..specs import HTTP_METHODS, Located, Operation, Spec, load_spec
from ..validation import Validator
from ._prefer import Preference, PreferError, parse_prefer, synthesize

__all__ = ["PROBLEM_TYPE", "GenericMock", "generic_app"]

PROBLEM_TYPE = "urn:scribe-contracts:mock"
"""Problem ``type`` prefix: ``:not-found``, ``:method-not-allowed``, ``:unauthorized``,
``:invalid-request``, ``:no-response`` (nothing documented to answer with), and the Prefer
refusals of ``urn:scribe-contracts:mock:prefer:*``."""

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


def _problem(status: int, kind: str, title: str, detail: str,
             extra: Mapping[str, Any] | None = None) -> _Answer:
    body = {"type": f"{PROBLEM_TYPE}:{kind}", "title": title, "status": status,
            "detail": detail, **(extra or {})}
    return _answer(status, body, "application/problem+json", {"x-contracts-mock-error": kind})


def _answer(status: int, body: Any, media_type: str | None,
            headers: Mapping[str, str] | None = None) -> _Answer:
    raw = b"" if body is None and media_type is None else orjson.dumps(body)
    pairs = [(k.lower().encode(), str(v).encode()) for k, v in (headers or {}).items()]
    if media_type is not None:
        pairs.append((b"content-type", media_type.encode()))
    pairs.append((b"content-length", str(len(raw)).encode()))
    return _Answer(status, tuple(pairs), raw)


def _json(media_type: str) -> bool:
    base = media_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


class GenericMock:
    """The ASGI app of a stateless mock of ``spec``."""

    def __init__(self, spec: Spec, *, validate_requests: bool = True):
        self.spec = spec
        self.validator = Validator(spec, invariants=False)
        self.validate_requests = validate_requests
        self._answers: dict[tuple[str, str | None, int | None, str | None], _Answer] = {}
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # nothing to start or stop
            while True:
                event = (await receive())["type"]
                await send({"type": f"{event}.complete"})
                if event == "lifespan.shutdown":
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        url = scope["path"] + (f"?{query}" if query else "")
        answer = self.respond(scope["method"], url, headers, body)
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": list(answer.headers)})
        await send({"type": "http.response.body", "body": answer.body})

    # -- the pipeline ------------------------------------------------------------------------
    def respond(self, method: str, url: str, headers: Mapping[str, str], body: bytes
                ) -> _Answer:
        """The answer to one request (also usable without a server)."""
        try:
            match = self.spec.match(method, url)
        except OperationNotFound as exc:
            allowed = self._allowed(url)
            if allowed:
                other = self.spec.match(allowed.split(",")[0], url).operation
                return self._refuse(other, 405, "method-not-allowed", "Method Not Allowed",
                                    f"{exc.wanted} is not documented; allowed: {allowed}")
            return _problem(404, "not-found", "Not Found",
                            f"no documented operation: {exc.wanted}")
        op = match.operation
        missing = self._missing_credentials(op, headers, url)
        if missing:
            return self._refuse(op, 401, "unauthorized", "Unauthorized",
                                f"{op.operation_id} requires credentials: {missing}")
        if self.validate_requests:
            refused = self._invalid(op, method, url, headers, body)
            if refused is not None:
                return refused
        prefer = headers.get("prefer")
        preference = None
        if prefer:
            try:
                preference = parse_prefer(prefer, "")
            except PreferError as exc:
                return _answer(400, exc.reply().body, "application/problem+json",
                               {"x-contracts-mock-error": "prefer"})
        key = (op.operation_id, None, preference.code if preference else None,
               preference.example if preference else None)
        hit = self._answers.get(key)
        if hit is None:
            try:
                hit = self._build(op, preference, url)
            except PreferError as exc:
                return _answer(400, exc.reply().body, "application/problem+json",
                               {"x-contracts-mock-error": "prefer"})
            with self._lock:
                self._answers[key] = hit
        return hit

    def _allowed(self, url: str) -> str:
        """The methods documented for the URL's path ("" when the path is unknown)."""
        found = []
        for method in HTTP_METHODS:
            try:
                self.spec.match(method, url)
            except OperationNotFound:
                continue
            found.append(method.upper())
        return ", ".join(found)

    def _missing_credentials(self, op: Operation, headers: Mapping[str, str], url: str
                             ) -> str | None:
        requirements = op.node.value.get("security", self.spec.document.get("security"))
        if not requirements:
            return None
        schemes = (self.spec.document.get("components") or {}).get("securitySchemes") or {}
        query = dict(parse_qsl(url.partition("?")[2]))
        needed = []
        for requirement in requirements:
            if not isinstance(requirement, dict) or not requirement:
                return None  # `{}`: anonymous access is allowed
            unmet = [name for name in requirement
                     if not _presented(schemes.get(name), headers, query)]
            if not unmet:
                return None
            needed.append(" and ".join(unmet))
        return " or ".join(needed)

    def _invalid(self, op: Operation, method: str, url: str, headers: Mapping[str, str],
                 body: bytes) -> _Answer | None:
        violations = [v for v in self.validator.iter_request_violations(
            method, url, body or None, headers=headers, operation=op.operation_id)
            if v.severity >= Severity.ERROR]
        if not violations:
            return None
        responses = op.node.value.get("responses") or {}
        status = 422 if "422" in responses else 400
        errors = [{"code": v.code, "location": v.location, "pointer": v.pointer,
                   "message": v.message} for v in violations[:20]]
        detail = (f"the request does not match {op.operation_id} in the spec "
                  f"({len(violations)} problem(s))")
        return self._refuse(op, status, "invalid-request", "Invalid Request",
                            f"{detail}: {errors[0]['message']}", {"errors": errors})

    def _refuse(self, op: Operation | None, status: int, kind: str, title: str, detail: str,
                extra: Mapping[str, Any] | None = None) -> _Answer:
        """A refusal: the error body the operation documents for ``status`` when it documents
        a JSON one (a client under test sees what the API would send; the problem goes in
        ``x-contracts-mock-*`` headers), else the vendor-neutral problem+json."""
        responses = op.node.value.get("responses") or {} if op is not None else {}
        text = str(status)
        documented = next((k for k in (text, f"{text[0]}XX", f"{text[0]}xx", "default")
                           if k in responses), None)
        if op is not None and documented is not None:
            content = self.spec.resolve(op.node.child("responses", documented)).value.get(
                "content") or {}
            if any(_json(m) and "problem" not in m for m in content):
                own = self._build(op, Preference(code=status), self._url_of(op))
                marks = ((b"x-contracts-mock-error", kind.encode()),
                         (b"x-contracts-mock-problem",
                          detail[:500].encode("latin-1", "replace")))
                return _Answer(own.status, (*own.headers, *marks), own.body)
        return _problem(status, kind, title, detail, extra)

    @staticmethod
    def _url_of(op: Operation) -> str:
        return op.path

    # -- building an answer ---------------------------------------------------------------
    def _responses(self, op: Operation) -> list[tuple[str, Located]]:
        return [(str(key), self.spec.resolve(op.node.child("responses", key)))
                for key in op.node.value.get("responses") or {}]

    def _build(self, op: Operation, preference: Preference | None, url: str) -> _Answer:
        responses = self._responses(op)
        chosen = self._choose(op, responses, preference)
        if chosen is None:
            return _problem(500, "no-response", "No documented response",
                            f"{op.operation_id} documents no response to mock")
        status, _key, response, example = chosen
        content = response.value.get("content") or {}
        media_type = next((m for m in content if _json(m)), next(iter(content), None))
        headers = self._headers(response)
        if preference is not None:
            headers["preference-applied"] = f"code={status}" + (
                f', example="{example}"' if example else "")
        if media_type is None:
            return _answer(status, None, None, headers)
        media = response.child("content", media_type)
        examples = self._examples(media)
        if example is not None:
            return _answer(status, dict(examples)[example], media_type, headers)
        candidates = [value for _name, value in examples]
        if "schema" in media.value:
            schema = media.child("schema")
            candidates += [synthesize(self.spec.resolve, schema, full=True),
                           synthesize(self.spec.resolve, schema)]
        if not candidates:
            return _answer(status, None, media_type, headers)
        for candidate in candidates:  # the first one our own validator passes
            if not any(v.severity >= Severity.ERROR for v in
                       self.validator.iter_response_violations(
                           op.method, url, status, candidate,
                           headers={"content-type": media_type}, operation=op.operation_id)):
                return _answer(status, candidate, media_type, headers)
        return _answer(status, candidates[0], media_type, headers)

    def _choose(self, op: Operation, responses: list[tuple[str, Located]],
                preference: Preference | None) -> tuple[int, str, Located, str | None] | None:
        by_key = dict(responses)
        if preference is None or (preference.code is None and preference.example is None):
            for key, node in sorted(responses, key=lambda r: r[0]):
                if key[:1] == "2":
                    return _status(key), key, node, None
            return (_status(responses[0][0]), *responses[0], None) if responses else None
        documented = ", ".join(by_key) or "nothing"
        if preference.code is not None:
            text = str(preference.code)
            found = next((k for k in (text, f"{text[0]}XX", f"{text[0]}xx", "default")
                          if k in by_key), None)
            if found is None:
                raise PreferError("undocumented-code", "Undocumented status in Prefer",
                                  f"{op.operation_id} documents no response for status "
                                  f"{preference.code}; it documents: {documented}")
            name = preference.example
            if name is not None and name not in self._names(by_key[found]):
                raise PreferError("unknown-example", "Unknown example in Prefer",
                                  f"{op.operation_id}'s {found} response has no example "
                                  f"{name!r}")
            return preference.code, found, by_key[found], name
        for key, node in responses:
            if preference.example in self._names(node):
                return _status(key), key, node, preference.example
        raise PreferError("unknown-example", "Unknown example in Prefer",
                          f"{op.operation_id} has no example {preference.example!r}")

    def _names(self, response: Located) -> set[str]:
        content = response.value.get("content") or {}
        return {name for media_type in content
                for name, _ in self._examples(response.child("content", media_type))}

    def _examples(self, media: Located) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for name in media.value.get("examples") or {}:
            example = self.spec.resolve(media.child("examples", name)).value
            if isinstance(example, dict) and "value" in example:
                out.append((str(name), example["value"]))
        if not out and "example" in media.value:
            out.append(("example", media.value["example"]))
        return out

    def _headers(self, response: Located) -> dict[str, str]:
        out: dict[str, str] = {}
        for name in response.value.get("headers") or {}:
            if str(name).lower() == "content-type":
                continue
            node = self.spec.resolve(response.child("headers", name))
            value = node.value.get("example")
            if value is None and "schema" in node.value:
                value = synthesize(self.spec.resolve, node.child("schema"))
            if value is not None:
                out[str(name).lower()] = ("true" if value is True else "false"
                                          if value is False else str(value))
        return out


def _status(key: str) -> int:
    if key.isdigit():
        return int(key)
    if key[:1] in "12345" and key[1:].upper() == "XX":
        return int(key[0]) * 100
    return 200 if key == "default" else 500


def _presented(scheme: Any, headers: Mapping[str, str], query: Mapping[str, str]) -> bool:
    """Whether a request carries the credential a security scheme asks for (any value)."""
    if not isinstance(scheme, dict):
        return True  # lint reports an undefined scheme; the mock does not guess
    kind = scheme.get("type")
    if kind == "apiKey":
        name = str(scheme.get("name", "")).lower()
        where = scheme.get("in")
        if where == "query":
            return name in {k.lower() for k in query}
        if where == "cookie":
            return f"{name}=" in headers.get("cookie", "").lower()
        return name in headers
    if kind == "http":
        value = headers.get("authorization", "")
        wanted = str(scheme.get("scheme", "")).lower()
        return value.lower().startswith(wanted + " ") if wanted else bool(value)
    if kind in ("oauth2", "openIdConnect"):
        return headers.get("authorization", "").lower().startswith("bearer ")
    return True  # mutualTLS and others: not visible at this layer


def generic_app(spec: Spec | str, *, validate_requests: bool = True) -> GenericMock:
    """A stateless mock of any spec (a path, a bundled name or a loaded Spec)."""
    return GenericMock(spec if isinstance(spec, Spec) else load_spec(spec),
                       validate_requests=validate_requests)



def serve_spec(spec: Spec | str, *, host: str = "127.0.0.1", port: int = 0,
               on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the mock of ``spec`` in the foreground until interrupted; ``on_ready(base_url)``
    is called once the server serves (the URL includes the spec's first server path)."""
    from .._serving import bind, root_url, serve_foreground, uvicorn_config

    application = generic_app(spec)
    sock = bind(host, port)
    server = next(iter(application.spec.server_paths), "/")
    url = root_url(host, sock.getsockname()[1]) + ("" if server == "/" else server)
    serve_foreground(uvicorn_config(application), sock,
                     None if on_ready is None else lambda: on_ready(url))
