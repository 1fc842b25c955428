"""Erasure of one visitor and purge by age (both audited).

Events are deleted from Rasa's own `events` table; the console's rows about
the same conversations (summary, search text, intents, review, tags, notes,
annotations, conversations saved as tests) go with them, in the same transaction.

Erasure also leaves nothing readable behind (docs/console.md, "Security"):
the audit log names the visitor by a hash from then on, search terms that
matched the visitor's text are blanked, a tombstone stops a turn in flight from
writing the events back (read by server/runtime/sqlite_store.py), and on
SQLite the deleted content is zeroed (secure_delete, staff_console/db.py), the
search index merged, and the write-ahead log checkpointed and truncated.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from staff_console import audit, search
from staff_console import tables as t
from staff_console.refresh import lower_watermark_after_delete, refresh

PER_CONVERSATION = (t.conversations, t.search_text, t.conversation_intents, t.reviews,
                    t.conversation_tags, t.notes, t.annotations, t.saved_tests)
CHUNK = 500
logger = logging.getLogger(__name__)


def sender_hash(sender_id: str) -> str:
    """SHA-256 of a visitor id (as server.runtime.sqlite_store computes it)."""
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()


def erased_name(sender_id: str) -> str:
    """How the audit log names an erased visitor: not the id, but still the same
    name for every entry about them (an auditor can match them up)."""
    return "erased:" + sender_hash(sender_id)[:16]


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
    name = erased_name(sender_id)
    with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
        conn.execute(t.erasures.insert().values(sender_hash=sender_hash(sender_id),
                                                erased_at=time.time()))
        body = conn.execute(sa.select(t.search_text.c.body).where(
            t.search_text.c.sender_id == sender_id)).scalar() or ""
        events = conn.execute(t.events.delete().where(t.events.c.sender_id == sender_id)).rowcount
        had = conn.execute(sa.select(sa.func.count()).select_from(t.conversations)
                           .where(t.conversations.c.sender_id == sender_id)).scalar_one()
        _delete_console_rows(conn, [sender_id])
        lower_watermark_after_delete(conn)
        _redact_audit(conn, sender_id, name, body)
        audit.record(conn, actor, "erase", name, events=events)
    scrub_files(engine)
    return Deleted(conversations=int(had or events > 0), events=events)


def _redact_audit(conn: Connection, sender_id: str, name: str, body: str) -> None:
    """The audit log keeps what staff did, but not the erased visitor's id or text:
    entries about them name the hash, and search terms their text matched go."""
    a = t.audit_log.c
    conn.execute(t.audit_log.update().where(a.target == sender_id).values(target=name))
    for row in conn.execute(sa.select(a.id, a.detail).where(a.detail.is_not(None))).all():
        try:
            detail = json.loads(row.detail)
        except ValueError:
            continue
        changed = _redact_detail(detail, sender_id, body)
        if changed:
            conn.execute(t.audit_log.update().where(a.id == row.id).values(
                detail=json.dumps(detail, sort_keys=True, default=str)))


def _redact_detail(detail: object, sender_id: str, body: str) -> bool:
    changed = False
    if isinstance(detail, dict):
        for key, value in list(detail.items()):
            if isinstance(value, str) and value and (
                    sender_id in value or (key == "q" and value.lower() in body)):
                detail[key] = "[erased]"
                changed = True
            else:
                changed |= _redact_detail(value, sender_id, body)
    elif isinstance(detail, list):
        for value in detail:
            changed |= _redact_detail(value, sender_id, body)
    return changed


def scrub_files(engine: Engine) -> None:
    """SQLite: merge the search index (deleted rows leave its segments) and move the
    write-ahead log into the file, truncated, so no old page copy stays readable.

    Best effort: a checkpoint waits for readers (Rasa's) to finish and is retried;
    if one never finishes it completes at the next erasure or checkpoint.
    """
    if engine.dialect.name != "sqlite":
        return
    from staff_console import search

    with engine.connect() as conn:
        fts = search.has_fts(conn)
    raw = engine.raw_connection()  # autocommit: a checkpoint inside a transaction stalls
    try:
        cur = raw.cursor()
        if fts:
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}) "
                        "VALUES ('optimize')")
            cur.execute("COMMIT")
        for attempt in range(10):
            busy = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return
            time.sleep(0.1 * (attempt + 1))
    finally:
        raw.close()
    logger.warning("erasure: the write-ahead log could not be truncated yet (readers busy)")


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
