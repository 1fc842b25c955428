"""Load the assistant's advice content from content/*.yml.

Content is data: every text the assistant gives as advice lives in the YAML
files, each item naming the article section it comes from. This module only
loads and looks things up; it never writes advice itself.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONTENT_DIR = Path(__file__).resolve().parents[1] / "content"
# The intent that asks about each topic (the advice actions and the follow-ups use it).
TOPIC_INTENTS = {"causes": "ask_causes", "running_form": "ask_running_form",
                 "strengthening": "ask_strengthening", "stretching": "ask_stretching",
                 "footwear": "ask_footwear", "training_load": "ask_training_load",
                 "professional_help": "ask_when_to_seek_help"}
TOPIC_FILES = ("causes", "running_form", "strengthening", "stretching", "footwear",
               "training_load", "professional_help")


@dataclass(frozen=True)
class Item:
    """One piece of advice (a cause, an exercise, a footwear tip...)."""

    topic: str
    id: str
    title: str
    source: str
    summary: str
    aliases: tuple[str, ...] = ()
    detail: str = ""
    helps: str = ""
    how_to: tuple[str, ...] = ()
    dose: str = ""
    mistakes: tuple[str, ...] = ()
    tips: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    """A content file: one topic of the article with its items."""

    topic: str
    title: str
    source: str
    intro: str
    items: tuple[Item, ...]

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(f"{self.topic}/{item_id}")


@dataclass(frozen=True)
class Library:
    """All content: topics plus the disclaimer, contact, escalation and menu texts."""

    topics: dict[str, Topic]
    disclaimer: dict[str, Any]
    contact: dict[str, Any]
    escalation: dict[str, Any]
    menu: dict[str, Any]
    plan: dict[str, Any] = field(default_factory=dict)

    def topic(self, name: str) -> Topic:
        return self.topics[name]

    def item(self, ref: str) -> Item:
        """An item by reference "topic/item_id"."""
        topic, _, item_id = ref.partition("/")
        return self.topics[topic].item(item_id)

    def find_items(self, topic: str, text: str | None) -> list[Item]:
        """Items of a topic that the visitor's text names (by alias, typos tolerated)."""
        return find_items(self.topics[topic], text)


def _tuple(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _load_yaml(path: Path, numbers: dict[str, str] | None = None) -> Any:
    """A content file; `{helpline_number}`-style placeholders become contact.yml's plain
    numbers here, so texts that are shown as written (domain.yml's copies, bold
    calls to action) carry the number without writing it out."""
    text = path.read_text(encoding="utf-8")
    for key, number in (numbers or {}).items():
        text = text.replace(f"{{{key}_number}}", number)
    return yaml.safe_load(text)


def contact_numbers(contact: dict[str, Any]) -> dict[str, str]:
    """{"helpline": "02380 …", "emergency": "999"}: the plain numbers that fill
    `{helpline_number}` and `{emergency_number}`."""
    return {key: str(value["display"]) for key, value in contact.items()
            if isinstance(value, dict) and "display" in value}


def load_topic(path: Path, numbers: dict[str, str] | None = None) -> Topic:
    data = _load_yaml(path, numbers)
    items = tuple(
        Item(
            topic=data["topic"],
            id=raw["id"],
            title=raw["title"],
            source=raw["source"],
            summary=raw["summary"],
            aliases=tuple(a.lower() for a in _tuple(raw.get("aliases"))),
            detail=raw.get("detail", "") or "",
            helps=raw.get("helps", "") or "",
            how_to=_tuple(raw.get("how_to")),
            dose=raw.get("dose", "") or "",
            mistakes=_tuple(raw.get("mistakes")),
            tips=_tuple(raw.get("tips")),
        )
        for raw in data["items"]
    )
    return Topic(topic=data["topic"], title=data["title"], source=data["source"],
                 intro=data.get("intro", "") or "", items=items)


def load_library(content_dir: Path = CONTENT_DIR) -> Library:
    contact = _load_yaml(content_dir / "contact.yml")
    numbers = contact_numbers(contact)
    topics = {name: load_topic(content_dir / f"{name}.yml", numbers) for name in TOPIC_FILES}
    plan_file = content_dir / "plan.yml"
    return Library(
        topics=topics,
        disclaimer=_load_yaml(content_dir / "disclaimer.yml", numbers),
        contact=contact,
        escalation=_load_yaml(content_dir / "escalation.yml", numbers),
        menu=_load_yaml(content_dir / "topics.yml", numbers),
        plan=_load_yaml(plan_file, numbers) if plan_file.exists() else {},
    )


@lru_cache(maxsize=1)
def library() -> Library:
    """The repo's content, loaded once per process."""
    return load_library()


_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))


@dataclass(frozen=True)
class _Alias:
    """An alias (or title) as its tokens and their joined form."""

    tokens: tuple[str, ...]
    target: str

    @property
    def typo_tolerant(self) -> bool:
        """A short single word ("leg", "hip") must match exactly."""
        return len(self.tokens) > 1 or len(self.target) >= 5


@lru_cache(maxsize=64)
def _aliases(topic: Topic) -> tuple[tuple[Item, tuple[_Alias, ...]], ...]:
    """Each item of the topic with its aliases and title, tokenised once."""
    out = []
    for item in topic.items:
        aliases = []
        for name in (*item.aliases, item.title.lower()):
            tokens = tuple(_tokens(name))
            if tokens:
                aliases.append(_Alias(tokens, " ".join(tokens)))
        out.append((item, tuple(aliases)))
    return tuple(out)


class _Message:
    """A message's tokens, ready for alias lookups: its n-grams for exact phrases and,
    for typos, where each first letter starts a token (a typo keeps the first letter,
    so only those places can start a near miss)."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.starts: dict[str, list[int]] = {}
        for i, token in enumerate(self.tokens):
            self.starts.setdefault(token[0], []).append(i)
        self._grams: dict[int, set[str]] = {}

    def has_phrase(self, alias: _Alias) -> bool:
        n = len(alias.tokens)
        if n not in self._grams:
            self._grams[n] = {" ".join(self.tokens[i : i + n])
                              for i in range(len(self.tokens) - n + 1)}
        return alias.target in self._grams[n]

    def has_near_miss(self, alias: _Alias) -> bool:
        n, target = len(alias.tokens), alias.target
        for i in self.starts.get(target[0], ()):
            words = self.tokens[i : i + n]
            if len(words) < n:
                break
            gram = " ".join(words)
            # A typo keeps about the length (and this check is cheap: difflib below is
            # what a turn's CPU would otherwise go on).
            if abs(len(gram) - len(target)) > 2:
                continue
            # Word by word too: "stretches help" is no typo of "hip stretches".
            if _similar(gram, target, 0.85) and all(
                    _similar(w, a, 0.7) for w, a in zip(words, alias.tokens, strict=True)):
                return True
        return False


@lru_cache(maxsize=65_536)
def _similar(a: str, b: str, at_least: float) -> bool:
    """difflib's ratio() >= at_least, asking its cheap upper bound (shared letters) first;
    remembered, since visitors' words and the aliases recur from message to message."""
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.quick_ratio() >= at_least and matcher.ratio() >= at_least


def find_items(topic: Topic, text: str | None) -> list[Item]:
    """The items whose alias (or title) appears in the text, typos tolerated, in content
    order."""
    if not text:
        return []
    message = _Message(text)
    return [item for item, aliases in _aliases(topic)
            if any(message.has_phrase(a) or (a.typo_tolerant and message.has_near_miss(a))
                   for a in aliases)]
