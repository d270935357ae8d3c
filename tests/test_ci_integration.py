"""Where teams run CI: the GitHub Action's script part and the pre-commit hooks, run for real
(the script with fake GITHUB_OUTPUT/GITHUB_STEP_SUMMARY files; the hooks through
`pre-commit try-repo` on a sample git repository)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from contracts.specs import bundled_path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SCRIPT = ROOT / "scripts" / "action-gate.sh"


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def _action(tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str],
                                                     dict[str, str], str]:
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    output.write_text("")
    summary.write_text("")
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
           "CONTRACTS_BIN": str(BIN / "contracts"),
           **{f"INPUT_{k.upper()}": v for k, v in inputs.items()}}
    done = subprocess.run(["bash", str(SCRIPT)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    return done, _outputs(output), summary.read_text()


def test_the_action_script_runs_the_gate_and_records_its_outputs(tmp_path: Path) -> None:
    done, outputs, summary = _action(
        tmp_path, apis="heidi", report_dir="out",
        args="--operation getJwt --phases examples --max-examples 1")
    assert done.returncode == 0, done.stderr
    assert outputs == {"exit-code": "0", "report-dir": "out", "sarif": "out/report.sarif"}
    assert (tmp_path / "out" / "report.sarif").is_file()
    assert summary.startswith("## contracts gate: passed")  # the gate's own summary
    assert "running: " in done.stdout and "--api heidi" in done.stdout


def test_the_action_script_reports_a_failing_and_a_broken_gate_without_stopping(
        tmp_path: Path, mock_server: object) -> None:
    # A usage error (an unknown API): exit code 2, why in the summary, the script goes on.
    done, outputs, summary = _action(tmp_path, apis="nope,heidi")
    assert done.returncode == 0
    assert outputs["exit-code"] == "2" and outputs["sarif"] == ""
    assert "could not run (exit code 2)" in summary and "nope" in summary
    done, outputs, _ = _action(tmp_path, live="sometimes")
    assert done.returncode == 2 and "input 'live' must be true or false" in done.stdout


def test_the_action_script_fails_a_live_run_that_proves_nothing(
        tmp_path: Path, mock_server: object, monkeypatch: pytest.MonkeyPatch) -> None:
    server = mock_server("upheal")  # type: ignore[operator]
    monkeypatch.setenv("CONTRACTS_UPHEAL_BASE_URL", server.url)
    monkeypatch.setenv("CONTRACTS_UPHEAL_TOKEN", "contracts-mock-token")
    done, outputs, summary = _action(tmp_path, apis="upheal", live="true",
                                     args="--phases examples --max-examples 1")
    assert done.returncode == 0
    assert outputs["exit-code"] == "1" and outputs["sarif"].endswith("report.sarif")
    assert "## contracts gate: FAILED" in summary and "not proved" in summary


def test_action_yml_is_a_composite_of_install_gate_sarif_upload_and_verdict() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert {"apis", "live", "config"} <= set(action["inputs"])
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert any("pip install" in r for r in runs)
    gate = next(s for s in steps if s.get("id") == "gate")
    assert "scripts/action-gate.sh" in gate["run"]
    assert set(gate["env"]) >= {"INPUT_APIS", "INPUT_LIVE", "INPUT_CONFIG"}
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "always()" in upload["if"] and steps[-1]["if"] == "always()"
    # Inputs reach the shell through env only (no ${{ }} inside a run: no injection).
    assert not any("${{" in r for r in runs)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def _try_repo(repo: Path, hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([str(BIN / "pre-commit"), "try-repo", str(ROOT), hook,
                           "--all-files"], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_hooks_run_on_a_sample_repository(tmp_path: Path) -> None:
    repo, home = tmp_path / "sample", tmp_path / "pre-commit-home"
    (repo / "specs").mkdir(parents=True)
    shutil.copy(bundled_path("heidi"), repo / "specs" / "heidi.yaml")
    _git(repo, "init", "-q", "-b", "main")
    generated = subprocess.run([str(BIN / "contracts"), "generate", "--specs", "specs",
                                "--out", "generated"], cwd=repo, capture_output=True, text=True)
    assert generated.returncode == 0, generated.stderr
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "specs")
    _git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")  # the "base branch"

    for hook in ("contracts-lint", "contracts-generate-check", "contracts-diff"):
        done = _try_repo(repo, hook, home)
        assert done.returncode == 0, (hook, done.stdout, done.stderr)
        assert "Passed" in done.stdout, done.stdout

    # A breaking change (an operation removed) and a schema change (the models go stale).
    spec = repo / "specs" / "heidi.yaml"
    document = yaml.safe_load(spec.read_text())
    del document["paths"]["/sessions/{session_id}"]["patch"]
    schema = next(s for s in document["components"]["schemas"].values()
                  if s.get("type") == "object" and "properties" in s)
    schema["properties"]["added_by_this_change"] = {"type": "string"}
    spec.write_text(yaml.safe_dump(document, sort_keys=False))
    _git(repo, "add", "-A")

    done = _try_repo(repo, "contracts-diff", home)
    assert done.returncode == 1 and "Failed" in done.stdout, done.stdout
    assert "ERR" in done.stdout and "operation.removed" in done.stdout
    done = _try_repo(repo, "contracts-generate-check", home)
    assert done.returncode == 1 and "stale" in done.stdout, done.stdout
