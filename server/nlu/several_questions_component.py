"""Rasa graph component: a message that asks about two or three topics at once
("what causes it, how do I fix my form, and what shoes should I get?") gets the
`ask_several` intent, answered topic by topic (sciaticalm.several_questions).
Conversation only, outside the assessment; it runs after the statement reader, so a
story that ends in two questions gets its two answers."""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message

from sciaticalm.content import library
from sciaticalm.several_questions import topics_asked
from server.nlu.overrides import (
    ConversationReader,
    set_entities,
    set_intent,
    whole_message_entity,
)

SEVERAL_INTENT = "ask_several"
ASSESSMENT_INTENT = "start_assessment"
EXTRACTOR = "SeveralQuestionsComponent"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
                           DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
                          is_trainable=False)
class SeveralQuestionsComponent(ConversationReader):
    """Sets `ask_several` with one `topic` entity per topic asked, in order."""

    def read(self, message: Message, text: str, tracker: DialogueStateTracker) -> None:
        if (message.get(INTENT) or {}).get("name") == ASSESSMENT_INTENT:
            return  # "...can you work out what's causing it?": the assessment answers that
        asked = topics_asked(text, library())
        if asked:
            set_entities(message, [whole_message_entity(message, "topic", a.topic, EXTRACTOR)
                                   for a in asked], replacing={"topic"})
            set_intent(message, SEVERAL_INTENT)
