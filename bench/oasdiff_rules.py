"""Map every oasdiff check to the `contracts diff` rule that reports the same change.

oasdiff (github.com/oasdiff/oasdiff) is the reference tool for OpenAPI breaking changes. Its
checks and default levels are declared in ``checker/rules.go`` (ids in the ``checker/*.go``
constants). Nothing of oasdiff is vendored here: point this script at a checkout of its
``checker`` directory and it prints the Markdown table kept in docs/drift.md ("oasdiff's
rules, one by one"):

    python bench/oasdiff_rules.py /path/to/oasdiff/checker > /tmp/table.md

The table in docs/drift.md was made from the snapshot of oasdiff available here (commit
4553c69, July 2026); the patterns also place the ids later releases added.

Each oasdiff id is matched by the first pattern below (ordered, most specific first) to our
rule for the direction it names (``request``/``response``); the table shows oasdiff's level,
our grade for that direction and, where they differ, why. A check with no pattern fails the
script: every oasdiff rule is placed, either on a rule of ours or on a stated reason it does
not apply.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from contracts.diff import RULES

_LABEL = {10: "INFO", 20: "WARN", 30: "ERR"}

# (pattern on oasdiff's id, our rule ({s} = request/response from the id) or "" + reason).
_NA_SUNSET = "n/a: oasdiff's x-sunset / x-stability-level policy, not an API contract change"
_MAP: list[tuple[str, str]] = [
    (r"sunset|stability|reactivated", _NA_SUNSET),
    (r"^api-(major-)?version-", "n/a: info.version policy, not an API contract change"),
    (r"^api-tag-", "n/a: tags group operations in docs; clients never send or read them"),
    (r"^api-schema-removed$", "n/a: an unused component schema reaches no client"),
    (r"^api-security-component-(added|removed)$",
     "security.requirement.added / security.requirement.removed (when an operation uses it)"),
    (r"^api-security-component-type-changed$", "security.changed"),
    (r"^api-security-component-oauth", "n/a: OAuth URLs and the scope catalogue; a scope an "
                                       "operation needs is security.scopes.*"),
    (r"security-scope-added$", "security.scopes.added"),
    (r"security-scope-removed$", "security.scopes.removed"),
    (r"security-removed$", "security.requirement.removed"),
    (r"security-added$", "security.requirement.added"),
    (r"^endpoint-added$", "operation.added"),
    (r"^endpoint-deprecated", "operation.deprecated"),
    (r"^api(-path)?-removed", "operation.removed"),
    (r"^api-operation-id-", "operation.id.changed"),
    (r"^webhook-(added|removed)$", "webhook.{1}"),
    (r"^request-body-added-required$", "request.body.added.required"),
    (r"^request-body-added-optional$", "request.body.added"),
    (r"^request-body-removed$", "request.body.removed"),
    (r"^request-body-became-optional$", "request.body.required.removed"),
    (r"^request-body-became-required$", "request.body.required.added"),
    (r"^request-body-media-type-(added|removed)$", "request.content_type.{1}"),
    (r"^response-media-type-(added|removed)$", "response.content_type.{1}"),
    (r"^response-media-type-name-", "response.content_type.removed / "
                                    "response.content_type.added"),
    (r"media-type-schema-added$", "{s}.type.changed / {s}.constraint.tightened (per keyword "
                                  "the new schema sets)"),
    (r"media-type-schema-removed$", "{s}.type.changed / {s}.constraint.relaxed (per keyword "
                                    "the old schema set)"),
    (r"^new-required-request(-default)?-parameter", "request.parameter.added.required"),
    (r"^new-optional-request(-default)?-parameter", "request.parameter.added"),
    (r"^new-request-path-parameter$", "operation.removed + operation.added (the path shape "
                                      "changed)"),
    (r"^new-required-request-header-property$", "request.field.added.required"),
    (r"^new-required-request-property", "request.field.added.required"),
    (r"^new-optional-request-property$", "request.field.added"),
    (r"^request-parameter-removed", "request.parameter.removed"),
    (r"^request-parameter-deprecated$", "request.parameter.deprecated"),
    (r"property-deprecated$|property-deprecated-with", "{s}.field.deprecated"),
    (r"^request-parameter-became-required$", "request.parameter.required.added"),
    (r"^request-parameter-became-optional$", "request.parameter.required.removed"),
    (r"^request-parameter-serialization", "request.parameter.style.changed"),
    (r"discriminator", "{s}.discriminator.changed"),
    (r"x-extensible-enum-value-removed$", "request.extensible_enum.value.removed"),
    (r"became-enum$", "{s}.constraint.tightened"),
    (r"became-not-enum$", "{s}.constraint.relaxed"),
    (r"became-not-nullable$", "{s}.nullable.removed"),
    (r"became-nullable$", "{s}.nullable.added"),
    (r"default-value", "{s}.default.changed"),
    (r"enum-value-added$", "{s}.enum.value.added"),
    (r"enum-value-removed$|enum-removed$|enum-deleted$", "{s}.enum.value.removed"),
    (r"-const-added$", "{s}.constraint.tightened (a one-value enum)"),
    (r"-const-removed$", "{s}.constraint.relaxed (a one-value enum)"),
    (r"-const-changed$", "{s}.enum.value.removed + {s}.enum.value.added"),
    (r"read-only|write-only", "{s}.field.removed / {s}.field.added (a client never sends a "
                              "readOnly field nor reads a writeOnly one)"),
    (r"^request-(header-)?property-became-required", "request.field.required.added"),
    (r"^request-property-became-optional$", "request.field.required.removed"),
    (r"^response-property-became-optional$", "response.field.required.removed"),
    (r"^response-property-became-required$", "response.field.required.added"),
    (r"^request-property-removed$", "request.field.removed"),
    (r"^response-(optional|required)-property-removed$", "response.field.removed"),
    (r"^response-(optional|required)-property-added$", "response.field.added"),
    (r"^required-response-header-removed$|^optional-response-header-removed$",
     "response.header.removed"),
    (r"^response-header-added$", "response.header.added"),
    (r"^response-header-became-optional$", "response.header.required.removed"),
    (r"^response-header-type-(changed|generalized)$", "response.type.changed"),
    (r"^response-header-type-(specialized|compatible)$", "response.type.narrowed"),
    (r"^response-header-became-nullable$", "response.nullable.added"),
    (r"^response-header-became-not-nullable$", "response.nullable.removed"),
    (r"^response-success-status-(added|removed)$", "response.status.success.{1}"),
    (r"^response-non-success-status-(added|removed)$", "response.status.error.{1}"),
    (r"^request-.*type-(generalized|compatible)$|^request-.*list-of-types-widened$",
     "request.type.widened"),
    (r"^request-.*type-(changed|specialized)$|^request-.*list-of-types-narrowed$",
     "request.type.changed"),
    (r"^response-.*type-(specialized|compatible)$|^response-.*list-of-types-narrowed$",
     "response.type.narrowed"),
    (r"^response-.*type-(changed|generalized)$|^response-.*list-of-types-widened$",
     "response.type.changed"),
    (r"all-of-(added|removed)-annotation-only$", "nothing (annotations change no value)"),
    (r"all-of-(added|removed)$", "{s}.constraint.* / {s}.field.* (allOf is merged: each "
                                 "keyword it adds or drops is reported)"),
    (r"(any|one)-of-added$", "{s}.variant.added"),
    (r"(any|one)-of-removed$", "{s}.variant.removed"),
    (r"wrapped-in-one-of$", "{s}.variant.added / {s}.type.changed (per keyword)"),
    (r"content-(media-type|encoding)-changed$", "{s}.encoding.changed"),
    (r"pattern-(added|changed|generalized)$", "{s}.constraint.tightened"),
    (r"pattern-removed$", "{s}.constraint.relaxed"),
    (r"-(max|max-length|max-items|max-properties|exclusive-max|max-contains)-"
     r"(decreased|set)$", "{s}.constraint.tightened"),
    (r"-(min|min-length|min-items|min-properties|exclusive-min|min-contains)-"
     r"(increased|set)$", "{s}.constraint.tightened"),
    (r"-(max|max-length|max-items|max-properties|exclusive-max|max-contains)-"
     r"(increased|unset)$", "{s}.constraint.relaxed"),
    (r"-(min|min-length|min-items|min-properties|exclusive-min|min-contains)-"
     r"(decreased|unset)$", "{s}.constraint.relaxed"),
    (r"-(unique-items|multiple-of)-(set|changed|specialized)$", "{s}.constraint.tightened"),
    (r"-(unique-items|multiple-of)-(unset|generalized)$", "{s}.constraint.relaxed"),
    (r"item-schema", "n/a: OpenAPI 3.2 itemSchema (we read 3.0 and 3.1)"),
    (r"-(prefix-items|if|then|else|contains|dependent-required|dependent-schema|"
     r"pattern-property|property-names|unevaluated-items|unevaluated-properties|"
     r"content-schema)-added$", "{s}.constraint.tightened"),
    (r"-(prefix-items|if|then|else|contains|dependent-required|dependent-schema|"
     r"pattern-property|property-names|unevaluated-items|unevaluated-properties|"
     r"content-schema)-removed$", "{s}.constraint.relaxed"),
    (r"dependent-required-changed$", "{s}.constraint.tightened / {s}.constraint.relaxed"),
]

# Why our grade departs from oasdiff's level, by our rule.
_WHY: dict[str, str] = {
    "response.constraint.relaxed": "a looser response bound breaks only code that relied on "
                                   "it (a buffer, a validator); most readers go on: may break",
    "request.constraint.tightened": "a bound added where none was rejects values that were "
                                    "valid: it breaks, as a lowered one does",
    "response.type.changed": "same effect as oasdiff's changed/generalized: a value of a type "
                             "the client does not handle",
    "operation.removed": "a client still calling a removed operation breaks, deprecated or "
                         "not",
    "request.body.removed": "the server may ignore a body it no longer documents: may break",
    "response.field.removed": "code that reads the field (when present) loses it for good",
    "response.status.success.removed": "a status no longer documented may still be sent; code "
                                       "handling it is not broken: may break",
    "response.status.success.added": "a new success status (202 beside 200) reaches code that "
                                     "never handled it: may break",
    "response.status.error.added": "a new error status reaches code that never handled it",
    "request.default.changed": "what we omit now means something else: may break, not "
                               "certainly",
    "request.parameter.deprecated": "deprecation announces a removal: worth a warning",
    "operation.deprecated": "deprecation announces a removal: worth a warning",
    "request.field.deprecated": "deprecation announces a removal: worth a warning",
    "response.field.deprecated": "deprecation announces a removal: worth a warning",
    "response.content_type.added": "a response in a media type the client never parsed",
    "response.header.removed": "code reading the header loses it",
    "response.enum.value.removed": "",
    "operation.id.changed": "generated clients rename their methods",
    "response.discriminator.changed": "generated clients pick the variant by the "
                                      "discriminator",
    "response.variant.added": "a new variant may break the client's switch, not certainly",
    "security.requirement.removed": "",
    "request.constraint.relaxed": "",
    "response.constraint.tightened": "",
    "request.field.removed": "",
}


def oasdiff_rules(checker: Path) -> list[tuple[str, str]]:
    """(id, level) of every rule oasdiff's checker/rules.go declares, in its order."""
    consts: dict[str, str] = {}
    for path in checker.rglob("*.go"):
        text = path.read_text("utf-8")
        consts.update(re.findall(r'(\w+Id)\s*=\s*"([a-z0-9-]+)"', text))
    rules = (checker / "rules.go").read_text("utf-8")
    found = re.findall(r"newBackwardCompatibilityRule\((\w+),\s*(ERR|WARN|INFO),", rules)
    return [(consts[name], level) for name, level in found]


def ours(oas_id: str) -> str:
    side = "response" if oas_id.startswith(("response", "required-response",
                                            "optional-response")) else "request"
    for pattern, target in _MAP:
        match = re.search(pattern, oas_id)
        if match:
            groups = [g or "" for g in match.groups()]
            return target.format("", *groups, s=side) if "{1}" in target else \
                target.format(s=side)
    raise SystemExit(f"no mapping for oasdiff rule {oas_id}")


def grade(rule_text: str) -> str:
    rules = re.findall(r"[a-z_]+(?:\.[a-z_]+)+", rule_text)
    grades = sorted({_LABEL[int(RULES[r][0])] for r in rules if r in RULES})
    return "/".join(grades) if grades else "-"


def table(rows: list[tuple[str, str]]) -> str:
    lines = ["| oasdiff id | oasdiff level | our rule | our grade | where we depart, why |",
             "|---|---|---|---|---|"]
    departures = 0
    for oas_id, level in rows:
        rule = ours(oas_id)
        ours_grade = grade(rule)
        why = ""
        if ours_grade not in ("-", level) and level not in ours_grade.split("/"):
            departures += 1
            key = next((r for r in re.findall(r"[a-z_]+(?:\.[a-z_]+)+", rule) if r in RULES), "")
            why = _WHY.get(key) or RULES[key][1] if key else ""
        shown = rule if rule.startswith(("n/a", "nothing")) else f"`{rule}`"
        lines.append(f"| `{oas_id}` | {level} | {shown} | {ours_grade} | {why} |")
    lines.append("")
    lines.append(f"{len(rows)} oasdiff rules; {departures} graded differently.")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python bench/oasdiff_rules.py OASDIFF_CHECKER_DIR", file=sys.stderr)
        return 2
    print(table(oasdiff_rules(Path(argv[0]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
