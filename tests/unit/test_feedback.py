"""Feedback on an answer (the widget's 👍/👎): the payload's checks, the admission
pipeline's answer to it, and the Rasa hook that logs it without changing the dialogue
(a real DialogueStateTracker and the project's domain; no server)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from sciaticalm.feedback import Feedback, is_feedback, parse_feedback
from server.channels.admission import Refusal, parse_rest_body
from server.runtime import feedback as hook

REPO = Path(__file__).resolve().parents[2]


def payload(**data: Any) -> str:
    return "/feedback" + json.dumps(data)


def test_a_good_rating_is_read_with_its_comment_and_answer() -> None:
    got = parse_feedback(payload(feedback_rating="down", feedback_comment="too vague",
                                 feedback_answer='Try "the plank"'))
    assert got == Feedback("down", "too vague", 'Try "the plank"')
    assert got.entities() == [
        {"entity": "feedback_rating", "value": "down"},
        {"entity": "feedback_comment", "value": "too vague"},
        {"entity": "feedback_answer", "value": 'Try "the plank"'}]
    up = parse_feedback(payload(feedback_rating="up", feedback_answer="ok"))
    assert isinstance(up, Feedback) and up.comment is None
    assert [e["entity"] for e in up.entities()] == ["feedback_rating", "feedback_answer"]


def test_texts_are_one_line_capped_and_without_control_characters() -> None:
    got = parse_feedback(payload(feedback_rating="down",
                                 feedback_comment="a\u0000b\nc\u202e " + "x" * 5000,
                                 feedback_answer="y\u0007" * 400))
    assert isinstance(got, Feedback)
    assert got.comment is not None and got.comment.startswith("a b c ")
    assert len(got.comment) == 200 and 290 < len(got.answer) <= 300
    assert not any(ord(c) < 32 or c == "\u202e" for c in got.comment + got.answer)
    # HTML is kept as the visitor's text: whoever shows it escapes it
    html = parse_feedback(payload(feedback_rating="up", feedback_comment="<b>x</b>"))
    assert isinstance(html, Feedback) and html.comment == "<b>x</b>"


@pytest.mark.parametrize("text", [
    "/feedback", "/feedback{", "/feedback[1]", '/feedback"up"', "/feedback{}",
    payload(feedback_rating="sideways"), payload(feedback_rating=1),
    payload(feedback_rating="up", feedback_comment=5),
    payload(feedback_rating="up", feedback_answer=["x"]),
    payload(feedback_rating="up", triage_level="emergency"),
    payload(feedback_rating="up", red_flag="saddle_numbness"),
])
def test_malformed_feedback_is_refused(text: str) -> None:
    assert is_feedback(text)
    assert isinstance(parse_feedback(text), str)
    refused = parse_rest_body({"sender": "a", "message": text})
    assert isinstance(refused, Refusal) and refused.status == 400


def test_only_the_feedback_intent_counts_as_feedback() -> None:
    for text in ("/feedbacks", "/feedback_form", "feedback: great", "/greet", "/ask_footwear"):
        assert not is_feedback(text)
    assert is_feedback('  /feedback{"feedback_rating": "up"}')


def test_the_admission_pipeline_passes_the_cleaned_canonical_payload() -> None:
    body = parse_rest_body({"sender": "a", "message": payload(
        feedback_rating="up", feedback_comment="great\u0000 thanks", feedback_answer="x")})
    assert not isinstance(body, Refusal)
    assert json.loads(body.text[len("/feedback"):]) == {
        "feedback_rating": "up", "feedback_comment": "great thanks", "feedback_answer": "x"}


class Processor:
    """What the hook uses of Rasa's MessageProcessor, over one real tracker."""

    def __init__(self, tracker: DialogueStateTracker, domain: Domain) -> None:
        self.tracker, self.domain, self.saved = tracker, domain, 0
        self.handled: list[UserMessage] = []

    async def fetch_tracker_and_update_session(self, *_: Any) -> DialogueStateTracker:
        return self.tracker

    async def save_tracker(self, tracker: DialogueStateTracker) -> None:
        self.saved += 1


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "domain.yml"))


def in_the_form(domain: Domain) -> DialogueStateTracker:
    """A conversation waiting for the assessment's shoe question."""
    tracker = DialogueStateTracker("rest:v", domain.slots)
    tracker.update_with_events([
        ActionExecuted("action_listen"),
        UserUttered("find my root cause", {"name": "start_assessment", "confidence": 1.0}),
        ActionExecuted("assessment_form"), ActiveLoop("assessment_form"),
        SlotSet("requested_slot", "shoe_age"),
        BotUttered("How old are your running shoes?"), ActionExecuted("action_listen"),
    ], domain)
    return tracker


def test_the_hook_logs_feedback_rewound_and_leaves_the_dialogue_as_it_was(domain: Domain
                                                                          ) -> None:
    tracker = in_the_form(domain)
    before_events = list(tracker.applied_events())
    volatile = ("latest_event_time", "latest_input_channel")
    before_state = {k: v for k, v in tracker.current_state().items() if k not in volatile}
    processor = Processor(tracker, domain)
    text = payload(feedback_rating="down", feedback_comment="hmm",
                   feedback_answer="How old are your running shoes?")
    output = CollectingOutputChannel()
    replies = asyncio.run(hook.handle_message(processor, UserMessage(  # type: ignore[arg-type]
        text, output, "rest:v", input_channel="rest", message_id="m1")))
    assert replies == [] and output.messages == [] and processor.saved == 1
    user, rewind, listen = list(tracker.events)[-3:]
    assert isinstance(user, UserUttered) and isinstance(rewind, UserUtteranceReverted)
    assert listen == ActionExecuted("action_listen")
    data = user.as_dict()
    assert data["parse_data"]["intent"]["name"] == "feedback"
    assert {e["entity"]: e["value"] for e in data["parse_data"]["entities"]} == {
        "feedback_rating": "down", "feedback_comment": "hmm",
        "feedback_answer": "How old are your running shoes?"}
    assert data["message_id"] == "m1" and data["input_channel"] == "rest"
    # what the policies see is exactly what they saw before
    assert list(tracker.applied_events()) == before_events
    assert {k: v for k, v in tracker.current_state().items() if k not in volatile
            } == before_state
    assert tracker.latest_message.text == "find my root cause"
    assert tracker.get_slot("requested_slot") == "shoe_age"
    assert tracker.active_loop_name == "assessment_form"


def test_other_messages_go_to_rasa_and_malformed_feedback_is_dropped(domain: Domain,
                                                                     monkeypatch) -> None:
    seen: list[str] = []

    async def original(self: Any, message: UserMessage) -> None:
        seen.append(message.text or "")

    monkeypatch.setattr(hook, "_ORIGINAL", original)
    tracker = in_the_form(domain)
    count = len(tracker.events)
    processor = Processor(tracker, domain)
    for text in ("about 2 years old", "/feedback{not json"):
        asyncio.run(hook.handle_message(processor, UserMessage(  # type: ignore[arg-type]
            text, CollectingOutputChannel(), "rest:v")))
    assert seen == ["about 2 years old"]
    assert len(tracker.events) == count and processor.saved == 0


def test_install_replaces_and_uninstall_restores() -> None:
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor.handle_message
    hook.install()
    try:
        assert MessageProcessor.handle_message is hook.handle_message
    finally:
        hook.uninstall()
    assert MessageProcessor.handle_message is original
