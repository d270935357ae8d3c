"""A real client works against the mock: the official Cloudflare Python SDK runs all nine
``client.realtime_kit.sessions.*`` methods against the RealtimeKit mock over loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contracts.mock import DEFAULT_TOKEN, base_urls

cloudflare = pytest.importorskip(
    "cloudflare", reason="the Cloudflare SDK is in the test extra; this test is about it")

ACCOUNT, APP = "0123456789abcdef0123456789abcdef", "app-sdk-test"


@pytest.fixture
def sdk(mock_server: Callable[..., Any]) -> Any:
    server = mock_server("realtimekit")
    client = cloudflare.Cloudflare(api_token=DEFAULT_TOKEN,
                                   base_url=base_urls(["realtimekit"], server.url)["realtimekit"],
                                   max_retries=0)
    yield client
    client.close()


def test_all_nine_session_methods(sdk: Any) -> None:
    sessions = sdk.realtime_kit.sessions
    listing = sessions.get_sessions(APP, account_id=ACCOUNT, status="ENDED", per_page=5,
                                    sort_by="createdAt", sort_order="DESC")
    assert listing.success is True
    assert len(listing.data.sessions) == 5 and listing.paging.total_count > 5
    session = listing.data.sessions[0]
    assert session.status == "ENDED" and session.ended_at

    details = sessions.get_session_details(session.id, account_id=ACCOUNT, app_id=APP,
                                           include_breakout_rooms=True)
    assert details.data.id == session.id

    participants = sessions.get_session_participants(session.id, account_id=ACCOUNT,
                                                     app_id=APP, include_peer_events=True)
    people = participants.data.participants
    assert people and people[0].id

    one = sessions.get_session_participant_details(people[0].id, account_id=ACCOUNT,
                                                   app_id=APP, session_id=session.id)
    assert one.data.participant.display_name == people[0].display_name

    chat = sessions.get_session_chat(session.id, account_id=ACCOUNT, app_id=APP)
    assert chat.data.chat_download_url.startswith("https://")

    transcript = sessions.get_session_transcripts(session.id, account_id=ACCOUNT, app_id=APP)
    assert transcript.data.session_id == session.id
    assert transcript.data.transcript_download_url_expiry

    generated = sessions.generate_summary_of_transcripts(session.id, account_id=ACCOUNT,
                                                         app_id=APP)
    assert generated.data.session_id == session.id

    summary = sessions.get_session_summary(session.id, account_id=ACCOUNT, app_id=APP)
    assert summary.data.session_id == session.id and summary.data.summary_download_url

    peer = sessions.get_participant_data_from_peer_id(people[0].id, account_id=ACCOUNT,
                                                      app_id=APP, include_peer_events=True)
    assert peer.success is True
    # The page's flat shape (the spec follows the page); the SDK keeps unknown fields.
    assert peer.model_dump()["data"]["session_id"] == session.id
    # The SDK sends one filter (a comma-separated list of one).
    filtered = sessions.get_participant_data_from_peer_id(people[0].id, account_id=ACCOUNT,
                                                          app_id=APP, filters="device_info")
    report = filtered.model_dump()["data"]["peer_report"]
    assert list(report) == ["metadata"] and list(report["metadata"]) == ["device_info"]


def test_sdk_sees_the_documented_errors(sdk: Any, mock_server: Callable[..., Any]) -> None:
    with pytest.raises(cloudflare.NotFoundError):
        sdk.realtime_kit.sessions.get_session_details("no-such-session", account_id=ACCOUNT,
                                                      app_id=APP)
    server = mock_server("realtimekit")
    wrong = cloudflare.Cloudflare(api_token="wrong-token", max_retries=0,
                                  base_url=base_urls(["realtimekit"], server.url)["realtimekit"])
    with pytest.raises(cloudflare.AuthenticationError):
        wrong.realtime_kit.sessions.get_sessions(APP, account_id=ACCOUNT)
    wrong.close()
