"""Validation of the root-cause assessment form.

Typed answers and button values are turned into canonical values by
sciaticalm.answers. A positive warning-sign screen ends the form at once (the
plan action then escalates). An answer that is really a side question gets
its answer, then the form asks its question again; anything else gets a
helpful hint and the question again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.advice import topic_messages
from actions.common import DISCLAIMER_SLOT, channel, ensure_disclaimer
from actions.plan import FORM_SLOTS
from sciaticalm.answers import PARSERS, parse_answer
from sciaticalm.content import TOPIC_INTENTS, library
from sciaticalm.render import fill
from sciaticalm.triage.outcome import TIER_RANK, merge_outcome

# Intents that are questions in their own right: answered mid-form, then back.
SIDE_TOPICS = {intent: topic for topic, intent in TOPIC_INTENTS.items()}
SIDE_RESPONSES = {
    "bot_challenge": "utter_iamabot",
    "ask_capabilities": "utter_capabilities",
    "greet": "utter_greet_in_form",
}
SIDE_CONFIDENCE = 0.6
# Asked again whenever the assessment starts, since warning signs can appear at any time.
SCREEN_SLOTS = ("emergency_screen", "urgent_screen")


def screen_outcome(slot: str, value: str) -> str | None:
    """The triage level a warning-sign screen answer leads to, if any."""
    if slot == "emergency_screen" and value == "yes":
        return "emergency"
    if slot == "emergency_screen" and value == "unsure":
        return "urgent"
    if slot == "urgent_screen" and value == "yes":
        return "urgent"
    return None


class ValidateAssessmentForm(FormValidationAction):
    def name(self) -> str:
        return "validate_assessment_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        # A positive screen ends the assessment (the plan action escalates), but only
        # once its answer has been validated and the level recorded: rasa_sdk validates
        # only the slots this returns, so ending before that would lose the escalation.
        recorded = TIER_RANK.get(tracker.get_slot("triage_level") or "", 0)
        for slot in SCREEN_SLOTS:
            value = tracker.get_slot(slot)
            level = screen_outcome(slot, value) if isinstance(value, str) else None
            if level and recorded >= TIER_RANK[level]:
                return []
        return domain_slots

    async def validate_answer(
        self,
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> dict[str, Any]:
        canonical = parse_answer(slot, value)
        if canonical is not None:
            result: dict[str, Any] = {slot: canonical}
            level = screen_outcome(slot, canonical)
            if level:
                merged, signs = merge_outcome(tracker.get_slot("triage_level"),
                                              list(tracker.get_slot("red_flags") or []),
                                              level, ["screen_positive"])
                result["triage_level"] = merged
                result["red_flags"] = signs
            return result
        answered, advice = self._answer_side_question(dispatcher, tracker)
        if not answered:
            dispatcher.utter_message(response=f"utter_hint_{slot}")
        # The first advice of a conversation carries the disclaimer, here too.
        return {slot: None, DISCLAIMER_SLOT: True} if advice else {slot: None}

    def _answer_side_question(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> tuple[bool, bool]:
        """Answer a side question; (whether it was answered, whether that was advice)."""
        intent = tracker.latest_message.get("intent") or {}
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
        if confidence < SIDE_CONFIDENCE:
            return False, False
        lib = library()
        advice = False
        if name in SIDE_TOPICS:
            advice = True
            ensure_disclaimer(dispatcher, tracker, lib)
            text = tracker.latest_message.get("text")
            for message in topic_messages(lib, SIDE_TOPICS[name], name, text, None):
                message["text"] = fill(message["text"], lib, channel(tracker))
                message.pop("buttons", None)  # the form's own buttons follow
                dispatcher.utter_message(**message)
        elif name in SIDE_RESPONSES:
            dispatcher.utter_message(response=SIDE_RESPONSES[name])
        elif name == "ask_disclaimer":
            dispatcher.utter_message(text=fill(lib.disclaimer["full"]["text"], lib,
                                               channel(tracker)))
        elif name == "ask_human":
            dispatcher.utter_message(text=fill(lib.contact["ask_human"]["text"], lib,
                                               channel(tracker)))
        else:
            return False, False
        dispatcher.utter_message(response="utter_back_to_assessment")
        return True, advice


def _validator(slot: str) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def validate(
        self: ValidateAssessmentForm,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        return await self.validate_answer(slot, value, dispatcher, tracker)

    validate.__name__ = f"validate_{slot}"
    return validate


for _slot in PARSERS:
    setattr(ValidateAssessmentForm, f"validate_{_slot}", _validator(_slot))


class ActionRestartAssessment(Action):
    """"Start over" during the assessment: forget every answer and begin again, safety
    check first; the form is deactivated so that it starts afresh, not validating "start
    over" as an answer."""

    def name(self) -> str:
        return "action_restart_assessment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_assessment_intro")
        return [ActiveLoop(None), SlotSet("requested_slot", None),
                *(SlotSet(slot, None) for slot in FORM_SLOTS)]


class ActionStopAssessment(Action):
    """Confirm the stop and forget the safety screen's answers, so a restart begins, as its
    introduction says, with the safety check; the other answers are kept and not asked again."""

    def name(self) -> str:
        return "action_stop_assessment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_assessment_stopped")
        return [SlotSet(slot, None) for slot in SCREEN_SLOTS]
