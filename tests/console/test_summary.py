"""The summary fold (pure) and its incremental refresh over a real database."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from staff_console import tables as t
from staff_console.refresh import get_watermark, refresh
from staff_console.summary import Summary, fold


def test_fold_counts_turns_triage_and_assessment():
    s = Summary("v1")
    fold(s, 1, "action", 10.0, {"name": "action_session_start"})
    fold(s, 2, "session_started", 10.1, {})
    fold(s, 3, "user", 11.0, {"text": "Numb SADDLE", "input_channel": "socketio",
                              "parse_data": {"intent": {"name": "red_flag", "confidence": 1.0}}})
    fold(s, 4, "slot", 11.5, {"name": "triage_level", "value": "urgent"})
    fold(s, 5, "slot", 11.6, {"name": "triage_level", "value": "emergency"})
    fold(s, 6, "slot", 11.7, {"name": "triage_level", "value": None})
    fold(s, 7, "slot", 11.8, {"name": "red_flags", "value": ["saddle_numbness", "fever"]})
    fold(s, 8, "bot", 12.0, {"text": "Call 999"})
    fold(s, 9, "user", 13.0, {"text": "what?", "parse_data": {
        "intent": {"name": "nlu_fallback", "confidence": 0.2}}})
    fold(s, 10, "active_loop", 14.0, {"name": "assessment_form"})
    fold(s, 11, "slot", 15.0, {"name": "assessment_complete", "value": True})
    assert (s.first_ts, s.last_ts, s.last_event_id) == (10.0, 15.0, 11)
    assert s.turns == 2 and s.bot_turns == 1 and s.sessions == 1
    assert s.triage_level == "emergency"  # the highest level seen, never lowered
    assert s.red_flags == ["saddle_numbness", "fever"]
    assert s.fallback_turns == 1 and s.min_confidence == pytest.approx(0.2)
    assert s.assessment_started and s.assessment_complete
    assert s.channel == "socketio" and s.preview == "Numb SADDLE"
    assert s.new_text == ["numb saddle", "what?"]
    assert dict(s.new_intents) == {"red_flag": 1, "nlu_fallback": 1}


def test_red_flags_without_a_level_count_as_urgent():
    s = Summary("v2")
    fold(s, 1, "slot", 1.0, {"name": "red_flags", "value": ["fever"]})
    assert s.triage_level == "urgent"
    fold(s, 2, "slot", 2.0, {"name": "red_flags", "value": []})
    assert s.red_flags == ["fever"]


def test_malformed_events_are_tolerated():
    s = Summary("v3")
    fold(s, 1, "user", None, {"timestamp": 5.0, "parse_data": None})
    fold(s, 2, "slot", 6.0, {"name": "triage_level", "value": ["not", "a", "string"]})
    assert s.turns == 1 and s.triage_rank == 0 and s.first_ts == 5.0


def _row(conn, sender):
    return conn.execute(sa.select(t.conversations).where(
        t.conversations.c.sender_id == sender)).one()


def _insert_event(conn, sender, type_name, data, event_id=None):
    values = dict(sender_id=sender, type_name=type_name, timestamp=data["timestamp"],
                  intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                  action_name=data.get("name"), data=json.dumps(data))
    if event_id is not None:
        values["id"] = event_id
    conn.execute(t.events.insert().values(**values))


def test_summary_matches_the_scripted_log(seeded):
    with seeded.engine.connect() as conn:
        for sender, exp in seeded.expected.items():
            row = _row(conn, sender)
            assert row.channel == exp.channel, sender
            assert row.turns == exp.turns, sender
            assert row.sessions == exp.sessions, sender
            assert {0: None, 1: "urgent", 2: "emergency"}[row.triage_rank] == exp.triage, sender
            assert [f for f in row.red_flags.split(",") if f] == exp.red_flags, sender
            assert (row.fallback_turns > 0) == exp.fallback, sender
            assert row.min_confidence == pytest.approx(exp.min_conf), sender
            assert bool(row.assessment_complete) == exp.assessed, sender
            intents = {r[0] for r in conn.execute(
                sa.select(t.conversation_intents.c.intent)
                .where(t.conversation_intents.c.sender_id == sender))}
            assert intents == exp.intents, sender
        events = conn.execute(sa.select(sa.func.max(t.events.c.id))).scalar()
        assert get_watermark(conn) == events


def test_refresh_reads_only_new_events(fresh):
    """New events are folded into existing summaries; old ones are not read again."""
    with fresh.engine.begin() as conn:
        before = _row(conn, "gen-lowconf")
        # after the conversation's own events, which may lie a little ahead of the clock
        # just after midnight (rasa_log.anchor_now)
        now = max(time.time(), before.last_ts + 1)
        watermark = get_watermark(conn)
        _insert_event(conn, "gen-lowconf", "user", {
            "event": "user", "timestamp": now, "text": "Fever AND back pain",
            "input_channel": "socketio",
            "parse_data": {"intent": {"name": "red_flag", "confidence": 0.99}}})
        _insert_event(conn, "gen-lowconf", "slot", {
            "event": "slot", "timestamp": now + 1, "name": "triage_level", "value": "urgent"})
        _insert_event(conn, "brand-new", "user", {
            "event": "user", "timestamp": now + 2, "text": "hi", "input_channel": "rest",
            "parse_data": {"intent": {"name": "greet", "confidence": 0.9}}})
    result = refresh(fresh.engine)
    assert result.events == 3 and result.conversations == 2
    with fresh.engine.connect() as conn:
        after = _row(conn, "gen-lowconf")
        assert after.turns == before.turns + 1
        assert after.triage_rank == 1 and after.last_ts == pytest.approx(now + 1)
        assert after.first_ts == before.first_ts
        body = conn.execute(sa.select(t.search_text.c.body).where(
            t.search_text.c.sender_id == "gen-lowconf")).scalar()
        assert body.endswith("fever and back pain\n") and "shoes too old" in body
        assert _row(conn, "brand-new").turns == 1
        assert get_watermark(conn) == watermark + 3
    assert refresh(fresh.engine).events == 0


def test_skipped_ids_are_read_when_they_commit(fresh):
    """An id skipped by a refresh (a transaction still open on PostgreSQL) is picked up later."""
    with fresh.engine.begin() as conn:
        top = conn.execute(sa.select(sa.func.max(t.events.c.id))).scalar()
        _insert_event(conn, "late-writer", "user", {
            "event": "user", "timestamp": time.time(), "text": "second", "input_channel": "rest",
            "parse_data": {"intent": {"name": "greet", "confidence": 0.9}}}, event_id=top + 2)
    refresh(fresh.engine)
    with fresh.engine.connect() as conn:
        pending = [r[0] for r in conn.execute(sa.select(t.pending_events.c.event_id))]
        assert pending == [top + 1]
    with fresh.engine.begin() as conn:
        _insert_event(conn, "late-writer", "user", {
            "event": "user", "timestamp": time.time(), "text": "first", "input_channel": "rest",
            "parse_data": {"intent": {"name": "greet", "confidence": 0.9}}}, event_id=top + 1)
    assert refresh(fresh.engine).events == 1
    with fresh.engine.connect() as conn:
        assert _row(conn, "late-writer").turns == 2
        assert conn.execute(sa.select(sa.func.count()).select_from(t.pending_events)).scalar() == 0


def test_refresh_budget_bounds_the_work_of_one_page_view(fresh):
    with fresh.engine.begin() as conn:
        for i in range(30):
            _insert_event(conn, f"bulk-{i}", "user", {
                "event": "user", "timestamp": time.time(), "text": "x", "input_channel": "rest",
                "parse_data": {"intent": {"name": "greet", "confidence": 0.9}}})
    first = refresh(fresh.engine, budget=10, batch=4)
    assert first.events == 10
    assert refresh(fresh.engine).events == 20
