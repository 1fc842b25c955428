"""Pure rules: personal details in examples, the feedback contract, the Inbox reasons,
the intents offered (no database)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from staff_console import feedback, inbox, intents, privacy
from staff_console.intents import DEFAULT_DOMAIN


@pytest.mark.parametrize("text,kinds", [
    ("my name is Jane Doe", ["name"]),
    ("My name's Priya and my back hurts", ["name"]),
    ("I'm called Tom", ["name"]),
    ("thanks, Sarah", ["name"]),
    ("I saw Dr Patel last week", ["name"]),
    ("email me at jane.doe@example.co.uk", ["email"]),
    ("my NHS number is 943 476 5919", ["nhs_number", "phone"]),
    ("nhs no 9434765919", ["nhs_number", "phone"]),
    ("ring me on 07700 900123", ["phone"]),
    ("call +44 7700 900123 after 6", ["phone"]),
    ("my number is (020) 7946 0958", ["phone"]),
])
def test_personal_details_are_flagged(text, kinds):
    assert privacy.findings(text) == kinds


@pytest.mark.parametrize("text", [
    "my lower back hurts after running 10 km",
    "I went from 15 to 30 miles a week",
    "my trainers are from 2021 and have done 800 km",
    "thanks so much",
    "thank you for the help",
    "my name is not important, my back is",
    "this is really painful",
    "Is this normal after a half marathon?",
    "I run 5 times a week, 3 x 10k and 2 x 5k",
])
def test_ordinary_running_talk_is_not_flagged(text):
    assert privacy.findings(text) == []


def feedback_data(rating: str, answer: str, comment: str | None = None) -> dict:
    payload = {"feedback_rating": rating, "feedback_answer": answer}
    if comment is not None:
        payload["feedback_comment"] = comment
    return {"text": "/feedback" + json.dumps(payload),
            "parse_data": {"intent": {"name": "feedback", "confidence": 1.0},
                           "entities": [{"entity": k, "value": v} for k, v in payload.items()]}}


def test_feedback_is_parsed_and_attached_to_the_answer_it_quotes():
    data = feedback_data("down", "Answer one", "not helpful")
    assert feedback.is_feedback(data)
    fb = feedback.parse(10, 0.0, data)
    assert fb is not None and (fb.rating, fb.comment, fb.answer) == ("down", "not helpful",
                                                                     "Answer one")
    bots = [(3, "Answer one, in full"), (6, "Answer two"), (12, "Answer one later")]
    assert feedback.rated_bot_event(fb, bots) == 3  # the latest matching before it
    other = feedback.parse(10, 0.0, feedback_data("up", "no such answer"))
    assert other is not None and feedback.rated_bot_event(other, bots) == 6  # latest before
    assert feedback.rated_bot_event(other, [(12, "x")]) is None
    assert feedback.parse(1, 0.0, feedback_data("sideways", "x")) is None


def rows(*events: tuple[str, dict]) -> list[SimpleNamespace]:
    return [SimpleNamespace(id=i + 1, type_name=kind, timestamp=float(i), data=json.dumps(data))
            for i, (kind, data) in enumerate(events)]


def user(text: str, intent: str, conf: float = 0.9) -> tuple[str, dict]:
    return ("user", {"text": text, "parse_data": {"intent": {"name": intent,
                                                              "confidence": conf}}})


def bot(text: str) -> tuple[str, dict]:
    return ("bot", {"text": text})


def test_inbox_reasons_and_feedback_never_a_visitor_message():
    log = rows(
        user("hi", "greet", 0.99), bot("Hello"),
        user("blorp", "nlu_fallback", 0.2), bot("Sorry?"),
        user("shoes?", "ask_footwear", 0.45), bot("Shoes last 800 km."),
        ("user", feedback_data("down", "Shoes last", "meh")), ("rewind", {}),
        user("what is the weather", "out_of_scope"), bot("I can't help with that."),
        user("trouble peeing", "safety_check", 1.0), bot("Is it new?"),
        user("no, for years", "safety_clear", 1.0), bot("Good."),
        user("numb saddle", "red_flag", 1.0), ("slot", {"name": "triage_level",
                                                        "value": "emergency"}),
        bot("Call 999"), user("thanks", "thank", 0.99), bot("Welcome"),
        ("user", feedback_data("up", "Welcome")), ("rewind", {}),
    )
    msgs = inbox.messages("s", log, 0.5)
    assert [m.text for m in msgs] == ["hi", "blorp", "shoes?", "what is the weather",
                                      "trouble peeing", "no, for years", "numb saddle", "thanks"]
    reasons = {m.text: m.reasons for m in msgs}
    assert reasons["hi"] == [] and reasons["thanks"] == []
    assert reasons["blorp"] == ["low_confidence", "fallback"]
    assert reasons["shoes?"] == ["low_confidence", "thumbs_down"]
    assert reasons["what is the weather"] == ["out_of_scope"]
    assert reasons["trouble peeing"] == ["safety_question"]
    assert reasons["no, for years"] == ["safety_question"]
    assert reasons["numb saddle"] == ["escalation"]
    thanks = next(m for m in msgs if m.text == "thanks")
    assert [f.rating for f in thanks.feedback] == ["up"]
    flagged = inbox.needing_a_look("s", log, 0.5)
    assert [m.text for m in flagged][0] == "numb saddle"  # newest first
    assert all(not m.text.startswith("/feedback") for m in flagged)


def test_intents_offered_come_from_the_domain():
    names = intents.domain_intents(DEFAULT_DOMAIN)
    assert "ask_footwear" in names and "red_flag" in names
    offered = intents.trainable(names)
    assert "ask_footwear" in offered and "out_of_scope" in offered
    assert not set(offered) & {"red_flag", "safety_check", "safety_clear", "describe_situation",
                               "ask_followup", "ask_several", "nlu_fallback", "feedback"}
    assert offered == sorted(offered)


def test_feedback_intent_and_entities_are_never_offered(tmp_path):
    domain = tmp_path / "domain.yml"
    domain.write_text("intents:\n  - greet\n  - feedback\n  - red_flag: {use_entities: []}\n"
                      "entities:\n  - item\n  - feedback_rating\n  - feedback_answer\n",
                      encoding="utf-8")
    assert intents.domain_intents(domain) == ["greet", "feedback", "red_flag"]
    assert intents.trainable(intents.domain_intents(domain)) == ["greet"]
    assert intents.domain_entities(domain) == ["item"]


def test_an_unreadable_domain_is_a_clear_error(tmp_path):
    bad = tmp_path / "domain.yml"
    bad.write_text("intents: [unclosed", encoding="utf-8")
    with pytest.raises(intents.DomainError):
        intents.domain_intents(bad)
