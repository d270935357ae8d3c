"""Waivers: a reviewed file that silences known findings until a date, and reports the
waivers that expired or silence nothing any more."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..findings import TrafficDrift
from .report import TrafficReport, Waiver, rank_traffic
from .rules import TRAFFIC_RULES

_YMD = re.compile(r"\d{4}-\d{2}-\d{2}")

__all__ = ["apply_waivers", "load_waivers", "parse_expiry"]

_WAIVER_KEYS = frozenset({"code", "operation", "location", "pointer", "reason", "expires"})


def load_waivers(path: str | Path) -> tuple[Waiver, ...]:
    """Read a waiver file: a YAML list (or ``{waivers: [...]}``) of entries with ``code``,
    ``reason``, ``expires: YYYY-MM-DD`` and optional ``operation``/``location``/``pointer``
    globs. Anything else is an :class:`InputError` naming the entry."""
    from .._loading import load_document

    doc = load_document(path)
    data = doc.data
    if isinstance(data, dict) and set(data) == {"waivers"}:
        data = data["waivers"]
    if not isinstance(data, list):
        raise InputError("a waiver file is a list of waivers (or {waivers: [...]})",
                         source=doc.source)
    out = []
    for i, entry in enumerate(data):
        where = f"/{i}" if data is doc.data else f"/waivers/{i}"
        line = doc.line_of(where)
        _check_entry(entry, doc.source, line)
        out.append(Waiver(code=entry["code"].strip(), reason=entry["reason"].strip(),
                          expires=parse_expiry(entry["expires"], doc.source, line),
                          operation=entry.get("operation", "*") or "*",
                          location=entry.get("location", "*") or "*",
                          pointer=entry.get("pointer", "*") or "*", source=doc.source,
                          index=i))
    return tuple(out)


def _check_entry(entry: Any, source: str, line: int | None) -> None:
    """A waiver is a mapping of known keys, with a code, a reason and an expiry as text."""
    if not isinstance(entry, dict):
        raise InputError("a waiver is a mapping", source=source, line=line)
    unknown = sorted(set(map(str, entry)) - _WAIVER_KEYS)
    if unknown:
        raise InputError(f"unknown waiver key(s) {', '.join(unknown)}", source=source,
                         line=line, hint=f"keys: {', '.join(sorted(_WAIVER_KEYS))}")
    for key in ("code", "reason", "expires"):
        if not str(entry.get(key, "") or "").strip():
            raise InputError(f"a waiver needs {key!r}", source=source, line=line)
    for key in ("code", "operation", "location", "pointer", "reason"):
        if key in entry and not isinstance(entry[key], str):
            raise InputError(f"waiver {key!r} must be a string", source=source, line=line)


def parse_expiry(raw: Any, source: str, line: int | None) -> datetime.date:
    """A waiver's ``expires``: a YAML date or ``YYYY-MM-DD`` text."""
    try:
        if not isinstance(raw, datetime.date) and not _YMD.fullmatch(str(raw)):
            raise ValueError(raw)  # fromisoformat also takes 2099-W01-1 and 20990101
        return raw if isinstance(raw, datetime.date) else datetime.date.fromisoformat(str(raw))
    except ValueError:
        raise InputError("waiver 'expires' must be a date YYYY-MM-DD", source=source,
                         line=line) from None


def apply_waivers(report: TrafficReport, waivers: Iterable[Waiver], *,
                  today: Any = None) -> TrafficReport:
    """Move findings silenced by an active waiver to ``waived``; each expired waiver silences
    nothing and becomes an INFO finding (``drift.waiver.expired``), and each active one that
    silenced nothing another (``drift.waiver.unused``), so that stale waivers get cleaned up."""
    day = today or datetime.date.today()
    waivers = list(waivers)  # read once: a generator would leave nothing for ``expired``
    active = [w for w in waivers if w.expires >= day]
    expired = [w for w in waivers if w.expires < day]
    kept: list[TrafficDrift] = []
    waived: list[tuple[TrafficDrift, Waiver]] = list(report.waived)
    for finding in report.findings:
        match = next((w for w in active if w.matches(finding)), None)
        if match is None:
            kept.append(finding)
        else:
            waived.append((finding, match))
    used = {id(w) for _finding, w in waived}
    for w in active:
        if id(w) not in used:
            kept.append(_waiver_finding(
                w, "drift.waiver.unused",
                f"waiver for {w.code} (until {w.expires.isoformat()}, {w.reason}) matched no "
                f"finding of this run"))
    for w in expired:
        still = sum(1 for f in report.findings if w.matches(f))
        kept.append(_waiver_finding(
            w, "drift.waiver.expired",
            f"waiver for {w.code} expired on {w.expires.isoformat()} ({w.reason}); "
            f"it matches {still} finding(s) of this run"))
    return replace(report, findings=tuple(rank_traffic(kept)), waived=tuple(waived))


def _waiver_finding(waiver: Waiver, rule: str, message: str) -> TrafficDrift:
    """A finding about the waiver itself, placed at its entry in the waiver file."""
    where = f"{waiver.source}#/{waiver.index}"
    return TrafficDrift(rule=rule, grade=TRAFFIC_RULES[rule][0], operation=waiver.operation,
                        location="waivers", pointer=f"/{waiver.index}", message=message,
                        count=1, total=1, first_at=where, last_at=where,
                        expected=waiver.expires.isoformat())

