"""The answer to a message that asks about two or three topics at once: each topic in
the order asked, briefly (an item named gets its line or the part asked for; otherwise
the topic's overview), with the disclaimer first."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.advice import LAST_ITEM_SLOT, PRECISE_ASPECTS, topic_items
from actions.common import AdviceAction, channel
from sciaticalm.aspects import has_aspect, parse_aspect, render_aspect
from sciaticalm.content import Library
from sciaticalm.render import fill, render_brief, render_overview
from sciaticalm.several_questions import Asked, topics_asked


def answer_for(lib: Library, asked: Asked) -> str:
    """One topic's part of the reply."""
    items = topic_items(lib, asked.topic, asked.text, None)
    aspect = parse_aspect(asked.text)
    if items:
        return "\n".join(render_aspect(i, aspect) if aspect in PRECISE_ASPECTS
                         and has_aspect(i, aspect) else render_brief(i) for i in items[:3])
    return render_overview(lib.topic(asked.topic))


class ActionSeveralTopics(AdviceAction):
    def name(self) -> str:
        return "action_several_topics"

    def advise(self, dispatcher: CollectingDispatcher, tracker: Tracker,
               lib: Library) -> list[dict[str, Any]]:
        asked = topics_asked(tracker.latest_message.get("text"), lib)
        for a in asked:
            dispatcher.utter_message(text=fill(answer_for(lib, a), lib, channel(tracker)))
        return [SlotSet(LAST_ITEM_SLOT, asked[-1].topic)] if asked else []
