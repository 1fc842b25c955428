"""Messages that ask about several topics at once, answered topic by topic."""

from __future__ import annotations

import pytest

from sciaticalm.content import library
from sciaticalm.several_questions import topics_asked


@pytest.mark.parametrize(("text", "topics"), [
    ("what causes it, how do i fix my form, and what shoes should i get?",
     ["causes", "running_form", "footwear"]),
    ("I've been running 6 months. What stretches should I do? And do I need new shoes?",
     ["stretching", "footwear"]),
    ("How long should I hold a plank? And my trainers are from 2021, should I replace them?",
     ["strengthening", "footwear"]),
    ("Is it my shoes or my core?", ["footwear", "strengthening"]),
])
def test_each_topic_asked_is_found_in_order(text: str, topics: list[str]) -> None:
    assert [a.topic for a in topics_asked(text, library())] == topics


@pytest.mark.parametrize("text", [
    "which stretches help with lower back pain after running?", "how do i do a plank",
    "what shoes should i get", "my physio says running is fine. what exercises can i do?",
])
def test_one_topic_is_not_several(text: str) -> None:
    assert topics_asked(text, library()) == []


def test_the_answer_covers_each_topic(dispatcher, make_tracker, domain) -> None:
    from actions.several import ActionSeveralTopics
    from tests.unit.test_actions import run, texts

    text = "How long should I hold a plank? And should I replace my old trainers?"
    tracker = make_tracker(text, "ask_several", slots={"disclaimer_shown": True})
    events = run(ActionSeveralTopics(), dispatcher, tracker, domain)
    said = texts(dispatcher)
    lib = library()
    assert len(said) == 2
    assert lib.item("strengthening/plank").dose in said[0]
    assert "Plank" in said[0] and lib.item("strengthening/plank").how_to[0] not in said[0]
    assert "shoe" in said[1].lower()
    assert any(e.get("name") == "last_item" and e.get("value") == "footwear" for e in events)


def test_a_story_s_questions_name_their_items() -> None:
    from sciaticalm.content import library
    from sciaticalm.several_questions import items_asked

    text = ("My shoes are two years old and my back aches after runs. Are my shoes the "
            "problem? And should I get orthotics?")
    assert "footwear/orthotic_inserts" in items_asked(text, library())
    form = "I might be overstriding outside. What form things should I focus on?"
    assert items_asked(form, library()) == ["running_form/posture", "running_form/foot_strike",
                                            "running_form/stride_length"]
    assert items_asked("my orthotics are new and my back hurts", library()) == []
