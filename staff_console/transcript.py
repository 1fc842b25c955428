"""A conversation's transcript built from Rasa events (pure once rows are loaded)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from staff_console import tables as t
from staff_console.feedback import is_feedback
from staff_console.feedback import parse as parse_feedback
from staff_console.summary import (
    ASSESSMENT_LOOP,
    ESCALATION_INTENT,
    FALLBACK_INTENT,
    parse_data,
    top_intent,
)

TRIAGE_SLOTS = ("triage_level", "red_flags")
TRIAGE_ACTION_WORDS = ("escalat", "red_flag", "emergency", "triage")
HIDDEN_TYPES = ("user_featurization", "action_execution_rejected")


@dataclass
class Item:
    """One line of the transcript."""

    kind: str  # user | bot | action | slot | loop | event
    ts: float
    text: str = ""
    intent: str | None = None
    confidence: float | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    ranking: list[dict[str, Any]] = field(default_factory=list)
    channel: str | None = None
    name: str | None = None
    value: Any = None
    triage: bool = False
    low_confidence: bool = False
    fallback: bool = False
    #: The `events` row (annotations refer to it); not part of exports.
    event_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items()
               if v not in (None, "", [], False) and k != "event_id"}
        out["kind"], out["ts"] = self.kind, self.ts
        return out


@dataclass
class Session:
    number: int
    started: float | None
    items: list[Item] = field(default_factory=list)


def _entities(data: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for e in (data.get("parse_data") or {}).get("entities") or []:
        if isinstance(e, dict):
            out.append({"entity": e.get("entity"), "value": e.get("value"),
                        "extractor": e.get("extractor")})
    return out


def _ranking(data: dict[str, Any]) -> list[dict[str, Any]]:
    ranking = (data.get("parse_data") or {}).get("intent_ranking") or []
    return [{"name": r.get("name"), "confidence": r.get("confidence")}
            for r in ranking[:3] if isinstance(r, dict)]


def to_item(type_name: str, ts: float, data: dict[str, Any], low_confidence: float) -> Item | None:
    """Turn one event into a transcript item (None for bookkeeping events)."""
    if type_name == "user" and is_feedback(data):
        rating = parse_feedback(0, ts, data)
        return Item(kind="feedback", ts=ts, name=rating.rating if rating else "?",
                    text=rating.comment if rating else "")
    if type_name == "user":
        intent, conf = top_intent(data)
        return Item(
            kind="user", ts=ts, text=str(data.get("text") or ""), intent=intent,
            confidence=conf, entities=_entities(data), ranking=_ranking(data),
            channel=data.get("input_channel"), triage=intent == ESCALATION_INTENT,
            fallback=intent == FALLBACK_INTENT,
            low_confidence=conf is not None and conf < low_confidence,
        )
    if type_name == "bot":
        return Item(kind="bot", ts=ts, text=str(data.get("text") or ""))
    if type_name == "action":
        name = str(data.get("name") or "")
        if name in ("action_listen", "action_session_start"):
            return None
        return Item(kind="action", ts=ts, name=name,
                    triage=any(w in name for w in TRIAGE_ACTION_WORDS))
    if type_name == "slot":
        name = data.get("name")
        return Item(kind="slot", ts=ts, name=name, value=data.get("value"),
                    triage=name in TRIAGE_SLOTS and data.get("value") not in (None, []))
    if type_name == "active_loop":
        name = data.get("name")
        return Item(kind="loop", ts=ts, name=name,
                    text=f"form {name} started" if name else "form ended",
                    value=name == ASSESSMENT_LOOP)
    if type_name in HIDDEN_TYPES or type_name == "session_started":
        return None
    return Item(kind="event", ts=ts, name=type_name)


def build(rows: list[Any], low_confidence: float = 0.5) -> list[Session]:
    """Split events (ordered by id) into sessions of transcript items."""
    sessions: list[Session] = []
    for row in rows:
        data = parse_data(row.data)
        ts = float(row.timestamp if row.timestamp is not None else data.get("timestamp") or 0)
        if row.type_name == "session_started" or not sessions:
            if row.type_name == "session_started" and sessions and not sessions[-1].items:
                sessions[-1].started = ts
            else:
                sessions.append(Session(number=len(sessions) + 1, started=ts))
            if row.type_name == "session_started":
                continue
        item = to_item(row.type_name, ts, data, low_confidence)
        if item is not None:
            item.event_id = getattr(row, "id", None)
            sessions[-1].items.append(item)
    return sessions


def load_events(conn: Connection, sender_id: str) -> list[Any]:
    e = t.events.c
    return conn.execute(
        sa.select(e.id, e.type_name, e.timestamp, e.data)
        .where(e.sender_id == sender_id).order_by(e.id)
    ).all()


def load_many(conn: Connection, senders: list[str]) -> dict[str, list[Any]]:
    """Events of several conversations at once (exports), ordered by id."""
    e = t.events.c
    out: dict[str, list[Any]] = {s: [] for s in senders}
    if senders:
        for row in conn.execute(
            sa.select(e.id, e.sender_id, e.type_name, e.timestamp, e.data)
            .where(e.sender_id.in_(senders)).order_by(e.id)
        ):
            out[row.sender_id].append(row)
    return out
