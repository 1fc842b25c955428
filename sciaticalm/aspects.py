"""Which part of an exercise or tip a question asks about (pure logic).

"How long should I hold it?" asks for the dose, "what mistakes should I avoid?" for
the common mistakes: a precise question gets that part of the item, a few lines,
with buttons for the rest, instead of the whole card.
"""

from __future__ import annotations

import re

from sciaticalm.content import Item

ASPECTS = ("dose", "how_to", "mistakes", "helps")
LABELS = {"dose": "How long / how many", "how_to": "How to do it",
          "mistakes": "Common mistakes", "helps": "What it helps"}
# Not a part of one item: the rest of its topic ("and the other ones?", "what else?").
OTHERS = "others"
PATTERNS = (
    (OTHERS, r"\b(the others?|the other (ones?|two|three|exercises?|stretch(es)?|tips?|"
             r"causes?)|other (ones|exercises|stretches|tips)|what else|anything else|"
             r"any (more|others)|what other)\b"),
    ("dose", r"\b(how long|how many|how often|how much|reps?|repetitions?|sets?|seconds?|"
             r"secs?|minutes?|hold (it|them|that)|times a (week|day)|every day|daily|per week|"
             r"before or after|when should i (do|stretch))\b"),
    ("mistakes", r"\b(mistakes?|avoid|wrong|errors?|careful|watch out|don'?ts?)\b"),
    ("helps", r"\b(why|what (does|do) (it|they|that|this) (help|do)|what('?s| is) it for|"
              r"do i (actually |really )?need (it|them|one)|"
              r"what is the point|benefits?|does it help|how does (it|that) help)\b"),
    ("how_to", r"\b(how (do|should|can|would) i (do|start|get|fix|stop|change|correct|improve|"
               r"tell|know|check|spot)|"
               r"how to|steps?|technique|show me|what do i do|instructions?|easier version|"
               r"easier)\b"),
)


def parse_aspect(text: str | None) -> str | None:
    """The aspect a question asks about, or None."""
    if not text:
        return None
    t = text.lower().replace("\u2019", "'")
    for aspect, pattern in PATTERNS:
        if re.search(pattern, t):
            return aspect
    return None


def has_aspect(item: Item, aspect: str) -> bool:
    return bool(getattr(item, aspect, None))


def render_aspect(item: Item, aspect: str) -> str:
    """Just that part of the item, introduced by its title."""
    value = getattr(item, aspect)
    if isinstance(value, tuple):
        marker = "{n}. " if aspect == "how_to" else "- "
        lines = [marker.format(n=i) + v for i, v in enumerate(value, 1)]
        return "\n".join([f"**{item.title}, {LABELS[aspect].lower()}:**", *lines])
    return f"**{item.title}, {LABELS[aspect].lower()}:** {value}"


def other_aspects(item: Item, aspect: str | None) -> list[str]:
    return [a for a in ASPECTS if a != aspect and has_aspect(item, a)]
