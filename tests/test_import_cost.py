"""Importing the library loads no network stack, test runner or terminal UI: a one-body
``contracts validate`` and a library user pay for the validation engine only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("http.client", "ssl", "schemathesis", "rich")


def _loaded(statement: str) -> list[str]:
    code = (f"import sys\n{statement}\n"
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    return out.stdout.split()


@pytest.mark.parametrize("statement", [
    "import contracts",
    "import contracts.validation",
    "import contracts.corpus",
    # the first call compiles a spec's validators: still nothing heavy
    "import contracts; contracts.is_valid_response('eka', 'GET', '/voice/v1/sessions/s-1', "
    "200, b'{}')",
])
def test_import_loads_no_heavy_module(statement: str) -> None:
    assert _loaded(statement) == []


def test_the_check_itself_sees_a_heavy_import() -> None:
    assert _loaded("import contracts, ssl") == ["ssl"]


# What a one-body `contracts validate` (text output, a bundled spec whose references all stay
# inside it) has no use for: each is imported on first use by the command that needs it.
NOT_FOR_ONE_BODY = (
    *HEAVY,
    "referencing",  # only when a $ref leaves the document or uses $id/$anchor
    "attrs",
    "importlib.resources",  # the dialect meta-schemas are read with pkgutil
    "difflib",  # did-you-mean, on error paths only
    "tempfile",  # JSON/SARIF spooling and cache writes
    "xml.etree.ElementTree",  # JUnit
    "contracts.reporting.html",
    "contracts.reporting.junit",
    "contracts.reporting.sarif",
    "contracts.reporting.markdown",
    "contracts.reporting.json",
    "contracts.reporting._common",
    "contracts._drift_records",  # spec-diff and drift records
    "contracts.speclint",
    "contracts.gate",
    "contracts.suites",
    "contracts.drift",
    "contracts.diff",
    "contracts.exchanges",
    "urllib.request",
    # the other commands and what only they use (the CLI group imports a command on use)
    "contracts._cli_commands",
    "contracts._cli_gate",
    "contracts.config",
    "contracts.proxy",
    "contracts.mock",
    "contracts.codegen",
    "contracts.models",
    "contracts.parallel",
    "contracts.accumulate",
    "contracts._logline",
    "tomllib",
    "importlib.metadata",
    "shutil",
    "multiprocessing",
    "concurrent.futures",
)


def _one_body_run(tmp_path: Path, watched: tuple[str, ...]) -> list[str]:
    """Run `contracts validate` on one Eka body twice in fresh interpreters (the first fills
    the parsed-spec cache) and return which ``watched`` modules the second one loaded."""
    body = tmp_path / "body.json"
    body.write_text('{"txn_id": "t-1", "status": "completed"}')
    argv = ["validate", "--api", "eka", "--operation", "getSession", "--status", "200",
            str(body)]
    code = ("import sys\nfrom contracts.cli import run\n"
            f"status = run({argv!r})\n"
            f"print(status, ' '.join(m for m in {watched!r} if m in sys.modules))")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("CONTRACTS_NO_CACHE", None)
    outs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, timeout=120, env=env).stdout for _ in range(2)]
    status, *loaded = outs[-1].split("\n")[-2].split()
    assert status in ("0", "1")  # it ran: clean or a violation of the made-up body
    return loaded


def test_a_one_body_validate_loads_only_what_it_needs(tmp_path: Path) -> None:
    assert _one_body_run(tmp_path, NOT_FOR_ONE_BODY) == []


def test_a_cached_spec_is_read_without_pyyaml(tmp_path: Path) -> None:
    assert _one_body_run(tmp_path, ("yaml",)) == []


def test_the_one_body_check_sees_a_lazy_module_loaded(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The same run with the cache off parses the YAML: PyYAML is seen (the check works)."""
    monkeypatch.setenv("CONTRACTS_NO_CACHE", "1")
    body = tmp_path / "body.json"
    body.write_text("{}")
    code = ("import sys\nfrom contracts.cli import run\n"
            f"run(['validate', '--api', 'eka', '--operation', 'getSession', '--status', "
            f"'200', {str(body)!r}])\nprint('yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert out.split()[-1] == "True"


def test_every_reporting_name_resolves_from_its_format_module() -> None:
    """``contracts.reporting`` imports formats on first use: every exported name is found,
    in the module its table names, and the table and ``__all__`` agree."""
    import importlib

    import contracts.reporting as reporting

    assert set(reporting._HOME) == set(reporting.__all__)
    for name, module in reporting._HOME.items():
        value = getattr(reporting, name)
        assert callable(value)
        assert value is getattr(importlib.import_module(f"contracts.reporting.{module}"), name)
    with pytest.raises(AttributeError):
        _ = reporting.no_such_renderer


def test_findings_drift_records_resolve_lazily() -> None:
    code = ("import sys\nimport contracts.findings as f\n"
            "before = 'contracts._drift_records' in sys.modules\n"
            "from contracts.findings import DriftChange, TrafficDrift\n"
            "print(before, DriftChange.__name__, TrafficDrift.__name__, f.DriftChange is "
            "DriftChange)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    assert out == ["False", "DriftChange", "TrafficDrift", "True"]


# Records on the one-body path whose methods are still generated at import by @dataclass (each
# compiles about six functions, a millisecond). Everything else there is a _record.Record.
STILL_GENERATED: list[str] = [  # mutable records (a run's tallies), one of each per run
    "contracts.corpus.CorpusReport", "contracts.reporting.stream.StreamSummary",
]


def _after_one_body(tmp_path: Path, report: str) -> str:
    """Run a one-body validate in a fresh interpreter, then ``report`` there; its output."""
    body = tmp_path / "body.json"
    body.write_text('{"txn_id": "t-1", "status": "completed"}')
    argv = ["validate", "--api", "eka", "--operation", "getSession", "--status", "200",
            str(body)]
    code = f"import sys\nfrom contracts.cli import run\nrun({argv!r})\n{report}"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("CONTRACTS_NO_CACHE", None)
    outs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, timeout=120, env=env).stdout for _ in range(2)]
    return outs[-1].split("\n")[-2]


GENERATED = (
    "import dataclasses\n"
    "print(sorted(f'{m.__name__}.{v.__qualname__}' for m in list(sys.modules.values())\n"
    "             if getattr(m, '__name__', '').startswith('contracts')\n"
    "             for v in vars(m).values() if isinstance(v, type)\n"
    "             and v.__module__ == m.__name__ and dataclasses.is_dataclass(v)\n"
    "             and (v.__dataclass_params__.init or v.__dataclass_params__.eq\n"
    "                  or v.__dataclass_params__.repr)))"
)


def test_a_one_body_validate_generates_no_other_record_methods(tmp_path: Path) -> None:
    assert _after_one_body(tmp_path, GENERATED) == repr(STILL_GENERATED)


def test_the_record_check_sees_a_generated_dataclass(tmp_path: Path) -> None:
    made = ("import dataclasses\n"
            "import contracts.findings as f\n"
            "@dataclasses.dataclass(frozen=True)\n"
            "class Extra:\n    a: int = 0\n"
            "Extra.__module__ = f.__name__\nf.Extra = Extra\n" + GENERATED)
    assert "contracts.findings.Extra" in _after_one_body(tmp_path, made)


def test_a_one_body_validate_compiles_no_yaml_or_terminal_regex(tmp_path: Path) -> None:
    """The YAML 1.2 resolver's patterns wait for a YAML parse (the spec comes from the cache),
    the terminal sanitizer's for text that needs escaping (a clean run's line does not)."""
    report = ("import contracts._loading as l, contracts._text as t\n"
              "print(l._implicit.cache_info().currsize, t._control.cache_info().currsize)")
    assert _after_one_body(tmp_path, report) == "0 0"


@pytest.mark.parametrize(("document", "flag", "expected"), [
    ({"openapi": "3.1.0", "components": {"schemas": {"A": {"readOnly": True}}}}, "readOnly", True),
    ({"openapi": "3.1.0", "components": {"schemas": {"A": {"readOnly": False}}}}, "readOnly",
     False),
    ({"openapi": "3.1.0", "x": {"writeOnly": True}}, "readOnly", False),
    ({"openapi": "3.1.0", "x": {"writeOnly": True, 200: {"n": 2**70}}}, "writeOnly", True),
    ({"openapi": "3.1.0", "x": {"example": {"readOnly": True}}}, "readOnly", False),  # data
])
def test_the_serialized_shortcut_gives_the_walks_answer(document: dict[str, object], flag: str,
                                                        expected: bool) -> None:
    """``_uses`` skips its walk when the document's JSON text cannot hold the flag; where it
    can (or the text cannot be made: a 70-bit integer), the walk decides."""
    from contracts import _schema

    assert _schema._uses(document, flag) is expected
    walked = _schema._may_hold
    try:
        _schema._may_hold = lambda data, needles: True  # type: ignore[assignment]
        assert _schema._uses(document, flag) is expected
    finally:
        _schema._may_hold = walked


def test_schema_objects_that_identify_themselves_are_still_found() -> None:
    from contracts import _schema

    with_id = {"openapi": "3.1.0", "components": {"schemas": {"A": {"$id": "urn:a"}}}}
    without = {"openapi": "3.1.0", "components": {"schemas": {"A": {"type": "string"}}}}
    [(_, served)] = [r for r in _schema._engine_resources(iter([("file:///a", with_id)]))
                     if r[0] == "file:///a"]
    assert served["$defs"] == {"contracts:schema-object-0": {"$id": "urn:a"}}
    [(_, plain)] = [r for r in _schema._engine_resources(iter([("file:///b", without)]))
                    if r[0] == "file:///b"]
    assert plain is without
