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


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_topic(path: Path) -> Topic:
    data = _load_yaml(path)
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
    topics = {name: load_topic(content_dir / f"{name}.yml") for name in TOPIC_FILES}
    plan_file = content_dir / "plan.yml"
    return Library(
        topics=topics,
        disclaimer=_load_yaml(content_dir / "disclaimer.yml"),
        contact=_load_yaml(content_dir / "contact.yml"),
        escalation=_load_yaml(content_dir / "escalation.yml"),
        menu=_load_yaml(content_dir / "topics.yml"),
        plan=_load_yaml(plan_file) if plan_file.exists() else {},
    )


@lru_cache(maxsize=1)
def library() -> Library:
    """The repo's content, loaded once per process."""
    return load_library()


_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))


@lru_cache(maxsize=4096)
def _alias_tokens(alias: str) -> tuple[str, ...]:
    return tuple(_tokens(alias))


def _alias_in(alias: str, tokens: list[str], joined: str) -> bool:
    alias_tokens = _alias_tokens(alias)
    if not alias_tokens:
        return False
    n = len(alias_tokens)
    if f" {' '.join(alias_tokens)} " in joined:
        return True
    # Typos: compare n-grams of the message with the alias.
    if n == 1 and len(alias_tokens[0]) < 5:
        return False
    target = " ".join(alias_tokens)
    for i in range(len(tokens) - n + 1):
        words = tokens[i : i + n]
        gram = " ".join(words)
        # A typo keeps the first letter and about the length (and this check is cheap:
        # difflib below is what a turn's CPU would otherwise go on).
        if gram[0] != target[0] or abs(len(gram) - len(target)) > 2:
            continue
        # Word by word too: "stretches help" is no typo of "hip stretches".
        if difflib.SequenceMatcher(None, gram, target).ratio() >= 0.85 and all(
                difflib.SequenceMatcher(None, w, a).ratio() >= 0.7
                for w, a in zip(words, alias_tokens, strict=True)):
            return True
    return False


def find_items(topic: Topic, text: str | None) -> list[Item]:
    """The items whose alias (or title) appears in the text, in content order."""
    if not text:
        return []
    tokens = _tokens(text)
    joined = f" {' '.join(tokens)} "
    found = []
    for item in topic.items:
        names = (*item.aliases, item.title.lower())
        if any(_alias_in(alias, tokens, joined) for alias in names):
            found.append(item)
    return found
