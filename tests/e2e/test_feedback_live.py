"""Feedback on an answer (the widget's 👍/👎) against the real Rasa and action servers:
logged in the SQL tracker store as the contract says (docs/widget.md), never answered,
the dialogue carries on as if it had not been sent; hostile feedback is refused or
cleaned, never a 5xx."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import requests

from testkit.servers import Stack, rest_id, socketio_id
from tests.e2e.conftest import slot_values, stored_events
from tests.e2e.test_socketio_channel import converse


def feedback(rating: str, answer: str, comment: str | None = None) -> str:
    data: dict[str, Any] = {"feedback_rating": rating}
    if comment is not None:
        data["feedback_comment"] = comment
    data["feedback_answer"] = answer[:300]
    return "/feedback" + json.dumps(data)


def event_dicts(db_path: Path, conversation: str) -> list[dict[str, Any]]:
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id",
                          (conversation,)).fetchall()
    return [json.loads(data) for (data,) in rows]


def feedback_records(db_path: Path, conversation: str) -> list[dict[str, str]]:
    """Each logged feedback's entities, checking the contract: a `user` event with intent
    `feedback`, immediately followed by `rewind`, and no bot message for it."""
    events = event_dicts(db_path, conversation)
    found = []
    for i, event in enumerate(events):
        parse = event.get("parse_data") or {}
        if event["event"] == "user" and (parse.get("intent") or {}).get("name") == "feedback":
            assert events[i + 1]["event"] == "rewind", events[i + 1]
            later = events[i + 2:]
            upto = next((j for j, e in enumerate(later) if e["event"] == "user"), len(later))
            assert not [e for e in later[:upto] if e["event"] == "bot"]
            found.append({e["entity"]: e["value"] for e in parse["entities"]})
    return found


def post(stack: Stack, sender: str, message: object) -> requests.Response:
    return requests.post(stack.rest_url, json={"sender": sender, "message": message},
                         timeout=30)


def test_feedback_is_logged_not_answered_and_the_form_carries_on(stack: Stack) -> None:
    sender = f"fb-{uuid.uuid4()}"
    stack.say(sender, "help me find the root cause")
    stack.say(sender, '/inform{"emergency_screen": "no"}')
    stack.say(sender, "no none of those")
    question = stack.say(sender, "the next day")  # now asks about mileage changes
    asked = "\n".join(r.get("text") or "" for r in question)
    assert slot_values(stack.db_path, sender, "requested_slot")[-1] == "load_change"

    comment = 'Too "vague" <b>here</b>'
    assert stack.say(sender, feedback("down", asked, comment)) == []
    assert stack.say(sender, feedback("up", asked)) == []

    # the next answer still fills the form, as if no feedback had been sent
    after = stack.say(sender, "yes, I've doubled my mileage")
    assert slot_values(stack.db_path, sender, "load_change")[-1] == "yes"
    assert slot_values(stack.db_path, sender, "requested_slot")[-1] == "shoe_age"
    assert after and "shoe" in "\n".join(r.get("text") or "" for r in after).lower()

    records = feedback_records(stack.db_path, rest_id(sender))
    assert records == [
        {"feedback_rating": "down", "feedback_comment": comment,
         "feedback_answer": asked[:300].strip()},
        {"feedback_rating": "up", "feedback_answer": asked[:300].strip()}]
    intents = [i for t, i, _ in stored_events(stack.db_path, sender) if t == "user"]
    assert "nlu_fallback" not in intents
    assert intents.count("feedback") == 2  # the store's intent_name column, as the console reads


def test_feedback_over_socketio_gets_no_bot_message(stack: Stack) -> None:
    session = uuid.uuid4().hex
    first = converse(stack.rasa_url, session, [{"message": "hello", "session_id": session}])
    answer = first[0]["text"]
    received = converse(stack.rasa_url, session, [
        {"message": feedback("up", answer), "session_id": session},
        {"message": "thanks", "session_id": session}])
    texts = [m.get("text") or "" for m in received]
    assert len(texts) == 1 and "welcome" in texts[0].lower()  # only the answer to "thanks"
    assert feedback_records(stack.db_path, socketio_id(session)) == [
        {"feedback_rating": "up", "feedback_answer": answer[:300].strip()}]


def test_hostile_feedback_is_refused_or_cleaned_never_a_5xx(stack: Stack) -> None:
    sender = f"fb-hostile-{uuid.uuid4()}"
    stack.say(sender, "hello")
    refused = [
        "/feedback{not json", "/feedback", '/feedback{"feedback_rating": "sideways"}',
        '/feedback{"feedback_rating": "up", "triage_level": "emergency"}',
        '/feedback{"feedback_rating": "up", "feedback_comment": {"a": 1}}',
        "/feedback" + json.dumps({"feedback_rating": "up", "feedback_comment": "x" * 6000}),
    ]
    statuses = [post(stack, sender, text).status_code for text in refused]
    assert statuses == [400, 400, 400, 400, 400, 413]
    cleaned = post(stack, sender, "/feedback" + json.dumps({
        "feedback_rating": "down", "feedback_comment": "a\u0000b\n<script>x</script>"
        + "y" * 2500, "feedback_answer": "z" * 1500}))
    assert cleaned.status_code == 200 and cleaned.json() == []
    (record,) = feedback_records(stack.db_path, rest_id(sender))
    assert record["feedback_comment"].startswith("a b <script>x</script>y")
    assert len(record["feedback_comment"]) == 200 and len(record["feedback_answer"]) == 300
    assert slot_values(stack.db_path, sender, "triage_level") == []
    assert stack.say(sender, "thanks")  # still answered as usual
