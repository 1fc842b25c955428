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
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

#: Events loaded in full (the latest ones); a session up to this long loads whole.
WINDOW_EVENTS = 60
#: Slots whose every distinct value is history, not just the latest one: the
#: red-flag component never asks a safety-screen topic twice.
HISTORY_SLOTS = frozenset({"safety_question"})
#: Event types of which only the latest before the window still shapes the state.
LATEST_OF_TYPE = (("active_loop",), ("pause", "resume"), ("restart", "reset_slots"))
LOADED_ATTRIBUTE = "_sciaticalm_events_loaded"
_ORIGINAL_RETRIEVE = SQLTrackerStore._retrieve
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


def _window_rows(store: SQLTrackerStore, session: Any, sender_id: str) -> list[Any] | None:
    """The rows of a bounded tracker, oldest first, or None when the session is short.

    Five indexed queries, none of which repeats the session-start lookup."""
    event = store.SQLEvent
    mine = event.sender_id == sender_id
    tail = (session.query(event).filter(mine)
            .order_by(event.id.desc()).limit(WINDOW_EVENTS + 1).all())
    if len(tail) <= WINDOW_EVENTS or any(
            r.type_name == SessionStarted.type_name for r in tail):
        return None  # the session fits in the window: Rasa's own query loads it
    start = (session.query(sa.func.max(event.id))
             .filter(mine, event.type_name == SessionStarted.type_name).scalar()) or 0
    tail = tail[:WINDOW_EVENTS][::-1]
    tail = tail[window_start([(r.type_name, r.action_name) for r in tail]):]
    first_kept = tail[0].id

    head = (session.query(event).filter(mine, event.id >= start)
            .order_by(event.id).limit(12).all())
    head = head[:opening_length([(r.type_name, r.action_name) for r in head])]
    head = [r for r in head if r.id < first_kept]
    after_head = head[-1].id if head else start - 1
    shaping = ["slot", *itertools.chain.from_iterable(LATEST_OF_TYPE)]
    older = session.execute(
        sa.select(event.id, event.type_name, event.action_name)
        .where(mine, event.id > after_head, event.id < first_kept,
               event.type_name.in_(shaping))).all()
    wanted = snapshot_ids([tuple(r) for r in older], after_head)
    snapshot = (session.query(event).filter(event.id.in_(wanted)).order_by(event.id).all()
                if wanted else [])
    return [*head, *snapshot, *tail]


async def retrieve(self: SQLTrackerStore, sender_id: str,
                   fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
    if fetch_events_from_all_sessions or not self.domain:
        return await _ORIGINAL_RETRIEVE(self, sender_id, fetch_events_from_all_sessions)
    with self.session_scope() as session:
        rows = _window_rows(self, session, sender_id)
        if rows is None:
            rows = self._event_query(session, sender_id, False).all()
        events = [json.loads(row.data) for row in rows]
    if not events:
        return None
    tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
    setattr(tracker, LOADED_ATTRIBUTE, len(tracker.events))
    return tracker


def additional_events(self: SQLTrackerStore, session: Any, tracker: DialogueStateTracker
                      ) -> Iterator:
    """The events added since the tracker was loaded or last saved.

    Rasa saves a turn's tracker twice (after the user message, after the
    replies), so the count moves on with each save.
    """
    loaded = getattr(tracker, LOADED_ATTRIBUTE, None)
    if loaded is None:  # a tracker this hook did not load: count the stored rows
        new = list(_ORIGINAL_ADDITIONAL(self, session, tracker))
    else:
        new = list(itertools.islice(tracker.events, loaded, len(tracker.events)))
    setattr(tracker, LOADED_ATTRIBUTE, len(tracker.events))
    return iter(new)


def install() -> None:
    SQLTrackerStore._retrieve = retrieve  # type: ignore[method-assign]
    SQLTrackerStore._additional_events = additional_events  # type: ignore[method-assign]


def uninstall() -> None:
    SQLTrackerStore._retrieve = _ORIGINAL_RETRIEVE  # type: ignore[method-assign]
    SQLTrackerStore._additional_events = _ORIGINAL_ADDITIONAL  # type: ignore[method-assign]
