"""Runners' statements about themselves, read into the assessment's answers (pure logic)."""

from __future__ import annotations

import pytest

from sciaticalm.content import library
from sciaticalm.plan import Answers, statement_messages
from sciaticalm.situation import read_situation
from server.nlu.situation_component import domain_word_count


@pytest.mark.parametrize(("text", "answers"), [
    ("I run 30 miles a week, went up from 15 last month, my back aches after long runs",
     {"load_change": "yes", "pain_onset": "after"}),
    ("my shoes are 2 years old and my back hurts, is that why?", {"shoe_age": "old"}),
    ("I just doubled my weekly distance and my back hurts", {"load_change": "yes"}),
    ("my trainers have done about 1,000 miles", {"shoe_age": "old"}),
    ("a mate filmed me running and i land really hard on my heels", {"foot_strike": "heel"}),
    ("honestly i never do any core work, i just run", {"strength_work": "none"}),
    ("upped to 40k a week from about 25 and my back's grumbling", {"load_change": "yes"}),
    ("been out running every single day since i started", {"load_change": "yes"}),
    ("my trainers are from 2021, still going strong", {"shoe_age": "old"}),
])
def test_statements_fill_the_assessment_answers(text: str, answers: dict[str, str]) -> None:
    assert read_situation(text).answers == answers


def test_questions_say_nothing_about_the_runner() -> None:
    for text in ("how do i do a plank?", "which shoes help?", "what stretches help?",
                 "tell me about planks"):
        assert not read_situation(text).found, text


def test_conditions_posture_and_the_size_of_a_jump() -> None:
    situation = read_situation("I have a herniated disc, is it safe to keep running?")
    assert situation.condition == "herniated disc"
    situation = read_situation("went from 15 to 30 miles a week and i slouch when im tired")
    assert situation.load_detail == "from 15 to 30 miles" and situation.extras == ("posture",)
    assert read_situation("i sit at a desk all day and never stretch").extras == ("stretching",)
    assert read_situation("i've got really flat feet").extras == ("orthotics",)
    assert read_situation("my hammies are so tight i can barely reach my knees").extras == (
        "stretching",)
    assert read_situation("by the end my shoulders are up by my ears").extras == ("posture",)
    assert read_situation("i run in my old converse").extras == ("support",)
    situation = read_situation("I've had back pain on and off for years, way before running")
    assert situation.condition == "long-standing back problem" and not situation.answers
    situation = read_situation("switched to minimalist barefoot shoes last month")
    assert situation.extras == ("support",) and "shoe_age" not in situation.answers


def test_the_reply_names_what_was_said_and_gives_its_advice_first() -> None:
    lib = library()
    situation = read_situation("went from 15 to 30 miles a week and my trainers are knackered")
    messages = statement_messages(Answers(**situation.answers), lib,
                                  load_detail=situation.load_detail)
    text = "\n".join(messages)
    assert "going from 15 to 30 miles is a big step up" in text
    assert text.index("Ease your training load") < text.index("Check your shoes")
    assert lib.item("footwear/worn_out_shoes").title in text
    assert len(messages) <= 4 and sum(map(len, messages)) <= 1000


def test_a_condition_is_sent_to_a_professional_first() -> None:
    messages = statement_messages(Answers(), library(), condition="herniated disc")
    assert messages[0].startswith("With a herniated disc, please get your back checked")
    assert "physiotherapist" in messages[0]


def test_domain_words_are_counted_once_each() -> None:
    assert domain_word_count("my back back back") == 1
    assert domain_word_count("what's the best pizza in town") == 0
    assert domain_word_count("long story but my back is sore after my marathon") >= 3


def _parsed(text: str, intent: str, tracker) -> tuple[str, dict[str, str]]:
    from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message

    from server.nlu.situation_component import SituationComponent

    message = Message(data={TEXT: text, INTENT: {"name": intent, "confidence": 0.7}})
    SituationComponent().process([message], tracker)
    return message.get(INTENT)["name"], {e["entity"]: e["value"]
                                          for e in message.get(ENTITIES) or []}


def test_the_component_reads_statements_in_a_conversation_only() -> None:
    from rasa.shared.core.events import ActionExecuted, ActiveLoop
    from rasa.shared.core.trackers import DialogueStateTracker

    talking = DialogueStateTracker.from_events("t", [ActionExecuted("action_listen")])
    text = "went from 15 to 30 miles a week and my trainers are knackered"
    assert _parsed(text, "out_of_scope", talking) == (
        "describe_situation", {"load_change": "yes", "shoe_age": "old"})
    # inside the assessment the answers belong to the form; no conversation, no reading
    in_form = DialogueStateTracker.from_events("t", [ActiveLoop("assessment_form")])
    assert _parsed(text, "inform", in_form)[0] == "inform"
    assert _parsed(text, "out_of_scope", DialogueStateTracker.from_events("t", []))[0] == \
        "out_of_scope"
    # the assistant's own vocabulary is never refused: at worst the two-stage fallback
    assert _parsed("during my runs", "out_of_scope", talking)[0] == "nlu_fallback"
    assert _parsed("best pizza in town", "out_of_scope", talking)[0] == "out_of_scope"


@pytest.mark.parametrize(("text", "assess"), [
    ("whats causing my back pain, can you check", True),
    ("why does it hurt after running? help me pin it down", True),
    ("can u work out what's behind it", True),
    ("which one is most likely for me?", True),
    ("what causes back pain after running?", False),
    ("which stretches help?", False),
])
def test_a_request_to_be_assessed_is_told_from_a_question_about_causes(
        text: str, assess: bool) -> None:
    from sciaticalm.situation import asks_to_be_assessed

    assert asks_to_be_assessed(text) is assess
