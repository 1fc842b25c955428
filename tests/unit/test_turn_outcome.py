"""A turn's events mapped to what the operators' metrics count (sciaticalm/turn_outcome.py)."""

from __future__ import annotations

from sciaticalm.turn_outcome import TurnOutcome, turn_outcome


def user(intent: str) -> dict:
    return {"event": "user", "text": "visitor words", "parse_data": {"intent": {"name": intent}}}


def action(name: str) -> dict:
    return {"event": "action", "name": name}


def slot(name: str, value: object) -> dict:
    return {"event": "slot", "name": name, "value": value}


def bot(utter: str | None = None, **sciaticalm: object) -> dict:
    data = {"custom": {"sciaticalm": sciaticalm}} if sciaticalm else {}
    return {"event": "bot", "text": "reply", "data": data,
            "metadata": {"utter_action": utter} if utter else {}}


def test_an_ordinary_turn_counts_nothing() -> None:
    events = [user("ask_footwear"), action("action_footwear_advice"), bot(),
              action("action_listen")]
    assert turn_outcome(events) == TurnOutcome()


def test_an_emergency_escalation_reads_the_level_the_response_carries() -> None:
    events = [user("red_flag"), slot("triage_level", "emergency"),
              action("utter_escalate"),
              bot("utter_escalate", kind="escalation", level="emergency"),
              action("action_escalation_followup"), slot("triage_level", "emergency"),
              action("action_listen")]
    assert turn_outcome(events).escalation == "emergency"


def test_an_urgent_escalation_after_an_earlier_emergency_is_urgent() -> None:
    # The visitor is told the urgent text; the follow-up keeps the emergency level.
    events = [user("red_flag"), slot("triage_level", "urgent"),
              bot("utter_escalate", kind="escalation", level="urgent"),
              slot("triage_level", "emergency")]
    assert turn_outcome(events, level_before="emergency").escalation == "urgent"


def test_the_response_alone_counts_with_the_slots_level() -> None:
    assert turn_outcome([user("red_flag"), bot("utter_escalate")],
                        level_before="urgent").escalation == "urgent"
    # no level anywhere: the response's default is the emergency text
    assert turn_outcome([bot("utter_escalate")]).escalation == "emergency"


def test_a_new_tier_in_the_slot_counts_without_the_response() -> None:
    assert turn_outcome([user("safety_check"), slot("triage_level", "urgent")]
                        ).escalation == "urgent"


def test_a_level_kept_from_before_is_not_counted_again() -> None:
    events = [user("greet"), slot("triage_level", "emergency"), bot()]
    assert turn_outcome(events, level_before="emergency").escalation is None
    assert turn_outcome([slot("triage_level", "none")]).escalation is None


def test_a_safety_question_and_its_topic() -> None:
    events = [user("ask_strengthening"), slot("safety_question", "legs"),
              bot("utter_safety_question", kind="safety_question", topic="legs")]
    assert turn_outcome(events).safety_question == "legs"
    # a topic outside the fixed set never becomes a label
    odd = [bot("utter_safety_question", kind="safety_question", topic="<script>")]
    assert turn_outcome(odd).safety_question == "other"
    assert turn_outcome([slot("safety_question", "chest"), bot("utter_safety_question")]
                        ).safety_question == "chest"


def test_fallback_kinds() -> None:
    two_stage = [user("nlu_fallback"), action("action_two_stage_fallback"), bot()]
    assert turn_outcome(two_stage).fallbacks == {"nlu_fallback", "two_stage_fallback"}
    assert turn_outcome([user("out_of_scope"), action("action_out_of_scope")]
                        ).fallbacks == {"out_of_scope"}
    assert turn_outcome([user("greet"), action("action_default_fallback")]
                        ).fallbacks == {"core_fallback"}


def test_the_action_server_apology() -> None:
    assert turn_outcome([user("ask_causes"), bot("utter_actions_unavailable")]
                        ).actions_unavailable
    assert not turn_outcome([user("ask_causes"), bot()]).actions_unavailable


def test_malformed_events_do_not_raise() -> None:
    events = [{"event": "user"}, {"event": "bot", "data": None, "metadata": None},
              {"event": "bot", "data": {"custom": "x"}}, {"event": "slot"}, {}]
    assert turn_outcome(events) == TurnOutcome()
