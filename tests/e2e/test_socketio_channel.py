"""The socket.io channel (channels/socketio.py) against the real servers.

The client is python-socketio's synchronous client over HTTP long-polling (its
asyncio client needs a newer aiohttp than Rasa allows).
"""

from __future__ import annotations

import threading
import time
import uuid

import socketio

from tests.support.servers import Stack


def converse(url: str, session_id: str, sends: list[object], expect: int) -> list[dict]:
    client = socketio.Client()
    received: list[dict] = []
    confirmed = threading.Event()
    client.on("session_confirm", lambda _: confirmed.set())
    client.on("bot_uttered", received.append)
    client.connect(url, socketio_path="/socket.io", transports=["polling"])
    try:
        client.emit("session_request", {"session_id": session_id})
        assert confirmed.wait(10), "no session_confirm"
        for payload in sends:
            client.emit("user_uttered", payload)
        deadline = time.monotonic() + 30
        while len(received) < expect and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # let any further messages of the turn arrive
    finally:
        client.disconnect()
    return received


def test_replies_reach_the_session_room(stack: Stack) -> None:
    session = uuid.uuid4().hex
    received = converse(stack.rasa_url, session, [{"message": "hello", "session_id": session}], 1)
    assert "Sciaticalm assistant" in received[0]["text"]
    assert received[0]["quick_replies"]


def test_escalation_custom_payload_is_delivered(stack: Stack) -> None:
    session = uuid.uuid4().hex
    received = converse(stack.rasa_url, session,
                        [{"message": "both my legs are numb", "session_id": session}], 2)
    custom = [m for m in received if "sciaticalm" in m]
    assert custom and custom[0]["sciaticalm"]["level"] == "emergency"
    assert received[0]["text"].startswith("**Please call 999 or go to A&E now.**")


def test_malformed_payloads_get_a_polite_reply_and_the_channel_keeps_working(
        stack: Stack) -> None:
    session = uuid.uuid4().hex
    junk: list[object] = ["just a string", {"session_id": session},
                          {"message": 42, "session_id": session},
                          {"message": "hi", "session_id": None},
                          {"message": "hi", "session_id": session, "metadata": "{not json"}]
    # 4 polite "couldn't read that" replies, then the two real turns' replies
    received = converse(stack.rasa_url, session,
                        [*junk, {"message": "thanks", "session_id": session}], 6)
    texts = [m.get("text", "") for m in received]
    assert any("Sciaticalm assistant" in t for t in texts)  # the "hi" with bad metadata
    assert any("welcome" in t.lower() for t in texts)  # the final "thanks"
    reasons = [m.get("custom", {}).get("sciaticalm", {}).get("reason") for m in received]
    assert reasons.count("unreadable") == 4, received  # one per unusable payload
