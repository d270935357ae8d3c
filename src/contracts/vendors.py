"""The vendor registry: the one place that knows which vendors exist and where each one's spec,
invariants, mock and generated models live.

The four bundled vendors are four entries. Another vendor is its files plus one
:func:`register_vendor` call in a plugin module, found through the ``contracts.vendors`` entry
point group or named in the ``CONTRACTS_PLUGINS`` environment variable (comma-separated
module names, as ``PYTEST_PLUGINS`` works for pytest). Entries hold dotted paths, not modules:
nothing of a vendor is imported until it is needed, and plugins are loaded only when a name
is looked up that the bundled entries do not know (or when every vendor is listed).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from ._record import Record
from .errors import UsageError

__all__ = [
    "BUNDLED",
    "ENTRY_POINT_GROUP",
    "PLUGINS_ENV",
    "Vendor",
    "bundled_dir",
    "find",
    "get",
    "load_plugins",
    "names",
    "register_vendor",
    "unregister_vendor",
    "with_mock",
]

BUNDLED = ("upheal", "heidi", "eka", "realtimekit")
"""The vendors shipped with the tool, in the order reports list them."""

ENTRY_POINT_GROUP = "contracts.vendors"
"""Entry points of this group name a plugin module (or a callable) that registers vendors."""

PLUGINS_ENV = "CONTRACTS_PLUGINS"
"""Comma-separated plugin modules imported before a vendor name is looked up."""


@dataclass(init=False, repr=False, eq=False, slots=True)  # a frozen record: see _record
class Vendor(Record):
    """Where one vendor's knowledge lives.

    ``spec`` is its OpenAPI file; ``invariants`` a module with ``RULES``; ``mock`` a
    ``module:Class`` subclass of the mock's vendor base; ``models`` the module of its
    generated pydantic models. Any but ``spec`` may be None (no rules, no mock, no models).
    """

    name: str
    spec: Path
    invariants: str | None = None
    mock: str | None = None
    models: str | None = None
    bundled: bool = False

    def __init__(self, name: str, spec: Path, invariants: str | None = None,
                 mock: str | None = None, models: str | None = None,
                 bundled: bool = False) -> None:
        _set = object.__setattr__
        _set(self, "name", name)
        _set(self, "spec", spec)
        _set(self, "invariants", invariants)
        _set(self, "mock", mock)
        _set(self, "models", models)
        _set(self, "bundled", bundled)

    def mock_class(self) -> type:
        """The mock's vendor class (imported now)."""
        if self.mock is None:
            raise UsageError(f"no mock for {self.name!r}",
                             hint=f"mocks exist for: {', '.join(with_mock())}")
        module, _, name = self.mock.partition(":")
        cls: type = getattr(import_module(module), name)
        return cls


def bundled_dir() -> Path:
    """The folder of the bundled specs (the checkout's ``specs/`` in a source tree)."""
    installed = Path(__file__).parent / "_bundled" / "specs"
    if installed.is_dir():
        return installed
    # Editable/source checkouts: the specs live at the repository root.
    return Path(__file__).resolve().parents[2] / "specs"


_lock = threading.RLock()
_registry: dict[str, Vendor] = {}
_plugins_loaded = False


def _bundled() -> None:
    """The four bundled entries (call under ``_lock``); built on first use, not at import."""
    if _registry:
        return
    specs = bundled_dir()
    for entry in (
        Vendor("upheal", specs / "upheal.yaml", "contracts.invariants.upheal",
               "contracts.mock.upheal:UphealMock", "contracts.models.upheal", bundled=True),
        Vendor("heidi", specs / "heidi.yaml", "contracts.invariants.heidi",
               "contracts.mock.heidi:HeidiMock", "contracts.models.heidi", bundled=True),
        Vendor("eka", specs / "eka.yaml", "contracts.invariants.eka",
               "contracts.mock.eka:EkaMock", "contracts.models.eka", bundled=True),
        Vendor("realtimekit", specs / "realtimekit.yaml", "contracts.invariants.realtimekit",
               "contracts.mock.realtimekit:RealtimeKitMock", "contracts.models.realtimekit",
               bundled=True),
    ):
        _registry[entry.name] = entry


def register_vendor(name: str, spec: str | os.PathLike[str], *, invariants: str | None = None,
                    mock: str | None = None, models: str | None = None) -> Vendor:
    """Add a vendor (or replace a registration of the same name; bundled ones are kept).

    ``spec`` is the path of its OpenAPI file; the others are dotted module paths
    (``mock`` as ``"package.module:Class"``), imported only when used.
    """
    if not name or not name.replace("-", "_").isidentifier():
        raise UsageError(f"a vendor name is a word of letters, digits, '_' or '-', "
                         f"not {name!r}")
    if mock is not None and ":" not in mock:
        raise UsageError(f"mock must be 'module:Class', not {mock!r}")
    with _lock:
        _bundled()
        if name in BUNDLED:
            raise UsageError(f"{name!r} is a bundled vendor and cannot be registered again")
        entry = Vendor(name, Path(spec), invariants=invariants, mock=mock, models=models)
        _registry[name] = entry
    return entry


def unregister_vendor(name: str) -> None:
    """Forget a registered vendor (tests use it to clean up; bundled ones stay)."""
    with _lock:
        if name not in BUNDLED:
            _registry.pop(name, None)


def load_plugins() -> None:
    """Import the plugins of the entry point group and of ``CONTRACTS_PLUGINS`` (once)."""
    global _plugins_loaded
    with _lock:
        if _plugins_loaded:
            return
        _plugins_loaded = True
        from importlib.metadata import entry_points

        for point in entry_points(group=ENTRY_POINT_GROUP):
            try:
                loaded = point.load()
                if callable(loaded):  # "pkg.mod:register" is called; "pkg.mod" registers
                    loaded()
            except Exception as exc:  # noqa: BLE001 - a broken plugin is the user's setup
                raise UsageError(f"the vendor plugin {point.value!r} (entry point "
                                 f"{point.name!r} of {ENTRY_POINT_GROUP}) failed: "
                                 f"{type(exc).__name__}: {exc}") from None
        for module in filter(None, (m.strip() for m in
                                    os.environ.get(PLUGINS_ENV, "").split(","))):
            try:
                import_module(module)
            except Exception as exc:  # noqa: BLE001 - as above
                raise UsageError(f"the vendor plugin {module!r} named in {PLUGINS_ENV} "
                                 f"failed: {type(exc).__name__}: {exc}") from None


def find(name: str) -> Vendor | None:
    """The vendor called ``name``, or None; plugins are loaded if the name is not bundled."""
    with _lock:
        _bundled()
        entry = _registry.get(name)
    if entry is None and not _plugins_loaded:
        load_plugins()
        with _lock:
            entry = _registry.get(name)
    return entry


def get(name: str) -> Vendor:
    """The vendor called ``name``; :class:`UsageError` naming the known ones otherwise."""
    entry = find(name)
    if entry is None:
        raise UsageError(f"no vendor named {name!r}", hint=f"one of: {', '.join(names())}")
    return entry


def names() -> tuple[str, ...]:
    """Every vendor's name: the bundled ones first, then registered ones in order."""
    load_plugins()
    with _lock:
        _bundled()
        return tuple(_registry)


def with_mock() -> tuple[str, ...]:
    """The names of the vendors that have a mock."""
    return tuple(n for n in names() if _registry[n].mock is not None)
