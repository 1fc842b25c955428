"""The widget's 👍/👎 feedback as Rasa logs it, and which answer it rates (pure logic).

The contract (docs/console.md, "Feedback"): a `user` event whose intent is
`feedback`, with the entities `feedback_rating` ("up"/"down"),
`feedback_comment` (optional) and `feedback_answer` (the first 300 characters of
the rated answer), followed by a `rewind` event. It rates the latest `bot`
event before it whose text starts with `feedback_answer`, else the latest bot
event before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FEEDBACK_INTENT = "feedback"
RATINGS = ("up", "down")


@dataclass(frozen=True)
class Feedback:
    """One rating of one answer."""

    event_id: int
    ts: float
    rating: str  # "up" | "down"
    comment: str
    answer: str


def is_feedback(data: dict[str, Any]) -> bool:
    """Whether a `user` event's data is a feedback message (never a visitor message)."""
    intent = ((data.get("parse_data") or {}).get("intent") or {}).get("name")
    if intent == FEEDBACK_INTENT:
        return True
    text = data.get("text")
    return isinstance(text, str) and text.startswith("/" + FEEDBACK_INTENT + "{")


def parse(event_id: int, ts: float, data: dict[str, Any]) -> Feedback | None:
    """The feedback in a feedback `user` event (None if it has no valid rating)."""
    values: dict[str, str] = {}
    for e in (data.get("parse_data") or {}).get("entities") or []:
        if isinstance(e, dict) and isinstance(e.get("entity"), str):
            value = e.get("value")
            values.setdefault(e["entity"], value if isinstance(value, str) else "")
    rating = values.get("feedback_rating", "")
    if rating not in RATINGS:
        return None
    return Feedback(event_id=event_id, ts=ts, rating=rating,
                    comment=values.get("feedback_comment", "")[:200],
                    answer=values.get("feedback_answer", "")[:300])


def rated_bot_event(feedback: Feedback, bots: list[tuple[int, str]]) -> int | None:
    """The id of the bot event rated: of `bots` (id, text) before the feedback, in
    log order, the latest whose text starts with the answer, else the latest."""
    before = [(i, text) for i, text in bots if i < feedback.event_id]
    if not before:
        return None
    if feedback.answer:
        for i, text in reversed(before):
            if text.startswith(feedback.answer):
                return i
    return before[-1][0]
