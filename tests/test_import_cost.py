"""Importing the library loads no network stack, test runner or terminal UI: a one-body
``contracts validate`` and a library user pay for the validation engine only."""

from __future__ import annotations

import subprocess
import sys

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
