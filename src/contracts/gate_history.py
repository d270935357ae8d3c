"""The gate's history: each run's per-operation results, kept in the SQLite file that
``contracts drift --history`` keeps its runs in (tables of their own beside drift's), and the
trend read back: since when each operation has been failing, and for how many runs.

The file is opened in one place, :func:`_open` (to become ``_sqlite.open_history``, which
must then know :data:`GATE_HISTORY_OBJECTS`).
"""

from __future__ import annotations

import datetime
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ._sqlite import HISTORY_OBJECTS, open_history
from .errors import InputError

if TYPE_CHECKING:
    from .gate import GateResult

__all__ = ["GATE_HISTORY_OBJECTS", "OperationTrend", "record_gate_run"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gate_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,
                                      apis TEXT NOT NULL, seed INTEGER NOT NULL,
                                      live INTEGER NOT NULL, passed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS gate_operations (run_id INTEGER NOT NULL REFERENCES gate_runs(id),
                                            api TEXT NOT NULL, operation TEXT NOT NULL,
                                            state TEXT NOT NULL, requests INTEGER NOT NULL,
                                            proved INTEGER NOT NULL, statuses TEXT NOT NULL,
                                            codes TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS gate_operations_key ON gate_operations (api, operation);
"""
GATE_HISTORY_OBJECTS = {key: columns for key, columns in HISTORY_OBJECTS.items()
                        if key[1].startswith("gate_")}
"""What this module creates in a history file (the defensive opener's allow-list holds it)."""

PASS, FAIL, NOT_PROVED = "pass", "fail", "not proved"
_TREND_RUNS = 30


@dataclass(frozen=True)
class OperationTrend:
    """One operation across the recorded runs (the newest last)."""

    api: str
    operation: str
    state: str
    """This run's state: ``pass``, ``fail`` or ``not proved``."""
    since: str
    """When the current state began: the time of the first run of the streak."""
    runs: int
    """How many runs in a row (this one included) have had this state."""
    recent: tuple[str, ...]
    """The states of the last runs that ran it, oldest first (at most 30)."""

    @property
    def name(self) -> str:
        return f"{self.api}.{self.operation}"


def _open(path: str | Path) -> sqlite3.Connection:
    """The one place a gate history file is opened: defensively, as drift opens it (objects
    we did not create refused, trusted_schema off, every statement bounded in time)."""
    return open_history(path)


def _rows(result: GateResult) -> list[tuple[str, str, str, int, int, str, str]]:
    rows = []
    for suite in result.suites:
        for op in suite.documented:
            outcome = suite.outcomes.get(op)
            if outcome is None or not outcome.requests:
                rows.append((suite.api, op, NOT_PROVED, 0, 0, "{}", "[]"))
                continue
            codes = sorted({v.code for v in outcome.failures()} | {
                name.split(":")[0] for name in outcome.engine_failures})
            state = FAIL if not outcome.passed else PASS if outcome.proved else NOT_PROVED
            rows.append((suite.api, op, state, outcome.requests, outcome.proved,
                         json.dumps({str(k): n for k, n in sorted(outcome.statuses.items())}),
                         json.dumps(codes)))
    return rows


def record_gate_run(path: str | Path, result: GateResult, *, now: str | None = None
                    ) -> tuple[OperationTrend, ...]:
    """Store ``result``'s per-operation states in the history file ``path`` (created when
    missing) and return each operation's trend. Operations left out of the run (not selected,
    writes on a read-only run) are not recorded: a run that did not try an operation says
    nothing about it. A file that is not such a history is an :class:`InputError`."""
    stamp = now or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    rows = _rows(result)
    db = _open(path)
    try:
        with db:
            db.executescript(_SCHEMA)
            cursor = db.execute("INSERT INTO gate_runs (time, apis, seed, live, passed) "
                                "VALUES (?, ?, ?, ?, ?)",
                                (stamp, ", ".join(result.apis), result.seed,
                                 int(any(s.live for s in result.suites)), int(result.passed)))
            run_id = cursor.lastrowid
            db.executemany("INSERT INTO gate_operations VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [(run_id, *row) for row in rows])
        return tuple(_trend(db, api, op) for api, op, *_ in rows)
    except sqlite3.DatabaseError as exc:
        raise InputError(f"not a history file ({exc})", source=str(path)) from None
    finally:
        db.close()


def _trend(db: sqlite3.Connection, api: str, operation: str) -> OperationTrend:
    history: Sequence[tuple[str, str]] = db.execute(
        "SELECT r.time, o.state FROM gate_operations o JOIN gate_runs r ON r.id = o.run_id "
        "WHERE o.api = ? AND o.operation = ? ORDER BY r.id DESC LIMIT ?",
        (api, operation, _TREND_RUNS)).fetchall()
    state = history[0][1]
    streak = 0
    for _time, seen in history:
        if seen != state:
            break
        streak += 1
    if streak == len(history) == _TREND_RUNS:
        # The streak may be longer than the window: count it in full.
        first_other = db.execute(
            "SELECT MAX(r.id) FROM gate_operations o JOIN gate_runs r ON r.id = o.run_id "
            "WHERE o.api = ? AND o.operation = ? AND o.state != ?",
            (api, operation, state)).fetchone()[0] or 0
        streak, since = db.execute(
            "SELECT COUNT(*), MIN(r.time) FROM gate_operations o JOIN gate_runs r "
            "ON r.id = o.run_id WHERE o.api = ? AND o.operation = ? AND r.id > ?",
            (api, operation, first_other)).fetchone()
    else:
        since = history[streak - 1][0]
    return OperationTrend(api, operation, state, str(since), int(streak),
                          tuple(s for _t, s in reversed(history)))
