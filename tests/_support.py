"""Shared helpers for tests: the spec examples as (api, operation, kind, schema, value) cases."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from contracts import BUNDLED, load_spec
from contracts.specs import Located, Operation, Spec

# The ``cli`` fixture (conftest.py): ``code, stdout, stderr = cli("lint", "upheal")``.
CLI = Callable[..., tuple[int, str, str]]

_SPECS: dict[str, Spec] = {}


def spec(api: str) -> Spec:
    if api not in _SPECS:
        _SPECS[api] = load_spec(api)
    return _SPECS[api]


@dataclass(frozen=True)
class Example:
    api: str
    operation: Operation
    status: int | None  # None: a request body
    media_type: str
    schema: Located
    name: str
    value: Any

    @property
    def id(self) -> str:
        where = "request" if self.status is None else str(self.status)
        return f"{self.api}:{self.operation.operation_id}:{where}:{self.name}"

    @property
    def url(self) -> str:
        return concrete_url(self.operation)


def concrete_url(op: Operation) -> str:
    return re.sub(r"\{[^}]+\}", "id-1", op.path)


def status_of(key: str) -> int:
    if key.isdigit():
        return int(key)
    if key.upper().endswith("XX"):
        return int(key[0]) * 100
    return 500


def examples(apis: tuple[str, ...] = BUNDLED) -> Iterator[Example]:
    """Every named example of every request and response body in the bundled specs."""
    for api in apis:
        s = spec(api)
        for op in s.operations:
            holders: list[tuple[int | None, Located]] = []
            if "requestBody" in op.node.value:
                holders.append((None, s.resolve(op.node.child("requestBody"))))
            for key in op.node.value.get("responses") or {}:
                holders.append((status_of(str(key)), s.resolve(op.node.child("responses", key))))
            for status, holder in holders:
                for media_type, media in (holder.value.get("content") or {}).items():
                    if "schema" not in media:
                        continue
                    node = holder.child("content", media_type)
                    for name in media.get("examples") or {}:
                        value = s.resolve(node.child("examples", name)).value.get("value")
                        yield Example(api, op, status, media_type, node.child("schema"), name,
                                      value)


def heidi_jwt(base: str, token: str | None = None, *, tries: int = 10) -> str:
    """A JWT of the Heidi mock at ``base`` (its server path included), made as Heidi's clients
    make one: ``GET /jwt`` with the key in ``Heidi-Api-Key``. Answers of an ``error_rate`` mock
    are retried (a fault is no refusal)."""
    import httpx

    from contracts.mock import DEFAULT_TOKEN

    for _ in range(tries):
        answer = httpx.get(base + "/jwt", headers={"Heidi-Api-Key": token or DEFAULT_TOKEN},
                           params={"email": "test@example.com", "third_party_internal_id": "123"},
                           timeout=30)
        if 200 <= answer.status_code < 300:  # a drifting mock answers 201
            return str(answer.json()["token"])
        assert answer.headers.get("x-contracts-fault") == "1", answer.text
    raise AssertionError(f"no JWT from {base}/jwt in {tries} tries")


def heidi_auth(base: str, token: str | None = None) -> dict[str, str]:
    """Heidi's auth headers: the JWT of :func:`heidi_jwt` as Bearer (the mock, as Heidi,
    refuses the key itself there) and the key for ``GET /jwt``."""
    from contracts.mock import DEFAULT_TOKEN

    return {"Authorization": f"Bearer {heidi_jwt(base, token)}",
            "Heidi-Api-Key": token or DEFAULT_TOKEN}
