"""Helpers shared by the actions: disclaimer, channel, triage guard."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from sciaticalm.content import Library, library
from sciaticalm.render import fill

DISCLAIMER_SLOT = "disclaimer_shown"


def channel(tracker: Tracker) -> str | None:
    """The channel to render for. Partner channels (server.channels.partner, which sets
    metadata["partner"]) get the REST shape, so links stay markdown links there."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    if metadata.get("partner"):
        return "rest"
    return tracker.get_latest_input_channel()


def ensure_disclaimer(
    dispatcher: CollectingDispatcher, tracker: Tracker, lib: Library
) -> list[dict[str, Any]]:
    """Show the full disclaimer once per conversation, before the first advice."""
    if tracker.get_slot(DISCLAIMER_SLOT):
        return []
    dispatcher.utter_message(text=fill(lib.disclaimer["full"]["text"], lib, channel(tracker)))
    return [SlotSet(DISCLAIMER_SLOT, True)]


def emergency_guard(dispatcher: CollectingDispatcher, tracker: Tracker, lib: Library) -> bool:
    """After an emergency escalation, remind the visitor to get help before advice.

    Returns True when the reminder was sent (and the advice must be withheld).
    """
    if tracker.get_slot("triage_level") != "emergency":
        return False
    text = fill(lib.escalation["after_emergency_advice_request"]["text"], lib, channel(tracker))
    dispatcher.utter_message(text=text)
    return True


def requested_item_id(tracker: Tracker) -> str | None:
    """The `item` entity of the latest message (set by item buttons)."""
    value = next(tracker.get_latest_entity_values("item"), None)
    return str(value) if value else None


class AdviceAction(Action, ABC):
    """An action that gives advice: after an emergency it reminds the visitor to get help
    instead (unless `blocked_after_emergency` is off), and the first advice of a
    conversation comes after the disclaimer. Subclasses write `advise`."""

    blocked_after_emergency = True

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lib = library()
        if self.blocked_after_emergency and emergency_guard(dispatcher, tracker, lib):
            return []
        events = ensure_disclaimer(dispatcher, tracker, lib)
        return [*events, *self.advise(dispatcher, tracker, lib)]

    @abstractmethod
    def advise(self, dispatcher: CollectingDispatcher, tracker: Tracker,
               lib: Library) -> list[dict[str, Any]]:
        """Send the advice; return the events to record."""
