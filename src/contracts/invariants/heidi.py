"""Heidi Health's domain rules: the paging of the linked user's session list.

Every rule looks only at ``listLinkedUserSessions`` answered 200 (or with no status), and skips
whatever is missing or of the wrong type: schema validation reports those. The page names the
paging fields (``count``, ``total_count``, ``next_page``, ``has_next_page``) and the
``page_size`` query parameter but defines none of them, so the rules read them by their names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeGuard

from ..findings import Severity, Violation
from . import InvariantContext, Rule

__all__ = ["RULES"]


def _page(ctx: InvariantContext) -> dict[str, Any] | None:
    if ctx.operation != "listLinkedUserSessions" or ctx.status not in (None, 200):
        return None
    return ctx.body if isinstance(ctx.body, dict) else None


def _number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _page_size(ctx: InvariantContext) -> int | None:
    raw = ctx.query.get("page_size") if hasattr(ctx.query, "get") else None
    try:
        size = int(str(raw).strip()) if raw is not None else None
    except ValueError:
        return None
    return size if size is not None and size > 0 else None


def count_exceeds_total(ctx: InvariantContext) -> Iterator[Violation]:
    """``count`` (the sessions on this page) is at most ``total_count`` (those in all pages).

    Severity: error. Whatever the exact reading of the two names, a page cannot hold more
    sessions than there are in total.

    Source: 001_c318d5add06d5bdc.txt
    > "count": 10,
    > "total_count": 13,

    The page's example passes (10 <= 13).
    """
    page = _page(ctx)
    if page is None:
        return
    count, total = page.get("count"), page.get("total_count")
    if _number(count) and _number(total) and count > total:
        yield ctx.violation("count_exceeds_total", "count is greater than total_count",
                            "/count", actual={"count": count, "total_count": total},
                            expected="count <= total_count")


def count_mismatch(ctx: InvariantContext) -> Iterator[Violation]:
    """``count`` equals the number of sessions the page lists.

    Severity: warning. The name says so, but the page defines neither field, and its own
    example, which it calls truncated, lists one session beside ``count: 10``.

    Source: 001_c318d5add06d5bdc.txt
    > The response below is truncated, each session returned will include all the details
    > mentioned above in Update Session information.

    The page's example yields one warning at ``/count`` (10 against the 1 session left once
    its ``...`` truncation marker is removed): the page shortened its own list.
    """
    page = _page(ctx)
    if page is None:
        return
    count, sessions = page.get("count"), page.get("sessions")
    if _number(count) and isinstance(sessions, list) and count != len(sessions):
        yield ctx.violation("count_mismatch",
                            "count differs from the number of sessions listed", "/count",
                            actual={"count": count, "sessions": len(sessions)},
                            expected="count == number of sessions listed",
                            severity=Severity.WARNING)


def page_size_exceeded(ctx: InvariantContext) -> Iterator[Violation]:
    """A page holds at most ``page_size`` sessions (the request's query parameter).

    Severity: error. The page pages the list with ``page_size`` and its example answers
    ``page_size=10`` with ``count: 10``; a page larger than the size asked for breaks that.
    Checked only when the request's ``page_size`` is a positive integer.

    Source: 001_c318d5add06d5bdc.txt
    > GET /sessions/linked-user?page_size=10

    The page's example (no request query attached to it in the spec) yields nothing; with
    ``page_size=10`` it would still pass (count 10, one session listed).
    """
    page = _page(ctx)
    size = _page_size(ctx)
    if page is None or size is None:
        return
    sessions, count = page.get("sessions"), page.get("count")
    if isinstance(sessions, list) and len(sessions) > size:
        yield ctx.violation("page_size_exceeded", "the page lists more sessions than page_size",
                            "/sessions",
                            actual={"sessions": len(sessions), "page_size": size},
                            expected="at most page_size sessions")
    if _number(count) and count > size:
        yield ctx.violation("page_size_exceeded", "count is greater than page_size", "/count",
                            actual={"count": count, "page_size": size},
                            expected="count <= page_size")


def next_page_disagrees(ctx: InvariantContext) -> Iterator[Violation]:
    """``has_next_page`` agrees with ``next_page``: true with a next page, false with null.

    Severity: warning. The names pair them, but the page's only example prints
    ``next_page: null`` beside ``has_next_page: true`` (the spec keeps that as printed), so
    the vendor does not promise the pairing. Checked only when both fields are present.

    Source: 001_c318d5add06d5bdc.txt
    > "next_page": null,
    > "has_next_page": true

    The page's example yields one warning at ``/next_page``.
    """
    page = _page(ctx)
    if page is None or "next_page" not in page:
        return
    has_next, next_page = page.get("has_next_page"), page.get("next_page")
    if has_next is True and next_page is None:
        yield ctx.violation("next_page_disagrees",
                            "has_next_page is true but next_page is null", "/next_page",
                            actual={"has_next_page": True, "next_page": None},
                            expected="a next page when has_next_page is true",
                            severity=Severity.WARNING)
    elif has_next is False and next_page is not None:
        yield ctx.violation("next_page_disagrees",
                            "has_next_page is false but next_page is set", "/next_page",
                            actual={"has_next_page": False, "next_page": next_page},
                            expected="null when has_next_page is false",
                            severity=Severity.WARNING)


def next_page_after_last(ctx: InvariantContext) -> Iterator[Violation]:
    """No next page is announced when ``count`` already reaches ``total_count``.

    Severity: warning. When the sessions counted so far are all the sessions there are, no
    session is left for a next page. Whether ``count`` counts this page only or every page up
    to it, the conclusion is the same; but the page defines neither field, hence a warning.

    Source: 001_c318d5add06d5bdc.txt
    > "count": 10,
    > "total_count": 13,
    > "next_page": null,
    > "has_next_page": true

    The page's example passes (10 < 13, so a next page may well exist).
    """
    page = _page(ctx)
    if page is None:
        return
    count, total = page.get("count"), page.get("total_count")
    if page.get("has_next_page") is True and _number(count) and _number(total) \
            and count >= total:
        yield ctx.violation("next_page_after_last",
                            "has_next_page is true although count reaches total_count",
                            "/has_next_page", actual={"count": count, "total_count": total},
                            expected="has_next_page false once count reaches total_count",
                            severity=Severity.WARNING)


RULES: tuple[Rule, ...] = (
    count_exceeds_total,
    count_mismatch,
    page_size_exceeded,
    next_page_disagrees,
    next_page_after_last,
)
