"""Traffic drift (recorded exchanges against a spec) and baseline drift (two recordings):
every rule fires on its departure, findings aggregate with counts and first/last seen, values
stay out of reports unless asked, waivers and history work across runs, suggestions document the
drift, and a round trip through the drifting mock finds exactly what it injected."""

from __future__ import annotations

import datetime
import io
import itertools
import json
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import pytest

from _support import CLI
from contracts import Severity, load_spec
from contracts._loading import dump_document, parse_document
from contracts.cli import run
from contracts.drift import (
    TRAFFIC_RULES,
    HistoryMark,
    TrafficReport,
    apply_waivers,
    baseline_drift,
    load_waivers,
    record_history,
    suggest_spec,
    traffic_drift,
)
from contracts.errors import InputError
from contracts.exchanges import Exchange, read_exchanges, write_exchanges
from contracts.redaction import Redactor

DOCS = Path(__file__).parents[1] / "docs" / "drift.md"
LABEL = {Severity.ERROR: "ERR", Severity.WARNING: "WARN", Severity.INFO: "INFO"}

SPEC = """\
openapi: 3.1.0
info: {title: Items, version: "1"}
servers: [{url: "https://api.example.com"}]
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: the item
          headers:
            x-rate:
              required: true
              schema: {type: integer}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Item"}
        "404":
          description: no such item
          content:
            application/json:
              schema: {type: object, properties: {error: {type: string}}}
  /items:
    get:
      operationId: listItems
      responses:
        "200":
          description: the items
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items: {type: array, items: {$ref: "#/components/schemas/Item"}}
components:
  schemas:
    Item:
      type: object
      required: [item_id, state, count]
      properties:
        item_id: {type: string}
        state: {type: string, enum: [open, closed]}
        count: {type: integer, minimum: 0}
        created: {type: string, format: date-time}
        note: {type: string}
        tag: {not: {type: integer}}
        secret: {type: string, writeOnly: true}
"""
ITEM = {"item_id": "i-1", "state": "open", "count": 1}
HEADERS = {"content-type": "application/json", "x-rate": "5"}
URL = "https://api.example.com/items/i-1"


@pytest.fixture
def spec_path(tmp_path: Path) -> Path:
    path = tmp_path / "items.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def ex(body: Any = None, *, status: int = 200, url: str = URL, headers: Any = None,
       time: str | None = None, line: int | None = None, method: str = "GET") -> Exchange:
    return Exchange(method, url, status, response_headers=HEADERS if headers is None else headers,
                    response_body=json.dumps(ITEM if body is None else body).encode()
                    if not isinstance(body, bytes) else body,
                    time=time, source="log.jsonl", line=line)


def write_log(path: Path, exchanges: Iterable[Exchange]) -> Path:
    with path.open("wb") as fh:
        write_exchanges(fh, exchanges, redactor=Redactor(enabled=False))
    return path


# -- every rule -------------------------------------------------------------------------------
@dataclass
class Case:
    rule: str
    grade: str
    exchange: Exchange
    pointer: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case("drift.operation.undocumented", "WARN",
         ex(url="https://api.example.com/widgets/12345678", method="DELETE")),
    Case("drift.status.undocumented", "WARN", ex(status=418), "/418"),
    Case("drift.content_type.undocumented", "ERR",
         ex(b"<html>", headers={"content-type": "text/html", "x-rate": "5"}), "/text~1html"),
    Case("drift.body.not_json", "ERR", ex(b"{oops")),
    Case("drift.body.missing", "ERR", ex(b"")),
    Case("drift.header.missing", "WARN", ex(headers={"content-type": "application/json"}),
         "/x-rate"),
    Case("drift.header.invalid", "WARN",
         ex(headers={"content-type": "application/json", "x-rate": "many"}), "/x-rate"),
    Case("drift.field.missing_required", "ERR", ex({"item_id": "i-1", "state": "open"}),
         "/count"),
    Case("drift.field.renamed", "ERR", ex({"itemId": "i-1", "state": "open", "count": 1}),
         "/itemId"),
    Case("drift.field.type_changed", "ERR", ex({**ITEM, "count": "3"}), "/count"),
    Case("drift.field.became_nullable", "ERR", ex({**ITEM, "note": None}), "/note"),
    Case("drift.enum.new_value", "WARN", ex({**ITEM, "state": "archived"}), "/state"),
    Case("drift.field.format_changed", "WARN", ex({**ITEM, "created": "yesterday"}),
         "/created"),
    Case("drift.field.constraint", "WARN", ex({**ITEM, "count": -1}), "/count"),
    Case("drift.schema.mismatch", "WARN", ex({**ITEM, "tag": 5}), "/tag"),
    Case("drift.field.undocumented", "INFO", ex({**ITEM, "extra": [1]}), "/extra"),
    Case("drift.field.write_only", "ERR", ex({**ITEM, "secret": "s3cr3t"}), "/secret"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule)
def test_rule_fires_on_its_departure(spec_path: Path, case: Case) -> None:
    report = traffic_drift(spec_path, [case.exchange])
    assert [(f.rule, f.grade_label) for f in report.findings] == [(case.rule, case.grade)]
    finding = report.findings[0]
    assert finding.pointer == case.pointer
    assert (finding.count, finding.total) == (1, 1)
    assert TRAFFIC_RULES[case.rule][0] is finding.grade


def test_a_conforming_exchange_has_no_findings(spec_path: Path) -> None:
    report = traffic_drift(spec_path, [ex(), ex({"error": "gone"}, status=404)])
    assert report.exchanges == 2 and report.findings == ()


def test_every_traffic_rule_has_a_case_or_its_own_test() -> None:
    own_tests = ({"drift.waiver.expired", "drift.waiver.unused"}
                 | {r for r in TRAFFIC_RULES if r.startswith("baseline.")})
    assert {c.rule for c in CASES} | own_tests == set(TRAFFIC_RULES)


def test_docs_tables_match_the_rules() -> None:
    rows = re.findall(r"^\| (ERR|WARN|INFO) \| `([a-z_.]+)` \| ", DOCS.read_text("utf-8"),
                      flags=re.M)
    documented = {rule: grade for grade, rule in rows}
    assert len(rows) == len(documented), "a rule is documented twice"
    assert documented == {rule: LABEL[grade] for rule, (grade, _) in TRAFFIC_RULES.items()}


def test_undocumented_status_is_judged_by_the_body_it_fits(tmp_path: Path) -> None:
    # 203 is undocumented; the body is a 202 body: one status finding, no body cascade.
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.replace('''        "404":
          description: no such item''', '''        "202":
          description: accepted
          content:
            application/json:
              schema: {type: object, required: [job], properties: {job: {type: string}}}
        "404":
          description: no such item'''), encoding="utf-8")
    report = traffic_drift(spec, [ex({"job": "j-1"}, status=203)])
    assert [(f.rule, f.pointer) for f in report.findings] == [
        ("drift.status.undocumented", "/203")]


# -- aggregation ------------------------------------------------------------------------------
def _listing(states: list[str], n: int) -> Exchange:
    items = [{**ITEM, "item_id": f"i-{i}", "state": s} for i, s in enumerate(states)]
    return ex({"items": items}, url="https://api.example.com/items",
              time=f"2026-03-0{n}T10:00:00Z", line=n)


def test_findings_aggregate_per_operation_and_pointer(spec_path: Path) -> None:
    log = [_listing(["open", "open", "open"], 1), _listing(["archived", "open", "gone"], 2),
           _listing(["open", "closed", "open"], 3), _listing(["open", "open", "archived"], 4),
           _listing(["open"], 5), ex(line=6, time="2026-03-09T00:00:00Z")]
    report = traffic_drift(spec_path, log)
    assert report.exchanges == 6
    (finding,) = report.findings
    assert (finding.rule, finding.operation, finding.location, finding.pointer) == (
        "drift.enum.new_value", "listItems", "response.200.body", "/items/*/state")
    assert (finding.count, finding.total) == (2, 5)  # exchanges, not occurrences
    assert (finding.first_seen, finding.last_seen) == ("2026-03-02T10:00:00Z",
                                                       "2026-03-04T10:00:00Z")
    assert (finding.first_at, finding.last_at) == ("log.jsonl:2", "log.jsonl:4")
    assert finding.values == ()  # not collected unless asked
    again = traffic_drift(spec_path, list(reversed(log)), collect_values=True)
    (same,) = again.findings
    assert (same.key, same.count, same.total, same.first_seen, same.last_seen) == (
        finding.key, finding.count, finding.total, finding.first_seen, finding.last_seen)
    assert set(same.values) == {"archived", "gone"}


def test_report_is_ranked_worst_first(spec_path: Path) -> None:
    report = traffic_drift(spec_path, [ex({**ITEM, "extra": 1, "state": "x", "count": "1"})])
    grades = [f.grade for f in report.findings]
    assert grades == sorted(grades, reverse=True) and len(grades) == 3


# -- values stay out of reports ----------------------------------------------------------------
CANARY = "CANARY-7731-PATIENT"
FORMATS = ["table", "markdown", "json", "junit", "sarif", "html"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_values_are_printed_only_with_show_values(spec_path: Path, tmp_path: Path,
                                                  fmt: str, cli: CLI) -> None:
    log = write_log(tmp_path / "log.jsonl", [
        ex({**ITEM, "state": CANARY, "count": CANARY, "extra": CANARY, "note": None},
           time="2026-01-01T00:00:00Z")])
    assert CANARY in log.read_text()
    code, out, err = cli("drift", "--api", spec_path, log, "--format", fmt)
    assert code == 1 and out
    assert CANARY not in out + err
    code, out, _err = cli("drift", "--api", spec_path, log, "--format", fmt, "--show-values")
    assert code == 1 and CANARY in out


# -- outputs and exit codes -------------------------------------------------------------------
@pytest.fixture
def mixed_log(tmp_path: Path) -> Path:
    return write_log(tmp_path / "mixed.jsonl", [
        ex({**ITEM, "count": "3"}, line=1), ex({**ITEM, "state": "new"}, line=2),
        ex({**ITEM, "extra": 1}, line=3)])


def test_json_output(spec_path: Path, mixed_log: Path, cli: CLI) -> None:
    code, out, _ = cli("drift", "--api", spec_path, mixed_log, "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert data["counts"] == {"ERR": 1, "WARN": 1, "INFO": 1}
    assert data["exchanges"] == 3
    assert {f["rule"] for f in data["findings"]} == {
        "drift.field.type_changed", "drift.enum.new_value", "drift.field.undocumented"}
    assert all("values" not in f for f in data["findings"])


def test_junit_and_sarif_outputs(spec_path: Path, mixed_log: Path, cli: CLI) -> None:
    _code, out, _ = cli("drift", "--api", spec_path, mixed_log, "--format", "junit",
                        "--fail-on", "WARN")
    suite = ET.fromstring(out.split("\n", 1)[1])
    assert suite.get("failures") == "1"
    assert [c.get("name") for c in suite.iter("testcase")] == ["getItem"]
    _code, out, _ = cli("drift", "--api", spec_path, mixed_log, "--format", "sarif")
    sarif = json.loads(out)
    results = sarif["runs"][0]["results"]
    assert sorted(r["level"] for r in results) == ["error", "note", "warning"]
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results} == {
        1, 2, 3}


def test_markdown_table_and_html_outputs(spec_path: Path, mixed_log: Path, cli: CLI) -> None:
    _code, md, _ = cli("drift", "--api", spec_path, mixed_log, "--format", "markdown")
    assert md.startswith("## contracts drift (traffic drift) of items: 1 ERR, 1 WARN, 1 INFO")
    assert "| ERR | `drift.field.type_changed` | getItem | `response.200.body/count` | 1/3 |" in md
    _code, table, _ = cli("drift", "--api", spec_path, mixed_log)
    assert "drift.field.type_changed" in table and "3 exchange(s)" in table
    _code, page, _ = cli("drift", "--api", spec_path, mixed_log, "--format", "html")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "drift.enum.new_value" in page


@pytest.mark.parametrize(("fail_on", "code"), [("ERR", 0), ("WARN", 0), ("INFO", 1)])
def test_fail_on_sets_the_exit_code(spec_path: Path, tmp_path: Path, fail_on: str,
                                    code: int, cli: CLI) -> None:
    log = write_log(tmp_path / "info.jsonl", [ex({**ITEM, "extra": 1})])
    assert cli("drift", "--api", spec_path, log, "--fail-on", fail_on)[0] == code


def test_clean_traffic_exits_zero(spec_path: Path, tmp_path: Path, cli: CLI) -> None:
    log = write_log(tmp_path / "clean.jsonl", [ex(), ex()])
    code, out, err = cli("drift", "--api", spec_path, log, "--fail-on", "INFO")
    assert (code, err) == (0, "") and "no drift" in out


def test_broken_lines_mid_file_leave_the_rest_analysed(spec_path: Path, tmp_path: Path,
                                                       cli: CLI) -> None:
    log = write_log(tmp_path / "broken.jsonl", [ex({**ITEM, "extra": 1}, line=n)
                                                for n in range(4)])
    lines = log.read_text().splitlines()
    lines[1] = '{"version": 1, "request": {"method": "GET", "url": '
    lines.insert(3, "\x00 not json at all")
    log.write_text("\n".join(lines) + "\n")
    code, out, err = cli("drift", "--api", spec_path, log, "--format", "json")
    data = json.loads(out)
    assert data["exchanges"] == 3 and data["unreadable"]["count"] == 2
    assert data["findings"][0]["count"] == 3
    assert code == 2  # nothing at ERR, but the input was not all readable
    assert len(err.strip().splitlines()) == 1 and "2 unreadable" in err and ":2:" in err
    assert cli("drift", "--api", spec_path, log, "--fail-on", "INFO")[0] == 1


@pytest.mark.parametrize("argv", [
    ["drift", "--api", "items.yaml"],                                  # nothing to read
    ["drift", "--api", "items.yaml", "missing.jsonl"],                 # no such corpus
    ["drift", "--api", "acme", "log.jsonl"],                           # unknown API
    ["drift", "--api", "items.yaml", "--baseline", "log.jsonl", "log.jsonl", "log.jsonl"],
    ["drift", "--api", "items.yaml", "log.jsonl", "--fail-on", "sometimes"],
    ["drift", "--api", "items.yaml", "log.jsonl", "--history", "log.jsonl"],  # not SQLite
])
def test_usage_and_input_errors_exit_2_with_one_line(spec_path: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     argv: list[str], cli: CLI) -> None:
    monkeypatch.chdir(tmp_path)
    write_log(tmp_path / "log.jsonl", [ex()])
    code, _out, err = cli(*argv)
    assert code == 2 and "Traceback" not in err
    # one line: ours, or click's usage block ending in its one "Error:" line
    last = err.strip().splitlines()[-1]
    assert last.startswith(("contracts: error: ", "Error: "))
    assert len(err.strip().splitlines()) == 1 or err.startswith("Usage: ")


# -- waivers ----------------------------------------------------------------------------------
WAIVERS = """\
- code: drift.field.undocumented
  operation: getItem
  pointer: /extra
  reason: vendor ticket 42
  expires: 2026-06-30
- code: drift.enum.*
  reason: known new state, fixed in the next release
  expires: 2026-01-31
"""


def test_waivers_silence_until_they_expire(spec_path: Path, tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text(WAIVERS)
    waivers = load_waivers(tmp_path / "w.yaml")
    report = traffic_drift(spec_path, [ex({**ITEM, "extra": 1, "state": "new"})])
    june = apply_waivers(report, waivers, today=datetime.date(2026, 6, 30))
    assert [f.rule for f, _w in june.waived] == ["drift.field.undocumented"]
    assert sorted(f.rule for f in june.findings) == ["drift.enum.new_value",
                                                     "drift.waiver.expired"]
    expired = next(f for f in june.findings if f.rule == "drift.waiver.expired")
    assert expired.grade is Severity.INFO and "2026-01-31" in expired.message
    assert "matches 1 finding" in expired.message
    january = apply_waivers(report, waivers, today=datetime.date(2026, 1, 15))
    assert sorted(f.rule for f, _w in january.waived) == ["drift.enum.new_value",
                                                          "drift.field.undocumented"]
    assert january.findings == ()
    july = apply_waivers(report, waivers, today=datetime.date(2026, 7, 1))
    assert july.waived == ()
    assert [f.rule for f in july.findings].count("drift.waiver.expired") == 2


def test_waivers_given_as_a_generator_still_report_the_expired_ones(spec_path: Path,
                                                                    tmp_path: Path) -> None:
    (tmp_path / "w.yaml").write_text(WAIVERS)
    waivers = load_waivers(tmp_path / "w.yaml")
    report = traffic_drift(spec_path, [ex({**ITEM, "extra": 1, "state": "new"})])
    june = apply_waivers(report, (w for w in waivers), today=datetime.date(2026, 6, 30))
    assert [f.rule for f, _w in june.waived] == ["drift.field.undocumented"]
    assert sorted(f.rule for f in june.findings) == ["drift.enum.new_value",
                                                     "drift.waiver.expired"]


def test_a_waiver_that_silenced_nothing_is_reported_as_unused(spec_path: Path,
                                                              tmp_path: Path, cli: CLI) -> None:
    (tmp_path / "w.yaml").write_text(WAIVERS)
    waivers = load_waivers(tmp_path / "w.yaml")
    fixed = traffic_drift(spec_path, [ex({**ITEM, "state": "new"})])  # no undocumented field
    june = apply_waivers(fixed, waivers, today=datetime.date(2026, 6, 30))
    assert sorted(f.rule for f in june.findings) == [
        "drift.enum.new_value", "drift.waiver.expired", "drift.waiver.unused"]
    unused = next(f for f in june.findings if f.rule == "drift.waiver.unused")
    assert unused.grade is Severity.INFO and unused.pointer == "/0"
    assert unused.first_at.endswith("w.yaml#/0") and "vendor ticket 42" in unused.message
    # A waiver that silenced something is not unused; nor is a clean run's expired one.
    january = apply_waivers(fixed, waivers, today=datetime.date(2026, 1, 15))
    assert [f.rule for f in january.findings] == ["drift.waiver.unused"]
    assert [f.rule for f, _w in january.waived] == ["drift.enum.new_value"]
    log = write_log(tmp_path / "log.jsonl", [ex()])
    code, out, _ = cli("drift", "--api", spec_path, log, "--waivers", tmp_path / "w.yaml")
    assert code == 0 and "drift.waiver" in out
    assert cli("drift", "--api", spec_path, log, "--waivers", tmp_path / "w.yaml",
               "--fail-on", "INFO")[0] == 1


def test_default_waiver_file_is_used_from_the_working_folder(spec_path: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             cli: CLI
                                                             ) -> None:
    log = write_log(tmp_path / "log.jsonl", [ex({**ITEM, "extra": 1})])
    monkeypatch.chdir(tmp_path)
    assert cli("drift", "--api", spec_path, log, "--fail-on", "INFO")[0] == 1
    (tmp_path / "waivers").mkdir()
    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    (tmp_path / "waivers" / "items.yaml").write_text(
        f"- {{code: drift.field.undocumented, reason: known, expires: {future}}}\n")
    code, out, _ = cli("drift", "--api", spec_path, log, "--fail-on", "INFO")
    assert code == 0 and "waived until" in out and "known" in out


@pytest.mark.parametrize("text", [
    "code: x\n",                                                         # not a list
    "- {code: x, expires: 2026-01-01}\n",                                # no reason
    "- {code: x, reason: r, expires: soon}\n",                           # not a date
    "- {code: x, reason: r, expires: 2026-01-01, scope: all}\n",         # unknown key
    "- [not, a, mapping]\n",
    "- {code: x, reason: r, expires: 2026-01-01\n",                      # broken YAML
])
def test_invalid_waiver_files_exit_2(spec_path: Path, tmp_path: Path, text: str, cli: CLI) -> None:
    (tmp_path / "w.yaml").write_text(text)
    with pytest.raises(InputError):
        load_waivers(tmp_path / "w.yaml")
    log = write_log(tmp_path / "log.jsonl", [ex()])
    code, _out, err = cli("drift", "--api", spec_path, log, "--waivers", tmp_path / "w.yaml")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "w.yaml" in err


# -- history ----------------------------------------------------------------------------------
def test_history_across_runs(spec_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    first = traffic_drift(spec_path, [ex({**ITEM, "extra": 1, "count": "1"})])
    one = record_history(db, first, now="2026-02-01T00:00:00+00:00")
    assert {m.runs for m in one.history.values()} == {1} and one.resolved == ()
    second = traffic_drift(spec_path, [ex({**ITEM, "extra": 1, "state": "new"})])
    two = record_history(db, second, now="2026-02-02T00:00:00+00:00")
    marks = {f.rule: two.history[f.key_text] for f in two.findings}
    assert marks["drift.field.undocumented"] == HistoryMark(
        "2026-02-01T00:00:00+00:00", "2026-02-02T00:00:00+00:00", 2)
    assert marks["drift.enum.new_value"].runs == 1
    (gone,) = two.resolved
    assert (gone.rule, gone.pointer, gone.last_seen, gone.resolved_since) == (
        "drift.field.type_changed", "/count", "2026-02-01T00:00:00+00:00",
        "2026-02-02T00:00:00+00:00")
    assert [(t.errors, t.warnings, t.infos) for t in two.trend] == [(1, 0, 1), (0, 1, 1)]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == 4


def test_history_in_the_reports(spec_path: Path, tmp_path: Path, cli: CLI) -> None:
    db = tmp_path / "h.sqlite"
    a = write_log(tmp_path / "a.jsonl", [ex({**ITEM, "count": "1", "extra": 1})])
    b = write_log(tmp_path / "b.jsonl", [ex({**ITEM, "extra": 1})])
    cli("drift", "--api", spec_path, a, "--history", db)
    code, page, _ = cli("drift", "--api", spec_path, b, "--history", db, "--format", "html")
    assert code == 0
    assert "<svg" in page and "Trend" in page and "Resolved" in page
    assert "(2 runs)" in page
    _code, md, _ = cli("drift", "--api", spec_path, b, "--history", db, "--format", "markdown")
    assert "### Resolved" in md and "(3 runs)" in md
    data = json.loads(cli("drift", "--api", spec_path, b, "--history", db, "--format",
                          "json")[1])
    assert len(data["trend"]) == 4 and data["findings"][0]["history"]["runs"] == 4


# -- the drifting mock round trip -------------------------------------------------------------
def _tours() -> dict[str, Callable[..., None]]:
    from test_mock_contract import TOURS

    return TOURS


def _record(api: str, drift: str, requests: list[httpx.Request] | None = None
            ) -> list[httpx.Response]:
    """Drive every operation of ``api`` (the contract tour) against a mock on loopback; with
    ``requests``, replay those instead (the tour reads ids from answers that drift may move,
    and the mock is deterministic, so replaying the plain tour reaches the same resources)."""
    from contracts.mock import DEFAULT_TOKEN, MockServer, app, base_urls

    log: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        log.append(response)

    hooks = {"response": [keep]}
    with MockServer(app(api, drift=drift)) as server:
        if requests is not None:
            with httpx.Client(event_hooks=hooks) as client:
                for r in requests:
                    client.request(r.method, server.url + r.url.raw_path.decode(),
                                   headers=r.headers, content=r.content)
            return log
        base = server.url if api in ("eka", "realtimekit") else base_urls([api],
                                                                           server.url)[api]
        auth = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        with httpx.Client(base_url=base, headers=auth, event_hooks=hooks) as c, \
                httpx.Client(base_url=base, event_hooks=hooks) as anon:
            _tours()[api](c, anon)
    return log


def _log(tmp_path: Path, name: str, responses: list[httpx.Response]) -> Path:
    exchanges = [Exchange(r.request.method, str(r.request.url), r.status_code,
                          dict(r.request.headers), r.request.content or None, dict(r.headers),
                          r.content, time=f"2026-04-01T00:{i // 60:02d}:{i % 60:02d}Z")
                 for i, r in enumerate(responses)]
    path = tmp_path / f"{name}.jsonl"
    with path.open("wb") as fh:
        write_exchanges(fh, exchanges)  # redacted, as a recording proxy would write it
    return path


@pytest.fixture(scope="module")
def plain_tours() -> dict[str, list[httpx.Response]]:
    return {api: _record(api, "") for api in ("upheal", "heidi", "eka", "realtimekit")}


KIND_RULES = {
    "type-changed": {"drift.field.type_changed"},
    "field-added": {"drift.field.undocumented"},
    "field-renamed": {"drift.field.renamed"},
    "status-code": {"drift.status.undocumented"},
    # Departures the spec may allow: a removed optional field, a new value in a field that
    # has no enum in that response. Those are no drift; the rest must be found.
    "field-removed": {"drift.field.missing_required"},
    "enum-value": {"drift.enum.new_value"},
}


def _applied(api: str, responses: list[httpx.Response]) -> dict[str, set[str]]:
    spec = load_spec(api)
    out: dict[str, set[str]] = {}
    for r in responses:
        kinds = r.headers.get("x-contracts-drift")
        if kinds:
            op = spec.match(r.request.method, str(r.request.url)).operation.operation_id
            out.setdefault(op, set()).update(kinds.split(","))
    return out


@pytest.mark.parametrize("api", ["upheal", "heidi", "eka", "realtimekit"])
def test_plain_mock_yields_no_drift(api: str, plain_tours: dict[str, list[httpx.Response]],
                                    tmp_path: Path) -> None:
    log = _log(tmp_path, api, plain_tours[api])
    report = traffic_drift(api, read_exchanges(log))
    assert report.exchanges == len(plain_tours[api]) >= 15
    assert report.findings == () and report.problem_count == 0


@pytest.mark.parametrize("kind", sorted(KIND_RULES))
def test_each_injected_kind_is_found_where_the_mock_applied_it(
        kind: str, plain_tours: dict[str, list[httpx.Response]], tmp_path: Path) -> None:
    from contracts.validation import Validator

    found_anywhere = False
    for api, plain in plain_tours.items():
        drifted = _record(api, kind, [r.request for r in plain])
        applied = _applied(api, drifted)
        report = traffic_drift(api, read_exchanges(_log(tmp_path, f"{api}-{kind}", drifted)))
        rules = {f.rule for f in report.findings}
        assert rules <= KIND_RULES[kind], (api, rules)
        by_op = {f.operation for f in report.findings}
        assert by_op <= set(applied), (api, by_op - set(applied))
        if kind in ("field-removed", "enum-value"):
            # Found exactly where plain (non-strict) validation of the drifted answer fails.
            validator = Validator(api, invariants=False)
            spec = load_spec(api)
            failing = {spec.match(r.request.method, str(r.request.url)).operation.operation_id
                       for r in drifted if r.headers.get("x-contracts-drift") and any(
                           validator.iter_response_violations(
                               r.request.method, str(r.request.url), r.status_code,
                               r.content, headers=dict(r.headers)))}
            assert by_op == failing, api
        else:
            assert by_op == set(applied), (api, set(applied) - by_op)
        for f in report.findings:
            assert f.grade is TRAFFIC_RULES[f.rule][0]
            assert 0 < f.count <= f.total and f.first_seen <= f.last_seen
        found_anywhere |= bool(report.findings)
    assert found_anywhere


def test_all_kinds_at_once_grade_as_documented(plain_tours: dict[str, list[httpx.Response]],
                                               tmp_path: Path, cli: CLI) -> None:
    plain = plain_tours["eka"]
    drifted = _record("eka", "all", [r.request for r in plain])
    log = _log(tmp_path, "eka-all", drifted)
    report = traffic_drift("eka", read_exchanges(log))
    allowed = set().union(*KIND_RULES.values())
    assert {f.rule for f in report.findings} <= allowed
    grades = {f.rule: f.grade_label for f in report.findings}
    assert grades["drift.field.type_changed"] == "ERR"
    assert grades["drift.enum.new_value"] == "WARN"
    assert grades["drift.field.undocumented"] == "INFO"
    assert grades["drift.status.undocumented"] == "WARN"
    assert cli("drift", "--api", "eka", log)[0] == 1


# -- suggestions ------------------------------------------------------------------------------
def test_suggested_spec_lints_clean_and_documents_the_drift(
        plain_tours: dict[str, list[httpx.Response]], tmp_path: Path, cli: CLI) -> None:
    drifted = _record("realtimekit", "all", [r.request for r in plain_tours["realtimekit"]])
    log = _log(tmp_path, "rtk-all", drifted)
    out = tmp_path / "suggested.yaml"
    code, _out, _err = cli("drift", "--api", "realtimekit", log, "--suggest", out)
    assert code == 1 and out.is_file()
    text = out.read_text()
    assert "x-contracts-suggested: true" in text and "x_vendor_trace" in text
    assert cli("lint", out)[0] == 0
    before = traffic_drift("realtimekit", read_exchanges(log))
    after = traffic_drift(out, read_exchanges(log))
    documented = {"drift.field.undocumented", "drift.field.renamed", "drift.enum.new_value"}
    assert {f.rule for f in before.findings} & documented
    assert not {f.rule for f in after.findings} & documented
    assert not [f for f in after.findings if f.grade < Severity.ERROR
                and f.rule != "drift.status.undocumented"]
    # What is a break stays a break: suggestions never paper over a type change.
    assert {f.key for f in before.findings if f.rule == "drift.field.type_changed"} == {
        f.key for f in after.findings if f.rule == "drift.field.type_changed"}


def test_suggested_types_come_from_what_was_seen(spec_path: Path) -> None:
    report = traffic_drift(spec_path, [ex({**ITEM, "score": 1}), ex({**ITEM, "score": 2.5}),
                                       ex({**ITEM, "score": None, "state": "held"})],
                           collect_values=True)
    text, notes = suggest_spec(spec_path, report)
    item = parse_document(text).data["components"]["schemas"]["Item"]
    assert item["properties"]["score"]["type"] == ["number", "null"]
    assert item["properties"]["score"]["x-contracts-suggested"] is True
    assert "3 of 3" in item["properties"]["score"]["description"]
    assert item["properties"]["state"]["enum"] == ["open", "closed", "held"]
    assert notes == ()


def test_dump_document_round_trips() -> None:
    data = {"b": 1, "a": ["é", None, {"x": True}], "c": {"d": 1.5}}
    text = dump_document(data)
    assert parse_document(text).data == data and text.index("b:") < text.index("a:")


# -- baseline drift ---------------------------------------------------------------------------
def _session(sid: str, created: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"session": {"id": sid, "created_at": created, "audio_url": url, "status": "done",
                        "duration": 60, "notes": ["a", "b"], **extra}}


def _pair(tmp_path: Path, old_bodies: list[Any], new_bodies: list[Any]) -> tuple[Path, Path]:
    def log(name: str, bodies: list[Any]) -> Path:
        return write_log(tmp_path / f"{name}.jsonl", [
            Exchange("GET", f"https://api.example.com/items/{i}{name}", 200,
                     response_headers={"content-type": "application/json"},
                     response_body=json.dumps(b).encode())
            for i, b in enumerate(bodies)])
    return log("old", old_bodies), log("new", new_bodies)


def test_baseline_ignores_volatile_fields(spec_path: Path, tmp_path: Path, cli: CLI) -> None:
    old, new = _pair(tmp_path, [
        _session("s-1", "2026-01-01T00:00:00Z", "https://x.example/a?sig=1"),
        _session("s-2", "2026-01-01T00:00:01Z", "https://x.example/b?sig=1")], [
        _session("s-9", "2026-05-05T10:00:00Z", "https://x.example/c?sig=2"),
        _session("s-8", "2026-05-05T10:00:01Z", "https://x.example/d?sig=2")])
    report = baseline_drift(spec_path, read_exchanges(old), read_exchanges(new))
    assert report.exchanges == 2 and report.findings == ()
    code, _out, _err = cli("drift", "--api", spec_path, "--baseline", old, new, "--fail-on",
                           "INFO")
    assert code == 0


def test_baseline_reports_shape_and_value_changes(spec_path: Path, tmp_path: Path,
                                                  cli: CLI) -> None:
    old, new = _pair(tmp_path, [
        _session("s-1", "2026-01-01T00:00:00Z", "u", score=1),
        _session("s-2", "2026-01-01T00:00:00Z", "u", score=1)], [
        {"session": {"id": 17, "created_at": "2026-02-02T00:00:00Z", "audio_url": "v",
                     "status": "finished", "duration": "60", "notes": None}},
        {"session": {**_session("s-3", "2026-02-02T00:00:00Z", "w")["session"],
                     "status": "finished", "region": "eu", "score": 1}}])
    report = baseline_drift(spec_path, read_exchanges(old), read_exchanges(new),
                            collect_values=True)
    found = {(f.rule, f.pointer): f for f in report.findings}
    assert set(found) == {
        ("baseline.field.type_changed", "/session/id"),        # volatile, but its type changed
        ("baseline.field.type_changed", "/session/duration"),
        ("baseline.field.became_null", "/session/notes"),
        ("baseline.field.removed", "/session/score"),
        ("baseline.field.added", "/session/region"),
        ("baseline.value.changed", "/session/status"),
    }
    assert found[("baseline.value.changed", "/session/status")].count == 2
    assert found[("baseline.field.removed", "/session/score")].grade is Severity.ERROR
    assert found[("baseline.value.changed", "/session/status")].grade is Severity.INFO
    assert ("done", "finished") in found[("baseline.value.changed", "/session/status")].values
    code, out, _ = cli("drift", "--api", spec_path, "--baseline", old, new, "--format", "json")
    assert code == 1 and "finished" not in out
    data = json.loads(out)
    assert data["kind"] == "baseline" and data["counts"]["ERR"] == 4


def test_baseline_ignore_patterns_and_pairing(spec_path: Path, tmp_path: Path) -> None:
    old, new = _pair(tmp_path, [{"a": 1, "trace": "x", "deep": [{"k": 1}]}, {"a": 1}],
                     [{"a": 1, "trace": "y", "deep": [{"k": 2}]}])
    report = baseline_drift(spec_path, read_exchanges(old), read_exchanges(new),
                            ignore=["^trace$", "/deep/*/k"])
    assert [(f.rule, f.pointer, f.count) for f in report.findings] == [
        ("baseline.exchange.unpaired", "/old-only", 1)]
    plain = baseline_drift(spec_path, read_exchanges(old), read_exchanges(new))
    assert {f.pointer for f in plain.findings if f.rule == "baseline.value.changed"} == {
        "/trace", "/deep/*/k"}


def test_baseline_status_changes(spec_path: Path, tmp_path: Path) -> None:
    def log(name: str, statuses: list[int]) -> Path:
        return write_log(tmp_path / f"{name}.jsonl", [
            Exchange("GET", URL, s, response_headers={"content-type": "application/json"},
                     response_body=b"{}") for s in statuses])
    old, new = log("o", [200, 200]), log("n", [201, 404])
    report = baseline_drift(spec_path, read_exchanges(old), read_exchanges(new))
    assert sorted(f.rule for f in report.findings) == ["baseline.status.changed",
                                                       "baseline.status.class_changed"]


# -- streaming --------------------------------------------------------------------------------
def test_state_does_not_grow_with_the_log(spec_path: Path) -> None:
    def stream(n: int) -> Iterable[Exchange]:
        for i in range(n):
            yield ex({"items": [{**ITEM, "state": "x", "extra": i}] * 3},
                     url="https://api.example.com/items", line=i)

    small = traffic_drift(spec_path, stream(10), collect_values=True)
    large = traffic_drift(spec_path, stream(2000), collect_values=True)
    assert [f.key for f in small.findings] == [f.key for f in large.findings]
    assert [f.count for f in large.findings] == [2000, 2000]
    assert all(len(f.values) <= 5 for f in large.findings)


def test_report_counts_and_failing(spec_path: Path) -> None:
    report = traffic_drift(spec_path, [ex({**ITEM, "count": "1", "extra": 1})])
    assert isinstance(report, TrafficReport)
    assert report.worst is Severity.ERROR
    assert [f.rule for f in report.failing(Severity.WARNING)] == ["drift.field.type_changed"]
    assert report.counts == {Severity.ERROR: 1, Severity.WARNING: 0, Severity.INFO: 1}
    assert list(itertools.chain(report.failing(Severity.INFO))) == list(report.findings)


def test_a_broken_har_entry_is_named_by_its_pointer(tmp_path: Path) -> None:


    broken = Path(__file__).parent / "data" / "exchanges" / "broken.har"
    out, err = io.StringIO(), io.StringIO()
    code = run(["drift", "--api", "heidi", str(broken)], stdout=out, stderr=err)
    assert code in (1, 2)
    assert "broken.har#/log/entries/" in err.getvalue()
    assert "broken.har:" not in err.getvalue()


# -- recordings that mix vendors; findings under the status seen -----------------------------
def test_drift_api_skips_other_apis_lines_and_counts_them(tmp_path: Path, cli: CLI) -> None:
    # Upheal's POST /sessions would otherwise be matched to Heidi's createSession.
    upheal = Exchange("POST", "https://api.upheal.io/sessions", 200,
                      {"content-type": "application/json"},
                      {"providerUserId": "p-1", "clientUserId": "c-1", "sessionType": "Intake",
                       "input": {"text": {"notes": "Synthetic."}}},
                      {"content-type": "application/json"}, {"sessionId": "s-1"}, api="upheal")
    eka = Exchange("GET", "https://api.eka.care/voice/v1/sessions/ses_1", 404, {}, None,
                   {"content-type": "application/json"},
                   {"error": {"code": "session_not_found", "message": "no"}}, api="eka")
    log = tmp_path / "mixed.jsonl"
    with log.open("w", encoding="utf-8") as fh:
        write_exchanges(fh, [upheal, eka, upheal])
    report = traffic_drift("heidi", read_exchanges(log))
    assert report.findings == () and report.exchanges == 0
    assert dict(report.skipped) == {"upheal": 2, "eka": 1}
    code, out, _ = cli("drift", "--api", "heidi", log, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["skipped"] == {"upheal": 2, "eka": 1} and not data["findings"]


def test_drift_files_a_body_finding_under_the_status_it_saw() -> None:
    # Eka documents 201 for Create Session; behind a proxy the vendor answered 200 with a
    # body missing what 201 requires: the findings are the 200's.
    op = load_spec("eka").operation("createSession")
    documented = sorted(str(k) for k in op.node.value["responses"])
    assert "200" not in documented and "201" in documented
    seen = Exchange("POST", "https://api.eka.care/voice/v1/sessions", 200,
                    {"content-type": "application/json"},
                    {"upload_type": "chunked", "communication_protocol": "http"},
                    {"content-type": "application/json"}, {"status": 5}, api="eka")
    report = traffic_drift("eka", [seen])
    body = [f for f in report.findings if f.location.startswith("response.") and
            f.location.endswith(".body")]
    assert body, report.findings
    assert {f.location for f in body} == {"response.200.body"}
    assert any(f.rule == "drift.status.undocumented" for f in report.findings)
