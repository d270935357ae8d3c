"""Traffic drift: how an API's real answers depart from its spec, graded for its consumer.

Recorded traffic against a spec (:mod:`.traffic`, aggregated in :mod:`.aggregate`, renames
found in :mod:`.renames`), two recordings against each other (:mod:`.baseline`), waivers,
a SQLite history and spec suggestions. The spec-to-spec diff lives in :mod:`contracts.diff`;
its names are re-exported here, where they used to live.
"""

from __future__ import annotations

from ..diff import RULES, SpecDiff, diff_specs, iter_spec_changes, rank_changes
from .aggregate import DriftAccumulator, fold_pointer
from .baseline import DEFAULT_VOLATILE_KEYS, VolatileRules, baseline_drift
from .history import record_history
from .report import (
    HistoryMark,
    ReadIssue,
    Resolved,
    TrafficReport,
    TrendPoint,
    Waiver,
    rank_traffic,
)
from .rules import TRAFFIC_RULES
from .suggest import suggest_spec
from .traffic import TrafficAnalyser, drift_report, traffic_drift
from .waivers import apply_waivers, load_waivers

__all__ = [
    "DEFAULT_VOLATILE_KEYS",
    "RULES",
    "TRAFFIC_RULES",
    "DriftAccumulator",
    "HistoryMark",
    "ReadIssue",
    "Resolved",
    "SpecDiff",
    "TrafficAnalyser",
    "TrafficReport",
    "TrendPoint",
    "VolatileRules",
    "Waiver",
    "apply_waivers",
    "baseline_drift",
    "diff_specs",
    "drift_report",
    "fold_pointer",
    "iter_spec_changes",
    "load_waivers",
    "rank_changes",
    "rank_traffic",
    "record_history",
    "suggest_spec",
    "traffic_drift",
]
