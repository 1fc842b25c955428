"""Telegram, Twilio (SMS, WhatsApp) and Facebook Messenger end to end: the real Rasa
server (started through `python -m server`) and action server, with local fake servers
that speak each provider's API. A test sends the inbound webhook as the provider
would; the fake captures the bot's outbound API calls."""

from __future__ import annotations

import hmac
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from twilio.request_validator import RequestValidator

from testkit.servers import Stack, rasa_stack
from tests.integrations.conftest import event_count, eventually, new_key, user_events
from tests.integrations.fakes import (
    TELEGRAM_BOT,
    FakeServer,
    Recorded,
    graph_api,
    telegram_api,
    twilio_api,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TELEGRAM_TOKEN = "424242:TEST-fake_token-abcdefghijklmnop"
TWILIO_SID = "AC" + "0123456789abcdef" * 2
SMS_NUMBER, WHATSAPP_NUMBER = "+441234000000", "whatsapp:+441234000001"
ESCALATION = "both my legs are numb and I can't feel my bum"


@dataclass
class Env:
    stack: Stack
    telegram: FakeServer
    twilio: FakeServer
    graph: FakeServer
    telegram_secret: str
    twilio_token: str
    fb_secret: str
    fb_verify: str
    fb_page_token: str

    def webhook(self, channel: str) -> str:
        return f"{self.stack.rasa_url}/webhooks/{channel}/webhook"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    secrets = {name: new_key() for name in ("tg", "tw", "fb", "fbv", "fbp")}
    with ExitStack() as stack:
        telegram = stack.enter_context(FakeServer(telegram_api))
        twilio = stack.enter_context(FakeServer(twilio_api))
        graph = stack.enter_context(FakeServer(graph_api))
        rasa = stack.enter_context(rasa_stack(
            tmp_path_factory.mktemp("messengers"),
            env={"TELEGRAM_ACCESS_TOKEN": TELEGRAM_TOKEN,
                 "TELEGRAM_BOT_USERNAME": TELEGRAM_BOT["username"],
                 "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/webhooks/telegram/webhook",
                 "TELEGRAM_SECRET_TOKEN": secrets["tg"], "TELEGRAM_API_BASE": telegram.url,
                 "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": secrets["tw"],
                 "TWILIO_NUMBER": SMS_NUMBER, "TWILIO_WHATSAPP_NUMBER": WHATSAPP_NUMBER,
                 "TWILIO_API_BASE": twilio.url,
                 "FACEBOOK_VERIFY_TOKEN": secrets["fbv"], "FACEBOOK_APP_SECRET": secrets["fb"],
                 "FACEBOOK_PAGE_ACCESS_TOKEN": secrets["fbp"],
                 "FACEBOOK_GRAPH_URL": f"{graph.url}/v19.0"}))
        yield Env(rasa, telegram, twilio, graph, secrets["tg"], secrets["tw"], secrets["fb"],
                  secrets["fbv"], secrets["fbp"])


# ---------------------------------------------------------------- Telegram

def telegram_update(chat_id: int, text: str | None = None, button: str | None = None
                    ) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Sam", "language_code": "en"}
    message = {"message_id": int(time.time()) % 100000, "date": int(time.time()),
               "chat": {"id": chat_id, "type": "private", "first_name": "Sam"}, "from": user}
    if button is None:
        return {"update_id": chat_id % 10**6, "message": {**message, "text": text}}
    return {"update_id": chat_id % 10**6 + 1, "callback_query": {
        "id": str(chat_id), "from": user, "chat_instance": "1", "data": button,
        "message": {**message, "from": {**TELEGRAM_BOT}, "text": "(the bot's message)"}}}


def send_to_telegram_bot(env: Env, update: dict[str, Any], secret: str | None = None
                         ) -> requests.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret or env.telegram_secret}
    return requests.post(env.webhook("telegram"), json=update, headers=headers, timeout=60)


def sent_messages(env: Env, start: int, chat_id: int) -> list[dict[str, str]]:
    calls = [r for r in env.telegram.since(start) if r.path.endswith("/sendMessage")]
    params = [r.form or r.json or {} for r in calls]
    return [p for p in params if str(p.get("chat_id")) == str(chat_id)]


def test_telegram_webhook_was_set_with_the_secret(env: Env) -> None:
    calls = [r for r in env.telegram.requests if r.path.endswith("/setWebhook")]
    assert calls and calls[0].path == f"/bot{TELEGRAM_TOKEN}/setWebhook"
    params = calls[0].form or calls[0].json
    assert params["url"] == "https://bot.example.org/webhooks/telegram/webhook"
    assert params["secret_token"] == env.telegram_secret


def test_telegram_message_in_reply_out_with_an_inline_keyboard(env: Env) -> None:
    chat_id, start = 700000 + int(time.time()) % 99999, len(env.telegram.requests)
    assert send_to_telegram_bot(env, telegram_update(chat_id, "hello")).status_code == 200
    sent = sent_messages(env, start, chat_id)
    greeting = next(p for p in sent if "Sciaticalm assistant" in p["text"])
    keyboard = json.loads(greeting["reply_markup"])["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard][:2] == ["Find my root cause", "Likely causes"]
    assert all(len(row) == 1 for row in keyboard)  # one button a row: titles stay readable
    assert keyboard[1][0]["callback_data"] == "/ask_causes"

    start = len(env.telegram.requests)  # the visitor taps "Likely causes"
    tap = send_to_telegram_bot(env, telegram_update(chat_id, button="/ask_causes"))
    assert tap.status_code == 200
    assert "muscle" in " ".join(p["text"] for p in sent_messages(env, start, chat_id)).lower()
    conversation = f"telegram:{chat_id}"
    intents = [e["parse_data"]["intent"]["name"]
               for e in eventually(lambda: user_events(env.stack.db_path, conversation)[1:])]
    assert intents == ["ask_causes"]
    assert {e["input_channel"] for e in user_events(env.stack.db_path, conversation)} \
        == {"telegram"}


def test_telegram_escalation_is_readable_html(env: Env) -> None:
    chat_id, start = 800000 + int(time.time()) % 99999, len(env.telegram.requests)
    assert send_to_telegram_bot(env, telegram_update(chat_id, ESCALATION)).status_code == 200
    sent = sent_messages(env, start, chat_id)
    text = "\n".join(p["text"] for p in sent)
    assert text.startswith("<b>Please call 999 or go to A&amp;E now.</b>")
    assert "Sciaticalm help line: 02380 248725" in text and "](tel:" not in text
    assert {p.get("parse_mode", "").lower() for p in sent} == {"html"}  # aiogram: "html"
    assert "sciaticalm" not in json.dumps(sent).replace("Sciaticalm", "")  # no custom payload


def test_telegram_update_without_the_secret_is_refused(env: Env) -> None:
    chat_id, before = 900000 + int(time.time()) % 99999, event_count(env.stack.db_path)
    resp = send_to_telegram_bot(env, telegram_update(chat_id, "hello"), secret="wrong" * 5)
    assert resp.status_code == 401
    time.sleep(0.5)
    assert event_count(env.stack.db_path) == before


# ---------------------------------------------------------------- Twilio

def send_sms(env: Env, sender: str, body: str, signature: str | None = None
             ) -> requests.Response:
    """POST the inbound webhook as Twilio does: form fields + X-Twilio-Signature."""
    to = WHATSAPP_NUMBER if sender.startswith("whatsapp:") else SMS_NUMBER
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": TWILIO_SID,
              "From": sender, "To": to, "Body": body, "NumMedia": "0"}
    url = env.webhook("twilio")
    signature = signature or RequestValidator(env.twilio_token).compute_signature(url, params)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature},
                         timeout=60)


def sms_sent(env: Env, start: int, to: str) -> list[Recorded]:
    return [r for r in env.twilio.since(start)
            if r.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
            and r.form.get("To") == to]


def test_twilio_sms_buttons_become_numbered_options_and_a_number_answers(env: Env) -> None:
    phone, start = f"+4477009{int(time.time() * 1000) % 100000:05d}", len(env.twilio.requests)
    assert send_sms(env, phone, "hello").status_code == 204
    sent = sms_sent(env, start, phone)
    body = "\n".join(r.form["Body"] for r in sent)
    assert "1. Find my root cause\n2. Likely causes\n3. Exercises" in body
    assert "Reply with a number." in body
    assert {r.form["From"] for r in sent} == {SMS_NUMBER}
    assert all(r.headers["authorization"].startswith("Basic ") for r in sent)

    start = len(env.twilio.requests)
    assert send_sms(env, phone, "2").status_code == 204  # "Likely causes"
    assert "muscle" in " ".join(r.form["Body"] for r in sms_sent(env, start, phone)).lower()
    logged = eventually(lambda: user_events(env.stack.db_path, f"twilio:{phone}")[1:])
    assert logged[0]["text"] == "/ask_causes"
    assert logged[0]["parse_data"]["intent"]["name"] == "ask_causes"


def test_twilio_numbers_answer_the_assessment(env: Env) -> None:
    phone, start = f"+4477008{int(time.time() * 1000) % 100000:05d}", len(env.twilio.requests)
    send_sms(env, phone, "help me find the root cause")
    body = "\n".join(r.form["Body"] for r in sms_sent(env, start, phone))
    assert "1. No, none of these\n2. Yes, at least one" in body
    start = len(env.twilio.requests)
    send_sms(env, phone, "1")
    assert "1. No, none of these" in "\n".join(r.form["Body"]
                                               for r in sms_sent(env, start, phone))
    logged = eventually(lambda: user_events(env.stack.db_path, f"twilio:{phone}")[1:])
    assert logged[0]["text"] == '/inform{"emergency_screen": "no"}'


def test_twilio_whatsapp_escalation_is_plain_text_from_the_whatsapp_number(env: Env) -> None:
    sender, start = f"whatsapp:+4477007{int(time.time()) % 100000:05d}", len(env.twilio.requests)
    assert send_sms(env, sender, ESCALATION).status_code == 204
    sent = sms_sent(env, start, sender)
    body = "\n".join(r.form["Body"] for r in sent)
    assert body.startswith("Please call 999 or go to A&E now.")
    assert "Sciaticalm help line: 02380 248725" in body
    assert "**" not in body and "](tel:" not in body
    assert {r.form["From"] for r in sent} == {WHATSAPP_NUMBER}


def test_twilio_request_with_a_bad_signature_is_refused(env: Env) -> None:
    phone, start = "+447700900999", len(env.twilio.requests)
    before = event_count(env.stack.db_path)
    assert send_sms(env, phone, "hello", signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    time.sleep(0.5)
    assert event_count(env.stack.db_path) == before and sms_sent(env, start, phone) == []


# ---------------------------------------------------------------- Facebook Messenger

def send_to_page(env: Env, psid: str, text: str, secret: str | None = None
                 ) -> requests.Response:
    body = json.dumps({"object": "page", "entry": [{
        "id": "PAGE1", "time": int(time.time() * 1000), "messaging": [{
            "sender": {"id": psid}, "recipient": {"id": "PAGE1"},
            "timestamp": int(time.time() * 1000),
            "message": {"mid": f"m_{uuid.uuid4().hex}", "text": text}}]}]}).encode()
    key = (secret or env.fb_secret).encode()
    headers = {"Content-Type": "application/json",
               "X-Hub-Signature": "sha1=" + hmac.new(key, body, "sha1").hexdigest(),
               "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, "sha256").hexdigest()}
    return requests.post(env.webhook("facebook"), data=body, headers=headers, timeout=60)


def test_facebook_verification_handshake(env: Env) -> None:
    ok = requests.get(env.webhook("facebook"), params={
        "hub.mode": "subscribe", "hub.verify_token": env.fb_verify, "hub.challenge": "1158"})
    assert ok.status_code == 200 and ok.text == "1158"
    bad = requests.get(env.webhook("facebook"), params={
        "hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1158"})
    assert bad.status_code == 403


def test_facebook_signed_message_in_quick_replies_out(env: Env) -> None:
    psid, start = f"psid-{uuid.uuid4().hex[:12]}", len(env.graph.requests)
    resp = send_to_page(env, psid, "hello")
    assert resp.status_code == 200
    calls = [r for r in env.graph.since(start) if r.path == "/v19.0/me/messages"]
    assert {r.query["access_token"] for r in calls} == {env.fb_page_token}
    messages = [r.json["message"] for r in calls if r.json.get("message")]
    greeting = next(m for m in messages if "Sciaticalm assistant" in m.get("text", ""))
    titles = [q["title"] for q in greeting["quick_replies"]]
    assert titles[:2] == ["Find my root cause", "Likely causes"]
    assert greeting["quick_replies"][1]["payload"] == "/ask_causes"
    conversation = f"facebook:{psid}"
    assert eventually(lambda: user_events(env.stack.db_path, conversation))[0]["input_channel"] \
        == "facebook"


def test_facebook_wrong_signature_is_refused_and_not_logged(env: Env) -> None:
    psid, start = f"psid-{uuid.uuid4().hex[:12]}", len(env.graph.requests)
    before = event_count(env.stack.db_path)
    assert send_to_page(env, psid, "hello", secret="not-the-app-secret").status_code == 403
    time.sleep(0.5)
    assert event_count(env.stack.db_path) == before and env.graph.since(start) == []


# ---------------------------------------------------------------- hostile input

BIG = "a" * 1_048_576
TOO_LONG_NOTICE = "5,000 characters"


def test_hostile_telegram_updates_get_a_4xx_or_a_polite_reply(env: Env) -> None:
    chat_id, start = 600000 + int(time.time()) % 99999, len(env.telegram.requests)
    headers = {"X-Telegram-Bot-Api-Secret-Token": env.telegram_secret,
               "Content-Type": "application/json"}
    url = env.webhook("telegram")
    raw = {"malformed JSON": b'{"update_id": 1, "message": ', "invalid UTF-8": b"\xff\xfe{",
           "a list": b"[1, 2]", "message is a number": b'{"update_id": 1, "message": 5}',
           "no chat": json.dumps({"update_id": 1, "message": {
               "message_id": 1, "date": 1, "text": "hi"}}).encode()}
    statuses = {name: requests.post(url, data=body, headers=headers, timeout=60).status_code
                for name, body in raw.items()}
    assert statuses == dict.fromkeys(raw, 400), statuses
    assert send_to_telegram_bot(env, telegram_update(chat_id, BIG)).status_code == 200
    assert send_to_telegram_bot(env, telegram_update(chat_id, "my back\u0000 hurts\u0007")
                                ).status_code == 200
    sent = " ".join(p["text"] for p in sent_messages(env, start, chat_id))
    assert TOO_LONG_NOTICE in sent
    logged = eventually(lambda: user_events(env.stack.db_path, f"telegram:{chat_id}"))
    assert [e["text"] for e in logged] == ["my back hurts"]


def test_hostile_twilio_messages_get_a_polite_reply_never_5xx(env: Env) -> None:
    phone, start = f"+4477006{int(time.time() * 1000) % 100000:05d}", len(env.twilio.requests)
    assert send_sms(env, phone, BIG).status_code == 204
    assert send_sms(env, phone, "my back\u0000 hurts").status_code == 204
    assert send_sms(env, "+44" + "7" * 10_240, "hello").status_code == 204  # dropped
    assert TOO_LONG_NOTICE in " ".join(r.form["Body"] for r in sms_sent(env, start, phone))
    logged = eventually(lambda: user_events(env.stack.db_path, f"twilio:{phone}"))
    assert [e["text"] for e in logged] == ["my back hurts"]
    assert not [e for e in user_events(env.stack.db_path) if "7" * 1000 in e["sender_id"]]


def signed_post(env: Env, body: bytes) -> requests.Response:
    key = env.fb_secret.encode()
    headers = {"Content-Type": "application/json",
               "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, "sha256").hexdigest()}
    return requests.post(env.webhook("facebook"), data=body, headers=headers, timeout=60)


def test_hostile_messenger_events_get_a_4xx_or_a_polite_reply(env: Env) -> None:
    psid, start = f"psid-{uuid.uuid4().hex[:12]}", len(env.graph.requests)
    for body in (b'{"object": "page", "entry": ', b'{"object": "page", "entry": 5}',
                 b"[1]", b'{"object": "page", "entry": [{"messaging": [{"message": 3}]}]}'):
        assert signed_post(env, body).status_code == 400, body
    assert send_to_page(env, psid, BIG).status_code == 200
    texts_sent = [r.json["message"].get("text", "") for r in env.graph.since(start)
                  if r.path == "/v19.0/me/messages" and (r.json or {}).get("message")]
    assert any(TOO_LONG_NOTICE in t for t in texts_sent), texts_sent
    assert user_events(env.stack.db_path, f"facebook:{psid}") == []
