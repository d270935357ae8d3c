"""What a team sets once: ``[tool.contracts]`` in pyproject.toml, or a ``contracts.toml``.

:func:`find_config` looks from a folder upward for the first ``contracts.toml`` or
``pyproject.toml`` with a ``[tool.contracts]`` table; :func:`load_config` reads one file into a
:class:`Config`. Tokens never live here: they come from the environment only
(``CONTRACTS_<API>_TOKEN``), and a key or value that looks like a credential is refused with
an :class:`InputError`. The command line overrides what the file says; :meth:`Config.as_dict`
is the effective configuration for printing, with anything secret-looking masked.

Example ``contracts.toml`` (in ``pyproject.toml`` the same keys sit under ``[tool.contracts]``)::

    report-dir = "reports"
    budget = 150
    rate-limit = "auto"
    max-examples = 5
    fail-on = "warning"        # lowest lint severity that fails the gate
    not-proved = "fail"        # or "warn"
    history = "contracts-history.sqlite"

    [apis.upheal]
    base-url = "https://api.upheal.io"
    path-prefix = "/v1"
    waivers = "waivers/upheal.yaml"
    [apis.upheal.params]
    sessionId = ["5f0c...", "9a1d..."]          # known values (--param)
    "getSession.sessionId" = "5f0c..."
    [apis.upheal.paths]
    getSession = "/partner/sessions/{sessionId}"  # path override (Upheal publishes none)

    [apis.mine]
    spec = "specs/mine.yaml"
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = ["ApiConfig", "Config", "find_config", "load_config"]

FILE_NAMES = ("contracts.toml", "pyproject.toml")
_TOP_KEYS = {"apis", "report-dir", "budget", "rate-limit", "max-examples", "seed", "fail-on",
             "not-proved", "history"}
_API_KEYS = {"spec", "base-url", "params", "paths", "path-prefix", "waivers"}
_SECRET_KEY = re.compile(r"(?i)(token|secret|passw(or)?d|api[-_]?key|authori[sz]ation|bearer|"
                         r"credential|private[-_]?key|cookie)")
_SECRET_VALUE = re.compile(
    r"(?i)^\s*(bearer\s+\S|basic\s+\S)"  # an Authorization header value
    r"|^eyJ[\w-]{5,}\.[\w-]{5,}\."  # a JWT
    r"|^(sk|pk|rk)_(live|test)_|^gh[pousr]_[A-Za-z0-9]{20,}|^xox[abprs]-|^AKIA[0-9A-Z]{16}$"
    r"|^[a-z][a-z0-9+.-]*://[^/?#@\s]*:[^/?#@\s]*@"  # a URL with user:password
    r"|[?&](access_token|token|api_key|apikey|key|signature|sig)=")


@dataclass(frozen=True)
class ApiConfig:
    """One API of the file: ``name`` is its key (a bundled name, or any name with ``spec``)."""

    name: str
    spec: str | None = None
    base_url: str | None = None
    params: tuple[str, ...] = ()
    """Known values as ``--param`` would take them, qualified by this API (``upheal:NAME=V``)."""
    paths: Mapping[str, str] = field(default_factory=dict)
    path_prefix: str | None = None
    waivers: str | None = None

    @property
    def target(self) -> str:
        """What ``--api`` would be given: the spec path, else the name."""
        return self.spec or self.name


@dataclass(frozen=True)
class Config:
    source: Path | None = None
    apis: tuple[ApiConfig, ...] = ()
    report_dir: str | None = None
    budget: int | None = None
    rate_limit: str | None = None
    max_examples: int | None = None
    seed: int | None = None
    fail_on: str | None = None
    not_proved: str | None = None
    history: str | None = None

    def api(self, name: str) -> ApiConfig | None:
        """The API configured under ``name`` (or whose spec is ``name``)."""
        return next((a for a in self.apis if name in (a.name, a.spec)), None)

    def as_dict(self) -> dict[str, Any]:
        """The configuration as plain data, secret-looking values masked (for printing)."""
        out: dict[str, Any] = {
            "source": str(self.source) if self.source else None,
            "report-dir": self.report_dir, "budget": self.budget, "rate-limit": self.rate_limit,
            "max-examples": self.max_examples, "seed": self.seed, "fail-on": self.fail_on,
            "not-proved": self.not_proved, "history": self.history, "apis": {}}
        for api in self.apis:
            out["apis"][api.name] = {
                "spec": api.spec, "base-url": _mask(api.base_url), "params": list(api.params),
                "paths": dict(api.paths), "path-prefix": api.path_prefix, "waivers": api.waivers}
        return out


def _mask(value: str | None) -> str | None:
    if value is None:
        return None
    return "********" if _SECRET_VALUE.search(value) else value


def find_config(start: Path | None = None) -> Path | None:
    """The first ``contracts.toml``, or ``pyproject.toml`` holding ``[tool.contracts]``, in
    ``start`` (default: the working folder) or a folder above it; None when there is none."""
    folder = (start or Path.cwd()).resolve()
    for here in (folder, *folder.parents):
        if (here / "contracts.toml").is_file():
            return here / "contracts.toml"
        pyproject = here / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue  # someone else's broken pyproject is not ours to report
            if isinstance(data.get("tool"), dict) and "contracts" in data["tool"]:
                return pyproject
    return None


def load_config(path: Path) -> Config:
    """Read ``path`` (a contracts.toml, or a pyproject.toml's ``[tool.contracts]``).

    Raises :class:`InputError` (with the file and the key) for an unreadable file, an unknown
    key, a value of the wrong type, and anything that looks like a credential.
    """
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the configuration ({exc.strerror})",
                         source=str(path)) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"not valid TOML ({exc})", source=str(path)) from None
    where = "tool.contracts." if path.name == "pyproject.toml" else ""
    if path.name == "pyproject.toml":
        data = (data.get("tool") or {}).get("contracts") or {}
    _refuse_secrets(data, path, where.rstrip("."))
    _known(data, _TOP_KEYS, path, where)
    apis = []
    for name, table in _table(data, "apis", path, where).items():
        here = f"{where}apis.{name}."
        if not isinstance(table, dict):
            raise InputError(f"{here[:-1]} must be a table", source=str(path))
        _known(table, _API_KEYS, path, here)
        spec = _str(table, "spec", path, here)
        if spec is not None and ("/" in spec or spec.endswith((".yaml", ".yml", ".json"))):
            spec = _relative(spec, path)
        waivers = _str(table, "waivers", path, here)
        apis.append(ApiConfig(
            name=name, spec=spec,
            base_url=_str(table, "base-url", path, here),
            params=_params(name, _table(table, "params", path, here), path, here),
            paths={str(k): _text(v, path, f"{here}paths.{k}")
                   for k, v in _table(table, "paths", path, here).items()},
            path_prefix=_str(table, "path-prefix", path, here),
            waivers=_relative(waivers, path) if waivers is not None else None))
    not_proved = _str(data, "not-proved", path, where)
    if not_proved not in (None, "fail", "warn"):
        raise InputError(f"{where}not-proved must be \"fail\" or \"warn\", not {not_proved!r}",
                         source=str(path))
    report_dir, history = _str(data, "report-dir", path, where), _str(data, "history", path,
                                                                      where)
    return Config(source=path, apis=tuple(apis),
                  report_dir=_relative(report_dir, path) if report_dir else None,
                  budget=_int(data, "budget", path, where, minimum=1),
                  rate_limit=_str(data, "rate-limit", path, where),
                  max_examples=_int(data, "max-examples", path, where, minimum=1),
                  seed=_int(data, "seed", path, where),
                  fail_on=_str(data, "fail-on", path, where), not_proved=not_proved,
                  history=_relative(history, path) if history else None)


def _relative(value: str, config: Path) -> str:
    """A path in the file means a path beside the file, wherever the command runs."""
    return str(config.parent / value) if not Path(value).is_absolute() else value


def _refuse_secrets(node: Any, path: Path, where: str) -> None:
    """Tokens come from the environment only: a credential in a committed file leaks."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}.{key}" if where else str(key)
            if _SECRET_KEY.search(str(key)):
                raise InputError(
                    f"{here}: credentials are not read from configuration files",
                    source=str(path),
                    hint="set CONTRACTS_<API>_TOKEN in the environment (a CI secret) instead")
            _refuse_secrets(value, path, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _refuse_secrets(value, path, f"{where}[{index}]")
    elif isinstance(node, str) and _SECRET_VALUE.search(node):
        raise InputError(f"{where}: this value looks like a credential (a token, a key or a "
                         "password); credentials are not read from configuration files",
                         source=str(path),
                         hint="set CONTRACTS_<API>_TOKEN in the environment (a CI secret) instead")


def _known(table: Mapping[str, Any], keys: set[str], path: Path, where: str) -> None:
    import difflib

    for key in table:
        if key not in keys:
            close = difflib.get_close_matches(str(key), sorted(keys), n=1)
            raise InputError(f"unknown key {where}{key}", source=str(path),
                             hint=f"did you mean {where}{close[0]}?" if close else
                             f"known keys: {', '.join(sorted(keys))}")


def _table(table: Mapping[str, Any], key: str, path: Path, where: str) -> dict[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"{where}{key} must be a table", source=str(path))
    return value


def _text(value: Any, path: Path, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"{where} must be a string", source=str(path))
    return str(value)


def _str(table: Mapping[str, Any], key: str, path: Path, where: str) -> str | None:
    return None if key not in table else _text(table[key], path, f"{where}{key}")


def _int(table: Mapping[str, Any], key: str, path: Path, where: str, *,
         minimum: int | None = None) -> int | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or (
            minimum is not None and value < minimum):
        raise InputError(f"{where}{key} must be a whole number"
                         + (f" >= {minimum}" if minimum is not None else ""), source=str(path))
    return value


def _params(api: str, table: Mapping[str, Any], path: Path, where: str) -> tuple[str, ...]:
    out = []
    for name, value in table.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            out.append(f"{api}:{name}={_text(item, path, f'{where}params.{name}')}")
    return tuple(out)
