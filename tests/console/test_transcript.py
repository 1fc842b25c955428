"""Transcripts: turns in order, NLU details, actions, slot changes, sessions."""

from __future__ import annotations

from types import SimpleNamespace

from staff_console import transcript


def load(env, sender):
    with env.engine.connect() as conn:
        return transcript.build(transcript.load_events(conn, sender), low_confidence=0.5)


def test_escalated_transcript(seeded):
    sessions = load(seeded, "gen-emergency")
    assert len(sessions) == 1
    items = sessions[0].items
    kinds = [i.kind for i in items]
    assert kinds[:2] == ["user", "action"] and "bot" in kinds and "slot" in kinds
    users = [i for i in items if i.kind == "user"]
    assert [u.text for u in users][0] == "hi"
    flag = users[1]
    assert flag.intent == "red_flag" and flag.confidence == 1.0 and flag.triage
    assert {"entity": "red_flag", "value": "saddle_numbness",
            "extractor": "RedFlagDetector"} in flag.entities
    assert flag.channel == "rest"
    slots = [(i.name, i.value, i.triage) for i in items if i.kind == "slot"]
    assert ("triage_level", "emergency", True) in slots
    assert ("red_flags", ["saddle_numbness"], True) in slots
    actions = [i for i in items if i.kind == "action"]
    assert "action_listen" not in [a.name for a in actions]
    assert any(a.name == "action_escalation_followup" and a.triage for a in actions)
    bots = [i.text for i in items if i.kind == "bot"]
    assert bots == ["Hi! I help runners with lower back pain.",
                    "Please call emergency services now."]
    assert [i.ts for i in items] == sorted(i.ts for i in items)


def test_sessions_of_the_same_visitor_are_separated(seeded):
    sessions = load(seeded, "gen-two-sessions")
    assert [s.number for s in sessions] == [1, 2]
    assert sessions[1].started - sessions[0].started > 86_400
    assert [i.text for i in sessions[0].items if i.kind == "user"] == [
        "my lower back aches after tempo runs"]
    assert [i.text for i in sessions[1].items if i.kind == "user"] == [
        "hello again, the ache is back"]


def test_fallback_and_low_confidence_are_marked(seeded):
    items = load(seeded, "gen-fallback")[0].items
    first = next(i for i in items if i.kind == "user")
    assert first.fallback and first.low_confidence and first.confidence == 0.31
    assert first.ranking[0]["name"] == "nlu_fallback"


def test_form_loop_and_assessment_slot(seeded):
    items = load(seeded, "gen-assessed")[0].items
    assert [i.text for i in items if i.kind == "loop"] == [
        "form assessment_form started", "form ended"]
    assert ("assessment_complete", True) in [(i.name, i.value) for i in items if i.kind == "slot"]


def test_build_without_session_started_event():
    rows = [SimpleNamespace(type_name="user", timestamp=1.0,
                            data='{"text": "hi", "parse_data": {"intent": {"name": "greet"}}}'),
            SimpleNamespace(type_name="bot", timestamp=2.0, data='{"text": "hello"}'),
            SimpleNamespace(type_name="user", timestamp=3.0, data="not json")]
    sessions = transcript.build(rows)
    assert len(sessions) == 1
    assert [(i.kind, i.text) for i in sessions[0].items] == [
        ("user", "hi"), ("bot", "hello"), ("user", "")]
