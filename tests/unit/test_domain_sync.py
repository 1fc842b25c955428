"""domain.yml's escalation responses match content/escalation.yml.

They are duplicated on purpose: the domain copy reaches the visitor even when
the action server is down.
"""

from __future__ import annotations

from sciaticalm.content import library
from sciaticalm.render import escalation_text


def _variations(domain: dict) -> list[dict]:
    return domain["responses"]["utter_escalate"]


def test_escalation_responses_match_content(domain: dict) -> None:
    by_level: dict[str | None, list[str]] = {}
    for variation in _variations(domain):
        conditions = variation.get("condition") or []
        level = conditions[0]["value"] if conditions else None
        by_level.setdefault(level, []).append(variation["text"])
        assert variation["custom"]["sciaticalm"]["kind"] == "escalation"
    lib = library()
    assert by_level["emergency"] == [escalation_text("emergency", lib)]
    assert by_level["urgent"] == [escalation_text("urgent", lib)]
    # with no level recorded the safe default is the emergency text
    assert by_level[None] == [escalation_text("emergency", lib)]


def test_escalation_puts_the_action_first_and_carries_help_line_and_disclaimer(
    domain: dict
) -> None:
    lib = library()
    for variation in _variations(domain):
        text = variation["text"]
        assert text.startswith("**Please call")
        assert "(tel:+442380248725)" in text
        assert lib.disclaimer["reminder"]["text"] in text
        calls = variation["custom"]["sciaticalm"]["calls"]
        assert {"label": "Call 02380 248725", "tel": "+442380248725"} in calls
    emergency = _variations(domain)[0]
    assert emergency["text"].startswith("**Please call 999 or go to A&E now.**")
    assert {"label": "Call 999", "tel": "999"} in emergency["custom"]["sciaticalm"]["calls"]


def test_every_domain_action_is_implemented(domain: dict) -> None:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(domain["actions"]) <= set(executor.actions)


def test_safety_question_responses_match_content(domain: dict) -> None:
    lib = library()
    questions = lib.escalation["safety_questions"]
    buttons = lib.escalation["safety_question_buttons"]
    by_topic: dict[str | None, str] = {}
    for variation in domain["responses"]["utter_safety_question"]:
        conditions = variation.get("condition") or []
        topic = conditions[0]["value"] if conditions else None
        by_topic[topic] = variation["text"]
        assert variation["custom"]["sciaticalm"]["kind"] == "safety_question"
        # Plain-text payloads, so that a tapped answer is read like a typed one.
        assert variation["buttons"] == [{"title": buttons["yes"], "payload": "yes"},
                                        {"title": buttons["no"], "payload": "no"}]
    assert {t: by_topic[t] for t in questions} == {t: q["text"] for t, q in questions.items()}
    # with no topic recorded the safe default is the cauda equina question
    assert by_topic[None] == questions["continence"]["text"]
    assert domain["responses"]["utter_safety_clear"][0]["text"] == \
        lib.escalation["safety_question_clear"]["text"]
    assert set(domain["slots"]["safety_question"]["values"]) == set(questions)
