"""A recording proxy: forwards traffic to the real vendor, validates both directions as it
goes, and appends redacted exchanges to a JSON Lines log (see ``docs/proxy.md``).

``proxy_app(api, upstream, record=path)`` is an ASGI app; ``ProxyServer(app).start()`` runs it
on a loopback port in a thread, ``serve(app)`` in the foreground. The client's request goes to
``upstream`` + the same path and query, unchanged except for hop-by-hop headers (the
``Authorization`` header is the user's token to the vendor and is passed on; it is never
logged or recorded); the upstream's answer comes back unchanged. A request that breaks the
contract is still forwarded, and reported. Redaction happens before anything is written, with
:class:`~contracts.redaction.Redactor` (on by default; credentials always).
"""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from ._serving import ThreadedServer, bind, root_url, serve_foreground, uvicorn_config
from .errors import ContractsError, OperationNotFound, UsageError
from .exchanges import MAX_INFLATED_BYTES, Exchange
from .findings import Severity, Violation

if TYPE_CHECKING:
    import httpx

    from .redaction import Redactor
    from .specs import Spec
    from .validation import Validator

__all__ = [
    "MAX_INFLATED_BYTES",
    "MAX_REQUEST_BYTES",
    "MAX_RESPONSE_BYTES",
    "ProxyApp",
    "ProxyServer",
    "ProxyStats",
    "UpstreamError",
    "is_loopback",
    "proxy_app",
    "serve",
]

MAX_REQUEST_BYTES = 32 * 1024 * 1024
"""A request body larger than this is refused with 413 (and not forwarded)."""
MAX_RESPONSE_BYTES = 128 * 1024 * 1024
"""An upstream answer larger than this becomes a 502 (the proxy holds each answer whole)."""
SHUTDOWN_SECONDS = 1.0
"""After Ctrl-C, exchanges still open are cancelled after this long."""

# RFC 9110 section 7.6.1: meaningful for one connection only, never forwarded.
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade",
})

Callback = Callable[[Violation], None]
ErrorCallback = Callable[[str], None]


class UpstreamError(ContractsError):
    """The upstream could not be reached or did not answer properly (no response to pass on)."""


@dataclass
class ProxyStats:
    """What the proxy saw: exchanges forwarded, violations by code, failures."""

    exchanges: int = 0
    recorded: int = 0
    upstream_errors: int = 0
    record_errors: int = 0
    violations: Counter[str] = field(default_factory=Counter)
    severities: Counter[Severity] = field(default_factory=Counter)

    def summary(self) -> str:
        """One line (plus one per violation code, most frequent first)."""
        total = sum(self.violations.values())
        head = (f"{self.exchanges} exchange(s), {self.recorded} recorded, {total} "
                f"violation(s)")
        if self.upstream_errors:
            head += f", {self.upstream_errors} upstream failure(s)"
        if self.record_errors:
            head += f", {self.record_errors} exchange(s) not recorded"
        lines = [head]
        lines.extend(f"  {count:>5}  {code}" for code, count in
                     sorted(self.violations.items(), key=lambda kv: (-kv[1], kv[0])))
        return "\n".join(lines)


class _Recorder:
    """Appends redacted exchanges to a log: one writer, one line per exchange, flushed."""

    def __init__(self, path: str | Path, redactor: Redactor | None):
        from .redaction import Redactor

        self.path = Path(path)
        self.redactor = redactor if redactor is not None else Redactor()
        self._lock = threading.Lock()
        try:
            # A FIFO would block the proxy until someone reads it; a device is not a log.
            if self.path.exists() and not self.path.is_file():
                raise ContractsError("the record file is not a regular file",
                                     source=str(self.path))
            self._fh: IO[bytes] | None = open(self.path, "ab")  # noqa: SIM115 (closed in close)
        except OSError as exc:
            raise ContractsError(f"cannot open the record file ({exc.strerror})",
                                 source=str(self.path)) from None

    def write(self, exchange: Exchange) -> None:
        from .exchanges import write_exchanges

        with self._lock:
            if self._fh is None:
                raise ContractsError("the record file is closed", source=str(self.path))
            write_exchanges(self._fh, [exchange], redactor=self.redactor)
            self._fh.flush()

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _upstream_base(upstream: str) -> str:
    try:
        parts = urlsplit(upstream)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"upstream {upstream!r} is not an http(s) URL",
                         hint="e.g. https://api.eka.care")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise UsageError("the upstream URL must not carry a query, fragment or credentials",
                         hint="pass credentials as headers from your client")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _forwardable(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """Header pairs minus hop-by-hop ones (and those the Connection header names)."""
    pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
    named = {token.strip().lower() for name, value in pairs if name.lower() == "connection"
             for token in value.split(",")}
    return [(k, v) for k, v in pairs if k.lower() not in _HOP_BY_HOP and k.lower() not in named]


def _failure_reason(exc: Exception) -> str:
    """A short, value-free reason (httpx messages may quote the URL and its query)."""
    import httpx

    reasons: tuple[tuple[type[Exception], str], ...] = (
        (httpx.ConnectTimeout, "connection timed out"),
        (httpx.TimeoutException, "timed out"),
        (httpx.ConnectError, "cannot connect"),
        (httpx.RemoteProtocolError, "broke the HTTP protocol"),
        (httpx.DecodingError, "sent a body that cannot be decoded"),
        (httpx.TooManyRedirects, "redirected too often"),
        (httpx.NetworkError, "network error"),
        (httpx.ProxyError, "proxy error"),
        (httpx.UnsupportedProtocol, "unsupported protocol"),
        (httpx.InvalidURL, "the request URL is not valid"),
    )
    for kind, reason in reasons:
        if isinstance(exc, kind):
            return reason
    return type(exc).__name__


class ProxyApp:
    """The ASGI app of the recording proxy (build it with :func:`proxy_app`)."""

    def __init__(self, validator: Validator, upstream: str, *, record: str | Path | None,
                 redactor: Redactor | None, strict: bool, on_violation: Callback | None,
                 on_error: ErrorCallback | None, timeout: float, max_request_bytes: int,
                 max_response_bytes: int, max_inflated_bytes: int = MAX_INFLATED_BYTES):
        import httpx

        self.validator = validator
        self.api = validator.spec.name
        self.upstream = _upstream_base(upstream)
        self._upstream_url = httpx.URL(self.upstream)
        self.strict = strict
        self.on_violation = on_violation
        self.on_error = on_error
        self.timeout = timeout
        self.max_request_bytes = max_request_bytes
        self.max_response_bytes = max_response_bytes
        self.max_inflated_bytes = max_inflated_bytes
        self.stats = ProxyStats()
        self._recorder = _Recorder(record, redactor) if record is not None else None
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    @property
    def record(self) -> Path | None:
        return self._recorder.path if self._recorder is not None else None

    # -- lifecycle ----------------------------------------------------------------------
    def _http(self) -> httpx.AsyncClient:
        import httpx

        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
                follow_redirects=False,  # a redirect is part of the exchange: pass it on
                trust_env=False,  # the user's proxy settings are not the vendor's
                cookies=_no_cookies(),  # cookies belong to the client, never to the proxy
            )
            # httpx adds Accept, Accept-Encoding, Connection and User-Agent to every request;
            # the vendor must see the client's headers, not ours.
            for name in list(self._client.headers):
                del self._client.headers[name]
            self._client_loop = loop
        return self._client

    async def aclose(self) -> None:
        """Close the upstream connections and the record file (idempotent)."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
        self.close_record()

    def close_record(self) -> None:
        if self._recorder is not None:
            self._recorder.close()

    # -- ASGI -----------------------------------------------------------------------------
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "http":
            started = False

            async def tracked(message: Any) -> None:
                nonlocal started
                started = True
                await send(message)

            try:
                await self._http_exchange(scope, receive, tracked)
            except asyncio.CancelledError:
                # Ctrl-C with this exchange still open: the server cancels it after its
                # grace period; the client's connection closes, nothing else to say.
                return
            except Exception as exc:  # noqa: BLE001 - a bug of ours: one line, no traceback
                self._error(f"internal error: {type(exc).__name__}")
                if not started:
                    await _send_json(send, 500, {"error": "proxy_error",
                                                 "message": "contracts proxy: internal error"})
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1003})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http_exchange(self, scope: Any, receive: Any, send: Any) -> None:
        import httpx

        method: str = scope["method"]
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        query = scope.get("query_string", b"")
        if not raw_path.startswith(b"/") or b"#" in raw_path:
            # Origin-form only (RFC 9112 3.2.1): "@other-host:port/path" or an absolute URL
            # must never choose where the client's credentials go.
            await _send_json(send, 400, {"error": "bad_request_target",
                                         "message": "contracts proxy: the request target "
                                                    "must be a path starting with '/'"})
            return
        upstream_url = self._upstream_url.copy_with(
            raw_path=self._upstream_url.raw_path.rstrip(b"/") + raw_path
            + (b"?" + query if query else b""))
        url = str(upstream_url)
        headers = _forwardable(scope["headers"])
        declared = next((v for k, v in headers if k.lower() == "content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_request_bytes:
            await _send_json(send, 413, _too_large(self.max_request_bytes))
            return
        body = await _read_body(receive, self.max_request_bytes)
        if body is None:
            await _send_json(send, 413, _too_large(self.max_request_bytes))
            return
        # Host names the proxy; httpx sets the upstream's (and a length when none was sent).
        sent = [(k, v) for k, v in headers if k.lower() != "host"]
        exchange = Exchange(method=method, url=url, request_headers=_joined(sent),
                            request_body=body or None, api=self.api, time=_now())
        operation = self._operation(method, url)
        if operation is not None:
            exchange = _with(exchange, operation=operation)
        request_violations = await asyncio.to_thread(self._check_request, exchange)
        self._report(request_violations)

        client = self._http()
        try:
            # --timeout bounds the whole exchange, not each read: an upstream that drips a
            # byte at a time cannot hold a request open.
            async with asyncio.timeout(self.timeout):
                request = client.build_request(method, upstream_url, headers=sent,
                                               content=body or None)
                response = await client.send(request, stream=True)
                try:
                    raw, too_big = await _read_upstream(response, self.max_response_bytes)
                finally:
                    await response.aclose()
        except TimeoutError:
            await self._fail(send, exchange, UpstreamError(
                f"{method} upstream {self.upstream} failed: timed out after {self.timeout:g} s"))
            return
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            failure = UpstreamError(f"{method} upstream {self.upstream} failed: "
                                    f"{_failure_reason(exc)}")
            await self._fail(send, exchange, failure)
            return
        if too_big:
            await self._fail(send, exchange, UpstreamError(
                f"{method} upstream {self.upstream} answered with more than "
                f"{self.max_response_bytes} bytes"))
            return

        await self._respond(send, exchange, request_violations, response, raw)

    async def _respond(self, send: Any, exchange: Exchange, request_violations: list[Violation],
                       response: Any, raw: bytes) -> None:
        """Check and record the upstream's answer, then pass it to the client."""
        method = exchange.method
        returned = _forwardable(response.headers.raw)
        out = returned
        if method != "HEAD" and response.status_code not in (204, 304):
            # The body goes out whole, so its length replaces any chunked framing.
            out = [(k, str(len(raw)) if k.lower() == "content-length" else v)
                   for k, v in returned]
            if not any(k.lower() == "content-length" for k, _ in returned):
                out.append(("content-length", str(len(raw))))
        decoded, too_large = _decode(returned, raw, self.max_inflated_bytes)
        exchange = _with(exchange, status=response.status_code,
                         response_headers=_joined(returned),
                         response_body=decoded or None)
        skip = any(v.code == "request.operation.undocumented" for v in request_violations)
        if too_large:
            # Forwarded unchanged, not inflated past the limit: say it went unchecked.
            self._report([Violation(
                code="response.body.too_large", severity=Severity.WARNING, api=self.api,
                operation=exchange.operation or "", location="response.body",
                message=f"the body inflates to more than {self.max_inflated_bytes:,} bytes; "
                        "forwarded unchanged and not validated")])
        elif not skip:
            self._report(await asyncio.to_thread(self._check_response, exchange))
        # Checked and recorded before the client has its answer: once a test suite's last
        # call returns, the log and the counts are complete.
        await self._record(exchange)
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in out]})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else raw})

    # -- the parts ------------------------------------------------------------------------
    def _operation(self, method: str, url: str) -> str | None:
        try:
            return self.validator.spec.match(method, url).operation.operation_id
        except OperationNotFound:
            return None

    def _check_request(self, exchange: Exchange) -> list[Violation]:
        return self._checked("request", lambda: self.validator.iter_request_violations(
            exchange.method, exchange.url, exchange.request_body,
            headers=exchange.request_headers, strict=self.strict,
            operation=exchange.operation))

    def _check_response(self, exchange: Exchange) -> list[Violation]:
        assert exchange.status is not None
        status = exchange.status
        return self._checked("response", lambda: self.validator.iter_response_violations(
            exchange.method, exchange.url, status, exchange.response_body,
            headers=exchange.response_headers, strict=self.strict,
            operation=exchange.operation))

    def _checked(self, side: str, check: Callable[[], Iterable[Violation]]) -> list[Violation]:
        # A check that cannot run must not stop the traffic: say so and pass it on.
        try:
            return list(check())
        except ContractsError as exc:
            self._error(f"could not validate a {side}: {exc}")
            return []

    def _report(self, violations: list[Violation]) -> None:
        for violation in violations:
            self.stats.violations[violation.code] += 1
            self.stats.severities[violation.severity] += 1
            if self.on_violation is not None:
                self.on_violation(violation)

    def _error(self, message: str) -> None:
        if self.on_error is not None:
            self.on_error(message)

    async def _fail(self, send: Any, exchange: Exchange, failure: UpstreamError) -> None:
        self.stats.upstream_errors += 1
        self._error(str(failure))
        await self._record(exchange)  # the request was made: the log shows it, unanswered
        await _send_json(send, 502, {"error": "upstream_failed",
                                     "message": f"contracts proxy: {failure}"})

    async def _record(self, exchange: Exchange) -> None:
        self.stats.exchanges += 1
        if self._recorder is None:
            return
        try:
            await asyncio.to_thread(self._recorder.write, exchange)
        except (OSError, ContractsError) as exc:
            self.stats.record_errors += 1
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            self._error(f"cannot append to {self._recorder.path} ({reason})")
        else:
            self.stats.recorded += 1


def _no_cookies() -> Any:
    """A cookie jar that stores nothing: one client's cookies must not reach another's
    requests (the client sends its own Cookie header, which is forwarded as is)."""
    from http.cookiejar import CookieJar, DefaultCookiePolicy

    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def _with(exchange: Exchange, **changes: Any) -> Exchange:
    from dataclasses import replace

    return replace(exchange, **changes)


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Header pairs as one mapping: names lower case, repeated headers joined (RFC 9110)."""
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _too_large(limit: int) -> dict[str, str]:
    return {"error": "request_too_large",
            "message": f"contracts proxy: request bodies are limited to {limit} bytes"}


async def _read_body(receive: Any, limit: int) -> bytes | None:
    """The whole request body, or None when it is larger than ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _read_upstream(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """The raw (still content-encoded) body, and whether it went over ``limit``."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
    return b"".join(chunks), False


def _decode(headers: list[tuple[str, str]], raw: bytes, limit: int) -> tuple[bytes, bool]:
    """The body as the application sees it (gzip, deflate, br undone, in a stream bounded by
    ``limit``) and whether it inflates past the limit; raw when it cannot be decoded."""
    from .exchanges import TooLarge, decode_content

    encoding = ", ".join(v for k, v in headers if k.lower() == "content-encoding")
    if not raw or not encoding:
        return raw, False
    try:
        return decode_content(raw, encoding, limit=limit), False
    except TooLarge:
        return raw, True
    except ContractsError:
        return raw, False


async def _send_json(send: Any, status: int, body: Mapping[str, Any]) -> None:
    content = orjson.dumps(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(content)).encode())]})
    await send({"type": "http.response.body", "body": content})


def proxy_app(
    api: Spec | str | Validator,
    upstream: str,
    *,
    record: str | Path | None = None,
    redactor: Redactor | None = None,
    strict: bool = False,
    on_violation: Callback | None = None,
    on_error: ErrorCallback | None = None,
    timeout: float = 60.0,
    max_request_bytes: int = MAX_REQUEST_BYTES,
    max_response_bytes: int = MAX_RESPONSE_BYTES,
    max_inflated_bytes: int = MAX_INFLATED_BYTES,
) -> ProxyApp:
    """The recording proxy for ``api`` in front of ``upstream`` (an http(s) URL).

    ``record`` is a JSON Lines log the exchanges are appended to, redacted with ``redactor``
    (default ``Redactor()``: credentials and patient data). ``on_violation`` gets every
    violation (both directions) as it is found; its ``actual`` field may hold a value from the
    traffic, so print ``violation.describe()``, not the record. ``on_error`` gets one line per
    upstream or recording failure. ``strict`` also reports undocumented fields (at info).
    """
    from .validation import validator_for

    if timeout <= 0:
        raise UsageError(f"timeout must be positive, not {timeout}")
    return ProxyApp(validator_for(api), upstream, record=record, redactor=redactor,
                    strict=strict, on_violation=on_violation, on_error=on_error,
                    timeout=timeout, max_request_bytes=max_request_bytes,
                    max_response_bytes=max_response_bytes,
                    max_inflated_bytes=max_inflated_bytes)


# --------------------------------------------------------------------------- running it


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _root(host: str, port: int) -> str:
    return root_url(host, port)


class ProxyServer(ThreadedServer):
    """A proxy app served on a loopback port in a daemon thread (tests, pytest sessions).

    ``with ProxyServer(proxy_app("eka", upstream, record=log)) as proxy: ... proxy.url``.
    """

    label = "proxy"

    def config(self) -> Any:
        # Lifespan on: the app opens and closes its upstream client with the server.
        config = uvicorn_config(self.app, lifespan="on", fast_loop=False)
        config.timeout_graceful_shutdown = SHUTDOWN_SECONDS
        return config

    def stop(self) -> None:
        super().stop()
        self.app.close_record()


def serve(app: ProxyApp, *, host: str = "127.0.0.1", port: int = 0,
          on_ready: Callable[[str], None] | None = None,
          on_warning: Callable[[str], None] | None = None) -> None:
    """Serve the proxy in the foreground until interrupted; ``on_ready(url)`` once serving."""
    if not is_loopback(host) and on_warning is not None:
        on_warning(f"listening on {host}, which is not a loopback address: anyone who can "
                   "reach it can send requests to the upstream through it, and they are "
                   "recorded")
    sock = bind(host, port)
    url = _root(host, sock.getsockname()[1])
    try:
        config = uvicorn_config(app, lifespan="on", fast_loop=False)
        # Ctrl-C must not wait for an exchange with a slow upstream to finish.
        config.timeout_graceful_shutdown = SHUTDOWN_SECONDS
        serve_foreground(config, sock, None if on_ready is None else lambda: on_ready(url))
    finally:
        sock.close()
        app.close_record()
