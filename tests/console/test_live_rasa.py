"""Real conversations with the trained assistant (Rasa + action server over REST),
read by the console from the SQLite file Rasa wrote and from a PostgreSQL copy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from staff_console import queries, transcript
from staff_console import tables as t
from staff_console.db import make_engine
from staff_console.filters import parse_filters
from staff_console.migrate import upgrade
from staff_console.refresh import refresh
from testkit.servers import MODEL, rasa_stack, rest_id
from tests.console.rasa_log import tracker_store

pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(not MODEL.exists(), reason="no trained model: make train")]

CONVERSATIONS = {
    "live-emergency": ["hi",
                       "since my run I have numbness around my saddle area and I can't "
                       "control my bladder"],
    "live-smalltalk": ["hello", "what stretches help with lower back pain after running?"],
}


@pytest.fixture(scope="module")
def live_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict]]:
    replies: dict[str, list[list[dict]]] = {}
    with rasa_stack(tmp_path_factory.mktemp("rasa-live")) as stack:
        for sender, messages in CONVERSATIONS.items():
            replies[sender] = [stack.say(sender, text) for text in messages]
        yield stack.db_path, replies


@pytest.fixture(params=["sqlite", "postgresql"])
def live_engine(request, live_log, databases):
    db_path, _ = live_log
    if request.param == "sqlite":
        url = f"sqlite:///{db_path}"
    else:
        # Rasa's own store creates the table on PostgreSQL; the rows are copied as written.
        url = databases.new("postgresql")
        tracker_store(url).engine.dispose()
        src = make_engine(f"sqlite:///{db_path}", sqlite_wal=False)
        with src.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                sa.select(t.events).order_by(t.events.c.id))]
        src.dispose()
        dst = make_engine(url)
        with dst.begin() as conn:
            conn.execute(t.events.insert(), rows)
        dst.dispose()
    engine = make_engine(url)
    upgrade(engine)
    refresh(engine)
    yield engine
    engine.dispose()


def test_real_conversations_in_the_console(live_log, live_engine):
    _, replies = live_log
    with live_engine.connect() as conn:
        page = queries.list_conversations(conn, parse_filters({}), page_size=50)
        by_id = {r.sender_id: r for r in page.rows}
        assert set(by_id) == {rest_id(s) for s in CONVERSATIONS}
        emergency = by_id[rest_id("live-emergency")]
        assert emergency.turns == 2 and emergency.channel == "rest"
        assert emergency.triage_level == "emergency"
        assert set(emergency.red_flags) & {"saddle_numbness", "bladder_dysfunction"}
        assert by_id[rest_id("live-smalltalk")].triage_level is None

        escalated = queries.list_conversations(conn, parse_filters({"triage": "emergency"}))
        assert [r.sender_id for r in escalated.rows] == [rest_id("live-emergency")]
        found = queries.list_conversations(conn, parse_filters({"q": "SADDLE area"}))
        assert [r.sender_id for r in found.rows] == [rest_id("live-emergency")]

        sessions = transcript.build(transcript.load_events(conn, rest_id("live-emergency")))
    items = [i for s in sessions for i in s.items]
    users = [i for i in items if i.kind == "user"]
    assert [u.text for u in users] == CONVERSATIONS["live-emergency"]
    assert users[1].intent == "red_flag" and users[1].triage
    bot_texts = [i.text for i in items if i.kind == "bot"]
    said = [m.get("text") for turn in replies["live-emergency"] for m in turn if m.get("text")]
    assert said and all(text in bot_texts for text in said)
    assert any(i.kind == "slot" and i.name == "triage_level" and i.value == "emergency"
               for i in items)
