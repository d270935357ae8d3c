"""Finding a spec by name before reading it: a bundled name or a path, and a did-you-mean
for what is not there (commands check their ``--api`` with this before they start work)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from . import vendors
from .errors import SpecNotFound

__all__ = ["spec_location", "spec_not_found", "suggest_names"]


def spec_location(spec: str | Path) -> tuple[Path, str]:
    """The file of ``spec`` (a bundled name or a path) and its name, without reading it.

    :class:`SpecNotFound` (with a did-you-mean for a misspelt bundled name) when there is
    none: commands check their ``--api`` with this before they start work.
    """
    entry = vendors.find(spec) if isinstance(spec, str) else None
    if entry is not None:
        return entry.spec, entry.name
    path = Path(spec)
    if not path.exists():
        raise spec_not_found(str(spec))
    return path, path.stem


def spec_not_found(name: str) -> SpecNotFound:
    import difflib  # only on the error path: it costs an import (and heapq) at start-up

    known = vendors.names()
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    return SpecNotFound(name, known=known, suggestions=close)


def suggest_names(wanted: str, names: Iterable[str]) -> list[str]:
    """Did-you-mean candidates for an unknown name (an operationId, a phase, an API).

    Close spellings first; else the names that contain ``wanted`` in any case (``participant``
    finds ``getSessionParticipants``); else the first few names, so a hint always helps.
    """
    import difflib

    known = list(dict.fromkeys(names))
    close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.5)
    if not close:
        lowered = {k.lower(): k for k in known}
        close = [lowered[k] for k in lowered if wanted.lower() in k][:3]
    return close or sorted(known)[:5]
