"""👍/👎 on an answer and "Keep my plan", in chromium against the real servers; the
feedback is then read back from the conversation log (Rasa's SQL tracker store)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml
from playwright.sync_api import expect

from sciaticalm.content import library
from staff_console.inbox import needing_a_look
from testkit.servers import socketio_id
from tests.web.test_accessibility import axe_violations
from tests.web.widget import Widget

REPO = Path(__file__).resolve().parents[2]
TEXTS = json.loads((REPO / "web" / "src" / "content.json").read_text(encoding="utf-8"))
FB, PLAN = TEXTS["feedback"], TEXTS["plan"]
PLAN_CONTENT = yaml.safe_load((REPO / "content" / "plan.yml").read_text(encoding="utf-8"))
HOSTILE = "<img src=x onerror=alert(1)>"


def logged_events(db_path: Path, conversation: str) -> list[dict[str, Any]]:
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id",
                          (conversation,)).fetchall()
    return [json.loads(data) for (data,) in rows]


def wait_for_feedback(db_path: Path, conversation: str, count: int
                      ) -> tuple[list[dict[str, Any]], list[int]]:
    """The conversation's events once `count` feedback events are logged, and their places."""
    deadline = time.monotonic() + 30
    while True:
        events = logged_events(db_path, conversation)
        places = [i for i, e in enumerate(events) if e["event"] == "user" and (
            (e.get("parse_data") or {}).get("intent") or {}).get("name") == "feedback"]
        if len(places) >= count or time.monotonic() > deadline:
            return events, places
        time.sleep(0.3)


def test_thumbs_down_with_a_comment_lands_in_the_log(widget: Widget, stack: Any) -> None:
    page = widget.page
    widget.open()
    widget.wait_online()
    widget.say("What shoes should I wear for running?")
    shown = widget.message_count()

    group = page.get_by_role("group", name=FB["question"]).last
    group.get_by_role("button", name=FB["down"]).press("Enter")  # by keyboard
    comment = page.get_by_label(FB["commentLabel"])
    expect(comment).to_be_focused()
    assert axe_violations(widget) == []  # the control and the comment field
    said = 'Needs "more" <b>detail</b> on fitting'
    comment.fill(said)
    comment.press("Enter")
    expect(page.get_by_text(FB["commentThanks"])).to_be_visible()
    page.wait_for_timeout(1500)
    assert widget.message_count() == shown  # no visitor bubble, no answer
    expect(page.locator(".scw-typing")).to_be_hidden()

    conversation = socketio_id(widget.stored_state()["sessionId"])
    events, places = wait_for_feedback(stack.db_path, conversation, 2)
    assert len(places) == 2, [e["event"] for e in events]
    rated = [e for e in events[:places[0]] if e["event"] == "bot" and e.get("text")][-1]
    records = []
    for place in places:
        assert events[place + 1]["event"] == "rewind"  # policies never see it
        assert not [e for e in events[place + 1:] if e["event"] == "bot"]  # never answered
        records.append({e["entity"]: e["value"]
                        for e in events[place]["parse_data"]["entities"]})
    answer = " ".join(rated["text"][:300].split())
    assert records == [
        {"feedback_rating": "down", "feedback_answer": answer},
        {"feedback_rating": "down", "feedback_comment": said, "feedback_answer": answer}]

    # What the Inbox reads (staff_console.inbox over the real log's rows) lists the
    # rated question for review, with the rating and the comment.
    with sqlite3.connect(stack.db_path) as db:
        rows = [SimpleNamespace(id=i, type_name=kind, timestamp=ts, data=data)
                for i, kind, ts, data in db.execute(
                    "SELECT id, type_name, timestamp, data FROM events "
                    "WHERE sender_id = ? ORDER BY id", (conversation,))]
    flagged = needing_a_look(conversation, rows)
    assert [m.text for m in flagged] == ["What shoes should I wear for running?"]
    assert "thumbs_down" in flagged[0].reasons
    assert [f.comment for f in flagged[0].feedback if f.comment] == [said]

    assert widget.say("thanks"), "no answer after the feedback"
    assert widget.dialogs == []


def test_keep_my_plan_after_the_assessment(widget: Widget) -> None:
    page = widget.page
    widget.open()
    widget.wait_online()
    widget.say("I'd like to start the assessment")
    for answer in ("no", "no, none of those", f"the next day {HOSTILE}",
                   "yes, I've doubled my mileage", "about 2 years old", "I land on my heels",
                   "never"):
        widget.say(answer)
    keep = page.get_by_role("group", name=PLAN["keep"])
    expect(keep).to_be_visible()
    assert axe_violations(widget) == []

    with page.expect_download() as download_info:
        keep.get_by_role("button", name=PLAN["download"]).click()
    download = download_info.value
    assert download.suggested_filename == PLAN["fileName"]
    html = Path(download.path()).read_text(encoding="utf-8")
    lib = library()
    headings = [c["heading"] for c in PLAN_CONTENT["contributors"].values()]
    assert "Ease your training load" in headings
    assert sum(h in html for h in headings) >= 3, "the plan's sections are missing"
    assert lib.disclaimer["full"]["text"] in html
    assert lib.contact["helpline"]["display"] in html
    assert f'href="tel:{lib.contact["helpline"]["tel"]}"' in html
    assert "the next day &lt;img src=x onerror=alert(1)&gt;" in html  # the visitor's words
    assert "<img" not in html and "<script" not in html

    with page.context.expect_page() as tab_info:
        keep.get_by_role("button", name=PLAN["open"]).click()
    tab = tab_info.value
    tab.wait_for_load_state()
    expect(tab.get_by_role("heading", name=PLAN["title"])).to_be_visible()
    expect(tab.get_by_text(lib.contact["helpline"]["display"]).first).to_be_visible()
    expect(tab.get_by_text(f"the next day {HOSTILE}")).to_be_visible()
    assert tab.locator("img").count() == 0
    tab.close()
    assert widget.dialogs == []
