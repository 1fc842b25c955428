"""Every filter and the search, on the scripted log, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from staff_console import queries
from staff_console.filters import parse_filters
from tests.console.rasa_log import HTML_TEXT


def senders(env, **args) -> set[str]:
    f = parse_filters({k: str(v) for k, v in args.items()})
    assert not f.errors, f.errors
    with env.engine.connect() as conn:
        page = queries.list_conversations(conn, f, page_size=1000, low_confidence=0.5)
    assert page.total == len(page.rows)
    return {r.sender_id for r in page.rows}


def expected(env, pred) -> set[str]:
    return {s for s, e in env.expected.items() if pred(e)}


def test_no_filter_lists_everything_newest_activity_first(seeded):
    f = parse_filters({})
    with seeded.engine.connect() as conn:
        page = queries.list_conversations(conn, f, page_size=1000)
    assert {r.sender_id for r in page.rows} == set(seeded.expected)
    last = [r.last_ts for r in page.rows]
    assert last == sorted(last, reverse=True)
    assert page.rows[-1].sender_id == "gen-old"


def test_pagination(seeded):
    with seeded.engine.connect() as conn:
        p1 = queries.list_conversations(conn, parse_filters({}), page_size=4)
        p2 = queries.list_conversations(conn, parse_filters({"page": "2"}), page_size=4)
        p9 = queries.list_conversations(conn, parse_filters({"page": "9"}), page_size=4)
    assert p1.total == len(seeded.expected) and p1.pages == -(-p1.total // 4)
    assert len(p1.rows) == 4 and len(p2.rows) == 4
    assert not {r.sender_id for r in p1.rows} & {r.sender_id for r in p2.rows}
    assert p1.rows[-1].last_ts >= p2.rows[0].last_ts
    assert p9.rows == []


@pytest.mark.parametrize("triage,pred", [
    ("emergency", lambda e: e.triage == "emergency"),
    ("urgent", lambda e: e.triage == "urgent"),
    ("escalated", lambda e: e.triage is not None),
    ("none", lambda e: e.triage is None),
])
def test_triage_filter(seeded, triage, pred):
    assert senders(seeded, triage=triage) == expected(seeded, pred)


def test_channel_filter(seeded):
    for channel in ("rest", "socketio"):
        assert senders(seeded, channel=channel) == expected(seeded, lambda e, c=channel:
                                                            e.channel == c)
    assert senders(seeded, channel="telegram") == set()


def test_intent_filter(seeded):
    assert senders(seeded, intent="red_flag") == {"gen-emergency", "gen-urgent"}
    assert senders(seeded, intent="ask_training_load") == {f"gen-filler-{i}" for i in range(6)}
    assert senders(seeded, intent="describe_pain") == {"gen-html", "gen-two-sessions"}


def test_failure_filters_with_configurable_threshold(seeded):
    assert senders(seeded, failures="fallback") == {"gen-fallback"}
    assert senders(seeded, failures="low_confidence") == {"gen-fallback", "gen-lowconf"}
    assert senders(seeded, failures="any") == {"gen-fallback", "gen-lowconf"}
    assert senders(seeded, failures="low_confidence", confidence_below="0.8") == {
        "gen-fallback", "gen-lowconf", "gen-sql"}
    assert senders(seeded, failures="low_confidence", confidence_below="0.3") == set()
    # The default threshold comes from the settings.
    f = parse_filters({"failures": "low_confidence"})
    with seeded.engine.connect() as conn:
        page = queries.list_conversations(conn, f, page_size=100, low_confidence=0.9)
    assert {r.sender_id for r in page.rows} == expected(seeded, lambda e: e.min_conf < 0.9)


def test_assessment_filter(seeded):
    assert senders(seeded, assessment="completed") == {"gen-assessed"}
    assert "gen-assessed" not in senders(seeded, assessment="not_completed")
    assert len(senders(seeded, assessment="not_completed")) == len(seeded.expected) - 1


def test_date_range_filter(seeded):
    today = dt.datetime.now(dt.timezone.utc).date()
    todays = expected(seeded, lambda e: e.days_ago == 0)
    assert senders(seeded, date_from=today, date_to=today) == todays
    week = senders(seeded, date_from=today - dt.timedelta(days=7), date_to=today)
    assert week == expected(seeded, lambda e: e.days_ago <= 7)
    # A conversation is in range if it was active in it: the two-session one spans 3 days.
    three_days_ago = today - dt.timedelta(days=3)
    assert "gen-two-sessions" in senders(seeded, date_from=three_days_ago,
                                         date_to=three_days_ago)
    old = today - dt.timedelta(days=400)
    assert senders(seeded, date_from=old, date_to=old) == {"gen-old"}


def test_free_text_search_is_case_insensitive_and_literal(seeded):
    assert senders(seeded, q="NUMB between") == {"gen-emergency"}
    assert senders(seeded, q="hamstrings") == {"gen-fallback"}
    # SQL syntax and LIKE wildcards are plain text.
    assert senders(seeded, q="'; DROP TABLE events; --") == {"gen-sql"}
    assert senders(seeded, q="100% sure_thing") == {"gen-sql"}
    assert senders(seeded, q="%") == {"gen-sql"}
    assert senders(seeded, q="_") == {"gen-sql"}
    assert senders(seeded, q="' OR '1'='1") == set()
    assert senders(seeded, q="<script>") == {"gen-html"}
    # Bot text is not searched, only what visitors wrote.
    assert senders(seeded, q="emergency services") == set()
    assert HTML_TEXT


def test_filters_combine(seeded):
    today = dt.datetime.now(dt.timezone.utc).date()
    assert senders(seeded, triage="escalated", channel="socketio", date_from=today) == {
        "gen-urgent"}
    assert senders(seeded, intent="ask_training_load", channel="rest") == {
        "gen-filler-1", "gen-filler-3", "gen-filler-5"}


def test_bad_arguments_are_reported_and_ignored():
    f = parse_filters({"triage": "purple", "date_from": "yesterday", "confidence_below": "2",
                       "page": "-3", "sort": "x"})
    assert f.triage == "" and f.date_from is None and f.confidence_below is None
    assert f.page == 1 and f.sort == "recent" and len(f.errors) == 4
    swapped = parse_filters({"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert swapped.date_from < swapped.date_to


def test_filter_round_trips_through_the_query_string():
    f = parse_filters({"triage": "urgent", "q": "a&b=c", "tag": "Follow-Up",
                       "date_from": "2026-01-02", "page": "3"})
    again = parse_filters(dict(__import__("urllib.parse").parse.parse_qsl(f.query_string())))
    assert again == f and again.tag == "follow-up"
    assert "page" not in f.args(page=1)
