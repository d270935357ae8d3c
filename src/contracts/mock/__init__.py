"""Stateful mock servers for the registered vendors, driven by their specs.

``app("eka")`` is an ASGI app serving Eka's operations under ``/voice/v1``; ``app_all()``
serves every vendor with a mock (the four bundled ones and any registered in
:mod:`contracts.vendors`) from one app; ``MockServer(app(...))`` runs one on a loopback port.
Every vendor answer is built to validate against the vendor's spec; ``drift`` switches on
controlled departures from it. Tests steer the mock through ``/__contracts__/`` (reset,
advance a session, choose a scenario, read the state).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .. import vendors as registry
from ..errors import UsageError
from ._app import build_app
from ._server import MockServer
from ._vendor import (
    CONTROL_PREFIX,
    DEFAULT_TOKEN,
    DRIFT_KINDS,
    Call,
    Lifecycle,
    MockOptions,
    Reply,
    Vendor,
    handles,
    parse_drift,
)
from .generic import GenericMock, generic_app, serve_spec

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = [
    "CONTROL_PREFIX",
    "DEFAULT_TOKEN",
    "DRIFT_KINDS",
    "VENDORS",
    "Call",
    "GenericMock",
    "Lifecycle",
    "MockOptions",
    "MockServer",
    "Reply",
    "Vendor",
    "app",
    "app_all",
    "base_urls",
    "generic_app",
    "handles",
    "parse_drift",
    "serve",
    "serve_spec",
    "vendor",
]


class _Mocks(Mapping[str, str]):
    """API name -> ``module:Class`` of its mock, read from :mod:`contracts.vendors` (so a
    registered vendor shows up here too)."""

    def __getitem__(self, api: str) -> str:
        entry = registry.find(api)
        if entry is None or entry.mock is None:
            raise KeyError(api)
        return entry.mock

    def __iter__(self) -> Iterator[str]:
        return iter(registry.with_mock())

    def __len__(self) -> int:
        return len(registry.with_mock())

    def __contains__(self, api: object) -> bool:
        entry = registry.find(api) if isinstance(api, str) else None
        return entry is not None and entry.mock is not None


VENDORS: Mapping[str, str] = _Mocks()
"""API name -> ``module:Class`` of its mock: a view of the vendor registry."""


def _options(options: MockOptions | None, overrides: dict[str, Any]) -> MockOptions:
    if options is not None and overrides:
        from dataclasses import replace

        return replace(options, **overrides)
    try:
        return options or MockOptions(**overrides)
    except TypeError as exc:
        raise UsageError(f"bad mock option: {exc}") from None


def vendor(api: str, options: MockOptions | None = None, **overrides: Any) -> Vendor:
    """The state and handlers of one vendor's mock (without an HTTP app around them)."""
    if api not in VENDORS:
        raise UsageError(f"no mock for {api!r}", hint=f"one of: {', '.join(VENDORS)}, all")
    cls = registry.get(api).mock_class()
    if not issubclass(cls, Vendor):
        raise UsageError(f"the mock of {api!r} ({VENDORS[api]}) is not a "
                         "contracts.mock.Vendor subclass")
    return cls(_options(options, overrides))


def app(api: str, options: MockOptions | None = None, **overrides: Any) -> Starlette:
    """The ASGI app of one vendor's mock (``api`` may also be ``"all"``).

    Keyword arguments are :class:`MockOptions` fields: ``app("eka", steps=2, seed=7)``.
    """
    if api == "all":
        return app_all(options, **overrides)
    opts = _options(options, overrides)
    return _build([vendor(api, opts)], opts)


def app_all(options: MockOptions | None = None, **overrides: Any) -> Starlette:
    """One ASGI app serving every vendor with a mock, each under its own server path."""
    opts = _options(options, overrides)
    served = [vendor(a, opts) for a in VENDORS]
    # A vendor served at "/" (Upheal) goes last, so the others' longer prefixes win.
    served.sort(key=lambda v: next(iter(v.spec.server_paths), "/") == "/")
    return _build(served, opts)


def _build(vendors: list[Vendor], opts: MockOptions) -> Starlette:
    if opts.scenario is not None and not any(opts.scenario in v.scenarios for v in vendors):
        known = sorted({name for v in vendors for name in v.scenarios})
        raise UsageError(f"unknown scenario {opts.scenario!r}", hint=f"one of: {', '.join(known)}")
    return build_app(vendors, opts)


def base_urls(apis: Iterable[str], root: str, options: MockOptions | None = None
              ) -> dict[str, str]:
    """Each API's base URL on a mock at ``root`` (``http://127.0.0.1:PORT``), server path
    included, so a client configured with the vendor's base URL changes only the origin."""
    from ..specs import load_spec

    prefix = options.prefix if options else ""
    out = {}
    for api in apis:
        server = next(iter(load_spec(api).server_paths), "/")
        out[api] = root + prefix + ("" if server == "/" else server)
    return out


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(api: str, *, host: str = "127.0.0.1", port: int = 0,
          options: MockOptions | None = None,
          on_ready: Callable[[dict[str, str], str], None] | None = None,
          on_warning: Callable[[str], None] | None = None) -> None:
    """Serve ``api`` (or ``"all"``) in the foreground until interrupted (Ctrl-C returns).

    ``on_ready(base_urls, root)`` is called once the server serves (the CLI prints them).
    """
    from ._server import bind, serve_foreground, uvicorn_config

    opts = options or MockOptions()
    apis = list(VENDORS) if api == "all" else [api]
    application = app(api, opts)
    if not _is_loopback(host) and on_warning is not None:
        on_warning(f"listening on {host}, which is not a loopback address: the mock is "
                   "reachable from other machines and accepts a documented test token")
    sock = bind(host, port)
    bound = sock.getsockname()[1]
    root = f"http://{f'[{host}]' if ':' in host else host}:{bound}"
    urls = base_urls(apis, root, opts)
    serve_foreground(uvicorn_config(application), sock,
                     None if on_ready is None else lambda: on_ready(urls, root))
