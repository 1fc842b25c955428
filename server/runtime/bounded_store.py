"""Each turn reads a bounded window of the conversation, not the whole session.

Rasa's SQL tracker store rebuilds the tracker from every event of the current
session on every turn, then the policies build their states from all of them,
the action server is sent all of them and the save counts them again: a turn's
cost grew with the conversation's length (×5 over 300 turns, docs/performance.md).

This hook loads, for a session longer than WINDOW_EVENTS events:

- the session's opening events (session start, carried-over slots);
- a snapshot of the state the older events left: the latest value of every slot
  (and every safety-screen topic already asked), the latest form state, pause
  state and restart;
- the latest events in full, starting at a turn boundary (`action_listen`), so
  that a rewind never reaches past the window and the policies' histories
  (5 turns) lie well inside it.

The slots are the state that matters (triage level, red flags, disclaimer
shown, assessment answers), so nothing a reply depends on is lost; an older
message id can no longer be recognised as a retry (docs/performance.md).
Saving appends only the events added after the load, counted from the tracker
itself, not by counting the session's rows again. The console and Rasa's
`/tracker` API still read the whole log (`retrieve_full_tracker`).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

#: Events loaded in full (the latest ones); a session up to this long loads whole.
WINDOW_EVENTS = 60
#: Slots whose every distinct value is history, not just the latest one: the
#: red-flag component never asks a safety-screen topic twice.
HISTORY_SLOTS = ("safety_question",)
#: Event types of which only the latest before the window still shapes the state.
LATEST_OF_TYPE = (("active_loop",), ("pause", "resume"), ("restart", "reset_slots"))
#: The row types the snapshot is chosen from.
SHAPING_TYPES = ("slot", *itertools.chain.from_iterable(LATEST_OF_TYPE))
#: Indexes that bound the lookups of a long session's older rows: its start and the rows
#: that shape the state are found among index entries of those types (not by reading
#: every row of the conversation), and its latest rows by (sender, id) on PostgreSQL
#: (SQLite's sender index already ends in the row id). Built by the store on SQLite,
#: and on PostgreSQL by deploy/launch.py before the replicas start (docs/deployment.md).
TYPE_INDEX = "ix_events_sender_type_action"
INDEXES = {"sqlite": {TYPE_INDEX: "sender_id, type_name, action_name, id"},
           "postgresql": {TYPE_INDEX: "sender_id, type_name, action_name, id",
                          "ix_events_sender_id_id": "sender_id, id"}}
LOADED_ATTRIBUTE = "_sciaticalm_events_loaded"
STATEMENTS_ATTRIBUTE = "_sciaticalm_statements"
_ORIGINAL_RETRIEVE = SQLTrackerStore._retrieve
_ORIGINAL_SAVE = SQLTrackerStore.save
_ORIGINAL_ADDITIONAL = SQLTrackerStore._additional_events


def window_start(tail: Sequence[tuple[str, str | None]]) -> int:
    """Index of the first turn boundary (an `action_listen`) in the tail rows.

    `tail` holds (type_name, action_name) of the latest rows, oldest first.
    """
    for index, (type_name, action_name) in enumerate(tail):
        if type_name == "action" and action_name == "action_listen":
            return index
    return 0


def opening_length(head: Sequence[tuple[str, str | None]]) -> int:
    """How many of the session's first rows open it (up to its first `action_listen`)."""
    for index, (type_name, action_name) in enumerate(head):
        if type_name == "action" and action_name == "action_listen":
            return index
    return 0


def snapshot_ids(rows: Sequence[tuple[int, str, str | None]], after: int) -> set[int]:
    """Which of the older rows (id, type_name, action_name; a slot row's action_name
    is the slot's name) still shape the state: the latest of each LATEST_OF_TYPE
    group, and after the latest restart or slot reset (else after `after`) the
    latest value of each slot and every value of HISTORY_SLOTS."""
    latest: dict[int, int] = {}
    for row_id, type_name, _ in rows:
        for group, types in enumerate(LATEST_OF_TYPE):
            if type_name in types and row_id > latest.get(group, -1):
                latest[group] = row_id
    reset = max((row_id for row_id, type_name, _ in rows
                 if row_id in latest.values() and type_name in ("restart", "reset_slots")),
                default=after)
    slots: dict[str | None, int] = {}
    history: set[int] = set()
    for row_id, type_name, name in rows:
        if type_name != "slot" or row_id <= reset:
            continue
        if name in HISTORY_SLOTS:
            history.add(row_id)
        slots[name] = max(row_id, slots.get(name, -1))
    return set(latest.values()) | set(slots.values()) | history


def _valid_indexes(conn: sa.engine.Connection) -> set[str]:
    """Names of the events table's usable indexes (PostgreSQL lists an index whose
    concurrent build was interrupted too; it is kept up to date but never used)."""
    if conn.dialect.name != "postgresql":
        return {index["name"] for index in sa.inspect(conn).get_indexes("events")}
    return set(conn.exec_driver_sql(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = 'events'::regclass AND i.indisvalid").scalars())


def ensure_indexes(engine: sa.engine.Engine, build: bool = True) -> bool:
    """True if the INDEXES of the engine's dialect are all usable, after building the
    missing ones when `build`; else False, logged (the store still works, with lookups
    of older rows that read every row of the conversation).

    On PostgreSQL the build runs CONCURRENTLY (replicas of the previous release may be
    serving) and replaces an index an interrupted build left invalid; deploy/launch.py
    does it before the replicas start, and the store only checks (a build on a
    replica's first turn would hold its event loop)."""
    wanted = INDEXES.get(engine.dialect.name)
    if not wanted:
        return False
    postgresql = engine.dialect.name == "postgresql"
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            missing = [name for name in wanted if name not in _valid_indexes(conn)]
            if missing and build:
                for name in missing:
                    if postgresql:
                        conn.exec_driver_sql(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
                    conn.exec_driver_sql(
                        f"CREATE INDEX {'CONCURRENTLY ' if postgresql else ''}IF NOT EXISTS "
                        f"{name} ON events ({wanted[name]})")
                missing = [name for name in wanted if name not in _valid_indexes(conn)]
    except sa.exc.SQLAlchemyError as error:  # e.g. no events table, no right to index it
        logger.warning("conversation log: could not create the indexes that keep long "
                       "conversations fast (%s)", type(error).__name__)
        return False
    if missing:
        logger.warning("conversation log: indexes %s are missing; create them with "
                       "`python -m deploy.container.entrypoint migrate`", ", ".join(missing))
    return not missing


class Statements:
    """The store's queries and insert, built once per store: building a SQLAlchemy
    expression and loading ORM objects cost more than SQLite's own work on a turn
    (py-spy, docs/performance.md). `index_hint`: TYPE_INDEX exists on SQLite, whose
    planner must be told to use it (it prefers the sender index and reads every row
    of the conversation); PostgreSQL's planner picks it by itself."""

    def __init__(self, table: sa.Table, index_hint: bool = False) -> None:
        c = table.c
        mine = c.sender_id == sa.bindparam("sender")
        columns = (c.id, c.type_name, c.action_name, c.timestamp, c.data)
        self.tail = (sa.select(*columns).where(mine)
                     .order_by(c.id.desc()).limit(WINDOW_EVENTS + 1))
        # The two lookups that read older rows, as SQL text: SQLAlchemy 1.4 renders no
        # index hint for SQLite.
        source = f"{table.name} INDEXED BY {TYPE_INDEX}" if index_hint else table.name
        self.session_start = sa.text(
            f"SELECT max(id) FROM {source} WHERE sender_id = :sender AND type_name = :start_type"
        ).bindparams(start_type=SessionStarted.type_name)
        self.head = (sa.select(*columns).where(mine, c.id >= sa.bindparam("start"))
                     .order_by(c.id).limit(12))
        # The older rows that may shape the state, grouped in SQL to what snapshot_ids
        # keeps of them (the latest row of each type and of each slot; every row of a
        # HISTORY_SLOTS slot), so a long conversation's older rows are never all sent back.
        self.shaping = sa.text(
            f"SELECT max(id), type_name, max(action_name) FROM {source} "
            "WHERE sender_id = :sender AND id > :after AND id < :before AND type_name IN :types "
            "GROUP BY type_name, "
            "CASE WHEN type_name = 'slot' AND action_name NOT IN :history THEN action_name END, "
            "CASE WHEN type_name = 'slot' AND action_name IN :history THEN id END"
        ).bindparams(sa.bindparam("types", list(SHAPING_TYPES), expanding=True),
                     sa.bindparam("history", list(HISTORY_SLOTS), expanding=True))
        self.by_ids = (sa.select(*columns).where(c.id.in_(sa.bindparam("ids", expanding=True)))
                       .order_by(c.id))
        self.insert = table.insert()


def statements(store: SQLTrackerStore) -> Statements:
    built = getattr(store, STATEMENTS_ATTRIBUTE, None)
    if built is None:
        sqlite = store.engine.dialect.name == "sqlite"
        indexed = ensure_indexes(store.engine, build=sqlite)
        built = Statements(store.SQLEvent.__table__, index_hint=sqlite and indexed)
        setattr(store, STATEMENTS_ATTRIBUTE, built)
    return built


def current_session(rows: Sequence[Any]) -> list[Any]:
    """Rasa's session filter (`SQLTrackerStore._event_query`) applied to all of a
    sender's rows, oldest first: those stamped at or after the latest session start."""
    starts = [r.timestamp for r in rows
              if r.type_name == SessionStarted.type_name and r.timestamp is not None]
    if not starts:
        return list(rows)
    start = max(starts)
    return [r for r in rows if r.timestamp is not None and r.timestamp >= start]


def _session_rows(store: SQLTrackerStore, session: Any, sender_id: str) -> list[Any] | None:
    """The rows of the tracker to load, oldest first; None when only Rasa's own
    query can say (a session that fits the window after older sessions).

    A conversation of up to WINDOW_EVENTS rows is read in one query; a longer
    session in five indexed ones, none of which repeats the session-start lookup."""
    sql = statements(store)
    tail = session.execute(sql.tail, {"sender": sender_id}).all()
    if len(tail) <= WINDOW_EVENTS:
        return current_session(tail[::-1])  # every row of the sender
    if any(r.type_name == SessionStarted.type_name for r in tail):
        return None
    start = session.execute(sql.session_start, {"sender": sender_id}).scalar() or 0
    tail = tail[:WINDOW_EVENTS][::-1]
    tail = tail[window_start([(r.type_name, r.action_name) for r in tail]):]
    first_kept = tail[0].id

    head = session.execute(sql.head, {"sender": sender_id, "start": start}).all()
    head = head[:opening_length([(r.type_name, r.action_name) for r in head])]
    head = [r for r in head if r.id < first_kept]
    after_head = head[-1].id if head else start - 1
    older = session.execute(sql.shaping, {"sender": sender_id, "after": after_head,
                                          "before": first_kept}).all()
    wanted = snapshot_ids([tuple(r) for r in older], after_head)
    snapshot = (session.execute(sql.by_ids, {"ids": sorted(wanted)}).all()
                if wanted else [])
    return [*head, *snapshot, *tail]


async def retrieve(self: SQLTrackerStore, sender_id: str,
                   fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
    if fetch_events_from_all_sessions or not self.domain:
        return await _ORIGINAL_RETRIEVE(self, sender_id, fetch_events_from_all_sessions)
    with self.session_scope() as session:
        rows = _session_rows(self, session, sender_id)
        if rows is None:
            rows = self._event_query(session, sender_id, False).all()
        events = [json.loads(row.data) for row in rows]
    if not events:
        return None
    tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
    setattr(tracker, LOADED_ATTRIBUTE, len(tracker.events))
    return tracker


def event_row(sender_id: str, event: Event) -> dict[str, Any]:
    """The columns Rasa's `SQLTrackerStore.save` writes for an event."""
    data = event.as_dict()
    return {"sender_id": sender_id, "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"), "data": json.dumps(data)}


def events_since_load(tracker: DialogueStateTracker) -> list[Event] | None:
    """The events added since this hook loaded the tracker or last saved it; None for a
    tracker it did not load."""
    loaded = getattr(tracker, LOADED_ATTRIBUTE, None)
    if loaded is None:
        return None
    return list(itertools.islice(tracker.events, loaded, len(tracker.events)))


async def save(self: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
    """Rasa's save with one insert statement for all new events (executemany) instead
    of an ORM object and a flushed INSERT per event."""
    new = events_since_load(tracker)
    if self.event_broker is not None and new is not None:
        # Rasa's stream_events loads the tracker again to count what is new: the count
        # kept since the load gives the same events without a second read of the log.
        await self._stream_new_events(self.event_broker, new, tracker.sender_id)
    else:
        await self.stream_events(tracker)
    insert = statements(self).insert  # first use: before this save's transaction begins
    with self.session_scope() as session:
        rows = [event_row(tracker.sender_id, event)
                for event in self._additional_events(session, tracker)]
        if rows:
            session.execute(insert, rows)
        session.commit()
    # Counted on only once committed: a save that failed is sent again whole.
    setattr(tracker, LOADED_ATTRIBUTE, len(tracker.events))
    logger.debug("Tracker with sender_id '%s' stored to database", tracker.sender_id)


def additional_events(self: SQLTrackerStore, session: Any, tracker: DialogueStateTracker
                      ) -> Iterator:
    """The events added since the tracker was loaded or last saved.

    Rasa saves a turn's tracker twice (after the user message, after the
    replies), so `save` moves the count on after each commit.
    """
    new = events_since_load(tracker)
    if new is None:  # a tracker this hook did not load: count the stored rows
        new = list(_ORIGINAL_ADDITIONAL(self, session, tracker))
    return iter(new)


def install() -> None:
    SQLTrackerStore._retrieve = retrieve  # type: ignore[method-assign]
    SQLTrackerStore.save = save  # type: ignore[method-assign]
    SQLTrackerStore._additional_events = additional_events  # type: ignore[method-assign]


def uninstall() -> None:
    SQLTrackerStore._retrieve = _ORIGINAL_RETRIEVE  # type: ignore[method-assign]
    SQLTrackerStore.save = _ORIGINAL_SAVE  # type: ignore[method-assign]
    SQLTrackerStore._additional_events = _ORIGINAL_ADDITIONAL  # type: ignore[method-assign]
