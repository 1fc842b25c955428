"""The red-flag safety gate: the detector over every labelled case.

Every emergency and urgent case must be detected at its tier or higher, and at
most 2% of the `none` cases may be escalated. This is a gate, not a report.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sciaticalm.triage import default_detector

TESTS = Path(__file__).resolve().parents[1]
# triage_cases.yml: the main set; triage_cases_blind.yml: a second batch written
# without sight of the detector (measured before the detector was tuned on it).
CASES = [case for name in ("triage_cases.yml", "triage_cases_blind.yml")
         for case in yaml.safe_load((TESTS / name).read_text(encoding="utf-8"))["cases"]]
RANK = {None: 0, "none": 0, "urgent": 1, "emergency": 2}
RED = [c for c in CASES if c["tier"] != "none"]
NONE = [c for c in CASES if c["tier"] == "none"]


def test_case_file_is_big_enough() -> None:
    assert len(CASES) >= 380
    assert {c["tier"] for c in CASES} == {"emergency", "urgent", "none"}


@pytest.mark.parametrize("case", RED, ids=[c["text"][:60] for c in RED])
def test_every_red_flag_is_escalated_at_its_tier_or_higher(case: dict) -> None:
    result = default_detector().detect(case["text"])
    assert RANK[result.level] >= RANK[case["tier"]], (
        f"{case['text']!r}: expected {case['tier']}, got {result.level} {result.signs}"
    )


def test_at_most_two_percent_of_benign_cases_escalated() -> None:
    escalated = [c["text"] for c in NONE if default_detector().detect(c["text"]).level]
    assert len(escalated) <= 0.02 * len(NONE), escalated
