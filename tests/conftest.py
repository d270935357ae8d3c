"""Shared fixtures: mock servers on loopback ports and a contract check for real responses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from contracts.proxy import ProxyServer, proxy_app


@pytest.fixture(autouse=True, scope="session")
def _parsed_spec_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Parsed specs are cached in a folder of the test run's own, not in the user's
    ~/.cache (the CLI's subprocesses inherit it)."""
    import os

    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture
def cli() -> Callable[..., tuple[int, str, str]]:
    """Run the ``contracts`` CLI in-process: ``code, out, err = cli("lint", "upheal")``.

    Arguments may be paths; stdout and stderr are captured as text.
    """
    import io

    from contracts.cli import run

    def call(*args: object) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = run([str(a) for a in args], stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return call


@pytest.fixture
def mock_server() -> Iterator[Callable[..., Any]]:
    """Start a mock on a free 127.0.0.1 port: ``server = mock_server("eka", steps=2)``.

    Returns the running :class:`contracts.mock.MockServer` (``server.url`` is its origin);
    every server started this way is stopped when the test ends.
    """
    from contracts.mock import MockServer, app

    servers: list[Any] = []

    def start(api: str, **options: Any) -> Any:
        server = MockServer(app(api, **options)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def contract_violations() -> Callable[..., list[Any]]:
    """``contract_violations(api, response, strict=True)``: every way an ``httpx`` response
    breaks the API's contract (schema, status, content type, headers, invariants)."""
    from contracts.validation import iter_response_violations

    def check(api: str, response: Any, *, strict: bool = True) -> list[Any]:
        request = response.request
        return list(iter_response_violations(
            api, request.method, str(request.url), response.status_code, response.content,
            headers=dict(response.headers), strict=strict))

    return check


@pytest.fixture
def proxy() -> Iterator[Callable[..., ProxyServer]]:
    """``proxy(api, upstream_url, record=path, ...)``: a running proxy, stopped at the end."""
    servers: list[ProxyServer] = []

    def start(api: str, upstream: str, **options: Any) -> ProxyServer:
        server = ProxyServer(proxy_app(api, upstream, **options)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
