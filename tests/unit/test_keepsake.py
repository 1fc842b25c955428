"""The plan to keep ("Keep my plan"): the visitor's answers in their own words and the
payload the plan action adds for the widget (the real content; no server)."""

from __future__ import annotations

import asyncio

from actions.plan import FORM_SLOTS, ActionAssessmentPlan
from sciaticalm.content import library
from sciaticalm.keepsake import answers_in_words, plan_keepsake
from tests.conftest import user_event


def ask(slot: str, question: str, buttons: list[dict] | None = None) -> list[dict]:
    return [{"event": "slot", "name": "requested_slot", "value": slot},
            {"event": "bot", "text": question, "data": {"buttons": buttons or []}}]


SHOE_BUTTONS = [{"title": "Over a year old", "payload": '/inform{"shoe_age": "old"}'}]
EVENTS = [
    user_event("my shoes are from 2021", "inform"),
    {"event": "slot", "name": "shoe_age", "value": "old"},  # said before the form: no question
    *ask("pain_onset", "When does the pain come on?"),
    user_event("<b>during</b> my runs", "inform"),
    {"event": "slot", "name": "pain_onset", "value": "during"},
    *ask("foot_strike", "How do your feet land?", SHOE_BUTTONS),
    user_event("purple", "nlu_fallback"),  # unclear: asked again
    {"event": "slot", "name": "foot_strike", "value": None},
    *ask("foot_strike", "How do your feet land?", SHOE_BUTTONS),
    user_event('/inform{"shoe_age": "old"}', "inform"),
    {"event": "slot", "name": "foot_strike", "value": "heel"},
    {"event": "slot", "name": "requested_slot", "value": None},
]


def test_answers_are_the_visitors_words_per_question_asked() -> None:
    assert answers_in_words(EVENTS, FORM_SLOTS) == [
        {"question": "When does the pain come on?", "answer": "<b>during</b> my runs"},
        {"question": "How do your feet land?", "answer": "Over a year old"},  # button title
    ]


def test_a_retaken_question_keeps_the_latest_answer_in_its_new_place() -> None:
    again = [*EVENTS, *ask("pain_onset", "When does the pain come on?"),
             user_event("after", "inform"), {"event": "slot", "name": "pain_onset",
                                               "value": "after"}]
    assert [a["answer"] for a in answers_in_words(again, FORM_SLOTS)] == [
        "Over a year old", "after"]


def test_the_payload_has_the_plan_disclaimer_and_help_line_from_content() -> None:
    lib = library()
    keep = plan_keepsake(["**Plan** one", "Call {helpline}"], [], lib, "socketio")["sciaticalm"]
    assert keep["kind"] == "plan"
    assert keep["sections"][1] == "Call [02380 248725](tel:+442380248725)"
    assert keep["disclaimer"] == lib.disclaimer["full"]["text"]
    assert keep["helpline"] == {"display": lib.contact["helpline"]["display"],
                                "tel": lib.contact["helpline"]["tel"]}
    assert lib.contact["helpline"]["display"] in keep["contact"]


def test_the_plan_action_sends_the_keepsake_with_its_last_message(dispatcher, make_tracker,
                                                                    domain) -> None:
    slots = {"emergency_screen": "no", "urgent_screen": "no", "pain_onset": "during",
             "load_change": "yes", "shoe_age": "old", "foot_strike": "heel",
             "strength_work": "none", "disclaimer_shown": True}
    tracker = make_tracker("never", "inform", slots=slots, events=EVENTS, channel="socketio")
    asyncio.run(ActionAssessmentPlan().run(dispatcher, tracker, domain))
    *chat, last = dispatcher.messages
    assert all("custom" not in m or not m["custom"] for m in chat)
    keep = last["custom"]["sciaticalm"]
    assert last["text"].endswith(library().disclaimer["reminder"]["text"])
    assert keep["kind"] == "plan" and "Running form" in keep["sections"][0]
    assert keep["answers"][0]["answer"] == "<b>during</b> my runs"
