"""The proxy under attack (issue 15, classes 3 and 4): it reaches only its upstream, bounds
the whole exchange in time, stops on Ctrl-C with a slow upstream open, and inflates nothing
past its limit (HAR bodies neither)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.exchanges import Exchange, ReadProblem, decode_content, read_exchanges
from contracts.findings import Violation
from contracts.mock import DEFAULT_TOKEN, MockServer
from contracts.proxy import ProxyServer, proxy_app

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
HEIDI_SESSION = "/api/v2/ml-scribe/open-api/sessions/s1"


class _Listener:
    """A bare loopback socket that records every connection and every byte sent to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(0.5)
            try:
                self.received.append(conn.recv(65536) or b"<connected>")
            except OSError:
                self.received.append(b"<connected>")
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def _raw_request(url: str, target: str) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nX-Api-Key: SECRET-KEY\r\n"
                     "Cookie: session=SECRET-COOKIE\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize("target", [
    "@127.0.0.1:{other}/path",
    "@127.0.0.1:{other}",
    "http://127.0.0.1:{other}/path",
    "127.0.0.1:{other}",
    "*",
    "x@127.0.0.1:{other}/path",
])
def test_the_proxy_reaches_only_its_upstream(target: str, proxy: Callable[..., ProxyServer],
                                             mock_server: Callable[..., Any],
                                             tmp_path: Path) -> None:
    other = _Listener()
    try:
        through = proxy("heidi", mock_server("heidi").url, record=tmp_path / "log.jsonl")
        answer = _raw_request(through.url, target.format(other=other.port))
        time.sleep(0.3)
    finally:
        other.close()
    assert other.received == [], other.received
    status = int(answer.split(b" ", 2)[1])
    if target.startswith("http://"):
        # uvicorn hands an absolute-form target over as its path alone: it goes to the
        # upstream (whose mock says 404), never to the host it names.
        assert status == 404, answer[:200]
    else:
        assert status == 400, answer[:200]


@pytest.mark.parametrize("path", ["//127.0.0.1:{other}/x", "/%40127.0.0.1:{other}/x",
                                  "/x/..%2F..%2F@127.0.0.1:{other}"])
def test_odd_origin_form_paths_still_go_to_the_upstream(path: str,
                                                        proxy: Callable[..., ProxyServer],
                                                        tmp_path: Path) -> None:
    seen: list[bytes] = []

    async def upstream(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        seen.append(scope["raw_path"])
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    other = _Listener()
    try:
        with MockServer(upstream) as up:
            through = proxy("heidi", up.url)
            answer = _raw_request(through.url, path.format(other=other.port))
            time.sleep(0.3)
    finally:
        other.close()
    assert other.received == []
    assert int(answer.split(b" ", 2)[1]) == 404
    assert seen == [path.format(other=other.port).encode()]


def _dripping(released: threading.Event) -> Callable[..., Any]:
    async def drip(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        while not released.is_set():
            await send({"type": "http.response.body", "body": b" ", "more_body": True})
            await asyncio.sleep(0.2)
        await send({"type": "http.response.body", "body": b"{}"})
    return drip


def test_the_timeout_bounds_the_whole_exchange_not_each_read(
        proxy: Callable[..., ProxyServer]) -> None:
    released = threading.Event()
    try:
        with MockServer(_dripping(released)) as upstream:
            through = proxy("heidi", upstream.url, timeout=1.0)
            started = time.monotonic()
            response = httpx.get(through.url + HEIDI_SESSION, headers=AUTH, timeout=20)
            took = time.monotonic() - started
    finally:
        released.set()
    assert response.status_code == 502 and "timed out" in response.json()["message"]
    assert took < 5, took


def test_ctrl_c_stops_the_proxy_within_2_s_with_a_slow_upstream_open(tmp_path: Path) -> None:
    released = threading.Event()
    try:
        with MockServer(_dripping(released)) as upstream:
            proc = subprocess.Popen(
                [sys.executable, "-m", "contracts", "proxy", "heidi", "--upstream",
                 upstream.url, "--record", str(tmp_path / "log.jsonl"), "--port", "0",
                 "--timeout", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True)
            assert proc.stdout is not None
            url = proc.stdout.readline().split()[1]
            client = threading.Thread(target=lambda: _swallow(
                lambda: httpx.get(url + HEIDI_SESSION, headers=AUTH, timeout=30)), daemon=True)
            client.start()
            time.sleep(1.5)  # the exchange is open, the upstream dripping
            proc.send_signal(signal.SIGINT)
            started = time.monotonic()
            try:
                out, err = proc.communicate(timeout=10)
            finally:
                proc.kill()
            took = time.monotonic() - started
    finally:
        released.set()
    assert took < 2, took
    assert "proxy summary:" in out
    assert "Traceback" not in err


def _swallow(call: Callable[[], Any]) -> None:
    with contextlib.suppress(httpx.HTTPError):
        call()


def _bomb(inflated: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    return b"".join([packer.compress(block) for _ in range(inflated // len(block))]
                    + [packer.flush()])


@pytest.mark.parametrize("coding", ["gzip", "x-gzip", "deflate"])
def test_a_compressed_bomb_is_forwarded_unchanged_and_reported_not_inflated(
        coding: str, proxy: Callable[..., ProxyServer]) -> None:
    bomb = _bomb(64 * 1024 * 1024)
    if coding == "deflate":
        bomb = zlib.compress(bytes(64 * 1024 * 1024), 9)

    async def upstream(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"), (b"content-encoding", coding.encode()),
            (b"content-length", str(len(bomb)).encode())]})
        await send({"type": "http.response.body", "body": bomb})

    found: list[Violation] = []
    with MockServer(upstream) as up:
        through = proxy("heidi", up.url, on_violation=found.append,
                        max_inflated_bytes=8 * 1024 * 1024)
        with httpx.stream("GET", through.url + HEIDI_SESSION, headers=AUTH) as response:
            raw = b"".join(response.iter_raw())
    assert response.status_code == 200
    assert raw == bomb  # the client gets the upstream's bytes, unchanged
    codes = [v.code for v in found]
    assert codes == ["response.body.too_large"], codes


@pytest.mark.parametrize("coding", ["gzip", "deflate", "gzip, deflate"])
def test_a_small_compressed_body_is_still_decoded_and_validated(
        coding: str, proxy: Callable[..., ProxyServer], tmp_path: Path) -> None:
    body = json.dumps({"session": 7}).encode()  # a number where the spec says an object
    for step in [c.strip() for c in coding.split(",")]:
        body = gzip.compress(body) if step == "gzip" else zlib.compress(body)

    async def upstream(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"), (b"content-encoding", coding.encode())]})
        await send({"type": "http.response.body", "body": body})

    found: list[Violation] = []
    with MockServer(upstream) as up:
        through = proxy("heidi", up.url, on_violation=found.append)
        httpx.get(through.url + HEIDI_SESSION, headers=AUTH)
    assert any(v.code == "response.body.schema" for v in found), [v.code for v in found]
    assert not any(v.code in ("response.body.not_json", "response.body.too_large")
                   for v in found)


# --------------------------------------------------------------------------- HAR bodies


def _har(tmp: Path, content: bytes, coding: str) -> Path:
    entry = {
        "startedDateTime": "2026-01-01T00:00:00Z",
        "request": {"method": "GET", "url": "https://registrar.api.heidihealth.com"
                    + HEIDI_SESSION, "headers": []},
        "response": {"status": 200, "headers": [
            {"name": "content-type", "value": "application/json"},
            {"name": "content-encoding", "value": coding}],
            "content": {"text": base64.b64encode(content).decode(), "encoding": "base64"}},
    }
    path = tmp / "log.har"
    path.write_text(json.dumps({"log": {"entries": [entry]}}))
    return path


@pytest.mark.parametrize("coding", ["gzip", "deflate", "identity"])
def test_har_bodies_are_decoded_before_validation(coding: str, tmp_path: Path) -> None:
    plain = json.dumps({"session_id": "s1"}).encode()
    content = {"gzip": gzip.compress, "deflate": zlib.compress,
               "identity": lambda b: b}[coding](plain)
    (item,) = read_exchanges(_har(tmp_path, content, coding))
    assert isinstance(item, Exchange)
    assert item.response_body == plain


def test_a_har_body_already_decoded_by_the_browser_is_kept(tmp_path: Path) -> None:
    plain = json.dumps({"session_id": "s1"}).encode()
    (item,) = read_exchanges(_har(tmp_path, plain, "gzip"))
    assert isinstance(item, Exchange) and item.response_body == plain


def test_a_har_bomb_is_one_problem_not_a_blow_up(tmp_path: Path) -> None:
    (item,) = read_exchanges(_har(tmp_path, _bomb(64 * 1024 * 1024), "gzip"))
    assert isinstance(item, ReadProblem)
    assert "too large to validate" in item.message


def test_decode_content_is_bounded_for_every_coding() -> None:
    from contracts.exchanges import TooLarge

    bomb = _bomb(16 * 1024 * 1024)
    for coding, data in [("gzip", bomb), ("deflate", zlib.compress(bytes(16 * 1024 * 1024))),
                         ("gzip", bomb[:100] and gzip.compress(b"x") + bomb)]:
        with pytest.raises(TooLarge):
            decode_content(data, coding, limit=1024 * 1024)
    assert decode_content(gzip.compress(b"a") + gzip.compress(b"b"), "gzip") == b"ab"


def test_brotli_bodies_decode_and_are_bounded_like_the_others(tmp_path: Path) -> None:
    import brotli  # the test extra installs it (scribe-contracts[brotli] for users)

    from contracts.errors import InputError
    from contracts.exchanges import TooLarge

    plain = json.dumps({"words": [{"text": "sore", "start": i} for i in range(4000)]}).encode()
    packed = brotli.compress(plain)
    assert decode_content(packed, "br") == plain
    assert decode_content(gzip.compress(packed), "br, gzip") == plain  # undone last-first
    assert decode_content(b"", "br") == b""
    (item,) = read_exchanges(_har(tmp_path, packed, "br"))
    assert isinstance(item, Exchange) and item.response_body == plain
    with pytest.raises(TooLarge):  # 64 MiB of zeros in a few hundred bytes
        decode_content(brotli.compress(bytes(64 * 1024 * 1024)), "br", limit=1024 * 1024)
    for cut in (packed[:-3], packed[:len(packed) // 2]):  # a body cut short is no body
        with pytest.raises(InputError, match="cut short"):
            decode_content(cut, "br")
    for broken in (b"not brotli at all" * 10, packed + b"trailing"):
        with pytest.raises(InputError, match="cannot be decoded"):
            decode_content(broken, "br")


def test_brotli_without_the_package_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from contracts.errors import InputError

    monkeypatch.setitem(sys.modules, "brotli", None)  # as if not installed
    with pytest.raises(InputError, match="no brotli package") as caught:
        decode_content(b"\x8b\x02\x80", "br")
    assert "pip install brotli" in str(caught.value.hint)


def test_a_fifo_as_the_record_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    import os

    from contracts.errors import ContractsError

    fifo = tmp_path / "log.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(ContractsError, match="not a regular file"):
        proxy_app("heidi", "http://127.0.0.1:9", record=fifo)
