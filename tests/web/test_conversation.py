"""A whole conversation through the demo page, against the real assistant."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from testkit.servers import socketio_id
from tests.web.widget import Widget

CONTENT = json.loads(
    (Path(__file__).resolve().parents[2] / "web" / "src" / "content.json").read_text()
)
FOOTWEAR = re.compile(r"\b(shoes?|trainers?|cushion\w*|fit(ting|ted)?)\b", re.I)


def user_messages_by_sender(db_path: Path) -> dict[str, list[str]]:
    """What the Rasa tracker store recorded, per conversation."""
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT sender_id, data FROM events WHERE type_name = 'user' ORDER BY id"
        ).fetchall()
    out: dict[str, list[str]] = {}
    for sender, data in rows:
        out.setdefault(sender, []).append(json.loads(data).get("text"))
    return out


def test_greeting_shoes_quick_reply_assessment_emergency_reload(
    widget: Widget, stack: Any, site_url: str
) -> None:
    page = widget.page
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    widget.open()
    # Greeting and disclaimer are shown locally, before any server reply.
    assert widget.message_texts() == [CONTENT["greeting"], CONTENT["disclaimer"]]
    widget.wait_online()

    greeting = widget.say("hi")
    assert greeting, "the assistant did not greet back"
    expect(widget.quick_replies.first).to_be_visible()

    # A quick reply other than the assessment: its title is shown, its payload sent.
    titles = [t.strip() for t in widget.quick_replies.all_inner_texts()]
    pick = next((t for t in titles if "root cause" not in t.lower()), titles[0])
    label, answer = widget.click_quick_reply(pick)
    assert label == pick and answer
    assert answer != greeting

    shoes = widget.say("What shoes should I wear for running?")
    assert FOOTWEAR.search(" ".join(shoes)), f"no footwear advice in {shoes}"

    first_question = widget.say("I'd like to start the assessment")
    assert any("?" in t for t in first_question), f"assessment did not ask: {first_question}"

    before = widget.message_count()
    widget.say("both my legs are numb")
    alert = widget.alerts.last
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Emergency")
    expect(alert.locator('a[href="tel:999"]')).to_be_visible()
    # The text bubbles of that bot turn carry the alert styling and label too.
    turn = widget.log.locator(".scw-msg").evaluate_all(
        "(els, i) => els.slice(i).filter(e => e.classList.contains('scw-msg--bot'))"
        ".map(e => e.className)", before + 1)
    assert turn and all("scw-msg--emergency" in c for c in turn), turn
    expect(widget.log.locator(".scw-msg--alert .scw-flag").first).to_contain_text("Emergency")
    assert "999" in " ".join(widget.bot_texts_since(before + 1))

    # Reload: the same conversation is back, in the same Rasa session.
    transcript = widget.message_texts()
    session_id = widget.stored_state()["sessionId"]
    page.reload()
    expect(widget.panel).to_be_visible()
    assert widget.message_texts() == transcript
    expect(widget.alerts.last.locator('a[href="tel:999"]')).to_be_visible()
    widget.wait_online()
    assert widget.stored_state()["sessionId"] == session_id

    # Navigate within the site: still there, and the assistant still answers.
    page.get_by_role("link", name="When to get help").first.click()
    expect(page).to_have_url(f"{site_url}/when-to-get-help.html")
    assert widget.message_texts() == transcript
    widget.wait_online()
    assert widget.say("thanks"), "no answer after navigating"

    # The server saw every message once, all in one conversation.
    sent = user_messages_by_sender(stack.db_path).get(socketio_id(session_id))
    assert sent is not None, "the tracker store has no conversation for the widget's session"
    assert sent.count("both my legs are numb") == 1
    assert sent.count("hi") == 1
    assert sent[-1] == "thanks"
    assert widget.dialogs == []
