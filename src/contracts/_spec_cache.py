"""Parsed spec documents kept on disk, so that a run does not parse the same YAML again.

Parsing a bundled spec (PyYAML's composer runs in Python) costs 10 to 30 ms, and importing
PyYAML for it about as much again: most of a one-body ``contracts validate``. An entry holds
the file's exact bytes, the parsed value and its line map (two JSON texts on a line each,
read with orjson: the line map, larger than the value, only when a line is asked for), and is
used only when the file's bytes are the same byte for byte and the code that parsed it (our
modules, PyYAML, the limits) is the same: an edited spec or an upgraded tool is parsed again.

Where: ``$XDG_CACHE_HOME/scribe-contracts``, else ``~/.cache/scribe-contracts``; set
``CONTRACTS_NO_CACHE=1`` to neither read nor write it. Entries are written atomically (a
temporary file renamed into place); one that cannot be read, is cut short or fails its
checksum is ignored and written again. A cache that cannot be written (a read-only home)
costs speed, never a result. JSON specs are not cached: they parse fast without PyYAML.
"""

from __future__ import annotations

import contextlib
import os
import sys
import zlib
from functools import cache
from pathlib import Path

from ._loading import (
    DEFAULT_LIMITS,
    Document,
    LazyLines,
    Limits,
    open_regular,
    parse_document,
    read_capped,
)
from .errors import InputError

__all__ = ["FORMAT", "cache_dir", "cached_document"]

FORMAT = "scribe-contracts parsed document 2"
"""The entry format; part of every entry's header, so a new format never reads an old one."""
_KEEP = 128
"""Entries kept: writing one more removes the least recently written beyond this."""


def cache_dir() -> Path | None:
    """Where entries live, or None when ``CONTRACTS_NO_CACHE`` is set (to anything but 0)
    or there is no home directory to keep them in."""
    if os.environ.get("CONTRACTS_NO_CACHE", "") not in ("", "0"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if os.path.isabs(base):  # a relative one is ignored, as the XDG spec says
        return Path(base) / "scribe-contracts"
    try:
        return Path.home() / ".cache" / "scribe-contracts"
    except RuntimeError:  # no home directory (a bare container user): no cache
        return None


@cache
def _code_fingerprint() -> str:
    """What the parse depends on besides the bytes: the tool's own modules (the name, size
    and modification time of each, as Python's bytecode cache judges a source file, so an
    upgrade or any edit of a checkout counts) and PyYAML's version (its ``__init__``)."""
    from importlib.util import find_spec

    check = zlib.crc32(FORMAT.encode())
    package = Path(__file__).parent
    try:
        for item in sorted(os.scandir(package), key=lambda e: e.name):
            if item.name.endswith(".py"):
                info = item.stat()
                check = zlib.crc32(f"{item.name} {info.st_size} {info.st_mtime_ns}\n".encode(),
                                   check)
    except OSError:
        check = zlib.crc32(b"unreadable package folder", check)
    found = find_spec("yaml")
    with contextlib.suppress(OSError):
        check = zlib.crc32(Path(found.origin).read_bytes() if found and found.origin else b"",
                           check)
    return f"{check:08x}-py{sys.version_info[0]}.{sys.version_info[1]}"


def _fingerprint(limits: Limits) -> bytes:
    return f"{FORMAT}|{_code_fingerprint()}|{limits!r}".encode()


def cached_document(path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> Document:
    """:func:`contracts._loading.load_document`, served from the cache when the file's
    bytes were parsed before by the same code (and stored there when they were not)."""
    raw = read_capped(path, limits.max_bytes)
    source = str(path)
    folder = cache_dir()
    if folder is None or source.lower().endswith(".json"):
        return parse_document(raw, source=source, limits=limits)
    header = _fingerprint(limits)
    entry = folder / f"{zlib.crc32(header):08x}-{zlib.crc32(raw):08x}-{len(raw):x}"
    # what a document may expand to, as JSON text with its line map: generously bounded
    found = _read(entry, header, raw, 4 * limits.max_expanded_bytes + len(raw))
    if found is not None:
        return Document(source=source, data=found[0], lines=found[1])
    document = parse_document(raw, source=source, limits=limits)
    _write(folder, entry, header, raw, document)
    return document


def _read(entry: Path, header: bytes, raw: bytes, cap: int
          ) -> tuple[object, LazyLines] | None:
    """The entry's (data, lines) if it is whole and holds exactly ``raw``; None otherwise.

    Read as every input is (a regular file only: a FIFO planted there cannot block the run)
    and through the sizes its header declares, at most ``cap`` bytes of parsed value.
    """
    import orjson

    try:
        with open_regular(entry) as fh:
            first = fh.readline(len(header) + 64)
            fields = first.rstrip(b"\n").rsplit(b" ", 3)
            if not first.endswith(b"\n") or len(fields) != 4 or fields[0] != header:
                return None
            raw_size, payload_size, check = int(fields[1]), int(fields[2]), int(fields[3])
            if raw_size != len(raw) or not 0 < payload_size <= cap:
                return None
            rest = fh.read(raw_size + payload_size + 1)
    except (InputError, OSError, ValueError):
        return None
    payload = rest[raw_size:]
    if len(payload) != payload_size or rest[:raw_size] != raw or zlib.crc32(payload) != check:
        return None
    value, newline, lines = payload.partition(b"\n")  # orjson writes no newline in a text
    if not newline or not lines.startswith(b"{") or not lines.endswith(b"}"):
        return None
    try:
        data = orjson.loads(value)
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return None
    return data, LazyLines(lines)  # whole (its checksum held): read on the first lookup


def _write(folder: Path, entry: Path, header: bytes, raw: bytes, document: Document) -> None:
    """Store ``document`` as ``entry`` (atomically); quietly nothing when it cannot be."""
    import orjson

    lines = dict(document.lines.items())  # items(): a line map may be filled on first use
    try:
        value = orjson.dumps(document.data)
        # Only what reads back as the same value is kept: a number wider than 64 bits or a
        # lone surrogate is parsed from the YAML each time.
        if orjson.loads(value) != document.data:
            return
        payload = b"%s\n%s" % (value, orjson.dumps(lines))
    except (orjson.JSONEncodeError, TypeError, ValueError):
        return
    blob = b"%s %d %d %d\n" % (header, len(raw), len(payload), zlib.crc32(payload))
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        import tempfile

        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
                fh.write(raw)
                fh.write(payload)
            os.replace(tmp, entry)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(folder)
    except OSError:
        return


def _prune(folder: Path) -> None:
    """Keep the newest ``_KEEP`` entries (edited specs and old versions leave entries), and
    remove what a writer that died left behind."""
    import time

    entries = []
    hour_ago = time.time_ns() - 3600 * 10**9
    for item in os.scandir(folder):
        try:
            modified = item.stat().st_mtime_ns
        except OSError:
            continue
        if not item.name.startswith("."):
            entries.append((modified, item.path))
        elif item.name.startswith(".tmp-") and modified < hour_ago:  # its writer died
            Path(item.path).unlink(missing_ok=True)
    for _mtime, stale in sorted(entries)[:-_KEEP]:
        Path(stale).unlink(missing_ok=True)
