"""Turn a visitor's free-text answers to the assessment into canonical values.

Pure functions: each parser returns the canonical value, or None when the
answer cannot be understood (the form then re-asks with a hint).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

YES_WORDS = {"yes", "yeah", "yep", "yup", "y", "ya", "yea", "sure", "definitely", "correct",
             "affirmative", "absolutely", "aye", "ok", "okay", "true"}
NO_WORDS = {"no", "nope", "nah", "n", "none", "neither", "never", "nothing", "negative", "not"}
UNSURE = re.compile(r"\b(not sure|unsure|no idea|don'?t know|dunno|idk|can'?t remember|"
                    r"no clue|haven'?t checked|not certain)\b")


FILLER = re.compile(r"^((ok|okay|right|well|so|then|hmm+|um+|ah|oh|erm)\b[\s,.!]*)+(?=\w)")


def _clean(text: str | None) -> str:
    if not text:
        return ""
    text = text.lower().replace("\u2019", "'")
    return re.sub(r"\s+", " ", text).strip()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text)


def parse_yes_no(text: str | None) -> str | None:
    """'yes' / 'no' from a short answer ("nope, none of those" -> 'no')."""
    t = _clean(text)
    if not t:
        return None
    # "ok then no to all of them": a filler first is no "ok" meaning yes
    t = FILLER.sub("", t) or t
    words = _words(t)
    if not words:
        return None
    if re.search(r"\b(none of (these|those|them)|no to (all|both|any|them|those|these)|"
                 r"nothing like that|not really|no i don'?t|"
                 r"i don'?t|i haven'?t|i have not|i do not)\b", t):
        return "no"
    first = words[0]
    if first in YES_WORDS or re.search(r"\b(yes|yeah|yep|i do|i have|i did|i am)\b", t):
        return "yes"
    if first in NO_WORDS or re.search(r"\b(no|nope|nah|none)\b", t):
        return "no"
    return None


def parse_screen(text: str | None) -> str | None:
    """Answer to a warning-sign screen: 'yes', 'no' or 'unsure'."""
    t = _clean(text)
    if UNSURE.search(t) or re.search(r"\b(maybe|possibly|might|perhaps|kind of|sort of)\b", t):
        return "unsure"
    return parse_yes_no(t)


def parse_pain_onset(text: str | None) -> str | None:
    """'during', 'after', 'next_day' or 'constant'."""
    t = _clean(text)
    if not t:
        return None
    rules: list[tuple[str, str]] = [
        ("constant", r"\b(all the time|constant|constantly|always|24/7|most of the time|"
                     r"even when i'?m not running|even at rest|every day|non ?stop|never goes)\b"),
        ("next_day", r"\b(next day|day after|next morning|morning after|following day|"
                     r"the day after|next mornings?|when i wake|overnight|later that night|"
                     r"that evening|hours later|a few hours after|later on)\b"),
        ("during", r"\b(during|while|whilst|mid[- ]?run|in the middle|halfway|half way|"
                   r"towards? the end|end of (my |the )?(long )?runs?|last (few|couple of) miles|"
                   r"later in the run|into (the|my|every) run|"
                   r"as i run|when i'?m running|when running|after (a|the first) (few|couple)|"
                   r"after \d+ ?(k|km|miles?|minutes|mins))\b"),
        ("after", r"\b(after|afterwards|post[- ]?run|once i stop|when i stop|when i finish|"
                  r"once i finish|cool ?down|straight after|right after|just after)\b"),
    ]
    for value, pattern in rules:
        if re.search(pattern, t):
            return value
    return None


def parse_load_change(text: str | None) -> str | None:
    """'yes' when the visitor recently ran more, faster or harder; 'no' otherwise."""
    t = _clean(text)
    if not t:
        return None
    if re.search(r"\b(nothing (has )?changed|same as (always|usual|before)|no change|"
                 r"not really|haven'?t changed|the same|as usual|steady|cut back|"
                 r"running less|less than usual|reduced)\b", t):
        return "no"
    if re.search(r"\b(increas\w*|more|doubl\w*|upp?ed|added|adding|started|longer|further|"
                 r"faster|speed|interval|hills?|tempo|sprints?|marathon|half|training for|"
                 r"building|built up|extra|new plan|harder|intensity|ramp\w*|jumped)\b", t):
        return "yes"
    return parse_yes_no(t)


_UNIT_MONTHS = {"week": 0.25, "weeks": 0.25, "month": 1, "months": 1, "mo": 1, "mth": 1,
                "mths": 1, "year": 12, "years": 12, "yr": 12, "yrs": 12}
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                 "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
                 "twelve": 12, "couple": 2, "few": 3, "half": 0.5, "several": 4}


def parse_shoe_age(text: str | None) -> str | None:
    """'new' (under ~6 months / 300 miles), 'mid', 'old' (over a year / 500 miles) or 'unsure'."""
    t = _clean(text)
    if not t:
        return None
    if UNSURE.search(t):
        return "unsure"
    if re.search(r"\b(brand new|new ones?|just bought|just got|recently bought|few weeks|"
                 r"last month|this month)\b", t):
        return "new"
    if re.search(r"\b(ancient|ages|forever|falling apart|worn out|worn through|worn down|"
                 r"knackered|really old|very old|years|donkey'?s years|holes?|battered|"
                 r"since lockdown|since covid|(a lot|lots|loads|tons) of miles|squashed|"
                 r"compressed|flattened|bald|smooth)\b", t):
        return "old"
    bought = re.search(r"\b(?:from|in|since|bought|got|back in|early|late|mid)\s+"
                       r"(?:early |late |mid )?(20[0-9]{2})\b", t)
    if bought and 2000 <= int(bought.group(1)) <= date.today().year:
        years = date.today().year - int(bought.group(1))
        return "new" if years == 0 else "mid" if years == 1 else "old"
    distance = re.search(r"(\d[\d,\.]*)\s*(k|km|kms|kilomet\w*|miles?|mi)\b", t)
    if distance:
        value = float(distance.group(1).replace(",", ""))
        miles = value if distance.group(2).startswith("mi") else value * 0.621
        return "new" if miles < 300 else "mid" if miles <= 500 else "old"
    age = re.search(r"(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|"
                    r"eleven|twelve|couple|few|half|several)\s*(?:of\s+)?(?:a\s+)?"
                    r"(weeks?|months?|mo|mths?|years?|yrs?)\b", t)
    if age:
        raw = age.group(1)
        n = float(raw) if raw[0].isdigit() else float(_NUMBER_WORDS[raw])
        months = n * _UNIT_MONTHS[age.group(2)]
        return "new" if months < 6 else "mid" if months <= 12 else "old"
    if re.search(r"\bold\b|\bworn\b", t):
        return "old"
    if re.search(r"\bnew\b|\bfresh\b", t):
        return "new"
    return None


def parse_foot_strike(text: str | None) -> str | None:
    """'heel', 'midfoot', 'forefoot' or 'unsure'."""
    t = _clean(text)
    if not t:
        return None
    if UNSURE.search(t):
        return "unsure"
    if re.search(r"\b(heels?|heel[- ]?strik\w*|over[- ]?strid\w*|in front of (me|my body)|"
                 r"out in front|(long|longer|big|bigger|huge) strides?|reach\w* out)\b", t):
        return "heel"
    if re.search(r"\b(mid[- ]?foot|midsole|flat[- ]?foot\w*|flat|whole foot|under (me|my body)|"
                 r"beneath (me|my body)|middle of my foot)\b", t):
        return "midfoot"
    if re.search(r"\b(fore[- ]?foot|toes?|balls? of my feet|ball of my foot|front of my feet|"
                 r"tiptoes?)\b", t):
        return "forefoot"
    return None


def parse_strength_work(text: str | None) -> str | None:
    """'regular', 'sometimes' or 'none'."""
    t = _clean(text)
    if not t:
        return None
    if re.search(r"\b(never|none|nothing|not at all|no core|no strength|don'?t do any|"
                 r"don'?t really|haven'?t|zero|not really|no$|nope|nah)\b", t):
        return "none"
    if re.search(r"\b(sometimes|occasionally|now and then|once in a while|rarely|"
                 r"not (very )?often|a bit|a little|on and off|when i remember|sort of|kind of|"
                 r"kinda|sorta|ish|here and there|the odd|some|a few times|"
                 r"once a (week|month)|every now|irregular\w*)\b", t):
        return "sometimes"
    if re.search(r"\b(regular\w*|every day|daily|twice|three times|\d+ times|most days|"
                 r"always|gym|pilates|yoga|planks?|bridges?|bird[- ]?dogs?|weights|"
                 r"strength|core|yes|yeah|yep|religiously|loads)\b", t):
        return "regular"
    return None


STOP_COMMAND = re.compile(
    r"^((ok|okay|actually|sorry|no|please|can we|can you|let'?s|i want to|i'?d like to)[\s,]+)*"
    r"(stop|cancel|quit|end|exit|pause|skip)\b(?! (hurting|running|the pain))|"
    r"\b(stop|cancel|quit|end|exit) (the |this )?(assessment|questions|quiz|questionnaire)\b|"
    r"\b(i'?ll|i will|can i) (do|finish|carry on with) (it|this|the rest) later\b|"
    r"\bdon'?t want to (do|carry on with|continue) (this|it|the assessment)\b")
RESTART_COMMAND = re.compile(
    r"\b(start (it |this |the assessment |the questions )?(over|again|afresh|from scratch|"
    r"from the (start|beginning))|restart|begin again|redo (it|the assessment)|"
    r"from the top)\b")


def assessment_command(text: str | None) -> str | None:
    """'stop' or 'restart' when an answer to the assessment is really a command about it
    ("actually stop, I'll do it later", "start over")."""
    t = _clean(text)
    if not t:
        return None
    if RESTART_COMMAND.search(t):
        return "restart"
    if STOP_COMMAND.search(t):
        return "stop"
    return None


PARSERS: dict[str, Callable[[str | None], str | None]] = {
    "emergency_screen": parse_screen,
    "urgent_screen": parse_screen,
    "pain_onset": parse_pain_onset,
    "load_change": parse_load_change,
    "shoe_age": parse_shoe_age,
    "foot_strike": parse_foot_strike,
    "strength_work": parse_strength_work,
}

CANONICAL: dict[str, set[str]] = {
    "emergency_screen": {"yes", "no", "unsure"},
    "urgent_screen": {"yes", "no", "unsure"},
    "pain_onset": {"during", "after", "next_day", "constant"},
    "load_change": {"yes", "no"},
    "shoe_age": {"new", "mid", "old", "unsure"},
    "foot_strike": {"heel", "midfoot", "forefoot", "unsure"},
    "strength_work": {"regular", "sometimes", "none"},
}


def parse_answer(slot: str, value: object) -> str | None:
    """Canonical value for a form slot from a button value or typed text."""
    if not isinstance(value, str):
        return None
    stripped = value.strip().lower()
    if stripped in CANONICAL.get(slot, set()):
        return stripped
    if stripped.startswith("/"):
        return None  # an unparsed button payload
    parser = PARSERS.get(slot)
    return parser(value) if parser else None
