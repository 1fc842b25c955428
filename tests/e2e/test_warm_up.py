"""The real Rasa server does its first-use work while it starts (server/runtime/warm_up.py)
and leaves nothing of it in the conversation log. The action server's plugin, which reads
content/ while it starts, is tested in tests/unit/test_action_server_warm_up.py."""

from __future__ import annotations

import sqlite3

from server.runtime.warm_up import WARM_UP_SENDER, WARM_UP_TEXTS
from testkit.servers import Stack


def test_rasa_warms_up_before_it_answers(stack: Stack) -> None:
    log = (stack.workdir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    assert f"Warm-up done: {len(WARM_UP_TEXTS)} messages through the pipeline." in log
    assert "Warm-up failed" not in log


def test_the_warm_up_leaves_nothing_in_the_conversation_log(stack: Stack) -> None:
    stack.say("warm-up-check", "hello")  # the log exists and holds a real conversation
    with sqlite3.connect(stack.db_path) as db:
        by_sender = db.execute("SELECT count(*) FROM events WHERE sender_id = ?",
                               (WARM_UP_SENDER,)).fetchone()[0]
        by_text = db.execute("SELECT count(*) FROM events WHERE data LIKE ?",
                             (f"%{WARM_UP_TEXTS[1][:60]}%",)).fetchone()[0]
        real = db.execute("SELECT count(*) FROM events").fetchone()[0]
    assert (by_sender, by_text) == (0, 0)
    assert real > 0
