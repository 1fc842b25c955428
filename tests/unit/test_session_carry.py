"""A new session carries the safety state only (server/runtime/session_carry.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rasa.core.actions.action import ActionSessionStart
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from server.runtime import session_carry

REPO = Path(__file__).resolve().parents[2]


def new_session_events(slots: dict[str, object]) -> list:
    domain = Domain.load(str(REPO / "domain.yml"))
    assert domain.session_config.carry_over_slots  # narrowed by the hook, not off
    tracker = DialogueStateTracker.from_events(
        "v", [SlotSet(k, v) for k, v in slots.items()], domain.slots)
    session_carry.install()
    try:
        return asyncio.run(ActionSessionStart().run(None, None, tracker, domain))  # type: ignore
    finally:
        session_carry.uninstall()


def test_the_safety_state_is_carried_and_the_rest_is_not() -> None:
    events = new_session_events({
        "triage_level": "urgent", "red_flags": ["progressive_weakness"],
        "disclaimer_shown": True, "last_item": "plank", "pain_onset": "next_day",
        "safety_question": "numbness"})
    assert isinstance(events[0], SessionStarted)
    carried = {e.key: e.value for e in events if isinstance(e, SlotSet)}
    assert carried == {"triage_level": "urgent", "red_flags": ["progressive_weakness"],
                       "disclaimer_shown": True}


def test_a_triage_level_set_twice_is_carried_once_at_its_latest_value() -> None:
    events = new_session_events({"triage_level": "urgent"})
    assert [e.value for e in events if isinstance(e, SlotSet)] == ["urgent"]
    domain = Domain.load(str(REPO / "domain.yml"))
    tracker = DialogueStateTracker.from_events(
        "v", [SlotSet("triage_level", "urgent"), SlotSet("triage_level", "emergency")],
        domain.slots)
    assert [e.value for e in session_carry.carried_slot_events(tracker)] == ["emergency"]


def test_nothing_is_carried_from_a_quiet_conversation() -> None:
    events = new_session_events({"last_item": "plank"})
    assert not [e for e in events if isinstance(e, SlotSet)]
