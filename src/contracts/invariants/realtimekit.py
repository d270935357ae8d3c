"""Cloudflare RealtimeKit's domain rules: session list paging, session status and participant
counts, participants' join and leave times.

Rules look only at the operations they name, answered 200 (or with no status), and skip
whatever is missing or of the wrong type: schema validation reports those. The spec lets every
field the page calls optional be null as well as absent (see its ``info.description``); the
rules treat a null like an absent field. Timestamps are
plain strings on the page; they are compared only when both parse as ISO 8601 with the same
kind of time zone information.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeGuard

from ..findings import Severity, Violation
from . import InvariantContext, Rule, Screen, applies_to

__all__ = ["RULES", "SCREENS"]

_SESSION_OPS = ("getSessions", "getSessionDetails")
_PARTICIPANT_OPS = ("getSessionParticipants", "getSessionParticipantDetails",
                    "getParticipantDataFromPeerId")


def _ok(ctx: InvariantContext, *operations: str) -> dict[str, Any] | None:
    if ctx.operation not in operations or ctx.status not in (None, 200):
        return None
    return ctx.body if isinstance(ctx.body, dict) else None


def _number(value: object) -> TypeGuard[float]:
    if type(value) is int:  # the usual count: no further test
        return True
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _query_number(query: object, name: str) -> float | None:
    raw = query.get(name) if hasattr(query, "get") else None
    if not isinstance(raw, str):
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _difference(a: object, b: object) -> float | None:
    """``a - b`` for two numbers; None when either is not one, or ints overflow a float."""
    if not (_number(a) and _number(b)):
        return None
    try:
        return a - b
    except OverflowError:
        return None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    return _parse_time(value)


def _parse_time(value: str) -> datetime | None:
    """Parsed once per distinct text: recorded traffic repeats the same timestamps."""
    try:
        return _TIMES[value]
    except KeyError:
        pass
    try:
        parsed: datetime | None = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if len(_TIMES) >= 4096:  # timestamps come from traffic: keep it bounded
        _TIMES.clear()
    _TIMES[value] = parsed
    return parsed


_TIMES: dict[str, datetime | None] = {}
""":func:`_parse_time`'s verdicts (a plain dict: a hit is one lookup, not an LRU's upkeep;
read by single operations, so another thread clearing it only costs a parse)."""
_UNSEEN: Any = object()


def _before(earlier: object, later: object) -> bool:
    """Whether ``later`` is strictly before ``earlier`` (both must parse, alike in zone)."""
    if later is None or earlier is None:  # the common absent ended_at / left_at
        return False
    a: datetime | None
    b: datetime | None
    if type(earlier) is str and type(later) is str and len(earlier) <= 64 \
            and len(later) <= 64:  # _time's tests, without its two calls
        a, b = _TIMES.get(earlier, _UNSEEN), _TIMES.get(later, _UNSEEN)  # one lookup each
        if a is _UNSEEN:
            a = _parse_time(earlier)
        if b is _UNSEEN:
            b = _parse_time(later)
    else:
        a, b = _time(earlier), _time(later)
    if a is None or b is None or (a.tzinfo is None) != (b.tzinfo is None):
        return False
    try:
        return b < a
    except (OverflowError, ValueError):  # offsets that push a date outside datetime's range
        return False


def _list_items(body: dict[str, Any], key: str) -> list[tuple[str, dict[str, Any]]]:
    """(pointer, item) for the objects listed under ``data.<key>``."""
    data = body.get("data")
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [(f"/data/{key}/{i}", x) for i, x in enumerate(items) if isinstance(x, dict)]


def _sessions(ctx: InvariantContext) -> list[tuple[str, dict[str, Any]]]:
    """(pointer, session) for the session objects of getSessions and getSessionDetails,
    listed once per exchange (four rules walk them)."""
    found: list[tuple[str, dict[str, Any]]] | None = ctx.scratch.get("realtimekit.sessions")
    if found is None:
        found = ctx.scratch["realtimekit.sessions"] = _list_sessions(ctx)
    return found


def _list_sessions(ctx: InvariantContext) -> list[tuple[str, dict[str, Any]]]:
    body = _ok(ctx, *_SESSION_OPS)
    if body is None:
        return []
    if ctx.operation == "getSessionDetails":
        data = body.get("data")
        return [("/data", data)] if isinstance(data, dict) else []
    return _list_items(body, "sessions")


def _participants(ctx: InvariantContext) -> list[tuple[str, dict[str, Any]]]:
    body = _ok(ctx, *_PARTICIPANT_OPS)
    if body is None:
        return []
    data = body.get("data")
    if not isinstance(data, dict):
        return []
    if ctx.operation == "getSessionParticipants":
        return _list_items(body, "participants")
    if ctx.operation == "getSessionParticipantDetails":
        participant = data.get("participant")
        return [("/data/participant", participant)] if isinstance(participant, dict) else []
    return [("/data", data)]


def _page(ctx: InvariantContext) -> tuple[list[Any] | None, dict[str, Any] | None]:
    """The listed sessions and the ``paging`` object of a getSessions answer."""
    body = _ok(ctx, "getSessions")
    if body is None:
        return None, None
    data = body.get("data")
    sessions = data.get("sessions") if isinstance(data, dict) else None
    paging = body.get("paging")
    return (sessions if isinstance(sessions, list) else None,
            paging if isinstance(paging, dict) else None)


@applies_to("getSessions", "getSessionParticipants")
def page_size_exceeded(ctx: InvariantContext) -> Iterator[Violation]:
    """A page of sessions (or of participants) holds at most ``per_page`` items.

    Severity: error. ``per_page`` is the number of results per page (the official SDK's
    description of the query parameter, ``cloudflare`` 5.9.0
    ``session_get_sessions_params.py`` and ``session_get_session_participants_params.py``);
    more results than asked for is a broken page. Checked when the request's ``per_page`` is at
    least 1 (a page cannot hold a fraction of an item: a vendor that rounds 0.05 up to 1 has
    not broken it).

    Source: README.md
    > The official Python SDK (PyPI `cloudflare`, `client.realtime_kit.sessions.*`) is a real
    > client of these operations.

    The spec's examples carry no request query, so they yield nothing; the getSessions
    example (2 sessions) passes with any ``per_page`` >= 2.
    """
    per_page = _query_number(ctx.query, "per_page")
    body = _ok(ctx, "getSessions", "getSessionParticipants")
    if per_page is None or per_page < 1 or body is None:
        return
    key = "sessions" if ctx.operation == "getSessions" else "participants"
    data = body.get("data")
    items = data.get(key) if isinstance(data, dict) else None
    if isinstance(items, list) and len(items) > per_page:
        yield ctx.violation("page_size_exceeded", f"the page lists more {key} than per_page",
                            f"/data/{key}", actual={key: len(items), "per_page": per_page},
                            expected=f"at most per_page {key}")


@applies_to("getSessions")
def sessions_exceed_total(ctx: InvariantContext) -> Iterator[Violation]:
    """A page of sessions holds at most ``paging.total_count`` sessions.

    Severity: error. The page names ``total_count`` in ``paging`` (minimum 0) without defining
    it; read as the number of sessions across all pages, which is the only sense of the name,
    one page cannot hold more.

    Source: 003_cc393fbbc3e4bff6.txt
    > paging: optional object { end_offset, start_offset, total_count }

    The spec's getSessions example passes (2 sessions, total_count 2).
    """
    sessions, paging = _page(ctx)
    if sessions is None or paging is None:
        return
    total = paging.get("total_count")
    if _number(total) and len(sessions) > total:
        yield ctx.violation("sessions_exceed_total",
                            "the page lists more sessions than total_count", "/data/sessions",
                            actual={"sessions": len(sessions), "total_count": total},
                            expected="at most total_count sessions")


@applies_to("getSessions")
def paging_offsets(ctx: InvariantContext) -> Iterator[Violation]:
    """``paging.start_offset`` and ``end_offset`` agree with the page: they are the 1-based
    positions of the first and last session listed, so ``end - start + 1`` is the number of
    sessions listed, at most ``per_page``; ``end_offset`` is at most ``total_count``; and page
    ``page_no`` of size ``per_page`` starts at ``(page_no - 1) * per_page + 1``.

    Severity: warning. Neither the page nor the official SDK defines the offsets (the SDK types
    them as optional floats with no description). The 1-based, inclusive reading comes from
    Cloudflare's RealtimeKit API reference, whose "Fetch all apps" example answers one app with
    ``start_offset: 1, end_offset: 1, total_count: 1``, and it is the reading the spec's
    synthetic example follows. The same reference's "Fetch all meetings" example prints
    ``start_offset: 1, end_offset: 30`` beside a single meeting (a generated example), so the
    reading is not promised: a warning. Checked only on a page that lists sessions; the start
    only when the request gave both ``page_no`` and ``per_page``.

    Source: 003_cc393fbbc3e4bff6.txt
    > paging: optional object { end_offset, start_offset, total_count }
    > end_offset: optional number
    > start_offset: optional number

    The spec's getSessions example passes (2 sessions, offsets 1 to 2, total_count 2).
    """
    sessions, paging = _page(ctx)
    if not sessions or paging is None:
        return
    for message, pointer, actual, expected in _offset_problems(sessions, paging, ctx.query):
        yield ctx.violation("paging_offsets", message, pointer, actual=actual,
                            expected=expected, severity=Severity.WARNING)


def _offset_problems(sessions: list[Any], paging: dict[str, Any], query: object
                     ) -> Iterator[tuple[str, str, dict[str, Any], str]]:
    """(message, pointer, actual, expected) of each way ``paging``'s offsets disagree with
    a page listing ``sessions`` (:func:`paging_offsets`)."""
    start, end = paging.get("start_offset"), paging.get("end_offset")
    total = paging.get("total_count")
    per_page = _query_number(query, "per_page")
    page_no = _query_number(query, "page_no")
    span = _difference(end, start)
    if span is not None:
        span += 1
        if span != len(sessions):
            yield ("the offsets span another number of sessions than listed", "/paging",
                   {"start_offset": start, "end_offset": end, "sessions": len(sessions)},
                   "end_offset - start_offset + 1 == sessions listed")
        if per_page is not None and span > per_page:
            yield ("the offsets span more than per_page", "/paging",
                   {"start_offset": start, "end_offset": end, "per_page": per_page},
                   "end_offset - start_offset + 1 <= per_page")
    if _number(end) and _number(total) and end > total:
        yield ("end_offset is past total_count", "/paging/end_offset",
               {"end_offset": end, "total_count": total}, "end_offset <= total_count")
    if _number(start) and per_page is not None and page_no is not None:
        first = (page_no - 1) * per_page + 1
        if start != first:
            yield ("start_offset is not where page page_no starts", "/paging/start_offset",
                   {"start_offset": start, "page_no": page_no, "per_page": per_page},
                   "(page_no - 1) * per_page + 1")


@applies_to(*_SESSION_OPS)
def ended_without_ended_at(ctx: InvariantContext) -> Iterator[Violation]:
    """A session whose ``status`` is ENDED says when it ended (``ended_at``).

    Severity: warning. The page gives every session an optional ``ended_at``, "timestamp when
    session ended"; it is optional because a LIVE session has not ended, but the page does not
    say an ENDED one always carries it.

    Source: 003_cc393fbbc3e4bff6.txt
    > ended_at: optional string
    >
    > timestamp when session ended

    An ``ended_at`` of null counts as absent (the spec accepts null for the optional field):
    an ENDED session carrying ``"ended_at": null`` yields the warning.

    The spec's examples pass (the ENDED sessions carry ``ended_at``; the LIVE one does not).
    """
    for pointer, session in _sessions(ctx):
        if session.get("status") == "ENDED" and not isinstance(session.get("ended_at"), str):
            yield ctx.violation("ended_without_ended_at",
                                "the session has ENDED but carries no ended_at",
                                f"{pointer}/ended_at",
                                actual={"ended_at": session.get("ended_at")},
                                expected="a timestamp", severity=Severity.WARNING)


@applies_to(*_SESSION_OPS)
def ended_before_started(ctx: InvariantContext) -> Iterator[Violation]:
    """A session does not end before it starts (``ended_at`` >= ``started_at``).

    Severity: error: the page's own definitions of the two timestamps.

    Source: 003_cc393fbbc3e4bff6.txt
    > started_at: string
    >
    > timestamp when session started

    Source: 003_cc393fbbc3e4bff6.txt
    > ended_at: optional string
    >
    > timestamp when session ended

    The spec's examples pass (09:00:02.114Z to 09:24:40.502Z).
    """
    return _ends_before_start(ctx, _sessions(ctx), "started_at", "ended_at",
                              "ended_before_started", "the session ends before it starts")


@applies_to(*_SESSION_OPS)
def live_participants_exceed_max(ctx: InvariantContext) -> Iterator[Violation]:
    """``live_participants`` is at most ``max_concurrent_participants``.

    Severity: error. The participants in the session now are among the participants that were
    in it at once, whose maximum is ``max_concurrent_participants``.

    Source: 003_cc393fbbc3e4bff6.txt
    > live_participants: number
    >
    > number of participants currently in the session
    >
    > max_concurrent_participants: number
    >
    > number of maximum participants that were in the session

    The spec's examples pass (0 of 2, 2 of 2).
    """
    for pointer, session in _sessions(ctx):
        live, most = session.get("live_participants"), session.get("max_concurrent_participants")
        if _number(live) and _number(most) and live > most:
            yield ctx.violation("live_participants_exceed_max",
                                "live_participants is greater than max_concurrent_participants",
                                f"{pointer}/live_participants",
                                actual={"live_participants": live,
                                        "max_concurrent_participants": most},
                                expected="live_participants <= max_concurrent_participants")


@applies_to(*_SESSION_OPS)
def ended_with_live_participants(ctx: InvariantContext) -> Iterator[Violation]:
    """A session whose ``status`` is ENDED has no participant in it (``live_participants`` 0).

    Severity: warning. "Currently in the session" cannot be anyone once the session has ended,
    but the count may lag the status, and the page does not tie the two.

    Source: 003_cc393fbbc3e4bff6.txt
    > number of participants currently in the session

    The spec's examples pass (the ENDED sessions have 0 live participants).
    """
    for pointer, session in _sessions(ctx):
        live = session.get("live_participants")
        if session.get("status") == "ENDED" and _number(live) and live > 0:
            yield ctx.violation("ended_with_live_participants",
                                "the session has ENDED but still counts live participants",
                                f"{pointer}/live_participants", actual=live, expected=0,
                                severity=Severity.WARNING)


@applies_to(*_PARTICIPANT_OPS)
def left_before_joined(ctx: InvariantContext) -> Iterator[Violation]:
    """A participant does not leave before joining (``left_at`` >= ``joined_at``).

    Severity: error: the page's own definitions of the two timestamps. Checked in the
    participants list, a participant's details and a peer's data.

    Source: 003_cc393fbbc3e4bff6.txt
    > joined_at: optional string
    >
    > timestamp at which participant joined the session.
    >
    > left_at: optional string
    >
    > timestamp at which participant left the session.

    The spec's examples pass.
    """
    return _ends_before_start(ctx, _participants(ctx), "joined_at", "left_at",
                              "left_before_joined", "the participant leaves before joining")


RULES: tuple[Rule, ...] = (
    page_size_exceeded,
    sessions_exceed_total,
    paging_offsets,
    ended_without_ended_at,
    ended_before_started,
    live_participants_exceed_max,
    ended_with_live_participants,
    left_before_joined,
)


def _ends_before_start(ctx: InvariantContext, items: Iterable[tuple[str, Any]], start: str,
                       end: str, code: str, message: str) -> Iterator[Violation]:
    """A violation for each object whose ``end`` timestamp comes before its ``start``."""
    for pointer, item in items:
        first, last = item.get(start), item.get(end)
        if _before(first, last):
            yield ctx.violation(code, message, f"{pointer}/{end}",
                                actual={start: first, end: last}, expected=f"{end} >= {start}")


# -- screens: the rules' verdict on a clean answer, in one pass -----------------------------
# Recorded traffic checks every exchange, and nearly every answer breaks no rule: a screen
# asks the rules' questions of an operation's answer at once, without a context, a generator
# per rule or a list of items, and says True only when no rule would yield anything (False:
# the rules are run and name what they find). tests/test_invariants.py holds each screen to
# the rules' own verdict.

def _session_clean(session: dict[str, Any]) -> bool:
    """No session rule finds anything in ``session`` (ended_without_ended_at,
    ended_with_live_participants, live_participants_exceed_max, ended_before_started)."""
    ended = session.get("ended_at")
    live: Any = session.get("live_participants")  # a number when counted
    counted = type(live) is int or _number(live)  # the usual int: no call
    if session.get("status") == "ENDED" and (
            not isinstance(ended, str) or (counted and live > 0)):
        return False
    most: Any = session.get("max_concurrent_participants")
    if counted and (type(most) is int or _number(most)) and live > most:
        return False
    return ended is None or not _before(session.get("started_at"), ended)


def _over_page(items: object, query: Mapping[str, str]) -> bool:
    """:func:`page_size_exceeded`'s test: more items listed than the request's per_page."""
    if not isinstance(items, list):
        return False
    per_page = _query_number(query, "per_page")
    return per_page is not None and per_page >= 1 and len(items) > per_page


def _screen_sessions(body: Any, status: int | None, query: Mapping[str, str]) -> bool:
    if status not in (None, 200) or not isinstance(body, dict):
        return True
    data = body.get("data")
    sessions = data.get("sessions") if isinstance(data, dict) else None
    if not isinstance(sessions, list):
        return True
    for session in sessions:
        if isinstance(session, dict) and not _session_clean(session):
            return False
    if query and _over_page(sessions, query):
        return False
    paging = body.get("paging")
    if not isinstance(paging, dict):
        return True
    total = paging.get("total_count")
    if _number(total) and len(sessions) > total:
        return False
    return not sessions or next(_offset_problems(sessions, paging, query), None) is None


def _screen_session(body: Any, status: int | None, query: Mapping[str, str]) -> bool:
    if status not in (None, 200) or not isinstance(body, dict):
        return True
    data = body.get("data")
    return not isinstance(data, dict) or _session_clean(data)


def _screen_participants(body: Any, status: int | None, query: Mapping[str, str]) -> bool:
    if status not in (None, 200) or not isinstance(body, dict):
        return True
    data = body.get("data")
    items = data.get("participants") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return True
    if query and _over_page(items, query):
        return False
    for item in items:
        if isinstance(item, dict) and _before(item.get("joined_at"), item.get("left_at")):
            return False
    return True


def _screen_participant(body: Any, status: int | None, query: Mapping[str, str]) -> bool:
    if status not in (None, 200) or not isinstance(body, dict):
        return True
    data = body.get("data")
    item = data.get("participant") if isinstance(data, dict) else None
    return not isinstance(item, dict) or not _before(item.get("joined_at"), item.get("left_at"))


def _screen_peer(body: Any, status: int | None, query: Mapping[str, str]) -> bool:
    if status not in (None, 200) or not isinstance(body, dict):
        return True
    data = body.get("data")
    return not isinstance(data, dict) or not _before(data.get("joined_at"), data.get("left_at"))


SCREENS: dict[str, Screen] = {
    "getSessions": _screen_sessions,
    "getSessionDetails": _screen_session,
    "getSessionParticipants": _screen_participants,
    "getSessionParticipantDetails": _screen_participant,
    "getParticipantDataFromPeerId": _screen_peer,
}
