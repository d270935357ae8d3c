"""A seed decides a suite run wherever the toolkit is installed: Hypothesis's pool of the
caller's own source literals emptied for the run (used by :mod:`contracts.suites`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["without_local_constants"]


@contextmanager
def without_local_constants() -> Iterator[None]:
    """Keep Hypothesis from drawing the literals of the caller's own modules during a run.

    Hypothesis mixes into its draws the string and number literals of every imported module
    that lives outside site-packages. Which modules those are depends on how the toolkit was
    installed (editable: all of ``contracts`` and ``generated/``; wheel: none) and on what
    the process imported before the run (a test session's earlier tests, a user's project),
    so one seed drew different runs. Hypothesis has no setting for it: its pool is swapped
    for an empty one for the run. If Hypothesis's internals move, runs stay correct, only no
    longer independent of the install (tests/test_gate.py says so).
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis without the pool
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if original is None or cache is None or not hasattr(providers, "Constants"):
        yield  # pragma: no cover
        return
    empty = providers.Constants()
    # The cache holds pools already filtered against the local constants: clear on both ends.
    cache.cache.clear()
    providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()
