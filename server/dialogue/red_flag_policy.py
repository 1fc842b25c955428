"""A policy that always carries out the escalation after a red-flag message, and
the safety question after a message that needs one.

Rasa's RulePolicy gives an active form priority over every rule, and a form
calls the action server to validate answers: so a warning sign typed in the
middle of the assessment could otherwise be swallowed when the action server
is down. This policy's predictions outrank the form (priority 7, above the
RulePolicy's 6) and need nothing but the domain.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from sciaticalm.dialogue.escalation_steps import (
    next_escalation_action,
    next_safety_question_action,
)

SAFETY_QUESTION_ENTITY = "safety_question"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False
)
class RedFlagPolicy(Policy):
    """Predicts the escalation sequence with certainty after a `red_flag` intent, and
    the safety question's steps after `safety_check` / `safety_clear`."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 7}

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        actions: list[str] = []
        latest_intent = None
        ask_question = False
        for event in reversed(tracker.events):
            if isinstance(event, UserUttered):
                latest_intent = event.intent_name
                ask_question = any(e.get("entity") == SAFETY_QUESTION_ENTITY
                                   for e in event.entities or [])
                break
            if isinstance(event, ActionExecuted) and event.action_name:
                actions.append(event.action_name)
        loop = tracker.active_loop_name
        step = (next_escalation_action(latest_intent, actions, loop, ask_question)
                or next_safety_question_action(latest_intent, actions, loop))
        if step is None or step not in domain.action_names_or_texts:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(step)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)
