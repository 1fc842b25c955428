"""A whole conversation over the REST channel against the real servers,
then found again in the SQLite tracker store."""

from __future__ import annotations

import uuid
from pathlib import Path

import requests
import yaml

from sciaticalm.content import library
from testkit.servers import Stack
from tests.e2e.conftest import slot_values, stored_events

DISCLAIMER = library().disclaimer["full"]["text"]
REPO = Path(__file__).resolve().parents[2]


def response_texts(name: str) -> list[str]:
    """The texts of a domain response's variations (Rasa picks one at random)."""
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    return [v["text"] for v in domain["responses"][name]]


def joined(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def test_conversation_advice_assessment_and_log(stack: Stack) -> None:
    sender = f"e2e-{uuid.uuid4()}"
    greeting = stack.say(sender, "hello")
    assert "Sciaticalm assistant" in joined(greeting)
    assert any(r.get("buttons") for r in greeting)

    shoes = joined(stack.say(sender, "what trainers should I buy for my back?"))
    assert shoes.startswith(DISCLAIMER)  # the disclaimer comes first
    assert "fitting" in shoes.lower() and "cushioning" in shoes.lower()

    plank = joined(stack.say(sender, "how long should I hold a plank"))
    assert "Plank" in plank and "seconds" in plank
    assert DISCLAIMER not in plank  # the disclaimer is shown once

    intro = joined(stack.say(sender, "help me find the root cause"))
    assert "safety check" in intro and "both legs" in intro
    # Answer the rest, mixing buttons and typed text.
    answers = ['/inform{"emergency_screen": "no"}', "no none of those", "the next day",
               "yes, I've doubled my mileage", "about 2 years old", "I land on my heels"]
    for answer in answers:
        assert stack.say(sender, answer), answer
    plan = joined(stack.say(sender, "never"))
    assert "Training load" in plan and "Footwear" in plan and "Core strength" in plan
    assert "Bird dog" in plan and "Hamstring" in plan
    assert plan.strip().endswith("check with a healthcare professional if you're unsure.")

    events = stored_events(stack.db_path, sender)
    intents = [i for t, i, _ in events if t == "user"]
    actions = [a for t, _, a in events if t == "action"]
    assert intents[:3] == ["greet", "ask_footwear", "ask_strengthening"]
    assert "action_footwear_advice" in actions and "action_assessment_plan" in actions
    assert slot_values(stack.db_path, sender, "assessment_complete") == [True]


def test_red_flag_sets_triage_slots_in_the_log(stack: Stack) -> None:
    sender = f"e2e-{uuid.uuid4()}"
    replies = stack.say(sender, "both my legs are numb and I can't feel my bum")
    assert joined(replies).startswith("**Please call 999 or go to A&E now.**")
    custom = [r["custom"] for r in replies if "custom" in r]
    assert custom == [{"sciaticalm": {"kind": "escalation", "level": "emergency", "calls": [
        {"label": "Call 999", "tel": "999"},
        {"label": "Call 02380 248725", "tel": "+442380248725"}]}}]
    assert "emergency" in slot_values(stack.db_path, sender, "triage_level")
    flags = slot_values(stack.db_path, sender, "red_flags")[-1]
    assert set(flags) >= {"bilateral_leg_symptoms", "saddle_numbness"}


def test_hostile_text_is_answered_and_logged_verbatim(stack: Stack) -> None:
    sender = f"e2e-{uuid.uuid4()}"
    nasty = "<img src=x onerror=alert(1)> '; DROP TABLE events; -- \u202e\U0001f3c3"
    assert stack.say(sender, nasty)
    assert stack.say(sender, "hello")  # still answering; the table is intact
    assert [t for t, _, _ in stored_events(stack.db_path, sender)].count("user") == 2


def test_empty_huge_and_odd_messages_get_an_answer(stack: Stack) -> None:
    sender = f"e2e-{uuid.uuid4()}"
    for text in ["", "   ", "a" * 100_000, "\x00\x01 hi \x7f", "🏃‍♀️🏃‍♀️ \u05e9\u05dc\u05d5\u05dd"]:
        if len(text) > 5_000:
            # Over the channel's limit: a 413 whose answer is the message to show
            # (the REST channel of both topologies, server/channels/rest.py).
            resp = requests.post(stack.rest_url, json={"sender": sender, "message": text},
                                 timeout=120)
            assert resp.status_code == 413, resp.status_code
            replies = resp.json()["messages"]
        else:
            replies = stack.say(sender, text, timeout=120)
        assert replies and all(r.get("text") for r in replies), text[:20]
    # the conversation is still alive and correct afterwards
    assert "Sciaticalm assistant" in joined(stack.say(sender, "hello"))


def test_two_stage_fallback_offers_topics_then_asks_to_rephrase(stack: Stack) -> None:
    """The dialogue side of the fallback, made deterministic with an intent payload
    (whether a given string of gibberish falls under the confidence threshold
    depends on the trained model)."""
    sender = f"e2e-{uuid.uuid4()}"
    first = stack.say(sender, "/nlu_fallback")
    assert first[0]["text"] in response_texts("utter_did_you_mean")
    payloads = [b["payload"] for b in first[0]["buttons"]]
    assert len(payloads) == 4 and payloads[-1] == "/out_of_scope"
    # "Something else" -> second stage: ask to rephrase
    second = stack.say(sender, "/out_of_scope")
    assert second[0]["text"] in response_texts("utter_ask_rephrase")
    assert "another way" in second[0]["text"]
    # the rephrased question is answered
    assert "Hamstring" in joined(stack.say(sender, "/ask_stretching"))
    # two unclear messages in a row: give up politely, with the help line
    other = f"e2e-{uuid.uuid4()}"
    stack.say(other, "/nlu_fallback")
    final = stack.say(other, "/nlu_fallback")
    assert "02380 248725" in final[0]["text"] and final[0]["buttons"]


def test_gibberish_gets_a_graceful_answer(stack: Stack) -> None:
    replies = stack.say(f"e2e-{uuid.uuid4()}", "blorp fizzwhack qwrtzp")
    text = replies[0]["text"]
    assert text in response_texts("utter_did_you_mean") or text.startswith(
        "Sorry, I can only help")
    assert replies[0]["buttons"]
