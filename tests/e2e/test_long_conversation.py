"""A long conversation keeps its safety state although each turn reads only a window
of it (server/runtime/bounded_store.py), and a new session carries it
(server/runtime/session_carry.py). Checked by what the visitor sees and the log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from sciaticalm.content import library
from testkit.servers import Stack, rasa_stack
from tests.e2e.conftest import slot_values

DISCLAIMER = library().disclaimer["full"]["text"]
GET_HELP_FIRST = "Please get help first"
ORDINARY = ["thanks", "hello", "what can you do?", "ok", "what is this service?",
            "thank you", "cool", "who are you?"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Its own servers, without the per-sender rate limit (300 turns back to back)."""
    with rasa_stack(tmp_path_factory.mktemp("long"),
                    env={"SCIATICALM_RATE_LIMIT": "off"}) as s:
        yield s


def joined(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def chat(stack: Stack, sender: str, turns: int) -> None:
    for i in range(turns):
        assert stack.say(sender, ORDINARY[i % len(ORDINARY)], timeout=60), i


def test_an_emergency_is_remembered_300_turns_later(stack: Stack) -> None:
    sender = f"long-{uuid.uuid4()}"
    escalation = joined(stack.say(sender, "I've wet myself and both legs are numb"))
    assert escalation.startswith("**Please call 999 or go to A&E now.**")
    chat(stack, sender, 300)
    advice = joined(stack.say(sender, "which stretches help my back?"))
    assert GET_HELP_FIRST in advice and "knees bent" not in advice
    assert slot_values(stack.db_path, sender, "triage_level")[-1] == "emergency"


def test_the_disclaimer_is_not_shown_again_300_turns_later(stack: Stack) -> None:
    sender = f"long-{uuid.uuid4()}"
    first = joined(stack.say(sender, "what trainers should I buy for my back?"))
    assert first.startswith(DISCLAIMER)
    chat(stack, sender, 300)
    later = joined(stack.say(sender, "how long should I hold a plank"))
    assert "Plank" in later and DISCLAIMER not in later


def test_a_new_session_carries_the_safety_state_only(stack: Stack) -> None:
    sender = f"session-{uuid.uuid4()}"
    assert joined(stack.say(sender, "I've had a high temperature all week")).startswith(
        "**Please call our help line on 02380 248725 today.")
    shoes = joined(stack.say(sender, "what trainers should I buy?"))
    assert "running shoes" in shoes and DISCLAIMER not in shoes  # the escalation showed it
    stack.say(sender, "/session_start")  # what Rasa does after the idle time
    later = joined(stack.say(sender, "how long should I hold a plank"))
    assert "Plank" in later and DISCLAIMER not in later
    assert slot_values(stack.db_path, sender, "triage_level")[-1] == "urgent"
    assert slot_values(stack.db_path, sender, "disclaimer_shown")[-1] is True
