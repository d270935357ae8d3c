"""Every record over ``_record.Record`` behaves as the ``@dataclass(frozen=True)`` it replaces.

Each record is compared with its twin: the same fields (names, defaults, factories, repr and
compare flags) made by ``dataclasses.make_dataclass(..., frozen=True)``, slots as the record
has them, and the record's own ``__post_init__``. Same constructor signature, same repr,
equality, hash, refusal to change, pickling, copying, ``replace`` and ``asdict``.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from typing import Any

import pytest

from contracts import _record
from contracts._compiled import Media, Param, Plan, Route
from contracts._loading import Document, Limits
from contracts._schema import SchemaError
from contracts.corpus import Record, Skipped
from contracts.findings import Finding, ReadProblem, Severity, Violation
from contracts.invariants import InvariantContext
from contracts.specs import Located, Operation, PathMatch, RefProblem
from contracts.vendors import Vendor

RECORDS: list[type] = [Finding, ReadProblem, Violation, Vendor, Limits, Document, Located,
                       RefProblem, PathMatch, Operation, SchemaError, InvariantContext,
                       Plan, Param, Route, Media, Record, Skipped]


def _twin(cls: type) -> type:
    specs: list[Any] = []
    for f in dataclasses.fields(cls):
        options: dict[str, Any] = {"repr": f.repr, "compare": f.compare, "hash": f.hash}
        if f.default is not dataclasses.MISSING:
            options["default"] = f.default
        if f.default_factory is not dataclasses.MISSING:
            options["default_factory"] = f.default_factory
        specs.append((f.name, f.type, dataclasses.field(**options)))
    namespace = {"__post_init__": cls.__post_init__} if hasattr(cls, "__post_init__") else {}
    twin: type = dataclasses.make_dataclass(cls.__name__, specs, frozen=True,
                                            slots="__slots__" in vars(cls), namespace=namespace)
    twin.__qualname__ = cls.__qualname__
    return twin


def _values(cls: type, salt: str = "") -> dict[str, Any]:
    """A distinct hashable value per field."""
    return {f.name: f"{f.name}-value{salt}" for f in dataclasses.fields(cls)}


def _pair(cls: type, salt: str = "") -> tuple[Any, Any]:
    values = _values(cls, salt)
    return cls(**values), _twin(cls)(**values)


def test_every_record_is_checked() -> None:
    import contracts

    found = set()
    for module in ("findings", "vendors", "_loading", "_spec_records", "_schema", "invariants",
                   "_compiled", "corpus"):
        mod = __import__(f"contracts.{module}", fromlist=["_"])
        found |= {v for v in vars(mod).values()
                  if isinstance(v, type) and issubclass(v, _record.Record)
                  and v is not _record.Record and v.__module__ == mod.__name__}
    assert found == set(RECORDS), contracts.__name__


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_signature_and_defaults_match_the_dataclass(cls: type) -> None:
    ours = inspect.signature(cls)
    theirs = inspect.signature(_twin(cls))
    assert [(p.name, p.kind, repr(p.default)) for p in ours.parameters.values()] == \
        [(p.name, p.kind, repr(p.default)) for p in theirs.parameters.values()]
    assert cls.__match_args__ == _twin(cls).__match_args__  # type: ignore[attr-defined]
    required = {p.name: f"{p.name}!" for p in ours.parameters.values()
                if p.default is inspect.Parameter.empty}
    assert dataclasses.asdict(cls(**required)) == dataclasses.asdict(_twin(cls)(**required))


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_repr_eq_hash_match_the_dataclass(cls: type) -> None:
    ours, theirs = _pair(cls)
    assert repr(ours) == repr(theirs)
    assert hash(ours) == hash(theirs)
    again, _ = _pair(cls)
    assert ours == again and (ours != again) is False and hash(ours) == hash(again)
    assert ours != theirs and theirs != ours  # another class is never equal
    for f in dataclasses.fields(cls):  # one field changed: equal exactly when not compared
        changed = dataclasses.replace(ours, **{f.name: "other"})
        twin_changed = dataclasses.replace(theirs, **{f.name: "other"})
        assert (changed == ours) == (twin_changed == theirs) == (not f.compare)
        assert repr(changed) == repr(twin_changed)


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_frozen_as_the_dataclass(cls: type) -> None:
    ours, theirs = _pair(cls)
    for f in dataclasses.fields(cls):
        for record in (ours, theirs):
            with pytest.raises(dataclasses.FrozenInstanceError) as caught:
                setattr(record, f.name, 1)
            assert str(caught.value) == f"cannot assign to field {f.name!r}"
            with pytest.raises(dataclasses.FrozenInstanceError) as caught:
                delattr(record, f.name)
            assert str(caught.value) == f"cannot delete field {f.name!r}"
    # A name that is no field: refused too. (Python 3.11's generated __setattr__ of a frozen
    # dataclass with slots raises TypeError here, a bug of super() in the rebuilt class.)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ours.unknown = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        del ours.unknown
    assert hasattr(ours, "__dict__") == hasattr(theirs, "__dict__")


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_pickle_copy_replace_asdict_match_the_dataclass(cls: type) -> None:
    ours, theirs = _pair(cls)
    for clone in (pickle.loads(pickle.dumps(ours)), copy.copy(ours), copy.deepcopy(ours)):
        assert clone == ours and clone is not ours and repr(clone) == repr(ours)
    assert dataclasses.asdict(ours) == dataclasses.asdict(theirs)
    assert dataclasses.astuple(ours) == dataclasses.astuple(theirs)
    assert [f.name for f in dataclasses.fields(ours)] == \
        [f.name for f in dataclasses.fields(theirs)]


def test_factories_run_per_instance() -> None:
    a, b = Document(source="a", data=None), Document(source="a", data=None)
    assert a.lines == {} and a.lines is not b.lines
    c = InvariantContext(api="a", operation="o", status=200, body=None)
    assert c.query == {} and c.scratch == {} and c.scratch is not \
        InvariantContext(api="a", operation="o", status=200, body=None).scratch
    given: dict[str, int] = {"/": 1}
    assert Document(source="a", data=None, lines=given).lines is given


def test_post_init_still_masks_credentials() -> None:
    token = "Bearer " + "x" * 32
    violation = Violation(code="c", message=f"sent {token}", pointer=f"/{token}")
    assert "x" * 32 not in violation.message and "x" * 32 not in violation.pointer
    twin = _twin(Violation)(code="c", message=f"sent {token}", pointer=f"/{token}")
    assert (violation.message, violation.pointer) == (twin.message, twin.pointer)


def test_a_record_that_contains_itself_repr_as_dataclasses_do() -> None:
    box: list[Any] = []
    record = Violation(code="c", message="m", expected=box)
    box.append(record)
    twin = _twin(Violation)(code="c", message="m", expected=[])
    twin.expected.append(twin)
    assert repr(record) == repr(twin)


def test_the_check_sees_a_wrong_init() -> None:
    @dataclasses.dataclass(init=False, repr=False, eq=False, slots=True)
    class Wrong(_record.Record):
        a: str
        b: int = 0

        def __init__(self, a: str, b: int = 1) -> None:  # default differs from the field's
            object.__setattr__(self, "a", a)
            object.__setattr__(self, "b", b)

    with pytest.raises(AssertionError):
        test_signature_and_defaults_match_the_dataclass(Wrong)


def test_ordering_and_severity_unchanged() -> None:
    # records are not ordered (as before: no order=True anywhere)
    with pytest.raises(TypeError):
        _ = Violation(code="a", message="m") < Violation(code="b", message="m")  # type: ignore[operator]
    assert Finding(code="c", message="m", source="s").severity is Severity.ERROR
