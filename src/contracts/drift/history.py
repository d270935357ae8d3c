"""History: each run's findings stored in a SQLite file, so that a report can say since when
a finding is seen, which findings of earlier runs are gone, and how the counts trend."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..findings import Severity
from .report import HistoryMark, Resolved, TrafficReport, TrendPoint

if TYPE_CHECKING:
    import sqlite3

__all__ = ["open_history", "record_history"]

_HISTORY_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,
                                 api TEXT NOT NULL, corpus TEXT NOT NULL,
                                 exchanges INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS findings (run_id INTEGER NOT NULL REFERENCES runs(id), key TEXT NOT NULL,
                                     rule TEXT NOT NULL, grade TEXT NOT NULL,
                                     count INTEGER NOT NULL, total INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS findings_key ON findings (key);
"""
_GRADES = {"ERR": Severity.ERROR, "WARN": Severity.WARNING, "INFO": Severity.INFO}
_TREND_RUNS = 30


def record_history(path: str | Path, report: TrafficReport, *, now: str | None = None
                   ) -> TrafficReport:
    """Store this run's findings in the SQLite file ``path`` (created when missing) and return
    the report with, per finding, first/last seen and how many runs showed it; the findings of
    earlier runs that are gone (``resolved``); and the per-grade counts of the last 30 runs.
    Runs are kept per API. A file that is not such a history is an :class:`InputError`."""
    import datetime
    import sqlite3

    stamp = now or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    db = open_history(path)
    try:
        _store(db, report, stamp)
        marks = _marks(db, report, stamp)
        resolved = _resolved(db, report, stamp)
        trend = _trend(db, report.api)
    except sqlite3.DatabaseError as exc:
        raise InputError(f"not a drift history file ({exc})", source=str(path)) from None
    finally:
        db.close()
    resolved.sort(key=lambda r: (-r.grade, r.operation, r.location, r.pointer, r.rule))
    return replace(report, history=marks, resolved=tuple(resolved), trend=tuple(trend))


def open_history(path: str | Path) -> sqlite3.Connection:
    """The connection to the history file ``path`` (created when missing), opened
    defensively: objects we did not create refused, every statement bounded in time."""
    from .._sqlite import open_history as _open_defensively

    return _open_defensively(path)


def _store(db: sqlite3.Connection, report: TrafficReport, stamp: str) -> None:
    """This run and its findings, in one transaction."""
    with db:
        db.executescript(_HISTORY_SCHEMA)
        cursor = db.execute("INSERT INTO runs (time, api, corpus, exchanges) "
                            "VALUES (?, ?, ?, ?)", (stamp, report.api,
                                                    ", ".join(report.sources),
                                                    report.exchanges))
        run_id = cursor.lastrowid
        db.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?)", [
            (run_id, f.key_text, f.rule, f.grade_label, f.count, f.total)
            for f in report.findings])


def _marks(db: sqlite3.Connection, report: TrafficReport, stamp: str
           ) -> dict[str, HistoryMark]:
    """Per finding of this run: first and last run that showed it, and how many did."""
    rows = db.execute(
        "SELECT f.key, MIN(r.time), MAX(r.time), COUNT(DISTINCT r.id) FROM findings f "
        "JOIN runs r ON r.id = f.run_id WHERE r.api = ? GROUP BY f.key", (report.api,))
    seen = {key: (first, last, runs) for key, first, last, runs in rows}
    marks: dict[str, HistoryMark] = {}
    for f in report.findings:
        first, last, runs = seen.get(f.key_text, (stamp, stamp, 1))
        marks[f.key_text] = HistoryMark(first, last, runs)
    return marks


def _resolved(db: sqlite3.Connection, report: TrafficReport, stamp: str) -> list[Resolved]:
    """The findings of earlier runs that this run no longer shows, and since when."""
    current = {f.key_text for f in report.findings}
    resolved = []
    rows = db.execute(
        "SELECT f.key, f.rule, f.grade, MAX(r.id), MAX(r.time) FROM findings f "
        "JOIN runs r ON r.id = f.run_id WHERE r.api = ? GROUP BY f.key", (report.api,))
    for key, rule, grade, last_run, last_time in rows.fetchall():
        if key in current:
            continue
        since = db.execute("SELECT MIN(time) FROM runs WHERE api = ? AND id > ?",
                           (report.api, last_run)).fetchone()[0]
        _rule, operation, location, pointer = [*key.split("|", 3), "", "", ""][:4]
        resolved.append(Resolved(rule=rule, grade=_GRADES.get(grade, Severity.INFO),
                                 operation=operation, location=location, pointer=pointer,
                                 last_seen=last_time, resolved_since=since or stamp))
    return resolved


def _trend(db: sqlite3.Connection, api: str) -> list[TrendPoint]:
    """Per-grade counts of the last runs of ``api``, oldest first."""
    trend = []
    runs = db.execute("SELECT id, time FROM runs WHERE api = ? ORDER BY id DESC LIMIT ?",
                      (api, _TREND_RUNS)).fetchall()
    for rid, time in reversed(runs):
        counts = dict(db.execute("SELECT grade, COUNT(*) FROM findings WHERE run_id = ? "
                                 "GROUP BY grade", (rid,)).fetchall())
        trend.append(TrendPoint(rid, time, counts.get("ERR", 0), counts.get("WARN", 0),
                                counts.get("INFO", 0)))
    return trend
