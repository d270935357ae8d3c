"""``contracts validate`` streams its output: the same bytes as the renderers of a whole
CorpusReport, in every format, on clean, failing and broken logs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from contracts.corpus import iter_corpus, validate_corpus
from contracts.findings import Severity
from contracts.reporting import (
    violations_json,
    violations_junit,
    violations_sarif,
    violations_text,
)
from contracts.reporting.stream import write_violations

DATA = Path(__file__).parent / "data" / "exchanges"
LOGS = [[DATA / "sample.jsonl"], [DATA / "broken.jsonl"], [DATA / "sample.har"],
        [DATA / "cassette.yaml"], [DATA / "sample.jsonl", DATA / "broken.har"], []]


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "sarif"])
@pytest.mark.parametrize("paths", LOGS, ids=lambda p: "+".join(x.name for x in p) or "none")
@pytest.mark.parametrize("strict", [False, True])
def test_streamed_output_is_the_whole_report_rendered(fmt: str, paths: list[Path],
                                                      strict: bool) -> None:
    for api in ("heidi", "eka"):
        whole = validate_corpus(api, paths, strict=strict)
        expected = {
            "text": lambda r=whole: violations_text(r, show_values=True),
            "json": lambda r=whole: violations_json(r, show_values=True),
            "junit": lambda r=whole: violations_junit(r, fail_on=Severity.WARNING,
                                                      show_values=True),
            "sarif": lambda r=whole: violations_sarif(r, show_values=True),
        }[fmt]()
        out = io.StringIO()
        summary = write_violations(iter_corpus(api, paths, strict=strict), fmt, out,
                                   fail_on=Severity.WARNING, show_values=True)
        assert out.getvalue() == expected
        assert summary.exchanges == whole.exchanges
        assert summary.problems == whole.problems
        assert summary.failed == bool(whole.failing(Severity.WARNING))
