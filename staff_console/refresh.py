"""Incremental maintenance of the conversation summary.

The console remembers the highest `events.id` it has folded (the watermark in
`console_state`). A refresh reads only the events above it, in id order, folds
them into the summaries of the conversations they belong to and moves the
watermark, all in one transaction. Ids skipped inside a batch (on PostgreSQL,
sequence values of transactions not yet committed) are remembered in
`console_pending_event` and re-read by later refreshes until they show up or
expire.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from staff_console import search
from staff_console import tables as t
from staff_console.db import has_events_table
from staff_console.summary import Summary, fold, parse_data

log = logging.getLogger(__name__)

WATERMARK = "events_watermark"
BATCH = 5_000
PENDING_TTL = 600.0
MAX_PENDING = 10_000
CHUNK = 500

_lock = threading.Lock()
_events_table_seen: set[str] = set()  # engine URLs where Rasa's table exists


@dataclass
class RefreshResult:
    events: int = 0
    conversations: int = 0
    watermark: int = 0


def get_watermark(conn: Connection) -> int:
    value = conn.execute(
        sa.select(t.state.c.value).where(t.state.c.key == WATERMARK)
    ).scalar()
    return int(value) if value is not None else 0


def set_watermark(conn: Connection, value: int) -> None:
    updated = conn.execute(
        t.state.update().where(t.state.c.key == WATERMARK).values(value=str(value))
    ).rowcount
    if not updated:
        conn.execute(t.state.insert().values(key=WATERMARK, value=str(value)))


def _upsert(conn: Connection, table: sa.Table, rows: list[dict], keys: list[str],
            update: dict[str, sa.sql.ClauseElement] | None = None) -> None:
    """INSERT ... ON CONFLICT DO UPDATE on SQLite and PostgreSQL."""
    if not rows:
        return
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table)
    if update is None:
        update = {c.name: stmt.excluded[c.name] for c in table.c if c.name not in keys}
    else:
        update = {k: v(stmt) if callable(v) else v for k, v in update.items()}
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=update), rows)


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _load(conn: Connection, senders: list[str]) -> dict[str, Summary]:
    found: dict[str, Summary] = {}
    for chunk in _chunks(senders):
        for row in conn.execute(
            sa.select(t.conversations).where(t.conversations.c.sender_id.in_(chunk))
        ):
            found[row.sender_id] = Summary.from_row(row)
    return found


def apply_events(conn: Connection, rows: list) -> int:
    """Fold event rows (id, sender_id, type_name, timestamp, data) into the summary."""
    if not rows:
        return 0
    senders = sorted({r.sender_id for r in rows})
    summaries = _load(conn, senders)
    for r in rows:
        s = summaries.get(r.sender_id)
        if s is None:
            s = summaries[r.sender_id] = Summary(sender_id=r.sender_id)
        fold(s, r.id, r.type_name, r.timestamp, parse_data(r.data))
    touched = list(summaries.values())
    _upsert(conn, t.conversations, [s.row() for s in touched], ["sender_id"])
    texts = [{"sender_id": s.sender_id, "body": "\n".join(s.new_text) + "\n"}
             for s in touched if s.new_text]
    _upsert(conn, t.search_text, texts, ["sender_id"],
            {"body": lambda st: t.search_text.c.body + st.excluded.body})
    search.sync_fts(conn, [row["sender_id"] for row in texts])
    intents = [{"sender_id": s.sender_id, "intent": name[:255], "count": n}
               for s in touched for name, n in s.new_intents.items()]
    _upsert(conn, t.conversation_intents, intents, ["sender_id", "intent"],
            {"count": lambda st: t.conversation_intents.c.count + st.excluded["count"]})
    return len(touched)


def _event_columns() -> list:
    e = t.events.c
    return [e.id, e.sender_id, e.type_name, e.timestamp, e.data]


def _record_gaps(conn: Connection, low: int, ids: list[int], now: float) -> None:
    """Remember ids in (low, max(ids)] that the batch did not contain."""
    if not ids:
        return
    present = set(ids)
    start = low + 1 if low else ids[0]
    missing = [i for i in range(start, ids[-1]) if i not in present]
    if not missing:
        return
    if len(missing) > MAX_PENDING:
        log.warning("%d ids skipped by one refresh; re-reading only the last %d",
                    len(missing), MAX_PENDING)
        missing = missing[-MAX_PENDING:]
    _upsert(conn, t.pending_events, [{"event_id": i, "seen_at": now} for i in missing],
            ["event_id"], {"seen_at": lambda st: t.pending_events.c.seen_at})


def _recheck_pending(conn: Connection, now: float) -> int:
    conn.execute(t.pending_events.delete().where(t.pending_events.c.seen_at < now - PENDING_TTL))
    pending = [r[0] for r in conn.execute(sa.select(t.pending_events.c.event_id))]
    if not pending:
        return 0
    rows = []
    for chunk in _chunks(pending):
        rows += conn.execute(
            sa.select(*_event_columns()).where(t.events.c.id.in_(chunk)).order_by(t.events.c.id)
        ).all()
    if rows:
        apply_events(conn, rows)
        found = [r.id for r in rows]
        for chunk in _chunks(found):
            conn.execute(t.pending_events.delete().where(t.pending_events.c.event_id.in_(chunk)))
    return len(rows)


def refresh_once(conn: Connection, batch: int = BATCH, now: float | None = None) -> RefreshResult:
    """Fold at most `batch` new events, in the caller's transaction."""
    now = time.time() if now is None else now
    if conn.dialect.name == "postgresql":
        # Serialise refreshes across processes (web server, CLI).
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7420017)"))
    watermark = get_watermark(conn)
    result = RefreshResult(watermark=watermark)
    result.events += _recheck_pending(conn, now)
    rows = conn.execute(
        sa.select(*_event_columns()).where(t.events.c.id > watermark)
        .order_by(t.events.c.id).limit(batch)
    ).all()
    if rows:
        result.conversations = apply_events(conn, rows)
        ids = [r.id for r in rows]
        _record_gaps(conn, watermark, ids, now)
        result.watermark = ids[-1]
        set_watermark(conn, ids[-1])
        result.events += len(rows)
    return result


def refresh(engine: Engine, budget: int | None = None, batch: int = BATCH,
            blocking: bool = True) -> RefreshResult:
    """Fold new events until none are left (or `budget` events were folded).

    With blocking=False, returns at once if another thread is refreshing.
    """
    total = RefreshResult()
    key = str(engine.url)
    if key not in _events_table_seen:
        if not has_events_table(engine):
            return total  # Rasa has not written anything yet
        _events_table_seen.add(key)
    if not _lock.acquire(blocking=blocking):
        return total
    try:
        while True:
            step = batch if budget is None else max(1, min(batch, budget - total.events))
            with engine.connect().execution_options(sqlite_immediate=True) as conn:
                with conn.begin():
                    r = refresh_once(conn, step)
            total.events += r.events
            total.conversations += r.conversations
            total.watermark = r.watermark
            if r.events < step or (budget is not None and total.events >= budget):
                return total
    finally:
        _lock.release()


def lower_watermark_after_delete(conn: Connection) -> None:
    """After deleting events, never leave the watermark above the highest id.

    SQLite (without AUTOINCREMENT) hands out max(id)+1 again, so ids above
    the remaining maximum will be reused by new events.
    """
    highest = conn.execute(sa.select(sa.func.max(t.events.c.id))).scalar() or 0
    if get_watermark(conn) > highest:
        set_watermark(conn, highest)


def rebuild(engine: Engine) -> RefreshResult:
    """Drop the summary and fold every event again (CLI `rebuild-summary`)."""
    with _lock, engine.connect().execution_options(sqlite_immediate=True) as conn:
        with conn.begin():
            for table in (t.conversations, t.search_text, t.conversation_intents,
                          t.pending_events):
                conn.execute(table.delete())
            if search.has_fts(conn):
                conn.execute(search.fts.delete())
            set_watermark(conn, 0)
    return refresh(engine)
