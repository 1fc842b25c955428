"""Per-conversation summary, folded from Rasa events (pure logic, no database).

A conversation is one Rasa tracker (sender_id). `fold` applies one event to a
`Summary`; the refresher in `refresh.py` feeds it the events that arrived
since the last refresh, so no page view ever scans the whole `events` table.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sciaticalm.tiers import TIER_RANK, tier_rank

TRIAGE_NAME = {1: "urgent", 2: "emergency"}
ESCALATION_INTENT = "red_flag"
FALLBACK_INTENT = "nlu_fallback"
ASSESSMENT_LOOP = "assessment_form"
PREVIEW_CHARS = 200
SECONDS_PER_DAY = 86_400


def day_of(ts: float) -> int:
    """Days since 1970-01-01 (UTC) of a Unix timestamp."""
    return int(ts // SECONDS_PER_DAY)


@dataclass
class Summary:
    """What the console keeps about one conversation."""

    sender_id: str
    first_ts: float = 0.0
    last_ts: float = 0.0
    last_event_id: int = 0
    channel: str | None = None
    turns: int = 0
    bot_turns: int = 0
    sessions: int = 0
    triage_rank: int = 0
    red_flags: list[str] = field(default_factory=list)
    fallback_turns: int = 0
    min_confidence: float | None = None
    assessment_started: bool = False
    assessment_complete: bool = False
    preview: str = ""
    # Deltas produced by this fold, written by the refresher:
    new_text: list[str] = field(default_factory=list)
    new_intents: Counter[str] = field(default_factory=Counter)
    seen: bool = False

    @property
    def first_day(self) -> int:
        return day_of(self.first_ts)

    @property
    def triage_level(self) -> str | None:
        return TRIAGE_NAME.get(self.triage_rank)

    def row(self) -> dict[str, Any]:
        """Column values for `console_conversation`."""
        return {
            "sender_id": self.sender_id,
            "first_ts": self.first_ts,
            "last_ts": self.last_ts,
            "first_day": self.first_day,
            "last_event_id": self.last_event_id,
            "channel": self.channel,
            "turns": self.turns,
            "bot_turns": self.bot_turns,
            "sessions": self.sessions,
            "triage_rank": self.triage_rank,
            "red_flags": ",".join(self.red_flags)[:1000],
            "fallback_turns": self.fallback_turns,
            "min_confidence": self.min_confidence,
            "assessment_started": self.assessment_started,
            "assessment_complete": self.assessment_complete,
            "preview": self.preview,
        }

    @classmethod
    def from_row(cls, row: Any) -> Summary:
        m = row._mapping if hasattr(row, "_mapping") else row
        return cls(
            sender_id=m["sender_id"], first_ts=m["first_ts"], last_ts=m["last_ts"],
            last_event_id=m["last_event_id"], channel=m["channel"], turns=m["turns"],
            bot_turns=m["bot_turns"], sessions=m["sessions"], triage_rank=m["triage_rank"],
            red_flags=[f for f in (m["red_flags"] or "").split(",") if f],
            fallback_turns=m["fallback_turns"], min_confidence=m["min_confidence"],
            assessment_started=bool(m["assessment_started"]),
            assessment_complete=bool(m["assessment_complete"]),
            preview=m["preview"] or "", seen=True,
        )


def parse_data(raw: str | None) -> dict[str, Any]:
    """The event's JSON as a dict ({} if missing or malformed)."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    if "\\u0000" in raw:  # PostgreSQL text cannot hold NUL: the summary drops them
        value = _without_nul(value)
    return value if isinstance(value, dict) else {}


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def top_intent(data: dict[str, Any]) -> tuple[str | None, float | None]:
    """Intent name and confidence of a `user` event's parse_data."""
    intent = (data.get("parse_data") or {}).get("intent") or {}
    name = intent.get("name")
    conf = intent.get("confidence")
    return (name if isinstance(name, str) else None,
            float(conf) if isinstance(conf, int | float) else None)


def triage_rank_of_flags(flags: list[str]) -> int:
    """A red flag recorded without a triage level counts as urgent at least."""
    return TIER_RANK["urgent"] if flags else 0


def fold(s: Summary, event_id: int, type_name: str, timestamp: float | None,
         data: dict[str, Any]) -> None:
    """Apply one Rasa event to the summary."""
    ts = float(timestamp if timestamp is not None else data.get("timestamp") or 0.0)
    if not s.seen:
        s.first_ts = s.last_ts = ts
        s.seen = True
    else:
        s.first_ts = min(s.first_ts, ts)
        s.last_ts = max(s.last_ts, ts)
    s.last_event_id = max(s.last_event_id, event_id)

    if type_name == "user":
        s.turns += 1
        channel = data.get("input_channel")
        if channel and not s.channel:
            s.channel = str(channel)[:64]
        intent, conf = top_intent(data)
        if intent:
            s.new_intents[intent] += 1
        if intent == FALLBACK_INTENT:
            s.fallback_turns += 1
        if conf is not None:
            s.min_confidence = conf if s.min_confidence is None else min(s.min_confidence, conf)
        text = data.get("text")
        if isinstance(text, str) and text:
            s.new_text.append(text.lower())
            if not s.preview:
                s.preview = text[:PREVIEW_CHARS]
    elif type_name == "bot":
        s.bot_turns += 1
    elif type_name == "session_started":
        s.sessions += 1
    elif type_name == "slot":
        _fold_slot(s, data.get("name"), data.get("value"))
    elif type_name == "active_loop" and data.get("name") == ASSESSMENT_LOOP:
        s.assessment_started = True


def _fold_slot(s: Summary, name: Any, value: Any) -> None:
    if name == "triage_level" and isinstance(value, str):
        s.triage_rank = max(s.triage_rank, tier_rank(value))
    elif name == "red_flags" and isinstance(value, list):
        for flag in value:
            if isinstance(flag, str) and flag and flag not in s.red_flags:
                s.red_flags.append(flag.replace(",", " ")[:64])
        s.triage_rank = max(s.triage_rank, triage_rank_of_flags(s.red_flags))
    elif name == "assessment_complete" and value is True:
        s.assessment_complete = True
