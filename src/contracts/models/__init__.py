"""Typed pydantic v2 models of the vendors' bodies, generated from the specs, and ``parse``.

``contracts.models.upheal``, ``.heidi``, ``.eka`` and ``.realtimekit`` are written by
``contracts generate`` (see :mod:`contracts.codegen`) into the repository's ``generated/``
folder, which the wheel ships as this package's modules. In a source checkout (editable
install) this package's search path also covers ``generated/``.

The models are for typed access, never the judge of conformance: pydantic is lax (it takes
``"123"`` for an int and ``null`` for a non-nullable optional field). :func:`parse` therefore
validates the body against the spec first and only then builds the model.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import vendors
from ..errors import OperationNotFound, UsageError
from ..findings import ContractViolation, Severity, Violation
from ..specs import Spec

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["parse"]

# Source checkouts: <repo>/src/contracts/models/__init__.py -> <repo>/generated. Pure path
# arithmetic (no I/O at import); in an installed wheel the modules sit beside this file.
_HERE = Path(__file__).resolve().parent
if _HERE.parents[1].name == "src":
    __path__.append(str(_HERE.parents[2] / "generated"))


def _module(api: str) -> Any:
    entry = vendors.find(api)
    if entry is None or entry.models is None:
        known = [n for n in vendors.names() if vendors.get(n).models]
        raise UsageError(f"no generated models for {api!r}",
                         hint=f"models exist for: {', '.join(known)}")
    try:
        return importlib.import_module(entry.models)
    except ModuleNotFoundError as exc:
        if exc.name != entry.models:
            raise
        raise UsageError(f"the models of {api!r} are not generated",
                         hint="run `contracts generate`") from None


def _status_keys(status: int) -> tuple[str, ...]:
    text = str(status)
    return (text, f"{text[0]}XX", f"{text[0]}xx", "default")


def _model_for(api: str, operation: str, status: int | None) -> tuple[type[BaseModel], bool]:
    module = _module(api)
    table: dict[tuple[str, str], type[BaseModel]] = module.BODY_MODELS
    webhooks: frozenset[str] = module.WEBHOOKS
    keys = {key for op, key in table if op == operation}
    if not keys:
        known = sorted({op for op, _key in table})
        raise OperationNotFound(f"operationId {operation!r} with a JSON body", api=api,
                                suggestions=[k for k in known if k.lower() == operation.lower()]
                                or known[:5])
    wanted = ("request",) if status is None else _status_keys(int(status))
    for key in wanted:
        if key in keys:
            return table[(operation, key)], operation in webhooks
    what = "request body" if status is None else f"status {status}"
    raise UsageError(f"{api}.{operation} documents no JSON {what}",
                     hint=f"documented: {', '.join(sorted(keys))}")


_PARAM = re.compile(r"\{[^{}/]+\}")


def _validate(api: str, operation: str, status: int | None, body: Any, webhook: bool) -> None:
    """Raise ContractViolation when the body breaks the spec (errors only; no headers).

    Requests are judged on their body alone: the URL is the path template with placeholders.
    """
    from ..validation import iter_request_violations, iter_response_violations, validator_for

    validator = validator_for(api)
    if webhook:
        violations = list(_webhook_violations(validator.spec, operation, body))
    else:
        op = validator.spec.operation(operation)
        url = _PARAM.sub("1", op.path)
        if status is None:
            violations = [v for v in iter_request_violations(validator, op.method, url, body,
                                                             operation=operation)
                          if v.location.startswith("request.body")]
        else:
            violations = list(iter_response_violations(validator, op.method, url, int(status),
                                                       body, operation=operation))
    failing = [v for v in violations if v.severity >= Severity.ERROR]
    if failing:
        raise ContractViolation(failing)


@lru_cache(maxsize=32)
def _webhook_schema(spec: Spec, operation: str) -> Any:
    """The compiled payload schema of a web-hook, or None when it documents no JSON body."""
    from .._schema import SchemaValidators
    from ..codegen import iter_bodies

    for op_id, key, webhook, schema in iter_bodies(spec):
        if webhook and op_id == operation and key == "request":
            return SchemaValidators(spec).compile(schema)
    return None


def _webhook_violations(spec: Spec, operation: str, body: Any) -> Iterator[Violation]:
    """Web-hook payloads against their schema (``contracts.validation`` covers paths only)."""
    from .._loading import parse_json
    from ..errors import InputError

    base = Violation(code="", message="", api=spec.name, operation=operation,
                     location="request.body")
    compiled = _webhook_schema(spec, operation)
    if compiled is None:
        return
    value = body
    if isinstance(body, str | bytes | bytearray):
        try:
            value = parse_json(bytes(body) if isinstance(body, bytearray) else body,
                               source="request.body")
        except InputError as exc:
            yield replace(base, code="request.body.not_json",
                          message=f"the body is not JSON: {exc.detail}")
            return
    for error in compiled.iter_errors(value):
        yield replace(base, code="request.body.schema", message=error.message,
                      pointer=error.pointer, schema_path=error.schema_location,
                      expected=error.expected, actual=error.actual)


def parse(api: str, operation: str, status: int | None, body: Any) -> BaseModel:
    """Validate ``body`` against the spec, then return it as the generated model instance.

    ``api`` is a bundled API (``upheal``, ``heidi``, ``eka``, ``realtimekit``); ``operation``
    an operationId (a web-hook's too); ``status`` the response's HTTP status, or ``None`` for
    a request body (or web-hook payload). ``body`` is parsed JSON, or raw ``str``/``bytes``.
    The model is the one in the module's ``BODY_MODELS`` for (operation, status), where the
    status is looked up as the spec writes it: ``206``, then ``2XX``, then ``default``.

    Raises :class:`~contracts.findings.ContractViolation` when the body breaks the contract
    (the models alone would let lax values through), ``OperationNotFound``/``UsageError``
    when there is no model for the question.
    """
    model, webhook = _model_for(api, operation, status)
    _validate(api, operation, status, body, webhook)
    if isinstance(body, str | bytes | bytearray):
        return model.model_validate_json(body)
    return model.model_validate(body)
