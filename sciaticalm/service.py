"""What a channel answers when it cannot pass a message on to the assistant (pure logic).

Used by the input channels (REST, partner, socket.io) for input they refuse
(too long, too fast, unreadable) and for a turn that failed because a part of
the system is down (PostgreSQL, Redis, the NLU model). Safety first: even then,
a message with red-flag signs gets the escalation, found by the same detector
the assistant uses (`sciaticalm.triage.detector`), with the same text as
domain.yml's `utter_escalate` (`sciaticalm.render.escalation_text`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from sciaticalm.content import CONTENT_DIR, Library, library
from sciaticalm.render import escalation_text, fill

SERVICE_FILE = CONTENT_DIR / "service.yml"
MAX_MESSAGE_CHARS = 5_000


@lru_cache(maxsize=1)
def _messages() -> dict[str, Any]:
    return yaml.safe_load(SERVICE_FILE.read_text(encoding="utf-8"))


def service_text(key: str, channel: str | None = "rest", lib: Library | None = None) -> str:
    """One of content/service.yml's messages, with its numbers filled in."""
    text = _messages()[key]["text"].replace("{max_chars}", f"{MAX_MESSAGE_CHARS:,}")
    return fill(text, lib or library(), channel)


def service_message(key: str, channel: str | None = "rest") -> dict[str, Any]:
    """The message as a channel sends it (Rasa's bot message shape)."""
    return {"text": service_text(key, channel),
            "custom": {"sciaticalm": {"kind": "service", "reason": key}}}


def escalation_message(level: str, channel: str | None = "rest",
                       lib: Library | None = None) -> dict[str, Any]:
    """The escalation as `utter_escalate` would send it, marked as sent in degraded mode."""
    lib = lib or library()
    calls = []
    if level == "emergency":
        calls.append({"label": f"Call {lib.contact['emergency']['display']}",
                      "tel": lib.contact["emergency"]["tel"]})
    calls.append({"label": f"Call {lib.contact['helpline']['display']}",
                  "tel": lib.contact["helpline"]["tel"]})
    return {"text": escalation_text(level, lib, channel),
            "custom": {"sciaticalm": {"kind": "escalation", "level": level, "calls": calls,
                                      "degraded": True}}}


def red_flag_level(text: str) -> str | None:
    """The triage level of `text` ("emergency", "urgent") or None; never raises."""
    try:
        from sciaticalm.triage.detector import default_detector

        return default_detector().detect(text).level
    except Exception:  # the detector failing must not turn an outage into a crash
        return None


def outage_reply(text: str | None, channel: str | None = "rest") -> list[dict[str, Any]]:
    """What to send when the turn failed: the escalation first if the message has
    red-flag signs, then the apology asking to send it again."""
    messages: list[dict[str, Any]] = []
    level = red_flag_level(text) if text else None
    if level:
        messages.append(escalation_message(level, channel))
    messages.append(service_message("unavailable", channel))
    return messages
