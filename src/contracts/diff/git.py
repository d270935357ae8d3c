"""The old version of a spec, read from git (``contracts diff --base REV SPEC``)."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError

__all__ = ["spec_at_revision"]


def _git(folder: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              check=False, timeout=60)
    except FileNotFoundError:
        raise InputError("git is not installed", hint="install git or pass OLD_SPEC") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"git {args[0]} took longer than 60 s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"git {args[0]} failed: {message[-1] if message else 'no output'}")
    return done.stdout


@contextmanager
def spec_at_revision(rev: str, spec: str | Path) -> Iterator[tuple[Path, Path, str]]:
    """``spec`` (a path in a git work tree) as it was at ``rev``: the path of a temporary
    copy of its folder at that revision (so that relative ``$ref``s to sibling files
    resolve), the copy's root, and ``REV:`` (what that root stands for)."""
    path = Path(spec).resolve()
    if not path.parent.is_dir():
        raise InputError(f"no such folder {path.parent}", source=str(spec))
    try:
        top = Path(_git(path.parent, "rev-parse", "--show-toplevel").decode().strip())
    except InputError:
        raise InputError(f"{spec} is not inside a git repository",
                         hint="--base reads the old spec from git; pass OLD_SPEC instead"
                         ) from None
    if rev.startswith("-") or not rev.strip():
        raise InputError(f"not a revision: {rev!r}")
    try:
        _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except InputError:
        raise InputError(f"unknown git revision {rev!r}", hint="a branch, tag or commit"
                         ) from None
    relative = path.relative_to(top)
    folder = relative.parent.as_posix() or "."
    archive = _git(top, "archive", "--format=tar", rev, "--", folder)
    with tempfile.TemporaryDirectory(prefix="contracts-base-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        old = Path(tmp) / relative
        if not old.is_file():
            raise InputError(f"{relative.as_posix()} does not exist at {rev}")
        yield old, Path(tmp).resolve(), f"{rev}:"
