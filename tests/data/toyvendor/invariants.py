"""The toy vendor's one domain rule: a thing is ``done`` exactly when it has a ``done_at``."""

from __future__ import annotations

from collections.abc import Iterator

from contracts.findings import Violation
from contracts.invariants import InvariantContext, Rule

__all__ = ["RULES"]


def done_needs_done_at(ctx: InvariantContext) -> Iterator[Violation]:
    """``state: done`` carries a ``done_at``; any other state carries none."""
    body = ctx.body
    if ctx.operation != "getThing" or not isinstance(body, dict):
        return
    done, stamped = body.get("state") == "done", body.get("done_at") is not None
    if done != stamped:
        yield ctx.violation("done_needs_done_at",
                            "a done thing has a done_at, and only a done thing has one",
                            "/done_at", actual=body.get("done_at"))


RULES: tuple[Rule, ...] = (done_needs_done_at,)
