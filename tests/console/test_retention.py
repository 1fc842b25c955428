"""Erasure of one visitor, purge by age, the audit log, and the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from server.runtime import bounded_store, sqlite_store
from staff_console import retention
from staff_console import tables as t
from staff_console.refresh import get_watermark, refresh
from tests.console.conftest import ADMIN, REVIEWER, csrf_token, sign_in
from tests.console.rasa_log import tracker_store

REPO = Path(__file__).resolve().parents[2]


def count(conn, table, sender=None):
    stmt = sa.select(sa.func.count()).select_from(table)
    if sender is not None:
        stmt = stmt.where(table.c.sender_id == sender)
    return conn.execute(stmt).scalar()


@contextmanager
def rasa_store(url: str) -> Iterator[SQLTrackerStore]:
    """Rasa's store on `url` with the runtime hooks that save a turn (the bounded window
    and the erasure tombstones, server/runtime/)."""
    bounded_store.install()
    sqlite_store.install()
    store = tracker_store(url)
    try:
        yield store
    finally:
        store.engine.dispose()
        sqlite_store.uninstall()
        bounded_store.uninstall()


def user_texts(store: SQLTrackerStore, sender: str) -> list[str]:
    tracker = asyncio.run(store.retrieve(sender))
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


def test_erasure_through_the_console(fresh):
    c = fresh.client()
    sign_in(c, ADMIN)
    token = csrf_token(c, "/c/gen-emergency")
    c.post("/c/gen-emergency", data={"csrf_token": token, "action": "tag", "tag": "x"})
    c.post("/c/gen-emergency", data={"csrf_token": token, "action": "note", "body": "n"})
    c.post("/c/gen-emergency", data={"csrf_token": token, "action": "review"})
    with fresh.engine.connect() as conn:
        before_total = count(conn, t.events)
        mine = count(conn, t.events, "gen-emergency")
    assert mine > 0
    # Without the typed confirmation nothing is deleted.
    c.post("/c/gen-emergency", data={"csrf_token": token, "action": "erase", "confirm": "no"})
    with fresh.engine.connect() as conn:
        assert count(conn, t.events, "gen-emergency") == mine
    resp = c.post("/c/gen-emergency", data={"csrf_token": token, "action": "erase",
                                            "confirm": "gen-emergency"})
    assert resp.status_code == 302
    with fresh.engine.connect() as conn:
        assert count(conn, t.events, "gen-emergency") == 0
        assert count(conn, t.events) == before_total - mine
        for table in retention.PER_CONVERSATION:
            assert count(conn, table, "gen-emergency") == 0, table.name
        entry = conn.execute(sa.select(t.audit_log).where(
            t.audit_log.c.action == "erase")).one()
    # The audit log names the erased visitor by a hash, not by the id (issue 14).
    assert (entry.actor, entry.target) == ("admin1", retention.erased_name("gen-emergency"))
    assert json.loads(entry.detail) == {"events": mine}
    assert c.get("/c/gen-emergency").status_code == 404
    audit_page = c.get("/admin/audit").get_data(as_text=True)
    assert "erase" in audit_page and retention.erased_name("gen-emergency") in audit_page
    assert "gen-emergency" not in audit_page


def test_a_turn_in_flight_during_an_erasure_does_not_write_the_visitor_back(fresh):
    """Rasa's store with the runtime hooks (server/runtime/sqlite_store.py) saves a
    turn that began before the console erased the visitor: only the event stamped
    after the erasure is written, on SQLite (tombstone read on a connection of its own) and on
    PostgreSQL (read inside the save's transaction)."""
    with rasa_store(fresh.url) as store:
        sender = "in-flight-visitor"
        older = [UserUttered("my lower back hurts, I am Jane Doe", timestamp=time.time() - 60)]
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, older)))
        in_flight = asyncio.run(store.retrieve(sender))
        in_flight.update(UserUttered("sent just before the erasure", timestamp=time.time() - 1))
        retention.erase_visitor(fresh.engine, sender, "tester")
        in_flight.update(UserUttered("a new message", timestamp=time.time() + 1))
        asyncio.run(store.save(in_flight))
        with fresh.engine.connect() as conn:
            saved = conn.execute(sa.select(t.events.c.data)
                                 .where(t.events.c.sender_id == sender)).scalars().all()
        assert [json.loads(row)["text"] for row in saved] == ["a new message"]
        # A visitor never erased keeps every event.
        asyncio.run(store.save(DialogueStateTracker.from_events("kept-visitor", older)))
        other = asyncio.run(store.retrieve("kept-visitor"))
        other.update(UserUttered("a new message", timestamp=time.time() + 1))
        asyncio.run(store.save(other))
        with fresh.engine.connect() as conn:
            assert count(conn, t.events, "kept-visitor") == 2


def test_without_console_tables_the_store_saves_on_postgresql(databases):
    """A Rasa database the console never migrated: the tombstone lookup finds no
    table and the save goes on (no failed statement inside its transaction)."""
    with rasa_store(databases.new("postgresql")) as store:
        tracker = DialogueStateTracker.from_events("v", [UserUttered("hi")])
        asyncio.run(store.save(tracker))
        tracker.update(UserUttered("hi again"))
        asyncio.run(store.save(tracker))
        assert user_texts(store, "v") == ["hi", "hi again"]


def test_a_tombstone_table_dropped_while_rasa_runs_fails_one_save_on_postgresql(databases):
    """Seen once, the tombstone table is read without checking; dropped (a console
    downgrade), that save fails (the channel answers 503, nothing half-written) and the
    next one checks again and goes on."""
    from staff_console.db import make_engine
    from staff_console.migrate import upgrade

    url = databases.new("postgresql")
    console = make_engine(url)
    upgrade(console)
    try:
        with rasa_store(url) as store:
            tracker = DialogueStateTracker.from_events("v", [UserUttered("hi")])
            asyncio.run(store.save(tracker))
            with console.begin() as conn:
                conn.execute(sa.text("DROP TABLE console_erasure"))
            tracker.update(UserUttered("hi again"))
            with pytest.raises(sa.exc.DBAPIError):
                asyncio.run(store.save(tracker))
            asyncio.run(store.save(tracker))
            assert user_texts(store, "v") == ["hi", "hi again"]
    finally:
        console.dispose()


def test_reviewers_cannot_erase(fresh):
    c = fresh.client()
    sign_in(c, REVIEWER)
    token = csrf_token(c, "/c/gen-urgent")
    resp = c.post("/c/gen-urgent", data={"csrf_token": token, "action": "erase",
                                         "confirm": "gen-urgent"})
    assert resp.status_code == 403
    with fresh.engine.connect() as conn:
        assert count(conn, t.events, "gen-urgent") > 0


def test_erasure_of_the_newest_events_keeps_the_summary_correct(fresh):
    """SQLite reuses the highest ids after a delete; the watermark must follow."""
    with fresh.engine.begin() as conn:
        conn.execute(t.events.insert().values(
            sender_id="last-one", type_name="user", timestamp=time.time(), data=json.dumps(
                {"event": "user", "text": "bye", "parse_data": {"intent": {"name": "goodbye"}}})))
    refresh(fresh.engine)
    retention.erase_visitor(fresh.engine, "last-one", "tester")
    with fresh.engine.begin() as conn:
        top = conn.execute(sa.select(sa.func.max(t.events.c.id))).scalar()
        assert get_watermark(conn) == top
        conn.execute(t.events.insert().values(
            sender_id="next-one", type_name="user", timestamp=time.time(), data=json.dumps(
                {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}})))
    refresh(fresh.engine)
    with fresh.engine.connect() as conn:
        assert count(conn, t.conversations, "next-one") == 1


def test_purge_deletes_only_conversations_past_the_cutoff(fresh):
    with fresh.engine.connect() as conn:
        old_events = count(conn, t.events, "gen-old")
        total = count(conn, t.events)
    assert old_events > 0
    deleted = retention.purge(fresh.engine, 365, actor="tester")
    assert (deleted.conversations, deleted.events) == (1, old_events)
    with fresh.engine.connect() as conn:
        assert count(conn, t.events) == total - old_events
        assert count(conn, t.conversations, "gen-old") == 0
        assert count(conn, t.conversations) == len(fresh.expected) - 1
        entry = conn.execute(sa.select(t.audit_log).where(
            t.audit_log.c.action == "purge")).one()
    assert json.loads(entry.detail)["conversations"] == 1
    # Running it again (as a schedule would) deletes nothing more.
    assert retention.purge(fresh.engine, 365).conversations == 0
    # Five days: the fillers 5-7 days old and older go, today's stay.
    deleted = retention.purge(fresh.engine, 4.5)
    old = {s for s, e in fresh.expected.items() if 4.5 < e.days_ago < 365}
    assert deleted.conversations == len(old)
    with fresh.engine.connect() as conn:
        left = {r[0] for r in conn.execute(sa.select(t.conversations.c.sender_id))}
    assert left == {s for s, e in fresh.expected.items() if e.days_ago < 4.5}


def run_cli(env, *args, stdin=""):
    environ = dict(os.environ, CONSOLE_DATABASE_URL=env.url,
                   CONSOLE_SECRET_KEY="cli-test-secret", PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "staff_console", *args], input=stdin,
                          capture_output=True, text=True, cwd=REPO, env=environ, timeout=120)


def test_cli_purge_erase_and_create_admin(fresh):
    out = run_cli(fresh, "purge", "--days", "365")
    assert out.returncode == 0, out.stderr
    assert "purged 1 conversations" in out.stdout
    out = run_cli(fresh, "erase", "gen-html")
    assert out.returncode == 0 and "erased gen-html" in out.stdout
    out = run_cli(fresh, "create-admin", "boss", "--password-stdin",
                  stdin="a-long-enough-password\n")
    assert out.returncode == 0, out.stderr
    out = run_cli(fresh, "create-admin", "tiny", "--password-stdin", stdin="short\n")
    assert out.returncode == 1 and "at least 12" in out.stderr
    with fresh.engine.connect() as conn:
        actions = [(r.actor, r.action, r.target) for r in conn.execute(
            sa.select(t.audit_log).order_by(t.audit_log.c.id))]
        assert count(conn, t.events, "gen-html") == 0
    assert ("cli", "purge", None) in actions
    assert ("cli", "erase", retention.erased_name("gen-html")) in actions
    assert ("cli", "user_create", "boss") in actions
    c = fresh.client()
    sign_in(c, ("boss", "a-long-enough-password"))
    assert c.get("/admin/users").status_code == 200
