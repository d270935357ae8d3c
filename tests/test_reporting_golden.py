"""Every report renderer's output, byte for byte, against files written before the reporting
package was split by format (tests/data/reports/). A change to a report is a change to these
files, made on purpose: regenerate with ``python tests/test_reporting_golden.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import _reports


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(_reports.ROOT)
        return {name: _portable(render()) for name, render in
                _reports.renderings(tmp_path_factory.mktemp("specs")).items()}


def _portable(text: str) -> str:
    """Reports name the bundled specs by absolute URI: the golden files hold the checkout's
    place as ``file://ROOT`` so that they compare on any clone."""
    return text.replace(_reports.ROOT.resolve().as_uri(), "file://ROOT")


@pytest.mark.parametrize("name", sorted(p.name for p in _reports.GOLDEN.iterdir()))
def test_report_is_byte_for_byte_unchanged(rendered: dict[str, str], name: str) -> None:
    expected = (_reports.GOLDEN / name).read_bytes().decode("utf-8")
    assert rendered[name] == expected


def test_every_rendering_has_a_golden_file(rendered: dict[str, str]) -> None:
    assert set(rendered) == {p.name for p in _reports.GOLDEN.iterdir()}


if __name__ == "__main__":  # regenerate the golden files (on purpose only)
    import os
    import tempfile

    os.chdir(_reports.ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        for file_name, render in _reports.renderings(Path(tmp)).items():
            (_reports.GOLDEN / file_name).write_bytes(_portable(render()).encode("utf-8"))
