"""Detector behaviour on the context rules the gate depends on."""

from __future__ import annotations

import pytest

from sciaticalm.triage import default_detector


@pytest.mark.parametrize(
    ("text", "level", "sign"),
    [
        ("both my legs are numb", "emergency", "bilateral_leg_symptoms"),
        ("I can't feel my bum when I wipe", "emergency", "saddle_numbness"),
        ("I wet myself on my run this morning", "emergency", "bladder_dysfunction"),
        ("numbness down my left leg", "urgent", "unilateral_leg_symptoms"),
        ("I've got a fever and my back aches", "urgent", "fever"),
        ("fell off a ladder at work and my back is killing me", "emergency", "major_trauma"),
    ],
)
def test_reports_are_detected(text: str, level: str, sign: str) -> None:
    result = default_detector().detect(text)
    assert result.level == level
    assert sign in result.signs


@pytest.mark.parametrize(
    "text",
    [
        "no numbness, just stiff",  # negation
        "I don't have a fever",
        "no bladder problems, just stiffness",
        "is numbness serious?",  # general question
        "what if my legs go numb?",  # hypothetical
        "I lost weight on purpose",  # deliberate
        "since I started dieting I've lost 3kg",
        "I had a fever last month, it's gone",  # past and resolved
        "my legs are tired",  # benign look-alikes
        "I feel numb about my race time",
        "",
        "   ",
    ],
)
def test_non_reports_are_not_escalated(text: str) -> None:
    assert default_detector().detect(text).level is None


def test_laterality_and_offsets() -> None:
    text = "hello there, pins and needles in my right foot"
    result = default_detector().detect(text)
    (finding,) = result.findings
    assert finding.laterality == "right"
    assert text[finding.start : finding.end] == finding.text


def test_hostile_input_does_not_crash() -> None:
    detector = default_detector()
    for text in ["\x00\x01\x02 numb legs", "<script>alert(1)</script>", "🦵" * 5000,
                 "a" * 2_000_000, "שלום my legs are numb", "'; DROP TABLE events; --"]:
        detector.detect(text)
    assert detector.detect("\x00both legs numb\x00").level == "emergency"


@pytest.mark.parametrize(("text", "topic"), [
    ("having some issues down below since my long run", "continence"),
    ("my waterworks feel different since my back went", "continence"),
    ("leg gave way twice on the stairs today", "legs"),
    ("my chest feels weird after intervals", "chest"),
])
def test_a_body_system_with_a_change_asks_the_safety_question(text: str, topic: str) -> None:
    result = default_detector().detect(text)
    assert result.level != "emergency"
    assert result.question == topic and result.question_tier == "emergency"


@pytest.mark.parametrize("text", [
    "does running make everyone need a poo?",
    "heavy legs after my long run",
    "tripped on the trail and grazed my knee, nothing serious",
    "my bladder and bowels are completely normal",
    "glute bridges make my bum cramp, am i doing them wrong?",
])
def test_ordinary_mentions_ask_nothing(text: str) -> None:
    result = default_detector().detect(text)
    assert result.level is None and result.question is None, result


def test_a_confirmed_emergency_needs_no_question() -> None:
    result = default_detector().detect("i cant feel my bum when i wipe and peeing is weird")
    assert result.level == "emergency" and result.question is None


@pytest.mark.parametrize(("previous", "text", "level"), [
    ("I've got pins and needles after my run", "in both feet, up into my calves", "emergency"),
    ("I've got a numb patch since my run", "between my legs and round my bum", "emergency"),
    ("I've got a shooting pain after my runs", "down the back of my left leg only", "urgent"),
])
def test_an_answer_to_where_completes_the_sign(previous: str, text: str, level: str) -> None:
    assert default_detector().detect_in_context(text, previous).level == level


def test_a_later_message_without_a_site_does_not_revive_an_old_one() -> None:
    detector = default_detector()
    previous = "I had a tingling foot a couple of months ago after a long run"
    later = "it went after a week and has been fine since. what should I do to stop it?"
    assert detector.detect_in_context(later, previous).level is None
    # an escalated message is not escalated again by the next one
    assert detector.detect_in_context("thanks", "both my legs are numb").level is None


@pytest.mark.parametrize("text", [
    "my mate says his sciatica goes down his leg like an electric shock",
    "back pain at night? nah only after runs, i sleep fine",
    "fever dream of a race lol, legs feel like lead today",
    "red flags like numbness in the saddle area and bladder problems. I don't have any of that",
    "what does numbness actually mean, is it the same as pins and needles? just curious",
])
def test_reports_of_others_echoes_idioms_and_curiosity_are_not_reports(text: str) -> None:
    assert default_detector().detect(text).level is None


@pytest.mark.parametrize(("text", "level"), [
    # retention and hesitancy in plain words
    ("tried to wee before the race but nothing, back is agony", "emergency"),
    ("8 hours without a pee now and my back is killing me", "emergency"),
    ("struggling to get the wee to start since my back went", "emergency"),
    # erections told plainly, and the abbreviation
    ("can't keep it up in bed since my back flared", "emergency"),
    ("ED since my back went, is it connected?", "emergency"),
    # the saddle told as where a seat sits
    ("numb round where the bike saddle goes", "emergency"),
    # emoji legs
    ("🦶🦶 both numb since my run", "emergency"),
    ("left 🦵 tingly since the long run", "urgent"),
    # a collision told as an everyday event
    ("a van slammed into me at the crossing, lower back in bits", "emergency"),
    # paraesthesia by what it feels like
    ("my foot feels fizzy on the outside since the back went", "urgent"),
    # an idiom sets aside its own words, not the legs it names
    ("both legs feel heavy and tingling since yesterday", "emergency"),
    # a checklist item answered yes, and one answered no before a new line
    ("Checklist:\n- numbness: yes in my left foot\n- fever: no", "urgent"),
    ("Numbness: no\nTingling: both legs", "emergency"),
    # "is X normal?" about oneself asks, it does not deny
    ("is numbness in my right foot normal after a long run?", "urgent"),
    ("painkillers don't take the edge off, back pain every day", "urgent"),
    ("extra hole in my belt and I'm not trying, back aches", "urgent"),
    ("my spine curves more than it used to", "urgent"),
])
def test_round_six_concepts_are_reported(text: str, level: str) -> None:
    assert default_detector().detect(text).level == level


def test_a_general_question_made_ones_own_is_a_report() -> None:
    detector = default_detector()
    previous = "does numbness in your foot mean anything with back pain?"
    assert detector.detect(previous).level is None
    later = "asking for myself, my right foot, since Tuesday"
    assert detector.detect_in_context(later, previous).level == "urgent"


def test_no_warning_from_the_bowels_asks_the_safety_question() -> None:
    result = default_detector().detect("poo comes with no warning now since my back went")
    assert result.question == "continence" and result.question_tier == "emergency"


@pytest.mark.parametrize("text", [
    "marathon fever has got me, signed up for three!",
    "chest and back day yesterday, now lower back is tight",
    "shivering at the start pen in the freezing cold, back tight after",
    "got shivers of excitement at the finish, how do I strengthen my back?",
    "- numbness: none\n- fever: no\n- bladder: fine\njust stiffness",
    "e.g. can running cause tingling in the legs?",
    "weight loss advice for a runner with a bad back?",
    "my calves are screaming after hill reps, back ok",
    "my leg went to sleep sitting on the floor, fine after a few minutes",
    "Ed from my club says stretch more, back tight",
    "my love life is great thanks, back is stiff though",
    "tried to go for a run but nothing doing, back too stiff",
])
def test_round_six_look_alikes_are_not_reports(text: str) -> None:
    result = default_detector().detect(text)
    assert result.level is None and result.question is None, result


def test_the_only_issue_is_framing_not_a_change_of_function() -> None:
    """"Only issue is ... above my bum" names the lower back; it asks no safety question,
    while a real change told the same way still escalates."""
    detector = default_detector()
    framing = detector.detect("only issue is my back aches just above my bum after runs")
    assert framing.level is None and framing.question is None
    real = detector.detect("the only problem is i can't feel my bum when i wipe")
    assert real.level == "emergency"
