"""`contracts lint`: every rule code has a failing fixture; clean specs stay clean; bad input
exits 2 with one line and no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _support import CLI
from contracts import BUNDLED, InputError, lint
from contracts.speclint import RULES

DATA = Path(__file__).parent / "data" / "lint"
CODES = sorted(p.stem for p in (DATA / "codes").glob("*.yaml"))
BAD = sorted((DATA / "bad").iterdir())


def test_every_rule_has_a_fixture() -> None:
    assert sorted(RULES) == CODES


def test_clean_fixture_is_clean() -> None:
    assert lint(DATA / "clean.yaml") == []


@pytest.mark.parametrize("code", CODES)
def test_rule_fires_on_its_fixture(code: str) -> None:
    findings = lint(DATA / "codes" / f"{code}.yaml")
    codes = {f.code for f in findings}
    assert code in codes, f"{code} not reported; got {sorted(codes)}"
    hit = next(f for f in findings if f.code == code)
    assert hit.source.endswith(f"{code}.yaml")
    assert hit.line is None or hit.line >= 1
    # The fixture changes one thing from clean.yaml: nothing unrelated should fire.
    unrelated = codes - {code, "component.unused", "ref.unresolved", "example.invalid",
                         "operation.no_success_response"}
    assert not unrelated, f"unrelated findings {sorted(unrelated)}"


def test_findings_carry_pointer_and_line() -> None:
    findings = lint(DATA / "codes" / "example.invalid.yaml")
    hit = next(f for f in findings if f.code == "example.invalid")
    assert hit.pointer.endswith("/examples/one")
    assert hit.line is not None
    text = (DATA / "codes" / "example.invalid.yaml").read_text().splitlines()
    assert "one:" in text[hit.line - 1]


def test_ranking_is_independent_of_rule_order() -> None:
    findings = lint(DATA / "codes" / "component.unused.yaml") + lint(
        DATA / "codes" / "example.invalid.yaml")
    from contracts.findings import ranked

    assert ranked(findings) == ranked(list(reversed(findings)))


@pytest.mark.parametrize("api", BUNDLED)
def test_bundled_specs_are_clean(api: str) -> None:
    findings = lint(api)
    assert findings == [], "\n".join(f"{f.code} {f.location} {f.message}" for f in findings)


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_unreadable_input_is_exit_2_with_one_line(path: Path, cli: CLI) -> None:
    code, out, err = cli("lint", str(path))
    assert code == 2, (code, out, err)
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert path.name in err
    with pytest.raises(InputError):
        lint(path)


def test_remote_ref_is_refused_without_touching_the_network(cli: CLI) -> None:
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    hits: list[bytes] = []

    def accept() -> None:
        server.settimeout(2)
        try:
            conn, _ = server.accept()
            hits.append(conn.recv(100))
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    spec = DATA / "bad" / "remote-ref.yaml"
    text = spec.read_text().replace("127.0.0.1:9", f"127.0.0.1:{port}")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "remote.yaml"
        target.write_text(text)
        code, _out, err = cli("lint", str(target))
    server.close()
    thread.join()
    assert code == 2
    assert "remote" in err
    assert hits == []


def test_cli_exit_codes_and_json(cli: CLI) -> None:
    assert cli("lint")[0] == 0
    code, out, _ = cli("lint", "--format", "json", str(DATA / "codes" / "schema.invalid.yaml"))
    assert code == 1
    records = json.loads(out)
    assert {"code", "severity", "message", "source", "pointer", "line"} <= set(records[0])
    # Warnings do not fail with --fail-on error.
    code, _, _ = cli("lint", "--fail-on", "error", str(DATA / "codes" / "component.unused.yaml"))
    assert code == 0
    assert cli("lint", "no-such-api")[0] == 2
    assert cli("lint", "--format", "xml")[0] == 2
    assert cli("no-such-command")[0] == 2


@pytest.mark.slow
def test_gate_writes_reports(tmp_path: Path, cli: CLI) -> None:
    code, out, _ = cli("gate", "--no-suites", "--report-dir", str(tmp_path))
    assert code == 0, out
    junit = (tmp_path / "junit.xml").read_text()
    assert 'failures="0"' in junit and "<testcase" in junit
    assert "passed" in (tmp_path / "summary.md").read_text()
    assert json.loads((tmp_path / "report.json").read_text())["passed"] is True


def test_gate_fails_on_a_broken_spec(tmp_path: Path, cli: CLI) -> None:
    code, _out, _ = cli("gate", "--no-suites", "--api",
                        str(DATA / "codes" / "schema.invalid.yaml"), "--report-dir", str(tmp_path))
    assert code == 1
    assert "schema.invalid" in (tmp_path / "junit.xml").read_text()
    assert "FAILED" in (tmp_path / "summary.md").read_text()


def test_a_clean_spec_is_linted_without_python_jsonschema() -> None:
    # Its import alone (format checkers building grammars) was most of a clean spec's lint;
    # jsonschema-rs gives the verdict, python-jsonschema only explains errors.
    import subprocess
    import sys

    code = ("import sys; from contracts.speclint import lint; "
            "found = lint('eka'); "
            "print(len(found), 'jsonschema' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["0", "False"], done.stdout + done.stderr


@pytest.mark.parametrize("api", ["upheal", "heidi", "eka", "realtimekit"])
def test_the_quick_verdicts_agree_with_python_jsonschema(api: str) -> None:
    import jsonschema

    from contracts import load_spec
    from contracts.speclint import _Context, _meta_validator, _oas_validator, _quick

    spec = load_spec(api)
    broken = {**spec.document, "info": {"title": 5}}
    for document in (spec.document, broken):
        assert _quick("oas-3.1")(document) == _oas_validator().is_valid(document)
    meta = _meta_validator()
    samples = [s.value for s in _Context(spec).schemas()]
    samples += [{"type": 5}, {"required": "id"}, {"minimum": "0"}, {"enum": 3}]
    for schema in samples:
        assert _quick("2020-12")(schema) == meta.is_valid(schema), schema
    assert isinstance(meta, jsonschema.Draft202012Validator)
