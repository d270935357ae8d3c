"""Recording traffic from a test suite: every httpx/requests exchange, redacted, appended as
one line of our JSON Lines log as soon as it completes; and the conversion of a client's
response into an :class:`~contracts.exchanges.Exchange`.

The recorder wraps ``httpx.Client.send``, ``httpx.AsyncClient.send`` and
``requests.Session.send`` while it is open (Starlette's TestClient is an ``httpx.Client``);
httpx and requests are imported only if installed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import IO, Any

from ._exchange import Exchange
from .exchanges import write_exchanges
from .redaction import Redactor

__all__ = ["Recorder", "api_of_url", "body_was_read", "exchange_from"]


class Recorder:
    """Writes every httpx/requests exchange to ``fh`` (JSON Lines, redacted) until closed.

    ``api_of`` names the API of a URL (or None); the recorder owns ``fh`` and closes it.
    """

    def __init__(self, fh: IO[bytes], *, api_of: Callable[[str], str | None] = lambda _: None,
                 redactor: Redactor | None = None):
        self._fh: IO[bytes] | None = fh
        self._api_of = api_of
        self._redactor = redactor if redactor is not None else Redactor()
        self._lock = threading.Lock()
        self.count = 0
        self._undo: list[Callable[[], None]] = []
        self._patch_httpx()
        self._patch_requests()

    def add(self, exchange: Exchange) -> None:
        api = self._api_of(exchange.url)
        if api is not None:
            exchange = replace(exchange, api=api)
        with self._lock:
            if self._fh is None:
                return
            self.count += write_exchanges(self._fh, [exchange], redactor=self._redactor)
            self._fh.flush()

    def close(self) -> None:
        while self._undo:
            self._undo.pop()()
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None

    def _patch_httpx(self) -> None:
        try:
            import httpx
        except ImportError:
            return
        sync_send, async_send = httpx.Client.send, httpx.AsyncClient.send
        recorder = self

        def send(client: Any, request: Any, **kwargs: Any) -> Any:
            try:
                response = sync_send(client, request, **kwargs)
            except Exception:
                recorder.add(exchange_from(request, None))
                raise
            recorder.add(exchange_from(request, response))
            return response

        async def asend(client: Any, request: Any, **kwargs: Any) -> Any:
            try:
                response = await async_send(client, request, **kwargs)
            except Exception:
                recorder.add(exchange_from(request, None))
                raise
            recorder.add(exchange_from(request, response))
            return response

        httpx.Client.send = send  # type: ignore[method-assign,assignment]
        httpx.AsyncClient.send = asend  # type: ignore[method-assign,assignment]

        def undo() -> None:
            httpx.Client.send = sync_send  # type: ignore[method-assign]
            httpx.AsyncClient.send = async_send  # type: ignore[method-assign]

        self._undo.append(undo)

    def _patch_requests(self) -> None:
        try:
            import requests
        except ImportError:
            return
        original = requests.Session.send
        recorder = self

        def send(session: Any, request: Any, **kwargs: Any) -> Any:
            try:
                response = original(session, request, **kwargs)
            except Exception:
                recorder.add(exchange_from(request, None))
                raise
            recorder.add(exchange_from(request, response))
            return response

        requests.Session.send = send  # type: ignore[method-assign,assignment]

        def undo() -> None:
            requests.Session.send = original  # type: ignore[method-assign]

        self._undo.append(undo)


def exchange_from(request: Any, response: Any | None) -> Exchange:
    """Duck-typed over httpx and requests: both have ``method``, ``url``, ``headers``."""
    status = getattr(response, "status_code", None) if response is not None else None
    return Exchange(
        method=str(request.method),
        url=str(request.url),
        status=status,
        request_headers=dict(request.headers.items()),
        request_body=_request_body(request),
        response_headers=dict(response.headers.items()) if response is not None else {},
        response_body=_response_body(response) if response is not None else None,
        time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )


def _request_body(request: Any) -> bytes | str | None:
    try:
        body = request.content if hasattr(request, "content") else getattr(request, "body", None)
    except Exception:  # noqa: BLE001 - httpx RequestNotRead: a streamed body is not kept
        return None
    return body if isinstance(body, bytes | str) and body else None


def body_was_read(response: Any) -> bool:
    """Whether the body is in memory: never read a stream the test has not read itself."""
    if hasattr(response, "is_stream_consumed"):  # httpx
        return hasattr(response, "_content")
    return getattr(response, "_content", False) is not False  # requests


def _response_body(response: Any) -> bytes | None:
    # A streamed response the test has not read is recorded without its body.
    if not body_was_read(response):
        return None
    body = response.content
    return bytes(body) if body else None


def api_of_url(origins: Mapping[str, str], url: str) -> str | None:
    for base, api in sorted(origins.items(), key=lambda item: -len(item[0])):
        if url == base or url.startswith(base.rstrip("/") + "/"):
            return api
    return None
