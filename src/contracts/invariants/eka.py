"""Eka Care EkaScribe's domain rules for Get Session: status codes, partial and expired bodies,
and the template filter.

Every rule looks only at ``getSession`` and skips whatever is missing or of the wrong type:
schema validation reports those.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .._pointers import escape_pointer
from ..findings import Severity, Violation
from . import InvariantContext, Rule

__all__ = ["RULES"]

# The page's status table: HTTP status -> the body `status` values it may carry.
_STATES: dict[int, frozenset[str]] = {
    202: frozenset({"processing", "initialized"}),
    200: frozenset({"completed", "failed"}),
    206: frozenset({"partial"}),
    410: frozenset({"expired"}),
}
_HTTP_OF = {state: http for http, states in _STATES.items() for state in states}


def _body(ctx: InvariantContext) -> dict[str, Any] | None:
    if ctx.operation != "getSession":
        return None
    return ctx.body if isinstance(ctx.body, dict) else None


def _query(ctx: InvariantContext, name: str) -> str | None:
    value = ctx.query.get(name) if hasattr(ctx.query, "get") else None
    return value if isinstance(value, str) else None


def status_mismatch(ctx: InvariantContext) -> Iterator[Violation]:
    """The HTTP status and the body's ``status`` say the same thing, as the page's table pairs
    them: 202 processing or initialized, 200 completed or failed, 206 partial, 410 expired.

    Severity: error. The page makes the HTTP status the progress signal and prints the table;
    a client polling "until the status is no longer 202" acts on the HTTP status alone. A body
    ``status`` from the table under an HTTP status outside it (say ``completed`` with 404)
    disagrees as well. (The response schemas admit the wider status lists of Eka's SDK JSON
    schemas, an assumption of the spec, so this rule is where the page's table is enforced.)

    Source: 002_ca4eadde89e2e195.txt
    > The HTTP status code signals progress: 202 still processing, 200 completed, 206 completed
    > with partial results, 410 expired, 404 not found.

    Source: 002_ca4eadde89e2e195.txt
    > 200 | failed | Processing failed (terminal).

    The spec's examples (202 processing and initialized, 200 completed and failed, 206
    partial, 410 expired) all pass.
    """
    body = _body(ctx)
    if body is None or ctx.status is None:
        return
    state = body.get("status")
    if not isinstance(state, str):
        return
    allowed = _STATES.get(ctx.status)
    if allowed is not None and state not in allowed:
        yield ctx.violation("status_mismatch",
                            f"the body's status disagrees with HTTP {ctx.status}", "/status",
                            actual={"http_status": ctx.status, "status": state},
                            expected=sorted(allowed))
    elif allowed is None and state in _HTTP_OF:
        yield ctx.violation("status_mismatch",
                            f"the body's status belongs with another HTTP status than "
                            f"{ctx.status}", "/status",
                            actual={"http_status": ctx.status, "status": state},
                            expected=f"HTTP {_HTTP_OF[state]}")


def partial_without_processing_errors(ctx: InvariantContext) -> Iterator[Violation]:
    """A 206 (partial) carries a non-empty ``processing_errors`` list.

    Severity: warning. The page says the partial body is the completed one "plus"
    ``processing_errors[]`` describing the failures, and a 206 means something did fail; but
    the page's per-state field lists are descriptions, not required-field lists (the spec
    requires only ``session_id`` and ``status`` in every state), so a missing or empty list is
    a warning. A list of the wrong type is left to the schema.

    Source: 002_ca4eadde89e2e195.txt
    > Same as completed, plus audio_files_processed and processing_errors[] describing the
    > non-fatal failures.

    The spec's 206 example passes (one processing error).
    """
    body = _body(ctx)
    if body is None or ctx.status != 206:
        return
    errors = body.get("processing_errors")
    if "processing_errors" not in body or errors is None:
        yield ctx.violation("partial_without_processing_errors",
                            "the partial session carries no processing_errors",
                            "/processing_errors",
                            actual={"processing_errors": errors},
                            expected="a list describing the non-fatal failures",
                            severity=Severity.WARNING)
    elif isinstance(errors, list) and not errors:
        yield ctx.violation("partial_without_processing_errors",
                            "the partial session's processing_errors is empty",
                            "/processing_errors", actual=errors,
                            expected="a list describing the non-fatal failures",
                            severity=Severity.WARNING)


def template_filter_ignored(ctx: InvariantContext) -> Iterator[Violation]:
    """With a ``template_id`` (or ``document_id``) query, only that template's documents come
    back.

    Each entry of ``templates`` is a single-key object keyed by its template_id (or, in the
    map shape of Eka's SDK JSON schemas, ``templates`` is one object keyed by template_id). An
    entry is kept by the filter when its key equals ``template_id`` or ``document_id``, or its
    inner ``document_id`` equals ``document_id`` (the spec's two readings of the 2026 rename).

    Severity: error when the request sent ``template_id`` (the page promises the filter);
    warning when it sent only ``document_id``, whose meaning is an assumption of the spec.

    Source: 002_ca4eadde89e2e195.txt
    > Pass?template_id=<id> to restrict the returned templates to documents for a single
    > template only

    Source: README.md
    > Eka renamed the Get Session query parameter
    > `template_id` to `document_id` in 2026; clients in the field still send `template_id`, so
    > both are worth accepting.

    An empty value is no filter. The page's templates example comes with no filter, so it
    yields nothing; filtered on
    ``eka_emr_template`` its second entry (``clinical_notes_template``) would be reported.
    """
    body = _body(ctx)
    # An empty value (``?template_id=``) filters nothing, as a form-encoded empty field.
    template_id = _query(ctx, "template_id") or None
    document_id = _query(ctx, "document_id") or None
    if body is None or (template_id is None and document_id is None):
        return
    templates = body.get("templates")
    if isinstance(templates, dict):
        # The map shape: one entry per template id, at /templates/<id>.
        entries = [(escape_pointer(str(key)), {key: value}) for key, value in templates.items()]
    elif isinstance(templates, list):
        entries = [(str(i), entry) for i, entry in enumerate(templates)]
    else:
        return
    severity = Severity.ERROR if template_id is not None else Severity.WARNING
    wanted = {v for v in (template_id, document_id) if v is not None}
    for where, entry in entries:
        if not isinstance(entry, dict):
            continue
        for key, result in entry.items():
            inner = result.get("document_id") if isinstance(result, dict) else None
            if key in wanted or (document_id is not None and inner == document_id):
                continue
            yield ctx.violation("template_filter_ignored",
                                "the filtered response returns another template's document",
                                f"/templates/{where}",
                                actual={"template_id": key, "document_id": inner},
                                expected="only documents of the requested template",
                                severity=severity)


def expired_with_results(ctx: InvariantContext) -> Iterator[Violation]:
    """A 410 (expired) session carries empty ``templates`` and ``transcript``.

    Severity: warning. The page lists "empty templates/transcript" among the expired body's
    fields; but it never marks those fields required or forbidden, and the spec, following Eka's
    other sources, accepts either a list or an object for them and does not enforce emptiness in
    the schema. A session that expired "before processing was initiated" has nothing to show,
    so results there are suspicious rather than proven wrong.

    Source: 002_ca4eadde89e2e195.txt
    > session_id, status: expired, created_at, expired_at, message, audio_files_received,
    > audio_files[], empty templates/transcript.

    The spec's 410 examples pass (``templates`` ``[]`` or ``{}``, ``transcript`` ``""`` or null).
    """
    body = _body(ctx)
    if body is None or ctx.status != 410:
        return
    templates, transcript = body.get("templates"), body.get("transcript")
    if isinstance(templates, list | dict) and templates:
        yield ctx.violation("expired_with_results", "the expired session returns templates",
                            "/templates", actual=templates, expected="empty",
                            severity=Severity.WARNING)
    if isinstance(transcript, str) and transcript.strip():
        yield ctx.violation("expired_with_results", "the expired session returns a transcript",
                            "/transcript", actual=transcript, expected="empty",
                            severity=Severity.WARNING)


RULES: tuple[Rule, ...] = (
    status_mismatch,
    partial_without_processing_errors,
    template_filter_ignored,
    expired_with_results,
)
