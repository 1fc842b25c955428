"""After the escalation message: record the outcome in the conversation.

The escalation text itself is the domain response `utter_escalate`, sent
before this action, so it reaches the visitor even if this server is down.
This action keeps `triage_level` at the highest level seen in the
conversation and `red_flags` as the union of all signs, for the staff console.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import DISCLAIMER_SLOT
from sciaticalm.triage.outcome import merge_outcome


class ActionEscalationFollowup(Action):
    def name(self) -> str:
        return "action_escalation_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        previous_level, previous_signs = _previous_outcome(tracker)
        level, signs = merge_outcome(
            previous_level, previous_signs,
            tracker.get_slot("triage_level"), tracker.get_slot("red_flags") or [],
        )
        return [SlotSet("triage_level", level), SlotSet("red_flags", signs),
                SlotSet(DISCLAIMER_SLOT, True)]


def _previous_outcome(tracker: Tracker) -> tuple[str | None, list[str]]:
    """The triage slots as they were before the latest user message."""
    level: str | None = None
    signs: list[str] = []
    events = tracker.events
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    for event in events[: max(last_user, 0)]:
        if event.get("event") != "slot":
            continue
        if event.get("name") == "triage_level":
            level = event.get("value")
        elif event.get("name") == "red_flags":
            signs = list(event.get("value") or [])
    return level, signs
