"""The red-flag safety gate: the detector over every labelled case file.

Every emergency and urgent case must be detected at its tier or higher (a safety
question counts, because answering "yes" to it escalates at its tier: the live gate
answers it), and at most 2% of the `none` cases may be escalated or asked a safety
question. This is a gate, not a report.
"""

from __future__ import annotations

import pytest

from testkit.case_files import CASE_FILES, RANK, load_cases, outcome_of, score

CASES = [case for path in CASE_FILES for case in load_cases(path)]
RED = [c for c in CASES if c.tier != "none"]
NONE = [c for c in CASES if c.tier == "none"]


def test_case_files_are_big_enough() -> None:
    assert len(CASES) >= 800
    assert {c.tier for c in CASES} == {"emergency", "urgent", "none"}
    assert sum(len(c.turns) > 1 for c in CASES) >= 40


@pytest.mark.parametrize("case", RED, ids=[f"{c.source}:{c.display[:60]}" for c in RED])
def test_every_red_flag_is_escalated_at_its_tier_or_higher(case) -> None:
    outcome = outcome_of(case)
    assert outcome.effective >= RANK[case.tier], (
        f"{case.display!r}: expected {case.tier}, got {outcome.describe()}"
    )


def test_at_most_two_percent_of_benign_cases_escalated_or_asked() -> None:
    figures = score(NONE)
    wrong = [(c.display, o.describe()) for c, o in figures.wrong]
    assert figures.false_alarms <= 0.02 * len(NONE), wrong
