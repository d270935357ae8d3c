"""Running a mock app on a real socket: :class:`MockServer` (tests, the pytest plugin) and the
helpers the CLI's foreground server uses. The machinery lives in ``contracts._serving``."""

from __future__ import annotations

from .._serving import ThreadedServer, bind, serve_foreground, uvicorn_config

__all__ = ["MockServer", "bind", "serve_foreground", "uvicorn_config"]


class MockServer(ThreadedServer):
    """A mock app served on a loopback port in a daemon thread.

    ``with MockServer(app) as server: httpx.get(server.url + "/voice/v1/...")``.
    """

    label = "mock server"
