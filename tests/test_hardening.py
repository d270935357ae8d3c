"""Hardening across every command (see SECURITY.md): hostile input is one line and exit 2 (or 1
for a contract finding) in bounded time and memory; canaries never leak; nothing but loopback
is ever dialled; arbitrary exchanges and specs never crash the engines."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from _support import CLI
from contracts._loading import load_document

HERE = Path(__file__).parent
BAD = HERE / "data" / "bad"
GOOD_CORPUS = HERE / "data" / "exchanges" / "sample.jsonl"
SRC = HERE.parent / "src"
SPECS = HERE.parent / "specs"

pytest_plugins = ["pytester"]

# Guards against hangs and blow-ups, not a speed test: an order of magnitude above what the
# biggest case needs on a slow CI machine.
BOUND_SECONDS = 60
BOUND_BYTES = 1536 * 1024 * 1024

COMMANDS = {
    "spec": ("lint", "validate", "drift", "diff", "generate"),
    "corpus": ("validate", "drift"),
    "body": ("validate",),
    "waivers": ("drift",),
    "history": ("drift",),
}


# --------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Case:
    file: str
    kind: str
    exit: dict[str, int]
    says: dict[str, str]
    at: dict[str, str]
    recipe: tuple[tuple[str, int], ...]
    only: tuple[str, ...]

    @property
    def name(self) -> str:
        return Path(self.file).name

    def commands(self) -> tuple[str, ...]:
        return self.only or COMMANDS[self.kind]

    def exit_for(self, command: str) -> int:
        return self.exit.get(command, self.exit.get("default", 2))

    def says_for(self, command: str) -> str:
        return self.says.get(command, self.says.get("default", ""))

    def at_for(self, command: str) -> list[str]:
        return str(self.at.get(command, self.at.get("default", ""))).split()

    def materialize(self, folder: Path, name: str) -> Path:
        """The case as a file in ``folder``: built from its recipe, or a copy (so that no
        command can touch the committed file)."""
        target = folder / name
        if self.recipe:
            with target.open("w", encoding="utf-8") as fh:
                for text, times in self.recipe:
                    fh.write(text * times)
        else:
            shutil.copyfile(BAD / self.file, target)
        return target


def _per_command(value: Any, default: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return {"default": default if value is None else value}


def _cases() -> list[Case]:
    manifest = load_document(BAD / "MANIFEST.yaml").data
    return [Case(file=c["file"], kind=c["as"], exit=_per_command(c.get("exit"), 2),
                 says=_per_command(c.get("says"), ""), at=_per_command(c.get("at"), ""),
                 recipe=tuple((str(t), int(n)) for t, n in c.get("recipe", ())),
                 only=tuple(c.get("only", ()))) for c in manifest["cases"]]


CASES = _cases()
RUNS = [pytest.param(case, command, id=f"{command}:{case.name}")
        for case in CASES for command in case.commands()]


def _argv(case: Case, command: str, tmp: Path) -> tuple[list[str], str]:
    """The command line for ``case`` under ``command`` and the file name it must mention."""
    if case.kind == "spec" and command == "generate":
        specs = tmp / "specs"
        specs.mkdir()
        path = case.materialize(specs, "case" + Path(case.name).suffix)
        return ["generate", "--specs", str(specs), "--out", str(tmp / "out")], path.name
    path = case.materialize(tmp, case.name)
    good = str(GOOD_CORPUS)
    argv = {
        ("spec", "lint"): ["lint", str(path)],
        ("spec", "validate"): ["validate", "--api", str(path), good],
        ("spec", "drift"): ["drift", "--api", str(path), good],
        ("spec", "diff"): ["diff", str(path), "heidi"],
        ("corpus", "validate"): ["validate", "--api", "heidi", str(path)],
        ("corpus", "drift"): ["drift", "--api", "heidi", str(path)],
        ("body", "validate"): ["validate", "--api", "heidi", "--operation", "getSession",
                               "--status", "200", str(path)],
        ("waivers", "drift"): ["drift", "--api", "heidi", "--waivers", str(path), good],
        ("history", "drift"): ["drift", "--api", "heidi", "--history", str(path), good],
    }[case.kind, command]
    return argv, path.name


_CHILD = """
import io, json, resource, sys
from contracts.cli import run
out, err = io.StringIO(), io.StringIO()
code = run(sys.argv[2:], stdout=out, stderr=err)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
peak *= 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
with open(sys.argv[1], "w", encoding="utf-8") as fh:
    json.dump({"code": code, "out": out.getvalue()[:1_000_000], "err": err.getvalue(),
               "peak": peak}, fh)
"""


def _run_bounded(argv: list[str], tmp: Path) -> tuple[int, str, str]:
    """Run the CLI in a child process and fail on a hang or a memory blow-up."""
    result = tmp / "result.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
        str(SRC), os.environ.get("PYTHONPATH", "")]))}
    try:
        child = subprocess.run([sys.executable, "-c", _CHILD, str(result), *argv], env=env,
                               capture_output=True, text=True, timeout=BOUND_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"contracts {' '.join(argv[:2])} ... did not finish in {BOUND_SECONDS} s")
    assert child.returncode == 0, child.stderr[-2000:]  # the child itself did not crash
    report = json.loads(result.read_text(encoding="utf-8"))
    assert report["peak"] < BOUND_BYTES, f"peak memory {report['peak'] / 2**20:.0f} MiB"
    return report["code"], report["out"], report["err"]


def test_the_corpus_is_big_enough_and_every_file_is_listed() -> None:
    assert len(CASES) >= 40
    listed = {(BAD / c.file).resolve() for c in CASES if not c.recipe}
    on_disk = {p.resolve() for p in BAD.iterdir() if p.name != "MANIFEST.yaml"}
    assert on_disk <= listed, sorted(p.name for p in on_disk - listed)
    assert all((BAD / c.file).is_file() for c in CASES if not c.recipe)
    kinds = {c.kind for c in CASES}
    assert kinds == set(COMMANDS)


@pytest.mark.parametrize(("case", "command"), RUNS)
def test_bad_input_is_one_line_and_the_right_exit_code(case: Case, command: str,
                                                       tmp_path: Path, cli: CLI) -> None:
    argv, shown = _argv(case, command, tmp_path)
    if case.recipe:
        code, out, err = _run_bounded(argv, tmp_path)
    else:
        code, out, err = cli(*argv)
    expected = case.exit_for(command)
    assert code == expected, (code, out[-2000:], err)
    assert "Traceback" not in out + err and "internal error" not in err, err
    lines = err.splitlines()
    says = case.says_for(command)
    if expected == 2:
        assert len(lines) == 1 and err.endswith("\n"), err
        message = lines[0]
        assert says in message, message
    else:  # findings on stdout; at most one line on stderr about unreadable parts
        assert len(lines) <= 1, err
        message = err or out
        assert says in out + err, (out[-2000:], err)
        assert len(out) < 200_000, "a report must not echo huge values"
    if lines or expected == 2:
        assert shown in message, message
        for place in case.at_for(command):
            assert (f"{shown}{place}" if place[0] in ":#" else place) in message, message


# --------------------------------------------------------------------------- network

# Loaded by every Python started with this folder on PYTHONPATH: any attempt to resolve or
# dial something that is not loopback is written down (and refused).
_SITECUSTOMIZE = '''
import ipaddress, os, socket

_LOG = os.environ["CONTRACTS_NET_LOG"]


def _note(what):
    with open(_LOG, "a", encoding="utf-8") as fh:
        fh.write(what + "\\n")


def _local(host):
    if host in (None, "", "localhost") or isinstance(host, bytes) and host == b"localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _guard(method):
    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            _note(f"connect {address[0]}")
            raise OSError("network access refused by the test")
        return method(self, address)
    return guarded


socket.socket.connect = _guard(socket.socket.connect)
socket.socket.connect_ex = _guard(socket.socket.connect_ex)
_getaddrinfo = socket.getaddrinfo


def getaddrinfo(host, *args, **kwargs):
    if not _local(host):
        _note(f"resolve {host}")
        raise socket.gaierror(socket.EAI_NONAME, "network access refused by the test")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = getaddrinfo
'''


def _offline_run(tmp: Path, *argv: str, code: str | None = None) -> tuple[int, list[str], str]:
    """Run ``contracts ARGV`` (or Python ``code``) with the network guard; the exit code, what
    it tried to reach, and its stderr."""
    site = tmp / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
    log = tmp / "net.log"
    log.write_text("", encoding="utf-8")
    env = {**os.environ, "CONTRACTS_NET_LOG": str(log),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(site), str(SRC),
                                                       os.environ.get("PYTHONPATH", "")]))}
    for key in [k for k in env if k.endswith(("_PROXY", "_proxy"))]:
        del env[key]
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "contracts", *argv]
    child = subprocess.run(command, env=env, cwd=tmp, capture_output=True, text=True,
                           timeout=300)
    return child.returncode, log.read_text(encoding="utf-8").split(), child.stderr


def test_the_network_guard_sees_an_outbound_connection(tmp_path: Path) -> None:
    # The guard used below must be able to fail: a plain HTTP request is caught.
    _code, attempts, _err = _offline_run(tmp_path, code=(
        "import socket, urllib.request\n"
        "try:\n    socket.socket().connect(('192.0.2.1', 80))\n"
        "except OSError:\n    pass\n"
        "try:\n    urllib.request.urlopen('https://vendor.example/', timeout=1)\n"
        "except OSError:\n    pass\n"))
    assert attempts == ["connect", "192.0.2.1", "resolve", "vendor.example"]


@pytest.mark.slow
def test_offline_commands_touch_no_network(tmp_path: Path) -> None:
    corpus = str(GOOD_CORPUS)
    har = str(HERE / "data" / "exchanges" / "sample.har")
    runs = [
        ["lint"],
        ["validate", "--api", "heidi", "--format", "sarif", corpus, har],
        ["drift", "--api", "heidi", "--format", "html", corpus],
        ["drift", "--api", "heidi", "--baseline", corpus, corpus],
        ["diff", "heidi", str(HERE.parent / "specs" / "heidi.yaml")],
        ["generate", "--specs", str(HERE.parent / "specs"), "--out", str(tmp_path / "gen")],
        ["gate", "--api", "eka", "--max-examples", "1", "--report-dir", str(tmp_path / "r")],
    ]
    for argv in runs:
        code, attempts, err = _offline_run(tmp_path, *argv)
        assert code in (0, 1), (argv, err[-2000:])
        assert attempts == [], (argv, attempts)


def test_remote_refs_are_never_fetched_by_any_command(tmp_path: Path, cli: CLI) -> None:
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    hits: list[str] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            hits.append("connection")
            conn.close()

    thread = threading.Thread(target=accept)
    thread.start()
    specs = tmp_path / "specs"
    specs.mkdir()
    spec = specs / "remote.yaml"
    spec.write_text((BAD.parent / "lint" / "bad" / "remote-ref.yaml").read_text(
        encoding="utf-8").replace("127.0.0.1:9", f"127.0.0.1:{port}"), encoding="utf-8")
    try:
        for argv in (["lint", str(spec)], ["validate", "--api", str(spec), str(GOOD_CORPUS)],
                     ["drift", "--api", str(spec), str(GOOD_CORPUS)],
                     ["diff", str(spec), "heidi"], ["diff", "heidi", str(spec)],
                     ["generate", "--specs", str(specs), "--out", str(tmp_path / "out")]):
            code, _out, err = cli(*argv)
            assert code == 2 and "remote references are refused" in err, (argv, err)
    finally:
        done.set()
        thread.join()
        listener.close()
    assert hits == []


def _serve_briefly(argv: list[str], tmp: Path) -> tuple[str, str]:
    """Start a long-running command, wait for its first line of output, stop it with Ctrl-C
    at once; return (stdout line, stderr so far)."""
    line, err, _code = _serve_and_interrupt(argv, tmp)
    return line, err


def _serve_and_interrupt(argv: list[str], tmp: Path) -> tuple[str, str, int]:
    """:func:`_serve_briefly`, with the exit code."""
    import signal
    import threading

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
        str(SRC), os.environ.get("PYTHONPATH", "")]))}
    child = subprocess.Popen([sys.executable, "-m", "contracts", *argv], cwd=tmp, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(BOUND_SECONDS, child.kill)  # a server that never speaks
    watchdog.start()
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
    finally:
        watchdog.cancel()
        child.send_signal(signal.SIGINT)
        try:
            _rest, err = child.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            _rest, err = child.communicate()
    return line, err, child.returncode


@pytest.mark.parametrize("argv", [
    ["mock", "heidi"],
    ["proxy", "eka", "--upstream", "http://127.0.0.1:9", "--record", "log.jsonl"],
], ids=["mock", "proxy"])
def test_servers_bind_loopback_by_default(argv: list[str], tmp_path: Path) -> None:
    line, err = _serve_briefly(argv, tmp_path)
    assert "http://127.0.0.1:" in line, (line, err)
    assert "warning" not in err and "Traceback" not in err, err


@pytest.mark.parametrize("argv", [
    ["mock", "heidi"],
    ["mock", str(SPECS / "eka.yaml")],
    ["proxy", "eka", "--upstream", "http://127.0.0.1:9", "--record", "log.jsonl"],
], ids=["mock", "spec-mock", "proxy"])
def test_servers_stop_cleanly_when_interrupted_right_after_announcing(
        argv: list[str], tmp_path: Path) -> None:
    # The URL is printed once uvicorn serves, after it has taken over Ctrl-C: a script that
    # interrupts as soon as it reads the URL gets an orderly stop, exit code 0, every time.
    for _ in range(3):
        line, err, code = _serve_and_interrupt(argv, tmp_path)
        assert "http://127.0.0.1:" in line, (line, err)
        assert code == 0, (code, err)
        assert "Traceback" not in err and "aborted" not in err, err


@pytest.mark.parametrize("argv", [
    ["mock", "heidi"],
    ["proxy", "eka", "--upstream", "http://127.0.0.1:9", "--record", "log.jsonl"],
], ids=["mock", "proxy"])
def test_servers_warn_before_listening_beyond_loopback(argv: list[str], tmp_path: Path) -> None:
    # 192.0.2.1 (TEST-NET-1) is not ours, so the bind fails after the warning: the test never
    # listens beyond loopback itself.
    line, err_text = _serve_briefly([*argv, "--host", "192.0.2.1"], tmp_path)
    lines = err_text.splitlines()
    assert "not a loopback address" in lines[0], err_text
    assert "cannot listen on 192.0.2.1" in err_text and "Traceback" not in err_text
    assert line == ""


@pytest.mark.slow
def test_the_pytest_plugins_mock_binds_loopback(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bind="""
        def test_bind(contract_mock):
            handle = contract_mock("eka")
            assert handle.base_url.startswith("http://127.0.0.1:"), handle.base_url
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


# --------------------------------------------------------------------------- patient data

CANARY_TOKEN = "canary-bearer-5e1f0a9d"
CANARY_KEY = "canary-heidi-key-c0ffee42"
CANARY_COOKIE = "canary-cookie-b16b00b5"
CANARY_SIGNATURE = "CANARYSIG77aa88bb"
NAME = "Quillon Canarywright"
DOB = "1913-03-14"
SENTENCE = "The canary sang about a sore left elbow since Tuesday"
SIGNED_URL = f"https://media.example.invalid/rec.m4a?X-Amz-Signature={CANARY_SIGNATURE}"
CREDENTIALS = (CANARY_TOKEN, CANARY_KEY, CANARY_COOKIE, CANARY_SIGNATURE)
PATIENT = (NAME, DOB, SENTENCE)
HEIDI = "https://registrar.api.heidihealth.com/api/v2/ml-scribe/open-api"


def _canary_body() -> dict[str, Any]:
    return {"session": {
        "session_id": "ses_canary_1",
        "session_name": SENTENCE,
        "patient": {"name": NAME, "gender": 7, "dob": DOB},
        "duration": NAME,  # a type violation whose value is patient data
        "consult_note": {"status": "CREATED", "result": SENTENCE},
        "transcript_line": SENTENCE,  # undocumented fields full of patient data
        "date_of_birth": DOB,
        "audio_url": SIGNED_URL,
    }}


def _canary_exchange(body: Any = None) -> Any:
    from contracts.exchanges import Exchange

    return Exchange(
        method="GET", url=f"{HEIDI}/sessions/ses_canary_1?sig={CANARY_SIGNATURE}", status=200,
        request_headers={"Authorization": f"Bearer {CANARY_TOKEN}", "Heidi-Api-Key": CANARY_KEY,
                         "Cookie": f"sid={CANARY_COOKIE}"},
        response_headers={"Content-Type": "application/json",
                          "Set-Cookie": f"sid={CANARY_COOKIE}; HttpOnly"},
        response_body=_canary_body() if body is None else body)


def _raw_corpus(folder: Path) -> list[Path]:
    """The canary exchange, unredacted, as a JSON Lines log, a HAR file and a VCR cassette."""
    body = json.dumps(_canary_body())
    url = f"{HEIDI}/sessions/ses_canary_1?sig={CANARY_SIGNATURE}"
    request_headers = {"authorization": f"Bearer {CANARY_TOKEN}", "heidi-api-key": CANARY_KEY,
                       "cookie": f"sid={CANARY_COOKIE}"}
    response_headers = {"content-type": "application/json",
                        "set-cookie": f"sid={CANARY_COOKIE}; HttpOnly"}
    jsonl = folder / "raw.jsonl"
    jsonl.write_text(json.dumps({
        "version": 1, "request": {"method": "GET", "url": url, "headers": request_headers},
        "response": {"status": 200, "headers": response_headers, "body": _canary_body()},
    }) + "\n", encoding="utf-8")

    def har_headers(headers: dict[str, str]) -> list[dict[str, str]]:
        return [{"name": k, "value": v} for k, v in headers.items()]

    har = folder / "raw.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"},
                                       "entries": [{
        "startedDateTime": "2025-03-04T10:15:00.000Z",
        "request": {"method": "GET", "url": url, "headers": har_headers(request_headers)},
        "response": {"status": 200, "headers": har_headers(response_headers),
                     "content": {"size": len(body), "mimeType": "application/json",
                                 "text": body}}}]}}), encoding="utf-8")
    cassette = folder / "raw.yaml"  # JSON is YAML: no YAML writer needed
    cassette.write_text(json.dumps({"version": 1, "interactions": [{
        "request": {"method": "GET", "uri": url, "body": None,
                    "headers": {k: [v] for k, v in request_headers.items()}},
        "response": {"status": {"code": 200, "message": "OK"},
                     "headers": {k: [v] for k, v in response_headers.items()},
                     "body": {"string": body}}}]}), encoding="utf-8")
    return [jsonl, har, cassette]


def _everything_written(texts: list[str], folder: Path) -> str:
    """Terminal output plus every file under ``folder`` (bytes decoded leniently)."""
    parts = list(texts)
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def _leaks(text: str, canaries: tuple[str, ...]) -> list[str]:
    return [c for c in canaries if c in text or json.dumps(c)[1:-1] in text]


def test_a_recording_keeps_no_canary(tmp_path: Path) -> None:
    from contracts.exchanges import write_exchanges
    from contracts.redaction import Redactor

    # Redaction goes by key, so the canaries sit where the vendors put patient data (a value
    # under an unrelated key, such as ``duration`` above, is kept: see SECURITY.md).
    exchange = _canary_exchange({"session": {
        "session_id": "ses_canary_1",
        "patient": {"name": NAME, "dob": DOB},
        "consult_note": {"status": "CREATED", "result": SENTENCE},
        "transcript": [{"text": SENTENCE, "start": 0.5}],
        "audio": [{"url": SIGNED_URL}],
        "notes": f"Seen with Authorization: Bearer {CANARY_TOKEN}",
    }})
    default, opted_in = tmp_path / "default.jsonl", tmp_path / "opted-in.jsonl"
    with default.open("wb") as fh:
        write_exchanges(fh, [exchange])
    with opted_in.open("wb") as fh:
        write_exchanges(fh, [exchange], redactor=Redactor(enabled=False))
    assert _leaks(default.read_text(encoding="utf-8"), CREDENTIALS + PATIENT) == []
    kept = opted_in.read_text(encoding="utf-8")
    assert _leaks(kept, CREDENTIALS) == []
    assert NAME in kept  # the opt-in is real, so the check above could fail


@pytest.mark.parametrize("command", ["validate", "drift"])
def test_reports_carry_no_canary_unless_asked(command: str, tmp_path: Path, cli: CLI) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    corpus = [str(p) for p in _raw_corpus(raw)]
    for show in (False, True):
        out_dir = tmp_path / ("shown" if show else "hidden")
        out_dir.mkdir()
        texts: list[str] = []
        flags = ["--show-values"] if show else []
        if command == "validate":
            formats = ["text", "json", "junit", "sarif"]
            runs = [["validate", "--api", "heidi", "--strict", "--format", f, *flags, *corpus]
                    for f in formats]
        else:
            formats = ["table", "markdown", "json", "junit", "sarif", "html"]
            runs = [["drift", "--api", "heidi", "--format", f, *flags,
                     "--output", str(out_dir / f"report.{f}"),
                     "--history", str(out_dir / "history.sqlite"), *corpus] for f in formats]
            runs.append(["drift", "--api", "heidi", *flags, "--suggest",
                         str(out_dir / "suggested.yaml"), *corpus])
            runs.append(["drift", "--api", "heidi", "--format", "json", *flags, "--baseline",
                         corpus[0], corpus[1]])
        for argv in runs:
            code, out, err = cli(*argv)
            # The canaries break the contract (a baseline of one exchange against itself not).
            assert code == (0 if "--baseline" in argv else 1), (argv, out[-2000:], err)
            texts += [out, err]
        written = _everything_written(texts, out_dir)
        assert _leaks(written, CREDENTIALS) == [], (command, show)
        if show:
            assert NAME in written  # --show-values works, so the hidden run proves something
        else:
            assert _leaks(written, PATIENT) == [], command


def _plant(value: Any, depth: int = 0) -> Any:
    """Canaries where patient data goes, and a patient name where a number should be."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in ("name", "patient_name"):
                out[key] = NAME
            elif key in ("dob", "date_of_birth"):
                out[key] = DOB
            elif key in ("text", "transcript", "result", "summary"):
                out[key] = SENTENCE
            elif isinstance(item, int) and not isinstance(item, bool):
                out[key] = NAME
            else:
                out[key] = _plant(item, depth + 1)
        if depth == 0:
            out.update({"patient_name": NAME, "dob": DOB, "transcript": SENTENCE,
                        "audio_url": SIGNED_URL})
        return out
    if isinstance(value, list):
        return [_plant(item, depth + 1) for item in value]
    return value


@pytest.mark.slow
def test_the_live_gate_reports_no_canary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: CLI
                                         ) -> None:
    from contracts.mock import MockServer, app, base_urls

    inner = app("eka", token=CANARY_TOKEN)

    async def upstream(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await inner(scope, receive, capture)
        body = b"".join(chunks)
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict | list):
            body = json.dumps(_plant(data)).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers += [(b"content-length", str(len(body)).encode()),
                    (b"set-cookie", f"sid={CANARY_COOKIE}; HttpOnly".encode()),
                    (b"x-signed-url", SIGNED_URL.encode())]
        await send({"type": "http.response.start", "status": start["status"],
                    "headers": headers})
        await send({"type": "http.response.body", "body": body})

    reports = tmp_path / "reports"
    with MockServer(upstream) as server:
        monkeypatch.setenv("CONTRACTS_EKA_BASE_URL", base_urls(["eka"], server.url)["eka"])
        monkeypatch.setenv("CONTRACTS_EKA_TOKEN", CANARY_TOKEN)
        monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
        code, out, err = cli("gate", "--api", "eka", "--live", "--allow-writes",
                             "--max-examples", "2",
                             "--budget", "40", "--report-dir", str(reports))
    assert code == 1, (out[-3000:], err[-2000:])
    # The planted values were seen and reported (so their absence below means something).
    assert "expected integer, got string" in out and "'patient_name'" in out, out[-3000:]
    assert sorted(p.name for p in reports.iterdir()) == [
        "junit.xml", "report.html", "report.json", "report.sarif", "summary.md"]
    written = _everything_written([out, err], reports)
    assert _leaks(written, CREDENTIALS + PATIENT) == []


# --------------------------------------------------------------------------- fuzzing

from hypothesis import HealthCheck, given, settings  # noqa: E402 - grouped with its section
from hypothesis import strategies as st  # noqa: E402

FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)
_BODIES = st.none() | _JSON | st.binary(max_size=64) | st.text(max_size=64) | _JSON.map(
    lambda v: json.dumps(v).encode())


@functools.cache
def _known_urls() -> list[str]:
    """Real operation URLs (absolute and bare paths) of every bundled spec."""
    import re

    from contracts.specs import BUNDLED, load_spec

    urls = []
    for api in BUNDLED:
        spec = load_spec(api)
        prefix = spec.server_paths[0] if spec.server_paths else ""
        for op in spec.operations:
            path = re.sub(r"\{[^}]+\}", "id-1", op.path)
            urls += [path, f"https://vendor.example{prefix}{path}"]
    return sorted(set(urls))


_HEADER_NAMES = st.sampled_from(["content-type", "authorization", "heidi-api-key", "x-api-key",
                                 "cookie", "retry-after", "location", "x-anything"])
_HEADER_VALUES = st.sampled_from(["application/json", "text/plain", "application/problem+json",
                                  "Bearer t", "multipart/form-data; boundary=x", ""]) | st.text(
    st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=20)


@st.composite
def _exchanges(draw: st.DrawFn) -> Any:
    from contracts.exchanges import Exchange

    known = _known_urls()
    url = draw(st.sampled_from(known).flatmap(lambda u: st.sampled_from([
        u, u + "?page=2&x=%FF", u.replace("id-1", "%2e%2e"), u + "/extra"]))
        | st.text(max_size=30))
    status = draw(st.none() | st.integers(100, 599))
    method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
                  | st.from_regex(r"[A-Za-z]{1,7}", fullmatch=True))
    request_headers = draw(st.dictionaries(_HEADER_NAMES, _HEADER_VALUES, max_size=3))
    response_headers = {} if status is None else draw(
        st.dictionaries(_HEADER_NAMES, _HEADER_VALUES, max_size=3))
    return Exchange(method=method, url=url, status=status, request_headers=request_headers,
                    request_body=draw(_BODIES), response_headers=response_headers,
                    response_body=None if status is None else draw(_BODIES),
                    operation=draw(st.none() | st.sampled_from(["getSession", "nope"])))


def _tolerated(call: Any) -> Any:
    """The result of ``call()``, or the ContractsError it raised (a documented outcome)."""
    from contracts.errors import ContractsError

    try:
        return call()
    except ContractsError as exc:
        return ("error", type(exc).__name__, str(exc))


@FUZZ
@given(api=st.sampled_from(["upheal", "heidi", "eka", "realtimekit"]), exchange=_exchanges(),
       strict=st.booleans())
def test_arbitrary_exchanges_never_crash_the_validator(api: str, exchange: Any,
                                                       strict: bool) -> None:
    from contracts.corpus import exchange_violations
    from contracts.validation import validator_for

    validator = validator_for(api)
    first = _tolerated(lambda: list(exchange_violations(validator, exchange, strict=strict)))
    again = _tolerated(lambda: list(exchange_violations(validator, exchange, strict=strict)))
    assert first == again


@pytest.mark.slow
@FUZZ
@given(api=st.sampled_from(["upheal", "heidi", "eka", "realtimekit"]),
       exchanges=st.lists(_exchanges(), max_size=4), show=st.booleans())
def test_arbitrary_exchanges_never_crash_the_drift_engine(api: str, exchanges: list[Any],
                                                          show: bool) -> None:
    from contracts.drift import baseline_drift, traffic_drift
    from contracts.reporting import traffic_json

    def traffic() -> str:
        return traffic_json(traffic_drift(api, exchanges, collect_values=show), show_values=show)

    def baseline() -> str:
        report = baseline_drift(api, exchanges, list(reversed(exchanges)), collect_values=show)
        return traffic_json(report, show_values=show)

    assert _tolerated(traffic) == _tolerated(traffic)
    assert _tolerated(baseline) == _tolerated(baseline)


_LEAF_SCHEMAS = st.sampled_from([
    {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"},
    {"type": "null"}, {}, {"type": "string", "enum": ["a", "b"]},
    {"type": "string", "format": "date-time"}, {"type": ["string", "null"]},
    {"type": "integer", "minimum": 0}, {"const": 3}, {"$ref": "#/components/schemas/Shared"},
])
_SCHEMAS = st.recursive(_LEAF_SCHEMAS, lambda inner: st.one_of(
    inner.map(lambda items: {"type": "array", "items": items}),
    st.tuples(st.dictionaries(st.sampled_from(["id", "name", "status", "items"]), inner,
                              max_size=3), st.booleans(), st.booleans()).map(
        lambda t: {"type": "object", "properties": t[0],
                   **({"required": sorted(t[0])} if t[1] and t[0] else {}),
                   **({"additionalProperties": False} if t[2] else {})}),
    st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"oneOf": xs}),
    st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"anyOf": xs}),
    st.lists(inner, min_size=1, max_size=2).map(lambda xs: {"allOf": xs}),
), max_leaves=8)


def _no_ref(schema: Any) -> bool:
    return "$ref" not in json.dumps(schema)


@st.composite
def _specs(draw: st.DrawFn) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path in draw(st.lists(st.sampled_from(["/a", "/a/{id}", "/b", "/c/{id}/d"]),
                              min_size=1, max_size=3, unique=True)):
        item: dict[str, Any] = {}
        for method in draw(st.lists(st.sampled_from(["get", "post", "patch", "delete"]),
                                    min_size=1, max_size=2, unique=True)):
            responses = {str(code): {"description": "r", "content": {
                "application/json": {"schema": draw(_SCHEMAS)}}}
                for code in draw(st.lists(st.sampled_from([200, 201, 204, 400, 404]),
                                          min_size=1, max_size=3, unique=True))}
            op: dict[str, Any] = {"operationId": f"{method}{path.replace('/', '_')}",
                                  "responses": responses}
            params = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                      ] if "{id}" in path else []
            params += [{"name": q, "in": "query", "required": draw(st.booleans()),
                        "schema": draw(_LEAF_SCHEMAS.filter(_no_ref))}
                       for q in draw(st.lists(st.sampled_from(["page", "q"]), max_size=2,
                                              unique=True))]
            if params:
                op["parameters"] = params
            if method in ("post", "patch") and draw(st.booleans()):
                op["requestBody"] = {"required": draw(st.booleans()), "content": {
                    "application/json": {"schema": draw(_SCHEMAS)}}}
            item[method] = op
        paths[path] = item
    return {"openapi": "3.1.0", "info": {"title": "fuzz", "version": "1"},
            "servers": [{"url": "https://api.example.test/v1"}], "paths": paths,
            "components": {"schemas": {"Shared": draw(_SCHEMAS.filter(_no_ref))}}}


@pytest.mark.slow
@FUZZ
@given(old=_specs(), new=_specs())
def test_arbitrary_specs_never_crash_the_differ(old: dict[str, Any], new: dict[str, Any]
                                                ) -> None:
    from contracts.drift import diff_specs
    from contracts.reporting import drift_json
    from contracts.specs import spec_from_text

    old_spec = spec_from_text(json.dumps(old), name="old")
    new_spec = spec_from_text(json.dumps(new), name="new")
    first = _tolerated(lambda: drift_json(diff_specs(old_spec, new_spec)))
    assert first == _tolerated(lambda: drift_json(diff_specs(old_spec, new_spec)))
    assert not isinstance(first, tuple), first  # valid specs always diff
    assert diff_specs(old_spec, old_spec).changes == ()  # a spec does not differ from itself
