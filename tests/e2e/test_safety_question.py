"""The safety question and the assessment's warning-sign screen, end to end: what the
visitor sees, and the slots the staff console reads from the log."""

from __future__ import annotations

import uuid

import pytest

from testkit.servers import Stack
from tests.e2e.conftest import slot_values

EMERGENCY = "**Please call 999 or go to A&E now.**"
URGENT = "**Please call our help line on 02380 248725 today."
QUESTION = "Just to check before I go on:"


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def new_sender() -> str:
    return f"safety-{uuid.uuid4()}"


def test_yes_escalates_and_is_recorded(stack: Stack) -> None:
    sender = new_sender()
    replies = stack.say(sender, "my waterworks feel different since my back went")
    assert texts(replies).startswith(QUESTION) and "pee or poo" in texts(replies)
    assert EMERGENCY not in texts(replies)
    replies = stack.say(sender, "Yes")
    assert texts(replies).startswith(EMERGENCY)
    assert slot_values(stack.db_path, sender, "safety_question") == ["continence"]
    assert slot_values(stack.db_path, sender, "triage_level")[-1] == "emergency"
    assert "safety_question_continence" in slot_values(stack.db_path, sender, "red_flags")[-1]


def test_no_returns_to_what_was_asked(stack: Stack) -> None:
    sender = new_sender()
    replies = stack.say(sender, "having some issues down below since I started doing bridges, "
                                "how do I do a bridge?")
    assert texts(replies).startswith(QUESTION)
    replies = stack.say(sender, "no")
    assert "bridge" in texts(replies).lower()
    assert EMERGENCY not in texts(replies) and URGENT not in texts(replies)
    # asked once: the same body system again does not ask again
    replies = stack.say(sender, "still having issues down below when I do bridges")
    assert QUESTION not in texts(replies)


def test_no_inside_the_assessment_carries_on_with_the_question_asked(stack: Stack) -> None:
    sender = new_sender()
    stack.say(sender, "can you assess me")
    stack.say(sender, '/inform{"emergency_screen": "no"}')
    stack.say(sender, '/inform{"urgent_screen": "no"}')
    replies = stack.say(sender, "things feel a bit different down below since my long run")
    assert texts(replies).startswith(QUESTION) and "pee or poo" in texts(replies)
    replies = stack.say(sender, "no")
    assert "reassuring" in texts(replies)
    assert "When does the pain usually come on?" in texts(replies)
    replies = stack.say(sender, "just after")
    assert "increased your distance" in texts(replies)


def test_urgent_sign_with_an_emergency_system_escalates_then_asks(stack: Stack) -> None:
    sender = new_sender()
    replies = stack.say(sender, "leg gave way twice on the stairs today")
    assert texts(replies).startswith(URGENT)
    assert QUESTION in texts(replies)
    assert texts(stack.say(sender, "yes it's getting worse")).startswith(EMERGENCY)


@pytest.mark.parametrize(("answer", "level", "text"), [
    ('/inform{"emergency_screen": "yes"}', "emergency", EMERGENCY),
    ("Yes, at least one", "emergency", EMERGENCY),
])
def test_a_positive_emergency_screen_escalates(stack: Stack, answer: str, level: str,
                                               text: str) -> None:
    sender = new_sender()
    stack.say(sender, "find my root cause")
    replies = stack.say(sender, answer)
    assert texts(replies).startswith(text), replies
    assert "good news" not in texts(replies)
    assert slot_values(stack.db_path, sender, "triage_level")[-1] == level


@pytest.mark.parametrize("answer", ['/inform{"urgent_screen": "yes"}', "yes"])
def test_a_positive_urgent_screen_escalates_at_urgent(stack: Stack, answer: str) -> None:
    sender = new_sender()
    stack.say(sender, "find my root cause")
    stack.say(sender, "no")
    replies = stack.say(sender, answer)
    assert texts(replies).startswith(URGENT), replies
    assert "good news" not in texts(replies)
    assert slot_values(stack.db_path, sender, "triage_level")[-1] == "urgent"
