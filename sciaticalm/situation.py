"""Read a runner's own account of their training, shoes, form and pain (pure logic).

Runners start by describing themselves ("went from 15 to 30 miles a month ago, my
back aches after long runs"). Each sentence that names a topic (mileage or pace,
shoes, how they land, core work, when it hurts) is read with the assessment's own
answer parsers (sciaticalm.answers), so a statement fills the same slots as an
answer to the assessment's question, and the assessment later skips it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sciaticalm.answers import (
    parse_foot_strike,
    parse_pain_onset,
    parse_shoe_age,
    parse_strength_work,
)

SENTENCE = re.compile(r"(?<=[.!?;\n])\s+|,\s+(?:and|but|also|plus)\s+|"
                      r"\s+(?:and|but)\s+(?=i\b|my\b)")
LOAD_TOPIC = re.compile(
    r"\b(miles?|mileage|km|kms|k|kilomet\w*|distance|long runs?|intervals?|hill ?(repeats|reps)?|"
    r"hills|tempo|speed ?work|sprints?|pace|faster|marathon|half|10k|5k|ultra|couch to 5k|"
    r"c25k|runs? a week|times a week|sessions?|training|plan)\b")
LOAD_UP = re.compile(
    r"\b(went|gone|jumped|increas\w*|upp?ed|bumped|doubl\w*|trebl\w*|ramp\w*|added|adding|"
    r"started|starting|took up|more|longer|further|extra|built up|building|step(ped)? up|"
    r"every run is flat out|flat out|loads of|lots of)\b|\bfrom \d+\w* ?\w* to \d+")
LOAD_DOWN = re.compile(r"\b(cut (back|down)|reduced|less than|dropped|same as|haven'?t changed|"
                       r"no change|steady)\b")
LOAD_DETAIL = re.compile(r"\bfrom (\d+)\s*(miles?|k|km|kms)?(?: a week| per week| weekly)? to "
                         r"(\d+)\s*(miles?|k|km|kms)?")
QUESTION = re.compile(r"^(how|what|which|where|when|why|can|could|should|is|are|do|does|will|"
                      r"would|any)\b")
SHOE_TOPIC = re.compile(r"\b(shoes?|trainers?|runners|sneakers?|pair)\b")
STRIKE_TOPIC = re.compile(r"\b(land\w*|heel|heels|strike|over ?strid\w*|foot (way )?out in front|"
                          r"stride)\b")
CORE_TOPIC = re.compile(r"\b(core|strength|planks?|sit ?ups?|crunches|gym|pilates|weights|"
                        r"abs)\b")
PAIN_WORDS = re.compile(r"\b(pain|hurts?|hurting|aches?|aching|achy|sore|stiff|tight|niggles?)\b")
EXTRAS = {
    "posture": re.compile(r"\b(slouch\w*|hunch\w*|lean(ing)? forward|bent over|shoulders up)\b"),
    "stretching": re.compile(
        r"\b(don'?t (do any |really )?stretch\w*|never stretch\w*|no stretching|don'?t warm up|"
        r"tight hamstrings?|hamstrings? (are|is|feel) (super |really |so )?tight|tight hip|"
        r"(sit|sat|sitting) at a desk|desk (job|all day)|sit(ting)? all day)\b"),
    "orthotics": re.compile(r"\b(flat feet|flat-footed|fallen arches|overpronat\w*|pronat\w*)\b"),
    "support": re.compile(r"\b(minimalist|barefoot|zero drop|flat (shoes|trainers|soles?)|"
                          r"thin (soles?|shoes|trainers)|fashion (trainers|shoes|sneakers)|"
                          r"everyday (trainers|shoes|sneakers)|cheap (trainers|shoes|sneakers)|"
                          r"(trainers|shoes|sneakers)[^.]{0,30}\b(flat|thin)\b)"),
}
CONDITIONS = re.compile(
    r"\b((herniated|slipped|bulging|prolapsed|ruptured) discs?|disc (problem|issue|herniation|"
    r"bulge|prolapse)s?|sciatica|scoliosis|spondyl\w+|arthritis|stenosis|degenerative disc)\b")


@dataclass(frozen=True)
class Situation:
    """What a runner said about themselves: assessment answers and other findings."""

    answers: dict[str, str] = field(default_factory=dict)
    extras: tuple[str, ...] = ()  # keys of content/plan.yml statements.extras
    condition: str | None = None
    load_detail: str | None = None

    @property
    def found(self) -> bool:
        return bool(self.answers or self.extras or self.condition)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.split(text) if s and s.strip()]


def read_situation(text: str | None) -> Situation:
    """The situation described in `text` (each topic read from the sentences naming it)."""
    if not text or not text.strip():
        return Situation()
    lower = text.lower().replace("\u2019", "'")
    answers: dict[str, str] = {}
    extras = tuple(key for key, pattern in EXTRAS.items() if pattern.search(lower))
    condition = None
    detail = None
    for sentence in sentences(lower):
        if QUESTION.match(sentence) and not CONDITIONS.search(sentence):
            continue  # "how do I do a plank?" asks; it says nothing about the runner
        if LOAD_TOPIC.search(sentence) and "load_change" not in answers:
            if LOAD_UP.search(sentence) and not LOAD_DOWN.search(sentence):
                answers["load_change"] = "yes"
                match = LOAD_DETAIL.search(sentence)
                if match and detail is None:
                    detail = _load_detail(match)
        if SHOE_TOPIC.search(sentence) and "shoe_age" not in answers:
            value = parse_shoe_age(sentence)
            if value in ("new", "mid", "old") and not EXTRAS["support"].search(sentence):
                answers["shoe_age"] = value
        if STRIKE_TOPIC.search(sentence) and "foot_strike" not in answers:
            value = parse_foot_strike(sentence)
            if value in ("heel", "midfoot", "forefoot"):
                answers["foot_strike"] = value
        if CORE_TOPIC.search(sentence) and "strength_work" not in answers:
            value = parse_strength_work(sentence)
            if value:
                answers["strength_work"] = value
        if PAIN_WORDS.search(sentence) and "pain_onset" not in answers:
            value = parse_pain_onset(sentence)
            if value:
                answers["pain_onset"] = value
        found = CONDITIONS.search(sentence)
        if found and condition is None:
            condition = found.group(1)
    return Situation(answers=answers, extras=extras, condition=condition, load_detail=detail)


def _load_detail(match: re.Match[str]) -> str:
    start, unit1, end, unit2 = match.groups()
    unit = {"k": "km", "kms": "km"}.get(unit2 or unit1 or "", unit2 or unit1 or "")
    return f"from {start} to {end} {unit}".strip()
