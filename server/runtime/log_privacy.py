"""Visitor text never reaches the server log above debug level.

Rasa 3.6 logs through structlog, and some of its warning and error lines carry
what the visitor typed (`rest.message.received.timeout` logs the message at
ERROR). Rasa runs every structlog entry through `log_utils._anonymizer` first,
whose list of keys names exactly the fields that can hold visitor text; the
anonymisation itself is a Rasa Pro plugin. This hook puts our own processor in
that place: for entries logged at info level and above, each of those fields
becomes a placeholder that says only how long it was. Debug logs (`--debug`,
never on in production) keep the text for developers.

Rasa renders a logged exception with every frame's local variables
(structlog's `dict_tracebacks`), and those can hold slot values and messages;
this hook renders tracebacks without locals.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import rasa.utils.log_utils as log_utils
import structlog.processors
from structlog.tracebacks import ExceptionDictTransformer

REDACTED_KEYS = frozenset({
    "text", "response_text", "user_text", "slot_values", "parse_data_text",
    "parse_data_entities", "prediction_events", "tracker_latest_message", "prefilled_slots",
    "message", "response", "slot_candidates", "rasa_event", "rasa_events", "tracker_states",
    "current_states", "old_states", "successes", "current_entity", "next_entity", "states",
    "entity", "token_text", "user_message", "json_message", "metadata",
})
_ORIGINAL = log_utils._anonymizer
_ORIGINAL_TRACEBACKS = structlog.processors.dict_tracebacks
TRACEBACKS_WITHOUT_LOCALS = structlog.processors.ExceptionRenderer(
    ExceptionDictTransformer(show_locals=False))


def placeholder(value: object) -> str:
    size = len(value) if isinstance(value, str | bytes | list | dict) else None
    return "[redacted]" if size is None else f"[redacted: {size} chars]" if isinstance(
        value, str | bytes) else f"[redacted: {size} items]"


def redact(_logger: object, method_name: str,
           event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: blank the visitor-text fields unless logging at debug."""
    if method_name != "debug":
        for key in REDACTED_KEYS.intersection(event_dict):
            event_dict[key] = placeholder(event_dict[key])
    return event_dict


def install() -> None:
    """Take the place of Rasa's anonymiser before Rasa configures structlog."""
    log_utils._anonymizer = redact  # type: ignore[assignment]
    structlog.processors.dict_tracebacks = TRACEBACKS_WITHOUT_LOCALS


def uninstall() -> None:
    log_utils._anonymizer = _ORIGINAL
    structlog.processors.dict_tracebacks = _ORIGINAL_TRACEBACKS
