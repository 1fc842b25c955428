"""Unit tests of the channel helpers: no servers."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from server.channels.facebook import short_title, valid_signature
from server.channels.keys import PartnerKeys, parse_env_keys
from server.channels.partner import BadRequest, parse_body
from server.channels.text import is_internal_custom, numbered_options, to_plain, to_telegram_html
from server.channels.twilio import chosen_payload, current_options
from server.launch import effective

ESCALATION = ("**Please call 999 or go to A&E now.** These signs...\n- Emergency: [999](tel:999)\n"
              "- Sciaticalm help line: [02380 248725](tel:+442380248725)")
KEY = "k" * 24


def test_plain_text_keeps_numbers_and_drops_markup() -> None:
    assert to_plain(ESCALATION) == ("Please call 999 or go to A&E now. These signs...\n"
                                    "- Emergency: 999\n- Sciaticalm help line: 02380 248725")
    assert to_plain("see [the NHS page](https://www.nhs.uk/)") == \
        "see the NHS page (https://www.nhs.uk/)"


def test_telegram_html_is_escaped_bold_and_links() -> None:
    html = to_telegram_html(ESCALATION + " <script> [NHS](https://nhs.uk/?a=1&b=2)")
    assert html.startswith("<b>Please call 999 or go to A&amp;E now.</b>")
    assert "help line: 02380 248725" in html and "tel:" not in html
    assert "&lt;script&gt;" in html
    assert '<a href="https://nhs.uk/?a=1&amp;b=2">NHS</a>' in html


def test_numbered_options_and_internal_custom() -> None:
    assert numbered_options([{"title": "A"}, {"title": "B"}], start=3) == "3. A\n4. B"
    assert is_internal_custom({"sciaticalm": {"kind": "escalation"}})
    assert not is_internal_custom({"text": "hi"})


def test_env_keys_and_lookup(tmp_path: Path) -> None:
    assert parse_env_keys(f"clinic={KEY}, runclub = {KEY}x ,bad") == {
        "clinic": [KEY], "runclub": [KEY + "x"]}
    keys = PartnerKeys({"clinic": [KEY], "rest": ["r" * 20], "Bad Name": ["b" * 20],
                        "shorty": ["short"]}, None)
    assert keys.partner_for(KEY) == "clinic"
    assert keys.partner_for("r" * 20) is None  # a built-in channel's name is refused
    assert keys.partner_for("b" * 20) is None and keys.partner_for("short") is None
    assert keys.partner_for(None) is None and keys.partner_for("") is None


def test_keys_file_reload_revocation_and_hashes(tmp_path: Path) -> None:
    path = tmp_path / "partners.yml"
    digest = hashlib.sha256(b"hashed-key-of-the-crm-1234").hexdigest()
    path.write_text(f"runclub: [{KEY}, {KEY}2]\ncrm: 'sha256:{digest}'\n")
    keys = PartnerKeys({}, path)
    assert keys.partner_for(KEY + "2") == "runclub"
    assert keys.partner_for("hashed-key-of-the-crm-1234") == "crm"
    assert keys.partner_for(f"sha256:{digest}") is None  # the hash itself is no key
    path.write_text(f"runclub: {KEY}2\n")
    os.utime(path, (1, 1))  # a change even within the same second
    assert keys.partner_for(KEY) is None and keys.partner_for(KEY + "2") == "runclub"
    path.unlink()
    assert keys.partner_for(KEY + "2") is None


def test_parse_body() -> None:
    assert parse_body({"sender": 42, "message": "hi"}) == ("42", "hi", {})
    for bad in ({"message": "hi"}, {"sender": "a", "message": ""}, [1],
                {"sender": "a", "message": "hi", "metadata": "x"}, {"sender": "a" * 200,
                                                                     "message": "hi"}):
        try:
            parse_body(bad)
        except BadRequest:
            continue
        raise AssertionError(f"accepted {bad}")


def test_launch_without_variables_adds_nothing() -> None:
    creds, endpoints, report = effective({"rest": None}, {"tracker_store": {}}, {})
    assert creds == {"rest": None} and endpoints == {"tracker_store": {}}
    assert report == ["telegram: off", "twilio: off", "facebook: off", "callback: off",
                      "event broker: off"]


def test_launch_with_partial_variables_keeps_the_channel_off_and_says_why() -> None:
    creds, _, report = effective({}, {}, {"TWILIO_ACCOUNT_SID": "AC1", "TELEGRAM_API_BASE": "x"})
    assert creds == {}
    assert "twilio: OFF, missing TWILIO_AUTH_TOKEN, TWILIO_NUMBER or TWILIO_WHATSAPP_NUMBER" \
        in report
    assert "telegram: off" in report  # an optional variable alone does not count


def test_launch_switches_channels_and_broker_on() -> None:
    env = {"CALLBACK_URL": "https://crm.example/hook", "CALLBACK_TOKEN": "t0k",
           "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "tok",
           "TWILIO_WHATSAPP_NUMBER": "whatsapp:+44",
           "RABBITMQ_URL": "amqp://user:p%40ss@mq.internal:5673/prod"}
    creds, endpoints, _ = effective({}, {}, env)
    assert creds["server.channels.callback.PartnerCallbackInput"] == {
        "url": "https://crm.example/hook", "headers": {"Authorization": "Bearer t0k"}}
    assert creds["server.channels.twilio.SciaticalmTwilioInput"] == {
        "account_sid": "AC1", "auth_token": "tok", "whatsapp_number": "whatsapp:+44"}
    broker = endpoints["event_broker"]
    assert (broker["type"], broker["url"], broker["port"]) == (
        "pika", "amqp://mq.internal:5673/prod", 5673)
    assert (broker["username"], broker["password"]) == ("user", "p@ss")
    assert broker["queues"] == ["sciaticalm_events"]


def test_twilio_number_maps_to_the_current_options() -> None:
    buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    events = [UserUttered("old"), BotUttered("old q", {"buttons": [{"title": "X",
                                                                    "payload": "/x"}]}),
              UserUttered("hi"), ActionExecuted("utter_greet"),
              BotUttered("intro"), BotUttered("q", {"buttons": buttons})]
    options = current_options(events)
    assert options == buttons
    assert chosen_payload("2", options) == "/deny" and chosen_payload(" 1. ", options) == "/affirm"
    assert chosen_payload("3", options) is None and chosen_payload("two", options) is None
    assert current_options([*events, UserUttered("2")]) == []


def test_facebook_signature_and_titles() -> None:
    body, secret = b'{"object":"page"}', "app-secret"
    sha256 = "sha256=" + hmac.new(secret.encode(), body, "sha256").hexdigest()
    sha1 = "sha1=" + hmac.new(secret.encode(), body, "sha1").hexdigest()
    assert valid_signature(secret, body, {"X-Hub-Signature-256": sha256})
    assert valid_signature(secret, body, {"X-Hub-Signature": sha1})
    assert not valid_signature(secret, body + b" ", {"X-Hub-Signature-256": sha256})
    assert not valid_signature(secret, body, {"X-Hub-Signature-256": sha1})
    assert not valid_signature(secret, body, {})
    assert short_title("Heel first, out in front") == "Heel first, out in…"
    assert all(len(short_title("x" * n)) <= 20 for n in range(30))


def test_chunks_respect_the_limit_and_keep_paragraphs() -> None:
    from server.channels.text import chunks

    assert chunks("a\n\nb", 10) == ["a", "b"]
    assert chunks("one\ntwo\nthree", 8) == ["one\ntwo", "three"]
    long = "\n".join(f"{i}. " + "x" * 40 for i in range(60))
    parts = chunks(long, 1600)
    assert all(len(p) <= 1600 for p in parts) and "\n".join(parts) == long
    assert chunks("y" * 25, 10) == ["y" * 10, "y" * 10, "y" * 5]


def test_telegram_does_not_start_without_its_secret() -> None:
    from rasa.shared.exceptions import RasaException

    from server.channels.telegram import SciaticalmTelegramInput, valid_secret

    env = {"TELEGRAM_ACCESS_TOKEN": "1:x", "TELEGRAM_BOT_USERNAME": "bot"}
    creds, _, report = effective({}, {}, env)
    assert "telegram: OFF, missing TELEGRAM_SECRET_TOKEN" in report and creds == {}
    with pytest.raises(RasaException):
        SciaticalmTelegramInput.from_credentials({"access_token": "1:x", "verify": "bot"})
    assert valid_secret("s3cret", "s3cret")
    assert not valid_secret("s3cret", "wrong") and not valid_secret("s3cret", None)
    assert not valid_secret(None, None) and not valid_secret("", "")


def test_every_signature_check_refuses_when_its_secret_is_unset() -> None:
    from twilio.request_validator import RequestValidator

    from server.channels.twilio import valid_twilio_signature

    body = b'{"object": "page"}'
    signature = "sha256=" + hmac.new(b"", body, "sha256").hexdigest()
    assert not valid_signature("", body, {"X-Hub-Signature-256": signature})
    assert PartnerKeys({}, None).partner_for("") is None
    url, params = "https://bot.example.org/webhooks/twilio/webhook", {"Body": "hi"}
    good = RequestValidator("tok").compute_signature(url, params)
    assert valid_twilio_signature("tok", url, params, good)
    assert not valid_twilio_signature("", url, params, RequestValidator("").compute_signature(
        url, params))
    assert not valid_twilio_signature(None, url, params, good)
