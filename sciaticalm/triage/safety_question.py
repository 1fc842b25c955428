"""The visitor's answer to the safety question, and the escalation it leads to (pure logic).

"Yes" escalates at the question's tier (patterns.yml `safety_questions`); "not sure"
escalates at urgent, as the assessment's own screen does; "no" clears it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sciaticalm.answers import parse_screen

QUESTION_RESPONSE = "utter_safety_question"
UNSURE_LEVEL = "urgent"


@dataclass(frozen=True)
class SafetyAnswer:
    """What a reply to the safety question means: yes, no, not sure, or none of them."""

    kind: str | None
    level: str | None = None
    sign: str | None = None


NO = SafetyAnswer("no")
UNCLEAR = SafetyAnswer(None)


def answer_to_question(topic: str | None, text: str | None, tier: str | None = None
                       ) -> SafetyAnswer:
    """Read a reply to the safety question about `topic` (asked at `tier`)."""
    if not topic:
        return UNCLEAR
    if tier is None:
        from sciaticalm.triage import default_detector

        tier = default_detector().questions[topic]["tier"]
    kind = parse_screen(text)
    sign = f"safety_question_{topic}"
    if kind == "yes":
        return SafetyAnswer("yes", tier, sign)
    if kind == "unsure":
        return SafetyAnswer("unsure", UNSURE_LEVEL, sign)
    if kind == "no":
        return NO
    return UNCLEAR
