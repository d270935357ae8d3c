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
from .findings import Finding, Severity
from .lint import lint
from .specs import BUNDLED, Operation, Spec, load_spec

__all__ = [
    "BUNDLED",
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
    "lint",
    "load_spec",
]
