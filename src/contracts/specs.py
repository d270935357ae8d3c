"""Loading OpenAPI 3.0 and 3.1 specs into immutable :class:`Spec` objects with operation lookup.

A 3.0 spec is read as its 3.1 equivalent (``_oas30``); ``Spec.original`` keeps it as written.

References: local ``#/...`` pointers and relative file references are resolved at load time;
a file reference may not leave the spec's folder, and remote references are refused unless
the caller passes a ``retriever``. Nothing here touches the network on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from . import vendors
from ._loading import (
    DEFAULT_LIMITS,
    Document,
    Limits,
    parse_document,
)
from ._oas30 import is_30, upgrade
from ._pointers import escape_pointer, unescape_token
from ._refs import (
    Missing,
    Pointless,
    base_after,
    iter_refs_with_base,
    registry_of,
    resource_of,
)
from ._refs import resolve as resolve_ref
from ._spec_cache import cached_document
from ._spec_checks import HTTP_METHODS, check_openapi, check_shape
from ._spec_names import spec_location, spec_not_found, suggest_names
from ._spec_records import Located, Operation, PathMatch, RefProblem
from ._typing import JSON
from .errors import (
    ContractsError,
    InputError,
    OperationNotFound,
    RemoteRefRefused,
    SpecError,
    UnresolvableRef,
)
from .vendors import BUNDLED

__all__ = [
    "BUNDLED",
    "HTTP_METHODS",
    "Located",
    "Operation",
    "PathMatch",
    "RefProblem",
    "Retriever",
    "Spec",
    "bundled_path",
    "iter_refs",
    "load_spec",
    "spec_location",
    "split_ref",
    "suggest_names",
]


Retriever = Callable[[str], JSON]
"""Called with an absolute non-file URI; returns the parsed document. Only used when passed."""


def bundled_path(name: str) -> Path:
    """The spec file of a vendor in the registry (``upheal``, ..., or a registered one)."""
    entry = vendors.find(name)
    if entry is None:
        raise spec_not_found(name)
    return entry.spec


_PARAM = re.compile(r"\{([^{}/]+)\}")


@lru_cache(maxsize=4096)
def _compile_template(template: str) -> tuple[re.Pattern[str], int, tuple[str, ...]]:
    names: list[str] = []
    parts: list[str] = []
    pos = 0
    for m in _PARAM.finditer(template):
        parts.append(re.escape(template[pos:m.start()]))
        parts.append(f"(?P<p{len(names)}>[^/]+)")
        names.append(m.group(1))
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    literal = len(_PARAM.sub("", template))
    return re.compile("".join(parts) + r"\Z"), literal, tuple(names)


def _expanded_servers(document: Mapping[str, JSON], default: list[Any]) -> Iterator[str]:
    """The URLs of a document's servers, each variable replaced by its default."""
    for server in document.get("servers") or default:
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            continue
        url = server["url"]
        for var, spec in (server.get("variables") or {}).items():
            if isinstance(spec, dict) and "default" in spec:
                url = url.replace("{" + var + "}", str(spec["default"]))
        yield url


def _normalise_path(path: str) -> str:
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


class Spec:
    """An immutable, loaded OpenAPI document (3.1, or 3.0 read as 3.1) and every file it
    references.

    Build one with :func:`load_spec`. A Spec has no setters and ``resources`` is a read-only
    mapping; ``document`` is the parsed JSON itself (shared with the compiled validators), to
    be treated as read-only. :meth:`with_paths` returns a new Spec with overridden paths.
    """

    def __init__(
        self,
        *,
        name: str,
        root: Document,
        uri: str,
        resources: Mapping[str, Document],
        ref_problems: tuple[RefProblem, ...] = (),
        path_prefix: str = "",
        path_overrides: Mapping[str, str] | None = None,
        original: Document | None = None,
        bundled: str | None = None,
    ):
        self._bundled = bundled  # the bundled API it was loaded as: pickled by that name
        self._name = name
        self._root = root
        self._original = original
        self._uri = uri
        self._resources = MappingProxyType(dict(resources))
        self._ref_problems = ref_problems
        self._path_prefix = path_prefix
        self._path_overrides = MappingProxyType(dict(path_overrides or {}))

    # -- identity -----------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    def answers_to(self, api: str) -> bool:
        """Whether ``api`` (a recording's ``api`` field: a registered name or a spec path)
        names this spec."""
        return api == self._name or Path(api).stem == self._name

    @property
    def source(self) -> str:
        return self._root.source

    @property
    def uri(self) -> str:
        return self._uri

    @property
    def document(self) -> Mapping[str, JSON]:
        data: Mapping[str, JSON] = self._root.data
        return data

    @property
    def root(self) -> Document:
        return self._root

    @property
    def openapi_version(self) -> str:
        """The version the spec is written in (``document`` is always its 3.1 reading)."""
        return str((self._original or self._root).data.get("openapi", ""))

    @property
    def original(self) -> Document:
        """The root document as written (a 3.0 spec before its conversion to 3.1)."""
        return self._original or self._root

    @property
    def resources(self) -> Mapping[str, Document]:
        """Every loaded document by URI (the spec itself and each file it references)."""
        return self._resources

    @property
    def ref_problems(self) -> tuple[RefProblem, ...]:
        return self._ref_problems

    @property
    def title(self) -> str:
        return str(self.document.get("info", {}).get("title", self.name))

    def __repr__(self) -> str:
        return f"<Spec {self.name!r} from {self.source!r}: {len(self.operations)} operations>"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle a bundled spec by name (a worker reloads it once per process) and any other
        by content (its documents, without the caches)."""
        overrides = dict(self._path_overrides)
        if self._bundled is not None:
            return _bundled_spec, (self._bundled, self._path_prefix, overrides)
        return _spec_from_state, (self._name, self._root, self._uri, dict(self._resources),
                                  self._ref_problems, self._path_prefix, overrides)

    # -- references ---------------------------------------------------------------------
    def locate(self, uri: str, pointer: str) -> Located:
        """The node at ``pointer`` in the document ``uri``; UnresolvableRef when absent."""
        doc = self._resources.get(uri)
        if doc is None:
            raise UnresolvableRef(f"{uri}#{pointer}", reason="names a document that was not loaded")
        value = _walk(doc.data, pointer)
        if value is _MISSING:
            raise UnresolvableRef(f"{uri}#{pointer}", source=doc.source,
                                  reason="points at nothing")
        return Located(value, uri, pointer)

    def resolve(self, node: Located) -> Located:
        """Follow ``$ref`` chains (Reference Objects) until a node that is not a bare ref."""
        seen: set[str] = set()
        while isinstance(node.value, dict) and isinstance(node.value.get("$ref"), str):
            target_uri, target_pointer = split_ref(node.value["$ref"], node.uri)
            key = f"{target_uri}#{target_pointer}"
            if key in seen:
                raise UnresolvableRef(node.value["$ref"], source=self._source_of(node.uri),
                                      pointer=node.pointer,
                                      reason="is part of a cycle of bare $refs")
            seen.add(key)
            try:
                node = self.locate(target_uri, target_pointer)
            except UnresolvableRef:
                found = self._by_standard(node)
                if found is None:
                    raise
                node = found
        return node

    def base_uri(self, node: Located) -> str:
        """The base URI of references written at ``node`` (each enclosing ``$id`` applied)."""
        doc = self._resources.get(node.uri)
        base = node.uri
        value: JSON = doc.data if doc is not None else None
        tokens = node.pointer[1:].split("/") if node.pointer else []
        for raw in tokens:
            base = base_after(base, value)
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(value, dict) and token in value:
                value = value[token]
            elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
                value = value[int(token)]
            else:
                return base
        return base_after(base, value)

    @cached_property
    def _registry(self) -> Any:
        return registry_of((uri, doc.data) for uri, doc in self._resources.items())

    @cached_property
    def _places(self) -> Mapping[int, tuple[str, str]]:
        """Where each loaded object lives, by identity (the resolver returns contents)."""
        places: dict[int, tuple[str, str]] = {}
        for uri, doc in self._resources.items():
            stack: list[tuple[JSON, str]] = [(doc.data, "")]
            while stack:
                value, pointer = stack.pop()
                if isinstance(value, dict):
                    places.setdefault(id(value), (uri, pointer))
                    stack.extend((v, f"{pointer}/{escape_pointer(str(k))}")
                                 for k, v in value.items())
                elif isinstance(value, list):
                    places.setdefault(id(value), (uri, pointer))
                    stack.extend((v, f"{pointer}/{i}") for i, v in enumerate(value))
        return places

    def _by_standard(self, node: Located) -> Located | None:
        """Follow ``node``'s ``$ref`` by the standard (``$id``, anchors); None if nowhere."""
        try:
            contents, _base = resolve_ref(self._registry, node.value["$ref"],
                                            self.base_uri(node))
        except LookupError:
            return None
        place = self._places.get(id(contents))
        return None if place is None else Located(contents, *place)

    def flatten(self, schema: Located, depth: int = 0) -> list[Located]:
        """The schema and its ``allOf``/``anyOf``/``oneOf`` members, recursively, ``$ref``s
        resolved (an unresolvable member is left out; 16 levels at most)."""
        try:
            schema = self.resolve(schema)
        except ContractsError:
            return []
        out = [schema]
        if isinstance(schema.value, dict) and depth < 16:
            for combinator in ("allOf", "anyOf", "oneOf"):
                members = schema.value.get(combinator)
                for i, _ in enumerate(members if isinstance(members, list) else []):
                    out.extend(self.flatten(schema.child(combinator, i), depth + 1))
        return out

    def marked(self, schema: Located, keyword: str) -> bool:
        """Whether a schema, or the schema its ``$ref`` names, has ``keyword: true``
        (``readOnly``, ``writeOnly``): what a property is marked, wherever it is written."""
        value = schema.value
        if isinstance(value, dict) and value.get(keyword) is not True and isinstance(
                value.get("$ref"), str):
            try:
                value = self.resolve(schema).value
            except UnresolvableRef:
                return False
        return isinstance(value, dict) and value.get(keyword) is True

    def mapping_target(self, holder: Located, value: object) -> Located | None:
        """Where a discriminator's mapping value leads from the schema ``holder`` that has the
        discriminator: a ``$ref``, or a bare name of ``components/schemas``; None if nowhere."""
        if not isinstance(value, str):
            return None
        ref = value if "#" in value or "/" in value else f"#/components/schemas/{value}"
        try:
            return self.resolve(Located({"$ref": ref}, holder.uri, holder.pointer))
        except UnresolvableRef:
            return None

    def _source_of(self, uri: str) -> str:
        doc = self._resources.get(uri)
        return doc.source if doc else uri

    # -- operations ---------------------------------------------------------------------
    @cached_property
    def server_urls(self) -> tuple[str, ...]:
        """The absolute server URLs (``https://api.eka.care``; variables as their defaults),
        without a trailing slash: the vendor's real hosts, for telling which API served a URL."""
        urls = [url.rstrip("/") for url in _expanded_servers(self.document, [])
                if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc]
        return tuple(dict.fromkeys(urls))

    @cached_property
    def server_paths(self) -> tuple[str, ...]:
        """Path parts of the spec's server URLs (variables as their defaults), longest first."""
        prefixes = {_normalise_path((urlsplit(url).path if "://" in url else url) or "/")
                    for url in _expanded_servers(self.document, [{"url": "/"}])}
        return tuple(sorted(prefixes, key=len, reverse=True))

    @cached_property
    def operations(self) -> tuple[Operation, ...]:
        ops: list[Operation] = []
        paths = self.document.get("paths") or {}
        if not isinstance(paths, dict):
            return ()
        root = Located(self.document, self._uri, "")
        for template, item in paths.items():
            if not isinstance(item, dict):
                continue
            item_node = root.child("paths", template)
            if "$ref" in item:
                try:
                    item_node = self.resolve(item_node)
                except UnresolvableRef:
                    continue
            for method in HTTP_METHODS:
                op = item_node.value.get(method)
                if not isinstance(op, dict):
                    continue
                op_id = op.get("operationId") or f"{method.upper()} {template}"
                effective = self._path_overrides.get(str(op_id), self._path_prefix + template)
                ops.append(Operation(
                    api=self._name,
                    operation_id=str(op_id),
                    method=method,
                    path=effective,
                    spec_path=template,
                    node=item_node.child(method),
                    path_item=item_node,
                ))
        return tuple(ops)

    @cached_property
    def _by_id(self) -> Mapping[str, Operation]:
        return {op.operation_id: op for op in self.operations}

    @cached_property
    def _matchers(self) -> tuple[tuple[str, int, str, Operation], ...]:
        """(literal prefix, literal length, template, operation) in the order paths are tried;
        a template's regex is compiled when a path first starts with its prefix."""
        found = []
        for op in self.operations:
            template = _normalise_path(op.path)
            found.append((template.split("{", 1)[0], len(_PARAM.sub("", template)), template, op))
        # Concrete paths win over templated ones (OpenAPI: /sessions/linked-user before
        # /sessions/{session_id}); then longer literal text, then spec order.
        found.sort(key=lambda item: -item[1])
        return tuple(found)

    def operation(self, operation_id: str) -> Operation:
        """The operation with this ``operationId``; OperationNotFound with suggestions."""
        try:
            return self._by_id[operation_id]
        except KeyError:
            raise OperationNotFound(f"operationId {operation_id!r}", api=self._name,
                                    suggestions=suggest_names(operation_id, self._by_id)) from None

    def candidate_paths(self, url: str) -> Iterator[str]:
        """The request path with each server prefix removed (longest first), then as given."""
        parts = urlsplit(url)
        path = _normalise_path(unquote(parts.path) if parts.scheme or parts.netloc else
                               unquote(url.split("?", 1)[0].split("#", 1)[0]))
        seen = set()
        for prefix in self.server_paths:
            if prefix != "/" and (path == prefix or path.startswith(prefix + "/")):
                rest = _normalise_path(path[len(prefix):] or "/")
                if rest not in seen:
                    seen.add(rest)
                    yield rest
        if path not in seen:
            yield path

    def match(self, method: str, url: str) -> PathMatch:
        """Find the operation serving ``method`` on a concrete URL (absolute or a path)."""
        method = method.lower()
        path_hits: list[Operation] = []
        for candidate in self.candidate_paths(url):
            for prefix, _literal, template, op in self._matchers:
                if not candidate.startswith(prefix):
                    continue
                regex, _literal, names = _compile_template(template)
                m = regex.match(candidate)
                if not m:
                    continue
                if op.method != method:
                    path_hits.append(op)
                    continue
                params = {name: m.group(f"p{i}") for i, name in enumerate(names)}
                return PathMatch(op, MappingProxyType(params))
        wanted = f"{method.upper()} {urlsplit(url).path or url}"
        if path_hits:
            allowed = sorted({op.method.upper() for op in path_hits})
            raise OperationNotFound(
                wanted, api=self._name,
                suggestions=[f"{m} {path_hits[0].path}" for m in allowed])
        import difflib  # only on the error path
        keys = [op.key for op in self.operations]
        probe = f"{method.upper()} {next(iter(self.candidate_paths(url)))}"
        close = difflib.get_close_matches(probe, keys, n=3, cutoff=0.4)
        raise OperationNotFound(wanted, api=self._name, suggestions=close)

    def with_paths(
        self, *, prefix: str | None = None, overrides: Mapping[str, str] | None = None
    ) -> Spec:
        """A copy whose operations live under ``prefix`` and/or at overridden paths.

        For vendors that do not publish their paths (Upheal): the spec's choice is an
        assumption, and a user who knows better changes it here without editing the spec.
        """
        overrides = dict(overrides or {})
        for op_id in overrides:
            self.operation(op_id)  # unknown ids fail loudly, with suggestions
        for op_id, path in overrides.items():
            if not path.startswith("/"):
                raise SpecError(f"path override for {op_id!r} must start with '/': {path!r}",
                                source=self.source)
        if prefix is not None and prefix and not prefix.startswith("/"):
            prefix = "/" + prefix
        return Spec(
            name=self._name,
            root=self._root,
            uri=self._uri,
            resources=self._resources,
            ref_problems=self._ref_problems,
            path_prefix=(prefix.rstrip("/") if prefix is not None else self._path_prefix),
            path_overrides={**self._path_overrides, **overrides},
            original=self._original,
        )


_MISSING = object()


def _walk(data: JSON, pointer: str) -> JSON:
    if pointer == "":
        return data
    if not pointer.startswith("/"):
        return _MISSING
    node = data
    for raw in pointer[1:].split("/"):
        token = unescape_token(unquote(raw))
        if isinstance(node, dict):
            if token not in node:
                return _MISSING
            node = node[token]
        elif isinstance(node, list):
            if not token.isdigit() or int(token) >= len(node):
                return _MISSING
            node = node[int(token)]
        else:
            return _MISSING
    return node


def split_ref(ref: str, base_uri: str) -> tuple[str, str]:
    """The absolute URI of the document a ``$ref`` names (against ``base_uri``) and its
    fragment (a JSON pointer, percent-decoded)."""
    absolute = urljoin(base_uri, ref) if not ref.startswith("#") else base_uri + ref
    uri, fragment = urldefrag(absolute)
    return uri, unquote(fragment)


_DATA_KEYS = frozenset({"example", "default", "const", "enum", "value"})


def iter_refs(node: JSON, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every ``$ref`` string in a document with the pointer of the object holding it.

    Example values, defaults, consts and enums are data, not spec: a ``$ref`` key inside them
    is not a reference. (Under ``properties`` the same words are property names.)
    """
    stack = [(node, pointer, False)]
    while stack:
        value, where, names = stack.pop()
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and not names:
                yield ref, where
            for key, child in value.items():
                child_at = f"{where}/{escape_pointer(str(key))}"
                if names:
                    stack.append((child, child_at, False))
                elif key == "$ref" or key in _DATA_KEYS or str(key).startswith("x-"):
                    continue
                elif key == "examples":
                    if isinstance(child, dict):  # OpenAPI map of Example Objects
                        for ex_name, ex in child.items():
                            if isinstance(ex, dict) and isinstance(ex.get("$ref"), str):
                                yield ex["$ref"], f"{child_at}/{escape_pointer(str(ex_name))}"
                    # a JSON Schema `examples` list holds values only
                else:
                    is_names = where == "/components" or key in (
                        "properties", "patternProperties", "$defs", "dependentSchemas",
                        "responses")  # a status may be called `default`
                    stack.append((child, child_at, is_names))
        elif isinstance(value, list):
            for i, child in enumerate(value):
                stack.append((child, f"{where}/{i}", False))


def _as_file_path(uri: str) -> Path:
    from urllib.request import url2pathname  # here: it imports http.client and ssl
    return Path(url2pathname(urlsplit(uri).path))


def load_spec(
    spec: str | Path,
    *,
    retriever: Retriever | None = None,
    lenient: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> Spec:
    """Load a bundled spec by name (``"upheal"``) or any OpenAPI 3.0/3.1 file by path.

    Raises :class:`SpecNotFound`, :class:`InputError`/:class:`SpecError` for unreadable
    documents, :class:`RemoteRefRefused` and :class:`UnresolvableRef`. With ``lenient=True``
    unresolvable references are collected in ``Spec.ref_problems`` instead (``contracts
    lint`` reports them as findings); cycles of bare ``$ref``s are always an error.
    """
    path, name = spec_location(spec)
    document = cached_document(path, limits=limits)
    loaded = _from_document(document, name=name, uri=path.resolve().as_uri(),
                            folder=path.resolve().parent, retriever=retriever, lenient=lenient,
                            limits=limits)
    bundled = isinstance(spec, str) and vendors.find(spec) is not None
    if bundled and limits == DEFAULT_LIMITS and retriever is None and not lenient:
        loaded = Spec(name=name, root=loaded.root, uri=loaded.uri, resources=loaded.resources,
                      ref_problems=loaded.ref_problems, bundled=name)
    return loaded


_BUNDLED: dict[str, Spec] = {}


def _bundled_spec(name: str, prefix: str, overrides: dict[str, str]) -> Spec:
    """A bundled spec rebuilt from its name, loaded once per process (pickle support)."""
    spec = _BUNDLED.get(name)
    if spec is None:
        spec = _BUNDLED[name] = load_spec(name)
    if prefix or overrides:
        return spec.with_paths(prefix=prefix, overrides=overrides)
    return spec


def _spec_from_state(name: str, root: Document, uri: str, resources: dict[str, Document],
                     ref_problems: tuple[RefProblem, ...], prefix: str,
                     overrides: dict[str, str]) -> Spec:
    return Spec(name=name, root=root, uri=uri, resources=resources, ref_problems=ref_problems,
                path_prefix=prefix, path_overrides=overrides)


def spec_from_text(
    text: str | bytes,
    *,
    name: str = "spec",
    source: str = "<string>",
    folder: Path | None = None,
    retriever: Retriever | None = None,
    lenient: bool = False,
) -> Spec:
    """Load a spec from text (tests, stdin); relative file refs resolve against ``folder``."""
    document = parse_document(text, source=source)
    base = (folder or Path.cwd()).resolve()
    return _from_document(document, name=name, uri=(base / f"{name}.yaml").as_uri(),
                          folder=base, retriever=retriever, lenient=lenient, limits=DEFAULT_LIMITS)


def _from_document(
    document: Document,
    *,
    name: str,
    uri: str,
    folder: Path,
    retriever: Retriever | None,
    lenient: bool,
    limits: Limits,
) -> Spec:
    check_openapi(document)
    if not lenient:  # lint reports a bad shape as meta-schema findings instead
        check_shape(document)
    original = None
    if is_30(document.data):  # read as its 3.1 equivalent; lint sees the original
        original = document
        document = _upgraded(document)
    resources: dict[str, Document] = {uri: document}
    problems: list[RefProblem] = []
    registry = None  # built on the first reference the fast path below cannot settle
    queue, suspects = [uri], []
    while queue:
        current_uri = queue.pop()
        current = resources[current_uri]
        for ref, where, base in iter_refs_with_base(current.data, current_uri):
            local = ref.startswith("#")
            target = _walk(current.data, unquote(ref[1:])) if local else _MISSING
            if not local or (isinstance(target, dict) and isinstance(target.get("$ref"), str)):
                # Another document, or one step lands on another bare ref: may be a cycle.
                suspects.append((current_uri, where))
            if base == current_uri and ref.startswith("#/") and target is not _MISSING:
                continue  # the common case, without building a resolver
            line = current.line_of(where + "/$ref")

            def problem(reason: str, *, _ref: str = ref, _where: str = where,
                        _line: int | None = line, _source: str = current.source) -> None:
                problems.append(RefProblem(_ref, _source, _where, _line, reason))

            if registry is None:
                registry = registry_of((u, d.data) for u, d in resources.items())
            while True:  # each round loads the resource the reference names, then retries
                try:
                    resolve_ref(registry, ref, base)
                except Pointless:
                    problem("points at nothing")
                except Missing as missing:
                    loaded = _load_resource(missing.uri, ref, current, where, line, folder,
                                            retriever, limits, problem)
                    if loaded is not None:
                        if original is not None:
                            loaded = _upgraded(loaded)
                        resources[missing.uri] = loaded
                        registry = registry.with_resource(
                            missing.uri, resource_of(loaded.data)).crawl()
                        queue.append(missing.uri)
                        continue
                break
    spec = Spec(name=name, root=document, uri=uri, resources=resources,
                ref_problems=tuple(problems), original=original)
    _check_bare_cycles(spec, suspects)
    if problems and not lenient:
        raise problems[0].as_error()
    return spec


def _upgraded(document: Document) -> Document:
    return Document(source=document.source, data=upgrade(document.data),
                    lines=document.lines)


def _load_resource(target_uri: str, ref: str, current: Document, where: str, line: int | None,
                   folder: Path, retriever: Retriever | None, limits: Limits,
                   problem: Callable[[str], None]) -> Document | None:
    """The document a reference names: a file inside the spec's folder, or a remote one
    from the caller's retriever (refused without one). None (and a problem) if unreadable."""
    if urlsplit(target_uri).scheme != "file":
        if retriever is None:
            raise RemoteRefRefused(ref, source=current.source, pointer=where, line=line)
        try:
            return Document(source=target_uri, data=retriever(target_uri))
        except Exception as exc:  # noqa: BLE001 - any retriever failure is a bad ref
            problem(f"could not be retrieved ({exc})")
            return None
    target_path = _as_file_path(target_uri).resolve()
    if not target_path.is_relative_to(folder):
        raise UnresolvableRef(ref, source=current.source, pointer=where, line=line,
                              reason="leaves the spec's folder")
    try:
        return cached_document(target_path, limits=limits)
    except InputError as exc:
        problem(f"names a file that cannot be read ({exc.detail})")
        return None


def _check_bare_cycles(spec: Spec, refs: list[tuple[str, str]]) -> None:
    """``refs``: (document, where) of every reference that names another document or whose
    first step lands on another bare ``$ref`` (one landing on a schema cannot cycle)."""
    for doc_uri, where in refs:
        node = Located(_walk(spec.resources[doc_uri].data, where), doc_uri, where)
        try:
            spec.resolve(node)
        except UnresolvableRef as exc:
            if "cycle" in exc.reason:
                raise
            # Missing targets are reported separately (ref_problems).
