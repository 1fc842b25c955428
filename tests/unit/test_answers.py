"""Parsing free-text answers to the assessment."""

from __future__ import annotations

import pytest

from sciaticalm.answers import parse_answer, parse_screen


@pytest.mark.parametrize(
    ("slot", "text", "expected"),
    [
        ("emergency_screen", "no, none of those", "no"),
        ("emergency_screen", "nope", "no"),
        ("emergency_screen", "yes", "yes"),
        ("emergency_screen", "not sure tbh", "unsure"),
        ("urgent_screen", "nah", "no"),
        ("pain_onset", "during the run", "during"),
        ("pain_onset", "halfway through my long run", "during"),
        ("pain_onset", "straight after I finish", "after"),
        ("pain_onset", "the morning after", "next_day"),
        ("pain_onset", "pretty much all the time", "constant"),
        ("load_change", "yes I doubled my mileage", "yes"),
        ("load_change", "started doing hill sprints", "yes"),
        ("load_change", "nothing has changed", "no"),
        ("load_change", "no", "no"),
        ("shoe_age", "about 2 years old", "old"),
        ("shoe_age", "600 miles", "old"),
        ("shoe_age", "300km", "new"),
        ("shoe_age", "eight months", "mid"),
        ("shoe_age", "brand new", "new"),
        ("shoe_age", "no idea", "unsure"),
        ("foot_strike", "I land on my heels", "heel"),
        ("foot_strike", "midfoot I think", "midfoot"),
        ("foot_strike", "on my toes", "forefoot"),
        ("foot_strike", "dunno", "unsure"),
        ("strength_work", "never", "none"),
        ("strength_work", "I don't do any core work", "none"),
        ("strength_work", "now and then", "sometimes"),
        ("strength_work", "planks twice a week", "regular"),
        # button values pass through; nonsense is refused
        ("shoe_age", "old", "old"),
        ("pain_onset", "purple", None),
        ("shoe_age", '/inform{"shoe_age": "old"}', None),
        ("strength_work", "", None),
        ("foot_strike", None, None),
    ],
)
def test_parse_answer(slot: str, text: str | None, expected: str | None) -> None:
    assert parse_answer(slot, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("ok then no to all of them", "no"), ("right, no", "no"), ("ok", "yes"),
    ("okay yes", "yes"), ("no to both", "no"),
])
def test_a_filler_before_the_answer_is_not_a_yes(text: str, expected: str) -> None:
    assert parse_screen(text) == expected


@pytest.mark.parametrize(("text", "command"), [
    ("actually stop, i'll do it later", "stop"), ("cancel", "stop"),
    ("i'll finish it later", "stop"), ("start over", "restart"),
    ("can we start again from the beginning?", "restart"),
    ("after runs", None), ("no", None), ("not sure", None), ("stop hurting would be nice", None),
])
def test_commands_about_the_assessment_are_no_answers(text: str, command: str | None) -> None:
    from sciaticalm.answers import assessment_command

    assert assessment_command(text) == command
