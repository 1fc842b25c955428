"""Disclaimer, contact and scope actions."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import DISCLAIMER_SLOT, channel
from sciaticalm.content import library
from sciaticalm.render import fill


class ActionShowDisclaimer(Action):
    """The full medical disclaimer, on request ("is this medical advice?")."""

    def name(self) -> str:
        return "action_show_disclaimer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lib = library()
        ch = channel(tracker)
        dispatcher.utter_message(text=fill(lib.disclaimer["bot_identity"]["text"], lib, ch))
        dispatcher.utter_message(text=fill(lib.disclaimer["full"]["text"], lib, ch))
        return [SlotSet(DISCLAIMER_SLOT, True)]


class ActionContactHuman(Action):
    """How to reach a person: the help line, as a tel: link where possible."""

    def name(self) -> str:
        return "action_contact_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lib = library()
        dispatcher.utter_message(text=fill(lib.contact["ask_human"]["text"], lib,
                                           channel(tracker)))
        return []


class ActionOutOfScope(Action):
    """A polite scope statement with the topics as buttons."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lib = library()
        buttons = [{"title": t["label"], "payload": t["payload"]}
                   for t in lib.menu["topics"][:6]]
        dispatcher.utter_message(text=fill(lib.menu["scope"]["text"], lib, channel(tracker)),
                                 buttons=buttons)
        return []
