"""The generated models: every spec example round-trips through its model, ``generated/`` is
fresh and deterministic, user code type-checks against the models, and ``contracts.parse``
validates before it builds a model."""

from __future__ import annotations

import importlib
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from deepdiff import DeepDiff

import contracts
from _support import CLI
from contracts import BUNDLED, ContractViolation, OperationNotFound, UsageError, load_spec
from contracts.codegen import check, generate
from contracts.gate import run_gate
from contracts.specs import HTTP_METHODS, Located, Spec

REPO = Path(__file__).resolve().parents[1]
SPECS = REPO / "specs"
GENERATED = REPO / "generated"


# -- every example of every spec, found without the code under test -----------------------

@dataclass(frozen=True)
class Case:
    api: str
    operation: str  # operationId, or "schema" for a component schema's own examples
    key: str  # "request", the response's status key as written, or the component name
    name: str
    value: Any

    @property
    def id(self) -> str:
        short = self.name
        for prefix in (f"{self.operation}-{self.key}-", f"{self.operation}-request-"):
            if short.startswith(prefix) and len(short) > len(prefix):
                short = short[len(prefix):]
        return f"{self.api}:{self.operation}:{self.key}:{short}"


def _is_json(media_type: str) -> bool:
    base = media_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def _media_examples(spec: Spec, holder: Located) -> Iterator[tuple[str, Any]]:
    for media_type, media in (holder.value.get("content") or {}).items():
        if not _is_json(media_type) or "schema" not in media:
            continue
        node = holder.child("content", media_type)
        if "example" in media:
            yield "example", media["example"]
        for name in media.get("examples") or {}:
            yield name, spec.resolve(node.child("examples", name)).value["value"]


def _operations(spec: Spec) -> Iterator[tuple[str, Located]]:
    root = Located(spec.document, spec.uri, "")
    for section in ("paths", "webhooks"):
        for name in spec.document.get(section) or {}:
            path_item = spec.resolve(root.child(section, name))
            for method in HTTP_METHODS:
                if isinstance(path_item.value.get(method), dict):
                    op = path_item.child(method)
                    yield str(op.value.get("operationId") or name), op


def _cases() -> list[Case]:
    cases = []
    for api in BUNDLED:
        spec = load_spec(api)
        for op_id, op in _operations(spec):
            holders = []
            if "requestBody" in op.value:
                holders.append(("request", spec.resolve(op.child("requestBody"))))
            for key in op.value.get("responses") or {}:
                holders.append((str(key), spec.resolve(op.child("responses", key))))
            for key, holder in holders:
                for name, value in _media_examples(spec, holder):
                    cases.append(Case(api, op_id, key, name, value))
        for component, schema in spec.document["components"]["schemas"].items():
            for i, value in enumerate(schema.get("examples") or []):
                cases.append(Case(api, "schema", component, str(i), value))
    return cases


CASES = _cases()


def _module(api: str) -> Any:
    return importlib.import_module(f"contracts.models.{api}")


def test_every_api_has_examples_to_round_trip() -> None:
    counted = {api: sum(1 for c in CASES if c.api == api and c.operation != "schema")
               for api in BUNDLED}
    assert all(counted.values()), counted
    assert any(c.operation == "sessionEvent" for c in CASES), "the web-hook example is missing"


def _one_number_type(value: Any) -> Any:
    """JSON has one number type: a `number` field is a float, so 12 comes back as 12.0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_one_number_type(v) for v in value]
    if isinstance(value, dict):
        return {k: _one_number_type(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_example_round_trips_through_its_model(case: Case) -> None:
    module = _module(case.api)
    model = (getattr(module, case.key) if case.operation == "schema"
             else module.BODY_MODELS[(case.operation, case.key)])
    dumped = model.model_validate(case.value).model_dump(
        mode="json", by_alias=True, exclude_unset=True)
    diff = DeepDiff(_one_number_type(case.value), _one_number_type(dumped))
    assert not diff, f"{model.__name__} does not round-trip {case.id}:\n{diff.pretty()}"


def test_every_json_body_has_a_model() -> None:
    """BODY_MODELS lists exactly the JSON bodies of the spec: each request, each response
    status (every Eka Get Session outcome on its own) and each web-hook payload."""
    for api in BUNDLED:
        spec = load_spec(api)
        expected = set()
        for op_id, op in _operations(spec):
            holders = []
            if "requestBody" in op.value:
                holders.append(("request", spec.resolve(op.child("requestBody"))))
            holders += [(str(k), spec.resolve(op.child("responses", k)))
                        for k in op.value.get("responses") or {}]
            for key, holder in holders:
                if any(_is_json(m) and "schema" in media
                       for m, media in (holder.value.get("content") or {}).items()):
                    expected.add((op_id, key))
        assert set(_module(api).BODY_MODELS) == expected, api
    eka = _module("eka").BODY_MODELS
    outcomes = {eka[("getSession", s)].__name__ for s in ("200", "202", "206", "410")}
    assert len(outcomes) == 4, outcomes


def test_models_are_importable_under_contracts_models() -> None:
    from contracts.models import eka, heidi, realtimekit, upheal

    assert upheal.TherapySession.__module__ == "contracts.models.upheal"
    assert {heidi.SessionResponse, eka.SessionPartialResponse,
            realtimekit.SessionGetSessionsResponse} <= set(
        m for mod in (heidi, eka, realtimekit) for m in mod.BODY_MODELS.values())
    header = (GENERATED / "upheal.py").read_text("utf-8").splitlines()[0]
    assert header.startswith("# Generated by `contracts generate` from specs/upheal.yaml")


# -- freshness and determinism ------------------------------------------------------------

@pytest.mark.slow
def test_check_passes_on_the_committed_output(cli: CLI) -> None:
    code, out, err = cli("generate", "--check", "--specs", str(SPECS), "--out", str(GENERATED))
    assert code == 0, out + err
    assert "4 module(s) up to date" in out


def _checkout(tmp_path: Path, *apis: str) -> tuple[Path, Path]:
    """A copy of some specs and their committed modules (fewer specs: faster tests)."""
    specs, out = tmp_path / "specs", tmp_path / "generated"
    specs.mkdir()
    out.mkdir()
    for api in apis:
        shutil.copy(SPECS / f"{api}.yaml", specs)
        shutil.copy(GENERATED / f"{api}.py", out)
    return specs, out


@pytest.mark.slow
def test_check_fails_and_names_the_module_after_a_spec_changes(tmp_path: Path, cli: CLI) -> None:
    specs, out_dir = _checkout(tmp_path, "eka", "heidi")
    spec = specs / "eka.yaml"
    text = spec.read_text("utf-8")
    assert "description: Patient name.\n" in text
    spec.write_text(text.replace("description: Patient name.\n",
                                 "description: Patient full name.\n"), "utf-8")

    code, out, _err = cli("generate", "--check", "--specs", str(specs), "--out", str(out_dir))

    assert code == 1
    assert "eka.py: changed" in out
    assert "Patient full name." in out  # the diff summary shows what changed
    assert "heidi.py" not in out


def test_generate_writes_the_modules(tmp_path: Path, cli: CLI) -> None:
    specs, _out = _checkout(tmp_path, "realtimekit")
    code, out, err = cli("generate", "--specs", str(specs), "--out", str(tmp_path / "new"))
    assert code == 0, out + err
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["py.typed",
                                                                    "realtimekit.py"]
    assert (tmp_path / "new" / "realtimekit.py").read_bytes() == (
        GENERATED / "realtimekit.py").read_bytes()


def test_check_reports_leftover_and_missing_modules(tmp_path: Path) -> None:
    specs, out_dir = _checkout(tmp_path, "heidi")
    (out_dir / "heidi.py").unlink()
    (out_dir / "py.typed").write_text("", "utf-8")
    (out_dir / "old_vendor.py").write_text("x = 1\n", "utf-8")
    report = check(specs, out_dir)
    assert {(m.module, m.reason) for m in report.stale} == {
        ("heidi.py", "missing"), ("old_vendor.py", "unexpected")}


@pytest.mark.slow
def test_generation_is_deterministic(tmp_path: Path) -> None:
    first = generate(SPECS, tmp_path / "a")
    second = generate(SPECS, tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second] == [
        "eka.py", "heidi.py", "py.typed", "realtimekit.py", "upheal.py"]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
        assert a.read_bytes() == (GENERATED / a.name).read_bytes(), a.name


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, cli: CLI) -> None:
    code, _out, err = cli("generate", "--check", "--specs", str(tmp_path / "nope"),
                           "--out", str(GENERATED))
    assert code == 2 and err.count("\n") == 1 and "not a folder of specs" in err
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "broken.yaml").write_text("openapi: [unclosed\n", "utf-8")
    code, _out, err = cli("generate", "--specs", str(tmp_path / "specs"),
                           "--out", str(tmp_path / "out"))
    assert code == 2 and err.count("\n") == 1 and "broken.yaml" in err


def test_gate_has_a_models_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = run_gate(["eka"])
    stage = next(s for s in result.stages if s.name == "models")
    assert [(c.name, c.passed) for c in stage.cases] == [("eka", True)]
    assert "up to date" in stage.cases[0].summary

    shutil.copy(SPECS / "heidi.yaml", tmp_path / "heidi.yaml")  # no generated/ beside it
    stage = next(s for s in run_gate([str(tmp_path / "heidi.yaml")]).stages
                 if s.name == "models")
    assert stage.passed and stage.cases[0].summary == "skipped: no generated/ folder"


def test_gate_models_stage_fails_on_stale_output(tmp_path: Path) -> None:
    specs, out_dir = _checkout(tmp_path, "upheal")
    path = out_dir / "upheal.py"
    path.write_text(path.read_text("utf-8") + "# edited by hand\n", "utf-8")
    stage = next(s for s in run_gate([str(specs / "upheal.yaml")]).stages
                 if s.name == "models")
    assert not stage.passed
    assert "stale (changed)" in stage.cases[0].summary


# -- static typing of user code -----------------------------------------------------------

USER_SCRIPT = '''
from contracts.models.eka import SessionPartialResponse, TemplateList
from contracts.models.heidi import SessionResponse
from contracts.models.realtimekit import SessionGetSessionsResponse
from contracts.models.upheal import TherapySession


def upheal_first_word_start(body: bytes) -> int:
    session = TherapySession.model_validate_json(body)
    assert session.transcript is not None and session.transcript.utterances
    return session.transcript.utterances[0].words[0].start


def heidi_note_heading(body: bytes) -> str | None:
    answer = SessionResponse.model_validate_json(body)
    if answer.session is None or answer.session.consult_note is None:
        return None
    return answer.session.consult_note.heading


def eka_first_template_status(body: bytes) -> str | None:
    partial = SessionPartialResponse.model_validate_json(body)
    if partial.templates is None:
        return None
    # Eka's sources print templates as a list of single-key objects or as one map.
    shape = partial.templates.root
    first = shape.root[0].root if isinstance(shape, TemplateList) else shape.root
    return next(iter(first.values())).status


def realtimekit_first_session_id(body: bytes) -> str:
    answer = SessionGetSessionsResponse.model_validate_json(body)
    assert answer.data is not None and answer.data.sessions
    return answer.data.sessions[0].id
'''

MISSPELLED = '''
from contracts.models.upheal import TherapySession


def show_start(session: TherapySession) -> None:
    assert session.transcript is not None and session.transcript.utterances
    print(session.transcript.utterances[0].words[0].strat)
'''


def _installed_layout(root: Path) -> Path:
    """The package as a wheel installs it: contracts/ with the generated modules in models/."""
    site = root / "site"
    shutil.copytree(Path(contracts.__file__).parent, site / "contracts",
                    ignore=shutil.ignore_patterns("__pycache__", "_bundled"))
    for path in GENERATED.iterdir():
        if path.suffix == ".py" or path.name == "py.typed":
            shutil.copy(path, site / "contracts" / "models" / path.name)
    return site


@pytest.mark.slow
def test_user_code_type_checks_against_the_models(tmp_path: Path) -> None:
    from mypy import api as mypy_api

    site = _installed_layout(tmp_path)
    (tmp_path / "good.py").write_text(textwrap.dedent(USER_SCRIPT), "utf-8")
    (tmp_path / "bad.py").write_text(textwrap.dedent(MISSPELLED), "utf-8")
    config = tmp_path / "mypy.ini"
    config.write_text(f"[mypy]\nmypy_path = {site}\nfollow_imports = silent\n", "utf-8")

    stdout, stderr, _status = mypy_api.run([
        "--config-file", str(config), "--strict", "--cache-dir", str(tmp_path / "cache"),
        "--no-error-summary", str(tmp_path / "good.py"), str(tmp_path / "bad.py")])

    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert not [e for e in errors if "good.py" in e], stdout + stderr
    assert len(errors) == 1, stdout + stderr
    assert "bad.py:7: error:" in errors[0] and '"Word" has no attribute "strat"' in errors[0]


# -- contracts.parse ----------------------------------------------------------------------

def _example(api: str, operation: str, key: str, name: str | None = None) -> Any:
    return next(c.value for c in CASES if (c.api, c.operation, c.key) == (api, operation, key)
                and (name is None or c.name == name))


@pytest.mark.parametrize(("api", "operation", "status", "key", "model"), [
    ("upheal", "getSession", 200, "200", "TherapySession"),
    ("upheal", "createSession", None, "request", "CreateTherapySessionRequest"),
    ("upheal", "sessionEvent", None, "request", "SessionWebhookPayload"),
    ("heidi", "getSession", 200, "200", "SessionResponse"),
    ("eka", "getSession", 206, "206", "SessionPartialResponse"),
    ("eka", "getSession", 202, "202", "SessionProcessingResponse"),
    ("eka", "getSession", 410, "410", "ExpiredSessionResponse"),
    ("realtimekit", "getSessions", 200, "200", "SessionGetSessionsResponse"),
    ("realtimekit", "getSessions", 404, "4XX", "ErrorResponse"),
])
def test_parse_returns_the_model_of_the_operation_and_status(
        api: str, operation: str, status: int | None, key: str, model: str) -> None:
    body = _example(api, operation, key)
    parsed = contracts.parse(api, operation, status, body)
    assert type(parsed) is getattr(_module(api), model)
    assert parsed.model_dump(mode="json", by_alias=True, exclude_unset=True) == body


def test_parse_accepts_raw_json_bytes() -> None:
    import json

    body = _example("eka", "getSession", "206")
    parsed = contracts.parse("eka", "getSession", 206, json.dumps(body).encode())
    assert parsed.status == "partial"  # type: ignore[attr-defined]


def test_parse_validates_before_the_lax_model_can_accept() -> None:
    body = dict(_example("upheal", "getSession", "200", "getSession-200"))
    body["recordingDurationMs"] = "123"  # a string where the spec says integer
    # pydantic alone is lax and takes it: the reason parse validates first
    lax = _module("upheal").TherapySession.model_validate(body)
    assert lax.recording_duration_ms == 123
    with pytest.raises(ContractViolation) as raised:
        contracts.parse("upheal", "getSession", 200, body)
    assert raised.value.best.code == "response.body.schema"
    assert raised.value.best.pointer == "/recordingDurationMs"


def test_parse_validates_requests_and_webhooks() -> None:
    with pytest.raises(ContractViolation) as raised:
        contracts.parse("heidi", "createSession", None, {"patient_profile_id": 42})
    assert raised.value.best.location == "request.body"
    assert raised.value.best.pointer == "/patient_profile_id"
    with pytest.raises(ContractViolation) as raised:
        contracts.parse("upheal", "sessionEvent", None, {"sessionId": 42, "state": "Done"})
    assert raised.value.best.code == "request.body.schema"
    assert raised.value.best.pointer == "/sessionId"
    # No payload key is published, so none is required.
    assert contracts.parse("upheal", "sessionEvent", None, {"state": "Done"}).session_id is None


def test_parse_says_when_there_is_no_model() -> None:
    with pytest.raises(OperationNotFound):
        contracts.parse("eka", "getSesion", 200, {})
    with pytest.raises(UsageError, match="documents no JSON status 500"):
        contracts.parse("eka", "getSession", 500, {})
    with pytest.raises(UsageError, match="no generated models"):
        contracts.parse("specs/eka.yaml", "getSession", 200, {})
