"""Redaction of recorded exchanges: credentials always, patient data by default.

Redaction keeps shapes and types so that validation and drift detection still work on a
redacted log: objects keep their keys, arrays their length, strings stay strings (a
placeholder such as ``"[REDACTED:str:12]"``; dates, date-times, URLs and e-mail addresses get a
placeholder of the same format), numbers become ``0``, booleans ``false``, ``null`` stays.

Two kinds of rule:

* **Credentials, always** (even with ``enabled=False``): the ``authorization``,
  ``proxy-authorization``, ``cookie``, ``set-cookie``, ``x-api-key``, ``heidi-api-key`` and
  ``x-upheal-signature`` headers and every header whose name contains ``token``, ``secret``,
  ``key`` or ``auth``; body keys and query parameters named like ``token``, ``access_token``,
  ``api_key``, ``password``, ``secret`` (and anything ending in them); bearer/basic credentials
  and JWTs inside any string; URLs carrying a signature (``X-Amz-Signature``, ``sig``,
  ``token``...) are cut to scheme and host. Your own ``extra_keys``, ``extra_headers`` and
  ``paths`` rules apply always too.
* **Patient data, on by default** (``enabled=True``): values under the keys in ``keys``
  (names, dates of birth, transcripts, notes, summaries...), the values ``patient_paths``
  select (Eka's generated clinical documents), values under keys ending in ``url``, and
  non-JSON bodies. ``Redactor(enabled=False)`` is the opt-in that keeps them.

Keys match case-insensitively, ignoring ``_`` and ``-``: ``first_name`` also catches
``firstName`` and ``FIRST-NAME``.

JSON paths select values in a body (the body is ``$``)::

    $.session.patient        the member "patient" of the member "session"
    $.session.patient.*      every member (or item) of it
    $..words[*].text         "text" of every item of every "words" array, at any depth
    $.items[0]               the first item;  $['odd.key'] a key with dots or spaces

``.name`` is a member, ``..name`` a member at any depth, ``*`` and ``[*]`` any member or item,
``[N]`` an item, ``['name']``/``["name"]`` a member with any characters. A selected value is
redacted whole, with every value inside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from ._exchange import Body, Exchange
from ._loading import parse_json
from ._secrets import SECRET_KEYS, mask_text
from ._secrets import is_secret_key as _is_secret_key
from ._secrets import norm as _norm
from .errors import InputError, UsageError

__all__ = [
    "DEFAULT_PATIENT_KEYS",
    "DEFAULT_PATIENT_PATHS",
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "Redactor",
]

REDACTED = "[REDACTED]"

SECRET_HEADERS = frozenset({
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
    "heidi-api-key", "x-upheal-signature",
})
_HEADER_MARKERS = ("token", "secret", "key", "auth")


DEFAULT_PATIENT_KEYS = frozenset({
    # names
    "name", "display_name", "patient_name", "first_name", "last_name",
    # titles clinicians type, which often carry a patient's name (Heidi's session_name,
    # RealtimeKit's meeting_display_name)
    "session_name", "meeting_display_name",
    # dates of birth, identifiers in the clinic's own records, the whole details object
    # (Eka's patient_details also carries age, gender and mobile)
    "dob", "date_of_birth", "ehr_patient_id", "patient_details",
    # free text
    "text", "transcript", "result", "notes", "clinician_notes", "summary", "headline", "gist",
    "message", "demographic_details", "externalTreatmentPlan",
    # what a clinician types to Heidi's AI about the consult
    "ai_command_text",
    # where a call's participant (a patient, in a consult) sits: RealtimeKit's peer report
    # carries their IP address, city, region and network
    "ip_information",
})

DEFAULT_PATIENT_PATHS: tuple[str, ...] = (
    # Eka's generated documents: the structured clinical note itself (complaints, diagnoses,
    # medications, the patient's name...), under keys that vary by template, and its FHIR
    # form. Eka's sources print `templates` as a list of single-key objects or as one map
    # keyed by template id; both shapes are covered.
    "$.templates[*].*.data",
    "$.templates[*].*.fhir",
    "$.templates.*.data",
    "$.templates.*.fhir",
    # The endpoints Eka's Python SDK calls: the v3 status's template outputs and the v1
    # status's FHIR bundle (both base64-encoded clinical documents).
    "$.data.output[*].value",
    "$.data.output.fhir",
)

# Query parameters that make a URL a signed (bearer) URL: whoever holds it can fetch the media.
_SIGNATURE_PARAMS = frozenset({
    "signature", "sig", "xamzsignature", "xamzcredential", "xamzsecuritytoken",
    "xgoogsignature", "xgoogcredential", "keypairid", "policy", "token", "accesstoken",
})

_PLACEHOLDER = re.compile(r"\[REDACTED(?::[a-z]+:\d+)?\]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}.*")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ABSOLUTE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]+")
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")
_FORM = "application/x-www-form-urlencoded"
_FIELD_NAME = re.compile(r"[A-Za-z_$@][A-Za-z0-9_.$-]{0,63}")

# How a value is treated: kept (credentials cut out of strings), strings redacted, all redacted.
_KEEP, _TEXT, _FULL = 0, 1, 2




# --------------------------------------------------------------------------- JSON paths

# A step: (descendant, kind, value) with kind "key", "index" or "any".
_Step = tuple[bool, str, Any]
_NAME = re.compile(r"[^.\[\]\s]+")


def _compile_path(text: str) -> tuple[_Step, ...]:
    def bad(why: str) -> UsageError:
        return UsageError(f"bad redaction path {text!r}: {why}",
                          hint="e.g. $.session.patient.*, $..words[*].text")

    if not text.startswith("$"):
        raise bad("must start with '$'")
    steps: list[_Step] = []
    i = 1
    while i < len(text):
        descendant = text.startswith("..", i)
        if descendant:
            i += 2
        elif text[i] == ".":
            i += 1
        elif text[i] != "[":
            raise bad(f"unexpected {text[i]!r} at {i}")
        if i >= len(text):
            raise bad("ends after a dot")
        if text[i] == "[":
            end = text.find("]", i)
            if end < 0:
                raise bad("unclosed '['")
            inner = text[i + 1:end]
            if inner == "*":
                steps.append((descendant, "any", None))
            elif inner.isdigit():
                steps.append((descendant, "index", int(inner)))
            elif len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                steps.append((descendant, "key", inner[1:-1]))
            else:
                raise bad(f"[{inner}] is not [*], [N] or ['name']")
            i = end + 1
        elif text[i] == "*":
            steps.append((descendant, "any", None))
            i += 1
        else:
            match = _NAME.match(text, i)
            if not match:
                raise bad(f"expected a name at {i}")
            steps.append((descendant, "key", match.group()))
            i = match.end()
    return tuple(steps)


def _advance(rules: tuple[tuple[_Step, ...], ...], states: frozenset[tuple[int, int]],
             child: str | int) -> tuple[frozenset[tuple[int, int]], bool]:
    """Step every active rule over one member name or item index; (new states, matched)."""
    out: set[tuple[int, int]] = set()
    for rule, pos in states:
        descendant, kind, value = rules[rule][pos]
        if descendant:
            out.add((rule, pos))
        if kind == "any" or (
            kind == "key" and child == value and isinstance(child, str)
        ) or (kind == "index" and child == value and isinstance(child, int)):
            if pos + 1 == len(rules[rule]):
                return frozenset(), True
            out.add((rule, pos + 1))
    return frozenset(out), False


# --------------------------------------------------------------------------- the redactor


@dataclass(frozen=True, slots=True)
class Redactor:
    """What to redact. The default redacts credentials and patient data.

    ``enabled=False`` is the opt-in that keeps body values (patient data); credentials and
    the rules you add (``extra_keys``, ``extra_headers``, ``paths``) are applied regardless.
    ``keys`` replaces the built-in patient-data keys (:data:`DEFAULT_PATIENT_KEYS`) and
    ``patient_paths`` the built-in patient-data paths (:data:`DEFAULT_PATIENT_PATHS`), which
    apply only while ``enabled``.
    """

    enabled: bool = True
    keys: frozenset[str] = DEFAULT_PATIENT_KEYS
    extra_keys: frozenset[str] = frozenset()
    extra_headers: frozenset[str] = frozenset()
    paths: tuple[str, ...] = ()
    patient_paths: tuple[str, ...] = DEFAULT_PATIENT_PATHS
    _keys: frozenset[str] = field(init=False, repr=False, compare=False)
    _extra: frozenset[str] = field(init=False, repr=False, compare=False)
    _headers: frozenset[str] = field(init=False, repr=False, compare=False)
    _rules: tuple[tuple[_Step, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("keys", "extra_keys", "extra_headers"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise UsageError(f"Redactor {name} must be a collection of names, not a string")
            object.__setattr__(self, name, frozenset(value))
        if isinstance(self.paths, str):
            raise UsageError("Redactor paths must be a collection of paths, not a string")
        object.__setattr__(self, "paths", tuple(self.paths))
        if isinstance(self.patient_paths, str):
            raise UsageError("Redactor patient_paths must be a collection of paths, "
                             "not a string")
        object.__setattr__(self, "patient_paths", tuple(self.patient_paths))
        object.__setattr__(self, "_keys", frozenset(_norm(k) for k in self.keys))
        object.__setattr__(self, "_extra", frozenset(_norm(k) for k in self.extra_keys))
        object.__setattr__(self, "_headers", frozenset(h.lower() for h in self.extra_headers))
        selected = self.paths + (self.patient_paths if self.enabled else ())
        object.__setattr__(self, "_rules", tuple(_compile_path(p) for p in selected))

    # -- whole exchanges --------------------------------------------------------------

    def exchange(self, exchange: Exchange) -> Exchange:
        """The exchange with headers, URL query and both bodies redacted."""
        return replace(
            exchange,
            url=self.url(exchange.url),
            request_headers=self.headers(exchange.request_headers),
            request_body=self.body(exchange.request_body,
                                   exchange.request_headers.get("content-type")),
            response_headers=self.headers(exchange.response_headers),
            response_body=self.body(exchange.response_body,
                                    exchange.response_headers.get("content-type")),
        )

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Credential headers become ``[REDACTED]``; credentials inside others are cut out."""
        out: dict[str, str] = {}
        for name, value in headers.items():
            lower = name.lower()
            if (lower in SECRET_HEADERS or lower in self._headers
                    or any(marker in lower for marker in _HEADER_MARKERS)):
                out[lower] = REDACTED
            else:
                out[lower] = self._scrub(value)
        return out

    def url(self, url: str) -> str:
        """The URL with credentials (user info) and sensitive query values redacted."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return self._scrub(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = f"{quote(REDACTED)}@{netloc.rsplit('@', 1)[1]}"
        return urlunsplit((parts.scheme, netloc, parts.path, self.query(parts.query),
                           parts.fragment))

    def query(self, query: str) -> str:
        """A query string (or form body) with sensitive values redacted, the rest untouched."""
        if not query:
            return query
        out = []
        for pair in query.split("&"):
            name, eq, value = pair.partition("=")
            norm = _norm(unquote_plus(name))
            if eq and (self._sensitive_key(norm) or norm in _SIGNATURE_PARAMS):
                value = quote(REDACTED)
            elif eq:
                plain = unquote_plus(value)
                scrubbed = self._scrub(plain)
                if scrubbed != plain:
                    value = quote(scrubbed)
            out.append(f"{name}{eq}{value}")
        return "&".join(out)

    def body(self, body: Body, content_type: str | None = None) -> Body:
        """Redact a body in the body convention of :mod:`contracts.exchanges`.

        Raw text is parsed as JSON first (and a redacted top-level string stays raw text);
        a form body is redacted like a query string; any other raw body becomes a placeholder
        with its length (or, with ``enabled=False``, has only credentials cut out).
        """
        if body is None:
            return None
        if not isinstance(body, str | bytes | bytearray):
            return self._raw_if_scalar(self.json(body))
        text: str | None
        if isinstance(body, str):
            text = body
        else:
            try:
                text = bytes(body).decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is not None and _PLACEHOLDER.fullmatch(text):
            return body  # already redacted
        if text is not None:
            try:
                value = parse_json(text, source="<body>")
            except InputError:
                pass
            else:
                return self._raw_if_scalar(self.json(value))
            if content_type and content_type.split(";")[0].strip().lower() == _FORM:
                return self.query(text.strip())
        if self.enabled:
            kind, size = ("str", len(body)) if isinstance(body, str) else ("bytes", len(body))
            placeholder = f"[REDACTED:{kind}:{size}]"
            return placeholder if isinstance(body, str) else placeholder.encode("ascii")
        if text is None:
            return body
        scrubbed = self._scrub(text)
        if scrubbed == text:
            return body
        return scrubbed

    @staticmethod
    def _raw_if_scalar(value: Any) -> Body:
        # The body convention: a top-level JSON string (or null) is carried as raw text.
        if value is None or isinstance(value, str):
            import orjson

            return orjson.dumps(value).decode("utf-8")
        return value

    def json(self, value: Any) -> Any:
        """A redacted copy of a parsed JSON value: same keys, lengths and types.

        Iterative, so that nesting depth is bounded by the parser, not the Python stack.
        """
        rules = self._rules
        # The bare path "$" selects the whole value.
        mode = _FULL if any(not steps for steps in rules) else _KEEP
        start = frozenset((r, 0) for r in range(len(rules)) if rules[r])
        holder: list[Any] = [None]
        stack: list[tuple[Any, frozenset[tuple[int, int]], int, Any, Any]] = [
            (value, start, mode, holder, 0)]
        none: frozenset[tuple[int, int]] = frozenset()
        while stack:
            node, states, mode, parent, slot = stack.pop()
            if isinstance(node, dict):
                out: dict[Any, Any] = {}
                parent[slot] = out
                for index, (key, child) in enumerate(node.items()):
                    child_mode, child_states = mode, none
                    if mode != _FULL:
                        norm = _norm(key) if isinstance(key, str) else _norm(str(key))
                        child_mode = self._key_mode(norm, child, mode)
                        if child_mode != _FULL and states:
                            child_states, matched = _advance(rules, states, key)
                            child_mode = _FULL if matched else child_mode
                        # A URL key holds media links (often signed) whether it is a string
                        # or, when a vendor changes the type, a list or an object of them.
                        if (child_mode == _KEEP and self.enabled and norm.endswith("url")
                                and isinstance(child, str | list | dict)):
                            child_mode = _TEXT
                    name = self._key(key, index, mode)
                    out[name] = None
                    stack.append((child, child_states, child_mode, out, name))
            elif isinstance(node, list):
                items: list[Any] = [None] * len(node)
                parent[slot] = items
                for index, child in enumerate(node):
                    child_mode, child_states = mode, none
                    if mode != _FULL and states:
                        child_states, matched = _advance(rules, states, index)
                        child_mode = _FULL if matched else mode
                    stack.append((child, child_states, child_mode, items, index))
            elif isinstance(node, str):
                parent[slot] = self._scrub(node) if mode == _KEEP else self._placeholder(node)
            elif mode != _FULL or node is None:
                # Numbers and booleans inside free text (timings, counts) are structure.
                parent[slot] = node
            elif isinstance(node, bool):
                parent[slot] = False
            elif isinstance(node, int):
                parent[slot] = 0
            elif isinstance(node, float):
                parent[slot] = 0.0
            else:  # not a JSON value; never let it through
                parent[slot] = REDACTED
        return holder[0]

    # -- rules ------------------------------------------------------------------------

    def _key(self, key: Any, index: int, mode: int) -> Any:
        """An object key as it may be written: one that holds a credential (a JWT used as a
        key) never is, nor, under a redacted field, one that is not a plain field name (a
        map keyed by names or e-mail addresses). Placeholders keep keys distinct."""
        if not isinstance(key, str):
            return key
        if mask_text(key) != key or (
                mode != _KEEP and self.enabled and not _FIELD_NAME.fullmatch(key)):
            return f"[REDACTED:key:{index}]"
        return key

    def _key_mode(self, norm: str, child: Any, mode: int) -> int:
        """How to treat the value under a key, given how its parent is treated."""
        if _is_secret_key(norm) or norm in self._extra:
            return _FULL
        if self.enabled and norm in self._keys:
            # A value under a patient-data key goes whole; a container's numbers and booleans
            # (word timings, confidences) stay, as they are not what the key is about.
            return _TEXT if isinstance(child, dict | list) else _FULL
        return mode

    def _sensitive_key(self, norm: str) -> bool:
        return (_is_secret_key(norm) or norm in self._extra
                or (self.enabled and norm in self._keys))

    @staticmethod
    def _scrub(text: str) -> str:
        """Always-on: cut credentials (signed URLs, URL user information, bearer and basic
        credentials, JWTs) out of a string that is otherwise kept."""
        if "://" in text and "?" in text:
            text = _URL_IN_TEXT.sub(_cut_signed_url, text)
        return mask_text(text)

    @staticmethod
    def _placeholder(text: str) -> str:
        """A string of the same format that holds none of the value."""
        if not text or _PLACEHOLDER.fullmatch(text):
            return text
        if _DATE.fullmatch(text):
            return "1900-01-01"
        if _DATETIME.fullmatch(text):
            return "1900-01-01T00:00:00Z"
        if _ABSOLUTE_URL.match(text) and " " not in text:
            return _scheme_and_host(text)
        if _EMAIL.fullmatch(text):
            return "redacted@example.invalid"
        return f"[REDACTED:str:{len(text)}]"


def _cut_signed_url(match: re.Match[str]) -> str:
    url = match.group()
    stripped = url.rstrip(".,;:!)]}")  # punctuation after a URL in prose is not part of it
    if "?" in stripped and _is_signed_url(stripped):
        return _scheme_and_host(stripped) + url[len(stripped):]
    return url


def _is_signed_url(text: str) -> bool:
    query = text.split("?", 1)[1].split("#", 1)[0]
    for pair in query.split("&"):
        norm = _norm(unquote_plus(pair.partition("=")[0]))
        if norm in _SIGNATURE_PARAMS or _is_secret_key(norm):
            return True
    return False


def _scheme_and_host(text: str) -> str:
    match = _ABSOLUTE_URL.match(text)
    assert match is not None
    scheme, _, netloc = match.group().partition("://")
    return f"{scheme}://{netloc.rsplit('@', 1)[-1]}"

