"""Triage case files and how a case is judged (shared by the gate and scripts/triage_round.py).

A case is a single message (`text`) or a conversation (`turns`). Its outcome is the
highest tier the detector reaches over the turns; a safety question counts as its tier
only because answering "yes" to it escalates at that tier (the live gate answers it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sciaticalm.tiers import TIER_RANK
from sciaticalm.triage import default_detector

TESTS = Path(__file__).resolve().parents[1] / "tests"
# Every case file of the gate: the first set, then the blind rounds (docs/triage.md).
CASE_FILES = sorted(TESTS.glob("triage_cases*.yml"))
# The detector's own tier ranking, with "no tier" below it.
RANK = {None: 0, "none": 0, **TIER_RANK}


@dataclass(frozen=True)
class Case:
    """One labelled case from a case file."""

    turns: tuple[str, ...]
    tier: str
    signs: tuple[str, ...]
    source: str
    e2e: bool = False

    @property
    def display(self) -> str:
        return " | ".join(self.turns)


@dataclass(frozen=True)
class Outcome:
    """What the detector made of a case: escalation tier, and any safety question asked."""

    level: str | None
    question: str | None = None

    @property
    def effective(self) -> int:
        return max(RANK[self.level], RANK[self.question])

    def describe(self) -> str:
        return f"{self.level or 'none'}" + (f" (asked: {self.question})" if self.question else "")


@dataclass
class Figures:
    """Recall per tier and false alarms on benign cases."""

    counts: dict[str, int] = field(default_factory=lambda: {"emergency": 0, "urgent": 0,
                                                              "none": 0})
    at_tier: dict[str, int] = field(default_factory=lambda: {"emergency": 0, "urgent": 0})
    false_alarms: int = 0
    questions_on_benign: int = 0
    wrong: list[tuple[Case, Outcome]] = field(default_factory=list)

    def summary(self) -> str:
        e, u, n = (self.counts[k] for k in ("emergency", "urgent", "none"))
        return (f"emergency {self.at_tier['emergency']}/{e} at tier, "
                f"urgent {self.at_tier['urgent']}/{u} at tier or higher, "
                f"benign escalated or asked {self.false_alarms}/{n} "
                f"({self.questions_on_benign} of them a safety question)")


def load_cases(path: Path) -> list[Case]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    cases = []
    for raw in data["cases"]:
        turns = tuple(raw["turns"]) if "turns" in raw else (raw["text"],)
        cases.append(Case(turns=turns, tier=raw["tier"], signs=tuple(raw.get("signs") or ()),
                          source=Path(path).name, e2e=bool(raw.get("e2e"))))
    return cases


def outcome_of(case: Case) -> Outcome:
    """Highest tier over the turns; one safety question at most, as in the live assistant."""
    detector = default_detector()
    level: str | None = None
    question: str | None = None
    previous: str | None = None
    for text in case.turns:
        result = detector.detect_in_context(text, previous)
        previous = text
        if RANK[result.level] > RANK[level]:
            level = result.level
        if (result.question and question is None
                and RANK[result.question_tier] > RANK[result.level]):
            question = result.question_tier
    return Outcome(level=level, question=question)


def score(cases: list[Case]) -> Figures:
    figures = Figures()
    for case in cases:
        outcome = outcome_of(case)
        figures.counts[case.tier] += 1
        if case.tier == "none":
            if outcome.effective:
                figures.false_alarms += 1
                figures.questions_on_benign += int(not outcome.level)
                figures.wrong.append((case, outcome))
        elif outcome.effective >= RANK[case.tier]:
            figures.at_tier[case.tier] += 1
        else:
            figures.wrong.append((case, outcome))
    return figures
