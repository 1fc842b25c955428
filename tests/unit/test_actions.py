"""Every custom action, with CollectingDispatcher and Tracker.from_dict fixtures."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk.events import SlotSet

from actions.advice import (
    ActionCausesAdvice,
    ActionFootwearAdvice,
    ActionProfessionalHelp,
    ActionRunningFormAdvice,
    ActionStrengtheningAdvice,
    ActionStretchingAdvice,
    ActionTrainingLoadAdvice,
)
from actions.assessment import (
    ActionRestartAssessment,
    ActionStopAssessment,
    ValidateAssessmentForm,
)
from actions.fallback import ActionDefaultAskAffirmation
from actions.info import ActionContactHuman, ActionOutOfScope, ActionShowDisclaimer
from actions.plan import ActionAssessmentPlan
from actions.triage import ActionEscalationFollowup
from sciaticalm.content import library
from tests.conftest import texts, user_event


def run(action: Any, dispatcher: Any, tracker: Any, domain: dict) -> list[dict]:
    return asyncio.run(action.run(dispatcher, tracker, domain))


DISCLAIMER = library().disclaimer["full"]["text"][:40]


@pytest.mark.parametrize(
    ("action", "intent", "text", "expected"),
    [
        (ActionCausesAdvice(), "ask_causes", "why does my back hurt", "Core"),
        (ActionRunningFormAdvice(), "ask_running_form", "is heel striking bad", "Foot"),
        (ActionStrengtheningAdvice(), "ask_strengthening", "how do I do a plnk", "Plank"),
        (ActionStretchingAdvice(), "ask_stretching", "hamstring stretch please", "Hamstring"),
        (ActionFootwearAdvice(), "ask_footwear", "are my trainers the problem", "fitting"),
        (ActionTrainingLoadAdvice(), "ask_training_load", "how many rest days", "Rest"),
        (ActionProfessionalHelp(), "ask_when_to_seek_help", "when should I see a doctor",
         "02380 248725"),
    ],
)
def test_advice_actions_answer_and_show_disclaimer_first(
    action: Any, intent: str, text: str, expected: str, dispatcher, make_tracker, domain
) -> None:
    events = run(action, dispatcher, make_tracker(text, intent), domain)
    said = texts(dispatcher)
    assert said[0].startswith(DISCLAIMER)
    assert expected.lower() in "\n".join(said[1:]).lower()
    assert SlotSet("disclaimer_shown", True) in events


def test_disclaimer_is_not_repeated(dispatcher, make_tracker, domain) -> None:
    tracker = make_tracker("footwear", "ask_footwear", slots={"disclaimer_shown": True})
    events = run(ActionFootwearAdvice(), dispatcher, tracker, domain)
    assert not any(t.startswith(DISCLAIMER) for t in texts(dispatcher))
    assert not any(e.get("name") == "disclaimer_shown" for e in events)


def test_specific_exercise_has_steps_dose_and_mistakes(dispatcher, make_tracker, domain) -> None:
    tracker = make_tracker("how do I do the bird dog", "ask_strengthening",
                           slots={"disclaimer_shown": True})
    run(ActionStrengtheningAdvice(), dispatcher, tracker, domain)
    text = texts(dispatcher)[0]
    item = library().item("strengthening/bird_dog")
    assert item.title in text and item.dose in text
    assert all(step in text for step in item.how_to)
    assert all(m in text for m in item.mistakes)


def test_a_precise_question_gets_a_precise_answer(dispatcher, make_tracker, domain) -> None:
    tracker = make_tracker("how many reps of bird dog?", "ask_strengthening",
                           slots={"disclaimer_shown": True})
    events = run(ActionStrengtheningAdvice(), dispatcher, tracker, domain)
    item = library().item("strengthening/bird_dog")
    (message,) = dispatcher.messages
    assert item.dose in message["text"] and len(message["text"]) < 300
    assert item.how_to[0] not in message["text"]
    assert {b["title"] for b in message["buttons"]} >= {"How to do it", "Common mistakes"}
    assert {"event": "slot", "name": "last_item", "value": "strengthening/bird_dog",
            "timestamp": None} in events


@pytest.mark.parametrize(("text", "expected"), [
    ("how long should I hold it?", "dose"), ("what mistakes should I avoid?", "mistakes"),
    ("why?", "helps")])
def test_followup_answers_about_the_last_item(text, expected, dispatcher, make_tracker,
                                              domain) -> None:
    from actions.followup import ActionFollowupAnswer
    from sciaticalm.aspects import render_aspect

    tracker = make_tracker(text, "ask_followup", slots={"disclaimer_shown": True,
                                                        "last_item": "strengthening/plank"})
    run(ActionFollowupAnswer(), dispatcher, tracker, domain)
    item = library().item("strengthening/plank")
    assert dispatcher.messages[0]["text"] == render_aspect(item, expected)


def test_item_button_selects_the_item(dispatcher, make_tracker, domain) -> None:
    tracker = make_tracker('/ask_stretching{"item": "cobra_pose"}', "ask_stretching",
                           entities=[{"entity": "item", "value": "cobra_pose"}],
                           slots={"disclaimer_shown": True})
    run(ActionStretchingAdvice(), dispatcher, tracker, domain)
    assert library().item("stretching/cobra_pose").title in texts(dispatcher)[0]


def test_overview_offers_item_buttons(dispatcher, make_tracker, domain) -> None:
    tracker = make_tracker("give me some exercises", "ask_strengthening",
                           slots={"disclaimer_shown": True})
    run(ActionStrengtheningAdvice(), dispatcher, tracker, domain)
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == [
        '/ask_strengthening{"item": "plank"}', '/ask_strengthening{"item": "bridge"}',
        '/ask_strengthening{"item": "bird_dog"}']


def test_exercises_after_emergency_remind_to_get_help_first(
    dispatcher, make_tracker, domain
) -> None:
    tracker = make_tracker("show me some exercises", "ask_strengthening",
                           slots={"triage_level": "emergency", "disclaimer_shown": True})
    run(ActionStrengtheningAdvice(), dispatcher, tracker, domain)
    said = "\n".join(texts(dispatcher))
    assert said == library().escalation["after_emergency_advice_request"]["text"].replace(
        "{helpline}", "[02380 248725](tel:+442380248725)").replace(
        "{emergency}", "[999](tel:999)")
    assert "plank" not in said.lower()


def test_disclaimer_on_request(dispatcher, make_tracker, domain) -> None:
    events = run(ActionShowDisclaimer(), dispatcher, make_tracker("are you a doctor",
                                                                 "ask_disclaimer"), domain)
    assert any(t.startswith(DISCLAIMER) for t in texts(dispatcher))
    assert SlotSet("disclaimer_shown", True) in events


@pytest.mark.parametrize(("channel", "expected"), [
    ("socketio", "(tel:+442380248725)"), ("telegram", "02380 248725")])
def test_contact_human_gives_the_help_line(channel, expected, dispatcher, make_tracker,
                                           domain) -> None:
    tracker = make_tracker("talk to a person", "ask_human", channel=channel)
    run(ActionContactHuman(), dispatcher, tracker, domain)
    said = texts(dispatcher)[0]
    assert expected in said
    if channel == "telegram":
        assert "tel:" not in said


def test_out_of_scope_states_scope_with_topic_buttons(dispatcher, make_tracker, domain) -> None:
    run(ActionOutOfScope(), dispatcher, make_tracker("order pizza", "out_of_scope"), domain)
    assert dispatcher.messages[0]["buttons"]
    assert "back" in texts(dispatcher)[0].lower()


def test_fallback_offers_likeliest_topics(dispatcher, make_tracker, domain) -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 0.4},
               {"name": "ask_footwear", "confidence": 0.3},
               {"name": "greet", "confidence": 0.1},
               {"name": "ask_stretching", "confidence": 0.1}]
    tracker = make_tracker("shoos stretchy", "nlu_fallback", ranking=ranking)
    run(ActionDefaultAskAffirmation(), dispatcher, tracker, domain)
    message = dispatcher.messages[0]
    payloads = [b["payload"] for b in message["buttons"]]
    assert message["response"] == "utter_did_you_mean"
    assert payloads[:2] == ["/ask_footwear", "/ask_stretching"]
    assert payloads[-1] == "/out_of_scope" and len(payloads) == 4


def test_a_second_miss_in_a_row_offers_the_assessment_or_a_person(
    dispatcher, make_tracker, domain
) -> None:
    missed = [user_event("shoos stretchy", "nlu_fallback"),
              {"event": "action", "name": "action_default_ask_affirmation"},
              {"event": "action", "name": "action_listen"}]
    tracker = make_tracker("blorp the thing", "nlu_fallback", events=missed)
    run(ActionDefaultAskAffirmation(), dispatcher, tracker, domain)
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert payloads == ["/start_assessment", "/ask_human"]
    understood = [user_event("what stretches help", "ask_stretching"),
                  {"event": "action", "name": "action_stretching_advice"},
                  {"event": "action", "name": "action_listen"}]
    dispatcher.messages.clear()
    run(ActionDefaultAskAffirmation(), dispatcher,
        make_tracker("blorp the thing", "nlu_fallback", events=understood), domain)
    assert dispatcher.messages[0]["response"] == "utter_did_you_mean"


def test_escalation_followup_keeps_highest_level_and_all_signs(
    dispatcher, make_tracker, domain
) -> None:
    earlier = [
        user_event("I can't feel my bum", "red_flag"),
        {"event": "slot", "name": "triage_level", "value": "emergency"},
        {"event": "slot", "name": "red_flags", "value": ["saddle_numbness"]},
    ]
    tracker = make_tracker("and I've got a fever", "red_flag", events=earlier,
                           slots={"triage_level": "urgent", "red_flags": ["fever"]})
    events = run(ActionEscalationFollowup(), dispatcher, tracker, domain)
    assert SlotSet("triage_level", "emergency") in events
    assert SlotSet("red_flags", ["saddle_numbness", "fever"]) in events
    assert dispatcher.messages == []


FULL = {"emergency_screen": "no", "urgent_screen": "no", "pain_onset": "during",
        "load_change": "yes", "shoe_age": "old", "foot_strike": "heel",
        "strength_work": "none"}


def test_plan_action_sends_plan_and_reminder(dispatcher, make_tracker, domain) -> None:
    tracker = make_tracker("never", "inform", slots={**FULL, "disclaimer_shown": True})
    events = run(ActionAssessmentPlan(), dispatcher, tracker, domain)
    said = texts(dispatcher)
    assert "Running form" in said[0] and "Core strength" in said[0]
    assert len(said) <= 4  # chat-sized: the detail is one question away
    assert said[-1].endswith(library().disclaimer["reminder"]["text"])
    assert SlotSet("assessment_complete", True) in events
    assert SlotSet("pain_onset", None) in events  # answers cleared for a retake


def test_plan_action_escalates_after_positive_screen(dispatcher, make_tracker, domain) -> None:
    tracker = make_tracker("yes", "affirm", slots={"emergency_screen": "yes",
                                                   "triage_level": "emergency"})
    run(ActionAssessmentPlan(), dispatcher, tracker, domain)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_escalate"]


def validate(slot: str, value: Any, tracker: Any, dispatcher: Any, domain: dict) -> dict:
    action = ValidateAssessmentForm()
    return asyncio.run(getattr(action, f"validate_{slot}")(value, dispatcher, tracker, domain))


def test_form_accepts_typed_answers(dispatcher, make_tracker, domain) -> None:
    tracker = make_tracker("about 2 years old", "inform", active_loop="assessment_form")
    assert validate("shoe_age", "about 2 years old", tracker, dispatcher, domain) == {
        "shoe_age": "old"}
    assert dispatcher.messages == []


def test_form_reasks_with_hint_on_unclear_answer(dispatcher, make_tracker, domain) -> None:
    tracker = make_tracker("purple", "inform", confidence=0.5, active_loop="assessment_form")
    assert validate("pain_onset", "purple", tracker, dispatcher, domain) == {"pain_onset": None}
    assert dispatcher.messages[0]["response"] == "utter_hint_pain_onset"


def test_form_answers_side_question_then_returns(dispatcher, make_tracker, domain) -> None:
    tracker = make_tracker("how do I do a plank?", "ask_strengthening",
                           active_loop="assessment_form")
    assert validate("shoe_age", "how do I do a plank?", tracker, dispatcher, domain) == {
        "shoe_age": None, "disclaimer_shown": True}
    # the first advice of the conversation carries the disclaimer, inside the form too
    assert dispatcher.messages[0]["text"] == library().disclaimer["full"]["text"]
    assert "Plank" in dispatcher.messages[1]["text"]
    assert dispatcher.messages[-1]["response"] == "utter_back_to_assessment"


def test_positive_emergency_screen_sets_triage_and_ends_form(
    dispatcher, make_tracker, domain
) -> None:
    tracker = make_tracker("yes", "affirm", active_loop="assessment_form")
    result = validate("emergency_screen", "yes", tracker, dispatcher, domain)
    assert result == {"emergency_screen": "yes", "triage_level": "emergency",
                      "red_flags": ["screen_positive"]}
    tracker.slots.update(result)
    action = ValidateAssessmentForm()
    assert asyncio.run(action.required_slots(["emergency_screen", "pain_onset"], dispatcher,
                                             tracker, domain)) == []


def test_stopping_forgets_the_screen_but_keeps_the_other_answers(
    dispatcher, make_tracker, domain
) -> None:
    tracker = make_tracker("stop", "stop_assessment",
                           slots={"emergency_screen": "no", "urgent_screen": "no",
                                  "pain_onset": "after", "shoe_age": "old"})
    events = run(ActionStopAssessment(), dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_assessment_stopped"
    cleared = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert cleared == {"emergency_screen": None, "urgent_screen": None}


def test_the_other_ones_after_an_item_are_the_rest_of_its_topic(
    dispatcher, make_tracker, domain
) -> None:
    from actions.followup import ActionFollowupAnswer

    tracker = make_tracker("and the other ones?", "ask_followup",
                           slots={"last_item": "stretching/hamstring_stretch",
                                  "disclaimer_shown": True})
    run(ActionFollowupAnswer(), dispatcher, tracker, domain)
    text = dispatcher.messages[-1]["text"]
    assert "Hip flexor" in text and "Cobra" in text and "Hamstring" not in text
    assert len(text) < 700


def test_starting_over_forgets_every_answer_and_restarts_the_form(
    dispatcher, make_tracker, domain
) -> None:
    tracker = make_tracker("start over", "start_assessment", active_loop="assessment_form",
                           slots={"emergency_screen": "no", "urgent_screen": "no",
                                  "pain_onset": "after"})
    events = run(ActionRestartAssessment(), dispatcher, tracker, domain)
    assert dispatcher.messages[0]["response"] == "utter_assessment_intro"
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)
    cleared = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert {"emergency_screen", "urgent_screen", "pain_onset", "requested_slot"} <= cleared
