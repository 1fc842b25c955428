"""Rasa graph component: a runner's statement about themselves, and no scope refusal
for a message full of back-pain and running words.

Runs after the intent classifier and the fallback classifier, before the red-flag
component (which overrides both). Outside the assessment, a message that describes
the runner's training, shoes, form, core work, pain timing or a back condition
(sciaticalm.situation) gets the `describe_situation` intent and entities for the
assessment slots it answers. A message the classifier calls out of scope but that
is full of the assistant's own vocabulary gets the two-stage fallback instead.
"""

from __future__ import annotations

import re

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message

from sciaticalm.answers import assessment_command
from sciaticalm.situation import asks_to_be_assessed, read_situation
from server.nlu.overrides import (
    ConversationReader,
    set_entities,
    set_intent,
    whole_message_entity,
)

SITUATION_INTENT = "describe_situation"
ASSESSMENT_INTENT = "start_assessment"
COMMAND_INTENTS = {"stop": "stop_assessment", "restart": ASSESSMENT_INTENT}
FALLBACK_INTENT = "nlu_fallback"
EXTRACTOR = "SituationComponent"
# Intents a statement may override; questions with a clear topic keep theirs only when
# they say nothing about the runner.
OVERRIDABLE = {None, "out_of_scope", FALLBACK_INTENT, "describe_pain", "ask_causes",
               "ask_training_load", "ask_footwear", "ask_running_form", "ask_strengthening",
               "ask_when_to_seek_help", "inform", "affirm", "deny", "thank"}
DOMAIN_WORDS = re.compile(
    r"\b(back|spine|lumbar|run|runs|running|runner|ran|jog\w*|miles?|mileage|km|5k|10k|"
    r"marathon|parkrun|race|training|shoes?|trainers?|stretch\w*|exercises?|core|planks?|"
    r"bridges?|hamstrings?|hips?|glutes?|posture|stride|pain|aches?|aching|sore|hurts?|"
    r"stiff|tight)\b")
MIN_DOMAIN_WORDS = 1


def domain_word_count(text: str) -> int:
    """How many different words of the assistant's own subject a message uses."""
    return len({m.group(1) for m in DOMAIN_WORDS.finditer(text.lower())})


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
                           DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
                          is_trainable=False)
class SituationComponent(ConversationReader):
    """Sets `describe_situation` for statements; turns scope refusals into the fallback."""

    outside_the_assessment_only = False  # the vocabulary guard applies inside it too

    def read(self, message: Message, text: str, tracker: DialogueStateTracker) -> None:
        in_form = bool(tracker.active_loop_name)
        intent = (message.get(INTENT) or {}).get("name")
        command = assessment_command(text) if in_form else None
        if command:  # "actually stop, I'll do it later" is no answer to the question
            set_intent(message, COMMAND_INTENTS[command])
            return
        if not in_form and intent in OVERRIDABLE | {ASSESSMENT_INTENT}:
            situation = read_situation(text)
            assess = asks_to_be_assessed(text)
            if situation.found or assess:
                # what they said fills the assessment's answers either way
                set_entities(message, [whole_message_entity(message, slot, value, EXTRACTOR)
                                       for slot, value in situation.answers.items()],
                             replacing=set(situation.answers))
                set_intent(message, ASSESSMENT_INTENT if assess else SITUATION_INTENT)
                return
        # An "answer" with no question to answer reaches the scope refusal, as out-of-scope
        # does; in the assistant's own vocabulary it is better met with the likeliest topics.
        unanswerable = intent == "out_of_scope" or (intent == "inform" and not in_form)
        if unanswerable and domain_word_count(text) >= MIN_DOMAIN_WORDS:
            set_intent(message, FALLBACK_INTENT,
                       float((message.get(INTENT) or {}).get("confidence") or 0.0))
