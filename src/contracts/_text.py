"""Sanitizers for text we write: XML 1.0 that parses, terminal text that cannot drive a terminal.

Reports quote keys, pointers and messages that come from traffic and specs, so they may hold
any character. JSON and SARIF escape them already; XML (JUnit) and text for a terminal or a
CI log need these.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["terminal_safe", "xml_safe"]


@cache
def _not_xml() -> re.Pattern[str]:
    # XML 1.0 section 2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
    # [#x10000-...]. Compiled on first use: its ranges cost 8 ms to compile, which a command
    # that writes no XML should not pay at start-up.
    return re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@cache
def _control() -> re.Pattern[str]:
    # C0 controls but tab and newline, DEL, C1 controls (U+0085 NEL, U+009B CSI...), and the
    # line/paragraph separators some terminals and log viewers treat as breaks.
    return re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


# The colour sequences our own rich tables write when asked for colour (SGR only).
_SGR = "\x1b\\[[0-9;]*m"


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 forbids written as ``\\xNN`` (or ``\\uNNNN``).

    Works on a whole serialized document too: those characters are never markup.
    """
    return _not_xml().sub(_escaped, text)


def terminal_safe(text: str, *, keep_colour: bool = False) -> str:
    """``text`` with control characters (ESC, BEL, CR, backspace...) written as ``\\xNN``,
    so that what came from the traffic cannot move the cursor, retitle the window or hide
    a line. ``keep_colour`` keeps well-formed SGR colour sequences (our own table colours)."""
    if text.isascii() and text.isprintable():  # nothing to escape (most text): no regex
        return text
    control = _control()
    if not keep_colour:
        return control.sub(_escaped, text)
    out = []
    last = 0
    for match in re.finditer(_SGR, text):
        out.append(control.sub(_escaped, text[last:match.start()]))
        out.append(match.group())
        last = match.end()
    out.append(control.sub(_escaped, text[last:]))
    return "".join(out)
