"""A message that asks about several topics at once (pure logic).

"What causes it, how do I fix my form, and what shoes should I get?" is split into
its questions; each question that names a topic (content/topics.yml `keywords`, or an
item of the topic) counts, in the order asked. Two or more topics make a multi-part
question, answered topic by topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sciaticalm.content import TOPIC_INTENTS, Library

QUESTION_WORDS = r"(?:how|what|which|should|is|are|do|does|can|when|where|why)\b"
# Split after sentence ends (keeping the "?"), at "1)" "2)", and before a question word
# that follows a comma or "and".
PARTS = re.compile(rf"(?<=[?!.;])\s+|\s*\b\d\)\s*|,\s*(?:and\s+)?(?={QUESTION_WORDS})|"
                   rf"\s+and\s+(?={QUESTION_WORDS})")
LEAD = re.compile(r"^(and|also|so|plus|then|oh|ok|okay|right)\b[,\s]*")
QUESTION = re.compile(r"^(how|what|which|should|shall|is|are|do|does|can|could|would|will|when|"
                      r"where|why|any|tell me|give me|show me|recommend)\b")
MAX_TOPICS = 3


@dataclass(frozen=True)
class Asked:
    """One topic asked about, and the words that asked."""

    topic: str
    text: str


def parts(text: str) -> list[str]:
    """The message's questions and sentences, with their question marks kept apart."""
    return [p.strip() for p in PARTS.split(text) if p and p.strip()]


def topics_asked(text: str | None, lib: Library) -> list[Asked]:
    """The topics a message asks about, in order (each once); empty for a single topic."""
    if not text:
        return []
    keywords = {t["intent"]: t.get("keywords") or [] for t in lib.menu["topics"]}
    asked: list[Asked] = []
    context = ""  # the statement just before a question ("my trainers are old, should I...")
    for part in parts(text.lower().replace("\u2019", "'")):
        question = LEAD.sub("", part)
        if not QUESTION.match(question) and not part.endswith("?"):
            context = part
            continue
        whole = f"{context} {question}".strip()
        context = ""
        # "should I replace them?" takes its topic from the statement before it
        for topic in (_topics_of(question, keywords, lib) or _topics_of(whole, keywords, lib)):
            if not any(a.topic == topic for a in asked):
                asked.append(Asked(topic, whole))
    return asked[:MAX_TOPICS] if len(asked) >= 2 else []


def items_asked(text: str | None, lib: Library) -> list[str]:
    """The items ("topic/item_id") the message's questions name, in order, each once:
    a story that ends "...and should I get orthotics?" asks about the orthotics; one that
    names only a topic ("what form things should I focus on?") asks about its items."""
    keywords = {t["intent"]: t.get("keywords") or [] for t in lib.menu["topics"]}
    refs: list[str] = []
    for part in parts((text or "").lower().replace("\u2019", "'")):
        question = LEAD.sub("", part)
        if not QUESTION.match(question) and not part.endswith("?"):
            continue
        named = [f"{topic}/{item.id}" for topic in TOPIC_INTENTS if topic != "causes"
                 for item in lib.find_items(topic, question)]
        if not named:  # "what form things should I focus on?": the topic's items
            named = [f"{topic}/{item.id}" for topic in _topics_of(question, keywords, lib)
                     if topic != "causes" for item in lib.topic(topic).items]
        refs.extend(ref for ref in named if ref not in refs)
    return refs


def _topics_of(part: str, keywords: dict[str, list[str]], lib: Library) -> list[str]:
    """The topics a question names, in the order it names them ("is it my shoes or my
    core?"): by the topics' own words, the longest match winning where two overlap
    ("gait analysis" is footwear, "gait" form); failing that, by a topic's items (not the
    causes' items: they name shoes, form and core too)."""
    found: list[tuple[int, int, str]] = []  # (start, -length, topic)
    for topic, intent in TOPIC_INTENTS.items():
        for word in keywords.get(intent, []):
            for m in re.finditer(rf"\b{re.escape(word)}\b", part):
                found.append((m.start(), -len(word), topic))
    found.sort()
    topics: list[str] = []
    covered_until = -1
    for start, neg_length, topic in found:
        if start < covered_until:
            continue  # inside a longer match already taken
        covered_until = start - neg_length
        if topic not in topics:
            topics.append(topic)
    if topics:
        return topics
    return [t for t in TOPIC_INTENTS if t != "causes" and lib.find_items(t, part)][:1]
