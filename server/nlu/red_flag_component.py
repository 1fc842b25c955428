"""Rasa graph component that runs the deterministic red-flag detector.

When a message contains a warning sign it adds `red_flag` entities (one per
sign) and a `triage_level` entity, and sets the intent to `red_flag` with
confidence 1.0 at the top of the ranking, so the ML classifier (or the
fallback) can never talk the assistant out of escalating.

It reads each message with the visitor's previous one (an answer to "where?"
completes a sign), and handles the safety question (docs/triage.md): a message
that needs one gets the `safety_check` intent and a `safety_question` entity;
"yes" to the question escalates at its tier, "no" returns to what the visitor
had asked (or, inside the assessment, to the assessment's question).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from sciaticalm.tiers import TIER_RANK
from sciaticalm.triage import TriageResult, default_detector
from sciaticalm.triage.safety_question import QUESTION_RESPONSE, answer_to_question
from server.nlu.overrides import ConversationComponent, entity, set_entities, set_intent

RED_FLAG_INTENT = "red_flag"
SAFETY_CHECK_INTENT = "safety_check"
SAFETY_CLEAR_INTENT = "safety_clear"
OWN_ENTITIES = ("red_flag", "triage_level", "safety_question")
OWN_INTENTS = (RED_FLAG_INTENT, SAFETY_CHECK_INTENT, SAFETY_CLEAR_INTENT)
EXTRACTOR = "RedFlagComponent"


def triage_entities(result: TriageResult) -> list[dict[str, Any]]:
    """Rasa entity dicts for a detector result (empty when nothing was found)."""
    if not result.level:
        return []
    entities: list[dict[str, Any]] = []
    for sign in result.signs:
        finding = next(f for f in result.findings if f.sign == sign)
        entities.append(_entity("red_flag", sign, finding.start, finding.end))
    first = result.findings[0]
    entities.append(_entity("triage_level", result.level, first.start, first.end))
    return entities


def _entity(name: str, value: str, start: int = 0, end: int = 0) -> dict[str, Any]:
    return entity(name, value, EXTRACTOR, start, end)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
     DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=False,
)
class RedFlagComponent(ConversationComponent):
    """Overrides intent and adds entities when the detector finds a red flag."""

    def __init__(self) -> None:
        self.detector = default_detector()

    def process(
        self, messages: list[Message], tracker: DialogueStateTracker | None = None
    ) -> list[Message]:
        for message in messages:
            self._process_one(message, tracker)
        return messages

    def _process_one(self, message: Message, tracker: DialogueStateTracker | None) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text.strip():
            return
        history = _History.of(tracker)
        result = self.detector.detect_in_context(text, history.previous_text)
        if history.pending_question:
            self._answer(message, text, result, history)
        elif result.level:
            extra = []
            if result.question and result.question not in history.topics_asked:
                extra = [_entity("safety_question", result.question)]
            self._set(message, RED_FLAG_INTENT, triage_entities(result) + extra)
        elif result.question and result.question not in history.topics_asked:
            self._set(message, SAFETY_CHECK_INTENT, [_entity("safety_question", result.question)])

    def _answer(self, message: Message, text: str, result: TriageResult,
                history: _History) -> None:
        """The visitor's reply to the safety question: a sign in it, or yes, escalates at
        the higher of the two tiers; "no" goes back to what they had asked."""
        answer = answer_to_question(history.pending_question, text)
        entities = triage_entities(result)
        if answer.level and TIER_RANK[answer.level] > TIER_RANK.get(result.level or "", 0):
            entities = [e for e in entities if e["entity"] != "triage_level"]
            entities += [_entity("red_flag", answer.sign or ""),
                         _entity("triage_level", answer.level)]
        if entities:
            self._set(message, RED_FLAG_INTENT, entities)
        elif answer.kind == "no":
            if history.active_loop or not history.asked_about:
                self._set(message, SAFETY_CLEAR_INTENT, [])
            else:
                message.set(INTENT, history.asked_about, add_to_output=True)

    @staticmethod
    def _set(message: Message, intent: str, entities: list[dict[str, Any]]) -> None:
        set_entities(message, entities, replacing=OWN_ENTITIES)
        set_intent(message, intent)


class _History:
    """What the component needs from the conversation so far."""

    def __init__(self) -> None:
        self.previous_text: str | None = None
        self.pending_question: str | None = None
        self.asked_about: dict[str, Any] | None = None
        self.topics_asked: set[str] = set()
        self.active_loop: str | None = None

    @classmethod
    def of(cls, tracker: DialogueStateTracker | None) -> _History:
        history = cls()
        if tracker is None:
            return history
        history.active_loop = tracker.active_loop_name
        asked = tracker.get_slot("safety_question")
        events = list(tracker.events)
        last_user = next((i for i in range(len(events) - 1, -1, -1)
                          if isinstance(events[i], UserUttered)), None)
        if last_user is None:
            return history
        user = events[last_user]
        history.previous_text = user.text
        history.topics_asked = {e.value for e in events
                                if isinstance(e, SlotSet) and e.key == "safety_question"}
        asked_now = any(isinstance(e, ActionExecuted) and e.action_name == QUESTION_RESPONSE
                        for e in events[last_user + 1:])
        if asked_now and isinstance(asked, str):
            history.pending_question = asked
            ranking = (user.parse_data or {}).get(INTENT_RANKING_KEY) or []
            original = next((r for r in ranking if r.get("name") not in OWN_INTENTS), None)
            history.asked_about = dict(original) if original else None
        return history
