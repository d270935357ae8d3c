"""Serving an ASGI app on a real socket with uvicorn: in a background thread (tests, pytest
sessions) or, through the callers, in the foreground. Binds 127.0.0.1 unless told otherwise.

One home for what the mock servers and the recording proxy share.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal

from .errors import ContractsError

__all__ = ["ThreadedServer", "bind", "root_url", "serve_foreground", "uvicorn_config"]


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (``port`` 0 picks a free one); ContractsError when it cannot bind."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets that say TCP, and
    # without it every answer written in two parts waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ContractsError(f"cannot listen on {host}:{port} ({exc.strerror})",
                             hint="pick another --port, or 0 for a free one") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def root_url(host: str, port: int) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def uvicorn_config(app: Any, *, lifespan: Literal["auto", "on", "off"] = "off",
                   fast_loop: bool = True) -> Any:
    """A quiet uvicorn config using the fastest available HTTP parser (and loop).

    No Server or Date header of our own: a mock answers as the vendor would, and the proxy's
    client sees the upstream's headers only.
    """
    import importlib.util

    import uvicorn

    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if fast_loop and importlib.util.find_spec("uvloop") else "asyncio"
    return uvicorn.Config(app, http=http, loop=loop, log_level="warning", access_log=False,
                          lifespan=lifespan, server_header=False, date_header=False)


def serve_foreground(config: Any, sock: socket.socket,
                     on_ready: Callable[[], None] | None = None) -> None:
    """Serve ``config``'s app on ``sock`` in this thread until interrupted (Ctrl-C returns
    normally), then close it.

    ``on_ready()`` runs once uvicorn has started serving, which is after it has taken over
    Ctrl-C: whoever reads the announcement and interrupts at once gets uvicorn's orderly
    shutdown, never a ``KeyboardInterrupt`` raised while uvicorn is still loading.
    """
    import uvicorn

    class _Announcing(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and on_ready is not None:
                on_ready()

    try:
        # uvicorn re-raises the Ctrl-C it handled once it has shut down: that is the answer.
        with contextlib.suppress(KeyboardInterrupt):
            _Announcing(config).run(sockets=[sock])
    finally:
        sock.close()


class ThreadedServer:
    """An ASGI app served on a (loopback by default) port in a daemon thread.

    ``with ThreadedServer(app) as server: httpx.get(server.url + "/...")``.
    """

    label = "server"

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self.host = host
        self._sock = bind(host, port)
        self.port: int = self._sock.getsockname()[1]
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return root_url(self.host, self.port)

    def config(self) -> Any:
        return uvicorn_config(self.app)

    def start(self) -> Any:
        import uvicorn

        self._server = uvicorn.Server(self.config())
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True,
            name=f"contracts-{self.label.replace(' ', '-')}-{self.port}")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ContractsError(f"the {self.label} on {self.url} did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
