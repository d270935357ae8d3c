"""The headers a client authenticates with, read from the spec: ``Authorization: Bearer``, the
key in each header API-key scheme, and a bearer token that the spec says is exchanged for the
key first (``x-contracts-token-from`` on the bearer scheme: Heidi's JWT from ``GET /jwt``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .known_params import KnownParam, from_body, known_values, operation_parameters
from .specs import Operation, Spec

if TYPE_CHECKING:
    import httpx

__all__ = ["TOKEN_FROM", "Send", "TokenExchange", "auth_headers", "bearer_over_http",
           "exchanged_token", "http_sender", "token_exchange"]

TOKEN_FROM = "x-contracts-token-from"
"""Extension of an ``http``/``bearer`` security scheme: ``{operationId, token}``, where
``token`` is a runtime expression (``$response.body#/token``) naming the token in the answer
of that operation, which is called with the key in its own (API-key) schemes."""

_TRIES = 3
"""Asks of the exchange when it answers 429 or 5xx."""

Send = Callable[[str, str, Mapping[str, str], Mapping[str, str]], Any]
"""``send(method, path, query, headers)``: the answer (with ``status_code`` and ``json()``) of a
request to ``path`` under the API's base URL, or None when there was none."""


@dataclass(frozen=True, slots=True)
class TokenExchange:
    """The operation that answers a bearer token for the key, and where the token is."""

    operation: Operation
    token: str
    """A runtime expression, ``$response.body#/token``."""

    def query(self, spec: Spec, known: Sequence[KnownParam] = ()) -> dict[str, str]:
        """Each query parameter of the operation: a known value (``--param``), else its
        ``example`` (Heidi's ``email`` and ``third_party_internal_id``)."""
        given = known_values(spec, self.operation, known)
        out: dict[str, str] = {}
        for (location, name), param in operation_parameters(spec, self.operation).items():
            if location != "query":
                continue
            if (location, name) in given:
                out[name] = given[(location, name)][0]
            elif "example" in param and param["example"] is not None:
                out[name] = str(param["example"])
        return out


def _schemes(spec: Spec) -> Mapping[str, Any]:
    schemes = (spec.document.get("components") or {}).get("securitySchemes") or {}
    return schemes if isinstance(schemes, Mapping) else {}


def token_exchange(spec: Spec) -> TokenExchange | None:
    """The exchange a bearer scheme of ``spec`` declares with ``x-contracts-token-from``, or
    None; :class:`UsageError` when the declaration names no operation of the spec."""
    for name, scheme in _schemes(spec).items():
        if not isinstance(scheme, Mapping) or TOKEN_FROM not in scheme:
            continue
        declared = scheme[TOKEN_FROM]
        operation_id = declared.get("operationId") if isinstance(declared, Mapping) else None
        token = declared.get("token") if isinstance(declared, Mapping) else None
        found = [op for op in spec.operations if op.operation_id == operation_id]
        if not found or not isinstance(token, str):
            raise UsageError(f"{spec.name}: securitySchemes/{name}/{TOKEN_FROM} must name an "
                             "operationId of the spec and a token expression",
                             hint="e.g. {operationId: getJwt, token: $response.body#/token}")
        return TokenExchange(found[0], token)
    return None


def auth_headers(spec: Spec, key: str | None, bearer: str | None = None) -> dict[str, str]:
    """``Authorization: Bearer <bearer or key>``, plus the key in every header API-key scheme
    (``Heidi-Api-Key``); nothing without a key."""
    if not key:
        return {}
    headers = {"Authorization": f"Bearer {bearer or key}"}
    for scheme in _schemes(spec).values():
        if isinstance(scheme, Mapping) and scheme.get("type") == "apiKey" and (
                scheme.get("in") == "header"):
            headers[str(scheme.get("name"))] = key
    return headers


def exchanged_token(spec: Spec, key: str, send: Send, known: Sequence[KnownParam] = ()
                    ) -> str | None:
    """The bearer token the spec's exchange answers for ``key`` (one call through ``send``,
    repeated up to three times on 429 or 5xx), or None: the spec declares no exchange, or it
    gave no token (a key the vendor refuses; the caller then sends the key as it is, and the
    vendor's 401 says why)."""
    exchange = token_exchange(spec)
    if exchange is None:
        return None
    op = exchange.operation
    # The key as the exchange's own schemes take it (Heidi-Api-Key), not also as Bearer.
    sent = auth_headers(spec, key)
    sent = {k: v for k, v in sent.items() if k != "Authorization"} or sent
    answer = None
    for attempt in range(_TRIES):
        if attempt:
            time.sleep(0.1 * 2 ** attempt)  # a passing fault (a mock's error_rate) is no refusal
        answer = send(op.method.upper(), op.path, exchange.query(spec, known), sent)
        if answer is None or not (answer.status_code == 429 or answer.status_code >= 500):
            break
    if answer is None or not 200 <= answer.status_code < 300:
        return None
    try:
        data = answer.json()
    except ValueError:
        return None
    token = from_body(data, exchange.token)
    return token if isinstance(token, str) and token else None


def http_sender(client: httpx.Client) -> Send:
    """:data:`Send` over ``client`` (httpx joins a path to the base URL's own path); a
    transport error is no answer."""
    import httpx

    def send(method: str, path: str, query: Mapping[str, str],
             headers: Mapping[str, str]) -> httpx.Response | None:
        try:
            return client.request(method, path, params=dict(query), headers=dict(headers))
        except httpx.HTTPError:
            return None
    return send


def bearer_over_http(spec: Spec, base_url: str, key: str,
                     known: Sequence[KnownParam] = ()) -> str:
    """The Bearer token to send to the API at ``base_url`` (its server path included): the one
    the spec's exchange answers for ``key``, else ``key`` itself."""
    if token_exchange(spec) is None:
        return key
    import httpx

    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        return exchanged_token(spec, key, http_sender(client), known) or key
