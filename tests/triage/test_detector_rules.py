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
