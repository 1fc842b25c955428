"""The escalation sequence enforced by RedFlagPolicy."""

from __future__ import annotations

from sciaticalm.dialogue.escalation_steps import next_escalation_action, next_safety_question_action
from sciaticalm.triage.outcome import merge_outcome


def test_sequence_without_a_form() -> None:
    assert next_escalation_action("red_flag", [], None) == "utter_escalate"
    assert next_escalation_action("red_flag", ["utter_escalate"], None) == \
        "action_escalation_followup"
    assert next_escalation_action(
        "red_flag", ["utter_escalate", "action_escalation_followup"], None) == "action_listen"
    assert next_escalation_action(
        "red_flag", ["utter_escalate", "action_escalation_followup", "action_listen"], None
    ) is None


def test_sequence_stops_an_active_form() -> None:
    assert next_escalation_action("red_flag", [], "assessment_form") == "utter_escalate"
    assert next_escalation_action("red_flag", ["utter_escalate"], "assessment_form") == \
        "action_deactivate_loop"
    assert next_escalation_action(
        "red_flag", ["utter_escalate", "action_deactivate_loop"], None
    ) == "action_escalation_followup"


def test_other_intents_are_left_alone() -> None:
    assert next_escalation_action("ask_footwear", [], None) is None
    assert next_escalation_action(None, [], None) is None


def test_outcome_keeps_highest_level_and_all_signs() -> None:
    assert merge_outcome("emergency", ["saddle_numbness"], "urgent", ["fever"]) == (
        "emergency", ["saddle_numbness", "fever"])
    assert merge_outcome(None, [], "urgent", ["fever", "fever"]) == ("urgent", ["fever"])
    assert merge_outcome(None, [], None, []) == (None, [])


def test_escalation_asks_the_safety_question_right_after_the_escalation_text() -> None:
    assert next_escalation_action("red_flag", ["utter_escalate"], None, ask_question=True) == \
        "utter_safety_question"
    assert next_escalation_action(
        "red_flag", ["utter_escalate", "utter_safety_question"], "assessment_form",
        ask_question=True) == "action_deactivate_loop"


def test_safety_question_sequence() -> None:
    assert next_safety_question_action("safety_check", [], None) == "utter_safety_question"
    assert next_safety_question_action("safety_check", ["utter_safety_question"],
                                       "assessment_form") == "action_listen"
    assert next_safety_question_action(
        "safety_check", ["utter_safety_question", "action_listen"], None) is None


def test_no_to_the_safety_question_inside_the_form_goes_back_to_the_form() -> None:
    assert next_safety_question_action("safety_clear", [], "assessment_form") == \
        "utter_safety_clear"
    assert next_safety_question_action("safety_clear", ["utter_safety_clear"],
                                       "assessment_form") == "assessment_form"
    assert next_safety_question_action(
        "safety_clear", ["utter_safety_clear", "assessment_form"], "assessment_form") is None
    assert next_safety_question_action("safety_clear", ["utter_safety_clear"], None) == \
        "action_listen"
    assert next_safety_question_action("ask_footwear", [], None) is None
