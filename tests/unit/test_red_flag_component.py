"""RedFlagComponent on hand-made conversations (no server): escalation, the safety
question and its answers, and messages read with the previous one."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from server.nlu.red_flag_component import RedFlagComponent


@pytest.fixture(scope="module")
def component() -> RedFlagComponent:
    return RedFlagComponent()


def parse(component: RedFlagComponent, text: str,
          tracker: DialogueStateTracker | None = None) -> tuple[str | None, dict[str, str]]:
    message = Message(data={TEXT: text, INTENT: {"name": "affirm", "confidence": 0.9}})
    component.process([message], tracker)
    entities = {e["entity"]: e["value"] for e in message.get(ENTITIES) or []}
    return message.get(INTENT)["name"], entities


def asked(text: str, topic: str, original_intent: str = "ask_strengthening",
          loop: str | None = None) -> DialogueStateTracker:
    """A conversation whose last bot turn asked the safety question about `topic`."""
    parse_data = {"intent": {"name": "safety_check", "confidence": 1.0},
                  "intent_ranking": [{"name": "safety_check", "confidence": 1.0},
                                     {"name": original_intent, "confidence": 0.8}],
                  "entities": [{"entity": "safety_question", "value": topic}]}
    events = [ActionExecuted("action_listen"), UserUttered(text, parse_data=parse_data),
              SlotSet("safety_question", topic), ActionExecuted("utter_safety_question"),
              ActionExecuted("action_listen")]
    if loop:
        events.insert(0, ActiveLoop(loop))
    return DialogueStateTracker.from_events("t", events)


def test_warning_sign_escalates(component: RedFlagComponent) -> None:
    intent, entities = parse(component, "numbness in both leggs")
    assert intent == "red_flag" and entities["triage_level"] == "emergency"


def test_body_system_with_a_change_gets_the_safety_question(component: RedFlagComponent) -> None:
    intent, entities = parse(component, "having some issues down below since my long run")
    assert intent == "safety_check" and entities["safety_question"] == "continence"


def test_yes_escalates_at_the_question_tier(component: RedFlagComponent) -> None:
    tracker = asked("having some issues down below since my long run", "continence")
    intent, entities = parse(component, "yes", tracker)
    assert intent == "red_flag"
    assert entities == {"red_flag": "safety_question_continence", "triage_level": "emergency"}


def test_not_sure_escalates_at_urgent(component: RedFlagComponent) -> None:
    tracker = asked("my waterworks feel different", "continence")
    intent, entities = parse(component, "not sure", tracker)
    assert intent == "red_flag" and entities["triage_level"] == "urgent"


def test_no_returns_to_what_was_asked(component: RedFlagComponent) -> None:
    tracker = asked("my bum feels weird doing bridges, how do i do them?", "continence")
    assert parse(component, "no", tracker) == ("ask_strengthening", {})


def test_no_inside_the_assessment_clears_and_the_form_goes_on(
    component: RedFlagComponent,
) -> None:
    tracker = asked("my bum feels weird", "continence", loop="assessment_form")
    assert parse(component, "nope", tracker)[0] == "safety_clear"


def test_a_sign_in_the_answer_escalates_at_the_higher_tier(component: RedFlagComponent) -> None:
    tracker = asked("leg gave way on the stairs", "legs")
    intent, entities = parse(component, "yes and my right leg is numb", tracker)
    assert intent == "red_flag" and entities["triage_level"] == "emergency"


def test_the_same_question_is_not_asked_twice(component: RedFlagComponent) -> None:
    tracker = asked("having some issues down below", "continence")
    tracker.update(UserUttered("no", parse_data={"intent": {"name": "deny"}}))
    tracker.update(ActionExecuted("utter_safety_clear"))
    tracker.update(ActionExecuted("action_listen"))
    assert parse(component, "still having issues down below", tracker)[0] == "affirm"


def test_an_answer_to_where_is_read_with_the_previous_message(
    component: RedFlagComponent,
) -> None:
    events = [ActionExecuted("action_listen"),
              UserUttered("I've got a numb patch since my run",
                          parse_data={"intent": {"name": "describe_pain"}}),
              ActionExecuted("utter_describe_pain"), ActionExecuted("action_listen")]
    tracker = DialogueStateTracker.from_events("t", events)
    intent, entities = parse(component, "between my legs and round my bum", tracker)
    assert intent == "red_flag" and entities["triage_level"] == "emergency"
