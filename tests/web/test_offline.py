"""Network drop: the widget says it is offline, reconnects by itself, and sends
what was typed meanwhile exactly once."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from testkit.servers import socketio_id
from tests.web.widget import Widget


def user_texts(db_path: Path, sender: str) -> list[str]:
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT data FROM events WHERE type_name = 'user' AND sender_id = ? ORDER BY id",
            (socketio_id(sender),),
        ).fetchall()
    return [json.loads(data).get("text") for (data,) in rows]


def test_offline_then_back_online(widget: Widget, stack: Any) -> None:
    page = widget.page
    widget.open()
    widget.wait_online()
    widget.say("hi")
    session_id = widget.stored_state()["sessionId"]

    page.context.set_offline(True)
    status = page.locator(".scw-status")
    expect(status).to_be_visible()
    expect(status).to_contain_text("offline")

    before = widget.message_count()
    widget.input.fill("what stretches help?")
    widget.input.press("Enter")
    expect(widget.log.locator(".scw-msg--pending")).to_have_count(1)

    page.context.set_offline(False)
    answer = widget.wait_for_turn(before + 1)
    assert answer
    expect(status).to_be_hidden()
    expect(widget.log.locator(".scw-msg--pending")).to_have_count(0)
    assert widget.stored_state()["sessionId"] == session_id
    assert user_texts(stack.db_path, session_id).count("what stretches help?") == 1
