"""Which visitor messages of a conversation need a look, and why (pure logic).

Reasons: low confidence, the two-stage fallback (`nlu_fallback`), out of scope,
a 👎 on the answer, an escalation (intent `red_flag` or a `triage_level` slot
set after it), and the messages around a safety question (the one that needed
it, intent `safety_check`, and the visitor's next message, the answer).
Feedback messages (staff_console/feedback.py) are never visitor messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sciaticalm.tiers import TIER_RANK
from staff_console import feedback as fb
from staff_console.summary import ESCALATION_INTENT, FALLBACK_INTENT, parse_data, top_intent

OUT_OF_SCOPE = "out_of_scope"
SAFETY_INTENT = "safety_check"
#: Reason key -> label shown in the Inbox.
REASONS = {
    "thumbs_down": "👎 feedback",
    "escalation": "escalation",
    "safety_question": "safety question asked",
    "fallback": "two-stage fallback",
    "low_confidence": "low confidence",
    "out_of_scope": "out of scope",
}


@dataclass
class Message:
    """One visitor message, with what the assistant answered and the ratings of it."""

    event_id: int
    sender_id: str
    ts: float
    text: str
    intent: str | None
    confidence: float | None
    entities: list[dict[str, Any]] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    feedback: list[fb.Feedback] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def add(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)

    @property
    def reason_labels(self) -> list[str]:
        return [REASONS[r] for r in REASONS if r in self.reasons]


def _entities(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"entity": e.get("entity"), "value": e.get("value")}
            for e in (data.get("parse_data") or {}).get("entities") or []
            if isinstance(e, dict)]


def messages(sender_id: str, rows: list[Any], low_confidence: float = 0.5) -> list[Message]:
    """Every visitor message of a conversation (rows: id, type_name, timestamp,
    data, ordered by id), reasons and ratings attached; feedback left out."""
    out: list[Message] = []
    bots: list[tuple[int, str]] = []
    answered: dict[int, int] = {}  # bot event id -> index in out
    ratings: list[fb.Feedback] = []
    after_safety = False
    for row in rows:
        data = parse_data(row.data)
        ts = float(row.timestamp if row.timestamp is not None else data.get("timestamp") or 0)
        if row.type_name == "user":
            if fb.is_feedback(data):
                rating = fb.parse(row.id, ts, data)
                if rating is not None:
                    ratings.append(rating)
                continue
            intent, conf = top_intent(data)
            m = Message(event_id=row.id, sender_id=sender_id, ts=ts,
                        text=str(data.get("text") or ""), intent=intent, confidence=conf,
                        entities=_entities(data))
            if conf is not None and conf < low_confidence:
                m.add("low_confidence")
            if intent == FALLBACK_INTENT:
                m.add("fallback")
            if intent == OUT_OF_SCOPE:
                m.add("out_of_scope")
            if intent == ESCALATION_INTENT:
                m.add("escalation")
            if intent == SAFETY_INTENT or after_safety:
                m.add("safety_question")
            after_safety = intent == SAFETY_INTENT
            out.append(m)
        elif row.type_name == "bot" and out:
            text = str(data.get("text") or "")
            bots.append((row.id, text))
            answered[row.id] = len(out) - 1
            out[-1].answers.append(text)
        elif (row.type_name == "slot" and data.get("name") == "triage_level"
              and data.get("value") in TIER_RANK and out):
            out[-1].add("escalation")
    for rating in ratings:
        index = answered.get(fb.rated_bot_event(rating, bots) or -1)
        if index is not None:
            out[index].feedback.append(rating)
            if rating.rating == "down":
                out[index].add("thumbs_down")
    return out


def needing_a_look(sender_id: str, rows: list[Any], low_confidence: float = 0.5
                   ) -> list[Message]:
    """The messages with at least one reason, newest first."""
    return newest_first([m for m in messages(sender_id, rows, low_confidence) if m.reasons])


def newest_first(items: list[Message]) -> list[Message]:
    return sorted(items, key=lambda m: (m.ts, m.event_id), reverse=True)
