"""The hostile-input corpus, run as separate processes under hard resource limits.

Every case is generated at run time into a temporary folder (nothing big is committed; large
files are sparse, made with ``truncate``), then run as ``python -m contracts ...`` in a child
whose address space is capped with ``RLIMIT_AS`` (1 GB) and whose CPU time with
``RLIMIT_CPU`` (30 s), with a 30 s wall clock on top. For each case it prints the exit code,
the peak RSS of that child (from ``wait4``), the wall time and whether the run held its
promise: exit 1 or 2, exactly one line on stderr, no traceback.

    python bench/hostile.py                   # every case, a Markdown table on stdout
    python bench/hostile.py --only fifo       # cases whose name contains "fifo"

Exit status 0 when every case held, 1 otherwise. ``tests/test_hostile.py`` runs a subset
through the same harness (:func:`run_case`).
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ADDRESS_SPACE = 1024 * 1024 * 1024
PEAK_RSS = 512 * 1024 * 1024  # a case that comes near the address-space cap did not hold
SECONDS = 30
HERE = Path(__file__).resolve().parent
GOOD_CORPUS = HERE.parent / "tests" / "data" / "exchanges" / "sample.jsonl"

Builder = Callable[[Path], list[str]]


@dataclass(frozen=True)
class Case:
    name: str
    klass: str  # the class of issue 15 it belongs to
    build: Builder
    exits: tuple[int, ...] = (2,)
    check: Callable[[str], bool] | None = None  # of stdout, when the case says more


@dataclass(frozen=True)
class Outcome:
    case: Case
    code: int
    stderr: str
    peak_rss: int  # bytes
    seconds: float

    @property
    def lines(self) -> int:
        return len(self.stderr.splitlines())

    @property
    def held(self) -> bool:
        # Exit 2 says why in one line; exit 1 puts its findings on stdout (at most one line
        # of stderr, e.g. a count of unreadable parts).
        lines_ok = self.lines == 1 if self.code == 2 else self.lines <= 1
        # "internal error: MemoryError" is one line too, but it is the cap that stopped it
        return (self.code in self.case.exits and lines_ok and "Traceback" not in self.stderr
                and "internal error" not in self.stderr and self.check_ok
                and self.peak_rss < PEAK_RSS)

    check_ok: bool = True


# --------------------------------------------------------------------------- building files


def _alias_key_spec(tmp: Path) -> list[str]:
    """A 700 KB spec: a mapping with a 100 KB key, aliased 200,000 times (20 GB of keys and
    pointers when expanded)."""
    path = tmp / "alias-key.yaml"
    with path.open("w") as fh:
        fh.write("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n")
        fh.write("x-a: &a\n  ? " + "k" * 100_000 + "\n  : 1\n")  # ? allows a key > 1 KB
        fh.write("x-b: [" + "*a, " * 200_000 + "*a]\n")
    return ["lint", str(path)]


def _alias_cassette(tmp: Path) -> list[str]:
    """A small VCR cassette whose one interaction (a 100 KB body) is aliased 20,000 times."""
    path = tmp / "alias.yaml"
    with path.open("w") as fh:
        fh.write("x-i: &i\n  request: {method: GET, uri: 'https://x/v1/sessions/1'}\n"
                 "  response:\n    status: {code: 200}\n"
                 "    body: {string: '" + "a" * 100_000 + "'}\n")
        fh.write("interactions: [" + "*i, " * 20_000 + "*i]\n")
    return ["validate", "--api", "heidi", str(path)]


def _json_values_har(tmp: Path) -> list[str]:
    """A 60 MB HAR of empty arrays: 20 million lists (1.2 GB) if parsed."""
    path = tmp / "lists.har"
    with path.open("w") as fh:
        fh.write('{"log": {"entries": [')
        chunk = "[]," * 1_000_000
        for _ in range(20):
            fh.write(chunk)
        fh.write("[]]}}")
    return ["validate", "--api", "heidi", str(path)]


def _dev_zero(argv: list[str]) -> Builder:
    def build(tmp: Path) -> list[str]:
        return [a.replace("@", "/dev/zero") for a in argv]
    return build


def _symlink_jsonl(tmp: Path) -> list[str]:
    link = tmp / "zero.jsonl"
    link.symlink_to("/dev/zero")
    return ["validate", "--api", "heidi", str(link)]


def _fifo(name: str, argv: list[str]) -> Builder:
    def build(tmp: Path) -> list[str]:
        path = tmp / name
        os.mkfifo(path)
        return [a.replace("@", str(path)) for a in argv]
    return build


def _sparse(name: str, size: int, argv: list[str]) -> Builder:
    def build(tmp: Path) -> list[str]:
        path = tmp / name
        with path.open("wb") as fh:
            fh.truncate(size)
        return [a.replace("@", str(path)) for a in argv]
    return build


def gzip_bomb(inflated: int) -> bytes:
    """gzip of ``inflated`` zero bytes, built in 1 MB steps (about 1,000:1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = [packer.compress(block) for _ in range(inflated // len(block))]
    parts.append(packer.flush())
    return b"".join(parts)


def _har_gzip_bomb(tmp: Path) -> list[str]:
    """A HAR answer with content-encoding gzip that inflates to 1 GB."""
    import json

    body = base64.b64encode(gzip_bomb(1024 * 1024 * 1024)).decode("ascii")
    entry = {
        "startedDateTime": "2026-01-01T00:00:00Z",
        "request": {"method": "GET", "url": "https://x/v1/sessions/1", "headers": []},
        "response": {"status": 200, "headers": [
            {"name": "content-type", "value": "application/json"},
            {"name": "content-encoding", "value": "gzip"}],
            "content": {"text": body, "encoding": "base64"}},
    }
    path = tmp / "bomb.har"
    path.write_text(json.dumps({"log": {"entries": [entry]}}))
    return ["validate", "--api", "heidi", str(path)]


def _history_trigger(tmp: Path) -> list[str]:
    """A valid history file with a trigger that never finishes."""
    path = tmp / "history.db"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE runs (id INTEGER PRIMARY KEY, time TEXT, api TEXT, corpus TEXT,
                           exchanges INTEGER);
        CREATE TABLE findings (run_id INTEGER, key TEXT, rule TEXT, grade TEXT, count INTEGER,
                               total INTEGER);
        CREATE TRIGGER spin AFTER INSERT ON runs BEGIN
          SELECT count(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
                                SELECT x FROM c);
        END;
    """)
    db.close()
    return ["drift", "--api", "heidi", "--history", str(path), str(GOOD_CORPUS)]


def _escape_key(tmp: Path) -> list[str]:
    """A body key with ESC and a control character, reported as JUnit XML."""
    path = tmp / "escape.jsonl"
    path.write_text('{"version": 1, "request": {"method": "GET", "url": '
                    '"https://api.heidihealth.com/api/v2/ml-scribe/open-api/sessions/s1"}, '
                    '"response": {"status": 200, "body": {"\\u001b[31mred\\u0001": 1}}}\n')
    return ["validate", "--api", "heidi", "--strict", "--fail-on", "info", "--format", "junit",
            str(path)]


def _escape_key_text(tmp: Path) -> list[str]:
    argv = _escape_key(tmp)
    return [a for a in argv if a not in ("--format", "junit")]


def _waiver_date(expires: str) -> Builder:
    def build(tmp: Path) -> list[str]:
        path = tmp / "waivers.yaml"
        path.write_text(f"- {{code: x, reason: y, expires: '{expires}'}}\n")
        return ["drift", "--api", "heidi", "--waivers", str(path), str(GOOD_CORPUS)]
    return build


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDQU5BUlkifQ.c2lnbmF0dXJlQ0FOQVJZ"


def _jwt_key(fmt: str) -> Builder:
    def build(tmp: Path) -> list[str]:
        path = tmp / "jwt.jsonl"
        path.write_text('{"version": 1, "request": {"method": "GET", "url": '
                        '"https://api.heidihealth.com/api/v2/ml-scribe/open-api/sessions/s1"}, '
                        '"response": {"status": 200, "body": {"session": {"' + JWT
                        + '": 1}}}}\n')
        return ["drift", "--api", "heidi", "--fail-on", "INFO", "--format", fmt,
                "--show-values", str(path)]
    return build


def _huge_min_items(tmp: Path) -> list[str]:
    spec = tmp / "spec.yaml"
    spec.write_text("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n"
                    "    post:\n      operationId: postX\n      requestBody:\n"
                    "        content:\n          application/json:\n"
                    "            schema: {type: array, minItems: 18446744073709551616}\n"
                    "      responses:\n        '204': {description: ok}\n")
    body = tmp / "body.json"
    body.write_text("[1]")
    return ["validate", "--api", str(spec), "--operation", "postX", str(body)]


def _well_formed_xml(text: str) -> bool:
    from xml.etree import ElementTree

    try:
        ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return False
    return True


def _inert(text: str) -> bool:
    """No terminal control character but newline and tab."""
    return not any((ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) < 0xa0 for c in text)


CASES: tuple[Case, ...] = (
    Case("yaml key aliased 200,000 times (lint)", "1", _alias_key_spec),
    Case("VCR interaction aliased 20,000 times", "1", _alias_cassette),
    Case("HAR of 20 million empty arrays", "1", _json_values_har),
    Case("/dev/zero as spec (lint)", "2", _dev_zero(["lint", "@"])),
    Case("/dev/zero as corpus", "2", _dev_zero(["validate", "--api", "heidi", "@"])),
    Case("/dev/zero as body", "2", _dev_zero(
        ["validate", "--api", "heidi", "--operation", "getSession", "--status", "200", "@"])),
    Case("/dev/zero as waivers", "2", _dev_zero(
        ["drift", "--api", "heidi", "--waivers", "@", str(GOOD_CORPUS)])),
    Case(".jsonl symlink to /dev/zero", "2", _symlink_jsonl),
    Case("FIFO as spec", "2", _fifo("spec.yaml", ["lint", "@"])),
    Case("FIFO as corpus", "2", _fifo("log.jsonl", ["validate", "--api", "heidi", "@"])),
    Case("FIFO as HAR", "2", _fifo("log.har", ["validate", "--api", "heidi", "@"])),
    Case("1.5 GB sparse body", "2", _sparse("body.json", 1536 * 1024 * 1024, [
        "validate", "--api", "heidi", "--operation", "getSession", "--status", "200", "@"])),
    Case("1.5 GB sparse HAR", "2", _sparse("big.har", 1536 * 1024 * 1024,
                                          ["validate", "--api", "heidi", "@"])),
    Case("1.5 GB sparse spec", "2", _sparse("big.yaml", 1536 * 1024 * 1024, ["lint", "@"])),
    Case("HAR body gzip inflating to 1 GB", "3", _har_gzip_bomb),
    Case("key with ESC and \\u0001, JUnit", "6", _escape_key, exits=(1,),
         check=_well_formed_xml),
    Case("key with ESC and \\u0001, text", "6", _escape_key_text, exits=(1,), check=_inert),
    Case("history with a recursive trigger", "7", _history_trigger),
    Case("JWT as an object key, drift JSON", "5", _jwt_key("json"), exits=(1,),
         check=lambda out: JWT not in out and "[REDACTED]" in out),
    Case("JWT as an object key, drift Markdown", "5", _jwt_key("markdown"), exits=(1,),
         check=lambda out: JWT not in out and "[REDACTED]" in out),
    Case("FIFO as waivers", "2", _fifo("waivers.yaml", [
        "drift", "--api", "heidi", "--waivers", "@", str(GOOD_CORPUS)])),
    Case("FIFO as history", "7", _fifo("history.db", [
        "drift", "--api", "heidi", "--history", "@", str(GOOD_CORPUS)])),
    Case("waiver expires 2099-W01-1", "9", _waiver_date("2099-W01-1")),
    Case("waiver expires 20990101", "9", _waiver_date("20990101")),
    Case("minItems 18446744073709551616", "9", _huge_min_items, exits=(1,),
         check=lambda out: "18446744073709551616 items" in out),
)


# --------------------------------------------------------------------------- running


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_CPU, (SECONDS, SECONDS + 1))


def run_case(case: Case, tmp: Path) -> Outcome:
    """Build ``case`` in ``tmp`` and run it in a limited child; its own peak RSS via wait4."""
    argv = case.build(tmp)
    err_path, out_path = tmp / "stderr.txt", tmp / "stdout.txt"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
    started = time.monotonic()
    with err_path.open("wb") as err, out_path.open("wb") as out:
        child = subprocess.Popen([sys.executable, "-m", "contracts", *argv], cwd=tmp,
                                 stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=err, env=env, preexec_fn=_limit)
        timer = threading.Timer(SECONDS, child.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    stderr = err_path.read_text("utf-8", errors="replace")
    check_ok = True
    if case.check is not None:
        check_ok = case.check(out_path.read_text("utf-8", errors="replace"))
    return Outcome(case, child.returncode, stderr, usage.ru_maxrss * 1024, seconds, check_ok)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args(argv)
    print("| class | case | exit | peak RSS | time | held |\n|---|---|---|---|---|---|")
    failed = 0
    for case in CASES:
        if args.only.lower() not in case.name.lower():
            continue
        with tempfile.TemporaryDirectory(prefix="hostile-") as folder:
            outcome = run_case(case, Path(folder))
        failed += not outcome.held
        tail = "" if outcome.held else f" ({outcome.lines} line(s): {outcome.stderr[-200:]!r})"
        print(f"| {case.klass} | {case.name} | {outcome.code} | "
              f"{outcome.peak_rss / 1024 / 1024:,.0f} MB | {outcome.seconds:.1f} s | "
              f"{'yes' if outcome.held else 'NO' + tail} |", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
