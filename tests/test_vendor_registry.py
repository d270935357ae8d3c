"""One vendor registry: a fifth vendor is its files plus one registration, without editing
``src/``. The toy vendor of ``tests/data/toyvendor/`` (spec, invariants, mock and a plugin that
registers them) is loaded the way a user's would be (``CONTRACTS_PLUGINS`` or an entry point
of the ``contracts.vendors`` group), then linted, validated, served on loopback and gated by
the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contracts import UsageError, vendors
from contracts.mock import DEFAULT_TOKEN

DATA = Path(__file__).parent / "data"
AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
RULE = "invariant.toyvendor.done_needs_done_at"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != vendors.PLUGINS_ENV}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(DATA), env.get("PYTHONPATH")) if p)
    return {**env, **extra}


PLUGIN = {vendors.PLUGINS_ENV: "toyvendor"}


def contracts(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "contracts", *args], capture_output=True,
                          text=True, env=env or _env(**PLUGIN), cwd=cwd, timeout=timeout)


def _exchange(state: str, done_at: str | None) -> str:
    return json.dumps({
        "version": 1, "api": "toyvendor", "operation": "getThing",
        "request": {"method": "GET", "url": "https://api.toy.example.com/toy/v1/things/t-1"},
        "response": {"status": 200, "headers": {"content-type": "application/json"},
                     "body": {"id": "t-1", "name": "lamp", "state": state,
                              "done_at": done_at}}})


def test_lint_knows_the_registered_vendor_by_name() -> None:
    result = contracts("lint", "toyvendor")
    assert (result.returncode, result.stdout.strip().lower()) == (0, "no findings"), result.stderr


def test_without_the_plugin_the_name_is_unknown() -> None:
    result = contracts("lint", "toyvendor", env=_env())
    assert result.returncode == 2
    assert "toyvendor" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_plugin_is_a_one_line_usage_error() -> None:
    result = contracts("lint", "toyvendor", env=_env(**{vendors.PLUGINS_ENV: "no_such_plugin"}))
    assert result.returncode == 2, result.stderr
    assert "no_such_plugin" in result.stderr and "CONTRACTS_PLUGINS" in result.stderr
    assert "ModuleNotFoundError" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_validate_runs_the_registered_invariants(tmp_path: Path) -> None:
    clean = tmp_path / "clean.jsonl"
    clean.write_text(_exchange("done", "2026-01-01T10:00:00Z") + "\n"
                     + _exchange("new", None) + "\n")
    broken = tmp_path / "broken.jsonl"
    broken.write_text(_exchange("done", None) + "\n" + _exchange("new", None) + "\n")
    ok = contracts("validate", "--api", "toyvendor", str(clean))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = contracts("validate", "--api", "toyvendor", "--format", "json", str(broken))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert RULE in bad.stdout and bad.stdout.count(RULE) == 1


@pytest.fixture
def served() -> Iterator[str]:
    """``contracts mock toyvendor`` on a free loopback port: its base URL."""
    proc = subprocess.Popen([sys.executable, "-m", "contracts", "mock", "toyvendor",
                             "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env(**PLUGIN))
    try:
        assert proc.stdout is not None
        name, url = proc.stdout.readline().strip().split(": ", 1)
        assert name == "toyvendor" and url.startswith("http://127.0.0.1:")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_mock_serves_the_registered_vendor_on_loopback(served: str) -> None:
    assert served.endswith("/toy/v1")  # the spec's server path
    with httpx.Client(base_url=served, headers=AUTH, timeout=10) as c:
        created = c.post("/things", json={"name": "lamp"})
        assert created.status_code == 201 and created.json()["state"] == "new"
        thing = created.json()["id"]
        assert c.get(f"/things/{thing}").json()["state"] == "new"
        assert c.get(f"/things/{thing}").json() == {
            "id": thing, "name": "lamp", "state": "done", "done_at": "2026-01-01T10:00:00Z"}
        assert c.post("/things", json={"name": ""}).status_code == 400  # validated by the spec
        assert c.get("/things/nope").json() == {"error": "not_found", "message": "Not found"}
        assert httpx.get(f"{served}/things/{thing}").status_code == 401
    root = served.removesuffix("/toy/v1")
    assert httpx.post(f"{root}/__contracts__/scenario", json={"scenario": "slow"}).json() == {
        "toyvendor": {"scenario": "slow", "scenarios": {"slow": "things stay new (never done)"}}}


def test_a_gate_runs_over_the_registered_vendor(tmp_path: Path) -> None:
    result = contracts("gate", "--api", "toyvendor", "--max-examples", "3",
                       "--report-dir", str(tmp_path / "reports"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gate passed" in result.stdout
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert "toyvendor" in json.dumps(report)
    junit = (tmp_path / "reports" / "junit.xml").read_text()
    assert "createThing" in junit or "POST /things" in junit


def test_an_entry_point_registers_the_vendor_too(tmp_path: Path) -> None:
    # A distribution on the path that declares the plugin, as a pip-installed one would.
    info = tmp_path / "toyvendor_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toyvendor-plugin\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{vendors.ENTRY_POINT_GROUP}]\n"
                                           "toyvendor = toyvendor\n")
    env = _env()
    env["PYTHONPATH"] = os.pathsep.join((str(tmp_path), env["PYTHONPATH"]))
    result = contracts("lint", "toyvendor", env=env)
    assert (result.returncode, result.stdout.strip().lower()) == (0, "no findings"), result.stderr


def test_lookups_stay_lazy() -> None:
    """A registration imports nothing of the vendor; a bundled name loads no plugin."""
    script = (
        "import sys\n"
        "from contracts import vendors\n"
        "assert vendors.find('eka') is not None\n"
        "print('toyvendor' in sys.modules, end=' ')\n"
        "entry = vendors.find('toyvendor')\n"
        "print(entry.name, 'toyvendor.mock' in sys.modules,\n"
        "      'toyvendor.invariants' in sys.modules, end=' ')\n"
        "from contracts.validation import Validator\n"
        "Validator('toyvendor')\n"
        "print('toyvendor.invariants' in sys.modules, 'toyvendor.mock' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=_env(**PLUGIN), timeout=120)
    assert result.stdout.split() == ["False", "toyvendor", "False", "False", "False", "False"], \
        result.stderr


def test_the_bundled_vendors_are_four_entries() -> None:
    assert vendors.BUNDLED == ("upheal", "heidi", "eka", "realtimekit")
    for name in vendors.BUNDLED:
        entry = vendors.get(name)
        assert entry.bundled and entry.spec.is_file() and entry.spec.stem == name
        assert entry.invariants == f"contracts.invariants.{name}"
        assert entry.mock is not None and entry.mock.startswith(f"contracts.mock.{name}:")
    with pytest.raises(UsageError, match="bundled"):
        vendors.register_vendor("eka", vendors.get("eka").spec)
    with pytest.raises(UsageError, match="module:Class"):
        vendors.register_vendor("toy2", vendors.get("eka").spec, mock="toymock")
