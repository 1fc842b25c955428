"""Advice actions: one small class per article topic, sharing one behaviour.

Each answers with the specific item the visitor asked about (by name, typos
tolerated, or by button), or with the topic's overview and buttons.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel, emergency_guard, ensure_disclaimer, requested_item_id
from sciaticalm.content import Library, library
from sciaticalm.render import fill, item_buttons, render_item, render_overview


def topic_messages(
    lib: Library, topic_name: str, intent: str, text: str | None, item_id: str | None,
    *, detailed_overview: bool = False,
) -> list[dict[str, Any]]:
    """The messages (kwargs for utter_message) answering a topic question."""
    topic = lib.topic(topic_name)
    items = [topic.item(item_id)] if item_id and item_id in {i.id for i in topic.items} \
        else lib.find_items(topic_name, text)
    if items:
        return [{"text": render_item(item)} for item in items[:2]]
    buttons = item_buttons(topic, intent) if any(i.how_to for i in topic.items) else []
    return [{"text": render_overview(topic, detailed=detailed_overview), "buttons": buttons}]


class TopicAdviceAction(Action):
    """Base for the topic actions; subclasses set the names."""

    action_name = ""
    topic = ""
    intent = ""
    blocked_after_emergency = True
    detailed_overview = False
    closing: str | None = None  # a contact text to end with ("ask_human")

    def name(self) -> str:
        return self.action_name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lib = library()
        if self.blocked_after_emergency and emergency_guard(dispatcher, tracker, lib):
            return []
        events = ensure_disclaimer(dispatcher, tracker, lib)
        text = tracker.latest_message.get("text")
        for message in topic_messages(lib, self.topic, self.intent, text,
                                      requested_item_id(tracker),
                                      detailed_overview=self.detailed_overview):
            message["text"] = fill(message["text"], lib, channel(tracker))
            dispatcher.utter_message(**message)
        if self.closing:
            dispatcher.utter_message(text=fill(lib.contact[self.closing]["text"], lib,
                                               channel(tracker)))
        return events


class ActionCausesAdvice(TopicAdviceAction):
    action_name, topic, intent = "action_causes_advice", "causes", "ask_causes"
    blocked_after_emergency = False


class ActionRunningFormAdvice(TopicAdviceAction):
    action_name, topic, intent = "action_running_form_advice", "running_form", "ask_running_form"


class ActionStrengtheningAdvice(TopicAdviceAction):
    action_name, topic = "action_strengthening_advice", "strengthening"
    intent = "ask_strengthening"


class ActionStretchingAdvice(TopicAdviceAction):
    action_name, topic, intent = "action_stretching_advice", "stretching", "ask_stretching"


class ActionFootwearAdvice(TopicAdviceAction):
    action_name, topic, intent = "action_footwear_advice", "footwear", "ask_footwear"


class ActionTrainingLoadAdvice(TopicAdviceAction):
    action_name, topic = "action_training_load_advice", "training_load"
    intent = "ask_training_load"


class ActionProfessionalHelp(TopicAdviceAction):
    action_name, topic = "action_professional_help", "professional_help"
    intent = "ask_when_to_seek_help"
    blocked_after_emergency = False
    detailed_overview = True
    closing = "ask_human"
