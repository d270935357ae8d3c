"""``contracts validate`` output written as the records stream in, in constant memory.

The same bytes as :func:`~contracts.reporting.violations_text` / ``_json`` / ``_sarif`` /
``_junit`` of a :class:`~contracts.corpus.CorpusReport` (a test holds them equal), without
keeping the records: text is written line by line; the JSON and SARIF documents spool their
records to a temporary file and are assembled around it at the end (their header counts come
first); JUnit must group every occurrence under its (operation, code) test case, so it keeps
the rendered lines, not the records. Unreadable parts are kept (they are listed last).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from .._text import terminal_safe
from ..corpus import Problem, Record, Skipped
from ..findings import Severity
from ._rendered import RenderedRecords, line_tail, record_dict, renderer

__all__ = ["StreamSummary", "renderer", "write_violations"]

_MARK = "\x00records\x00"

Items = Iterable[Record | RenderedRecords | Problem | Skipped | int]


@dataclass
class StreamSummary:
    exchanges: int = 0
    problems: list[Problem] = field(default_factory=list)
    failed: bool = False
    skipped: dict[str, int] = field(default_factory=dict)


def write_violations(items: Items, fmt: str, out: IO[str], *,
                     fail_on: Severity, show_values: bool = False) -> StreamSummary:
    """Render :func:`contracts.corpus.iter_corpus` output as ``fmt`` on ``out``."""
    summary = StreamSummary()
    if fmt == "json":
        _json(items, out, summary, fail_on, show_values)
    elif fmt == "sarif":
        _sarif(items, out, summary, fail_on, show_values)
    elif fmt == "junit":
        _junit(items, out, summary, fail_on, show_values)
    else:
        _text(items, out, summary, fail_on, show_values)
    return summary


def _records(items: Items, summary: StreamSummary,
             fail_on: Severity) -> Iterable[Record]:
    """The records (SARIF and JUnit render every record in this process)."""
    for item in _entries(items, summary, fail_on):
        if isinstance(item, RenderedRecords):
            raise TypeError(f"records rendered as {item.fmt} where each record is needed")
        yield item


def _entries(items: Items, summary: StreamSummary,
             fail_on: Severity) -> Iterable[Record | RenderedRecords]:
    """The records, and those a worker rendered (:mod:`._rendered`), in input order; the
    counts, skipped lines and problems go to ``summary``."""
    for item in items:
        if isinstance(item, int):
            summary.exchanges = item
        elif isinstance(item, Record):
            if item.violation.severity >= fail_on:
                summary.failed = True
            yield item
        elif isinstance(item, RenderedRecords):
            summary.failed = summary.failed or item.fails(fail_on)
            yield item
        elif isinstance(item, Skipped):
            summary.skipped[item.api] = summary.skipped.get(item.api, 0) + item.count
        else:
            summary.problems.append(item)


def _text(items: Items, out: IO[str], summary: StreamSummary,
          fail_on: Severity, show_values: bool) -> None:
    counts = dict.fromkeys(sorted(Severity, reverse=True), 0)
    for r in _entries(items, summary, fail_on):
        if isinstance(r, RenderedRecords):
            for severity, n in r.counts.items():
                counts[severity] += n
            out.write(r.text())
            continue
        counts[r.violation.severity] += 1
        # What came from the traffic cannot move the cursor: control characters as \xNN.
        out.write(terminal_safe(r.location + line_tail(r.violation, show_values)) + "\n")
    for p in summary.problems:
        out.write(terminal_safe(f"{p.location}: unreadable: {p.message}") + "\n")
    text = ", ".join(f"{n} {s.label}{'s' if n > 1 and s is not Severity.INFO else ''}"
                     for s, n in counts.items() if n)
    out.write(terminal_safe(f"{summary.exchanges} exchange(s) checked: {text or 'no violations'}"
              + (f"; {len(summary.problems)} unreadable" if summary.problems else "")
              + (f"; {sum(summary.skipped.values())} skipped (another API: "
                 f"{', '.join(f'{api} {n}' for api, n in summary.skipped.items())})"
                 if summary.skipped else "")) + "\n")


def _assemble(out: IO[str], document: str, spool: IO[str]) -> None:
    """Write ``document`` with the spooled records in place of the marker (on its own line,
    indented like the records in the spool)."""
    head, _, tail = document.partition(json.dumps(_MARK))
    out.write(head.rstrip(" "))
    spool.seek(0)
    for chunk in iter(lambda: spool.read(1 << 16), ""):
        out.write(chunk)
    out.write(tail)


def _spool(records: Iterable[dict[str, Any] | str], indent: str, *, ensure_ascii: bool = True
           ) -> tuple[IO[str], bool]:
    """Write ``records`` as the items of a JSON array indented by ``indent``, a few hundred
    at a time (one encoder call each: the items of an indented list are the records'
    own indented text, two spaces in); a string is items already written so (by a worker)."""
    import tempfile

    from ._common import indented_json

    spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - the caller closes it
    pad = indent[2:]
    first = True

    def write(text: str) -> None:
        nonlocal first
        if not first:
            spool.write(",\n")
        spool.write(text)
        first = False

    def flush(batch: list[dict[str, Any]]) -> None:
        text = indented_json(batch, ensure_ascii=ensure_ascii)[2:-2]  # without "[\n" "\n]"
        write(pad + text.replace("\n", "\n" + pad))
        batch.clear()

    batch: list[dict[str, Any]] = []
    for record in records:
        if type(record) is str:
            if batch:
                flush(batch)
            write(record)
            continue
        batch.append(record)  # type: ignore[arg-type]  # not a str: a dict
        if len(batch) == 256:
            flush(batch)
    if batch:
        flush(batch)
    return spool, not first


def _json(items: Items, out: IO[str], summary: StreamSummary,
          fail_on: Severity, show_values: bool) -> None:
    from ._common import indented_json  # here: a text report needs none of _common

    records = (r.text() if isinstance(r, RenderedRecords)  # by a worker: see render_json
               else record_dict(r, show_values) for r in _entries(items, summary, fail_on))
    spool, any_records = _spool(records, "    ")
    with spool:
        document = indented_json({
            "exchanges": summary.exchanges,
            "skipped": summary.skipped,
            "violations": [_MARK] if any_records else [],
            "unreadable": [{"source": p.source, "line": p.line, "entry": p.pointer,
                            "message": p.message} for p in summary.problems],
        }) + "\n"
        _assemble(out, document, spool)


def _sarif(items: Items, out: IO[str], summary: StreamSummary,
           fail_on: Severity, show_values: bool) -> None:
    # Here, not at the top: a text report (the default) needs none of the XML or SARIF parts.
    from ._common import SARIF_LEVEL, sarif_log

    rules: dict[str, dict[str, object]] = {}

    def results() -> Iterable[dict[str, Any]]:
        for record in _records(items, summary, fail_on):
            v = record.violation
            rules.setdefault(v.code, {"id": v.code, "name": v.code.replace(".", "_"),
                                      "shortDescription": {"text": v.code}})
            location: dict[str, object] = {"artifactLocation": {"uri": record.source}}
            if record.line is not None:
                location["region"] = {"startLine": record.line}
            yield {
                "ruleId": v.code,
                "level": SARIF_LEVEL[v.severity],
                "message": {"text": v.describe(show_values=show_values)},
                "locations": [{"physicalLocation": location}],
                "partialFingerprints": {"contractsKey": "/".join(v.key)},
            }

    spool, any_records = _spool(results(), " " * 8, ensure_ascii=False)
    with spool:
        _assemble(out, sarif_log(rules, [_MARK] if any_records else []), spool)


def _junit(items: Items, out: IO[str], summary: StreamSummary,
           fail_on: Severity, show_values: bool) -> None:
    from xml.etree import ElementTree as ET

    from ._common import xml_text

    groups: dict[tuple[str, str], tuple[list[Severity], list[str]]] = {}
    for record in _records(items, summary, fail_on):
        v = record.violation
        worst, lines = groups.setdefault((f"{v.api}.{v.operation or 'unknown'}", v.code),
                                         ([v.severity], []))
        worst[0] = max(worst[0], v.severity)
        lines.append(f"{record.location}: {v.describe(show_values=show_values)}")
    suite = ET.Element("testsuite", name="contracts validate", tests=str(max(len(groups), 1)))
    failures = 0
    for (classname, code), (worst, lines) in sorted(groups.items()):
        case = ET.SubElement(suite, "testcase", classname=classname, name=code)
        if worst[0] >= fail_on:
            failures += 1
            ET.SubElement(case, "failure", message=f"{len(lines)} x {code}").text = \
                "\n".join(lines)
        else:
            ET.SubElement(case, "system-out").text = "\n".join(lines)
    for problem in summary.problems:
        case = ET.SubElement(suite, "testcase", classname="contracts.input",
                             name=problem.location)
        ET.SubElement(case, "error", message=problem.message)
    if not groups and not summary.problems:
        ET.SubElement(suite, "testcase", classname="contracts.validate",
                      name=f"{summary.exchanges} exchange(s)")
    suite.set("failures", str(failures))
    suite.set("errors", str(len(summary.problems)))
    out.write(xml_text(suite))  # characters XML 1.0 forbids written as \xNN, as junit does
