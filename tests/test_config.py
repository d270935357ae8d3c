"""Configured once: contracts.toml or [tool.contracts], flags override, tokens refused."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.cli import run
from contracts.config import find_config, load_config
from contracts.errors import InputError
from contracts.mock import DEFAULT_TOKEN

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
NEW_SESSION = {"providerUserId": "p-1", "clientUserId": "c-1", "sessionType": "Soap",
               "input": {"recording": {"recordingUrls": ["https://uploads.example.com/s.m4a"],
                                       "recordingContent": "Recording"}}}

FULL = """
report-dir = "out"
budget = 40
rate-limit = "1000/s"
max-examples = 3
seed = 7
fail-on = "error"
not-proved = "warn"
history = "history.sqlite"

[apis.upheal]
base-url = "http://127.0.0.1:9/"
path-prefix = "/partner"
waivers = "waivers/upheal.yaml"
[apis.upheal.params]
sessionId = ["s-1", "s-2"]
"getSession.sessionId" = "s-3"
[apis.upheal.paths]
getSession = "/partner/v2/sessions/{sessionId}"

[apis.mine]
spec = "specs/mine.yaml"
"""


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_a_contracts_toml_is_read_with_paths_beside_it(tmp_path: Path) -> None:
    (tmp_path / "contracts.toml").write_text(FULL)
    config = load_config(tmp_path / "contracts.toml")
    assert (config.budget, config.rate_limit, config.max_examples, config.seed) == (
        40, "1000/s", 3, 7)
    assert (config.fail_on, config.not_proved) == ("error", "warn")
    assert config.report_dir == str(tmp_path / "out")
    assert config.history == str(tmp_path / "history.sqlite")
    upheal = config.api("upheal")
    assert upheal is not None
    assert upheal.params == ("upheal:sessionId=s-1", "upheal:sessionId=s-2",
                             "upheal:getSession.sessionId=s-3")
    assert dict(upheal.paths) == {"getSession": "/partner/v2/sessions/{sessionId}"}
    assert upheal.waivers == str(tmp_path / "waivers/upheal.yaml")
    mine = config.api("mine")
    assert mine is not None and mine.target == str(tmp_path / "specs/mine.yaml")


def test_pyproject_tool_contracts_is_found_from_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.contracts]\nbudget = 5\n'
        '[tool.contracts.apis.eka]\nbase-url = "https://api.eka.care"\n')
    below = tmp_path / "a" / "b"
    below.mkdir(parents=True)
    found = find_config(below)
    assert found == tmp_path / "pyproject.toml"
    config = load_config(found)
    assert config.budget == 5 and config.api("eka") is not None
    # A pyproject.toml without the table is not a configuration; a contracts.toml nearer wins.
    (below / "pyproject.toml").write_text('[project]\nname = "y"\n')
    assert find_config(below) == tmp_path / "pyproject.toml"
    (tmp_path / "a" / "contracts.toml").write_text("budget = 9\n")
    assert find_config(below) == tmp_path / "a" / "contracts.toml"


@pytest.mark.parametrize("text, where", [
    ('[apis.upheal]\ntoken = "abc"\n', "apis.upheal.token"),
    ('[apis.heidi.params]\n"Heidi-Api-Key" = "k"\n', "apis.heidi.params.Heidi-Api-Key"),
    ('[apis.upheal.params]\nsessionId = "Bearer abc.def"\n', "apis.upheal.params.sessionId"),
    ('[apis.upheal.params]\nsessionId = ["ok", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"]\n',
     "apis.upheal.params.sessionId[1]"),
    ('[apis.upheal]\nbase-url = "https://me:secret@api.upheal.io"\n', "apis.upheal.base-url"),
    ('[apis.upheal]\nbase-url = "https://api.upheal.io/?api_key=abc"\n', "apis.upheal.base-url"),
])
def test_a_token_in_the_file_is_refused_with_a_clear_error(tmp_path: Path, text: str,
                                                           where: str) -> None:
    path = tmp_path / "contracts.toml"
    path.write_text(text)
    with pytest.raises(InputError, match="credential") as caught:
        load_config(path)
    assert where in str(caught.value) and "CONTRACTS_<API>_TOKEN" in str(caught.value)
    code, out, err = cli("config", "--config", str(path))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    for value in ("me:secret", "eyJhbGci", "Bearer abc", "api_key=abc"):
        assert value not in err  # the error names the key, never the value
    code, _, err = cli("gate", "--config", str(path), "--no-suites")
    assert code == 2 and "credential" in err


@pytest.mark.parametrize("text, message", [
    ("budjet = 5\n", "did you mean budget"),
    ("budget = 0\n", "budget must be a whole number >= 1"),
    ('not-proved = "maybe"\n', "not-proved must be"),
    ("[apis.upheal]\nbase_url = 'x'\n", "did you mean apis.upheal.base-url"),
    ("apis = 3\n", "apis must be a table"),
    ("budget = \n", "not valid TOML"),
])
def test_bad_files_are_input_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "contracts.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_config(path)


def test_config_prints_the_effective_configuration_with_secrets_masked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "contracts.toml").write_text(FULL)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONTRACTS_UPHEAL_TOKEN", "very-secret-token-value")
    monkeypatch.setenv("CONTRACTS_MINE_BASE_URL", "https://mine.example")
    code, out, _ = cli("config")
    assert code == 0
    assert str(tmp_path / "contracts.toml") in out and "budget: 40" in out
    assert "very-secret-token-value" not in out and "token set (masked)" in out
    code, out, _ = cli("config", "--format", "json")
    data = json.loads(out)
    assert data["apis"]["upheal"]["paths"] == {"getSession": "/partner/v2/sessions/{sessionId}"}
    assert data["environment"]["upheal"]["token"] == "set (masked)"
    assert data["environment"]["mine"]["base-url"] == "https://mine.example"
    assert "very-secret-token-value" not in out


def test_the_gate_runs_from_the_file_and_flags_override_it(
        mock_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from contracts.mock import MockServer
    from contracts.mock import app as mock_app

    # The vendor serves under /partner (a path prefix the spec does not know).
    vendor = mock_app("upheal")
    server = MockServer(Starlette(routes=[Mount("/partner", app=vendor)])).start()
    try:
        created = httpx.post(f"{server.url}/partner/sessions", json=NEW_SESSION, headers=AUTH)
        session_id = created.json()["sessionId"]
        (tmp_path / "contracts.toml").write_text(f"""
report-dir = "from-file"
max-examples = 2
rate-limit = "1000/s"
[apis.upheal]
base-url = "{server.url}"
path-prefix = "/partner"
[apis.upheal.params]
sessionId = "{session_id}"
""")
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("CONTRACTS_UPHEAL_BASE_URL", raising=False)
        monkeypatch.setenv("CONTRACTS_UPHEAL_TOKEN", DEFAULT_TOKEN)
        code, out, _ = cli("gate", "--live")
        assert code == 0, out
        report = json.loads((tmp_path / "from-file" / "report.json").read_text())
        assert report["apis"] == ["upheal"]
        statuses = report["coverage"][0]["operations"]["getSession"]
        assert statuses["200"] >= 2 and "404" not in statuses, statuses
        # A flag wins over the file: another report folder, another (unknown) session id.
        code, out, _ = cli("gate", "--live", "--report-dir", "from-flag", "--param",
                           "sessionId=no-such-session")
        assert code == 1, out
        report = json.loads((tmp_path / "from-flag" / "report.json").read_text())
        assert "200" not in report["coverage"][0]["operations"]["getSession"]
        assert "not proved: getSession" in out
    finally:
        server.stop()


@pytest.mark.parametrize("doc", ["README.md", "docs/configuration.md", "docs/github-actions.md"])
def test_the_configuration_examples_in_the_docs_load(doc: str, tmp_path: Path) -> None:
    import re

    text = (Path(__file__).resolve().parent.parent / doc).read_text()
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    assert blocks, doc
    for block in blocks:
        (tmp_path / "contracts.toml").write_text(block)
        config = load_config(tmp_path / "contracts.toml")
        assert config.apis
