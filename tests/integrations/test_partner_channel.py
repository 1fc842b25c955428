"""The authenticated partner channel and the callback channel, against the real
Rasa server (started through `python -m server`) and action server."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import socketio

from testkit.hostile import hostile_cases
from testkit.servers import Stack, rasa_stack
from tests.integrations.conftest import (
    HELP_LINE_LINK,
    PARTNER_CHANNEL,
    event_count,
    eventually,
    new_key,
    texts,
    user_events,
)
from tests.integrations.fakes import FakeServer, accept, forwarding_to

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@dataclass
class Env:
    stack: Stack
    clinic_key: str
    runclub_key: str
    keys_file: Path
    callback_token: str
    receiver: FakeServer
    action_proxy: FakeServer

    @property
    def partner_url(self) -> str:
        return f"{self.stack.rasa_url}/webhooks/partner/webhook"

    def post(self, body: dict, key: str | None, url: str | None = None) -> requests.Response:
        headers = {"X-API-Key": key} if key is not None else {}
        return requests.post(url or self.partner_url, json=body, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    work = tmp_path_factory.mktemp("partner")
    clinic_key, runclub_key, token = new_key(), new_key(), new_key()
    keys_file = work / "partners.yml"  # outside the repo, like production
    keys_file.write_text(f"runclub: {runclub_key}\n")
    with ExitStack() as stack:
        receiver = stack.enter_context(FakeServer(accept))
        proxies: list[FakeServer] = []

        def proxy(real_url: str) -> str:
            proxies.append(stack.enter_context(FakeServer(forwarding_to(real_url))))
            return proxies[-1].url

        rasa = stack.enter_context(rasa_stack(
            work / "stack", extra_credentials=PARTNER_CHANNEL,
            action_url=proxy,
            env={"SCIATICALM_PARTNER_KEYS": f"clinic={clinic_key}",
                 "SCIATICALM_PARTNER_KEYS_FILE": str(keys_file),
                 "CALLBACK_URL": f"{receiver.url}/sciaticalm/replies",
                 "CALLBACK_TOKEN": token}))
        yield Env(rasa, clinic_key, runclub_key, keys_file, token, receiver, proxies[0])


def test_a_valid_key_holds_a_conversation_under_the_partners_name(env: Env) -> None:
    sender = f"patient-{uuid.uuid4()}"
    hello = env.post({"sender": sender, "message": "hello"}, env.clinic_key)
    assert hello.status_code == 200
    assert "Sciaticalm assistant" in texts(hello.json())
    assert any(r.get("buttons") for r in hello.json())  # the REST reply shape
    assert {r["recipient_id"] for r in hello.json()} == {sender}

    shoes = env.post({"sender": sender, "message": "are my trainers causing my back pain?",
                      "input_channel": "socketio"}, env.clinic_key)  # cannot pick a channel
    assert "cushioning" in texts(shoes.json()).lower()

    events = user_events(env.stack.db_path, f"clinic:{sender}")
    assert [e["text"] for e in events] == ["hello", "are my trainers causing my back pain?"]
    assert {e["input_channel"] for e in events} == {"clinic"}
    assert all(e["metadata"]["partner"] == "clinic" for e in events)
    assert user_events(env.stack.db_path, sender) == []  # always namespaced


def test_two_partners_never_share_a_conversation(env: Env) -> None:
    sender = f"shared-{uuid.uuid4()}"
    assert env.post({"sender": sender, "message": "hi"}, env.clinic_key).status_code == 200
    assert env.post({"sender": sender, "message": "hi"}, env.runclub_key).status_code == 200
    assert [e["input_channel"] for e in user_events(env.stack.db_path, f"clinic:{sender}")] \
        == ["clinic"]
    assert [e["input_channel"] for e in user_events(env.stack.db_path, f"runclub:{sender}")] \
        == ["runclub"]


@pytest.mark.parametrize("key", [None, "", "not-a-real-key-but-long-enough"])
def test_missing_or_wrong_key_gets_401_and_nothing_is_logged(env: Env, key: str | None) -> None:
    sender = f"intruder-{uuid.uuid4()}"
    before = event_count(env.stack.db_path)
    resp = env.post({"sender": sender, "message": "hello"}, key)
    assert resp.status_code == 401
    assert resp.json()["error"] == "unauthorized"
    time.sleep(0.5)
    assert event_count(env.stack.db_path) == before
    assert not [e for e in user_events(env.stack.db_path) if sender in e["sender_id"]]


def test_a_revoked_key_gets_401_at_once(env: Env) -> None:
    sender = f"member-{uuid.uuid4()}"
    assert env.post({"sender": sender, "message": "hi"}, env.runclub_key).status_code == 200
    logged = len(user_events(env.stack.db_path, f"runclub:{sender}"))
    original = env.keys_file.read_text()
    env.keys_file.write_text("# runclub's key removed\n")  # revocation, no restart
    try:
        before = event_count(env.stack.db_path)
        resp = env.post({"sender": sender, "message": "hello again"}, env.runclub_key)
        assert resp.status_code == 401
        time.sleep(0.5)
        assert event_count(env.stack.db_path) == before
        assert len(user_events(env.stack.db_path, f"runclub:{sender}")) == logged
        # other partners are unaffected
        assert env.post({"sender": sender, "message": "hi"}, env.clinic_key).status_code == 200
    finally:
        env.keys_file.write_text(original)


def test_a_malformed_body_gets_400(env: Env) -> None:
    assert env.post({"sender": "x"}, env.clinic_key).status_code == 400
    assert env.post({"sender": "x", "message": "hi", "metadata": [1]},
                    env.clinic_key).status_code == 400


def test_metadata_reaches_the_action(env: Env) -> None:
    sender = f"patient-{uuid.uuid4()}"
    start = len(env.action_proxy.requests)
    metadata = {"clinic_ref": "A-17", "locale": "en-GB", "partner": "spoofed"}
    replies = env.post({"sender": sender, "message": "I want to talk to a person",
                        "metadata": metadata}, env.clinic_key).json()
    calls = [r.json for r in env.action_proxy.since(start)
             if r.json and r.json.get("next_action") == "action_contact_human"]
    assert calls, "action_contact_human was not called"
    seen = calls[0]["tracker"]["latest_message"]["metadata"]
    assert seen == {"clinic_ref": "A-17", "locale": "en-GB", "partner": "clinic"}
    assert calls[0]["tracker"]["latest_input_channel"] == "clinic"
    # The action read the partner flag: partner channels keep the REST shape's tel: link.
    assert HELP_LINE_LINK in texts(replies)


def test_callback_replies_arrive_with_the_authorization_header(env: Env) -> None:
    sender = f"crm-{uuid.uuid4()}"
    url = f"{env.stack.rasa_url}/webhooks/callback/webhook"
    start = len(env.receiver.requests)
    began = time.monotonic()
    resp = env.post({"sender": sender, "message": "hello"}, env.clinic_key, url)
    assert resp.status_code == 200 and resp.text == "success"
    answered_in = time.monotonic() - began
    got = env.receiver.wait_for(lambda rs: any(
        r.json and "Sciaticalm assistant" in (r.json.get("text") or "") for r in rs[start:]))
    posted = [r for r in got[start:] if r.json]
    assert answered_in < 5
    assert {r.path for r in posted} == {"/sciaticalm/replies"}
    assert {r.headers.get("authorization") for r in posted} == {f"Bearer {env.callback_token}"}
    assert {r.json["recipient_id"] for r in posted} == {sender}
    assert any(r.json.get("buttons") for r in posted)
    logged = eventually(lambda: user_events(env.stack.db_path, f"clinic:{sender}"))
    assert [e["input_channel"] for e in logged] == ["clinic"]


def test_callback_without_a_key_gets_401_and_posts_nothing(env: Env) -> None:
    start, before = len(env.receiver.requests), event_count(env.stack.db_path)
    resp = env.post({"sender": "anyone", "message": "hello"}, None,
                    f"{env.stack.rasa_url}/webhooks/callback/webhook")
    assert resp.status_code == 401
    time.sleep(1)
    assert env.receiver.since(start) == []
    assert event_count(env.stack.db_path) == before


def socketio_hello(url: str, session: str) -> list[dict]:
    """One "hello" over socket.io with `session` as the session id; the replies."""
    client = socketio.Client()
    received: list[dict] = []
    confirmed, ended = threading.Event(), threading.Event()
    client.on("session_confirm", lambda _: confirmed.set())
    client.on("bot_uttered", received.append)
    client.on("bot_turn_end", lambda _: ended.set())
    client.connect(url, socketio_path="/socket.io", transports=["polling"])
    try:
        client.emit("session_request", {"session_id": session})
        assert confirmed.wait(10), "no session_confirm"
        client.emit("user_uttered", {"message": "hello", "session_id": session})
        assert ended.wait(60), "no bot_turn_end"
    finally:
        client.disconnect()
    return received


def test_one_raw_id_on_rest_socketio_and_a_partner_is_three_conversations(env: Env) -> None:
    raw = f"p-{uuid.uuid4().hex[:8]}"
    assert env.post({"sender": raw, "message": "hello"}, env.clinic_key).status_code == 200
    assert env.stack.say(raw, "hello")
    assert socketio_hello(env.stack.rasa_url, raw)
    # A REST visitor naming the partner's conversation id writes into its own.
    assert env.stack.say(f"clinic:{raw}", "I have a fever")
    channels = {conversation: [e["input_channel"] for e in user_events(env.stack.db_path,
                                                                       conversation)]
                for conversation in (f"clinic:{raw}", f"rest:{raw}", f"socketio:{raw}",
                                     f"rest:clinic:{raw}", raw)}
    assert channels == {f"clinic:{raw}": ["clinic"], f"rest:{raw}": ["rest"],
                        f"socketio:{raw}": ["socketio"], f"rest:clinic:{raw}": ["rest"],
                        raw: []}


@pytest.mark.parametrize("path", ["partner", "callback", "rest"])
def test_hostile_input_gets_a_4xx_or_a_reply_never_5xx(env: Env, path: str) -> None:
    url = f"{env.stack.rasa_url}/webhooks/{path}/webhook"
    headers = {"Content-Type": "application/json", "X-API-Key": env.clinic_key}
    failures = []
    for name, body, status in hostile_cases(uuid.uuid4().hex[:8]):
        if path != "rest" and name in ("empty message", "whitespace"):
            status = 400  # a partner's empty message is a 400
        resp = requests.post(url, data=body, headers=headers, timeout=60)
        if resp.status_code != status:
            failures.append(f"{name}: {resp.status_code} (expected {status}) {resp.text[:80]}")
    assert not failures, "\n".join(failures)
    assert env.stack.say(f"after-{uuid.uuid4().hex[:8]}", "hello")
