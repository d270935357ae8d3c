"""Traffic drift: recorded exchanges validated against a spec, each violation classified
into a rule of :data:`TRAFFIC_RULES` and aggregated."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .._pointers import escape_pointer
from ..diff.compare import as_spec
from ..diff.rules import CONSTRAINTS
from ..diff.text import short
from ..errors import ContractsError
from ..findings import Severity
from ..specs import Spec
from .aggregate import Aggregator, fold_pointer, path_shape
from .renames import detect_renames
from .report import TrafficReport, rank_traffic

__all__ = ["TrafficAnalyser", "drift_report", "traffic_drift"]

# The schema keyword a body failed -> its rule (any other keyword: drift.schema.mismatch).
_SCHEMA_KEYWORD_RULES = {
    "required": "drift.field.missing_required",
    "type": "drift.field.type_changed",
    "enum": "drift.enum.new_value",
    "const": "drift.enum.new_value",
    "format": "drift.field.format_changed",
    **dict.fromkeys(CONSTRAINTS - {"additionalProperties"}, "drift.field.constraint"),
    "maxContains": "drift.field.constraint",
    "minContains": "drift.field.constraint",
}
_CLIPPED = re.compile(r"<(object|array) of \d+>")


def _observed_type(actual: Any) -> str:
    """The JSON type of a violation's ``actual`` (containers arrive clipped as a summary)."""
    from .._schema import json_type

    if isinstance(actual, str):
        found = _CLIPPED.fullmatch(actual)
        if found:
            return found.group(1)
    return json_type(actual)


class TrafficAnalyser:
    """Validates each exchange against the spec and feeds its findings to the aggregator."""

    def __init__(self, spec: Spec, collect_values: bool, sources: tuple[str, ...] = ()):
        from ..validation import Validator

        self.spec = spec
        self.validator = Validator(spec, invariants=False)
        self.agg = Aggregator(collect_values, sources)
        self._ops: dict[tuple[str, str], Any] = {}
        self._urls: dict[tuple[str, str], Any] = {}
        self._keys: dict[tuple[str, int], tuple[tuple[str, ...], bool]] = {}
        self._statuses: dict[str, str] = {}

    def _match(self, item: Any) -> tuple[Any, bool]:
        """(operation or None, matched by URL)."""
        op = self._urls.get((item.method, item.url), False)
        if op is not False:  # the same URL again (a path with its query): no parsing
            key = None
        else:
            from urllib.parse import urlsplit

            key = (item.method, urlsplit(item.url).path or item.url)
            op = self._ops.get(key, False)
            if len(self._urls) > 4096:
                self._urls.clear()
        if op is False:
            from ..errors import OperationNotFound

            try:
                op = self.spec.match(item.method, item.url).operation
            except OperationNotFound:
                op = None
            if len(self._ops) > 4096:
                self._ops.clear()
            self._ops[key] = op  # type: ignore[index]
        if key is not None:
            self._urls[(item.method, item.url)] = op
        if op is None and getattr(item, "operation", None):
            try:
                return self.spec.operation(item.operation), False
            except ContractsError:
                return None, False
        return op, True

    def _response_keys(self, op: Any, status: int) -> tuple[tuple[str, ...], bool]:
        """The documented responses the body may be checked against, and whether ``status``
        is documented (the validator's rule: exact, class, default; an undocumented 2xx/3xx
        owes the body of a documented status of its class)."""
        cache = (op.operation_id, status)
        hit = self._keys.get(cache)
        if hit is None:
            responses = op.node.value.get("responses") or {}
            text = str(status)
            for key in (text, f"{text[0]}XX", f"{text[0]}xx", "default"):
                if key in responses:
                    hit = ((key,), True)
                    break
            else:
                hit = (tuple(sorted(str(k) for k in responses
                                    if str(k)[:1] == text[:1] and text[:1] in "23")), False)
            self._keys[cache] = hit
        return hit

    def _listed(self, op: Any) -> str:
        """The documented statuses of ``op``, as a status finding lists them."""
        listed = self._statuses.get(op.operation_id)
        if listed is None:
            listed = self._statuses[op.operation_id] = ", ".join(
                sorted(str(k) for k in op.node.value.get("responses") or {}))
        return listed

    def add(self, item: Any) -> None:
        agg = self.agg
        if not hasattr(item, "method"):
            agg.problem(item)
            return
        named = getattr(item, "api", None)
        if named and not self.spec.answers_to(str(named)):
            agg.skip(item, str(named))
            return
        agg.start(item)
        op, by_url = self._match(item)
        if op is None:
            label = f"{item.method} {path_shape(item.url)}"
            agg.total(label)
            agg.hit("drift.operation.undocumented", label, "request.path", "")
            return
        label = op.operation_id
        agg.total(label)
        if item.status is None:
            return
        status = int(item.status)
        keys, documented = self._response_keys(op, status)
        if not documented:
            agg.hit("drift.status.undocumented", label, "response.status", f"/{status}",
                    expected=self._listed(op))
        if not keys:
            return
        _judged_by, found = self._best_response(item, status, keys,
                                                None if by_url else label)
        # Filed under the status seen (a 200 judged by the documented 201's body is the
        # 200's finding), so the report says what came back.
        part = f"response.{status}"
        agg.total(label, part)
        for v in found:
            _VIOLATIONS.get(v.code, _ignored)(self.agg, v, label, part)

    def _best_response(self, item: Any, status: int, keys: tuple[str, ...],
                       name: str | None) -> tuple[str, list[Any]]:
        """The documented response the body is judged by, and its violations."""
        headers = item.response_headers or None
        if len(keys) == 1:
            return keys[0], list(self.validator.iter_response_violations(
                item.method, item.url, status, item.response_body, headers=headers,
                strict=True, operation=name))
        # An undocumented status whose class documents several bodies (a 201 where 200,
        # 202 and 206 are documented): judge the body by the one it fits best, so the
        # status is one finding and not a cascade of body findings.
        best: tuple[tuple[int, int], str, list[Any]] | None = None
        for candidate in keys:
            checked = list(self.validator.iter_response_violations(
                item.method, item.url, int(candidate), item.response_body,
                headers=headers, strict=True, operation=name))
            score = (sum(1 for v in checked if v.severity > Severity.INFO), len(checked))
            if best is None or score < best[0]:
                best = (score, candidate, checked)
        assert best is not None
        return best[1], best[2]

    def report(self, sources: tuple[str, ...]) -> TrafficReport:
        return drift_report(self.spec, self.agg, sources)


def drift_report(spec: Spec, accumulator: Aggregator, sources: tuple[str, ...]) -> TrafficReport:
    """The report of a (merged) accumulator: renames detected and findings graded and ranked
    only now, over the whole corpus."""
    findings = detect_renames(spec, accumulator.findings())
    return TrafficReport(api=spec.name, sources=sources, skipped=accumulator.skipped_counts(),
                         exchanges=accumulator.exchanges,
                         findings=tuple(rank_traffic(findings)),
                         problems=accumulator.read_issues(),
                         problem_count=accumulator.problem_count)


def traffic_drift(api: Spec | str | Path, items: Iterable[Any], *,
                  sources: Iterable[str] = (), collect_values: bool = False) -> TrafficReport:
    """Aggregate how recorded traffic departs from ``api``'s spec.

    ``items`` are exchanges (``contracts.exchanges.Exchange`` or anything with the same
    attributes) and, for parts of the input that could not be read, problem records (anything
    with ``source``, ``line`` and ``message`` but no ``method``); the caller reads the files,
    e.g. ``itertools.chain.from_iterable(map(read_exchanges, paths))``. Streams: memory grows
    with the distinct findings, not the exchanges. ``collect_values`` keeps up to five observed
    values per finding (for ``--show-values`` and suggestions); off by default, as values may be
    patient data.
    """
    sources = tuple(sources)
    analyser = TrafficAnalyser(as_spec(api), collect_values, sources)
    for item in items:
        analyser.add(item)
    return analyser.report(sources)




# -- violations -> findings: one function per validator code ---------------------------------
Classifier = Callable[[Aggregator, Any, str, str], None]  # (agg, violation, operation, part)


def _schema_expected(keyword: str, v: Any) -> str:
    if keyword == "type":
        return " or ".join(map(str, v.expected or []))
    if keyword == "const":
        return short(json.dumps(v.expected, default=str), 60)
    return ", ".join(map(str, v.expected or []))


def _body_schema(agg: Aggregator, v: Any, label: str, part: str) -> None:
    keyword = v.schema_path.rsplit("/", 1)[-1]
    if keyword == "additionalProperties":
        return  # strict mode names each such field as undocumented
    rule = _SCHEMA_KEYWORD_RULES.get(keyword, "drift.schema.mismatch")
    pointer = fold_pointer(v.pointer)
    expected = ""
    observed = _observed_type(v.actual)
    if rule == "drift.field.missing_required":
        pointer = f"{pointer}/{escape_pointer(str(v.expected))}"
        observed = ""
    elif rule in ("drift.field.type_changed", "drift.enum.new_value"):
        if v.actual is None:
            rule = "drift.field.became_nullable"
        expected = _schema_expected(keyword, v)
    elif rule == "drift.field.format_changed":
        expected = str(v.expected)
    else:
        expected = v.message
    agg.hit(rule, label, f"{part}.body", pointer, total_part=part, expected=expected,
            observed=observed, schema_path=v.schema_path, value=v.actual,
            has_value=rule != "drift.field.missing_required")


def _undocumented_field(agg: Aggregator, v: Any, label: str, part: str) -> None:
    agg.hit("drift.field.undocumented", label, f"{part}.body", fold_pointer(v.pointer),
            total_part=part, observed=str(v.actual))


def _write_only(agg: Aggregator, v: Any, label: str, part: str) -> None:
    agg.hit("drift.field.write_only", label, f"{part}.body", fold_pointer(v.pointer),
            total_part=part, observed=_observed_type(v.actual), schema_path=v.schema_path,
            value=v.actual, has_value=True)


def _content_type(agg: Aggregator, v: Any, label: str, part: str) -> None:
    media = str(v.actual or "").split(";", 1)[0].strip().lower()
    agg.hit("drift.content_type.undocumented", label, f"{part}.content_type",
            f"/{escape_pointer(media)}", total_part=part,
            expected=", ".join(map(str, v.expected or [])))


def _header(agg: Aggregator, v: Any, label: str, part: str) -> None:
    name = v.pointer.split("/")[1] if v.pointer.startswith("/") else v.pointer
    agg.hit(_HEADER_RULES[v.code], label, f"{part}.header", f"/{name}", total_part=part,
            expected=v.message)


def _body(agg: Aggregator, v: Any, label: str, part: str) -> None:
    agg.hit(_BODY_RULES[v.code], label, f"{part}.body", "", total_part=part,
            expected=v.message)


def _ignored(agg: Aggregator, v: Any, label: str, part: str) -> None:
    """response.status.undocumented (counted by the analyser), invariants, requests."""


_HEADER_RULES = {"response.header.missing": "drift.header.missing",
                 "response.header.invalid": "drift.header.invalid"}
_BODY_RULES = {"response.body.not_json": "drift.body.not_json",
               "response.body.missing": "drift.body.missing"}
# The validator's violation code -> how it becomes a finding.
_VIOLATIONS: dict[str, Classifier] = {
    "response.body.schema": _body_schema,
    "response.body.undocumented_field": _undocumented_field,
    "response.body.write_only": _write_only,
    "response.content_type.undocumented": _content_type,
    **dict.fromkeys(_HEADER_RULES, _header),
    **dict.fromkeys(_BODY_RULES, _body),
}
