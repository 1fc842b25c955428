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
    r"c25k|runs? a week|times a week|sessions?|training|plan|every (single )?day|daily|"
    r"twice a day|days? off|rest days?|no rest|(back|got back|getting back) into running|"
    r"new to running)\b|\b\d+ ?(k|km|mi)\b")
LOAD_UP = re.compile(
    r"\b(went|gone|jumped|increas\w*|upp?ed|bumped|doubl\w*|trebl\w*|ramp\w*|added|adding|"
    r"started|starting|took up|more|longer|further|extra|built up|building|step(ped)? up|"
    r"every run is flat out|flat out|loads of|lots of|every (single )?day|daily|twice a day|"
    r"no rest|without (a )?rest|back into running|new to running|already)\b|"
    r"\bfrom \d+\w* ?\w* to \d+|\bto \d+ ?\w* (a|per) week from")
LOAD_DOWN = re.compile(r"\b(cut (back|down)|reduced|less than|dropped|same as|haven'?t changed|"
                       r"no change|steady)\b")
LOAD_DETAIL = re.compile(r"\bfrom (\d+)\s*(miles?|k|km|kms)?(?: a week| per week| weekly)? to "
                         r"(\d+)\s*(miles?|k|km|kms)?")
QUESTION = re.compile(r"^(how|what|which|where|when|why|can|could|should|is|are|do|does|will|"
                      r"would|any|tell me|show me|explain|describe|give me|talk me through|"
                      r"i'?d like to know|i want to know|please|pls)\b")
SHOE_TOPIC = re.compile(r"\b(shoes?|trainers?|runners|sneakers?|pair)\b")
STRIKE_TOPIC = re.compile(r"\b(land\w*|heel|heels|strike|over ?strid\w*|foot (way )?out in front|"
                          r"strides?)\b")
CORE_TOPIC = re.compile(r"\b(core|strength|planks?|sit ?ups?|crunches|gym|pilates|weights|"
                        r"abs)\b")
PAIN_WORDS = re.compile(r"\b(pain|hurts?|hurting|aches?|aching|achy|sore|stiff|tight|niggles?)\b")
EXTRAS = {
    "posture": re.compile(r"\b(slouch\w*|hunch\w*|lean(ing)? forward|bent over|shoulders up|"
                          r"shoulders (are |get |go |creep )?(up|tense|tight|raised|round\w*)|"
                          r"(tense|tight|raised) shoulders|up by my ears)\b"),
    "stretching": re.compile(
        r"\b(don'?t (do any |really )?stretch\w*|never stretch\w*|no stretching|don'?t warm up|"
        r"(tight|stiff) (hamstrings?|hammies|hips?|hip flexors?)|"
        r"(hamstrings?|hammies|hip flexors?|hips) (are|is|feel|r|get|getting)( \w+){0,2} "
        r"(tight|stiff)|can'?t (touch|reach) my toes|barely reach|tight hip|"
        r"(sit|sat|sitting) at a desk|desk (job|all day)|sit(ting)? all day)\b"),
    "orthotics": re.compile(r"\b(flat feet|flat-footed|fallen arches|overpronat\w*|pronat\w*)\b"),
    "support": re.compile(r"\b(minimalist|barefoot|zero drop|flat (shoes|trainers|soles?)|"
                          r"converse|vans|plimsolls?|canvas (shoes|trainers|sneakers)|"
                          r"(gym|skate|casual|walking|tennis|football) (shoes|trainers|sneakers)|"
                          r"less cushion\w*|(little|no|hardly any|barely any) cushion\w*|"
                          r"thin (soles?|shoes|trainers)|fashion (trainers|shoes|sneakers)|"
                          r"everyday (trainers|shoes|sneakers)|cheap (trainers|shoes|sneakers)|"
                          r"(trainers|shoes|sneakers)[^.]{0,30}\b(flat|thin)\b)"),
}
CONDITIONS = re.compile(
    r"\b((herniated|slipped|bulging|prolapsed|ruptured) discs?|disc (problem|issue|herniation|"
    r"bulge|prolapse)s?|sciatica|scoliosis|spondyl\w+|arthritis|stenosis|degenerative disc)\b")
# A back that was a problem before the running (the article's pre-existing conditions).
HISTORY = re.compile(
    r"\b((back|disc|spine|spinal) (problems?|issues?|injury|surgery|operation)|"
    r"back pain (on and off |for years|for ages|since (i was|my|school|uni)|"
    r"(way |long )?before i)|"
    r"(had|have had|had a) (bad |dodgy |weak )?back (for years|for ages|since)|"
    r"(old|previous|past) (back )?injury)")
HISTORY_NAME = "long-standing back problem"


# A request to be assessed, said with or without a question about causes ("what's causing
# my back pain, can you check?", "help me pin it down"): the assessment answers it best.
ASSESS_REQUEST = re.compile(
    r"\b((can|could|would|will) (you|u) (please |pls )?(check|assess|diagnose|evaluate|"
    r"work out|figure out|find out|pin (it |that )?down|narrow (it |that )?down|"
    r"tell what'?s (causing|behind))|"
    r"help me (to )?(find|figure|work|pin|narrow|get to the bottom|understand what'?s causing)|"
    r"(assess|check|diagnose|evaluate|examine) me\b|get to the bottom of|"
    r"pin (it|this|that) down|narrow (it|this|that) down|"
    r"^(please |pls )?(work out|figure out|find out|assess|diagnose) (why|what)|"
    r"which (one|of (these|those|them)|cause|reason) (is|applies|fits) (most likely )?"
    r"(to |for )?me|how do i (know|tell|find out) which (one|cause|of these))")


def asks_to_be_assessed(text: str | None) -> bool:
    """The visitor asks the assistant to work out their cause (not just to list causes)."""
    return bool(text and ASSESS_REQUEST.search(text.lower().replace("\u2019", "'")))


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
        elif condition is None and HISTORY.search(sentence):
            condition = HISTORY_NAME
    return Situation(answers=answers, extras=extras, condition=condition, load_detail=detail)


def _load_detail(match: re.Match[str]) -> str:
    start, unit1, end, unit2 = match.groups()
    unit = {"k": "km", "kms": "km"}.get(unit2 or unit1 or "", unit2 or unit1 or "")
    return f"from {start} to {end} {unit}".strip()
