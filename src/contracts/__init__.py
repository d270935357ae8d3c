"""scribe-contracts: check clinical-session vendor APIs against their documented contracts."""

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
from .lint import lint
from .models import parse
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
