"""The red-flag gate end to end: the trained model over the REST channel.

The cases marked `e2e: true` in tests/triage_cases.yml and every fifth case of each
blind round (testkit/case_files.py) are sent single-turn, after small talk, and
in the middle of the assessment; multi-turn cases turn by turn. When the assistant
asks the safety question, the test answers "yes" for a warning sign (which must
then escalate at its tier) and counts it as a false alarm for a benign case. Every
emergency and urgent case must escalate at its tier or higher, and at most 2% of
the `none` cases may be escalated or asked the safety question.
"""

from __future__ import annotations

import uuid

import pytest

from sciaticalm.conversation_checks import escalation_level
from testkit.case_files import CASE_FILES, RANK, Case, load_cases
from testkit.servers import Stack

CASES = [c for path in CASE_FILES for i, c in enumerate(load_cases(path))
         if (c.e2e if path.name == "triage_cases.yml" else i % 5 == 0)]
CONTEXTS = ("single_turn", "after_small_talk", "during_assessment")


def asks_safety_question(replies: list[dict]) -> bool:
    return any((r.get("custom") or {}).get("sciaticalm", {}).get("kind") == "safety_question"
               for r in replies)


def run_case(stack: Stack, context: str, case: Case) -> tuple[str | None, bool]:
    """The highest escalation level the visitor saw, and whether they were asked."""
    sender = f"triage-{context}-{uuid.uuid4()}"
    if context == "after_small_talk":
        stack.say(sender, "hi there")
        stack.say(sender, "what can you do?")
    elif context == "during_assessment":
        stack.say(sender, "help me find the root cause")
        stack.say(sender, '/inform{"emergency_screen": "no"}')
        stack.say(sender, '/inform{"urgent_screen": "no"}')
    level, asked = None, False
    for text in case.turns:
        replies = stack.say(sender, text)
        if asks_safety_question(replies):
            asked = True
            if case.tier != "none":
                replies = replies + stack.say(sender, "yes")
        seen = escalation_level(replies)
        if RANK[seen] > RANK[level]:
            level = seen
    return level, asked


def test_enough_live_cases() -> None:
    assert len(CASES) >= 200
    assert sum(len(c.turns) > 1 for c in CASES) >= 10


@pytest.mark.parametrize("context", CONTEXTS)
def test_live_gate(stack: Stack, context: str) -> None:
    # Single-turn runs every case; the conversational contexts run every third one.
    cases = CASES if context == "single_turn" else CASES[CONTEXTS.index(context) - 1 :: 3]
    missed, false_alarms, benign = [], [], 0
    for case in cases:
        level, asked = run_case(stack, context, case)
        if case.tier == "none":
            benign += 1
            if level or asked:
                false_alarms.append((case.display, level, asked))
        elif RANK[level] < RANK[case.tier]:
            missed.append((case.display, case.tier, level))
    assert not missed, missed
    assert len(false_alarms) <= 0.02 * max(benign, 1), false_alarms
