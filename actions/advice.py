"""Advice actions: one small class per article topic, sharing one behaviour.

Each answers with the specific item the visitor asked about (by name, typos
tolerated, or by button), or with the topic's overview and buttons.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import AdviceAction, channel, requested_item_id
from sciaticalm.aspects import LABELS, has_aspect, other_aspects, parse_aspect, render_aspect
from sciaticalm.content import TOPIC_INTENTS, Item, Library
from sciaticalm.render import fill, item_buttons, render_item, render_overview

LAST_ITEM_SLOT = "last_item"
PRECISE_ASPECTS = {"dose", "mistakes", "helps"}


def topic_items(lib: Library, topic_name: str, text: str | None,
                item_id: str | None) -> list[Item]:
    """The items a topic question names (by button or in its words)."""
    topic = lib.topic(topic_name)
    if item_id and item_id in {i.id for i in topic.items}:
        return [topic.item(item_id)]
    return lib.find_items(topic_name, text)


def topic_messages(
    lib: Library, topic_name: str, intent: str, text: str | None, item_id: str | None,
    *, detailed_overview: bool = False,
) -> list[dict[str, Any]]:
    """The messages (kwargs for utter_message) answering a topic question: one part of an
    item for a precise question ("how many reps of bird dog?"), the item, or the overview."""
    topic = lib.topic(topic_name)
    items = topic_items(lib, topic_name, text, item_id)
    aspect = parse_aspect(text)
    # "How do I do a plank?" deserves the whole card; "how many reps?" just the dose.
    if len(items) == 1 and aspect in PRECISE_ASPECTS and has_aspect(items[0], aspect):
        return [aspect_message(items[0], aspect)]
    if items:
        return [{"text": render_item(item)} for item in items[:3]]
    buttons = item_buttons(topic, intent) if any(i.how_to for i in topic.items) else []
    return [{"text": render_overview(topic, detailed=detailed_overview), "buttons": buttons}]


def aspect_message(item: Item, aspect: str) -> dict[str, Any]:
    """One part of an item, with buttons for its other parts (about the same item)."""
    buttons = [{"title": LABELS[a], "payload": f'/ask_followup{{"aspect": "{a}"}}'}
               for a in other_aspects(item, aspect)]
    return {"text": render_aspect(item, aspect), "buttons": buttons}


class TopicAdviceAction(AdviceAction):
    """Base for the topic actions; subclasses set the action's name and its topic
    (the topic's intent comes from sciaticalm.content.TOPIC_INTENTS)."""

    action_name = ""
    topic = ""
    blocked_after_emergency = True
    detailed_overview = False
    closing: str | None = None  # a contact text to end with ("ask_human")

    def name(self) -> str:
        return self.action_name

    @property
    def intent(self) -> str:
        return TOPIC_INTENTS[self.topic]

    def advise(self, dispatcher: CollectingDispatcher, tracker: Tracker,
               lib: Library) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text")
        items = topic_items(lib, self.topic, text, requested_item_id(tracker))
        # what a follow-up ("how long do I hold it?", "how long for each?") is about
        ref = f"{self.topic}/{items[0].id}" if len(items) == 1 else self.topic
        for message in topic_messages(lib, self.topic, self.intent, text,
                                      requested_item_id(tracker),
                                      detailed_overview=self.detailed_overview):
            message["text"] = fill(message["text"], lib, channel(tracker))
            dispatcher.utter_message(**message)
        if self.closing:
            dispatcher.utter_message(text=fill(lib.contact[self.closing]["text"], lib,
                                               channel(tracker)))
        return [SlotSet(LAST_ITEM_SLOT, ref)]


class ActionCausesAdvice(TopicAdviceAction):
    action_name, topic = "action_causes_advice", "causes"
    blocked_after_emergency = False


class ActionRunningFormAdvice(TopicAdviceAction):
    action_name, topic = "action_running_form_advice", "running_form"


class ActionStrengtheningAdvice(TopicAdviceAction):
    action_name, topic = "action_strengthening_advice", "strengthening"


class ActionStretchingAdvice(TopicAdviceAction):
    action_name, topic = "action_stretching_advice", "stretching"


class ActionFootwearAdvice(TopicAdviceAction):
    action_name, topic = "action_footwear_advice", "footwear"


class ActionTrainingLoadAdvice(TopicAdviceAction):
    action_name, topic = "action_training_load_advice", "training_load"


class ActionProfessionalHelp(TopicAdviceAction):
    action_name, topic = "action_professional_help", "professional_help"
    blocked_after_emergency = False
    detailed_overview = True
    closing = "ask_human"
