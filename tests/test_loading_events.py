"""YAML is built from libyaml's events by a builder without recursion (issue 18: a 1-3 MB spec
loads in a fraction of a second). Differential: the documents and line maps it gives are the
ones PyYAML's own composer gives, on every bundled spec and every diff pair; hostile inputs
stay one-line errors."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from contracts import _loading
from contracts._loading import Limits, load_document, parse_document
from contracts._pointers import escape_pointer
from contracts.errors import InputError

HERE = Path(__file__).parent
ROOT = HERE.parent
BUNDLED = sorted((ROOT / "specs").glob("*.yaml"))
DIFF_PAIRS = sorted((HERE / "data" / "diff").glob("*/*.yaml"))


# --------------------------------------------------------------------------- the oracle


class _Resolver(BaseResolver):
    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML reads the class's


for _first, _rules in _loading._implicit().items():
    for _tag, _pattern in _rules:
        _Resolver.add_implicit_resolver(_tag, _pattern, [_first])


class _Composer(Reader, Scanner, Parser, Composer, _Resolver):
    """PyYAML's pure-Python parser and composer: nodes with their marks."""

    def __init__(self, text: str):
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Resolver.__init__(self)


def _oracle(text: str) -> tuple[Any, dict[str, int]]:
    """The value and line map of a valid document, from PyYAML's composed nodes: every
    pointer's line is its key's line in a mapping, its node's line elsewhere."""
    root = _Composer(text).get_single_node()
    lines: dict[str, int] = {}

    def build(node: Node, pointer: str) -> Any:
        lines.setdefault(pointer, node.start_mark.line + 1)
        if isinstance(node, SequenceNode):
            return [build(child, f"{pointer}/{i}") for i, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            out = {}
            for key, value in node.value:
                child = f"{pointer}/{escape_pointer(key.value)}"
                lines[child] = key.start_mark.line + 1
                out[key.value] = build(value, child)
            return out
        assert isinstance(node, ScalarNode)
        tag = node.tag.rsplit(":", 1)[-1]
        return {"str": str, "timestamp": str, "null": lambda _: None,
                "bool": lambda t: t.lower() == "true", "int": _loading._int12,
                "float": _loading._float12}[tag](node.value)

    return build(root, ""), lines


def _same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (1 is not 1.0 nor True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


# --------------------------------------------------------------------------- same documents


@pytest.mark.parametrize("path", BUNDLED + DIFF_PAIRS,
                         ids=[str(p.relative_to(ROOT)) for p in BUNDLED + DIFF_PAIRS])
def test_documents_and_lines_match_pyyaml_composer(path: Path) -> None:
    text = path.read_text("utf-8")
    data, lines = _oracle(text)
    document = load_document(path)
    assert _same(document.data, data)
    assert document.lines == lines and len(lines) >= 1


def test_there_are_specs_and_pairs_to_compare() -> None:
    assert len(BUNDLED) >= 4 and len(DIFF_PAIRS) >= 26 * 2


ALIASES = [
    "a: &x {b: 1, c: [1, 2.5, null, true]}\nd: *x\ne: [*x, *x]\n",
    "a: &s foo\nb: *s\n*s : 3\n",  # an alias as a key: its anchor's text and line
    "&k x: 1\ny: *k\n",
    "a: &a [1, &b {c: 2}]\nd: *b\ne: *a\nf: [*a, *b]\n",
    "[&a 1, *a, &b [*a], *b, *b]",
    "a: &x !!str 12\nb: *x\nc: !!int '12'\nd: ! 12\n",
    "a: &b\n  - &c {d: [2, 1]}\ne: *b\nf: *c\n",
    "x-a: &a\n  ? kkk\n  : 1\nx-b: [*a, *a]\n",
    "? a\n? b\n: 1\n'a/b~c': {'~': [1]}\n",
    "a: |\n  text\n  more\nb: >\n  folded\n\nc: 2\n",
    "200: x\n'201': y\n1.5: z\ntrue: w\nnull: v\n~: 1\n'': 2\n",
    "v: [1e-8, 017, 0o17, 0x1F, +1., -2E+2, TRUE, yes, ~, Null, '', 1:30, 2020-01-01]\n",
    "%YAML 1.2\n---\na: 1\n...\n",
]


@pytest.mark.parametrize("text", ALIASES)
def test_anchors_aliases_and_scalars_match_pyyaml_composer(text: str) -> None:
    data, lines = _oracle(text)
    document = parse_document(text)
    assert _same(document.data, data)
    assert document.lines == lines


def test_an_alias_is_a_copy_not_a_shared_object() -> None:
    doc = parse_document("a: &x {b: [1]}\nc: *x\n").data
    doc["c"]["b"].append(2)
    assert doc["a"] == {"b": [1]}


def test_pythons_parser_gives_what_libyaml_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback for a PyYAML built without libyaml reads the same events."""
    import yaml.cyaml

    texts = [p.read_text("utf-8") for p in BUNDLED[:2]] + ALIASES
    expected = [parse_document(t) for t in texts]
    monkeypatch.delattr(yaml.cyaml, "CParser")
    for text, want in zip(texts, expected, strict=True):
        got = parse_document(text)
        assert _same(got.data, want.data) and got.lines == want.lines


# --------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize(("text", "message", "line"), [
    ("a: &r {b: *r}\n", "recursive YAML alias", 1),
    ("a:\n  - 1\n  - &r [x, [*r]]\n", "recursive YAML alias", 3),
    ("a: *nowhere\n", "undefined alias 'nowhere'", 1),
    ("a: &x 1\nb: &x 2\n", "duplicate anchor 'x'", 2),
    ("a: 1\n---\nb: 2\n", "found another document", 2),
    ("a: &m {b: 1}\n*m : 2\n", "mapping keys must be plain strings", 1),
    ("? [a]\n: 1\n", "mapping keys must be plain strings", 1),
    ("a: &b {x: 1}\nc:\n  <<: *b\n", "merge keys", 3),
    ("a: !!set {x}\n", "unsupported YAML tag tag:yaml.org,2002:set", 1),
    ("a:\n  b: !!python/object:os.system {}\n", "unsupported YAML tag", 2),
    ("a: 1\na: 2\n", "duplicate key 'a'", 2),
    ("a: [1, 2\n", "not valid YAML or JSON", 2),
])
def test_bad_yaml_is_one_line_with_its_line(text: str, message: str, line: int) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_document(text, source="doc.yaml")
    assert info.value.line == line and len(str(info.value).splitlines()) == 1


@pytest.mark.parametrize("text", [
    "x: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "x: " + "{a: " * 50_000 + "1" + "}" * 50_000 + "\n",
    "".join(" " * i + "- \n" for i in range(2_000)),
])
def test_deep_nesting_is_one_line_never_a_crash(text: str) -> None:
    with pytest.raises(InputError, match="nested too deeply to read") as info:
        parse_document(text, source="deep.yaml")
    assert len(str(info.value).splitlines()) == 1


def test_nesting_past_libyamls_own_limit_is_refused_the_same_way() -> None:
    """A caller's max_depth above libyaml's 1,000 levels: libyaml refuses first (older
    libyaml builds do not, and the builder has no recursion to overflow)."""
    text = "[" * 5_000 + "]" * 5_000
    with pytest.raises(InputError, match="nested too deeply to read"):
        parse_document(text, limits=Limits(max_depth=100_000))
    assert parse_document("[" * 900 + "]" * 900, limits=Limits(max_depth=1_000)).data


def test_an_alias_bomb_is_refused_before_it_is_built() -> None:
    lol = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n"
        for i in range(9))
    with pytest.raises(InputError, match="more than 500,000 values"):
        parse_document(lol)
    # the same shape, small enough, is built in full: every copy counted
    doc = parse_document(lol.split("\nd:")[0] + "\n")
    assert len(doc.data["c"]) == 10 and doc.data["c"][9][9] == ["x"] * 10


def test_yaml_is_imported_only_to_read_yaml() -> None:
    code = ("import sys, contracts.validation, contracts.specs\n"
            "from contracts._loading import parse_document\n"
            "parse_document('{\"openapi\": \"3.1.0\"}', source='spec.json')\n"
            "assert 'yaml' not in sys.modules, 'yaml imported'\n"
            "parse_document('a: 1', source='spec.yaml')\n"
            "assert 'yaml' in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_pyyaml_composer_oracle_can_fail() -> None:
    """The differential test above would see a wrong line or value."""
    data, lines = _oracle("a:\n  b: 1\n")
    assert lines == {"": 1, "/a": 1, "/a/b": 2} and data == {"a": {"b": 1}}
    assert not _same({"a": 1}, {"a": 1.0}) and not _same({"a": 1, "b": 2}, {"b": 2, "a": 1})
