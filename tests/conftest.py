"""Shared fixtures (in the style of RasaHQ/rasa-demo): a dispatcher, a domain
and a tracker factory built with Tracker.from_dict."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))


def user_event(text: str, intent: str, confidence: float = 0.95,
               entities: list[dict] | None = None, channel: str = "rest") -> dict[str, Any]:
    return {
        "event": "user", "timestamp": time.time(), "text": text,
        "parse_data": {"text": text, "intent": {"name": intent, "confidence": confidence},
                       "entities": entities or [],
                       "intent_ranking": [{"name": intent, "confidence": confidence}]},
        "input_channel": channel,
    }


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    """Build a Tracker whose latest message is `text` with `intent`."""

    def make(
        text: str = "hi",
        intent: str = "greet",
        *,
        slots: dict[str, Any] | None = None,
        entities: list[dict] | None = None,
        confidence: float = 0.95,
        ranking: list[dict] | None = None,
        channel: str = "rest",
        events: list[dict] | None = None,
        active_loop: str | None = None,
    ) -> Tracker:
        latest = user_event(text, intent, confidence, entities, channel)
        if ranking is not None:
            latest["parse_data"]["intent_ranking"] = ranking
        all_events = [*(events or []), latest]
        return Tracker.from_dict({
            "sender_id": "test-visitor",
            "slots": {"disclaimer_shown": False, **(slots or {})},
            "latest_message": latest["parse_data"],
            "events": all_events,
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
            "latest_input_channel": channel,
        })

    return make


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("text") or "" for m in dispatcher.messages]
