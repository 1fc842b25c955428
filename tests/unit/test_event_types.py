"""Event classes looked up once per type (server/runtime/event_types.py)."""

from __future__ import annotations

import pytest
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SlotSet,
    UserUttered,
    deserialise_events,
)

from server.runtime import event_types


def test_events_come_back_the_same_and_unknown_types_still_fail() -> None:
    events = [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"}),
              SlotSet("triage_level", "urgent"), BotUttered("hello")]
    dumped = [e.as_dict() for e in events]
    event_types.install()
    try:
        twice = [deserialise_events(dumped), deserialise_events(dumped)]
        assert twice[0] == twice[1] == events
        assert Event.resolve_by_type("slot") is SlotSet
        assert Event.resolve_by_type("no_such_event", default=BotUttered) is BotUttered
        with pytest.raises(ValueError):
            Event.resolve_by_type("no_such_event")
    finally:
        event_types.uninstall()
    assert Event.resolve_by_type("slot") is SlotSet
