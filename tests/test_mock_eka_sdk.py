"""A real client works against the mock: the official Eka Care Python SDK (``ekacare``) runs
its EkaScribe flows against the Eka mock over loopback HTTP.

The SDK calls Initialize Transaction at a hard-coded ``https://api.eka.care``; the test routes
that host to the mock through the SDK's own HTTP layer (a ``requests`` transport adapter on
the session ``ekacare.v2rx.v2rx`` posts with). Every other host is refused: no real network.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from contracts.mock import CONTROL_PREFIX

if os.environ.get("CI"):
    # CI installs the SDK as the README's quick start does: there a missing SDK is a failure.
    import ekacare
else:
    ekacare = pytest.importorskip(
        "ekacare", reason="ekacare pins requests==2.25.0, so it is installed apart from the "
        "test extra: pip install --no-deps 'ekacare>=0.1.3' (README quick start, "
        "tox -e ekacare-sdk)")
requests = pytest.importorskip("requests", reason="the ekacare SDK is built on requests")

from ekacare.v2rx import v2rx as v2rx_module  # noqa: E402  (after the importorskip)

TEMPLATES = {"input_language": ["en-IN"],
             "output_template": [{"template_id": "eka_emr_template",
                                  "codification_needed": False}]}


class _ToMock(requests.adapters.HTTPAdapter):  # type: ignore[misc]
    """Sends a request for the SDK's hard-coded host to the mock instead (same path)."""

    def __init__(self, origin: str, seen: list[str]) -> None:
        super().__init__()
        self.origin = urlsplit(origin)
        self.seen = seen

    def send(self, request: Any, **kwargs: Any) -> Any:
        parts = urlsplit(request.url)
        self.seen.append(f"{request.method} {parts.netloc}{parts.path}")
        request.url = urlunsplit((self.origin.scheme, self.origin.netloc, parts.path,
                                  parts.query, ""))
        return super().send(request, **kwargs)


class _NoNetwork(requests.adapters.BaseAdapter):  # type: ignore[misc]
    def send(self, request: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the SDK tried the network: {request.method} {request.url}")

    def close(self) -> None:
        pass


@pytest.fixture
def eka(mock_server: Callable[..., Any], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> Iterator[dict[str, Any]]:
    server = mock_server("eka", steps=1)
    seen: list[str] = []
    routed = requests.Session()
    routed.mount("https://", _NoNetwork())
    routed.mount("http://", _NoNetwork())
    routed.mount("https://api.eka.care/", _ToMock(server.url, seen))
    # v2rx.py posts the init with the module-level `requests.post`: give it the routed session.
    monkeypatch.setattr(v2rx_module, "requests", routed)
    client = ekacare.EkaCareClient(client_id="EC_SYNTHETIC_0001",
                                   client_secret="synthetic-secret", base_url=server.url)
    audio = tmp_path / "visit_part1.m4a"
    audio.write_bytes(b"\x00\x00\x00\x18ftypM4A synthetic audio, no patient")
    yield {"server": server, "client": client, "audio": str(audio), "seen": seen}
    client.session.close()
    routed.close()


def _state(server: Any) -> dict[str, Any]:
    answer = httpx.get(server.url + CONTROL_PREFIX + "/state", params={"api": "eka"})
    return dict(answer.json()["eka"])


def test_ekascribe_v2_flow_upload_init_and_v3_result(eka: dict[str, Any]) -> None:
    client, server = eka["client"], eka["server"]
    uploaded = client.v2rx.upload([eka["audio"]], txn_id="txn_sdk_v2", action="ekascribe-v2",
                                  extra_data={"mode": "dictation"}, output_format=TEMPLATES)
    assert [u["key"].rsplit("/", 1)[-1] for u in uploaded] == ["visit_part1.m4a"]
    # The hard-coded host reached the mock through the routed session, and only it.
    assert eka["seen"] == ["POST api.eka.care/voice/api/v2/transaction/init/txn_sdk_v2"]
    txn = _state(server)["transactions"]["txn_sdk_v2"]
    assert txn["files"] == ["visit_part1.m4a"] and txn["state"] == "processing"

    first = client.v2rx.get_session_status("txn_sdk_v2", action="ekascribe-v2")
    assert first["data"]["output"] == []  # 202: still in progress
    result = client.v2rx.get_session_status("txn_sdk_v2", action="ekascribe-v2")
    (output,) = result["data"]["output"]
    assert output["template_id"] == "eka_emr_template" and output["status"] == "success"
    document = json.loads(base64.b64decode(output["value"]))
    assert "chief_complaint" in document
    assert result["data"]["additional_data"] == {"mode": "dictation"}


def test_ekascribe_v1_flow_descriptor_starts_processing(eka: dict[str, Any]) -> None:
    client, server = eka["client"], eka["server"]
    client.files.upload([eka["audio"]], txn_id="txn_sdk_v1", action="ekascribe",
                        extra_data={"mode": "dictation"})
    assert eka["seen"] == []  # the v1 flow has no init call: the descriptor starts it
    assert _state(server)["transactions"]["txn_sdk_v1"]["state"] == "processing"

    stages = [client.v2rx.get_session_status("txn_sdk_v1")["status"] for _ in range(2)]
    assert stages == ["inprogress", "completed"]
    done = client.v2rx.get_session_status("txn_sdk_v1")
    bundle = json.loads(base64.b64decode(done["data"]["output"]["fhir"]))
    assert bundle["resourceType"] == "Bundle" and bundle["entry"]


def test_partial_scenario_reaches_the_sdk(eka: dict[str, Any]) -> None:
    client, server = eka["client"], eka["server"]
    httpx.post(server.url + CONTROL_PREFIX + "/scenario", json={"api": "eka",
                                                                "scenario": "partial"})
    client.v2rx.upload([eka["audio"]], txn_id="txn_sdk_partial", action="ekascribe-v2",
                       extra_data={"mode": "consultation"}, output_format=TEMPLATES)
    httpx.post(server.url + CONTROL_PREFIX + "/sessions/txn_sdk_partial/advance",
               json={"api": "eka", "to": "done"})
    result = client.v2rx.get_session_status("txn_sdk_partial", action="ekascribe-v2")
    (output,) = result["data"]["output"]  # 206 is "ok" to the SDK; the body says partial
    assert output["status"] == "partial_success" and output["errors"]


def test_sdk_sees_the_documented_errors(eka: dict[str, Any]) -> None:
    client, server = eka["client"], eka["server"]
    with pytest.raises(ekacare.EkaCareAPIError, match="API error 404"):
        client.v2rx.get_session_status("txn_unknown")
    with pytest.raises(ekacare.EkaCareAPIError, match="transaction_not_found"):
        client.v2rx.get_session_status("txn_unknown", action="ekascribe-v2")
    wrong = ekacare.EkaCareClient(client_id="EC_SYNTHETIC_0001", client_secret="s",
                                  base_url=server.url, access_token="not-the-token")
    with pytest.raises(ekacare.EkaCareAuthError):
        wrong.v2rx.get_session_status("txn_unknown")
    wrong.session.close()
    # Initializing twice is the documented 409, which the SDK reports as a failed upload.
    client.v2rx.upload([eka["audio"]], txn_id="txn_twice", action="ekascribe-v2",
                       extra_data={"mode": "dictation"}, output_format=TEMPLATES)
    with pytest.raises(v2rx_module.EkaScribeError, match="already initialized"):
        client.v2rx.upload([eka["audio"]], txn_id="txn_twice", action="ekascribe-v2",
                           extra_data={"mode": "dictation"}, output_format=TEMPLATES)
