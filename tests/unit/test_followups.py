"""Follow-ups in context: which part of the last item a short question asks about."""

from __future__ import annotations

import pytest

from sciaticalm.aspects import parse_aspect
from server.nlu.followup_component import is_followup, item_question


@pytest.mark.parametrize(("text", "aspect"), [
    ("how long should I hold it?", "dose"), ("and how many?", "dose"), ("how often?", "dose"),
    ("why?", "helps"), ("what mistakes should I avoid?", "mistakes"),
    ("how long do I hold that one?", "dose"), ("is there an easier version?", "how_to"),
    ("and the other ones?", "others"), ("what else?", "others"),
    ("how do i fix it?", "how_to"), ("how do I check it?", "how_to"),
])
def test_follow_ups_name_their_aspect(text: str, aspect: str) -> None:
    assert parse_aspect(text) == aspect
    assert is_followup(text, "strengthening/plank") == aspect


def test_no_follow_up_without_a_last_item_or_when_another_item_is_named() -> None:
    assert is_followup("how long should I hold it?", None) is None
    assert is_followup("how long should I hold the cobra?", "strengthening/plank") is None
    assert is_followup("thanks", "strengthening/plank") is None
    long = "how long should I keep going with all of this before I can run properly again"
    assert is_followup(long, "strengthening/plank") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("what about the cobra?", ("ask_stretching", "cobra_pose")),
    ("why midfoot?", ("ask_running_form", "foot_strike")),
    ("ok how long for the plank", ("ask_strengthening", "plank")),
])
def test_a_short_question_about_a_named_item_goes_to_its_topic(text, expected) -> None:
    assert item_question(text, "thank") == expected


def test_a_topic_the_classifier_picked_is_trusted() -> None:
    assert item_question("what about the cobra?", "ask_stretching") is None
    assert item_question("what about my shoes", "ask_footwear") is None
