"""A new session keeps what safety depends on, and nothing else.

After `session_config.session_expiration_time` minutes without a message Rasa
starts a new conversation session (docs/performance.md: a session is also what
bounds each turn's reading). Rasa's option `carry_over_slots_to_new_session` is
all or nothing; this hook narrows it to CARRIED_SLOTS: the triage level and the
red flags (an emergency is never forgotten by a pause), and whether the
disclaimer was shown. The assessment's answers and the topic last talked about
start afresh. The latest value of each is carried, once.
"""

from __future__ import annotations

from rasa.core.actions.action import ActionSessionStart
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

CARRIED_SLOTS = ("triage_level", "red_flags", "disclaimer_shown")
_ORIGINAL = ActionSessionStart.__dict__["_slot_set_events_from_tracker"]


def carried_slot_events(tracker: DialogueStateTracker) -> list[SlotSet]:
    """The latest value of each carried slot that is set, as SlotSet events."""
    values = tracker.current_slot_values()
    return [SlotSet(name, values[name]) for name in CARRIED_SLOTS
            if values.get(name) not in (None, [], False)]


def install() -> None:
    ActionSessionStart._slot_set_events_from_tracker = staticmethod(  # type: ignore
        carried_slot_events)


def uninstall() -> None:
    ActionSessionStart._slot_set_events_from_tracker = _ORIGINAL  # type: ignore
