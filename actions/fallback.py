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


# What the assistant does when it did not understand (the two-stage fallback, the scope
# statement): a turn ending in one of these was a miss.
MISS_ACTIONS = {"action_default_ask_affirmation", "action_default_fallback", "utter_default",
                "action_out_of_scope", "utter_ask_rephrase", "action_default_ask_rephrase"}


def missed_last_turn(events: list[dict[str, Any]]) -> bool:
    """Whether the assistant's answer to the visitor's previous message was a miss."""
    users = 0
    last_action = None
    for event in reversed(events):
        if event.get("event") == "user":
            users += 1
            if users == 2:
                return last_action in MISS_ACTIONS
            last_action = None
        elif event.get("event") == "action" and users == 1 and last_action is None:
            name = event.get("name")
            if name not in ("action_listen", None):
                last_action = name
    return False


def second_miss_offer(menu: dict[str, Any]) -> dict[str, Any]:
    """Text and buttons for a second miss in a row: the assessment or a person."""
    spec = menu["second_miss"]
    topics = {t["intent"]: t for t in menu["topics"]}
    return {"text": spec["text"],
            "buttons": [{"title": topics[i]["label"], "payload": topics[i]["payload"]}
                        for i in spec["offer"]]}


class ActionDefaultAskAffirmation(Action):
    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        menu = library().menu
        if missed_last_turn(tracker.events):
            dispatcher.utter_message(**second_miss_offer(menu))
            return []
        ranking = tracker.latest_message.get("intent_ranking") or []
        dispatcher.utter_message(
            response="utter_did_you_mean",
            buttons=suggestions(ranking, menu["topics"]),
        )
        return []
