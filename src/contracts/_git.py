"""Reading a file as it was at a git revision (for ``contracts diff --base REF``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .errors import InputError

__all__ = ["file_at"]


def file_at(path: Path, ref: str) -> str | None:
    """The text of ``path`` at revision ``ref`` of the repository it is in; None when the file
    did not exist there (a new spec). :class:`InputError` when git cannot answer (not a
    repository, an unknown revision, git missing)."""
    if ref.startswith("-"):
        raise InputError(f"--base {ref!r} is not a revision", source=str(path))
    where = path.resolve().parent
    try:
        known = subprocess.run(["git", "-C", str(where), "rev-parse", "--verify", "--quiet",
                                f"{ref}^{{commit}}"], capture_output=True, text=True,
                               timeout=30, check=False)
        if known.returncode != 0:
            raise InputError(f"--base {ref!r}: no such revision in the repository",
                             source=str(path))
        shown = subprocess.run(["git", "-C", str(where), "show", f"{ref}:./{path.name}"],
                               capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"cannot run git ({exc})", source=str(path)) from None
    if shown.returncode != 0:
        return None
    return shown.stdout.decode("utf-8", errors="replace")
