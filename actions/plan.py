"""The personal plan at the end of the assessment (or the escalation)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel, ensure_disclaimer
from sciaticalm.answers import PARSERS
from sciaticalm.content import library
from sciaticalm.keepsake import answers_in_words, plan_keepsake
from sciaticalm.plan import Answers, build_plan
from sciaticalm.render import fill

FORM_SLOTS = tuple(PARSERS)  # the assessment's slots, in the order it asks them


class ActionAssessmentPlan(Action):
    def name(self) -> str:
        return "action_assessment_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lib = library()
        if tracker.get_slot("triage_level") in ("emergency", "urgent"):
            # A warning sign came up in the screen: escalate instead of a plan.
            dispatcher.utter_message(response="utter_escalate")
            return [SlotSet("disclaimer_shown", True), *_reset()]
        events = ensure_disclaimer(dispatcher, tracker, lib)
        answers = Answers(**{k: tracker.get_slot(k) for k in Answers.__dataclass_fields__})
        plan = build_plan(answers, lib)
        ch = channel(tracker)
        messages = chat_sized(plan.messages, lib.disclaimer["reminder"]["text"])
        for message in messages[:-1]:
            dispatcher.utter_message(text=fill(message, lib, ch))
        # The last message carries the plan to keep (the widget's "Keep my plan").
        keep = plan_keepsake(plan.messages[:-1], answers_in_words(tracker.events, FORM_SLOTS),
                             lib, ch)
        dispatcher.utter_message(text=fill(messages[-1], lib, ch), json_message=keep)
        return [*events, SlotSet("assessment_complete", True),
                SlotSet("assessment_contributors", plan.contributor_ids), *_reset()]


MAX_PLAN_MESSAGES = 4


def chat_sized(messages: list[str], reminder: str) -> list[str]:
    """The plan in at most four chat messages: what the answers point to, the advice for the
    likeliest causes, the everyday basics, then the how-to hint with the disclaimer reminder
    (the reminder last, on its own line)."""
    first, *sections, hint = messages
    head, rest = sections[:2], sections[2:]
    out = [first, *(["\n\n".join(head)] if head else []), *(["\n\n".join(rest)] if rest else [])]
    return [*out[:MAX_PLAN_MESSAGES - 1], f"{hint}\n{reminder}"]


def _reset() -> list[dict[str, Any]]:
    """Clear the answers so the assessment can be taken again."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS]
