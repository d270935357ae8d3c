"""Opening a history file (drift, gate) defensively: it is user input; SQLite files run code.

A history file is a SQLite database that someone else may have made. Triggers, views and
defaults in its schema run inside our statements (an ``AFTER INSERT`` trigger with a recursive
CTE never returns), so :func:`open_history` refuses any object the tool did not create, turns
``trusted_schema`` off and bounds every statement's time with a progress handler.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = ["HISTORY_OBJECTS", "STATEMENT_SECONDS", "open_history"]

STATEMENT_SECONDS = 5.0
"""No statement on a history file may run longer than this."""

# What drift's history schema creates (contracts.drift._HISTORY_SCHEMA), with each table's
# columns; sqlite_sequence comes with AUTOINCREMENT.
HISTORY_OBJECTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("table", "runs"): ("id", "time", "api", "corpus", "exchanges"),
    ("table", "findings"): ("run_id", "key", "rule", "grade", "count", "total"),
    ("index", "findings_key"): (),
    ("table", "sqlite_sequence"): ("name", "seq"),
    # the gate's per-operation history (contracts.gate_history) shares the file
    ("table", "gate_runs"): ("id", "time", "apis", "seed", "live", "passed"),
    ("table", "gate_operations"): ("run_id", "api", "operation", "state", "requests", "proved",
                                   "statuses", "codes"),
    ("index", "gate_operations_key"): (),
}
_STEPS = 10_000  # VM instructions between two looks at the clock


class _Bounded(sqlite3.Connection):
    """A connection whose every execute starts a new deadline for the progress handler."""

    deadline = 0.0
    limit = STATEMENT_SECONDS

    def _start(self) -> None:
        self.deadline = time.monotonic() + self.limit

    def execute(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        self._start()
        return super().execute(*args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        self._start()
        return super().executemany(*args, **kwargs)

    def executescript(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        self._start()
        return super().executescript(*args, **kwargs)


def open_history(path: str | Path, *, statement_seconds: float = STATEMENT_SECONDS
                 ) -> sqlite3.Connection:
    """A connection to the history file ``path`` (created when missing), or an InputError
    when it is not a regular file or holds objects the tool did not create."""
    source = str(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise InputError(f"cannot open the history file ({exc.strerror})", source=source
                         ) from None
    if mode is not None and not stat.S_ISREG(mode):
        raise InputError("the history file is not a regular file", source=source)
    try:
        db = sqlite3.connect(source, factory=_Bounded, timeout=statement_seconds)
    except sqlite3.Error as exc:
        raise InputError(f"cannot open the history file ({exc})", source=source) from None
    assert isinstance(db, _Bounded)
    db.limit = statement_seconds
    db.set_progress_handler(lambda: 1 if time.monotonic() > db.deadline else 0, _STEPS)
    try:
        db.execute("PRAGMA trusted_schema = OFF")
        _check_objects(db, source)
    except InputError:
        db.close()
        raise
    except sqlite3.DatabaseError as exc:
        db.close()
        reason = "a statement ran too long" if "interrupt" in str(exc) else str(exc)
        raise InputError(f"not a history file ({reason})", source=source) from None
    return db


def _check_objects(db: sqlite3.Connection, source: str) -> None:
    rows = db.execute("SELECT type, name FROM sqlite_master").fetchall()
    for kind, name in rows:
        if (kind, name) not in HISTORY_OBJECTS:
            raise InputError(f"not a history file: it holds a {kind} this tool did not "
                             f"create ({name!r:.60})", source=source)
        columns = HISTORY_OBJECTS[kind, name]
        if columns:
            # PRAGMA table_info's statement is not bounded by the table's content.
            found = tuple(r[1] for r in db.execute(
                "SELECT * FROM pragma_table_info(?)", (name,)))
            if found != columns:
                raise InputError(f"not a history file: table {name} has other columns",
                                 source=source)
