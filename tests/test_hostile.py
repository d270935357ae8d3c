"""Hardening, round two (issue 15): bounded loading, regular files only, inert reports,
defensive history files, strict waiver dates; and a subset of bench/hostile.py's corpus run
through its own harness (child processes under RLIMIT_AS 1 GB and 30 s)."""

from __future__ import annotations

import importlib.util
import io
import os
import sys
from pathlib import Path

import pytest

from contracts._loading import Limits, load_document, parse_document, parse_json, read_capped
from contracts.cli import run
from contracts.errors import InputError
from contracts.exchanges import ReadProblem, read_exchanges
from contracts.gate import GateResult

HERE = Path(__file__).parent
GOOD_CORPUS = HERE / "data" / "exchanges" / "sample.jsonl"


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("hostile", HERE.parent / "bench" / "hostile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["hostile"] = module
    spec.loader.exec_module(module)
    return module


hostile = _bench()


# --------------------------------------------------------------------------- 1. bytes built


def test_an_aliased_long_key_is_refused_by_bytes_not_by_count() -> None:
    # 2,000 aliases of a 100 KB key: few values (the node limit never trips) but 200 MB of
    # keys and pointers.
    text = ("x-a: &a\n  ? " + "k" * 100_000 + "\n  : 1\nx-b: [" + "*a, " * 2_000 + "*a]\n")
    with pytest.raises(InputError, match=r"expands to more than .* bytes"):
        parse_document(text, source="spec.yaml")


@pytest.mark.parametrize("text", [
    # an aliased long string value
    "a: &s '" + "v" * 10_000 + "'\nb: [" + "*s, " * 2_000 + "*s]\n",
    # a long key nested below an alias of an alias
    "a: &a\n  ? " + "k" * 5_000 + "\n  : x\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: [" + "*b, " * 500 + "*b]\n",
    # long keys far down: the pointers grow with depth
    "".join(" " * (2 * i) + "? " + "k" * 2_000 + str(i) + "\n" + " " * (2 * i) + ":\n"
            for i in range(200)) + " " * 400 + "x",
])
def test_what_loading_builds_is_bounded_in_bytes(text: str) -> None:
    with pytest.raises(InputError, match="bytes"):
        parse_document(text, source="doc.yaml", limits=Limits(max_expanded_bytes=10_000_000))


def test_the_byte_bound_leaves_ordinary_aliases_alone() -> None:
    text = "a: &a {type: string}\nb: [" + "*a, " * 1_000 + "*a]\n"
    assert len(parse_document(text).data["b"]) == 1_001


def test_a_json_text_with_millions_of_values_is_refused_before_parsing() -> None:
    with pytest.raises(InputError, match="more than 1,000 JSON values"):
        parse_json(b"[" + b"[]," * 2_000 + b"[]]", limits=Limits(max_json_values=1_000))
    assert parse_json(b"[" + b"[]," * 400 + b"[]]", limits=Limits(max_json_values=1_000))


def test_an_aliased_cassette_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "alias.yaml"
    hostile._alias_cassette(tmp_path)  # type: ignore[attr-defined]
    code, _, err = cli("validate", "--api", "heidi", str(path))
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "expands to more than" in err


# --------------------------------------------------------------------------- 2. regular files


def _special_files(tmp: Path) -> dict[str, Path]:
    fifo = tmp / "pipe.jsonl"
    os.mkfifo(fifo)
    link = tmp / "zero.jsonl"
    link.symlink_to("/dev/zero")
    har_link = tmp / "zero.har"
    har_link.symlink_to("/dev/zero")
    return {"dev-zero": Path("/dev/zero"), "fifo": fifo, "jsonl-link": link,
            "har-link": har_link, "directory": tmp}


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "jsonl-link", "har-link", "directory"])
def test_only_regular_files_are_read(kind: str, tmp_path: Path) -> None:
    path = _special_files(tmp_path)[kind]
    with pytest.raises(InputError, match=r"not a regular file|is a directory"):
        load_document(path)
    with pytest.raises(InputError, match=r"not a regular file|is a directory"):
        read_exchanges(path)
    with pytest.raises(InputError, match=r"not a regular file|is a directory"):
        read_capped(path, 10)


@pytest.mark.parametrize("argv", [
    ["lint", "@"],
    ["validate", "--api", "@", str(GOOD_CORPUS)],
    ["validate", "--api", "heidi", "@"],
    ["validate", "--api", "heidi", "--operation", "getSession", "--status", "200", "@"],
    ["drift", "--api", "heidi", "@"],
    ["drift", "--api", "heidi", "--waivers", "@", str(GOOD_CORPUS)],
    ["diff", "@", "heidi"],
], ids=["lint", "validate-spec", "validate-corpus", "validate-body", "drift-corpus",
        "drift-waivers", "diff"])
@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_every_command_refuses_a_device_or_fifo_in_one_line(argv: list[str], kind: str,
                                                           tmp_path: Path) -> None:
    path = _special_files(tmp_path)[kind]
    code, _, err = cli(*[str(path) if a == "@" else a for a in argv])
    assert code == 2, err
    assert len(err.splitlines()) == 1, err
    assert "not a regular file" in err


@pytest.mark.parametrize(("name", "cap_says"), [
    ("body.json", "larger than 33,554,432 bytes"),
    ("spec.yaml", "larger than 33,554,432 bytes"),
    ("big.har", "larger than 268,435,456 bytes"),
])
def test_a_sparse_huge_file_is_refused_after_the_cap_not_read_whole(
        name: str, cap_says: str, tmp_path: Path) -> None:
    path = tmp_path / name
    with path.open("wb") as fh:
        fh.truncate(1536 * 1024 * 1024)
    argv = {
        "body.json": ["validate", "--api", "heidi", "--operation", "getSession", "--status",
                      "200", str(path)],
        "spec.yaml": ["lint", str(path)],
        "big.har": ["validate", "--api", "heidi", str(path)],
    }[name]
    outcome = hostile.run_case(hostile.Case(name, "2", lambda tmp: argv), tmp_path)  # type: ignore[attr-defined]
    assert outcome.code == 2, outcome.stderr
    assert cap_says in outcome.stderr
    # read through the cap: the process never held the 1.5 GB file
    assert outcome.peak_rss < 600 * 1024 * 1024


def test_read_capped_reads_at_most_one_byte_past_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 11)
    assert read_capped(path, 11) == b"x" * 11
    with pytest.raises(InputError, match="larger than 10 bytes"):
        read_capped(path, 10)


def test_a_jsonl_log_still_streams(tmp_path: Path) -> None:
    items = list(read_exchanges(GOOD_CORPUS))
    assert items and not any(isinstance(i, ReadProblem) for i in items)


# --------------------------------------------------------------------------- the harness


SUBSET = ["yaml key aliased", "FIFO as corpus", ".jsonl symlink", "history with a recursive",
          "key with ESC and \\u0001, JUnit"]


@pytest.mark.parametrize("name", SUBSET)
def test_a_subset_of_the_hostile_corpus_holds_under_resource_limits(name: str,
                                                                    tmp_path: Path) -> None:
    case = next(c for c in hostile.CASES if c.name.startswith(name))  # type: ignore[attr-defined]
    outcome = hostile.run_case(case, tmp_path)  # type: ignore[attr-defined]
    assert outcome.held, (outcome.code, outcome.stderr, outcome.check_ok)
    assert outcome.seconds < hostile.SECONDS  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- 6. inert reports

_HOSTILE_KEY = "\x1b]0;owned\x07\x1b[2J\u0001key\u0085\x7f"


def _escape_log(tmp: Path) -> Path:
    import json

    path = tmp / "keys.jsonl"
    record = {"version": 1, "request": {"method": "GET", "url": "https://registrar.api."
              "heidihealth.com/api/v2/ml-scribe/open-api/sessions/s1"},
              "response": {"status": 200, "headers": {"content-type": "application/json"},
                           "body": {"session_id": "s1", _HOSTILE_KEY: {_HOSTILE_KEY: 1}}}}
    path.write_text(json.dumps(record) + "\n")
    return path


def _controls(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f]


@pytest.mark.parametrize("command", ["validate", "drift"])
def test_junit_stays_well_formed_xml_whatever_the_keys(command: str, tmp_path: Path) -> None:
    from xml.etree import ElementTree

    log = _escape_log(tmp_path)
    extra = ["--strict", "--fail-on", "info"] if command == "validate" else ["--fail-on", "INFO"]
    code, out, err = cli(command, "--api", "heidi", *extra, "--format", "junit", str(log))
    assert code == 1, err
    root = ElementTree.fromstring(out)  # raises on a character XML 1.0 forbids
    # C0 controls are what XML 1.0 forbids (DEL and C1 are legal there, if discouraged)
    assert "\\x1b" in out and not [c for c in _controls(out) if ord(c) < 32]
    assert list(root.iter("failure"))


@pytest.mark.parametrize(("command", "fmt"), [("validate", "text"), ("drift", "table")])
def test_text_reports_write_no_terminal_control_characters(command: str, fmt: str,
                                                           tmp_path: Path) -> None:
    log = _escape_log(tmp_path)
    extra = ["--strict", "--fail-on", "info"] if command == "validate" else ["--fail-on", "INFO"]
    code, out, err = cli(command, "--api", "heidi", *extra, "--format", fmt, str(log))
    assert code == 1, err
    assert not _controls(out), repr(out[:500])
    assert "\\x1b" in out  # shown, escaped: the reader still sees which key it was


def _hostile_gate() -> GateResult:
    from contracts.gate import CaseResult, StageResult

    name = "GET /x\x1b]0;pwned\x07 [bold]y[/bold]"
    case = CaseResult(stage="suites", name=name, passed=False, summary="bad\x1b[2J | cell",
                      details=("detail\x1b[1A\x08",))
    return GateResult(apis=("heidi",), seed=1,
                      stages=(StageResult(name="suites", cases=(case,), seconds=0.0),))


def test_the_gate_table_writes_no_control_characters_or_markup(
        capsys: pytest.CaptureFixture[str]) -> None:
    from contracts._cli_gate import print_gate_table

    print_gate_table(_hostile_gate())
    out = capsys.readouterr().out
    assert not _controls(out), repr(out)
    assert "\\x1b]0;pwned\\x07" in out and "[bold]y[/bold]" in out  # shown, escaped, inert
    assert "detail\\x1b[1A\\x08" in out


def test_the_gate_markdown_writes_no_control_characters() -> None:
    from contracts.reporting import gate_markdown

    out = gate_markdown(_hostile_gate())
    assert not _controls(out), repr(out)
    assert "\\x1b]0;pwned\\x07" in out and "bad\\x1b[2J \\| cell" in out


def test_the_sanitizers() -> None:
    from contracts._text import terminal_safe, xml_safe

    assert xml_safe("a\x00b\x1bc\ufffed\td\U0001f600") == "a\\x00b\\x1bc\\ufffed\td\U0001f600"
    assert terminal_safe("\x1b[31mred\x1b[0m\r\x9b") == "\\x1b[31mred\\x1b[0m\\x0d\\x9b"
    assert terminal_safe("\x1b[31mred\x1b]0;t\x07", keep_colour=True) == (
        "\x1b[31mred\\x1b]0;t\\x07")


def test_terminal_safe_skips_the_regex_only_for_text_it_would_not_change() -> None:
    from contracts._text import _control, _escaped, terminal_safe

    for code in [*range(0x300), 0x2028, 0x2029, 0xFEFF]:
        text = f"ok {chr(code)} ok"
        assert terminal_safe(text) == _control().sub(_escaped, text), hex(code)


# --------------------------------------------------------------------------- 7. history files


def _history_with(tmp: Path, extra_sql: str) -> Path:
    from contracts._sqlite import open_history

    path = tmp / "history.db"
    cli("drift", "--api", "heidi", "--history", str(path), str(GOOD_CORPUS))
    db = open_history(path)
    db.executescript(extra_sql)
    db.commit()
    db.close()
    return path


@pytest.mark.parametrize("sql", [
    "CREATE TRIGGER spin AFTER INSERT ON runs BEGIN SELECT count(*) FROM (WITH RECURSIVE "
    "c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c); END;",
    "CREATE VIEW v AS SELECT * FROM runs;",
    "CREATE TABLE extra (x);",
    "CREATE INDEX spin_idx ON findings (abs(count));",
], ids=["trigger", "view", "table", "index"])
def test_a_history_file_with_objects_we_did_not_create_is_refused(sql: str,
                                                                  tmp_path: Path) -> None:
    path = _history_with(tmp_path, sql)
    code, _, err = cli("drift", "--api", "heidi", "--history", str(path), str(GOOD_CORPUS))
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "did not create" in err


def test_a_history_table_with_other_columns_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "history.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, time TEXT DEFAULT "
               "(zeroblob(1000000000)))")
    db.close()
    code, _, err = cli("drift", "--api", "heidi", "--history", str(path), str(GOOD_CORPUS))
    assert code == 2 and "other columns" in err, err


def test_every_statement_on_a_history_file_is_bounded_in_time(tmp_path: Path) -> None:
    import sqlite3
    import time

    from contracts._sqlite import open_history

    db = open_history(tmp_path / "h.db", statement_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="interrupt"):
        db.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                   "SELECT count(*) FROM c").fetchall()
    assert time.monotonic() - started < 5
    assert db.execute("SELECT 1").fetchone() == (1,)  # each statement gets its own budget
    assert db.execute("PRAGMA trusted_schema").fetchone() == (0,)


def test_a_fresh_history_passes_its_own_check_twice(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    for _ in range(2):
        code, _, err = cli("drift", "--api", "heidi", "--history", str(path), str(GOOD_CORPUS))
        assert code in (0, 1), err


def test_a_fifo_as_history_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "h.db"
    os.mkfifo(fifo)
    code, _, err = cli("drift", "--api", "heidi", "--history", str(fifo), str(GOOD_CORPUS))
    assert code == 2 and "not a regular file" in err, err


# --------------------------------------------------------------------------- 9. smaller breaks


@pytest.mark.parametrize("expires", ["2099-W01-1", "20990101", "2099-001", "2099-1-01",
                                     "2099-01-01T00:00"])
def test_waiver_expires_is_exactly_yyyy_mm_dd(expires: str, tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(f"- {{code: x, reason: y, expires: '{expires}'}}\n")
    code, _, err = cli("drift", "--api", "heidi", "--waivers", str(path), str(GOOD_CORPUS))
    assert code == 2, err
    assert "YYYY-MM-DD" in err


def test_a_waiver_date_in_yyyy_mm_dd_is_still_accepted(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text("- {code: x, reason: y, expires: 2099-01-01}\n")
    code, _, err = cli("drift", "--api", "heidi", "--waivers", str(path), str(GOOD_CORPUS))
    assert code in (0, 1), err


@pytest.mark.parametrize("keyword", ["minItems", "minProperties"])
@pytest.mark.parametrize("limit", [18446744073709551616, 10**30])
def test_a_count_beyond_64_bits_is_reported_as_written(keyword: str, limit: int,
                                                       tmp_path: Path) -> None:
    value = {"minItems": "[1]", "minLength": '"a"', "minProperties": "{}"}[keyword]
    schema_type = {"minItems": "array", "minLength": "string", "minProperties": "object"}
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"""openapi: 3.1.0
info: {{title: t, version: '1'}}
paths:
  /x:
    post:
      operationId: postX
      requestBody:
        content:
          application/json:
            schema: {{type: {schema_type[keyword]}, {keyword}: {limit}}}
      responses:
        '204': {{description: ok}}
""")
    body = tmp_path / "body.json"
    body.write_text(value)
    code, out, err = cli("validate", "--api", str(spec), "--operation", "postX", str(body))
    assert code == 1, err
    assert str(limit) in out and str(2**64 - 1) not in out


# --------------------------------------------------------------------------- 5. credentials

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDQU5BUlkifQ.c2lnbmF0dXJlQ0FOQVJZ"
SECRET = "S3CRETCANARY"
URL_WITH_USER = f"https://user:{SECRET}@vendor.example/path"
SESSION_URL = "https://registrar.api.heidihealth.com/api/v2/ml-scribe/open-api/sessions/s1"


def _record(body: object, **headers: str) -> dict[str, object]:
    return {"version": 1, "request": {"method": "GET", "url": SESSION_URL,
                                      "headers": {"referer": URL_WITH_USER}},
            "response": {"status": 200, "headers": {"content-type": "application/json",
                                                    **headers},
                         "body": body}}


def _log(tmp: Path, *records: dict[str, object]) -> Path:
    import json

    path = tmp / "creds.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.mark.parametrize("enabled", [True, False], ids=["default", "keep-values"])
def test_url_user_information_is_masked_in_every_kept_string(enabled: bool) -> None:
    from contracts.exchanges import exchange_from_record, exchange_to_record
    from contracts.redaction import Redactor

    exchange = exchange_from_record(_record(
        {"comment": f"moved to {URL_WITH_USER} today", "next": URL_WITH_USER,
         "list": [f"see {URL_WITH_USER}"]},
        location=URL_WITH_USER, **{"x-vendor-note": f"mirror {URL_WITH_USER}"}))
    written = str(exchange_to_record(Redactor(enabled=enabled).exchange(exchange)))
    assert SECRET not in written and "user:" not in written
    assert "vendor.example" in written  # the host stays: only the user information goes


@pytest.mark.parametrize("enabled", [True, False], ids=["default", "keep-values"])
def test_keys_holding_credentials_never_reach_a_recording(enabled: bool) -> None:
    from contracts.redaction import Redactor

    body = {"session": {JWT: {"a": 1}, f"Bearer {SECRET}xyz": 2, "plain": 3},
            "patient_details": {"Jane Canary": {"age": 40}, "jane@canary.example": 1}}
    out = Redactor(enabled=enabled).json(body)
    text = str(out)
    assert JWT not in text and SECRET not in text
    assert out["session"]["plain"] == 3 and len(out["session"]) == 3  # shape kept
    if enabled:  # map keys under a redacted field go with the values
        assert "Jane Canary" not in text and "canary.example" not in text
        assert len(out["patient_details"]) == 2


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "sarif"])
def test_show_values_never_shows_a_credential(fmt: str, tmp_path: Path) -> None:
    log = _log(tmp_path, _record({"session": f"Bearer {SECRET}abcdef"}),
               _record({"session": f"see {URL_WITH_USER} or {JWT}"}))
    code, out, err = cli("validate", "--api", "heidi", "--show-values", "--format", fmt,
                         str(log))
    assert code == 1, err
    assert "vendor.example" in out or fmt == "junit"  # values are shown ...
    assert SECRET not in out and JWT not in out  # ... credentials never


_VALIDATE_FORMATS = ["text", "json", "junit", "sarif"]
_DRIFT_FORMATS = ["table", "markdown", "json", "junit", "sarif", "html"]


@pytest.mark.parametrize("show", [False, True], ids=["hidden", "show-values"])
def test_a_jwt_used_as_a_key_reaches_no_report_history_or_suggestion(show: bool,
                                                                     tmp_path: Path) -> None:
    import sqlite3

    log = _log(tmp_path, _record({"session": {"session_id": "s1", JWT: {SECRET: 1}}}))
    opt = ["--show-values"] if show else []
    written: list[str] = []
    for fmt in _VALIDATE_FORMATS:
        code, out, err = cli("validate", "--api", "heidi", "--strict", "--fail-on", "info",
                             "--format", fmt, *opt, str(log))
        assert code == 1, err
        written.append(out + err)
    for fmt in _DRIFT_FORMATS:
        code, out, err = cli("drift", "--api", "heidi", "--fail-on", "INFO", "--format", fmt,
                             *opt, "--history", str(tmp_path / "h.db"), "--suggest",
                             str(tmp_path / f"suggest-{fmt}.yaml"), str(log))
        assert code == 1, err
        written.append(out + err)
        written.append((tmp_path / f"suggest-{fmt}.yaml").read_text())
    db = sqlite3.connect(tmp_path / "h.db")
    written.append(str(db.execute("SELECT * FROM findings").fetchall()))
    db.close()
    everything = "\n".join(written)
    assert "[REDACTED]" in everything  # the finding is there, its key masked
    assert JWT not in everything and "eyJhbGciOiJIUzI1NiJ9" not in everything


def test_mask_value_keeps_shapes() -> None:
    from contracts._secrets import mask_text, mask_value

    assert mask_text(f"x {URL_WITH_USER} y") == "x https://[REDACTED]@vendor.example/path y"
    assert mask_text("basic information, bearer of news") == "basic information, bearer of news"
    assert mask_value(({"password": "p", "k": [f"Bearer {SECRET}"]}, 1)) == (
        {"password": "[REDACTED]", "k": ["[REDACTED]"]}, 1)
