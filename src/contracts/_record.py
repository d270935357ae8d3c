"""Frozen records whose methods are written once, not generated per class at import.

``@dataclass(frozen=True)`` compiles six small functions for every class it decorates
(``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``):
about a millisecond each class, and a one-body ``contracts validate`` made twenty of them.
A record here is ``@dataclass(init=False, repr=False, eq=False)`` (fields, ``__match_args__``,
``fields()``, ``replace()`` and ``asdict()`` as before, nothing compiled) over :class:`Record`,
which supplies those methods with a frozen dataclass's behaviour, and writes its
``__init__`` out by hand (``object.__setattr__`` per field, as the generated one does).
``tests/test_frozen_records.py`` proves each record behaves as its ``@dataclass(frozen=True)`` twin.
"""

from __future__ import annotations

from _thread import get_ident
from dataclasses import FrozenInstanceError, fields
from operator import attrgetter
from typing import Any

__all__ = ["FACTORY", "Record"]

_Key = Any  # a function from a record to the tuple of some of its fields


def _getter(names: list[str]) -> _Key:
    if len(names) >= 2:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda record: (one(record),)
    return lambda _record: ()


_COMPARED: dict[type, _Key] = {}
_HASHED: dict[type, _Key] = {}
_SHOWN: dict[type, tuple[str, ...]] = {}
_REPRESENTING: set[tuple[int, int]] = set()


_STATES: dict[type, tuple[_Key, tuple[Any, ...]]] = {}


def _state(cls: type) -> tuple[_Key, tuple[Any, ...]]:
    """A record class's fields in order: a getter of their values, and each slot's setter."""
    hit = _STATES.get(cls)
    if hit is None:
        names = [f.name for f in fields(cls)]
        hit = _STATES[cls] = (_getter(names), tuple(_setter(cls, n) for n in names))
    return hit


def _setter(cls: type, name: str) -> Any:
    """The slot's own setter; ``object.__setattr__`` for a field that is not a slot here."""
    slot = getattr(cls, name, None)
    if type(slot).__name__ == "member_descriptor":
        return slot.__set__  # type: ignore[union-attr]
    return lambda record, value: object.__setattr__(record, name, value)


def _compared(cls: type) -> _Key:
    key = _COMPARED.get(cls)
    if key is None:
        key = _COMPARED[cls] = _getter([f.name for f in fields(cls) if f.compare])
    return key


def _hashed(cls: type) -> _Key:
    key = _HASHED.get(cls)
    if key is None:
        names = [f.name for f in fields(cls) if (f.compare if f.hash is None else f.hash)]
        key = _HASHED[cls] = _getter(names)
    return key


class Record:
    """What ``@dataclass(frozen=True)`` would generate for a subclass, written once."""

    __slots__ = ()

    def __repr__(self) -> str:
        cls: type = self.__class__
        shown = _SHOWN.get(cls)
        if shown is None:
            shown = _SHOWN[cls] = tuple(f.name for f in fields(cls) if f.repr)
        mark = (id(self), get_ident())
        if mark in _REPRESENTING:  # a record that contains itself, as dataclasses shows it
            return "..."
        _REPRESENTING.add(mark)
        try:
            inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        finally:
            _REPRESENTING.discard(mark)
        return f"{cls.__qualname__}({inner})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            key = _compared(self.__class__)
            return bool(key(self) == key(other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(_hashed(self.__class__)(self))

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    # Pickling and copying, as a frozen dataclass with slots does it (the default would set
    # each slot through __setattr__, which refuses).
    # The fields found once per class: --jobs N pickles every violation a worker finds.
    def __getstate__(self) -> list[Any]:
        return list(_state(self.__class__)[0](self))

    def __setstate__(self, state: list[Any]) -> None:
        for set_field, value in zip(_state(self.__class__)[1], state, strict=False):
            set_field(self, value)


class _Factory:
    """The default of a field with a ``default_factory`` in a written-out ``__init__``: the
    factory runs when it is left out (it shows as ``<factory>``, as in a dataclass)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


FACTORY: Any = _Factory()
