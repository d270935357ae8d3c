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
from pathlib import Path
from typing import IO, Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from ._pointers import escape_pointer
from ._typing import JSON
from .errors import InputError

__all__ = ["Document", "Limits", "dump_document", "escape_pointer", "load_document",
           "open_regular", "parse_document", "parse_json", "read_capped"]



@dataclass(frozen=True, slots=True)
class Limits:
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


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Document:
    """A loaded document: its JSON value and the 1-based line where each pointer starts."""

    source: str
    data: JSON
    lines: dict[str, int] = field(default_factory=dict, repr=False)

    def line_of(self, pointer: str) -> int | None:
        """The line of ``pointer``, or of its nearest ancestor that has one."""
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]


try:  # libyaml scans in C: a 30 MB scalar takes half a second instead of half a minute
    from yaml.cyaml import CParser as _Parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser as _Parser  # type: ignore[assignment]


class _Resolver12(BaseResolver):
    """YAML 1.2 core-schema tags for plain scalars (PyYAML's own resolver is YAML 1.1's).

    1.2 is what OpenAPI documents are written in and a superset of JSON: ``1e-8`` and
    ``1.5e3`` are numbers, ``yes``/``on``/``0777``/``1:30`` are not booleans, octals or
    sexagesimals. ``yaml_implicit_resolvers`` is this class's own, so PyYAML's global
    resolver is untouched.
    """

    yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012 - PyYAML reads it from the class


for _tag, _pattern, _first in (
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    ("float", r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)", "-+0123456789."),
    ("null", r"null|Null|NULL|~|", ["~", "n", "N", ""]),
    ("merge", r"<<", "<"),  # not 1.2, but recognised so that it is refused by name
):
    _Resolver12.add_implicit_resolver(
        f"tag:yaml.org,2002:{_tag}", re.compile(f"^(?:{_pattern})$"), list(_first))


class _Loader(Composer, _Parser, _Resolver12):
    """Composes nodes only; construction is ours so that limits and lines are kept.

    The events come from libyaml when present, but the composer is PyYAML's Python one: the
    C composer recurses on the C stack and crashes the interpreter on deep nesting, where the
    Python one raises RecursionError, which we report.
    """

    def __init__(self, stream: str):
        _Parser.__init__(self, stream)
        Composer.__init__(self)
        _Resolver12.__init__(self)


def _int12(node: ScalarNode) -> int:
    text = node.value
    if text[:2] in ("0o", "0x"):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)  # "017" is seventeen in 1.2, not fifteen


def _float12(node: ScalarNode) -> float:
    text = node.value.lower()
    if text.endswith(("inf", "nan")):
        return float(text.replace(".", ""))
    return float(text)


_TAG = "tag:yaml.org,2002:"
# Stateless per-tag constructors (construct_object would cache every node it sees); an
# explicit tag (`!!int 0b11`) is read by the same 1.2 rules.
_COLLECTIONS = frozenset({_TAG + "seq", _TAG + "map"})
_SCALARS: dict[str, Callable[[ScalarNode], JSON]] = {
    _TAG + "int": _int12,
    _TAG + "float": _float12,
    _TAG + "bool": lambda node: str(node.value).lower() == "true",
    _TAG + "null": lambda node: None,
}


class _Builder:
    def __init__(self, source: str, limits: Limits):
        self.source = source
        self.limits = limits
        self.nodes = 0
        self.expanded = 0
        self.lines: dict[str, int] = {}
        self.active: set[int] = set()

    def fail(self, message: str, node: Node, pointer: str) -> InputError:
        return InputError(message, source=self.source, line=node.start_mark.line + 1,
                          pointer=pointer or "/")

    def charge(self, size: int, node: Node, pointer: str) -> None:
        """Count bytes built; aliases repeat their strings, so the file size is no bound."""
        self.expanded += size
        if self.expanded > self.limits.max_expanded_bytes:
            raise self.fail(
                f"document expands to more than {self.limits.max_expanded_bytes:,} bytes "
                "(a YAML alias bomb?)", node, "")

    def build(self, node: Node, pointer: str, depth: int) -> JSON:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise self.fail(
                f"document expands to more than {self.limits.max_nodes:,} values "
                "(a YAML alias bomb?)", node, pointer)
        self.charge(len(pointer), node, pointer)
        if depth > self.limits.max_depth:
            raise self.fail(f"nested deeper than {self.limits.max_depth} levels", node, pointer)
        self.lines.setdefault(pointer, node.start_mark.line + 1)
        if isinstance(node, ScalarNode):
            return self.scalar(node, pointer)
        if node.tag not in _COLLECTIONS:  # e.g. !!python/object: never constructed, refused
            raise self.fail(f"unsupported YAML tag {node.tag}", node, pointer)
        if id(node) in self.active:
            raise self.fail("recursive YAML alias", node, pointer)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(child, f"{pointer}/{i}", depth + 1)
                        for i, child in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self.mapping(node, pointer, depth)
        finally:
            self.active.discard(id(node))
        raise self.fail(f"unsupported YAML node {node.tag}", node, pointer)

    def mapping(self, node: MappingNode, pointer: str, depth: int) -> dict[str, JSON]:
        out: dict[str, JSON] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                raise self.fail("YAML merge keys (<<) are not supported", key_node, pointer)
            if not isinstance(key_node, ScalarNode):
                raise self.fail("mapping keys must be plain strings", key_node, pointer)
            # Keys are strings in JSON; YAML 1.1 turns `200:` into an int, so use the raw text.
            key = key_node.value
            self.charge(len(key), key_node, pointer)
            child = f"{pointer}/{escape_pointer(key)}"
            if key in out:
                raise self.fail(f"duplicate key {key!r}", key_node, pointer)
            # A pointer's line is its key's line: where a reader looks for it.
            self.lines[child] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, child, depth + 1)
        return out

    def scalar(self, node: ScalarNode, pointer: str) -> JSON:
        tag = node.tag
        if tag == _TAG + "str" or tag == _TAG + "timestamp":
            # Dates stay strings: JSON has no date type and format checks want the text.
            self.charge(len(node.value), node, pointer)
            return node.value
        if tag in _SCALARS:
            try:
                value = _SCALARS[tag](node)
            except ValueError:  # an integer longer than Python's digit limit
                raise self.fail(f"unreadable number ({_digits()})", node,
                                pointer) from None
            if isinstance(value, float) and not math.isfinite(value):
                raise self.fail("NaN and Infinity are not JSON values", node, pointer)
            return value
        raise self.fail(f"unsupported YAML tag {tag}", node, pointer)


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
        return Document(source=source, data=data, lines=_LazyLines(text))
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "malformed"
        if "nesting depth" in what:
            # libyaml 0.2.6 (PyYAML 6.0.4's wheels) stops at 1,000 levels in its parser; older
            # ones reach our composer's RecursionError. One message for both.
            raise InputError("nested too deeply to read", source=source, line=line) from None
        raise InputError(f"not valid YAML or JSON: {what}", source=source, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML or JSON: {exc}", source=source) from None
    except RecursionError:
        raise InputError("nested too deeply to read", source=source) from None
    if root is None:
        raise InputError("file is empty", source=source)
    builder = _Builder(source, limits)
    try:
        data = builder.build(root, "", 0)
    except RecursionError:
        raise InputError("nested too deeply to read", source=source) from None
    return Document(source=source, data=data, lines=builder.lines)


_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\],\n]|[-0-9tfn][^,\]}\s]*')


class _LazyLines(dict[str, int]):
    """A JSON document's line map, scanned on first use: a clean load never asks for a
    line, and a big spec saves the scan."""

    def __init__(self, text: str):
        super().__init__()
        self._text: str | None = text

    def _fill(self) -> None:
        if self._text is not None:
            text, self._text = self._text, None
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
    for m in _JSON_TOKEN.finditer(text):
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
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100,
                              default_flow_style=False))
