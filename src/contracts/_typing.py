"""Type aliases shared by every layer."""

from __future__ import annotations

from typing import Any

__all__ = ["JSON"]

# A decoded JSON/YAML value. ``Any`` rather than a recursive union: the values come from
# parsers, are walked by ``isinstance`` checks, and a recursive alias costs every caller a cast.
JSON = Any
