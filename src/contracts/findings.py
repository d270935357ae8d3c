"""Records the toolkit reports: severities, spec findings, and their stable ordering."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Finding", "Severity", "ranked"]


class Severity(enum.IntEnum):
    """How much a record matters to an integrator; ordered so that ``max()`` is the worst."""

    INFO = 10
    WARNING = 20
    ERROR = 30

    @classmethod
    def parse(cls, text: str) -> Severity:
        aliases = {"warn": "warning", "err": "error"}
        key = aliases.get(text.strip().lower(), text.strip().lower())
        try:
            return cls[key.upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r} (one of {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True, order=False)
class Finding:
    """Something a check found in a spec file: a stable ``code``, where, and what.

    ``pointer`` is a JSON pointer into ``source``; ``line`` is 1-based when known.
    """

    code: str
    message: str
    source: str
    pointer: str = ""
    line: int | None = None
    severity: Severity = Severity.ERROR
    extra: tuple[tuple[str, str], ...] = field(default=())

    @property
    def location(self) -> str:
        line = f":{self.line}" if self.line is not None else ""
        return f"{self.source}{line}#{self.pointer}" if self.pointer else f"{self.source}{line}"

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.label,
            "message": self.message,
            "source": self.source,
            "pointer": self.pointer,
            "line": self.line,
            **dict(self.extra),
        }


def ranked(findings: Iterable[Finding]) -> list[Finding]:
    """Worst first, then by place and code, so that the order of input never changes the answer."""
    return sorted(
        findings,
        key=lambda f: (-f.severity, f.source, f.line or 0, f.pointer, f.code, f.message),
    )
