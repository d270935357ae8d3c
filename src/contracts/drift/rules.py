"""The traffic and baseline drift rules: each finding's grade, meaning and message."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from .._pointers import unescape_token
from ..diff.text import short
from ..findings import Severity

__all__ = ["TRAFFIC_RULES", "last_token", "traffic_message"]

ERR, WARN, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


# Traffic drift: recorded exchanges against a spec (contracts drift --api API CORPUS...).
# Each exchange's response is validated strictly (undocumented fields too, invariants off: they
# are domain rules, not shape) and every violation is classified into a rule below; findings
# are aggregated per (rule, operation, location, pointer) with counts and first/last seen, so a
# log of any length costs memory in proportion to the distinct findings, not the exchanges.
# docs/drift.md mirrors this table (a test keeps them equal).
TRAFFIC_RULES: Mapping[str, tuple[Severity, str]] = MappingProxyType({
    "drift.operation.undocumented": (WARN, "a call went to a method and path the spec does not "
                                           "document"),
    "drift.status.undocumented": (WARN, "a status the operation does not document (code that "
                                        "checks for the documented status may mishandle it)"),
    "drift.content_type.undocumented": (ERR, "a response media type the spec does not document"),
    "drift.body.not_json": (ERR, "a JSON response whose body does not parse"),
    "drift.body.missing": (ERR, "a response that documents a body came without one"),
    "drift.header.missing": (WARN, "a required response header was absent"),
    "drift.header.invalid": (WARN, "a response header does not match its schema"),
    "drift.field.missing_required": (ERR, "a required response field was absent"),
    "drift.field.renamed": (ERR, "an undocumented field whose name matches a documented one "
                                 "(snake_case/camelCase, a _v2 suffix): the field moved"),
    "drift.field.type_changed": (ERR, "a response value of a type the spec does not allow"),
    "drift.field.became_nullable": (ERR, "a response value was null where the spec does not "
                                         "allow null"),
    "drift.enum.new_value": (WARN, "a response value outside the documented enum (or const)"),
    "drift.field.format_changed": (WARN, "a response string not in its documented format"),
    "drift.field.constraint": (WARN, "a response value outside a documented bound (length, "
                                     "range, pattern, item count, ...)"),
    "drift.schema.mismatch": (WARN, "any other schema failure (no oneOf/anyOf alternative fits, "
                                    "a `not`, a false schema, ...)"),
    "drift.field.write_only": (ERR, "a response carries a value the spec marks `writeOnly` "
                                    "(a password or secret, never to be read back)"),
    "drift.field.undocumented": (INFO, "a response field the spec does not declare (safe to "
                                       "ignore; document it)"),
    "drift.waiver.expired": (INFO, "a waiver passed its expiry date: it silences nothing any "
                                   "more and should be removed or renewed"),
    "drift.waiver.unused": (INFO, "an active waiver matched no finding of the run: the drift it "
                                  "silenced is gone (or the traffic did not reach it), so it may "
                                  "be removed"),
    # baseline drift (contracts drift --baseline OLD NEW)
    "baseline.exchange.unpaired": (INFO, "a call recorded in only one of the two recordings"),
    "baseline.status.changed": (WARN, "the same call answered with another status of the "
                                      "same class"),
    "baseline.status.class_changed": (ERR, "the same call answered with a status of another "
                                           "class (a success became an error, or back)"),
    "baseline.body.changed_kind": (ERR, "a body that parsed as JSON no longer does (or the "
                                        "reverse), or one side has no body"),
    "baseline.field.removed": (ERR, "a field present before is gone"),
    "baseline.field.added": (INFO, "a new field"),
    "baseline.field.type_changed": (ERR, "a value changed type"),
    "baseline.field.became_null": (ERR, "a value that was not null is now null"),
    "baseline.value.changed": (INFO, "a non-volatile value changed (the same call gave other "
                                     "data)"),
})


def last_token(pointer: str) -> str:
    """The last token of a JSON pointer, unescaped: the field a finding is about."""
    return unescape_token(pointer.rsplit("/", 1)[-1])


# rule -> message from (name, expected, observed); a rule not listed is described by its
# expected text or, failing that, by its meaning in TRAFFIC_RULES.
_MESSAGES: dict[str, Callable[[str, str, str], str]] = {
    "drift.operation.undocumented":
        lambda name, expected, observed: "no documented operation matches this method and path",
    "drift.status.undocumented":
        lambda name, expected, observed: f"status {name} is not documented (documented: "
                                         f"{expected})",
    "drift.field.undocumented":
        lambda name, expected, observed: f"field {name!r} is not in the spec (observed: "
                                         f"{observed})",
    "drift.field.missing_required":
        lambda name, expected, observed: f"required field {name!r} is missing",
    "drift.field.renamed":
        lambda name, expected, observed: f"documented field {expected!r} seems to be sent as "
                                         f"{name!r}",
    "drift.field.type_changed":
        lambda name, expected, observed: f"expected {expected}, got {observed}",
    "drift.field.became_nullable":
        lambda name, expected, observed: f"expected {expected}, got null",
    "drift.enum.new_value":
        lambda name, expected, observed: f"a {observed} value outside the documented values "
                                         f"({short(expected, 60)})",
    "drift.field.format_changed":
        lambda name, expected, observed: f"not a valid {expected}",
    "drift.content_type.undocumented":
        lambda name, expected, observed: f"media type {name} is not documented (documented: "
                                         f"{expected})",
}
# Rules whose finding carries its own description (the validator's message) in ``expected``.
_SELF_DESCRIBED = frozenset({"drift.field.constraint", "drift.schema.mismatch",
                             "drift.header.invalid", "drift.header.missing",
                             "drift.body.not_json", "drift.body.missing"})


def traffic_message(rule: str, pointer: str, expected: str, observed: str) -> str:
    """The message of a traffic finding, from what it aggregated."""
    message = _MESSAGES.get(rule)
    if message is not None:
        return message(last_token(pointer), expected, observed)
    if rule in _SELF_DESCRIBED:
        return expected or TRAFFIC_RULES[rule][1]
    return TRAFFIC_RULES[rule][1]
