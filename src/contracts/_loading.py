"""Safe loading of YAML/JSON documents into plain JSON values, with a line for every pointer.

The one place that imports PyYAML: every YAML error becomes an :class:`InputError`.
Limits protect unattended CI runs from hostile or broken files (alias bombs, deep nesting,
huge files); they can be raised by callers that know better.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any

from ._pointers import escape_pointer
from ._record import FACTORY, Record
from ._typing import JSON
from .errors import InputError

__all__ = ["Document", "LazyLines", "Limits", "dump_document", "escape_pointer",
           "load_document", "open_regular", "parse_document", "parse_json", "read_capped"]


@dataclass(init=False, repr=False, eq=False, slots=True)  # a frozen record: see _record
class Limits(Record):
    """Bounds on what a document may cost to load."""

    max_bytes: int = 32 * 1024 * 1024
    max_depth: int = 256
    max_nodes: int = 500_000
    # What loading builds, in bytes: every string value, key and pointer as often as aliases
    # repeat it. A 700 KB YAML file whose 100 KB key is aliased 200,000 times means 20 GB.
    max_expanded_bytes: int = 96 * 1024 * 1024
    # JSON values (objects, arrays, items) in one JSON text, counted from its punctuation
    # before parsing: each costs 30 to 70 bytes of memory for two or three bytes of input.
    max_json_values: int = 4_000_000

    def __init__(self, max_bytes: int = 32 * 1024 * 1024, max_depth: int = 256,
                 max_nodes: int = 500_000, max_expanded_bytes: int = 96 * 1024 * 1024,
                 max_json_values: int = 4_000_000) -> None:
        _set = object.__setattr__
        _set(self, "max_bytes", max_bytes)
        _set(self, "max_depth", max_depth)
        _set(self, "max_nodes", max_nodes)
        _set(self, "max_expanded_bytes", max_expanded_bytes)
        _set(self, "max_json_values", max_json_values)


DEFAULT_LIMITS = Limits()


@dataclass(init=False, repr=False, eq=False, slots=True)  # a frozen record: see _record
class Document(Record):
    """A loaded document: its JSON value and the 1-based line where each pointer starts."""

    source: str
    data: JSON
    lines: dict[str, int] = field(default_factory=dict, repr=False)

    def __init__(self, source: str, data: JSON, lines: dict[str, int] = FACTORY) -> None:
        _set = object.__setattr__
        _set(self, "source", source)
        _set(self, "data", data)
        _set(self, "lines", {} if lines is FACTORY else lines)

    def line_of(self, pointer: str) -> int | None:
        """The line of ``pointer``, or of its nearest ancestor that has one."""
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]


_TAG = "tag:yaml.org,2002:"
_STR, _SEQ, _MAP, _MERGE = _TAG + "str", _TAG + "seq", _TAG + "map", _TAG + "merge"

# YAML 1.2 core-schema tags for plain scalars (PyYAML's own resolver is YAML 1.1's). 1.2 is
# what OpenAPI documents are written in and a superset of JSON: ``1e-8`` and ``1.5e3`` are
# numbers, ``yes``/``on``/``0777``/``1:30`` are not booleans, octals or sexagesimals. Keyed by
# a plain scalar's first character, tried in order; no match is a string.
_IMPLICIT_SOURCE = (
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    ("float", r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)", "-+0123456789."),
    ("null", r"null|Null|NULL|~|", ["~", "n", "N", ""]),
    ("merge", r"<<", "<"),  # not 1.2, but recognised so that it is refused by name
)


@cache
def _implicit() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    # Compiled on the first YAML parse: a run whose specs come from the cache parses none.
    table: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for tag, pattern, first in _IMPLICIT_SOURCE:
        for char in first:
            table.setdefault(char, []).append((_TAG + tag, re.compile(f"^(?:{pattern})$")))
    return table


def _int12(text: str) -> int:
    if text[:2] in ("0o", "0x"):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)  # "017" is seventeen in 1.2, not fifteen


def _float12(text: str) -> float:
    text = text.lower()
    if text.endswith(("inf", "nan")):
        return float(text.replace(".", ""))
    return float(text)


# Per-tag constructors; an explicit tag (`!!int 0b11`) is read by the same 1.2 rules.
_SCALARS: dict[str, Callable[[str], JSON]] = {
    _TAG + "int": _int12,
    _TAG + "float": _float12,
    _TAG + "bool": lambda text: text.lower() == "true",
    _TAG + "null": lambda text: None,
}

# The events the builder reads, as tuples (kind, value, tag, line, anchor): a scalar's value
# is its text; an alias's is the anchor it names.
_SCALAR, _SEQ_START, _MAP_START, _END, _ALIAS = range(5)
_Event = tuple[int, str | None, str | None, int, str | None]
_END_EVENT: _Event = (_END, None, None, 0, None)


def _yaml_events(text: str, source: str) -> Iterator[_Event]:
    """The node events of the one document in ``text``, from libyaml when present, with
    every tag resolved; YAML syntax errors are PyYAML's own exceptions."""
    from yaml import events as ev  # here: a spec read as JSON never needs PyYAML

    try:  # libyaml scans in C: a 30 MB scalar takes half a second instead of half a minute
        from yaml.cyaml import CParser  # type: ignore[attr-defined]
        parser: Any = CParser(text)
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        parser = _py_parser(text)
    kinds = {ev.ScalarEvent: _SCALAR, ev.SequenceStartEvent: _SEQ_START,
             ev.MappingStartEvent: _MAP_START, ev.SequenceEndEvent: _END,
             ev.MappingEndEvent: _END, ev.AliasEvent: _ALIAS}
    get = parser.get_event
    implicit = _implicit()
    try:
        get()  # the stream's start
        if not isinstance(get(), ev.DocumentStartEvent):
            return  # no document: an empty stream (comments only)
        while True:
            event = get()
            kind = kinds.get(type(event))
            if kind is None:  # the document's end
                break
            line = event.start_mark.line + 1
            if kind == _SCALAR:
                value, tag = event.value, event.tag
                if tag is None or tag == "!":
                    tag = _STR
                    if event.implicit[0]:  # plain, not quoted: resolved by its text
                        for candidate, pattern in implicit.get(value[:1], ()):
                            if pattern.match(value):
                                tag = candidate
                                break
                yield (_SCALAR, value, tag, line, event.anchor)
            elif kind == _END:
                yield _END_EVENT  # where a collection ends is never reported
            elif kind == _ALIAS:
                yield (_ALIAS, event.anchor, None, line, None)
            else:
                tag = event.tag
                if tag is None or tag == "!":
                    tag = _SEQ if kind == _SEQ_START else _MAP
                yield (kind, None, tag, line, event.anchor)
        event = get()
        if not isinstance(event, ev.StreamEndEvent):
            raise InputError("not valid YAML or JSON: but found another document",
                             source=source, line=event.start_mark.line + 1)
    finally:
        parser.dispose()


def _py_parser(text: str) -> Any:
    """PyYAML's parser in Python, for a PyYAML built without libyaml."""
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class PyParser(Reader, Scanner, Parser):
        def __init__(self, stream: str):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)

        def dispose(self) -> None:
            Parser.dispose(self)

    return PyParser(text)


class _Anchor:
    """An anchored node: a scalar's event, or the span of a collection's events in the log."""

    __slots__ = ("end", "event", "start")

    def __init__(self, event: _Event, start: int):
        self.event = event
        self.start = start
        self.end = -1  # still open: an alias to it now is a recursive one


class _Builder:
    """Builds the JSON value of a YAML document from its events, without recursion.

    Counts what it builds (values, and bytes of keys, strings and pointers: an alias repeats
    them, so the file size is no bound), keeps the line of every pointer and refuses what
    JSON cannot hold. An alias replays its anchor's events at its own place, as though they
    were written out there: every limit and line applies to the copy.
    """

    def __init__(self, source: str, limits: Limits):
        self.source = source
        self.limits = limits
        self.nodes = 0
        self.expanded = 0
        self.lines: dict[str, int] = {}
        self.anchors: dict[str, _Anchor] = {}
        self.log: list[_Event] = []  # the events inside anchors, for their aliases
        self.open_anchors = 0
        self.sources: list[Iterator[_Event]] = []

    def fail(self, message: str, line: int, pointer: str) -> InputError:
        return InputError(message, source=self.source, line=line, pointer=pointer or "/")

    def charge(self, size: int, line: int) -> None:
        self.expanded += size
        if self.expanded > self.limits.max_expanded_bytes:
            raise self.fail(
                f"document expands to more than {self.limits.max_expanded_bytes:,} bytes "
                "(a YAML alias bomb?)", line, "")

    def node(self, pointer: str, depth: int, line: int) -> None:
        """Account for one value about to be built at ``pointer``."""
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise self.fail(
                f"document expands to more than {self.limits.max_nodes:,} values "
                "(a YAML alias bomb?)", line, pointer)
        self.charge(len(pointer), line)
        if depth > self.limits.max_depth:
            raise self.fail(f"nested too deeply to read (deeper than {self.limits.max_depth} "
                            "levels)", line, pointer)
        self.lines.setdefault(pointer, line)

    def scalar(self, text: str, tag: str, line: int, pointer: str) -> JSON:
        if tag == _STR or tag == _TAG + "timestamp":
            # Dates stay strings: JSON has no date type and format checks want the text.
            self.charge(len(text), line)
            return text
        convert = _SCALARS.get(tag)
        if convert is None:  # e.g. !!python/object: never constructed, refused
            raise self.fail(f"unsupported YAML tag {tag}", line, pointer)
        try:
            value = convert(text)
        except ValueError:  # an integer longer than Python's digit limit
            raise self.fail(f"unreadable number ({_digits()})", line, pointer) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail("NaN and Infinity are not JSON values", line, pointer)
        return value

    def define(self, name: str, event: _Event, start: int) -> _Anchor:
        if name in self.anchors:
            raise InputError(f"not valid YAML or JSON: found duplicate anchor {name!r}",
                             source=self.source, line=event[3])
        found = self.anchors[name] = _Anchor(event, start)
        return found

    def anchor(self, name: str, line: int) -> _Anchor:
        found = self.anchors.get(name)
        if found is None:
            raise InputError(f"not valid YAML or JSON: found undefined alias {name!r}",
                             source=self.source, line=line)
        return found

    def key(self, frame: list[Any], event: _Event, replaying: bool) -> None:
        """Read the key of a mapping's next member; its value comes next."""
        kind, text, tag, line, name = event
        where = frame[1]
        if kind == _ALIAS:  # an alias as a key stands for its anchor's node
            assert text is not None
            found = self.anchor(text, line)
            if found.start >= 0:
                raise self.fail("mapping keys must be plain strings", found.event[3], where)
            kind, text, tag, line, name = found.event
        elif kind == _SCALAR and name is not None and not replaying:
            self.define(name, event, -1)
        if tag == _MERGE:
            raise self.fail("YAML merge keys (<<) are not supported", line, where)
        if kind != _SCALAR:
            raise self.fail("mapping keys must be plain strings", line, where)
        # Keys are strings in JSON, whatever they look like (`200:`): the text as written.
        assert text is not None
        self.charge(len(text), line)
        child = f"{where}/{escape_pointer(text)}"
        if text in frame[0]:
            raise self.fail(f"duplicate key {text!r}", line, where)
        # A pointer's line is its key's line: where a reader looks for it.
        self.lines[child] = line
        frame[4] = (text, child)

    def build(self, events: Iterator[_Event]) -> JSON:
        """The document's value; :data:`_NO_DOCUMENT` for a stream without one."""
        root: Any = _NO_DOCUMENT
        # One frame per open collection: [container, pointer, depth, anchor, the key and
        # pointer of the member whose value comes next (None: a key comes next)].
        stack: list[list[Any]] = []
        sources = self.sources = [events]  # the document's events, then aliases replayed
        log, lines = self.log, self.lines
        max_bytes = self.limits.max_expanded_bytes
        while sources:
            event = next(sources[-1], None)
            if event is None:
                sources.pop()
                continue
            replaying = len(sources) > 1
            if self.open_anchors and not replaying:
                log.append(event)
            kind, text, tag, line, name = event
            if kind == _END:
                self.close(stack.pop())
                continue
            frame = stack[-1] if stack else None
            if frame is None:
                pointer, depth = "", 0
            elif type(frame[0]) is list:
                pointer, depth = f"{frame[1]}/{len(frame[0])}", frame[2] + 1
            elif frame[4] is not None:
                pointer, depth = frame[4][1], frame[2] + 1
            elif kind == _SCALAR and name is None and tag != _MERGE:  # a key, as most are
                assert text is not None
                self.expanded += len(text)
                child = f"{frame[1]}/{escape_pointer(text)}"
                if self.expanded > max_bytes or text in frame[0]:
                    self.expanded -= len(text)
                    self.key(frame, event, replaying)  # says what is wrong
                lines[child] = line  # a pointer's line is its key's: where a reader looks
                frame[4] = (text, child)
                continue
            else:
                self.key(frame, event, replaying)
                continue
            if kind == _ALIAS:
                self.replay(event, pointer, depth)
                continue
            value = self.value(event, pointer, depth, replaying, stack)
            if frame is None:
                root = value
            elif type(frame[0]) is list:
                frame[0].append(value)
            else:
                frame[0][frame[4][0]] = value
                frame[4] = None
        return root

    def value(self, event: _Event, pointer: str, depth: int, replaying: bool,
              stack: list[list[Any]]) -> JSON:
        """A scalar's value, or a new collection (its frame pushed on ``stack``)."""
        kind, text, tag, line, name = event
        limits = self.limits
        self.nodes += 1
        self.expanded += len(pointer)
        if (self.nodes > limits.max_nodes or self.expanded > limits.max_expanded_bytes
                or depth > limits.max_depth):
            self.nodes -= 1
            self.expanded -= len(pointer)
            self.node(pointer, depth, line)  # says which limit
        self.lines.setdefault(pointer, line)
        if kind == _SCALAR:
            assert text is not None and tag is not None
            if name is not None and not replaying:
                self.define(name, event, -1)
            if tag == _STR:  # as most are
                self.expanded += len(text)
                if self.expanded > limits.max_expanded_bytes:
                    self.charge(0, line)
                return text
            return self.scalar(text, tag, line, pointer)
        if tag != _SEQ and tag != _MAP:  # e.g. !!set or !!python/object
            raise self.fail(f"unsupported YAML tag {tag}", line, pointer)
        value: list[JSON] | dict[str, JSON] = [] if kind == _SEQ_START else {}
        anchor = None
        if name is not None and not replaying:
            if not self.open_anchors:  # else logged already
                self.log.append(event)
            anchor = self.define(name, event, len(self.log) - 1)
            self.open_anchors += 1
        stack.append([value, pointer, depth, anchor, None])
        return value

    def close(self, frame: list[Any]) -> None:
        if frame[3] is not None:  # an anchored collection: its events end here
            frame[3].end = len(self.log)
            self.open_anchors -= 1

    def replay(self, event: _Event, pointer: str, depth: int) -> None:
        """An alias: its anchor's events, replayed here (the first one takes this place)."""
        name, line = event[1], event[3]
        assert name is not None
        found = self.anchor(name, line)
        if found.start < 0:
            self.sources.append(iter((found.event,)))
        elif found.end < 0:  # inside the node it names
            self.node(pointer, depth, found.event[3])
            raise self.fail("recursive YAML alias", found.event[3], pointer)
        else:
            self.sources.append(map(self.log.__getitem__, range(found.start, found.end)))


_NO_DOCUMENT = object()


def parse_document(
    text: bytes | str, *, source: str = "<string>", limits: Limits = DEFAULT_LIMITS
) -> Document:
    """Parse YAML or JSON text into a :class:`Document`; every failure is an InputError."""
    if isinstance(text, bytes):
        if len(text) > limits.max_bytes:
            raise InputError(f"file is larger than {limits.max_bytes:,} bytes", source=source)
        raw = text
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"not valid UTF-8 (byte {exc.start})", source=source,
                             line=raw.count(b"\n", 0, exc.start) + 1) from None
    elif len(text) > limits.max_bytes:
        raise InputError(f"text is longer than {limits.max_bytes:,} characters", source=source)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputError("file is empty", source=source)
    if source.lower().endswith(".json"):
        # JSON is parsed as JSON; a scan of its tokens gives the line of every pointer.
        data = _strict_json(text, source)
        return Document(source=source, data=data, lines=LazyLines(text))
    import yaml  # here: a spec read from a cache or as JSON never needs PyYAML

    builder = _Builder(source, limits)
    try:
        data = builder.build(_yaml_events(text, source))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "malformed"
        if "nesting depth" in what:
            # libyaml 0.2.6 (PyYAML 6.0.4's wheels) stops at 1,000 levels in its parser, which
            # a caller's max_depth above that reaches. One message for both.
            raise InputError("nested too deeply to read", source=source, line=line) from None
        raise InputError(f"not valid YAML or JSON: {what}", source=source, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML or JSON: {exc}", source=source) from None
    if data is _NO_DOCUMENT:
        raise InputError("file is empty", source=source)
    return Document(source=source, data=data, lines=builder.lines)


_JSON_TOKEN = r'"(?:[^"\\\n]|\\.)*"|[{}\[\],\n]|[-0-9tfn][^,\]}\s]*'
"""A JSON text's tokens (compiled on first use: only a line lookup in a JSON file needs it)."""


class LazyLines(dict[str, int]):
    """A line map made on first use: a clean load never asks for a line. From ``str``, a
    JSON document whose tokens are scanned; from ``bytes``, a line map stored as JSON (the
    parsed-spec cache's), read then."""

    def __init__(self, text: str | bytes):
        super().__init__()
        self._text: str | bytes | None = text

    def _fill(self) -> None:
        if self._text is not None:
            text, self._text = self._text, None
            if isinstance(text, bytes):
                import orjson

                self.update(orjson.loads(text))
            else:
                self.update(_json_lines(text))

    def __contains__(self, key: object) -> bool:
        self._fill()
        return super().__contains__(key)

    def __getitem__(self, key: str) -> int:
        self._fill()
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._fill()
        return super().get(key, default)

    def __iter__(self) -> Iterator[str]:
        self._fill()
        return super().__iter__()

    def __len__(self) -> int:
        self._fill()
        return super().__len__()

    def __eq__(self, other: object) -> bool:
        self._fill()
        return super().__eq__(other)

    __hash__ = None

    def keys(self) -> Any:
        self._fill()
        return super().keys()

    def items(self) -> Any:
        self._fill()
        return super().items()

    def values(self) -> Any:
        self._fill()
        return super().values()


def _json_lines(text: str) -> dict[str, int]:
    """The 1-based line of every pointer of a valid JSON text (a member's is its key's line,
    as the YAML pass gives it), from one scan of its tokens."""
    lines: dict[str, int] = {}
    line = 1
    # One frame per open container: [pointer, next index (-1: an object), member pointer,
    # expecting a key].
    stack: list[list[Any]] = []
    for m in re.finditer(_JSON_TOKEN, text):
        token = m.group()
        first = token[0]
        if first == "\n":
            line += 1
        elif first in "]}":
            stack.pop()
        elif first == ",":
            frame = stack[-1]
            if frame[1] < 0:
                frame[3] = True
            else:
                frame[1] += 1
        elif first == '"' and stack and stack[-1][3]:
            frame = stack[-1]
            key = json.loads(token) if "\\" in token else token[1:-1]
            frame[2] = f"{frame[0]}/{escape_pointer(key)}"
            frame[3] = False
            lines[frame[2]] = line
        else:  # a value starts here
            if not stack:
                at = ""
            elif stack[-1][1] < 0:
                at = stack[-1][2]
            else:
                at = f"{stack[-1][0]}/{stack[-1][1]}"
            lines.setdefault(at, line)
            if first == "{":
                stack.append([at, -1, None, True])
            elif first == "[":
                stack.append([at, 0, None, False])
    return lines


def _strict_json(text: str, source: str) -> JSON:
    """A .json file must be JSON: YAML would quietly accept trailing commas and comments."""
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique)
    except _DuplicateKey as exc:
        # The second occurrence of the key as a member name is where the reader should look.
        named = [m.start() for m in re.finditer(
            re.escape(json.dumps(exc.key)) + r"\s*:", text)]
        at = named[1] if len(named) > 1 else (named[0] if named else 0)
        raise InputError(f"duplicate key {exc.key!r}", source=source,
                         line=text.count("\n", 0, at) + 1) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} (column {exc.colno})", source=source,
                         line=exc.lineno) from None
    except ValueError as exc:
        reason = _digits() if "integer string conversion" in str(exc) else str(exc)
        raise InputError(f"not valid JSON: {reason}", source=source) from None
    except RecursionError:
        raise InputError("nested too deeply to read", source=source) from None


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, JSON]]) -> dict[str, JSON]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def _digits() -> str:
    limit = sys.get_int_max_str_digits()
    return f"an integer with more than {limit:,} digits"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def open_regular(path: str | Path, source: str | None = None) -> IO[bytes]:
    """Open ``path`` for reading if it is a regular file; anything else is an InputError.

    Devices (``/dev/zero`` says size 0 and never ends), FIFOs (opening one waits for a
    writer) and directories are refused before a byte is read: the file is opened without
    blocking and checked on the descriptor, so a symlink swapped in between changes nothing.
    """
    where = source if source is not None else str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError("no such file", source=where) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", source=where) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", source=where) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"is {_kind_of(mode)}, not a regular file", source=where)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def read_capped(path: str | Path, cap: int, *, source: str | None = None,
                what: str = "file") -> bytes:
    """The bytes of the regular file ``path``, reading at most ``cap + 1``: a larger file is
    an InputError before it is read whole (its size on disk is not trusted)."""
    where = source if source is not None else str(path)
    with open_regular(path, where) as fh:
        try:
            raw = fh.read(cap + 1)
        except OSError as exc:
            raise InputError(f"cannot read ({exc.strerror})", source=where) from None
    if len(raw) > cap:
        raise InputError(f"{what} is larger than {cap:,} bytes", source=where)
    return raw


def load_document(path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Read and parse a YAML/JSON file; a missing, unreadable or non-regular file is an
    InputError, and no more than ``limits.max_bytes + 1`` bytes are ever read."""
    raw = read_capped(path, limits.max_bytes)
    return parse_document(raw, source=str(path), limits=limits)


def parse_json(data: bytes | str, *, source: str = "<body>",
               limits: Limits = DEFAULT_LIMITS) -> JSON:
    """Parse a JSON body strictly (orjson): one-line :class:`InputError` on anything else.

    Rejects invalid UTF-8, NaN/Infinity, trailing commas, nesting deeper than 1,024 levels and
    integers too large to represent, all without a traceback and in bounded time.
    """
    import orjson

    if len(data) > limits.max_bytes:
        raise InputError(f"body is larger than {limits.max_bytes:,} bytes", source=source)
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError("not valid UTF-8 (lone surrogate)", source=source) from None
    # An upper bound on the values orjson would build (commas inside strings count too): a
    # 64 MB line of "[[],[],..." would otherwise become 20 million lists and 1.5 GB.
    if len(data) > limits.max_json_values and (
            data.count(b",") + data.count(b"[") + data.count(b"{") > limits.max_json_values):
        raise InputError(f"has more than {limits.max_json_values:,} JSON values, commas and "
                         "brackets", source=source)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        reason = exc.msg
        if "depth" in reason:
            reason = "nested deeper than 1,024 levels"
        elif "infinity" in reason:
            reason = "a number too large to represent"
        elif "UTF-8" in reason:
            reason = "not valid UTF-8"
        raise InputError(f"not valid JSON: {reason} (byte {exc.pos})", source=source,
                         line=exc.lineno) from None


def dump_document(data: JSON) -> str:
    """YAML text for a plain JSON value, keys in their order (the inverse of ``parse_document``
    for documents we write, such as suggested specs)."""
    import yaml

    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100,
                              default_flow_style=False))
