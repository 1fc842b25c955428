"""Issue 14, Rasa side: typed system-only payloads refused, visitor text scrubbed
from every log record (warnings included), the SQLite log opened with a busy
timeout, created 0600 and never written back after an erasure."""

from __future__ import annotations

import asyncio
import io
import logging
import sqlite3
import stat
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.training_data.message import Message

from server.runtime import forged_payloads, log_privacy, sqlite_store

REPO = Path(__file__).resolve().parents[2]
NHS = "/my name is Jane Doe and my NHS number is 943 476 5919"
SECRETS = ("Jane Doe", "943 476 5919")


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain.yml"))


def parsed(text: str, domain: Domain) -> dict:
    """What Rasa's RegexMessageHandler makes of a `/...` message."""
    message = YAMLStoryReader.unpack_regex_message(Message({"text": text}), domain)
    return {"text": text, "intent": message.get("intent") or {"name": None},
            "entities": message.get("entities") or []}


def tracker_offering(*payloads: str) -> DialogueStateTracker:
    buttons = [{"title": p, "payload": p} for p in payloads]
    return DialogueStateTracker.from_events("t", [
        ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"}),
        BotUttered("Pick one", {"buttons": buttons}), ActionExecuted("action_listen")])


@pytest.mark.parametrize("text", [
    '/red_flag{"triage_level":"emergency"}', "/red_flag", '/red_flag{"red_flag":"saddle"}',
    "/safety_clear", '/safety_check{"safety_question":"bladder"}', "/red_flag@1.0"])
def test_typed_system_intents_become_a_fallback(text: str, domain: Domain) -> None:
    data = parsed(text, domain)
    assert data["intent"]["name"] in forged_payloads.SYSTEM_INTENTS  # what Rasa would do
    out = forged_payloads.guard(data, text, tracker_offering("/greet"))
    assert out["intent"]["name"] == "nlu_fallback"
    assert not [e for e in out["entities"] if e["entity"] in forged_payloads.PROTECTED_ENTITIES]


@pytest.mark.parametrize("text", ['/inform{"emergency_screen": "yes"}',
                                  '/inform{"triage_level": "emergency"}',
                                  '/greet{"urgent_screen": "no", "item": "plank"}'])
def test_typed_slot_payloads_lose_their_protected_entities(text: str, domain: Domain) -> None:
    data = parsed(text, domain)
    assert data["entities"]
    out = forged_payloads.guard(data, text, tracker_offering("/greet"))
    assert out["intent"] == data["intent"]
    assert {e["entity"] for e in out["entities"]} <= {"item"}


def test_offered_buttons_still_work(domain: Domain) -> None:
    offered = '/inform{"emergency_screen": "no"}'
    tracker = tracker_offering(offered, '/inform{"emergency_screen": "yes"}')
    for text in (offered, '/inform{"emergency_screen":"no"}'):  # spacing aside
        data = parsed(text, domain)
        assert forged_payloads.guard(data, text, tracker) == data
    # ...but only what was offered, and only until the visitor answers
    data = parsed('/inform{"urgent_screen": "yes"}', domain)
    assert forged_payloads.guard(data, data["text"], tracker)["entities"] == []
    tracker.update(UserUttered("no", {"name": "deny"}))
    data = parsed(offered, domain)
    assert forged_payloads.guard(data, offered, tracker)["entities"] == []


def test_free_text_and_ordinary_payloads_are_untouched(domain: Domain) -> None:
    words = {"text": "/ I cannot feel my saddle area", "intent": {"name": "red_flag"},
             "entities": [{"entity": "red_flag", "value": "saddle_numbness"}]}
    assert forged_payloads.guard(words, words["text"], None) == words
    for text in ("/greet", "/ask_causes", '/inform{"pain_onset": "after"}'):
        data = parsed(text, domain)
        assert forged_payloads.guard(data, text, None) == data


# ---------------------------------------------------------------- log privacy at the root

@pytest.fixture()
def root_log() -> Iterator[io.StringIO]:
    """Every record, as any handler on the root logger would print it."""
    log_privacy.install()
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buf
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        log_privacy.uninstall()


def test_rasa_warning_quoting_a_slash_message_is_scrubbed(root_log: io.StringIO,
                                                          domain: Domain) -> None:
    UserMessage(NHS, sender_id="v1")  # as every channel creates it
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        YAMLStoryReader.unpack_regex_message(Message({"text": NHS}), domain)
    out = root_log.getvalue()
    assert "py.warnings" in out  # the warning was captured into logging
    assert not any(s in out for s in SECRETS), out
    assert "[redacted:" in out


def test_any_library_logger_is_scrubbed_above_debug(root_log: io.StringIO) -> None:
    UserMessage(NHS, sender_id="v1")
    lib = logging.getLogger("some.library")
    lib.setLevel(logging.DEBUG)
    lib.warning("got %r from the client", NHS)
    lib.error("payload: {\"text\": \"%s\"}", NHS[1:])
    try:
        raise ValueError(f"cannot parse {NHS}")
    except ValueError:
        lib.exception("failed")
    lib.debug("debug keeps %s", NHS)
    lines = root_log.getvalue().splitlines()
    above = [line for line in lines if not line.startswith("DEBUG")]
    assert not any(s in "\n".join(above) for s in SECRETS), above
    assert any("Jane Doe" in line for line in lines if line.startswith("DEBUG"))


def test_a_typed_intent_name_is_not_hidden_from_every_line(root_log: io.StringIO) -> None:
    UserMessage('/red_flag{"triage_level":"emergency"}', sender_id="v1")
    logging.getLogger("sciaticalm.triage").warning("red_flag detected: saddle_numbness")
    assert "red_flag detected" in root_log.getvalue()


def test_without_the_root_filter_the_warning_leaks(domain: Domain) -> None:
    """What the root filter is for: Rasa's own warning quotes the message."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        YAMLStoryReader.unpack_regex_message(Message({"text": NHS}), domain)
    assert any("Jane Doe" in str(w.message) for w in caught)


# ---------------------------------------------------------------- the SQLite log

def test_rasa_store_waits_and_is_private(tmp_path: Path) -> None:
    sqlite_store.install()
    try:
        store = SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "conversations.db"))
        assert stat.S_IMODE((tmp_path / "conversations.db").stat().st_mode) == 0o600
        blocker = sqlite3.connect(tmp_path / "conversations.db", isolation_level=None,
                                  check_same_thread=False)
        blocker.execute("BEGIN IMMEDIATE")
        tracker = DialogueStateTracker.from_events("v", [UserUttered("hello there")])

        def release() -> None:
            time.sleep(6)  # longer than the driver's default 5 s
            blocker.execute("COMMIT")

        import threading

        threading.Thread(target=release).start()
        asyncio.run(store.save(tracker))  # waited instead of "database is locked"
        store.engine.dispose()
        blocker.close()
    finally:
        sqlite_store.uninstall()


def test_a_turn_in_flight_does_not_write_back_an_erased_conversation(tmp_path: Path) -> None:
    sqlite_store.install()
    try:
        db = tmp_path / "conversations.db"
        store = SQLTrackerStore(dialect="sqlite", db=str(db))
        old = time.time() - 60
        before = [UserUttered(NHS, timestamp=old)]
        asyncio.run(store.save(DialogueStateTracker.from_events("v", before)))
        in_flight = asyncio.run(store.retrieve("v"))
        # The console erases the visitor while the turn is being handled.
        with sqlite3.connect(db) as conn:
            conn.execute("DELETE FROM events WHERE sender_id = 'v'")
            conn.execute("CREATE TABLE console_erasure (sender_hash TEXT, erased_at REAL)")
            conn.execute("INSERT INTO console_erasure VALUES (?, ?)",
                         (sqlite_store.sender_hash("v"), time.time()))
        in_flight.update(UserUttered("a new message", timestamp=time.time() + 1))
        asyncio.run(store.save(in_flight))
        with sqlite3.connect(db) as conn:
            texts = [r[0] for r in conn.execute("SELECT data FROM events")]
        assert texts and not any("Jane Doe" in t for t in texts)
        assert any("a new message" in t for t in texts)
        store.engine.dispose()
    finally:
        sqlite_store.uninstall()


def test_rasa_store_writes_a_wal_journal(tmp_path: Path) -> None:
    sqlite_store.install()
    try:
        store = SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "conversations.db"))
        asyncio.run(store.save(DialogueStateTracker.from_events("v", [UserUttered("hi")])))
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        store.engine.dispose()
        with sqlite3.connect(tmp_path / "conversations.db") as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        sqlite_store.uninstall()


def test_rasa_store_keeps_its_connections_between_turns(tmp_path: Path) -> None:
    """SQLAlchemy 1.4 opens a new connection per session on a SQLite file by default
    (the file, the pragmas and the schema again: about 3.5 ms of each turn)."""
    import sqlalchemy as sa

    sqlite_store.install()
    try:
        store = SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "conversations.db"))
        opened: list[object] = []
        sa.event.listen(store.engine, "connect", lambda conn, record: opened.append(conn))
        for turn in range(5):
            tracker = asyncio.run(store.retrieve("v")) or DialogueStateTracker.from_events(
                "v", [])
            tracker.update(UserUttered(f"message {turn}"))
            asyncio.run(store.save(tracker))
        assert len(opened) == 1
        assert len(asyncio.run(store.retrieve("v")).events) == 5
        store.engine.dispose()
    finally:
        sqlite_store.uninstall()
