"""Erasure of one visitor and purge by age (both audited).

Events are deleted from Rasa's own `events` table; the console's rows about
the same conversations (summary, search text, intents, review, tags, notes)
go with them, in the same transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from staff_console import audit, search
from staff_console import tables as t
from staff_console.refresh import lower_watermark_after_delete, refresh

PER_CONVERSATION = (t.conversations, t.search_text, t.conversation_intents, t.reviews,
                    t.conversation_tags, t.notes)
CHUNK = 500


@dataclass
class Deleted:
    conversations: int = 0
    events: int = 0


def _delete_console_rows(conn: Connection, senders: list[str]) -> None:
    search.delete_fts(conn, senders)
    for table in PER_CONVERSATION:
        conn.execute(table.delete().where(table.c.sender_id.in_(senders)))


def erase_visitor(engine: Engine, sender_id: str, actor: str) -> Deleted:
    """Delete every event and console row of one visitor (a data-subject request)."""
    refresh(engine)
    with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        events = conn.execute(t.events.delete().where(t.events.c.sender_id == sender_id)).rowcount
        had = conn.execute(sa.select(sa.func.count()).select_from(t.conversations)
                           .where(t.conversations.c.sender_id == sender_id)).scalar_one()
        _delete_console_rows(conn, [sender_id])
        lower_watermark_after_delete(conn)
        audit.record(conn, actor, "erase", sender_id, events=events)
    return Deleted(conversations=int(had or events > 0), events=events)


def purge(engine: Engine, older_than_days: float, actor: str = "cli",
          now: float | None = None) -> Deleted:
    """Delete conversations whose last activity is older than the cut-off.

    Safe to run on a schedule: it only removes what is past the cut-off, in
    chunks, and a conversation that became active again since the summary was
    refreshed keeps its newer events (only ids up to the summary's last event
    are deleted; the rest form a new conversation).
    """
    now = time.time() if now is None else now
    cutoff = now - older_than_days * 86_400
    refresh(engine)
    total = Deleted()
    c = t.conversations.c
    while True:
        with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
            batch = conn.execute(
                sa.select(c.sender_id, c.last_event_id).where(c.last_ts < cutoff)
                .order_by(c.last_ts).limit(CHUNK)
            ).all()
            if not batch:
                lower_watermark_after_delete(conn)
                audit.record(conn, actor, "purge", None, older_than_days=older_than_days,
                             cutoff=cutoff, conversations=total.conversations,
                             events=total.events)
                return total
            for sender, last_id in batch:
                total.events += conn.execute(t.events.delete().where(
                    t.events.c.sender_id == sender, t.events.c.id <= last_id)).rowcount
            _delete_console_rows(conn, [s for s, _ in batch])
            total.conversations += len(batch)
