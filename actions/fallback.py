"""First stage of the two-stage fallback: offer the likeliest topics as buttons."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from sciaticalm.content import library

MAX_SUGGESTIONS = 3


def suggestions(intent_ranking: list[dict[str, Any]], menu: list[dict[str, str]]) -> list[dict]:
    """Buttons for the highest-ranked intents that have a menu label."""
    labels = {t["intent"]: t for t in menu}
    buttons = []
    for entry in intent_ranking:
        topic = labels.get(entry.get("name", ""))
        if topic and len(buttons) < MAX_SUGGESTIONS:
            buttons.append({"title": topic["label"], "payload": topic["payload"]})
    for topic in menu:  # fill up with the main topics when the ranking has too few
        if len(buttons) >= MAX_SUGGESTIONS:
            break
        button = {"title": topic["label"], "payload": topic["payload"]}
        if button not in buttons:
            buttons.append(button)
    buttons.append({"title": "Something else", "payload": "/out_of_scope"})
    return buttons


class ActionDefaultAskAffirmation(Action):
    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        dispatcher.utter_message(
            response="utter_did_you_mean",
            buttons=suggestions(ranking, library().menu["topics"]),
        )
        return []
