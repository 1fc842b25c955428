"""The bounded tracker window (server/runtime/bounded_store.py) on a real SQLite log."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from server.runtime import bounded_store

REPO = Path(__file__).resolve().parents[2]
WINDOW = bounded_store.WINDOW_EVENTS
#: Dialogue states compared between the window and the whole session: four times
#: the policies' max_history (5 states, config.yml).
RECENT_STATES = 20


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain.yml"))


@pytest.fixture()
def store(tmp_path: Path, domain: Domain) -> Iterator[SQLTrackerStore]:
    bounded_store.install()
    try:
        store = SQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "log.db"))
        yield store
        store.engine.dispose()
    finally:
        bounded_store.uninstall()


def turn(text: str, intent: str, *extra: Event) -> list[Event]:
    return [UserUttered(text, {"name": intent, "confidence": 1.0}), *extra,
            ActionExecuted("utter_greet"), BotUttered(f"reply to {text}"),
            ActionExecuted("action_listen")]


def opening() -> list[Event]:
    return [ActionExecuted("action_session_start"), SessionStarted(),
            ActionExecuted("action_listen")]


def save_all(store: SQLTrackerStore, sender: str, events: list[Event]) -> None:
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


def full(store: SQLTrackerStore, sender: str, domain: Domain) -> DialogueStateTracker:
    with store.session_scope() as session:
        rows = store._event_query(session, sender, False).all()
        import json
        return DialogueStateTracker.from_dict(sender, [json.loads(r.data) for r in rows],
                                              domain.slots)


def rows(store: SQLTrackerStore, sender: str) -> int:
    with sqlite3.connect(store.engine.url.database) as conn:
        return conn.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?",
                            (sender,)).fetchone()[0]


def long_conversation() -> list[Event]:
    events = opening()
    events += turn("I can't control my bladder", "red_flag",
                   SlotSet("triage_level", "emergency"), SlotSet("red_flags", ["bladder"]),
                   SlotSet("disclaimer_shown", True), SlotSet("safety_question", "numbness"))
    events += turn("is it serious?", "ask_when_to_seek_help",
                   SlotSet("safety_question", "weakness"))
    events += turn("start the assessment", "start_assessment",
                   ActiveLoop("assessment_form"), SlotSet("requested_slot", "pain_onset"))
    for i in range(120):
        events += turn(f"question {i}", "ask_stretching", SlotSet("last_item", f"item-{i}"))
    return events


def test_a_short_session_loads_whole(store: SQLTrackerStore, domain: Domain) -> None:
    events = opening() + turn("hello", "greet")
    save_all(store, "short", events)
    tracker = asyncio.run(store.retrieve("short"))
    assert tracker is not None
    assert list(tracker.events) == list(full(store, "short", domain).events)


def test_a_long_session_loads_a_window_with_the_same_state(store: SQLTrackerStore,
                                                           domain: Domain) -> None:
    save_all(store, "long", long_conversation())
    whole = full(store, "long", domain)
    bounded = asyncio.run(store.retrieve("long"))
    assert bounded is not None
    assert len(bounded.events) <= WINDOW + 30 < len(whole.events)
    assert bounded.current_slot_values() == whole.current_slot_values()
    assert bounded.get_slot("triage_level") == "emergency"
    assert bounded.active_loop_name == whole.active_loop_name == "assessment_form"
    # The policies see the same recent history (their max_history is 5 states).
    recent = slice(-RECENT_STATES, None)
    assert bounded.past_states(domain)[recent] == whole.past_states(domain)[recent]
    # Every safety topic already asked is still known as asked.
    asked = {e.value for e in bounded.events
             if isinstance(e, SlotSet) and e.key == "safety_question"}
    assert asked == {"numbness", "weakness"}
    # The window starts at a turn boundary.
    first_user = next(i for i, e in enumerate(bounded.events) if isinstance(e, UserUttered))
    assert isinstance(bounded.events[first_user - 1], ActionExecuted)


def test_saving_a_window_appends_only_the_new_events(store: SQLTrackerStore) -> None:
    save_all(store, "long", long_conversation())
    before = rows(store, "long")
    tracker = asyncio.run(store.retrieve("long"))
    assert tracker is not None
    tracker.update(UserUttered("one more", {"name": "greet", "confidence": 1.0}))
    asyncio.run(store.save(tracker))  # Rasa saves after the user message...
    for event in turn("", "greet")[1:]:
        tracker.update(event)
    asyncio.run(store.save(tracker))  # ...and again after the replies
    assert rows(store, "long") == before + 1 + 3
    again = asyncio.run(store.retrieve("long"))
    assert again is not None and again.latest_message.text == "one more"


def test_a_restart_before_the_window_still_clears_the_older_state(
        store: SQLTrackerStore, domain: Domain) -> None:
    events = long_conversation()
    events += [Restarted()] + opening()
    for i in range(40):
        events += turn(f"after restart {i}", "greet")
    save_all(store, "restarted", events)
    whole = full(store, "restarted", domain)
    bounded = asyncio.run(store.retrieve("restarted"))
    assert bounded is not None
    assert bounded.get_slot("triage_level") is None
    assert bounded.current_slot_values() == whole.current_slot_values()


def test_a_rewind_inside_the_window_reverts_only_its_own_message(
        store: SQLTrackerStore, domain: Domain) -> None:
    events = long_conversation()
    events += [UserUttered('/feedback{"feedback_rating": "down"}',
                           {"name": "feedback", "confidence": 1.0}),
               UserUtteranceReverted()]
    save_all(store, "rewind", events)
    whole = full(store, "rewind", domain)
    bounded = asyncio.run(store.retrieve("rewind"))
    assert bounded is not None
    assert bounded.latest_message.text == whole.latest_message.text == "question 119"
    recent = slice(-RECENT_STATES, None)
    assert bounded.past_states(domain)[recent] == whole.past_states(domain)[recent]


def test_the_full_tracker_is_still_whole(store: SQLTrackerStore) -> None:
    events = long_conversation()
    save_all(store, "long", events)
    whole = asyncio.run(store.retrieve_full_tracker("long"))
    assert whole is not None and len(whole.events) == len(events)


def test_window_start_is_the_first_turn_boundary() -> None:
    assert bounded_store.window_start([("bot", None), ("slot", "x"),
                                       ("action", "action_listen"), ("user", None)]) == 2
    assert bounded_store.window_start([("user", None)]) == 0
    assert bounded_store.opening_length([("action", "action_session_start"),
                                         ("session_started", None),
                                         ("action", "action_listen")]) == 2


def test_the_snapshot_keeps_what_shapes_the_state() -> None:
    rows = [(1, "slot", "topic"), (2, "active_loop", None), (3, "slot", "safety_question"),
            (4, "slot", "topic"), (5, "restart", None), (6, "slot", "topic"),
            (7, "slot", "safety_question"), (8, "slot", "safety_question"),
            (9, "active_loop", None), (10, "pause", None)]
    # the latest form, pause and restart rows; after the restart, the latest topic
    # and every safety question asked
    assert bounded_store.snapshot_ids(rows, after=0) == {5, 6, 7, 8, 9, 10}
    assert bounded_store.snapshot_ids(rows[:4], after=0) == {2, 3, 4}


def test_a_new_session_after_a_long_one_loads_only_itself(store: SQLTrackerStore,
                                                          domain: Domain) -> None:
    events = long_conversation() + opening() + turn("hello again", "greet")
    save_all(store, "second", events)
    tracker = asyncio.run(store.retrieve("second"))
    assert tracker is not None
    assert len(tracker.events) < 12 and tracker.get_slot("triage_level") is None


def test_a_short_second_session_loads_only_itself(store: SQLTrackerStore,
                                                   domain: Domain) -> None:
    """Read in one query, the session is still cut where Rasa's own query cuts it."""
    events = opening() + turn("first visit", "greet", SlotSet("last_item", "plank"))
    events += opening() + turn("back again", "greet")
    save_all(store, "returning", events)
    assert rows(store, "returning") <= WINDOW
    tracker = asyncio.run(store.retrieve("returning"))
    assert tracker is not None
    assert list(tracker.events) == list(full(store, "returning", domain).events)
    assert tracker.latest_message.text == "back again"
    assert tracker.get_slot("last_item") is None


def test_saved_rows_are_the_rows_rasa_writes(store: SQLTrackerStore) -> None:
    events = opening() + turn("my back hurts", "ask_stretching", SlotSet("last_item", "x"))
    save_all(store, "ours", events)
    bounded_store.uninstall()
    save_all(store, "rasa", events)
    bounded_store.install()
    with sqlite3.connect(store.engine.url.database) as conn:
        def columns(sender: str) -> list[tuple]:
            return conn.execute("SELECT type_name, timestamp, intent_name, action_name, data "
                                "FROM events WHERE sender_id = ? ORDER BY id",
                                (sender,)).fetchall()
        assert columns("ours") == columns("rasa")
        assert len(columns("ours")) == len(events)


def test_older_rows_are_looked_up_through_the_type_index(store: SQLTrackerStore,
                                                         domain: Domain) -> None:
    """The session start and the rows that shape the state are read from index entries
    of their types (SQLite must be told: INDEXED BY fails rather than read every row
    of the conversation), and give the rows the unindexed lookups give."""
    save_all(store, "long", long_conversation())
    indexed = asyncio.run(store.retrieve("long"))
    with sqlite3.connect(store.engine.url.database) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert bounded_store.TYPE_INDEX in names
    sql = bounded_store.statements(store)
    assert f"INDEXED BY {bounded_store.TYPE_INDEX}" in str(sql.session_start)
    assert f"INDEXED BY {bounded_store.TYPE_INDEX}" in str(sql.shaping)
    setattr(store, bounded_store.STATEMENTS_ATTRIBUTE,
            bounded_store.Statements(store.SQLEvent.__table__, index_hint=False))
    unindexed = asyncio.run(store.retrieve("long"))
    assert indexed is not None and unindexed is not None
    assert len(indexed.events) < 2 * WINDOW
    assert list(indexed.events) == list(unindexed.events)


def test_the_indexes_are_made_once_and_a_store_works_without_them(tmp_path: Path) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'log.db'}")
    SQLTrackerStore.Base.metadata.create_all(engine)
    ddl: list[str] = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda conn, cursor, sql, *rest: ddl.append(sql) if "INDEX" in sql else None)
    assert not bounded_store.ensure_indexes(engine, build=False)  # only checks
    assert ddl == []
    assert bounded_store.ensure_indexes(engine)
    assert len(ddl) == len(bounded_store.INDEXES["sqlite"])
    assert bounded_store.ensure_indexes(engine)  # present: nothing more is built
    assert len(ddl) == len(bounded_store.INDEXES["sqlite"])
    # A database that cannot take an index (here: no events table at all).
    empty = sa.create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    assert not bounded_store.ensure_indexes(empty)
    engine.dispose()
    empty.dispose()
