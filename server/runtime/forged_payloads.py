"""Visitors cannot type what only the system may say.

Rasa 3.6 reads a message written as `/intent{"entity": "value"}` as that intent
with those entities, with no NLU (RegexMessageHandler), on every channel. The
assistant's buttons use this form, but a visitor can type it too: typed into
the chat, `/red_flag{"triage_level":"emergency"}` set the triage slot and the
red-flag list, so the staff queue and the figures could be polluted at will.

This hook checks every parsed message, whatever the channel: a `/...` payload
whose intent only the red-flag detector may produce (SYSTEM_INTENTS), or whose
entities fill the triage or safety-screen slots (PROTECTED_ENTITIES), is kept
only if it is one of the button payloads the assistant offered in its latest
messages. Otherwise the intent becomes `nlu_fallback` (the assistant says it
did not understand) and the protected entities are dropped. Ordinary `/greet`
style payloads and free text are untouched: a warning sign written in words is
still detected by the NLU, as before.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import ENTITIES, INTENT_NAME_KEY

logger = logging.getLogger(__name__)

#: Intents that only server.nlu.red_flag_component sets from the visitor's words.
SYSTEM_INTENTS = frozenset({"red_flag", "safety_check", "safety_clear"})
#: Entities that fill the triage slots and the assessment's safety screen.
PROTECTED_ENTITIES = frozenset({"red_flag", "triage_level", "safety_question",
                                "emergency_screen", "urgent_screen"})
FALLBACK_INTENT = "nlu_fallback"
_ORIGINAL = MessageProcessor.parse_message


def _payload(text: str) -> tuple[str, dict[str, Any]] | None:
    """(intent, entities) of a `/intent{...}` payload, or None for other text."""
    text = (text or "").strip()
    if not text.startswith(INTENT_MESSAGE_PREFIX):
        return None
    match = YAMLStoryReader._regex_message_pattern().match(text)
    if not match:
        return None
    raw = match.group(ENTITIES)
    try:
        entities = json.loads(raw) if raw else {}
    except ValueError:
        entities = {}
    return match.group(INTENT_NAME_KEY).strip(), entities if isinstance(entities, dict) else {}


def offered_payloads(tracker: DialogueStateTracker | None) -> list[str]:
    """Button and quick-reply payloads of the bot messages since the visitor's last one."""
    if tracker is None:
        return []
    payloads: list[str] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            data = event.data or {}
            for key in ("buttons", "quick_replies"):
                for button in data.get(key) or []:
                    if isinstance(button, dict) and isinstance(button.get("payload"), str):
                        payloads.append(button["payload"].strip())
    return payloads


def _same_payload(text: str, offered: Iterable[str]) -> bool:
    text = text.strip()
    parsed = _payload(text)
    for payload in offered:
        if payload == text or (parsed is not None and _payload(payload) == parsed):
            return True
    return False


def guard(parse_data: dict[str, Any], text: str,
          tracker: DialogueStateTracker | None) -> dict[str, Any]:
    """`parse_data` with system-only intents and protected entities removed, unless
    the message is a payload the assistant offered as a button."""
    payload = _payload(text)
    intent = (parse_data.get("intent") or {}).get("name")
    if payload is None or intent != payload[0]:
        return parse_data  # free text (or an unknown intent): the NLU's own result
    entities = parse_data.get("entities") or []
    protected = [e for e in entities if e.get("entity") in PROTECTED_ENTITIES]
    if intent not in SYSTEM_INTENTS and not protected:
        return parse_data
    if _same_payload(text, offered_payloads(tracker)):
        return parse_data
    logger.warning("refused a typed payload: intent %s, %d protected entities",
                   intent if intent in SYSTEM_INTENTS else "(allowed)", len(protected))
    guarded = dict(parse_data)
    guarded["entities"] = [e for e in entities if e.get("entity") not in PROTECTED_ENTITIES]
    if intent in SYSTEM_INTENTS:
        guarded["intent"] = {"name": FALLBACK_INTENT, "confidence": 1.0}
        guarded["intent_ranking"] = [dict(guarded["intent"])]
    return guarded


async def parse_message(self: MessageProcessor, message: UserMessage,
                        tracker: DialogueStateTracker | None = None,
                        only_output_properties: bool = True) -> dict[str, Any]:
    parse_data = await _ORIGINAL(self, message, tracker, only_output_properties)
    return guard(parse_data, message.text or "", tracker)


def install() -> None:
    MessageProcessor.parse_message = parse_message  # type: ignore[method-assign]


def uninstall() -> None:
    MessageProcessor.parse_message = _ORIGINAL  # type: ignore[method-assign]
