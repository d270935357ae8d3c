"""`contracts diff` on small spec pairs of our own (tests/data/diff/NAME/{old,new}.yaml, with
the findings expected in expect.yaml): widening is never ERR, 2020-12 keywords and webhooks
are compared, meaning not spelling, one finding per shared-component change; and where users
review changes: GitHub annotations, the pull-request Markdown, --base REV from git."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.cli import run
from contracts.diff import diff_specs

DATA = Path(__file__).parent / "data" / "diff"
PAIRS = sorted(p.name for p in DATA.iterdir() if (p / "expect.yaml").is_file())


def _found(old: Path, new: Path) -> list[dict[str, Any]]:
    return [{"rule": c.rule, "grade": c.grade_label, "pointer": c.pointer,
             **({"reach": len({r.split(': ', 1)[0] for r in c.reach})} if c.reach else {})}
            for c in diff_specs(old, new).changes]


@pytest.mark.parametrize("name", PAIRS)
def test_pair(name: str) -> None:
    folder = DATA / name
    expected = yaml.safe_load((folder / "expect.yaml").read_text("utf-8"))
    found = _found(folder / "old.yaml", folder / "new.yaml")
    key = lambda f: (f["rule"], f["pointer"])  # noqa: E731
    assert sorted(found, key=key) == sorted(expected, key=key)


def test_every_pair_has_its_own_folder() -> None:
    assert len(PAIRS) >= 20
    for name in PAIRS:
        assert {p.name for p in (DATA / name).iterdir()} >= {"old.yaml", "new.yaml"}


def test_widening_is_never_an_error() -> None:
    for name in ("widen-oneof-null", "auth-removed", "same-ref-inlined"):
        found = _found(DATA / name / "old.yaml", DATA / name / "new.yaml")
        assert all(f["grade"] != "ERR" for f in found), (name, found)


def test_a_shared_change_lists_every_place_it_reaches() -> None:
    folder = DATA / "shared-component-enum"
    (change,) = diff_specs(folder / "old.yaml", folder / "new.yaml").changes
    assert change.operation == "schema Pet" and change.component == "Pet#/kind"
    assert sorted(change.reach) == ["createPet: response.200.body/kind",
                                    "getPet: response.200.body/kind",
                                    "putPet: response.200.body/kind"]
    assert "reaches 3 places in 3 operation(s)" in change.message
    assert change.line is not None and change.source.endswith("new.yaml")
    assert change.as_dict()["reach_count"] == 3


def _cli(*args: str) -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    code = run(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_github_annotations_carry_file_and_line() -> None:
    folder = DATA / "then-required-field"
    code, out, err = _cli("diff", str(folder / "old.yaml"), str(folder / "new.yaml"),
                          "--format", "github")
    assert (code, err) == (1, "")
    (line,) = out.splitlines()
    assert line.startswith("::error file=") and ",line=" in line
    assert "title=ERR request.field.added.required::createPet: " in line
    assert "new.yaml" in line.split(",", 1)[0]


def test_github_annotation_escapes_newlines_and_percent(tmp_path: Path) -> None:
    from contracts.reporting import drift_github

    folder = DATA / "webhook-removed"
    diff = diff_specs(folder / "old.yaml", folder / "new.yaml")
    change = diff.changes[0]
    from dataclasses import replace
    text = drift_github(replace(diff, changes=(replace(change, message="50%\nsecond"),)))
    assert text.rstrip("\n").endswith("::webhook petAdopted (POST): 50%25%0Asecond")
    assert text.count("\n") == 1


def test_markdown_is_a_pull_request_comment() -> None:
    folder = DATA / "shared-component-enum"
    code, out, _err = _cli("diff", str(folder / "old.yaml"), str(folder / "new.yaml"),
                           "--format", "markdown", "--fail-on", "WARN")
    assert code == 1
    assert out.startswith("## contracts diff: 1 WARN")
    assert "No breaking change for clients" in out
    assert "<details><summary>May break clients (WARN): 1</summary>" in out
    assert "schema Pet (3 places in 3 operations)" in out


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    folder = DATA / "then-required-field"
    (tmp_path / "specs").mkdir()
    shutil.copy(folder / "old.yaml", tmp_path / "specs" / "api.yaml")

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.email=t@example.com",
                        "-c", "user.name=t", *args], check=True, capture_output=True)
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "base")
    shutil.copy(folder / "new.yaml", tmp_path / "specs" / "api.yaml")
    return tmp_path


def test_base_reads_the_old_spec_from_git(repo: Path) -> None:
    code, out, err = _cli("diff", "--base", "HEAD", str(repo / "specs" / "api.yaml"),
                          "--format", "json")
    assert (code, err) == (1, "")
    data = yaml.safe_load(out)
    assert data["old"] == f"HEAD:{repo / 'specs' / 'api.yaml'}"
    assert [c["rule"] for c in data["changes"]] == ["request.field.added.required"]


def test_base_with_an_unknown_revision_or_outside_a_repo(repo: Path, tmp_path: Path) -> None:
    code, out, err = _cli("diff", "--base", "no-such-rev", str(repo / "specs" / "api.yaml"))
    assert (code, out) == (2, "") and "no such revision" in err
    assert len(err.strip().splitlines()) == 1
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    shutil.copy(DATA / "auth-removed" / "old.yaml", outside / "api.yaml")
    code, out, err = _cli("diff", "--base", "HEAD", str(outside / "api.yaml"))
    assert (code, out) == (2, "") and len(err.strip().splitlines()) == 1


def test_base_annotations_point_at_the_work_tree_file(repo: Path) -> None:
    code, out, _err = _cli("diff", "--base", "HEAD", str(repo / "specs" / "api.yaml"),
                           "--format", "github")
    assert code == 1
    assert out.startswith("::error file=") and "api.yaml" in out.split(",", 1)[0]


PAIRS_30 = sorted(p.name for p in DATA.iterdir() if (p / "old.30.yaml").is_file())


@pytest.mark.parametrize("name", PAIRS_30)
def test_pair_in_openapi_30(name: str) -> None:
    """The same pairs written in OpenAPI 3.0 (``nullable``, no type arrays) give the same
    findings, and 3.0's ``nullable`` is compared as a null type."""
    from contracts.errors import SpecError
    from contracts.specs import load_spec

    folder = DATA / name
    try:
        load_spec(folder / "old.30.yaml")
    except SpecError as exc:
        if "3.0" in str(exc) and "not supported" in str(exc):
            pytest.skip("OpenAPI 3.0 does not load on this branch yet")
        raise
    expect = folder / ("expect.30.yaml" if (folder / "expect.30.yaml").exists()
                       else "expect.yaml")
    expected = yaml.safe_load(expect.read_text("utf-8"))
    found = _found(folder / "old.30.yaml", folder / "new.30.yaml")
    key = lambda f: (f["rule"], f["pointer"])  # noqa: E731
    assert sorted(found, key=key) == sorted(expected, key=key)


def test_there_are_openapi_30_pairs() -> None:
    assert len(PAIRS_30) >= 9
