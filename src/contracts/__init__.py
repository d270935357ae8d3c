"""scribe-contracts: check clinical-session vendor APIs against their documented contracts.

Light names (errors, records) are imported eagerly; everything that pulls in YAML, the
validation engine or the models is imported on first use, so that ``import contracts`` (and
the pytest plugin, for users who do not use it) stays cheap.
"""


import typing as _typing

from ._lazy import attach as _attach
from .errors import (
    ContractsError,
    InputError,
    OperationNotFound,
    RemoteRefRefused,
    SpecError,
    SpecNotFound,
    UnresolvableRef,
    UsageError,
)
from .findings import ContractViolation, Finding, Severity, Violation

if _typing.TYPE_CHECKING:
    from .models import parse
    from .speclint import lint
    from .specs import BUNDLED, Operation, Spec, load_spec
    from .validation import (
        Validator,
        is_valid_request,
        is_valid_response,
        iter_request_violations,
        iter_response_violations,
        validate_request,
        validate_response,
    )

_LAZY = {
    "lint": "speclint",
    "parse": "models",
    "BUNDLED": "specs",
    "Operation": "specs",
    "Spec": "specs",
    "load_spec": "specs",
    "Validator": "validation",
    "is_valid_request": "validation",
    "is_valid_response": "validation",
    "iter_request_violations": "validation",
    "iter_response_violations": "validation",
    "validate_request": "validation",
    "validate_response": "validation",
}

__all__ = [
    "BUNDLED",
    "ContractViolation",
    "ContractsError",
    "Finding",
    "InputError",
    "Operation",
    "OperationNotFound",
    "RemoteRefRefused",
    "Severity",
    "Spec",
    "SpecError",
    "SpecNotFound",
    "UnresolvableRef",
    "UsageError",
    "Validator",
    "Violation",
    "is_valid_request",
    "is_valid_response",
    "iter_request_violations",
    "iter_response_violations",
    "lint",
    "load_spec",
    "parse",
    "validate_request",
    "validate_response",
]


__getattr__, __dir__ = _attach(globals(), _LAZY)
