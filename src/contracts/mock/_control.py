"""The ``/__contracts__/`` control API a test steers a mock with: reset, choose a scenario,
advance a session, read the state. Every input is checked before it is used: a wrong one is a
400 ``application/problem+json`` naming the field, and any user text it echoes is clipped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import UsageError
from ._vendor import CONTROL_PREFIX, MockOptions, Reply, Vendor, clip

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

__all__ = ["PROBLEM_TYPE", "ControlAPI", "ControlError", "problem"]

PROBLEM_TYPE = "urn:scribe-contracts:mock:control"
"""The problem ``type`` of a refused control request; a suffix names the reason
(``:malformed``, ``:unknown-api``, ``:unknown-scenario``, ``:unknown-session``,
``:unknown-state``)."""

def problem(status: int, type_: str, title: str, detail: str,
            headers: Mapping[str, str] | None = None) -> Reply:
    """An RFC 9457 problem answer (``content-type`` travels in the reply's headers)."""
    return Reply(status, {"type": type_, "title": title, "detail": detail},
                 {"content-type": "application/problem+json", **(headers or {})})


class ControlError(Exception):
    """A control request refused: answered as a problem (400 or 404)."""

    def __init__(self, status: int, reason: str, title: str, detail: str):
        super().__init__(detail)
        self.reply = problem(status, f"{PROBLEM_TYPE}:{reason}", title, detail,
                             {"x-contracts-mock-error": "control"})


def _malformed(detail: str) -> ControlError:
    return ControlError(400, "malformed", "Malformed control request", detail)


def _type_name(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), "a value")


def _text(data: Mapping[str, Any], query: Mapping[str, str], name: str, *,
          nullable: bool = False) -> str | None:
    """The string field ``name`` of the body, else of the query; None when absent (or null,
    where ``nullable``)."""
    value = data.get(name)
    if value is None:
        value = query.get(name)
    if value is None or isinstance(value, str):
        return value or None
    allowed = "a string or null" if nullable else "a string"
    raise _malformed(f"{name!r} must be {allowed}, not {_type_name(value)} "
                     f"({clip(value)})")


class ControlAPI:
    """The control routes of one app, over the vendors it serves."""

    def __init__(self, vendors: Sequence[Vendor], options: MockOptions):
        self.vendors = list(vendors)
        self.options = options
        self.by_api = {v.api: v for v in vendors}

    def routes(self) -> list[Route]:
        from starlette.routing import Route

        def route(path: str, endpoint: Any, methods: list[str]) -> Route:
            return Route(CONTROL_PREFIX + path, self._guarded(endpoint), methods=methods)

        return [route("/reset", self.reset, ["POST"]),
                route("/scenario", self.scenario, ["POST", "GET"]),
                route("/sessions/{session_id}/advance", self.advance, ["POST"]),
                route("/state", self.state, ["GET"])]

    @staticmethod
    def _guarded(endpoint: Any) -> Any:
        async def run(request: Request) -> Response:
            try:
                reply = await endpoint(request)
            except ControlError as exc:
                reply = exc.reply
            return _response(reply)
        return run

    # -- input -----------------------------------------------------------------------------
    @staticmethod
    async def _body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise _malformed("the body is not JSON") from None
        if not isinstance(data, dict):
            raise _malformed(f"the body must be a JSON object, not {_type_name(data)}")
        return data

    def _chosen(self, api: str | None) -> list[Vendor]:
        if api is None:
            return self.vendors
        if api not in self.by_api:
            raise ControlError(404, "unknown-api", "Unknown API",
                               f"this mock serves no API named {clip(api)} "
                               f"(one of: {', '.join(self.by_api)})")
        return [self.by_api[api]]

    # -- endpoints -------------------------------------------------------------------------
    async def reset(self, request: Request) -> Reply:
        data = await self._body(request)
        for vendor in self._chosen(_text(data, request.query_params, "api")):
            with vendor.lock:
                vendor.scenario = self.options.scenario
                vendor.webhooks.clear()
                vendor.reset()
        return Reply(200, {"reset": [v.api for v in self.vendors]})

    async def scenario(self, request: Request) -> Reply:
        data = await self._body(request) if request.method == "POST" else {}
        targets = self._chosen(_text(data, request.query_params, "api"))
        if request.method == "POST":
            name = _text(data, {}, "scenario", nullable=True)
            known = [s for v in targets for s in v.scenarios]
            if name is not None and name not in known:
                # Naming a scenario no served vendor has is a typo, whether one vendor is
                # served or all: refused, as the X-Contracts-Scenario header is.
                owner = f"{targets[0].api} has" if len(targets) == 1 else "no served API has"
                raise ControlError(400, "unknown-scenario", "Unknown scenario",
                                   f"{owner} no scenario {clip(name)} "
                                   f"(one of: {', '.join(dict.fromkeys(known)) or 'none'})")
            for vendor in targets:
                with vendor.lock:
                    vendor.scenario = name if name in vendor.scenarios else None
        return Reply(200, {v.api: {"scenario": v.scenario, "scenarios": dict(v.scenarios)}
                           for v in targets})

    async def advance(self, request: Request) -> Reply:
        data = await self._body(request)
        session_id = request.path_params["session_id"]
        to = _text(data, request.query_params, "to")
        for vendor in self._chosen(_text(data, request.query_params, "api")):
            with vendor.lock:
                try:
                    result = vendor.advance(session_id, to)
                except UsageError as exc:
                    raise ControlError(400, "unknown-state", "Unknown state",
                                       str(exc)) from None
            if result is not None:
                return Reply(200, {"api": vendor.api, **result})
        raise ControlError(404, "unknown-session", "Unknown session",
                           f"no session {clip(session_id)}")

    async def state(self, request: Request) -> Reply:
        out = {}
        for vendor in self._chosen(_text({}, request.query_params, "api")):
            with vendor.lock:
                out[vendor.api] = {"scenario": vendor.scenario, **vendor.state(),
                                   "webhooks": [dict(w) for w in vendor.webhooks]}
        return Reply(200, out)


def _response(reply: Reply) -> Response:
    from starlette.responses import Response

    headers = dict(reply.headers)
    media_type = headers.pop("content-type", "application/json")
    content = b"" if reply.body is None else orjson.dumps(reply.body)
    return Response(content, status_code=reply.status, headers=headers,
                    media_type=media_type if reply.body is not None else None)
