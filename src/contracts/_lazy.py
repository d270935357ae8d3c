"""A package's names imported on first use (PEP 562 ``__getattr__`` and ``__dir__``): one
home for what ``contracts`` and ``contracts.reporting`` both do."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["attach"]


def attach(namespace: dict[str, Any], homes: Mapping[str, str]
           ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the package whose globals are ``namespace``: a name in
    ``homes`` is imported from its submodule (``homes[name]``, relative to the package) the
    first time it is asked for, then kept in the globals so later lookups skip this."""
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = homes.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(namespace["__all__"]))

    return __getattr__, __dir__
