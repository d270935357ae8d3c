"""Stateful mock servers for the bundled vendors, driven by their specs.

``app("eka")`` is an ASGI app serving Eka's operations under ``/voice/v1``; ``app_all()``
serves the four vendors from one app; ``MockServer(app(...))`` runs one on a loopback port.
Every vendor answer is built to validate against the vendor's spec; ``drift`` switches on
controlled departures from it. Tests steer the mock through ``/__contracts__/`` (reset,
advance a session, choose a scenario, read the state).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from importlib import import_module
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ._base import (
    CONTROL_PREFIX,
    DEFAULT_TOKEN,
    DRIFT_KINDS,
    MockOptions,
    Vendor,
    build_app,
    parse_drift,
)
from ._server import MockServer

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = [
    "CONTROL_PREFIX",
    "DEFAULT_TOKEN",
    "DRIFT_KINDS",
    "VENDORS",
    "MockOptions",
    "MockServer",
    "app",
    "app_all",
    "base_urls",
    "parse_drift",
    "serve",
    "vendor",
]

VENDORS = {
    "upheal": "upheal:UphealMock",
    "heidi": "heidi:HeidiMock",
    "eka": "eka:EkaMock",
    "realtimekit": "realtimekit:RealtimeKitMock",
}
"""API name -> ``module:class`` of its mock (a fifth vendor is one more entry and module)."""


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
    module_name, class_name = VENDORS[api].split(":")
    cls: Callable[[MockOptions], Vendor] = getattr(
        import_module(f"{__name__}.{module_name}"), class_name)
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
    """One ASGI app serving all four vendors, each under its own server path."""
    opts = _options(options, overrides)
    # Upheal's server path is "/", so it goes last: the others' longer prefixes win.
    order = sorted(VENDORS, key=lambda a: a == "upheal")
    return _build([vendor(a, opts) for a in order], opts)


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
    """Serve ``api`` (or ``"all"``) in the foreground until interrupted.

    ``on_ready(base_urls, root)`` is called once the socket listens (the CLI prints them).
    """
    import uvicorn

    from ._server import bind, uvicorn_config

    opts = options or MockOptions()
    apis = list(VENDORS) if api == "all" else [api]
    application = app(api, opts)
    if not _is_loopback(host) and on_warning is not None:
        on_warning(f"listening on {host}, which is not a loopback address: the mock is "
                   "reachable from other machines and accepts a documented test token")
    sock = bind(host, port)
    bound = sock.getsockname()[1]
    root = f"http://{f'[{host}]' if ':' in host else host}:{bound}"
    if on_ready is not None:
        on_ready(base_urls(apis, root, opts), root)
    try:
        uvicorn.Server(uvicorn_config(application)).run(sockets=[sock])
    finally:
        sock.close()
