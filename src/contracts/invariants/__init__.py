"""Domain rules JSON Schema cannot state, one module per vendor (named by its entry in
:mod:`contracts.vendors`).

Each vendor module exposes ``RULES``: a tuple of functions ``rule(ctx) -> Iterator[Violation]``.
A rule looks at one exchange that already passed (or failed) schema validation, through
:class:`InvariantContext`, and yields violations with codes ``invariant.<api>.<name>``.
Rules must not assume the body is valid: they skip what is missing or of the wrong type
(schema validation reports that), and never raise on odd input.

A vendor module may also map operations to a :data:`Screen` in ``SCREENS``: the verdict of
all that operation's rules on an answer, in one pass, which recorded traffic asks first and
trusts only when it says that no rule would find anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, NamedTuple

from .._record import FACTORY, Record
from ..findings import Severity, Violation

__all__ = ["InvariantContext", "Rule", "Screen", "Voucher", "applies_to", "check_invariants",
           "rules_for", "rules_for_operation", "screen_for", "voucher_for"]


@dataclass(init=False, repr=False, eq=False, slots=True)  # a frozen record: see _record
class InvariantContext(Record):
    """What a rule may look at: the operation, the status, the bodies and the request query."""

    api: str
    operation: str
    status: int | None
    body: Any
    query: Mapping[str, str] = field(default_factory=dict)
    request_body: Any = None
    scratch: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Per-exchange cache for work several rules share (one pass over a long transcript)."""

    def __init__(self, api: str, operation: str, status: int | None, body: Any,
                 query: Mapping[str, str] = FACTORY, request_body: Any = None,
                 scratch: dict[str, Any] = FACTORY) -> None:
        # Each slot filled by its own descriptor (_SETTERS, below the class): recorded
        # traffic builds one context per exchange, and object.__setattr__ looks the slot up
        # by name on every call.
        api_, operation_, status_, body_, query_, request_body_, scratch_ = _SETTERS
        api_(self, api)
        operation_(self, operation)
        status_(self, status)
        body_(self, body)
        query_(self, {} if query is FACTORY else query)
        request_body_(self, request_body)
        scratch_(self, {} if scratch is FACTORY else scratch)

    def violation(self, name: str, message: str, pointer: str = "", *,
                  location: str = "response.body", actual: object = None,
                  expected: object = None, severity: Severity = Severity.ERROR) -> Violation:
        return Violation(code=f"invariant.{self.api}.{name}", message=message, api=self.api,
                         operation=self.operation, location=location, pointer=pointer,
                         actual=actual, expected=expected, severity=severity)


Rule = Callable[[InvariantContext], Iterator[Violation]]

_SETTERS = tuple(getattr(InvariantContext, name).__set__ for name in (
    "api", "operation", "status", "body", "query", "request_body", "scratch"))


class Voucher(NamedTuple):
    """A schema check a vendor's own pass makes anyway, which the engine may then skip
    (:mod:`contracts._vouched`).

    ``vouch(body, scratch)`` must be True only if every instance at the instance path ``at``
    (``*``: every array item) satisfies ``{keyword: schema}``, and it may leave what it read
    in ``scratch`` for the rules. ``node`` is the JSON pointer, in the spec's root document,
    of the schema object that holds ``keyword``; ``schema`` is what the voucher proves,
    written out: the spec's own subschema under ``keyword`` (its ``$ref``s followed, its
    annotations left out) must equal it, or the voucher is not used."""

    node: str
    keyword: str
    at: str
    schema: Any
    vouch: Callable[[Any, dict[str, Any]], bool]


Screen = Callable[[Any, "int | None", Mapping[str, str]], bool]
"""A vendor's quick verdict on one operation's answer, ``screen(body, status, query)``: True
only when no rule of that operation would yield anything for it; False: run the rules. A
vendor module may map operations to screens in ``SCREENS``."""

_LOADED: dict[str, tuple[Rule, ...]] = {}
_SCREENS: dict[str, Mapping[str, Screen]] = {}
_BY_OPERATION: dict[tuple[str, str], tuple[Rule, ...]] = {}


def applies_to(*operations: str) -> Callable[[Rule], Rule]:
    """Mark a rule as looking only at ``operations`` (it yields nothing for any other), so
    that it is not called for the others: recorded traffic checks every exchange."""
    def mark(rule: Rule) -> Rule:
        setattr(rule, "operations", frozenset(operations))  # noqa: B010 - a function attribute
        return rule
    return mark


def _module(api: str) -> Any:
    """A registered vendor's invariants module (None for other specs)."""
    from .. import vendors

    entry = vendors.find(api)
    return None if entry is None or entry.invariants is None else import_module(entry.invariants)


def rules_for(api: str) -> tuple[Rule, ...]:
    """The rules of a registered vendor (none for other specs)."""
    rules = _LOADED.get(api)
    if rules is None:
        module = _module(api)
        if module is None:
            return ()
        rules = _LOADED[api] = tuple(module.RULES)
    return rules


def screen_for(api: str, operation: str) -> Screen | None:
    """The screen the vendor of ``api`` gives ``operation`` (None: run its rules)."""
    screens = _SCREENS.get(api)
    if screens is None:
        screens = _SCREENS[api] = getattr(_module(api), "SCREENS", {})
    return screens.get(operation)


def voucher_for(api: str, operation: str, status: int) -> Voucher | None:
    """The :class:`Voucher` a registered vendor's module declares (in ``VOUCHERS``) for
    ``operation`` answered ``status``, if any."""
    found: Voucher | None = getattr(_module(api), "VOUCHERS", {}).get((operation, status))
    return found


def rules_for_operation(api: str, operation: str) -> tuple[Rule, ...]:
    """The rules of ``api`` that may find something in an answer of ``operation`` (those
    marked with :func:`applies_to` other operations left out), in their order."""
    key = (api, operation)
    rules = _BY_OPERATION.get(key)
    if rules is None:
        rules = tuple(r for r in rules_for(api)
                      if operation in getattr(r, "operations", (operation,)))
        if len(_BY_OPERATION) > 4096:
            _BY_OPERATION.clear()
        _BY_OPERATION[key] = rules
    return rules


def check_invariants(ctx: InvariantContext) -> Iterator[Violation]:
    for rule in rules_for_operation(ctx.api, ctx.operation):
        yield from rule(ctx)
