"""A follow-up about the exercise, stretch or tip the assistant last talked about
("how long should I hold it?", "and how many?", "why?", "what mistakes should I avoid?")."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.advice import LAST_ITEM_SLOT, aspect_message, topic_messages
from actions.common import AdviceAction, channel
from sciaticalm.aspects import OTHERS, has_aspect, parse_aspect
from sciaticalm.content import TOPIC_INTENTS, Library
from sciaticalm.render import fill, item_buttons, render_brief, render_item


def topic_followup(lib: Library, topic_name: str, aspect: str | None) -> dict[str, Any]:
    """A follow-up after a topic's overview: that part of every item that has it (one line
    each), or the overview again with its item buttons."""
    topic = lib.topic(topic_name)
    items = [i for i in topic.items if aspect and has_aspect(i, aspect)]
    if aspect in ("dose", "helps") and items:
        lines = [f"- **{i.title}**: {getattr(i, aspect)}" for i in items]
        return {"text": "\n".join(lines), "buttons": item_buttons(topic, TOPIC_INTENTS[topic_name])}
    return topic_messages(lib, topic_name, TOPIC_INTENTS[topic_name], None, None)[0]


def others_message(lib: Library, ref: str) -> dict[str, Any]:
    """"And the other ones?" after one item: the rest of its topic, one line each, with
    buttons for each in full."""
    topic_name, _, item_id = ref.partition("/")
    topic = lib.topic(topic_name)
    lines = [render_brief(i) for i in topic.items if i.id != item_id]
    return {"text": "\n".join(lines), "buttons": item_buttons(topic, TOPIC_INTENTS[topic_name])}


class ActionFollowupAnswer(AdviceAction):
    def name(self) -> str:
        return "action_followup_answer"

    def advise(self, dispatcher: CollectingDispatcher, tracker: Tracker,
               lib: Library) -> list[dict[str, Any]]:
        ref = str(tracker.get_slot(LAST_ITEM_SLOT) or "")
        aspect = next(tracker.get_latest_entity_values("aspect"), None) or parse_aspect(
            tracker.latest_message.get("text"))
        if ref in lib.topics:  # after an overview: "how long for each?"
            message = topic_followup(lib, ref, str(aspect) if aspect else None)
        elif aspect == OTHERS and ref.partition("/")[0] in lib.topics:
            message = others_message(lib, ref)
        else:
            try:
                item = lib.item(ref)
            except KeyError:
                dispatcher.utter_message(response="utter_ask_rephrase")
                return []
            message = (aspect_message(item, str(aspect))
                       if aspect and has_aspect(item, str(aspect)) else {"text": render_item(item)})
        message["text"] = fill(message["text"], lib, channel(tracker))
        dispatcher.utter_message(**message)
        return []
