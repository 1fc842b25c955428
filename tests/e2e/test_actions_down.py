"""Safety when degraded: with the action server stopped, a red flag still
reaches the visitor, single-turn and in the middle of the assessment; an advice
request gets a clear apology (server.runtime.action_outage), not silence,
and an assessment answer is never accepted unchecked."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator

import pytest

from testkit.servers import Stack, rasa_stack, rest_id


@pytest.fixture(scope="module")
def degraded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with rasa_stack(tmp_path_factory.mktemp("degraded")) as stack:
        assert stack.say("warm-up", "hello")
        stack.stop_actions()  # the real action server, stopped mid-life
        yield stack


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def test_emergency_escalation_without_action_server(degraded: Stack) -> None:
    replies = degraded.say(f"down-{uuid.uuid4()}", "I've wet myself and both legs are numb")
    assert texts(replies).startswith("**Please call 999 or go to A&E now.**")
    assert "(tel:+442380248725)" in texts(replies)
    assert any(r.get("custom", {}).get("sciaticalm", {}).get("level") == "emergency"
               for r in replies)


def test_urgent_escalation_without_action_server(degraded: Stack) -> None:
    replies = degraded.say(f"down-{uuid.uuid4()}", "I've had a high temperature all week")
    assert texts(replies).startswith("**Please call our help line on 02380 248725 today.")


def test_escalation_mid_assessment_without_action_server(degraded: Stack) -> None:
    sender = f"down-{uuid.uuid4()}"
    intro = texts(degraded.say(sender, "help me find the root cause"))
    assert "safety check" in intro
    replies = degraded.say(sender, "actually I can't feel my bum when I wipe")
    assert texts(replies).startswith("**Please call 999 or go to A&E now.**")


def test_safety_question_and_its_yes_without_action_server(degraded: Stack) -> None:
    sender = f"down-{uuid.uuid4()}"
    replies = degraded.say(sender, "having some issues down below since my long run")
    assert texts(replies).startswith("Just to check before I go on:"), replies
    assert [b["title"] for b in replies[0]["buttons"]] == ["Yes", "No"]
    replies = degraded.say(sender, "yes")
    assert texts(replies).startswith("**Please call 999 or go to A&E now.**"), replies
    assert slot_events(degraded, sender, "safety_question") == ["continence"]
    assert "emergency" in slot_events(degraded, sender, "triage_level")


def test_safety_question_mid_assessment_without_action_server(degraded: Stack) -> None:
    sender = f"down-{uuid.uuid4()}"
    degraded.say(sender, "help me find the root cause")
    replies = degraded.say(sender, "my waterworks feel different since my back went")
    assert texts(replies).startswith("Just to check before I go on:"), replies
    replies = degraded.say(sender, "yeah")
    assert texts(replies).startswith("**Please call 999 or go to A&E now.**"), replies


def slot_events(stack: Stack, sender: str, slot: str) -> list[object]:
    with sqlite3.connect(stack.db_path) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'slot' "
                          "ORDER BY id", (rest_id(sender),)).fetchall()
    return [e["value"] for e in (json.loads(d) for (d,) in rows) if e.get("name") == slot]


APOLOGY = "Sorry, I can't fetch that part of my advice right now"


def test_advice_request_gets_an_apology_not_silence(degraded: Stack) -> None:
    sender = f"down-{uuid.uuid4()}"
    replies = degraded.say(sender, "what trainers should I buy for my back?")
    assert texts(replies).startswith(APOLOGY), replies
    assert "02380 248725" in texts(replies) and "999" in texts(replies)
    # the conversation goes on: the next message is answered too
    assert degraded.say(sender, "hello")
    with sqlite3.connect(degraded.db_path) as db:
        bot = [json.loads(d).get("text") or "" for (d,) in db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'bot' ORDER BY id",
            (rest_id(sender),))]
    assert any(text.startswith(APOLOGY) for text in bot), bot  # the log says what was sent


def test_assessment_answer_is_asked_again_not_accepted_unchecked(degraded: Stack) -> None:
    sender = f"down-{uuid.uuid4()}"
    assert "safety check" in texts(degraded.say(sender, "help me find the root cause"))
    replies = texts(degraded.say(sender, "no none of those"))
    assert replies.startswith(APOLOGY), replies
    # the same safety question again: the answer was not taken without validation
    assert "Do you have any of these right now" in replies, replies
