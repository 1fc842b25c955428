"""Feedback on an answer is logged, never answered, and leaves the dialogue as it was.

A `/feedback{...}` message (sciaticalm/feedback.py) does not go through NLU or the
policies: under the conversation's lock (Agent.handle_message holds it around the
processor) this appends to the tracker the visitor's `user` event with intent
`feedback` and the rating, comment and rated answer as entities, then `rewind`
(UserUtteranceReverted, so policies never see it) and `action_listen` (Rasa's rewind
also drops the listen before the message; this puts the conversation back exactly as
it was waiting), saves it and replies nothing. So it works whether or not the model
knows the intent, and a feedback payload can set no slot. The admission pipeline has
already refused malformed feedback with the usual 400 / polite answer; one that
reaches Rasa another way is dropped here, unlogged.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event, UserUtteranceReverted, UserUttered

from sciaticalm.feedback import INTENT, Feedback, is_feedback, parse_feedback

logger = logging.getLogger(__name__)
_ORIGINAL = MessageProcessor.handle_message


def feedback_events(feedback: Feedback, message: UserMessage) -> list[Event]:
    """The events one feedback message adds to its conversation."""
    intent = {"name": INTENT, "confidence": 1.0}
    entities = feedback.entities()
    text = feedback.payload()
    parse_data: dict[str, Any] = {"text": text, "intent": intent, "entities": entities,
                                  "intent_ranking": [intent], "message_id": message.message_id,
                                  "metadata": message.metadata or {}}
    return [UserUttered(text, intent, entities, parse_data, input_channel=message.input_channel,
                        message_id=message.message_id, metadata=message.metadata or {}),
            UserUtteranceReverted(), ActionExecuted(ACTION_LISTEN_NAME)]


async def handle_message(self: MessageProcessor, message: UserMessage
                         ) -> list[dict[str, Any]] | None:
    if not is_feedback(message.text):
        return await _ORIGINAL(self, message)
    feedback = parse_feedback(message.text or "")
    if isinstance(feedback, str):
        logger.warning("dropped malformed feedback for %s (%s)", message.sender_id, feedback)
    else:
        tracker = await self.fetch_tracker_and_update_session(
            message.sender_id, message.output_channel, message.metadata)
        tracker.update_with_events(feedback_events(feedback, message), self.domain)
        await self.save_tracker(tracker)
    return [] if isinstance(message.output_channel, CollectingOutputChannel) else None


def install() -> None:
    MessageProcessor.handle_message = handle_message  # type: ignore[method-assign]


def uninstall() -> None:
    MessageProcessor.handle_message = _ORIGINAL  # type: ignore[method-assign]
