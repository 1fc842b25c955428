"""The production topology through nginx: load over two replicas with nothing
lost, socket.io sticky to one replica, hostile input never a 5xx.
(The restart of everything is tests/prod/test_restart.py.)"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
import socketio

from tests.prod.topology import ProdTopology

TURNS = ["hello", "what trainers should I buy for my back?", "how long should I hold a plank",
         "is it ok to run with back pain", "thanks, bye"]
CONVERSATIONS = 50


def say(topo: ProdTopology, sender: str, text: str, session: requests.Session | None = None
        ) -> list[dict]:
    resp = (session or requests).post(topo.rest_url, json={"sender": sender, "message": text},
                                      timeout=120)
    assert resp.status_code == 200, (resp.status_code, resp.text[:200])
    return resp.json()


def conversation(topo: ProdTopology, sender: str) -> list[tuple[str, str | None]]:
    """Run the turns; return the (type, text) events the log should hold."""
    expected: list[tuple[str, str | None]] = []
    with requests.Session() as session:
        for text in TURNS:
            replies = say(topo, sender, text, session)
            assert replies, f"turn {text!r} of {sender} got no reply"
            expected.append(("user", text))
            expected += [("bot", r.get("text")) for r in replies]
    return expected


def upstreams(topo: ProdTopology) -> set[str]:
    log = (topo.run_dir / "nginx-access.log").read_text()
    return set(re.findall(r'"POST /webhooks/rest/webhook" 200 \d+ up=(127\.0\.0\.1:\d+)', log))


def test_load_over_two_replicas_loses_nothing(topology: ProdTopology) -> None:
    senders = [f"load-{i}-{uuid.uuid4().hex[:8]}" for i in range(CONVERSATIONS)]
    with ThreadPoolExecutor(CONVERSATIONS) as pool:
        results = list(pool.map(lambda s: conversation(topology, s), senders))
    expected = dict(zip(senders, results, strict=True))
    # nginx spread the requests over both replicas...
    assert upstreams(topology) == {f"127.0.0.1:{p}" for p in topology.rasa_ports}
    # ...and the shared log holds exactly every turn of every conversation, in order.
    for sender in senders:
        assert topology.events(sender) == expected[sender], sender


def post_raw(topo: ProdTopology, body: bytes) -> requests.Response:
    return requests.post(topo.rest_url, data=body, timeout=60,
                         headers={"Content-Type": "application/json"})


def test_hostile_input_gets_4xx_or_a_reply_never_5xx(topology: ProdTopology) -> None:
    sid = uuid.uuid4().hex[:8]
    cases: list[tuple[str, bytes, int]] = [
        ("empty message", json.dumps({"sender": f"h-empty-{sid}", "message": ""}).encode(), 200),
        ("whitespace", json.dumps({"sender": f"h-ws-{sid}", "message": " \t\n "}).encode(), 200),
        ("NUL and control characters",
         json.dumps({"sender": f"h-nul-{sid}", "message": "my back\u0000 hurts\u0007"}).encode(),
         200),
        ("emoji, RTL, HTML, SQL",
         json.dumps({"sender": f"h-odd-{sid}", "message":
                     "🏃‍♀️ ألم الظهر <script>alert(1)</script> '; DROP TABLE events; --"}).encode(),
         200),
        ("1 MB body", json.dumps({"sender": f"h-big-{sid}", "message": "a" * 1_048_576}).encode(),
         413),
        ("malformed JSON", b'{"sender": "x", "message": ', 400),
        ("not JSON at all", b"\xff\xfe\x00garbage", 400),
        ("JSON list", b"[1, 2, 3]", 400),
        ("message is a number",
         json.dumps({"sender": f"h-num-{sid}", "message": 42}).encode(), 400),
        ("message is an object",
         json.dumps({"sender": f"h-obj-{sid}", "message": {"text": "hi"}}).encode(), 400),
        ("sender is a list", json.dumps({"sender": ["a"], "message": "hi"}).encode(), 400),
        ("no sender", json.dumps({"message": "hi"}).encode(), 400),
        ("10 KB sender id", json.dumps({"sender": "s" * 10_240, "message": "hi"}).encode(), 400),
        ("NUL in sender id", json.dumps({"sender": "a\u0000b", "message": "hi"}).encode(), 400),
        ("metadata is a string",
         json.dumps({"sender": f"h-meta-{sid}", "message": "hi", "metadata": "x"}).encode(), 200),
    ]
    failures = []
    for name, body, status in cases:
        resp = post_raw(topology, body)
        if resp.status_code != status:
            failures.append(f"{name}: {resp.status_code} (expected {status}) {resp.text[:120]}")
        if status == 200 and resp.status_code == 200 and not resp.json():
            failures.append(f"{name}: no reply")
        # the server still answers other visitors
        assert say(topology, f"h-other-{uuid.uuid4().hex[:8]}", "hello"), name
    assert not failures, "\n".join(failures)
    # The log stays readable: NUL and control characters never reached it.
    assert topology.events(f"h-nul-{sid}")[0] == ("user", "my back hurts")


def test_socketio_through_nginx_is_sticky_and_logged(topology: ProdTopology) -> None:
    """socket.io over HTTP long-polling (many requests per session) through nginx:
    every request of the session must reach the same replica (ip_hash)."""
    session = f"sio-{uuid.uuid4().hex[:8]}"
    client = socketio.Client()
    received: list[dict] = []
    confirmed = threading.Event()
    client.on("session_confirm", lambda _: confirmed.set())
    client.on("bot_uttered", received.append)
    client.connect(topology.url, socketio_path="/socket.io", transports=["polling"])
    try:
        client.emit("session_request", {"session_id": session})
        assert confirmed.wait(15), "no session_confirm"
        for text in ["hello", "how long should I hold a plank"]:
            before = len(received)
            client.emit("user_uttered", {"message": text, "session_id": session})
            deadline = time.monotonic() + 60
            while len(received) == before and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(received) > before, f"no reply to {text!r}"
            time.sleep(1.0)  # the rest of the turn's messages
    finally:
        # abort: do not wait for the pending long-poll request to time out
        client.eio.disconnect(abort=True)
    assert "Sciaticalm assistant" in received[0]["text"]
    events = topology.events(session)
    assert [e for e in events if e[0] == "user"] == [
        ("user", "hello"), ("user", "how long should I hold a plank")]
    assert len([e for e in events if e[0] == "bot"]) == len(received)
