"""The reply to a runner who describes their own training, shoes, form or pain.

The NLU component server.nlu.situation_component reads the message and fills the
assessment's slots from it; this action names what was said, gives the matching
advice first and offers the assessment, which then skips what is already answered.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.advice import LAST_ITEM_SLOT
from actions.common import AdviceAction, channel
from sciaticalm.content import Library
from sciaticalm.plan import Answers, first_topic, statement_messages
from sciaticalm.render import fill
from sciaticalm.several_questions import items_asked
from sciaticalm.situation import Situation, read_situation

OFFER = ("start_assessment", "ask_strengthening", "ask_stretching")


class ActionSituationAdvice(AdviceAction):
    def name(self) -> str:
        return "action_situation_advice"

    def advise(self, dispatcher: CollectingDispatcher, tracker: Tracker,
               lib: Library) -> list[dict[str, Any]]:
        situation = _latest_situation(tracker)
        answers = Answers(**{k: tracker.get_slot(k) for k in Answers.__dataclass_fields__
                             if k != "urgent_screen"})
        asked = tuple(items_asked(tracker.latest_message.get("text"), lib))
        messages = statement_messages(answers, lib, extras=situation.extras,
                                      condition=situation.condition,
                                      load_detail=situation.load_detail, asked=asked)
        ch = channel(tracker)
        for text in messages[:-1]:
            dispatcher.utter_message(text=fill(text, lib, ch))
        dispatcher.utter_message(text=fill(messages[-1], lib, ch), buttons=_offer_buttons(lib))
        topic = first_topic(answers, lib, situation.extras)
        return [SlotSet(LAST_ITEM_SLOT, topic)] if topic else []


def _latest_situation(tracker: Tracker) -> Situation:
    """The visitor's latest statement (this message, or the one before a "no" to the
    safety question)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            situation = read_situation(str(event.get("text") or ""))
            if situation.found:
                return situation
    return Situation()


def _offer_buttons(lib: Library) -> list[dict[str, str]]:
    menu = {t["intent"]: t for t in lib.menu["topics"]}
    return [{"title": menu[i]["label"], "payload": menu[i]["payload"]}
            for i in OFFER if i in menu]
