"""Rasa graph component that runs the deterministic red-flag detector.

When a message contains a warning sign it adds `red_flag` entities (one per
sign) and a `triage_level` entity, and sets the intent to `red_flag` with
confidence 1.0 at the top of the ranking, so the ML classifier (or the
fallback) can never talk the assistant out of escalating.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from sciaticalm.triage import TriageResult, default_detector

RED_FLAG_INTENT = "red_flag"
EXTRACTOR = "RedFlagComponent"


def triage_entities(result: TriageResult) -> list[dict[str, Any]]:
    """Rasa entity dicts for a detector result (empty when nothing was found)."""
    if not result.level:
        return []
    entities: list[dict[str, Any]] = []
    for sign in result.signs:
        finding = next(f for f in result.findings if f.sign == sign)
        entities.append({
            "entity": "red_flag", "value": sign, "start": finding.start, "end": finding.end,
            "confidence_entity": 1.0, "extractor": EXTRACTOR,
        })
    first = result.findings[0]
    entities.append({
        "entity": "triage_level", "value": result.level, "start": first.start,
        "end": first.end, "confidence_entity": 1.0, "extractor": EXTRACTOR,
    })
    return entities


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
     DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=False,
)
class RedFlagComponent(GraphComponent):
    """Overrides intent and adds entities when the detector finds a red flag."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagComponent:
        return cls()

    def __init__(self) -> None:
        self.detector = default_detector()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._process_one(message)
        return messages

    def _process_one(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text.strip():
            return
        result = self.detector.detect(text)
        if not result.level:
            return
        entities = [e for e in message.get(ENTITIES, []) or []
                    if e.get("entity") not in ("red_flag", "triage_level")]
        message.set(ENTITIES, entities + triage_entities(result), add_to_output=True)
        message.set(INTENT, {"name": RED_FLAG_INTENT, "confidence": 1.0}, add_to_output=True)
        ranking = [r for r in message.get(INTENT_RANKING_KEY, []) or []
                   if r.get("name") != RED_FLAG_INTENT]
        message.set(
            INTENT_RANKING_KEY,
            [{"name": RED_FLAG_INTENT, "confidence": 1.0}, *ranking],
            add_to_output=True,
        )
