"""Reviewers' annotations of visitor messages, and conversations saved as tests.

Stored in the console's own tables (`console_annotation`, `console_saved_test`),
with who and when; every change is audited. Rasa's `events` rows are read, never
changed: an edited example text lives in the annotation.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from staff_console import audit
from staff_console import feedback as fb
from staff_console import tables as t
from staff_console.export import strip_controls
from staff_console.summary import parse_data, top_intent

#: "" nothing to say; a missed warning sign of a tier; "none": a false escalation.
TRIAGE_CHOICES = ("", "emergency", "urgent", "none")
TRIAGE_LABELS = {"emergency": "missed emergency sign", "urgent": "missed urgent sign",
                 "none": "false escalation"}
MAX_TEXT = 2_000
MAX_ENTITIES = 20


class AnnotationError(ValueError):
    pass


@dataclass
class Annotation:
    event_id: int
    sender_id: str
    original_text: str
    predicted_intent: str | None
    intent: str | None
    triage: str
    not_useful: bool
    edited_text: str | None
    created_by: str
    created_at: float
    updated_by: str
    updated_at: float
    entities: list[dict[str, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The example text: the reviewer's edit, else the visitor's text as logged."""
        return self.edited_text if self.edited_text is not None else self.original_text

    @property
    def verdict(self) -> str:
        """How the intent was judged: "confirmed", "corrected" or ""."""
        if not self.intent:
            return ""
        return "confirmed" if self.intent == self.predicted_intent else "corrected"

    @property
    def triage_label(self) -> str:
        return TRIAGE_LABELS.get(self.triage, "")

    @classmethod
    def from_row(cls, r: Any) -> Annotation:
        try:
            entities = json.loads(r.entities) if r.entities else []
        except ValueError:
            entities = []
        return cls(event_id=r.event_id, sender_id=r.sender_id, original_text=r.original_text,
                   predicted_intent=r.predicted_intent, intent=r.intent, triage=r.triage or "",
                   not_useful=bool(r.not_useful), edited_text=r.edited_text,
                   created_by=r.created_by, created_at=r.created_at, updated_by=r.updated_by,
                   updated_at=r.updated_at, entities=entities)


def for_senders(conn: Connection, senders: list[str]) -> dict[int, Annotation]:
    """Annotations of these conversations, by event id."""
    if not senders:
        return {}
    a = t.annotations.c
    return {r.event_id: Annotation.from_row(r) for r in conn.execute(
        sa.select(t.annotations).where(a.sender_id.in_(senders)))}


def all_annotations(conn: Connection) -> list[Annotation]:
    """Every annotation, oldest first (exports)."""
    a = t.annotations.c
    return [Annotation.from_row(r) for r in conn.execute(
        sa.select(t.annotations).order_by(a.updated_at, a.id))]


def parse_entities(raw: str) -> list[dict[str, str]]:
    """`entity=value` lines (blank lines ignored) as entity dicts."""
    out = []
    for line in raw.splitlines():
        line = line.strip()
        if not line:
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise AnnotationError(f"Entities: write one entity=value a line ({line[:40]!r}).")
        out.append({"entity": name.strip(), "value": value.strip()})
    return out


def _visitor_message(conn: Connection, sender_id: str, event_id: int) -> dict[str, Any]:
    e = t.events.c
    row = conn.execute(sa.select(e.type_name, e.data).where(
        e.id == event_id, e.sender_id == sender_id)).first()
    data = parse_data(row.data) if row is not None else {}
    if row is None or row.type_name != "user" or fb.is_feedback(data):
        raise AnnotationError("No such visitor message in this conversation.")
    return data


def annotate(conn: Connection, sender_id: str, event_id: int, actor: str, *,
             intent: str, entities: list[dict[str, str]], triage: str, not_useful: bool,
             text: str, intents: list[str], entity_names: list[str]) -> Annotation:
    """Create or update the annotation of one visitor message (audited).

    `intent` "" leaves it unset; `text` is the example text (the visitor's own
    text, or the reviewer's edit of it); `intents` / `entity_names` are what
    may be chosen (staff_console/intents.py).
    """
    data = _visitor_message(conn, sender_id, event_id)
    original = str(data.get("text") or "")
    predicted, _conf = top_intent(data)
    if intent and intent not in intents:
        raise AnnotationError(f"Intent {intent[:60]!r} is not offered for training.")
    if triage not in TRIAGE_CHOICES:
        raise AnnotationError("Unknown warning-sign verdict.")
    text = strip_controls(text).strip()
    if not text:
        raise AnnotationError("The example text is empty.")
    if len(text) > MAX_TEXT:
        raise AnnotationError(f"The example text is limited to {MAX_TEXT} characters.")
    edited = None if text == strip_controls(original).strip() else text
    if len(entities) > MAX_ENTITIES:
        raise AnnotationError(f"At most {MAX_ENTITIES} entities.")
    for ent in entities:
        if ent["entity"] not in entity_names:
            raise AnnotationError(f"Unknown entity {ent['entity'][:60]!r}.")
        if ent["value"] not in text:
            raise AnnotationError(f"Entity value {ent['value'][:60]!r} is not in the text.")
    a = t.annotations.c
    now = time.time()
    values = {"intent": intent or None, "entities": json.dumps(entities) if entities else None,
              "triage": triage, "not_useful": not_useful, "edited_text": edited,
              "updated_by": actor, "updated_at": now}
    before = conn.execute(sa.select(t.annotations).where(a.event_id == event_id)).first()
    if before is None:
        conn.execute(t.annotations.insert().values(
            event_id=event_id, sender_id=sender_id, original_text=original,
            predicted_intent=predicted, created_by=actor, created_at=now, **values))
    else:
        conn.execute(t.annotations.update().where(a.event_id == event_id).values(**values))
    # The audit names what changed, never the visitor's text or the edit.
    changes: dict[str, Any] = {"intent": intent or None, "triage": triage or None,
                               "not_useful": not_useful, "entities": len(entities),
                               "text_edited": edited is not None}
    if intent:
        changes["verdict"] = "confirmed" if intent == predicted else "corrected"
    audit.record(conn, actor, "annotate", sender_id, event=event_id, **changes)
    row = conn.execute(sa.select(t.annotations).where(a.event_id == event_id)).one()
    return Annotation.from_row(row)


def clear(conn: Connection, sender_id: str, event_id: int, actor: str) -> bool:
    a = t.annotations.c
    deleted = conn.execute(t.annotations.delete().where(
        a.event_id == event_id, a.sender_id == sender_id)).rowcount
    if deleted:
        audit.record(conn, actor, "annotate_clear", sender_id, event=event_id)
    return bool(deleted)


def set_saved_test(conn: Connection, sender_id: str, actor: str, saved: bool = True) -> None:
    s = t.saved_tests.c
    conn.execute(t.saved_tests.delete().where(s.sender_id == sender_id))
    if saved:
        conn.execute(t.saved_tests.insert().values(sender_id=sender_id, saved_by=actor,
                                                   saved_at=time.time()))
    audit.record(conn, actor, "save_test" if saved else "unsave_test", sender_id)


def saved_test(conn: Connection, sender_id: str) -> Any:
    s = t.saved_tests.c
    return conn.execute(sa.select(t.saved_tests).where(s.sender_id == sender_id)).first()


def saved_senders(conn: Connection) -> list[str]:
    s = t.saved_tests.c
    return [r[0] for r in conn.execute(sa.select(s.sender_id).order_by(s.saved_at, s.sender_id))]
