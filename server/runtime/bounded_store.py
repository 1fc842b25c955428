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
WINDOW_EVENTS = 120
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


def _session_filter(store: SQLTrackerStore, session: Any, sender_id: str) -> Any:
    event = store.SQLEvent
    start = (session.query(sa.func.max(event.timestamp))
             .filter(event.sender_id == sender_id,
                     event.type_name == SessionStarted.type_name)
             .scalar_subquery())
    return sa.and_(event.sender_id == sender_id,
                   sa.or_(event.timestamp >= start, start.is_(None)))


def _window_rows(store: SQLTrackerStore, session: Any, sender_id: str) -> list[Any] | None:
    """The rows of a bounded tracker, oldest first, or None when the session is short."""
    event = store.SQLEvent
    in_session = _session_filter(store, session, sender_id)
    tail = (session.query(event).filter(in_session)
            .order_by(event.id.desc()).limit(WINDOW_EVENTS + 1).all())
    if len(tail) <= WINDOW_EVENTS:
        return None
    tail = tail[:WINDOW_EVENTS][::-1]
    tail = tail[window_start([(r.type_name, r.action_name) for r in tail]):]
    first_kept = tail[0].id

    head = session.query(event).filter(in_session).order_by(event.id).limit(12).all()
    head = head[:opening_length([(r.type_name, r.action_name) for r in head])]
    head = [r for r in head if r.id < first_kept]
    after_head = head[-1].id if head else -1
    between = sa.and_(in_session, event.id > after_head, event.id < first_kept)

    snapshot: dict[int, Any] = {}
    for types in LATEST_OF_TYPE:
        row = (session.query(event).filter(between, event.type_name.in_(types))
               .order_by(event.id.desc()).first())
        if row is not None:
            snapshot[row.id] = row
    reset = max((r.id for r in snapshot.values()
                 if r.type_name in ("restart", "reset_slots")), default=after_head)
    slots = sa.and_(between, event.type_name == "slot", event.id > reset)
    latest_ids = [i for (i,) in session.query(sa.func.max(event.id)).filter(slots)
                  .group_by(event.action_name)]
    history = session.query(event.id).filter(slots, event.action_name.in_(HISTORY_SLOTS))
    wanted = set(latest_ids) | {i for (i,) in history}
    if wanted:
        for row in session.query(event).filter(event.id.in_(wanted)):
            snapshot[row.id] = row
    return [*head, *(snapshot[i] for i in sorted(snapshot)), *tail]


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
