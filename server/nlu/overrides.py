"""How the project's NLU components override the classifier: one intent on top of the
ranking, and their own entities in place of any earlier ones of the same names; and
their common base (rule-based, nothing to train)."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


def entity(name: str, value: str, extractor: str, start: int = 0,
           end: int = 0) -> dict[str, Any]:
    """A Rasa entity dict with full confidence."""
    return {"entity": name, "value": value, "start": start, "end": end,
            "confidence_entity": 1.0, "extractor": extractor}


def whole_message_entity(message: Message, name: str, value: str,
                         extractor: str) -> dict[str, Any]:
    return entity(name, value, extractor, 0, len(message.get(TEXT) or ""))


def set_entities(message: Message, entities: list[dict[str, Any]],
                 replacing: tuple[str, ...] | set[str] = ()) -> None:
    """Add `entities`, dropping earlier ones named in `replacing`."""
    kept = [e for e in message.get(ENTITIES, []) or [] if e.get("entity") not in replacing]
    message.set(ENTITIES, kept + entities, add_to_output=True)


def set_intent(message: Message, name: str, confidence: float = 1.0) -> None:
    """Make `name` the intent, at the top of the ranking."""
    message.set(INTENT, {"name": name, "confidence": confidence}, add_to_output=True)
    ranking = [r for r in message.get(INTENT_RANKING_KEY, []) or [] if r.get("name") != name]
    message.set(INTENT_RANKING_KEY, [{"name": name, "confidence": confidence}, *ranking],
                add_to_output=True)


class ConversationComponent(GraphComponent):
    """Base of the project's rule-based NLU components: nothing to train or store."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ConversationComponent:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


class ConversationReader(ConversationComponent):
    """A component that reads typed messages in a conversation only: `rasa test nlu` (the
    classifier's gate) and /model/parse parse with an empty tracker and so judge the
    classifier alone; button payloads ("/intent") are left as they are."""

    outside_the_assessment_only = True

    def process(self, messages: list[Message],
                tracker: DialogueStateTracker | None = None) -> list[Message]:
        if tracker is None or not tracker.events:
            return messages
        if self.outside_the_assessment_only and tracker.active_loop_name:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and text.strip() and not text.lstrip().startswith("/"):
                self.read(message, text, tracker)
        return messages

    def read(self, message: Message, text: str, tracker: DialogueStateTracker) -> None:
        """Set the message's intent and entities from its text, where it applies."""
        raise NotImplementedError
