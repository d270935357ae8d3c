"""Spec diff: how an API changed between two specs, graded for its consumer.

Both specs are normalised into plain trees that say what a client can rely on
(:mod:`.normalise`); deepdiff finds what differs (:mod:`.adapter`, its only importer); each
difference is classified by rule functions picked from tables (:mod:`.classify`,
:mod:`.schemas`, :mod:`.presence`) into a stable rule graded by :data:`RULES`.
"""

from __future__ import annotations

from .compare import SpecDiff, diff_specs, iter_spec_changes, rank_changes
from .rules import RULES

__all__ = ["RULES", "SpecDiff", "diff_specs", "iter_spec_changes", "rank_changes"]
