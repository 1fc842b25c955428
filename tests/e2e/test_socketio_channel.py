"""The socket.io channel (server/channels/socketio.py) against the real servers.

The client is python-socketio's synchronous client over HTTP long-polling (its
asyncio client needs a newer aiohttp than Rasa allows).
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import requests
import socketio

from testkit.servers import Stack


def converse(url: str, session_id: str, sends: list[object]) -> list[dict]:
    """Emit every payload at once; return what arrived by the last one's end of turn
    (`bot_turn_end`, which follows the last `bot_uttered` of each message)."""
    client = socketio.Client()
    received: list[dict] = []
    ended: list[object] = []
    confirmed, done = threading.Event(), threading.Event()

    def on_turn_end(_: object) -> None:
        ended.append(_)
        if len(ended) == len(sends):
            done.set()

    client.on("session_confirm", lambda _: confirmed.set())
    client.on("bot_uttered", received.append)
    client.on("bot_turn_end", on_turn_end)
    client.connect(url, socketio_path="/socket.io", transports=["polling"])
    try:
        client.emit("session_request", {"session_id": session_id})
        assert confirmed.wait(10), "no session_confirm"
        for payload in sends:
            client.emit("user_uttered", payload)
        assert done.wait(60), f"{len(ended)} of {len(sends)} turns ended; got {received}"
        time.sleep(0.3)
        assert len(ended) == len(sends), "a turn ended twice"
    finally:
        client.disconnect()
    return received


def test_replies_reach_the_session_room(stack: Stack) -> None:
    session = uuid.uuid4().hex
    received = converse(stack.rasa_url, session, [{"message": "hello", "session_id": session}])
    assert "Sciaticalm assistant" in received[0]["text"]
    assert received[0]["quick_replies"]


def test_escalation_custom_payload_is_delivered(stack: Stack) -> None:
    session = uuid.uuid4().hex
    received = converse(stack.rasa_url, session,
                        [{"message": "both my legs are numb", "session_id": session}])
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
                        [*junk, {"message": "thanks", "session_id": session}])
    texts = [m.get("text", "") for m in received]
    assert any("Sciaticalm assistant" in t for t in texts)  # the "hi" with bad metadata
    assert any("welcome" in t.lower() for t in texts)  # the final "thanks"
    reasons = [m.get("custom", {}).get("sciaticalm", {}).get("reason") for m in received]
    assert reasons.count("unreadable") == 4, received  # one per unusable payload


def test_messages_queued_offline_arrive_in_one_long_polling_post(stack: Stack) -> None:
    """socket.io-client sends what it queued while offline in one POST; python-engineio
    would drop a POST of more than 16 packets whole. 30 queued messages: each gets
    its bot_turn_end (answered, or refused by the rate limit with a notice)."""
    base = f"{stack.rasa_url}/socket.io/?EIO=4&transport=polling"
    session_id = uuid.uuid4().hex
    with requests.Session() as http:
        opened = http.get(base, timeout=30).text
        url = f"{base}&sid={json.loads(opened[1:])['sid']}"
        assert http.post(url, data="40", timeout=30).status_code == 200
        events: list[list] = []

        def poll_until(name: str, count: int) -> None:
            deadline = time.monotonic() + 120
            while sum(e[0] == name for e in events) < count:
                assert time.monotonic() < deadline, events[-3:]
                for packet in http.get(url, timeout=60).text.split("\x1e"):
                    if packet == "2":  # engine.io ping
                        http.post(url, data="3", timeout=30)
                    elif packet.startswith("42"):
                        events.append(json.loads(packet[2:]))

        http.post(url, data=f'42["session_request",{{"session_id":"{session_id}"}}]',
                  timeout=30)
        poll_until("session_confirm", 1)
        packets = ['42["user_uttered",' + json.dumps({"message": f"hello {i}",
                                                        "session_id": session_id}) + "]"
                   for i in range(30)]
        assert http.post(url, data="\x1e".join(packets), timeout=30).status_code == 200
        poll_until("bot_turn_end", 30)
    names = [e[0] for e in events]
    assert names.count("bot_turn_end") == 30
    assert "bot_uttered" in names
