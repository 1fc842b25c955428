"""The SQLite conversation log shared with the staff console: wait, keep it
private, and never write back an erased conversation.

- Busy timeout: Rasa's tracker store opens SQLite with the driver's default
  5 s timeout; the console writes the same file (reviews, sign-ins, erasure),
  so Rasa's connections wait up to BUSY_TIMEOUT seconds instead (the console
  uses the same value, staff_console/db.py).
- WAL journal with synchronous=NORMAL (the console opens the file in WAL too).
- A pool of open connections: SQLAlchemy 1.4 gives a SQLite file a new connection
  per session (three per turn), each opening the file and reading the schema again.
- The file is created readable by its owner only (it holds health text and
  staff password hashes), or tightened if it exists.
- Erasure tombstones: the console records each erased visitor in
  `console_erasure` (a hash of the id and the time). A turn that was in flight
  when the erasure ran would otherwise save the whole tracker it loaded before
  it, putting the erased events back; this hook drops the events older than
  the erasure before saving (SQLite and PostgreSQL alike). On PostgreSQL the
  tombstone is read inside the save's own transaction (one query; SQLite needs
  a connection of its own, see `erased_at`).

PostgreSQL engines are left as Rasa and strict_store make them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import rasa.core.tracker_store as tracker_store
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine.url import make_url

logger = logging.getLogger(__name__)
BUSY_TIMEOUT = 30  # seconds
TOMBSTONES = "console_erasure"
LATEST_ERASURE = sa.text(f"SELECT MAX(erased_at) FROM {TOMBSTONES} WHERE sender_hash = :h")
TOMBSTONES_FOUND = "_sciaticalm_tombstones_found"  # store attribute: the table is readable
_ORIGINAL_ADDITIONAL = SQLTrackerStore._additional_events
_previous_kwargs: Any = None
_previous_additional: Any = None


def sender_hash(sender_id: str) -> str:
    """How the console names an erased visitor (never the id itself)."""
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()


def _private(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:
        pass


def engine_kwargs(url: Any) -> dict[str, Any]:
    assert _previous_kwargs is not None
    kwargs = dict(_previous_kwargs(url))
    parsed = make_url(str(url)) if not hasattr(url, "get_backend_name") else url
    if parsed.get_backend_name() == "sqlite":
        connect_args = dict(kwargs.get("connect_args") or {})
        connect_args.setdefault("timeout", BUSY_TIMEOUT)
        kwargs["connect_args"] = connect_args
        if parsed.database not in (None, "", ":memory:"):
            _private(Path(parsed.database))
            kwargs["creator"] = _connector(parsed.database)
            # One pool of open connections (SQLAlchemy 1.4 opens a new one per session
            # on a SQLite file): 6.0 -> 2.5 ms of store work per turn (docs/performance.md).
            kwargs["poolclass"] = sa.pool.QueuePool
    return kwargs


def _connector(database: str) -> Any:
    """Connections in WAL mode (as the console opens the file) with synchronous=NORMAL:
    a commit no longer waits for the disk (2.3 ms each, two per turn); a committed
    turn survives a crash of any process, though not a power cut (docs/deployment.md)."""
    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(database, timeout=BUSY_TIMEOUT, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    return connect


def erased_at(engine: sa.engine.Engine, sender_id: str) -> float | None:
    """When this visitor was erased by the console, if ever (None without the table).

    Read on a connection of its own, outside Rasa's session: a read inside that
    session's transaction would hold SQLite's shared lock into the insert that
    follows, and SQLite refuses such an upgrade at once when another connection
    is writing (no busy wait), so the save would fail.
    """
    try:
        with engine.connect() as conn:
            return conn.execute(LATEST_ERASURE, {"h": sender_hash(sender_id)}).scalar()
    except sa.exc.DBAPIError:  # no console tables in this database
        return None


def erased_at_in_session(store: SQLTrackerStore, session: Any, sender_id: str
                         ) -> float | None:
    """`erased_at` on PostgreSQL, inside the save's transaction: a checkout, a ping
    and a rollback fewer per save than a connection of its own, and no failed
    statement where the console has not created its tables or Rasa's role may not
    read them (both: no tombstones, as before). Once the table has been seen readable
    it is read without that check; if it then fails (dropped while Rasa runs), this
    save fails, the channel answers 503 and the next save checks again."""
    if not getattr(store, TOMBSTONES_FOUND, False):
        readable = session.execute(sa.text(
            "SELECT CASE WHEN to_regclass(:t) IS NULL THEN false "
            "ELSE has_table_privilege(:t, 'SELECT') END"), {"t": TOMBSTONES}).scalar()
        if not readable:
            return None
        setattr(store, TOMBSTONES_FOUND, True)
    try:
        return session.execute(LATEST_ERASURE, {"h": sender_hash(sender_id)}).scalar()
    except sa.exc.DBAPIError:
        setattr(store, TOMBSTONES_FOUND, False)
        raise


def additional_events(self: SQLTrackerStore, session: Any, tracker: DialogueStateTracker
                      ) -> Iterator:
    """Rasa's new events, without those older than an erasure of this visitor."""
    events = (_previous_additional or _ORIGINAL_ADDITIONAL)(self, session, tracker)
    if self.engine.dialect.name == "postgresql":
        cut = erased_at_in_session(self, session, tracker.sender_id)
    else:
        cut = erased_at(self.engine, tracker.sender_id)
    if cut is None:
        return events
    kept = [e for e in events if (e.timestamp or 0) > cut]
    logger.info("conversation erased while a turn was in flight: older events not saved")
    return iter(kept)


def install() -> None:
    global _previous_kwargs, _previous_additional
    if _previous_kwargs is None:
        _previous_kwargs = tracker_store.create_engine_kwargs
        tracker_store.create_engine_kwargs = engine_kwargs
    if SQLTrackerStore._additional_events is not additional_events:
        _previous_additional = SQLTrackerStore._additional_events  # bounded_store's
    SQLTrackerStore._additional_events = additional_events  # type: ignore[method-assign]


def uninstall() -> None:
    global _previous_kwargs, _previous_additional
    if _previous_kwargs is not None:
        tracker_store.create_engine_kwargs = _previous_kwargs
        _previous_kwargs = None
    SQLTrackerStore._additional_events = (  # type: ignore[method-assign]
        _previous_additional or _ORIGINAL_ADDITIONAL)
    _previous_additional = None
