"""An advice request never meets silence when the action server is down.

Rasa 3.6's processor catches any exception of a custom action, logs it and
carries on with no events, so the visitor gets no reply at all. This hook wraps
`RemoteAction.run`: when the call to the action server fails (refused
connection, timeout, 5xx, a broken reply), the action's result becomes the
domain response `utter_actions_unavailable` (an apology naming 999 / A&E and
the help line), which needs nothing from the action server.

A failed form validation (`validate_<form>`) also un-sets the slots the form
had just extracted, so an answer is never accepted unchecked: the visitor gets
the apology and the same question again.

A 400 from the action server (`ActionExecutionRejection`) is Rasa's normal
"action rejected" path and passes through untouched. Red-flag escalation does
not depend on any of this: it is domain responses chosen by RedFlagPolicy.
"""

from __future__ import annotations

import asyncio
import logging

from rasa.core.actions.action import (
    ActionExecutionRejection,
    RemoteAction,
    create_bot_utterance,
)
from rasa.core.channels.channel import OutputChannel
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

APOLOGY_RESPONSE = "utter_actions_unavailable"
# The numbers come from content/contact.yml (one source); if even that cannot be
# read, the text still says whom to call.
FALLBACK_TEMPLATE = ("Sorry, part of the assistant is not working right now. Please try again "
                     "in a few minutes. In an emergency call {emergency}; otherwise call the "
                     "Sciaticalm help line on {helpline}.")
UNFILLED = {"{emergency}": "999", "{helpline}": "our help line"}
_ORIGINAL_RUN = RemoteAction.run


def candidate_slots(tracker: DialogueStateTracker) -> list[str]:
    """The slots a form validation was asked to check: Rasa's temporary tracker
    ends with ActionExecuted(<form>) followed by one SlotSet per candidate."""
    names: list[str] = []
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecuted):
            break
        if isinstance(event, SlotSet) and event.key != REQUESTED_SLOT:
            names.append(event.key)
    return list(reversed(names))


def fallback_text(channel_name: str | None) -> str:
    """The last-resort apology with the numbers of content/contact.yml."""
    try:
        from sciaticalm.content import library
        from sciaticalm.render import fill

        return fill(FALLBACK_TEMPLATE, library(), channel_name)
    except Exception:  # the apology itself must not fail
        text = FALLBACK_TEMPLATE
        for placeholder, value in UNFILLED.items():
            text = text.replace(placeholder, value)
        return text


async def apology(nlg: NaturalLanguageGenerator, tracker: DialogueStateTracker,
                  channel_name: str) -> BotUttered:
    try:
        message = await nlg.generate(APOLOGY_RESPONSE, tracker, channel_name)
    except Exception:  # the apology itself must not fail
        logger.exception("could not render %s", APOLOGY_RESPONSE)
        message = None
    if not message or not message.get("text"):
        message = {"text": fallback_text(channel_name)}
    message.setdefault("utter_action", APOLOGY_RESPONSE)
    return create_bot_utterance(dict(message))


async def outage_events(action_name: str, output_channel: OutputChannel,
                        nlg: NaturalLanguageGenerator,
                        tracker: DialogueStateTracker) -> list[Event]:
    """What a failed custom action returns instead of nothing."""
    events: list[Event] = [await apology(nlg, tracker, output_channel.name())]
    if action_name.startswith("validate_"):
        events += [SlotSet(name, None) for name in candidate_slots(tracker)]
    return events


async def run_or_apologise(self: RemoteAction, output_channel: OutputChannel,
                           nlg: NaturalLanguageGenerator, tracker: DialogueStateTracker,
                           domain: Domain) -> list[Event]:
    try:
        return await _ORIGINAL_RUN(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except (RasaException, asyncio.TimeoutError, OSError) as exc:
        logger.error("custom action %s failed (%s): the visitor gets %s",
                     self.name(), type(exc).__name__, APOLOGY_RESPONSE)
        return await outage_events(self.name(), output_channel, nlg, tracker)


def install() -> None:
    if RemoteAction.run is not run_or_apologise:
        RemoteAction.run = run_or_apologise  # type: ignore[method-assign]


def uninstall() -> None:
    RemoteAction.run = _ORIGINAL_RUN  # type: ignore[method-assign]

