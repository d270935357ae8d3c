"""The parsed-spec cache serves a document only when the file's bytes, the parsing code and the
limits are the same, and is never a source of a wrong result: an edited spec is parsed again,
a corrupt or foreign entry is ignored and rewritten, ``CONTRACTS_NO_CACHE=1`` turns it off."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from contracts import _spec_cache
from contracts._loading import Limits, load_document
from contracts.errors import InputError
from contracts.specs import BUNDLED, bundled_path, load_spec


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder of the test's own; returns where entries are written."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("CONTRACTS_NO_CACHE", raising=False)
    return tmp_path / "xdg" / "scribe-contracts"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sources the cache had to parse (it parses through ``parse_document``)."""
    seen: list[str] = []
    real = _spec_cache.parse_document

    def counting(text: bytes | str, **kwargs: object) -> object:
        seen.append(str(kwargs["source"]))
        return real(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_spec_cache, "parse_document", counting)
    return seen


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize("api", BUNDLED)
def test_a_cached_document_is_the_parsed_one(api: str, cache: Path, parses: list[str]) -> None:
    fresh = load_document(bundled_path(api))
    first = _spec_cache.cached_document(bundled_path(api))
    again = _spec_cache.cached_document(bundled_path(api))
    assert len(parses) == 1  # the second came from the cache
    assert len(_entries(cache)) == 1
    for doc in (first, again):
        assert doc.source == fresh.source
        assert doc.data == fresh.data
        assert dict(doc.lines.items()) == dict(fresh.lines.items())
    # key order is part of the document (reports and diffs follow it)
    assert list(again.data) == list(fresh.data)
    assert list(again.data["paths"]) == list(fresh.data["paths"])


def test_load_spec_uses_the_cache(cache: Path, parses: list[str]) -> None:
    load_spec("eka")
    load_spec("eka")
    assert parses == [str(bundled_path("eka"))]


def test_an_edited_spec_is_parsed_again(tmp_path: Path, cache: Path, parses: list[str]) -> None:
    spec = tmp_path / "eka.yaml"
    shutil.copy(bundled_path("eka"), spec)
    before = load_spec(spec)
    assert before.title != "Edited"
    text = spec.read_text()
    title = before.document["info"]["title"]
    spec.write_text(text.replace(f"title: {title}", "title: Edited", 1))
    after = load_spec(spec)
    assert after.title == "Edited"
    assert len(parses) == 2
    # same length, one character different: still parsed again
    spec.write_text(text.replace(f"title: {title}", "title: " + "X" * len(title), 1))
    assert load_spec(spec).title == "X" * len(title)
    assert len(parses) == 3


def test_an_entry_for_other_bytes_is_not_used(tmp_path: Path, cache: Path,
                                              parses: list[str]) -> None:
    """An entry found under a file's name holds that file's exact bytes, or it is not used
    (two files whose checksums collide cannot be served each other's document)."""
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text("openapi: 3.1.0\ninfo: {title: one, version: '1'}\npaths: {}\n")
    two.write_text("openapi: 3.1.0\ninfo: {title: two, version: '1'}\npaths: {}\n")
    _spec_cache.cached_document(one)
    [entry_one] = _entries(cache)
    _spec_cache.cached_document(two)
    [entry_two] = [e for e in _entries(cache) if e != entry_one]
    shutil.copy(entry_one, entry_two)  # the entry of one, where two's would be
    assert _spec_cache.cached_document(two).data["info"]["title"] == "two"
    assert len(parses) == 3


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage", "empty", "header"])
def test_a_corrupt_entry_is_ignored_and_rewritten(damage: str, cache: Path,
                                                  parses: list[str]) -> None:
    fresh = load_document(bundled_path("heidi"))
    _spec_cache.cached_document(bundled_path("heidi"))
    [entry] = _entries(cache)
    blob = entry.read_bytes()
    if damage == "truncated":
        blob = blob[: len(blob) - 100]
    elif damage == "flipped":  # one byte of the parsed value, still valid JSON
        at = blob.rindex(b'"paths"') + 3
        blob = blob[:at] + bytes([blob[at] ^ 1]) + blob[at + 1:]
    elif damage == "garbage":
        blob = bytes(range(256)) * 64
    elif damage == "empty":
        blob = b""
    else:
        blob = blob.replace(b" ", b"  ", 1)
    entry.write_bytes(blob)
    served = _spec_cache.cached_document(bundled_path("heidi"))
    assert served.data == fresh.data
    assert dict(served.lines.items()) == dict(fresh.lines.items())
    assert len(parses) == 2
    assert entry.read_bytes() != blob  # written again: the next run is fast
    _spec_cache.cached_document(bundled_path("heidi"))
    assert len(parses) == 2


def test_no_cache_reads_and_writes_nothing(cache: Path, parses: list[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTRACTS_NO_CACHE", "1")
    load_spec("upheal")
    load_spec("upheal")
    assert len(parses) == 2
    assert not cache.exists()
    monkeypatch.setenv("CONTRACTS_NO_CACHE", "0")  # "0" means on, as for CONTRACTS_DEBUG
    load_spec("upheal")
    assert _entries(cache)


def test_an_unwritable_cache_only_costs_speed(tmp_path: Path, parses: list[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert load_spec("eka").operation("getSession")
    assert load_spec("eka").operation("getSession")
    assert len(parses) == 2


def test_limits_are_part_of_the_key(tmp_path: Path, cache: Path) -> None:
    """A document cached under the default limits is not served to a caller with tighter
    ones: the tighter limit still refuses it."""
    _spec_cache.cached_document(bundled_path("eka"))
    with pytest.raises(InputError, match="more than 50 values"):
        _spec_cache.cached_document(bundled_path("eka"), limits=Limits(max_nodes=50))


def test_values_orjson_cannot_hold_are_parsed_each_time(tmp_path: Path, cache: Path,
                                                      parses: list[str]) -> None:
    """An integer wider than 64 bits (orjson cannot write it) is not cached."""
    spec = tmp_path / "odd.yaml"
    spec.write_text("openapi: 3.1.0\ninfo: {title: odd, version: '1'}\npaths: {}\n"
                    "x-values: [123456789012345678901234567890, 1.0, 1, true]\n")
    for _ in range(2):
        values = _spec_cache.cached_document(spec).data["x-values"]
        assert values == [123456789012345678901234567890, 1.0, 1, True]
        assert [type(v) for v in values] == [int, float, int, bool]
    assert len(parses) == 2


def test_json_specs_are_not_cached(tmp_path: Path, cache: Path, parses: list[str]) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text('{"openapi": "3.1.0", "info": {"title": "j", "version": "1"}, "paths": {}}')
    _spec_cache.cached_document(spec)
    assert not cache.exists()


def test_errors_are_not_cached(tmp_path: Path, cache: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("openapi: 3.1.0\ninfo: [unclosed\n")
    for _ in range(2):
        with pytest.raises(InputError, match="not valid YAML"):
            _spec_cache.cached_document(spec)
    assert not cache.exists() or not _entries(cache)


def test_old_entries_are_pruned(tmp_path: Path, cache: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_spec_cache, "_KEEP", 3)
    for i in range(6):
        spec = tmp_path / f"s{i}.yaml"
        spec.write_text(f"openapi: 3.1.0\ninfo: {{title: s{i}, version: '1'}}\npaths: {{}}\n")
        _spec_cache.cached_document(spec)
    assert len(_entries(cache)) == 3


def test_scalar_types_survive_the_cache(tmp_path: Path, cache: Path, parses: list[str]) -> None:
    """1.0 stays a float, 1 an int, true a bool, "1" a string: a schema's ``const``, ``enum``
    and ``multipleOf`` depend on it."""
    spec = tmp_path / "types.yaml"
    spec.write_text("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
                    "x-values: [1.0, 1, true, null, '1', -0.0, 1e-8, 0x1f, 017]\n")
    first = _spec_cache.cached_document(spec).data["x-values"]
    again = _spec_cache.cached_document(spec).data["x-values"]
    assert len(parses) == 1
    assert again == first == [1.0, 1, True, None, "1", -0.0, 1e-8, 31, 17]
    assert [type(v) for v in again] == [type(v) for v in first]
    assert str(again[5]) == "-0.0"


def test_no_home_directory_means_no_cache(parses: list[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def homeless() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("CONTRACTS_NO_CACHE", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(homeless))
    assert _spec_cache.cache_dir() is None
    assert load_spec("heidi").operations
    assert len(parses) == 1


def test_a_relative_xdg_cache_home_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CONTRACTS_NO_CACHE", raising=False)
    assert _spec_cache.cache_dir() == tmp_path / ".cache" / "scribe-contracts"


def test_the_cache_is_private_to_its_user(cache: Path) -> None:
    _spec_cache.cached_document(bundled_path("eka"))
    assert cache.stat().st_mode & 0o777 == 0o700
    assert [e.stat().st_mode & 0o777 for e in _entries(cache)] == [0o600]


def test_concurrent_writers_leave_one_whole_entry(tmp_path: Path, cache: Path) -> None:
    """Processes that load the same new spec at once (``--jobs``) each write the entry; every
    one of them, and every later run, reads a whole and correct document."""
    import subprocess
    import sys

    spec = tmp_path / "eka.yaml"
    shutil.copy(bundled_path("eka"), spec)
    code = ("from contracts._spec_cache import cached_document\n"
            f"print(len(cached_document({str(spec)!r}).data['paths']))")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = {p.communicate(timeout=120)[0].strip() for p in procs}
    expected = str(len(load_document(spec).data["paths"]))
    assert outs == {expected}
    assert [e.name for e in cache.iterdir() if e.name.startswith(".tmp-")] == []
    assert _spec_cache.cached_document(spec).data == load_document(spec).data


def test_a_fifo_where_an_entry_would_be_does_not_block(cache: Path, parses: list[str]) -> None:
    import os

    _spec_cache.cached_document(bundled_path("heidi"))
    [entry] = _entries(cache)
    entry.unlink()
    os.mkfifo(entry)
    assert _spec_cache.cached_document(bundled_path("heidi")).data == \
        load_document(bundled_path("heidi")).data
    assert entry.is_file()  # replaced by a whole entry
    assert len(parses) == 2


def test_an_entry_declaring_a_huge_value_is_not_read(cache: Path, parses: list[str]) -> None:
    _spec_cache.cached_document(bundled_path("heidi"))
    [entry] = _entries(cache)
    head, _, rest = entry.read_bytes().partition(b"\n")
    fields = head.rsplit(b" ", 3)
    fields[2] = str(1 << 40).encode()
    entry.write_bytes(b" ".join(fields) + b"\n" + rest)
    assert _spec_cache.cached_document(bundled_path("heidi")).data["info"]
    assert len(parses) == 2


def test_a_changed_tool_module_means_parsing_again(tmp_path: Path, cache: Path,
                                                   parses: list[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit of any of the tool's modules (or an upgrade) changes the key: the loader's
    code is part of what an entry was made by. (The package folder is a copy here.)"""
    package = tmp_path / "contracts"
    package.mkdir()
    for name in ("_loading.py", "_spec_cache.py", "specs.py"):
        shutil.copy2(Path(_spec_cache.__file__).with_name(name), package / name)
    monkeypatch.setattr(_spec_cache, "__file__", str(package / "_spec_cache.py"))
    _spec_cache._code_fingerprint.cache_clear()
    try:
        _spec_cache.cached_document(bundled_path("heidi"))
        _spec_cache.cached_document(bundled_path("heidi"))
        assert len(parses) == 1
        loading = package / "_loading.py"
        loading.write_text(loading.read_text() + "\n# edited\n")
        _spec_cache._code_fingerprint.cache_clear()
        _spec_cache.cached_document(bundled_path("heidi"))
        assert len(parses) == 2
        assert len(_entries(cache)) == 2
    finally:
        _spec_cache._code_fingerprint.cache_clear()


def test_a_dead_writers_temporary_file_is_removed(tmp_path: Path, cache: Path) -> None:
    import os
    import time

    _spec_cache.cached_document(bundled_path("heidi"))
    old, new = cache / ".tmp-old", cache / ".tmp-new"
    old.write_bytes(b"half an entry")
    new.write_bytes(b"being written")
    hours_ago = time.time() - 7200
    os.utime(old, (hours_ago, hours_ago))
    spec = tmp_path / "other.yaml"
    spec.write_text("openapi: 3.1.0\ninfo: {title: o, version: '1'}\npaths: {}\n")
    _spec_cache.cached_document(spec)  # a write prunes
    assert not old.exists()
    assert new.exists()  # another writer may still be at work
