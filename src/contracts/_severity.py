"""How much a record matters: the one scale every record of the toolkit is graded on."""

from __future__ import annotations

import enum

__all__ = ["Severity"]


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
        return _LABELS[self]  # looked up: an enum's name is a descriptor, and reports ask often


_LABELS = {severity: severity.name.lower() for severity in Severity}
