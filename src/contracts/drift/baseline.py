"""Baseline drift: two recordings of the same calls compared in shape and in value, with
volatile fields (ids, timestamps, signed URLs) masked."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from .._pointers import escape_pointer
from ..diff.adapter import body_changes
from ..diff.compare import as_spec
from ..errors import ContractsError, InputError
from ..findings import TrafficDrift
from ..specs import Spec
from .aggregate import ID_SEGMENT, Aggregator, fold_pointer, path_shape
from .report import TrafficReport, rank_traffic
from .rules import last_token

__all__ = ["DEFAULT_VOLATILE_KEYS", "VolatileRules", "baseline_drift"]

# Volatile fields change on every call (ids, timestamps, signed URLs): their values are masked
# by a placeholder that keeps their JSON type, so their shape (present, absent, type) is still
# compared but a new id is not a change. Users add key regexes or JSON pointer globs.
DEFAULT_VOLATILE_KEYS: tuple[str, ...] = (
    r"(?i)^(id|uuid|guid)$", r"(?i)[_-](id|uuid|guid)$", r"[a-z0-9](Id|ID|Uuid)$",
    r"(?i)[_-]at$", r"[a-z0-9]At$", r"(?i)(^|[_-])(date|time|timestamp|datetime)$",
    r"(?i)^(created|updated|modified|expires|expiry)", r"(?i)url", r"(?i)(token|signature|etag|"
    r"nonce)",
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                       r"(?:Z|[+-]\d{2}:?\d{2})?)?")
_SIGNED_URL = re.compile(r"(?i)^https?://\S*[?&](x-amz-signature|signature|sig|token|expires)=")


class VolatileRules:
    """Which body fields are volatile: key regexes and JSON pointer globs (``/a/*/b``)."""

    def __init__(self, extra: Iterable[str] = (), *, defaults: bool = True):
        keys = list(DEFAULT_VOLATILE_KEYS if defaults else ())
        pointers: list[str] = []
        for pattern in extra:
            (pointers if pattern.startswith("/") else keys).append(pattern)
        try:
            self._keys = [re.compile(k) for k in keys]
        except re.error as exc:
            raise ContractsError(f"--ignore: not a regular expression ({exc})") from None
        self._pointers = tuple(pointers)

    def key(self, name: str, pointer: str) -> bool:
        from fnmatch import fnmatchcase

        if any(k.search(name) for k in self._keys):
            return True
        return any(fnmatchcase(pointer, p) for p in self._pointers)

    def value(self, value: Any) -> bool:
        return isinstance(value, str) and (_ISO_DATE.fullmatch(value) is not None
                                           or _SIGNED_URL.match(value) is not None)

    def mask(self, value: Any, pointer: str = "") -> Any:
        """The value with volatile values replaced by ``<volatile TYPE>`` placeholders."""
        from .._schema import json_type

        if isinstance(value, dict):
            out = {}
            for name, child in value.items():
                here = f"{pointer}/{escape_pointer(str(name))}"
                if not isinstance(child, dict | list) and (self.key(str(name), fold_pointer(
                        here)) or self.value(child)):
                    out[name] = f"<volatile {json_type(child)}>"
                else:
                    out[name] = self.mask(child, here)
            return out
        if isinstance(value, list):
            return [self.mask(v, f"{pointer}/{i}") for i, v in enumerate(value)]
        if self.value(value):
            return f"<volatile {json_type(value)}>"
        return value


def _pointer_of(path: tuple[Any, ...]) -> str:
    return fold_pointer("".join(f"/{escape_pointer(str(p))}" for p in path))


def _parsed_body(body: Any) -> tuple[str, Any]:
    """("json", value) / ("none", None) / ("text", None): the body as the consumer reads it."""
    from .._loading import parse_json

    if body is None:
        return "none", None
    if isinstance(body, bytes | bytearray | str):
        if not body.strip():
            return "none", None
        try:
            return "json", parse_json(bytes(body) if not isinstance(body, str) else body)
        except InputError:
            return "text", None
    return "json", body


def _call_key(spec: Spec, item: Any) -> tuple[str, str]:
    """(operation label, normalised query) used to pair the same call in two recordings."""
    from urllib.parse import parse_qsl, urlsplit

    from ..errors import OperationNotFound

    try:
        label = spec.match(item.method, item.url).operation.operation_id
    except OperationNotFound:
        label = f"{item.method} {path_shape(item.url)}"
    pairs = parse_qsl(urlsplit(item.url).query, keep_blank_values=True)
    query = "&".join(f"{k}={'{id}' if ID_SEGMENT.match(v) else v}" for k, v in sorted(pairs))
    return label, query


Recorded = dict[tuple[str, str, int], tuple[Any, str, Any]]  # call -> (status, kind, body)


def baseline_drift(api: Spec | str | Path, old: Iterable[Any], new: Iterable[Any], *,
                   ignore: Iterable[str] = (), collect_values: bool = False,
                   sources: Iterable[str] = ()) -> TrafficReport:
    """What changed between two recordings of the same calls, in shape and in value.

    Calls are paired by operation (or method and path shape), query and ordinal (the n-th such
    call in each recording); their statuses and JSON bodies are compared with deepdiff, with
    volatile fields (ids, timestamps, signed URLs, and ``ignore``: key regexes or JSON pointer
    globs) masked. ``old`` is held in memory; ``new`` streams.
    """
    spec = as_spec(api)
    rules = VolatileRules(ignore)
    agg = Aggregator(collect_values)
    recorded = _record(spec, old, rules, agg)
    for call, n, item in _calls(spec, new, agg):
        label = call[0]
        agg.start(item)
        agg.total(label)
        before = recorded.pop((*call, n), None)
        if before is None:
            agg.hit("baseline.exchange.unpaired", label, "exchange", "/new-only",
                    expected="recorded in NEW only")
            continue
        _compare(agg, label, before, item, rules)
    for (label, _query, _n), _before in sorted(recorded.items()):
        agg.total(label)
        agg.hit("baseline.exchange.unpaired", label, "exchange", "/old-only",
                expected="recorded in OLD only")
    findings = [replace(f, message=_baseline_message(f)) for f in agg.findings()]
    return TrafficReport(api=spec.name, sources=tuple(sources), exchanges=agg.exchanges,
                         findings=tuple(rank_traffic(findings)), kind="baseline",
                         problems=agg.read_issues(), problem_count=agg.problem_count)


def _calls(spec: Spec, items: Iterable[Any], agg: Aggregator
           ) -> Iterator[tuple[tuple[str, str], int, Any]]:
    """Each exchange with its call (operation, query) and its ordinal among that call's
    exchanges; an unreadable part of the input goes to ``agg`` as a problem."""
    ordinals: dict[tuple[str, str], int] = {}
    for item in items:
        if not hasattr(item, "method"):
            agg.problem(item)
            continue
        call = _call_key(spec, item)
        n = ordinals[call] = ordinals.get(call, 0) + 1
        yield call, n, item


def _record(spec: Spec, old: Iterable[Any], rules: VolatileRules, agg: Aggregator) -> Recorded:
    """The old recording by call (operation, query, ordinal), bodies masked."""
    recorded: Recorded = {}
    for call, n, item in _calls(spec, old, agg):
        kind, body = _parsed_body(item.response_body)
        recorded[(*call, n)] = (item.status, kind, rules.mask(body) if kind == "json" else None)
    return recorded


def _compare(agg: Aggregator, label: str, before: tuple[Any, str, Any], item: Any,
             rules: VolatileRules) -> None:
    """One call in both recordings: status, body kind, then the masked bodies."""
    old_status, old_kind, old_body = before
    if old_status != item.status:
        same_class = str(old_status)[:1] == str(item.status)[:1]
        agg.hit("baseline.status.changed" if same_class else "baseline.status.class_changed",
                label, "response.status", "", expected=f"{old_status} -> {item.status}",
                value=(old_status, item.status), has_value=True)
    kind, body = _parsed_body(item.response_body)
    if kind != old_kind:
        agg.hit("baseline.body.changed_kind", label, "response.body", "",
                expected=f"{old_kind} -> {kind}")
        return
    if kind != "json":
        return
    for report, path, t1, t2 in body_changes(old_body, rules.mask(body)):
        _CHANGES.get(report, _other)(agg, label, report, path, t1, t2)


# -- deepdiff reports -> findings: one function per report -------------------------------------
Change = Callable[[Aggregator, str, str, tuple[Any, ...], Any, Any], None]


def _volatile_type(value: Any) -> str | None:
    """``string`` for a ``<volatile string>`` placeholder; None for any other value."""
    if isinstance(value, str) and value.startswith("<volatile "):
        return value[10:-1]
    return None


def _removed(agg: Aggregator, label: str, report: str, path: tuple[Any, ...], t1: Any,
             t2: Any) -> None:
    from .._schema import json_type

    agg.hit("baseline.field.removed", label, "response.body", _pointer_of(path),
            observed=json_type(t1), value=t1, has_value=True)


def _added(agg: Aggregator, label: str, report: str, path: tuple[Any, ...], t1: Any,
           t2: Any) -> None:
    from .._schema import json_type

    agg.hit("baseline.field.added", label, "response.body", _pointer_of(path),
            observed=json_type(t2), value=t2, has_value=True)


def _type_changed(agg: Aggregator, label: str, report: str, path: tuple[Any, ...], t1: Any,
                  t2: Any) -> None:
    from .._schema import json_type

    old_type = _volatile_type(t1) or json_type(t1)
    new_type = _volatile_type(t2) or json_type(t2)
    if new_type == "null" and old_type != "null":
        rule = "baseline.field.became_null"
    elif old_type == "null":
        rule = "baseline.value.changed"
    else:
        rule = "baseline.field.type_changed"
    agg.hit(rule, label, "response.body", _pointer_of(path), expected=old_type,
            observed=new_type, value=(t1, t2), has_value=True)


def _value_changed(agg: Aggregator, label: str, report: str, path: tuple[Any, ...], t1: Any,
                   t2: Any) -> None:
    from .._schema import json_type

    old_volatile, new_volatile = _volatile_type(t1), _volatile_type(t2)
    if old_volatile is not None and new_volatile is not None:
        if t1 != t2:  # a volatile value changed type
            agg.hit("baseline.field.type_changed", label, "response.body", _pointer_of(path),
                    expected=old_volatile, observed=new_volatile)
        return
    # (One side may look volatile, a date, and the other not: the value changed.)
    agg.hit("baseline.value.changed", label, "response.body", _pointer_of(path),
            expected=json_type(t1), observed=json_type(t2), value=(t1, t2), has_value=True)


def _list_items(agg: Aggregator, label: str, report: str, path: tuple[Any, ...], t1: Any,
                t2: Any) -> None:
    added = report == "iterable_item_added"
    agg.hit("baseline.value.changed", label, "response.body",
            fold_pointer(_pointer_of(path[:-1]) if path else ""), expected="list items",
            observed="added" if added else "removed", value=t2 if added else t1,
            has_value=True)


def _other(agg: Aggregator, label: str, report: str, path: tuple[Any, ...], t1: Any,
           t2: Any) -> None:
    """Set and attribute reports cannot come from JSON values; be safe."""
    agg.hit("baseline.value.changed", label, "response.body", _pointer_of(path),
            expected=report)


_CHANGES: dict[str, Change] = {
    "dictionary_item_removed": _removed, "dictionary_item_added": _added,
    "type_changes": _type_changed, "values_changed": _value_changed,
    "iterable_item_added": _list_items, "iterable_item_removed": _list_items,
}


# rule -> message from (name, finding); baseline.value.changed is worded below.
_MESSAGES: dict[str, Callable[[str, TrafficDrift], str]] = {
    "baseline.exchange.unpaired": lambda name, f: f"a call {f.expected}",
    "baseline.status.changed": lambda name, f: f"status changed ({f.expected})",
    "baseline.status.class_changed": lambda name, f: f"status changed ({f.expected})",
    "baseline.body.changed_kind": lambda name, f: f"the body changed kind ({f.expected})",
    "baseline.field.removed": lambda name, f: f"field {name!r} is gone (was {f.observed})",
    "baseline.field.added": lambda name, f: f"new field {name!r} ({f.observed})",
    "baseline.field.type_changed":
        lambda name, f: f"{name!r} changed type from {f.expected} to {f.observed}",
    "baseline.field.became_null": lambda name, f: f"{name!r} was {f.expected}, is now null",
}


def _baseline_message(finding: TrafficDrift) -> str:
    name = last_token(finding.pointer) or "body"
    message = _MESSAGES.get(finding.rule)
    if message is not None:
        return message(name, finding)
    if finding.expected == "list items":
        return f"list items {finding.observed}"
    return f"{name!r} changed value ({finding.expected} -> {finding.observed})"
