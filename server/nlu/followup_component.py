"""Rasa graph component: a short follow-up about what the assistant last talked about,
or a short question about one named item.

"How long should I hold it?" names no exercise, so the classifier cannot know what
"it" is; the conversation does (slot `last_item`, set by the advice actions). A short
message that asks for one part of an item (sciaticalm.aspects) and names no other
item gets the `ask_followup` intent and an `aspect` entity. Outside the assessment only.
"""

from __future__ import annotations

import re

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message

from sciaticalm.aspects import parse_aspect
from sciaticalm.content import TOPIC_INTENTS, library
from server.nlu.overrides import (
    ConversationReader,
    set_entities,
    set_intent,
    whole_message_entity,
)

FOLLOWUP_INTENT = "ask_followup"
MAX_WORDS = 9
EXTRACTOR = "FollowUpComponent"


def named_items(text: str) -> list[tuple[str, str]]:
    """(topic, item id) of every item the text names, in any topic."""
    lib = library()
    return [(topic, item.id) for topic in lib.topics for item in lib.find_items(topic, text)]


def names_an_item(text: str) -> bool:
    return bool(named_items(text))


ABOUT = re.compile(r"^\s*(and|what about|how about|is that|which is|ok|okay|so)\b", re.I)


def item_question(text: str, intent: str | None) -> tuple[str, str] | None:
    """A short question about one named item ("what about the cobra?", "why midfoot?",
    "ok how long for the plank"): the topic's intent and the item, when the classifier
    picked no topic at all (a topic it did pick is trusted)."""
    if intent in TOPIC_INTENTS.values() or len(re.findall(r"\w+", text)) > MAX_WORDS:
        return None
    items = named_items(text)
    if len(items) != 1 or not (parse_aspect(text) or ABOUT.match(text)):
        return None
    topic, item_id = items[0]
    return TOPIC_INTENTS[topic], item_id


def is_followup(text: str, last_item: str | None) -> str | None:
    """The aspect asked about, when `text` is a follow-up about `last_item`."""
    if not last_item or len(re.findall(r"\w+", text)) > MAX_WORDS or names_an_item(text):
        return None
    return parse_aspect(text)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
                           DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
                          is_trainable=False)
class FollowUpComponent(ConversationReader):
    """Sets `ask_followup` for a follow-up about the last item talked about."""

    def read(self, message: Message, text: str, tracker: DialogueStateTracker) -> None:
        aspect = is_followup(text, tracker.get_slot("last_item"))
        if aspect:
            _set(message, FOLLOWUP_INTENT, "aspect", aspect)
            return
        about = item_question(text, (message.get(INTENT) or {}).get("name"))
        if about:
            _set(message, about[0], "item", about[1])


def _set(message: Message, intent: str, name: str, value: str) -> None:
    set_entities(message, [whole_message_entity(message, name, value, EXTRACTOR)])
    set_intent(message, intent)
