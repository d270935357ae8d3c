"""The vendors' domain invariants: each rule passes and fails where its docstring says, the
page examples yield exactly the documented violations, the docstrings quote the pages
verbatim, and no JSON body whatsoever makes a rule raise."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import contracts
from _support import Example, examples
from contracts import Severity
from contracts.invariants import InvariantContext, Rule, check_invariants, rules_for

APIS = ("upheal", "heidi", "eka", "realtimekit")
DOCS = Path(__file__).parent / "data" / "docs"
# The vendor pages the docstrings quote live outside this repository (see specs/CONVENTIONS.md).
VENDOR_DOCS = Path(os.environ.get("CONTRACTS_VENDOR_DOCS",
                                  Path(__file__).resolve().parents[2] / "shared" / "vendor-docs"))

RESPONSE_EXAMPLES: list[Example] = [e for e in examples() if e.status is not None]
BY_ID: dict[str, Example] = {e.id: e for e in RESPONSE_EXAMPLES}


def rules(api: str) -> dict[str, Rule]:
    return {rule.__name__: rule for rule in rules_for(api)}


def example(api: str, operation: str, status: int, name: str) -> Any:
    """A deep copy of a named example of the spec (loaded through ``contracts.load_spec``)."""
    return copy.deepcopy(BY_ID[f"{api}:{operation}:{status}:{name}"].value)


# -- JSON pointer edits ------------------------------------------------------------------------

def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def _parent(doc: Any, pointer: str) -> tuple[Any, Any]:
    *head, last = _tokens(pointer)
    node = doc
    for token in head:
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node, (int(last) if isinstance(node, list) else last)


def put(pointer: str, value: Any) -> Callable[[Any], None]:
    def edit(doc: Any) -> None:
        node, key = _parent(doc, pointer)
        node[key] = copy.deepcopy(value)
    return edit


def delete(pointer: str) -> Callable[[Any], None]:
    def edit(doc: Any) -> None:
        node, key = _parent(doc, pointer)
        del node[key]
    return edit


def insert(pointer: str, value: Any) -> Callable[[Any], None]:
    def edit(doc: Any) -> None:
        node, key = _parent(doc, pointer)
        node.insert(key, copy.deepcopy(value))
    return edit


# -- the cases -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    id: str
    api: str
    rule: str
    operation: str
    status: int | None
    example: str                       # name of the spec example the body is copied from
    edits: tuple[Callable[[Any], None], ...] = ()
    query: dict[str, str] = field(default_factory=dict)
    fails_at: tuple[str, ...] = ()     # pointers of the violations the rule yields; () passes
    example_status: int | None = None  # the example's own status, when served under another
    severity: Severity | None = None   # when it differs from the rule's documented severity


def case(id: str, api: str, rule: str, op: str, status: int | None, ex: str,
         *edits: Callable[[Any], None], fails_at: tuple[str, ...] = (),
         query: dict[str, str] | None = None, example_status: int | None = None,
         severity: Severity | None = None) -> Case:
    return Case(id, api, rule, op, status, ex, edits, dict(query or {}), fails_at,
                example_status, severity)


U_DONE, U_PAGE, U_ERR = "getSession-200-done", "getSession-200", "getSession-200-error"
UTT = "/transcript/utterances/0"
SECOND_UTTERANCE = {"text": "Synthetic reply.", "start": 2000, "end": 2500, "speaker": "B",
                    "words": [{"text": "Synthetic", "start": 2000, "end": 2300},
                              {"text": "reply.", "start": 2300, "end": 2500}]}


def up(id: str, rule: str, ex: str, *edits: Callable[[Any], None],
       fails_at: tuple[str, ...] = ()) -> Case:
    return case(id, "upheal", rule, "getSession", 200, ex, *edits, fails_at=fails_at)


UPHEAL = [
    up("upheal-done-example-in-order", "time_range_reversed", U_DONE),
    up("upheal-utterance-starts-after-end", "time_range_reversed", U_DONE,
       put(f"{UTT}/start", 1900), fails_at=(UTT,)),
    up("upheal-word-ends-before-start", "time_range_reversed", U_DONE,
       put(f"{UTT}/words/1/end", 600), fails_at=(f"{UTT}/words/1",)),
    up("upheal-topic-ends-before-start", "time_range_reversed", U_DONE,
       put("/topics/0/start", 2000), fails_at=("/topics/0",)),
    up("upheal-last-word-ends-with-utterance", "word_outside_utterance", U_DONE),
    up("upheal-word-ends-after-utterance", "word_outside_utterance", U_DONE,
       put(f"{UTT}/words/2/end", 1801), fails_at=(f"{UTT}/words/2",)),
    up("upheal-word-starts-before-utterance", "word_outside_utterance", U_DONE,
       put(f"{UTT}/start", 100), fails_at=(f"{UTT}/words/0",)),
    up("upheal-words-in-order", "words_out_of_order", U_DONE),
    up("upheal-word-starts-before-previous", "words_out_of_order", U_DONE,
       put(f"{UTT}/words/2/start", 600), fails_at=(f"{UTT}/words/2/start",)),
    up("upheal-second-utterance-after-first", "utterances_out_of_order", U_DONE,
       insert("/transcript/utterances/1", SECOND_UTTERANCE)),
    up("upheal-later-utterance-listed-first", "utterances_out_of_order", U_DONE,
       insert("/transcript/utterances/0", SECOND_UTTERANCE),
       fails_at=("/transcript/utterances/1/start",)),
    up("upheal-capital-letter-speakers", "speaker_label_invalid", U_DONE),
    up("upheal-speaker-named-not-lettered", "speaker_label_invalid", U_DONE,
       put(f"{UTT}/speaker", "speaker_0"), fails_at=(f"{UTT}/speaker",)),
    up("upheal-lowercase-speaker", "speaker_label_invalid", U_DONE,
       put(f"{UTT}/speaker", "a"), fails_at=(f"{UTT}/speaker",)),
    up("upheal-numbered-mapping-key", "speaker_label_invalid", U_DONE,
       put("/transcript/speakerMapping", {"A": "u1", "1": "u2"}),
       fails_at=("/transcript/speakerMapping/1",)),
    up("upheal-speakers-run-from-a", "speakers_not_from_a", U_DONE),
    up("upheal-page-example-b-with-mapping-a-b", "speakers_not_from_a", U_PAGE),
    up("upheal-page-example-only-b-without-mapping", "speakers_not_from_a", U_PAGE,
       delete("/transcript/speakerMapping"), fails_at=("/transcript",)),
    up("upheal-mapping-skips-b", "speakers_not_from_a", U_DONE,
       put("/transcript/speakerMapping", {"A": "u1", "C": "u2"}), fails_at=("/transcript",)),
    up("upheal-every-mapped-speaker-speaks", "speaker_mapping_unused", U_DONE,
       insert("/transcript/utterances/1", SECOND_UTTERANCE)),
    up("upheal-mapped-b-never-speaks", "speaker_mapping_unused", U_DONE,
       fails_at=("/transcript/speakerMapping/B",)),
    up("upheal-inside-recording", "outside_recording", U_DONE),
    up("upheal-page-example-duration-0-unknown", "outside_recording", U_PAGE),
    up("upheal-page-topic-past-known-duration", "outside_recording", U_PAGE,
       put("/recordingDurationMs", 30000), fails_at=("/topics/0/end",)),
    up("upheal-topic-ends-after-recording", "outside_recording", U_DONE,
       put("/topics/0/end", 3000001), fails_at=("/topics/0/end",)),
    up("upheal-utterance-starts-before-recording", "outside_recording", U_DONE,
       put(f"{UTT}/start", -5), fails_at=(f"{UTT}/start",)),
    up("upheal-ratios-within-0-1", "talking_ratio_out_of_range", U_PAGE),
    up("upheal-ratio-exactly-1", "talking_ratio_out_of_range", U_DONE,
       put("/analyticsSummary/talkingRatio/00000000-0000-4000-8000-000000000101/ratio", 1)),
    up("upheal-ratio-above-1", "talking_ratio_out_of_range", U_DONE,
       put("/analyticsSummary/talkingRatio/00000000-0000-4000-8000-000000000101/ratio", 1.2),
       fails_at=("/analyticsSummary/talkingRatio/00000000-0000-4000-8000-000000000101/ratio",)),
    up("upheal-long-term-ratio-negative", "talking_ratio_out_of_range", U_DONE,
       put("/analyticsSummary/talkingRatio/00000000-0000-4000-8000-000000000101/ratioLongTerm",
           -0.1),
       fails_at=("/analyticsSummary/talkingRatio/00000000-0000-4000-8000-000000000101/"
                 "ratioLongTerm",)),
    up("upheal-error-state-with-error", "error_state_without_error", U_ERR),
    up("upheal-page-example-in-progress-with-error", "error_state_without_error", U_PAGE),
    up("upheal-error-state-without-error", "error_state_without_error", U_ERR,
       delete("/error"), fails_at=("/error",)),
]

H_LIST = "listLinkedUserSessions-200"


def hd(id: str, rule: str, *edits: Callable[[Any], None], fails_at: tuple[str, ...] = (),
       query: dict[str, str] | None = None) -> Case:
    return case(id, "heidi", rule, "listLinkedUserSessions", 200, H_LIST, *edits,
                fails_at=fails_at, query=query)


HEIDI = [
    hd("heidi-page-example-10-of-13", "count_exceeds_total"),
    hd("heidi-count-equals-total", "count_exceeds_total", put("/count", 13)),
    hd("heidi-count-above-total", "count_exceeds_total", put("/count", 14),
       fails_at=("/count",)),
    hd("heidi-count-matches-list", "count_mismatch", put("/count", 1)),
    hd("heidi-page-example-count-10-lists-1", "count_mismatch", fails_at=("/count",)),
    hd("heidi-page-size-10-count-10", "page_size_exceeded", query={"page_size": "10"}),
    hd("heidi-page-size-not-a-number-ignored", "page_size_exceeded",
       query={"page_size": "ten"}),
    hd("heidi-count-above-page-size", "page_size_exceeded", query={"page_size": "5"},
       fails_at=("/count",)),
    hd("heidi-list-longer-than-page-size", "page_size_exceeded", put("/count", 1),
       put("/sessions", [{"session_id": "s1"}, {"session_id": "s2"}]),
       query={"page_size": "1"}, fails_at=("/sessions",)),
    hd("heidi-next-page-given", "next_page_disagrees", put("/next_page", 2)),
    hd("heidi-last-page-null", "next_page_disagrees", put("/has_next_page", False)),
    hd("heidi-page-example-has-next-but-null", "next_page_disagrees",
       fails_at=("/next_page",)),
    hd("heidi-no-next-page-but-cursor", "next_page_disagrees", put("/has_next_page", False),
       put("/next_page", "cursor-2"), fails_at=("/next_page",)),
    hd("heidi-page-example-more-to-come", "next_page_after_last"),
    hd("heidi-all-counted-no-next", "next_page_after_last", put("/count", 13),
       put("/has_next_page", False)),
    hd("heidi-all-counted-yet-next", "next_page_after_last", put("/count", 13),
       fails_at=("/has_next_page",)),
]


def ek(id: str, rule: str, status: int, ex: str, *edits: Callable[[Any], None],
       fails_at: tuple[str, ...] = (), query: dict[str, str] | None = None,
       example_status: int | None = None, severity: Severity | None = None) -> Case:
    return case(id, "eka", rule, "getSession", status, ex, *edits, fails_at=fails_at,
                query=query, example_status=example_status, severity=severity)


E_DONE, E_FAILED = "getSession-200-completed", "getSession-200-failed"
E_PROC, E_PARTIAL, E_EXPIRED = "getSession-202-processing", "getSession-206-partial", \
    "getSession-410-expired"
ONLY_EKA_EMR = delete("/templates/1")

EKA = [
    ek("eka-200-completed", "status_mismatch", 200, E_DONE),
    ek("eka-200-failed", "status_mismatch", 200, E_FAILED),
    ek("eka-202-processing", "status_mismatch", 202, E_PROC),
    ek("eka-206-partial", "status_mismatch", 206, E_PARTIAL),
    ek("eka-410-expired", "status_mismatch", 410, E_EXPIRED),
    ek("eka-processing-body-under-200", "status_mismatch", 200, E_PROC, example_status=202,
       fails_at=("/status",)),
    ek("eka-200-says-partial", "status_mismatch", 200, E_DONE, put("/status", "partial"),
       fails_at=("/status",)),
    ek("eka-completed-body-under-404", "status_mismatch", 404, E_DONE, example_status=200,
       fails_at=("/status",)),
    ek("eka-206-with-processing-errors", "partial_without_processing_errors", 206, E_PARTIAL),
    ek("eka-206-without-processing-errors", "partial_without_processing_errors", 206,
       E_PARTIAL, delete("/processing_errors"), fails_at=("/processing_errors",)),
    ek("eka-206-empty-processing-errors", "partial_without_processing_errors", 206, E_PARTIAL,
       put("/processing_errors", []), fails_at=("/processing_errors",)),
    ek("eka-no-filter-both-templates", "template_filter_ignored", 200, E_DONE),
    ek("eka-empty-template-id-is-no-filter", "template_filter_ignored", 200, E_DONE,
       query={"template_id": ""}),
    ek("eka-template-id-filter-honoured", "template_filter_ignored", 200, E_DONE,
       ONLY_EKA_EMR, query={"template_id": "eka_emr_template"}),
    ek("eka-template-id-filter-ignored", "template_filter_ignored", 200, E_DONE,
       query={"template_id": "eka_emr_template"}, fails_at=("/templates/1",)),
    ek("eka-document-id-as-template-honoured", "template_filter_ignored", 200, E_DONE,
       ONLY_EKA_EMR, query={"document_id": "eka_emr_template"}),
    ek("eka-document-id-as-inner-id-honoured", "template_filter_ignored", 200, E_DONE,
       ONLY_EKA_EMR, query={"document_id": "doc_abc123"}),
    ek("eka-document-id-filter-ignored", "template_filter_ignored", 200, E_DONE,
       query={"document_id": "eka_emr_template"}, fails_at=("/templates/1",),
       severity=Severity.WARNING),
    ek("eka-both-filters-either-honoured", "template_filter_ignored", 200, E_DONE,
       query={"template_id": "eka_emr_template", "document_id": "doc_def456"}),
    # The map shape of Eka's SDK JSON schemas: templates keyed by template id.
    ek("eka-map-template-id-filter-honoured", "template_filter_ignored", 200, E_DONE,
       put("/templates", {"eka_emr_template": {"status": "success"}}),
       query={"template_id": "eka_emr_template"}),
    ek("eka-map-template-id-filter-ignored", "template_filter_ignored", 200, E_DONE,
       put("/templates", {"eka_emr_template": {"status": "success"},
                          "clinical_notes_template": {"status": "success"}}),
       query={"template_id": "eka_emr_template"},
       fails_at=("/templates/clinical_notes_template",)),
    ek("eka-410-empty", "expired_with_results", 410, E_EXPIRED),
    ek("eka-410-empty-object-null", "expired_with_results", 410,
       "getSession-410-expired-object-templates"),
    ek("eka-410-with-templates", "expired_with_results", 410, E_EXPIRED,
       put("/templates", [{"eka_emr_template": {"status": "success"}}]),
       fails_at=("/templates",)),
    ek("eka-410-with-transcript", "expired_with_results", 410, E_EXPIRED,
       put("/transcript", "Synthetic transcript text."), fails_at=("/transcript",)),
]


def rk(id: str, rule: str, op: str, ex: str, *edits: Callable[[Any], None],
       fails_at: tuple[str, ...] = (), query: dict[str, str] | None = None) -> Case:
    return case(id, "realtimekit", rule, op, 200, ex, *edits, fails_at=fails_at, query=query)


R_LIST, R_ONE = "getSessions-200", "getSessionDetails-200"
R_PARTS, R_PART = "getSessionParticipants-200", "getSessionParticipantDetails-200"
R_PEER = "getParticipantDataFromPeerId-200"
EARLY = "2025-03-04T08:00:00.000Z"

REALTIMEKIT = [
    rk("rtk-2-sessions-per-page-2", "page_size_exceeded", "getSessions", R_LIST,
       query={"per_page": "2"}),
    rk("rtk-2-sessions-per-page-1", "page_size_exceeded", "getSessions", R_LIST,
       query={"per_page": "1"}, fails_at=("/data/sessions",)),
    rk("rtk-2-sessions-per-page-fraction-ignored", "page_size_exceeded", "getSessions",
       R_LIST, query={"per_page": "0.05"}),
    rk("rtk-2-participants-per-page-1", "page_size_exceeded", "getSessionParticipants",
       R_PARTS, query={"per_page": "1"}, fails_at=("/data/participants",)),
    rk("rtk-2-sessions-total-2", "sessions_exceed_total", "getSessions", R_LIST),
    rk("rtk-2-sessions-total-1", "sessions_exceed_total", "getSessions", R_LIST,
       put("/paging/total_count", 1), fails_at=("/data/sessions",)),
    rk("rtk-2-sessions-total-1-no-offsets", "sessions_exceed_total", "getSessions", R_LIST,
       put("/paging", {"total_count": 1}), fails_at=("/data/sessions",)),
    rk("rtk-offsets-1-2", "paging_offsets", "getSessions", R_LIST),
    rk("rtk-offsets-page-1-of-2", "paging_offsets", "getSessions", R_LIST,
       query={"page_no": "1", "per_page": "2"}),
    rk("rtk-offsets-page-2-of-2", "paging_offsets", "getSessions", R_LIST,
       put("/paging", {"start_offset": 3, "end_offset": 4, "total_count": 4}),
       query={"page_no": "2", "per_page": "2"}),
    rk("rtk-offsets-span-3-lists-2", "paging_offsets", "getSessions", R_LIST,
       put("/paging/start_offset", 0), fails_at=("/paging",)),
    rk("rtk-offsets-span-above-per-page", "paging_offsets", "getSessions", R_LIST,
       query={"per_page": "1"}, fails_at=("/paging",)),
    rk("rtk-offsets-end-past-total", "paging_offsets", "getSessions", R_LIST,
       put("/paging/total_count", 1), fails_at=("/paging/end_offset",)),
    rk("rtk-offsets-page-2-starts-at-1", "paging_offsets", "getSessions", R_LIST,
       query={"page_no": "2", "per_page": "2"}, fails_at=("/paging/start_offset",)),
    rk("rtk-ended-with-ended-at", "ended_without_ended_at", "getSessions", R_LIST),
    rk("rtk-listed-ended-without-ended-at", "ended_without_ended_at", "getSessions", R_LIST,
       delete("/data/sessions/0/ended_at"), fails_at=("/data/sessions/0/ended_at",)),
    rk("rtk-details-ended-without-ended-at", "ended_without_ended_at", "getSessionDetails",
       R_ONE, delete("/data/ended_at"), fails_at=("/data/ended_at",)),
    rk("rtk-ends-after-start", "ended_before_started", "getSessionDetails", R_ONE),
    rk("rtk-ends-before-start", "ended_before_started", "getSessionDetails", R_ONE,
       put("/data/ended_at", EARLY), fails_at=("/data/ended_at",)),
    rk("rtk-listed-ends-before-start", "ended_before_started", "getSessions", R_LIST,
       put("/data/sessions/0/ended_at", EARLY), fails_at=("/data/sessions/0/ended_at",)),
    rk("rtk-naive-end-not-compared-with-utc-start", "ended_before_started",
       "getSessionDetails", R_ONE, put("/data/ended_at", "2025-03-04T08:00:00")),
    rk("rtk-live-2-of-2", "live_participants_exceed_max", "getSessions", R_LIST),
    rk("rtk-live-3-of-2", "live_participants_exceed_max", "getSessions", R_LIST,
       put("/data/sessions/1/live_participants", 3),
       fails_at=("/data/sessions/1/live_participants",)),
    rk("rtk-ended-nobody-live", "ended_with_live_participants", "getSessionDetails", R_ONE),
    rk("rtk-live-session-with-participants", "ended_with_live_participants", "getSessions",
       R_LIST),
    rk("rtk-ended-somebody-live", "ended_with_live_participants", "getSessionDetails", R_ONE,
       put("/data/live_participants", 1), fails_at=("/data/live_participants",)),
    rk("rtk-participants-leave-after-joining", "left_before_joined",
       "getSessionParticipants", R_PARTS),
    rk("rtk-participant-leaves-before-joining", "left_before_joined",
       "getSessionParticipants", R_PARTS, put("/data/participants/1/left_at", EARLY),
       fails_at=("/data/participants/1/left_at",)),
    rk("rtk-participant-details-leaves-before-joining", "left_before_joined",
       "getSessionParticipantDetails", R_PART, put("/data/participant/left_at", EARLY),
       fails_at=("/data/participant/left_at",)),
    rk("rtk-peer-leaves-after-joining", "left_before_joined", "getParticipantDataFromPeerId",
       R_PEER),
    rk("rtk-peer-leaves-before-joining", "left_before_joined",
       "getParticipantDataFromPeerId", R_PEER, put("/data/left_at", EARLY),
       fails_at=("/data/left_at",)),
    # The spec lets every field the page calls optional be null: a null counts as absent.
    rk("rtk-listed-ended-with-null-ended-at", "ended_without_ended_at", "getSessions", R_LIST,
       put("/data/sessions/0/ended_at", None), fails_at=("/data/sessions/0/ended_at",)),
    rk("rtk-details-ended-with-null-ended-at", "ended_without_ended_at", "getSessionDetails",
       R_ONE, put("/data/ended_at", None), fails_at=("/data/ended_at",)),
    rk("rtk-live-with-null-ended-at", "ended_without_ended_at", "getSessions", R_LIST,
       put("/data/sessions/1/ended_at", None)),
    rk("rtk-null-data-no-sessions", "ended_without_ended_at", "getSessionDetails", R_ONE,
       put("/data", None)),
    rk("rtk-null-ended-at-not-compared", "ended_before_started", "getSessionDetails", R_ONE,
       put("/data/ended_at", None)),
    rk("rtk-null-left-at-not-compared", "left_before_joined", "getSessionParticipants",
       R_PARTS, put("/data/participants/1/left_at", None)),
    rk("rtk-null-joined-at-not-compared", "left_before_joined", "getSessionParticipantDetails",
       R_PART, put("/data/participant/joined_at", None)),
    rk("rtk-null-participant", "left_before_joined", "getSessionParticipantDetails", R_PART,
       put("/data/participant", None)),
    rk("rtk-null-peer-data", "left_before_joined", "getParticipantDataFromPeerId", R_PEER,
       put("/data", None)),
    rk("rtk-null-participants-list", "page_size_exceeded", "getSessionParticipants", R_PARTS,
       put("/data/participants", None), query={"per_page": "1"}),
    rk("rtk-null-sessions-list", "page_size_exceeded", "getSessions", R_LIST,
       put("/data/sessions", None), query={"per_page": "1"}),
    rk("rtk-null-total-count", "sessions_exceed_total", "getSessions", R_LIST,
       put("/paging/total_count", None)),
    rk("rtk-null-paging", "sessions_exceed_total", "getSessions", R_LIST, put("/paging", None)),
    rk("rtk-null-paging-offsets", "paging_offsets", "getSessions", R_LIST, put("/paging", None),
       query={"page_no": "2", "per_page": "1"}),
    rk("rtk-null-start-offset", "paging_offsets", "getSessions", R_LIST,
       put("/paging/start_offset", None), query={"page_no": "2", "per_page": "2"}),
    rk("rtk-null-end-offset-start-still-checked", "paging_offsets", "getSessions", R_LIST,
       put("/paging/end_offset", None), query={"page_no": "2", "per_page": "2"},
       fails_at=("/paging/start_offset",)),
]

CASES = UPHEAL + HEIDI + EKA + REALTIMEKIT


def body_of(c: Case) -> Any:
    status = c.example_status if c.example_status is not None else c.status
    assert status is not None
    body = example(c.api, c.operation, status, c.example)
    for edit in c.edits:
        edit(body)
    return body


def documented_severity(rule: Rule) -> Severity:
    match = re.search(r"Severity: (error|warning)", rule.__doc__ or "")
    assert match, f"{rule.__name__}: the docstring states no severity"
    return Severity.parse(match.group(1))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_rule_passes_and_fails_where_documented(c: Case) -> None:
    rule = rules(c.api)[c.rule]
    ctx = InvariantContext(api=c.api, operation=c.operation, status=c.status, body=body_of(c),
                           query=c.query)
    found = list(rule(ctx))
    assert [v.pointer for v in found] == list(c.fails_at), [v.describe() for v in found]
    severity = c.severity or documented_severity(rule)
    for v in found:
        assert v.code == f"invariant.{c.api}.{c.rule}"
        assert (v.api, v.operation, v.location) == (c.api, c.operation, "response.body")
        assert v.severity is severity
        assert v.actual is not None
        # Messages and expectations are shown without opt-in: no text from the body in them.
        shown = f"{v.message} {v.expected}"
        leaked = [s for s in _strings(v.actual) if len(s) >= 3 and s in shown]
        assert not leaked, (v.message, leaked)


@pytest.mark.parametrize("api", APIS)
def test_every_rule_has_a_passing_and_a_failing_case(api: str) -> None:
    for name in rules(api):
        mine = [c for c in CASES if c.api == api and c.rule == name]
        assert any(c.fails_at for c in mine), f"{api}.{name} never fails"
        assert any(not c.fails_at for c in mine), f"{api}.{name} never passes"


def test_cases_name_existing_rules() -> None:
    for c in CASES:
        assert c.rule in rules(c.api), c.id


# -- codes and docstrings --------------------------------------------------------------------

def test_codes_are_distinct_and_well_formed() -> None:
    codes = [f"invariant.{api}.{rule.__name__}" for api in APIS for rule in rules_for(api)]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert re.fullmatch(r"invariant\.(upheal|heidi|eka|realtimekit)\.[a-z][a-z0-9_]*", code)
    assert rules_for("not-bundled") == ()


def _quotes(doc: str) -> list[tuple[str, str]]:
    """(file, quoted text) for each ``Source: FILE`` followed by ``> `` lines."""
    out: list[tuple[str, str]] = []
    source: str | None = None
    lines: list[str] = []
    for raw in [*doc.splitlines(), ""]:
        line = raw.strip()
        if line.startswith("Source:"):
            source, lines = line.split(":", 1)[1].strip(), []
        elif line.startswith(">") and source is not None:
            lines.append(line[1:].strip())
        elif source is not None:
            if lines:
                out.append((source, " ".join(lines)))
            source, lines = None, []
    return out


def _squash(text: str) -> str:
    return " ".join(text.split())


ALL_RULES = [pytest.param(api, rule, id=f"{api}.{rule.__name__}")
             for api in APIS for rule in rules_for(api)]


@pytest.mark.parametrize(("api", "rule"), ALL_RULES)
def test_docstring_states_severity_and_quotes_a_page(api: str, rule: Rule) -> None:
    doc = rule.__doc__ or ""
    documented_severity(rule)
    quotes = _quotes(doc)
    assert quotes, f"{rule.__name__}: no 'Source: FILE' with '> quote' lines"
    for source, _text in quotes:
        assert re.fullmatch(r"\d{3}_[0-9a-f]{16}\.txt|README\.md", source), source


@pytest.mark.skipif(not VENDOR_DOCS.is_dir(),
                    reason="the vendor pages are not in this repository; set "
                           "CONTRACTS_VENDOR_DOCS to their folder to check the quotes")
@pytest.mark.parametrize(("api", "rule"), ALL_RULES)
def test_docstring_quotes_are_verbatim(api: str, rule: Rule) -> None:
    for source, text in _quotes(rule.__doc__ or ""):
        page = _squash((VENDOR_DOCS / source).read_text("utf-8"))
        assert _squash(text) in page, f"{rule.__name__}: not in {source}: {text!r}"


# -- what the page examples (and the spec's synthetic examples) yield ----------------------------

# Every response example of every spec yields exactly these invariant violations, and no
# other: (code, pointer) by example id. Each entry says why.
DOCUMENTED: dict[str, list[tuple[str, str]]] = {
    # Upheal's page example maps speakers A and B, but its one (shortened, lorem-ipsum)
    # utterance is by B: a warning. Its other oddities yield nothing, by design: the
    # recordingDurationMs of 0 means "not known yet", so the topic ending at 32200 is not
    # outside the recording; the error beside state InProgress is not questioned (only a bare
    # Error state is); and speaker B alone runs from A once the mapping's A is counted.
    "upheal:getSession:200:getSession-200": [
        ("invariant.upheal.speaker_mapping_unused", "/transcript/speakerMapping/A")],
    # The spec's synthetic processed session maps the client (B) but its one utterance is by
    # the provider (A): the same warning.
    "upheal:getSession:200:getSession-200-done": [
        ("invariant.upheal.speaker_mapping_unused", "/transcript/speakerMapping/B")],
    # Heidi's page example lists one session (the page truncated the list with "...") beside
    # count 10, and prints next_page null beside has_next_page true: two warnings.
    "heidi:listLinkedUserSessions:200:listLinkedUserSessions-200": [
        ("invariant.heidi.count_mismatch", "/count"),
        ("invariant.heidi.next_page_disagrees", "/next_page")],
}


def yielded(api: str, operation: str, status: int | None, body: Any,
            query: dict[str, str] | None = None) -> list[tuple[str, str]]:
    ctx = InvariantContext(api=api, operation=operation, status=status, body=body,
                           query=query or {})
    return sorted((v.code, v.pointer) for v in check_invariants(ctx))


@pytest.mark.parametrize("ex", RESPONSE_EXAMPLES, ids=[e.id for e in RESPONSE_EXAMPLES])
def test_spec_examples_yield_the_documented_violations(ex: Example) -> None:
    assert ex.status is not None
    found = yielded(ex.api, ex.operation.operation_id, ex.status, copy.deepcopy(ex.value))
    assert found == sorted(DOCUMENTED.get(ex.id, []))


def test_documented_examples_exist_and_only_warn() -> None:
    for ex_id, expected in DOCUMENTED.items():
        assert ex_id in BY_ID, ex_id
        api = ex_id.split(":", 1)[0]
        for code, _pointer in expected:
            name = code.rsplit(".", 1)[1]
            # The vendors' own examples never break a promise; they only miss a suggestion.
            assert documented_severity(rules(api)[name]) is Severity.WARNING, code


def _page_examples() -> list[Any]:
    params = []
    for api in APIS:
        entries = yaml.safe_load((DOCS / f"{api}.yaml").read_text("utf-8")).get("examples")
        for i, entry in enumerate(entries or []):
            whole = entry.get("parses", True) and "at" not in entry
            if isinstance(entry.get("status"), int) and whole:
                params.append(pytest.param(api, entry, id=f"{api}:{entry['name']}:{i}"))
    return params


PAGE_EXAMPLES = _page_examples()


@pytest.mark.parametrize(("api", "entry"), PAGE_EXAMPLES)
def test_verbatim_page_examples_yield_the_documented_violations(api: str,
                                                                entry: dict[str, Any]) -> None:
    """The examples exactly as the pages print them (tests/data/docs) yield what their spec
    copies do: the spec's corrections (a placeholder URL, a removed "...") touch no field a
    rule reads."""
    body = yaml.safe_load(entry["page"])
    ex_id = f"{api}:{entry['operationId']}:{entry['status']}:{entry['name']}"
    found = yielded(api, entry["operationId"], entry["status"], body)
    assert found == sorted(DOCUMENTED.get(ex_id, []))


def test_page_examples_cover_every_vendor_with_page_examples() -> None:
    assert {p.values[0] for p in PAGE_EXAMPLES} == {"upheal", "heidi", "eka"}


# -- through the validator ----------------------------------------------------------------------

HEIDI_LIST = ("https://registrar.api.heidihealth.com/api/v2/ml-scribe/open-api"
              "/sessions/linked-user?page_size=10")
EKA_SESSION = "https://api.eka.care/voice/v1/sessions/ses_abc123def456"


def test_validator_reports_page_example_warnings_without_failing() -> None:
    body = example("heidi", "listLinkedUserSessions", 200, H_LIST)
    found = list(contracts.iter_response_violations("heidi", "GET", HEIDI_LIST, 200, body))
    assert sorted(v.code for v in found) == ["invariant.heidi.count_mismatch",
                                             "invariant.heidi.next_page_disagrees"]
    assert {v.severity for v in found} == {Severity.WARNING}
    contracts.validate_response("heidi", "GET", HEIDI_LIST, 200, body)  # warnings do not raise


def test_validator_raises_on_a_broken_promise_with_the_query_from_the_url() -> None:
    body = example("eka", "getSession", 200, E_DONE)
    url = EKA_SESSION + "?template_id=eka_emr_template"
    with pytest.raises(contracts.ContractViolation) as info:
        contracts.validate_response("eka", "GET", url, 200, body)
    assert info.value.best.code == "invariant.eka.template_filter_ignored"
    assert info.value.best.pointer == "/templates/1"
    assert "clinical_notes_template" not in str(info.value)  # values only on request


RTK_SESSIONS = "https://api.cloudflare.com/client/v4/accounts/a/realtime/kit/b/sessions"


def test_null_ended_at_passes_the_schema_and_only_an_ended_session_warns() -> None:
    # The page's "ended_at: optional string" accepts null (the SDK's Optional reading).
    body = example("realtimekit", "getSessions", 200, R_LIST)
    body["data"]["sessions"][1]["ended_at"] = None  # the LIVE session
    assert list(contracts.iter_response_violations("realtimekit", "GET", RTK_SESSIONS, 200,
                                                   body, strict=True)) == []
    body["data"]["sessions"][0]["ended_at"] = None  # the ENDED one
    found = list(contracts.iter_response_violations("realtimekit", "GET", RTK_SESSIONS, 200,
                                                    body, strict=True))
    assert [(v.code, v.pointer, v.severity) for v in found] == [
        ("invariant.realtimekit.ended_without_ended_at", "/data/sessions/0/ended_at",
         Severity.WARNING)]


def test_invariants_apply_only_to_their_operations_and_statuses() -> None:
    broken = example("heidi", "listLinkedUserSessions", 200, H_LIST)
    broken["count"] = 99
    assert yielded("heidi", "getSession", 200, broken) == []
    assert yielded("heidi", "listLinkedUserSessions", 422, broken) == []
    upheal = example("upheal", "getSession", 200, U_ERR)
    del upheal["error"]
    assert yielded("upheal", "createSession", 200, upheal) == []
    assert yielded("upheal", "getSession", 404, upheal) == []
    assert yielded("upheal", "getSession", None, upheal) == [  # a recorded body, no status
        ("invariant.upheal.error_state_without_error", "/error")]


# -- robustness ----------------------------------------------------------------------------------

def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


KEYS = sorted({k for e in RESPONSE_EXAMPLES for k in _keys(e.value)})
LABELS = ["A", "B", "C", "AA", "ENDED", "LIVE", "Error", "partial", "completed", "expired",
          "eka_emr_template", "2025-03-04T09:00:00Z", "2025-03-04T09:00:00", "0001-01-01T00:00"]
SCALARS = (st.none() | st.booleans() | st.integers() | st.sampled_from([10**400, -(10**400)])
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
           | st.sampled_from(LABELS))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner,
                                      max_size=6), max_leaves=40)
OPERATIONS = {api: sorted({e.operation.operation_id for e in RESPONSE_EXAMPLES if e.api == api})
              for api in APIS}
STATUSES = st.sampled_from([None, 200, 202, 206, 400, 404, 410])
QUERIES = st.dictionaries(st.sampled_from(["template_id", "document_id", "page_no",
                                           "per_page", "page_size"]),
                          st.sampled_from(["1", "2", "0", "-1", "1e400", "nan", "x", "",
                                           "eka_emr_template", "doc_abc123"]) | st.text(),
                          max_size=3)


def _run_all(api: str, operation: str, status: int | None, body: Any,
             query: dict[str, str]) -> None:
    ctx = InvariantContext(api=api, operation=operation, status=status, body=body, query=query)
    for rule in rules_for(api):
        for v in rule(ctx):
            assert v.code == f"invariant.{api}.{rule.__name__}"
            assert isinstance(v.message, str) and v.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), body=JSON, status=STATUSES, query=QUERIES)
def test_rules_never_raise_on_arbitrary_json(data: st.DataObject, body: Any,
                                             status: int | None, query: dict[str, str]) -> None:
    api = data.draw(st.sampled_from(APIS))
    operation = data.draw(st.sampled_from(OPERATIONS[api]))
    _run_all(api, operation, status, body, query)


def _pointers(value: Any, here: str = "") -> Iterator[str]:
    yield here
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _pointers(item, f"{here}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _pointers(item, f"{here}/{i}")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), query=QUERIES)
def test_rules_never_raise_on_damaged_examples(data: st.DataObject,
                                               query: dict[str, str]) -> None:
    """Arbitrary JSON grafted deep inside real examples, where the rules actually look."""
    ex = data.draw(st.sampled_from(RESPONSE_EXAMPLES), label="example")
    body = copy.deepcopy(ex.value)
    for _ in range(data.draw(st.integers(1, 3), label="grafts")):
        pointer = data.draw(st.sampled_from(list(_pointers(body))), label="pointer")
        graft = data.draw(JSON, label="graft")
        if pointer == "":
            body = graft
        else:
            put(pointer, graft)(body)
    status = data.draw(st.sampled_from([ex.status, None, 200, 206, 410]), label="status")
    _run_all(ex.api, ex.operation.operation_id, status, body, query)



# -- screens: a vendor's one-pass verdict is its rules' verdict ----------------------------------

def _screened(api: str, operation: str) -> Any:
    from contracts.invariants import screen_for

    return screen_for(api, operation)


def _screen_agrees(api: str, operation: str, status: int | None, body: Any,
                   query: dict[str, str]) -> None:
    screen = _screened(api, operation)
    if screen is None:
        return
    found = yielded(api, operation, status, body, query)
    assert screen(body, status, query) == (not found), (operation, found)


SCREENED_CASES = [c for c in CASES if _screened(c.api, c.operation) is not None]


def test_realtimekit_screens_every_operation_it_has_rules_for() -> None:
    from contracts.invariants import rules_for_operation

    operations = {c.operation for c in CASES if c.api == "realtimekit"}
    assert {o for o in operations if rules_for_operation("realtimekit", o)} == {
        c.operation for c in SCREENED_CASES if c.api == "realtimekit"}


@pytest.mark.parametrize("c", SCREENED_CASES, ids=[c.id for c in SCREENED_CASES])
def test_a_screen_says_clean_exactly_when_the_rules_find_nothing(c: Case) -> None:
    """Each case's body against every rule of its operation (a failing case must be caught by
    the screen, a passing one must pass it), under each status the rules look at or not."""
    for status in (c.status, None, 201, 404):
        _screen_agrees(c.api, c.operation, status, body_of(c), c.query)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), query=QUERIES | st.sampled_from([{"per_page": "1"}, {"per_page": "2"},
                                                         {"page_no": "2", "per_page": "2"}]))
def test_a_screen_agrees_with_the_rules_on_damaged_examples(data: st.DataObject,
                                                             query: dict[str, str]) -> None:
    ex = data.draw(st.sampled_from([e for e in RESPONSE_EXAMPLES
                                    if _screened(e.api, e.operation.operation_id)]))
    body = copy.deepcopy(ex.value)
    for _ in range(data.draw(st.integers(1, 3), label="grafts")):
        pointer = data.draw(st.sampled_from(list(_pointers(body))), label="pointer")
        graft = data.draw(JSON | st.sampled_from(
            [EARLY, "2025-03-04T08:00:00", "ENDED", 0, 1, 3, 10**400, 2.5, None]), label="graft")
        if pointer == "":
            body = graft
        else:
            put(pointer, graft)(body)
    status = data.draw(st.sampled_from([ex.status, None, 200, 201]), label="status")
    _screen_agrees(ex.api, ex.operation.operation_id, status, body, query)


EDITS = [EARLY, "2025-03-04T08:00:00", "ENDED", "LIVE", 0, 1, 3, -1, 2.5, None, True, 10**400,
         [], {}, "x"]
QUERY_EDITS = [{}, {"per_page": "1"}, {"per_page": "0.5"}, {"page_no": "2", "per_page": "2"}]


@pytest.mark.parametrize("ex", [e for e in RESPONSE_EXAMPLES
                                if _screened(e.api, e.operation.operation_id)],
                         ids=lambda e: e.id)
def test_a_screen_agrees_with_the_rules_on_every_single_edit(ex: Example) -> None:
    """Every value of ``EDITS`` put at (and every deletion of) every place of the example."""
    operation = ex.operation.operation_id
    for pointer in list(_pointers(ex.value))[1:]:
        for edit in [*(put(pointer, v) for v in EDITS), delete(pointer)]:
            body = copy.deepcopy(ex.value)
            edit(body)
            for query in QUERY_EDITS:
                _screen_agrees(ex.api, operation, ex.status, body, query)


def _plain_before(earlier: object, later: object) -> bool:
    """RealtimeKit's timestamp order as it reads without a cache (the reference)."""
    from datetime import datetime

    def parsed(value: object) -> Any:
        if not isinstance(value, str) or len(value) > 64:
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None

    a, b = parsed(earlier), parsed(later)
    if a is None or b is None or (a.tzinfo is None) != (b.tzinfo is None):
        return False
    try:
        return bool(b < a)
    except (OverflowError, ValueError):
        return False


_STAMPS = (st.datetimes().map(lambda d: d.isoformat())
           | st.datetimes().map(lambda d: d.isoformat(timespec="milliseconds") + "Z")
           | st.sampled_from([EARLY, "2025-03-04T08:00:00", "2025-13-04T08:00:00Z",
                              "2025-03-04T08:00:00+14:00", "0001-01-01T00:00:00+01:00",
                              "9999-12-31T23:59:59-01:00", "x" * 65, "", None, 3]))


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(_STAMPS, _STAMPS), min_size=1, max_size=20))
def test_realtimekit_timestamps_are_ordered_as_parsed_each_time(
        pairs: list[tuple[Any, Any]]) -> None:
    """The parse kept per text (and the cache refilled once full) never changes a verdict."""
    from contracts.invariants import realtimekit

    for earlier, later in [*pairs, *pairs]:  # the second time from what was kept
        assert realtimekit._before(earlier, later) == _plain_before(earlier, later)
    for n in range(4100):  # past the bound: cleared, and filled again
        realtimekit._parse_time(f"2025-03-04T08:00:00.{n:06d}")
    assert len(realtimekit._TIMES) <= 4096
    for earlier, later in pairs:
        assert realtimekit._before(earlier, later) == _plain_before(earlier, later)
