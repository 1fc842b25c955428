"""Schema and wording checks for the advice content in content/*.yml.

Plain YAML checks (no Rasa): every topic file and item has the agreed keys,
every `source` names an allowed article section, and no text copies a run of
eight words from the source article ("our own words").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from sciaticalm.content import library

REPO = Path(__file__).resolve().parents[2]
CONTENT = REPO / "content"
ARTICLE_NAME = "shared/seed/lower-back-pain-after-running.txt"
ARTICLE_CANDIDATES = (REPO.parent / ARTICLE_NAME, Path("/work") / ARTICLE_NAME)

TOPIC_FILES = ("causes", "running_form", "strengthening", "stretching", "footwear",
               "training_load", "professional_help")
OTHER_FILES = ("disclaimer", "contact", "escalation", "topics")

ARTICLE_SECTIONS = {
    "Introduction", "Common Causes of Lower Back Pain", "Assessing Your Running Form",
    "Strengthening Exercises", "Stretching and Flexibility", "Choosing the Right Footwear",
    "Modifying Your Running Routine", "When to Seek Professional Help", "Conclusion",
    "Medical Disclaimer", "Help line",
}
ESCALATION_SOURCES = {"NHS: back pain, sciatica and cauda equina syndrome", "NICE NG59",
                      "NHS: chest pain"}
# The extra (non-article) sources are allowed only for escalation texts and the 999 number.
EXTRA_SOURCE_FILES = {"escalation", "contact"}

EXPECTED_ITEMS = {
    "causes": ["muscle_strain", "poor_technique", "inadequate_footwear", "core_weakness",
               "pre_existing_conditions"],
    "running_form": ["posture", "foot_strike", "stride_length"],
    "strengthening": ["plank", "bridge", "bird_dog"],
    "stretching": ["hamstring_stretch", "hip_flexor_stretch", "cobra_pose"],
    "footwear": ["support_and_cushioning", "professional_fitting", "orthotic_inserts",
                 "worn_out_shoes"],
    "training_load": ["gradual_progression", "rest_days", "running_through_pain"],
    "professional_help": ["severe_persistent_pain", "nerve_symptoms", "fever_or_weight_loss",
                          "what_to_expect"],
}
TOPIC_KEYS = {"topic", "title", "source", "intro", "items"}
REQUIRED_ITEM_KEYS = ("id", "title", "source", "summary", "aliases")
OPTIONAL_STRING_KEYS = ("detail", "helps", "dose")
OPTIONAL_LIST_KEYS = ("how_to", "mistakes", "tips")
EXERCISE_KEYS = ("helps", "how_to", "dose", "mistakes")
MENU_INTENTS = ["ask_causes", "ask_running_form", "ask_strengthening", "ask_stretching",
                "ask_footwear", "ask_training_load", "start_assessment",
                "ask_when_to_seek_help", "ask_human", "ask_disclaimer"]
SIGN_IDS = {"saddle_numbness", "bladder_dysfunction", "bowel_dysfunction",
            "sexual_dysfunction", "bilateral_leg_symptoms", "progressive_leg_weakness",
            "major_trauma", "chest_pain", "unilateral_leg_symptoms", "severe_persistent_pain",
            "fever", "weight_loss", "night_pain", "back_lump", "screen_positive",
            "safety_question_continence", "safety_question_legs", "safety_question_chest"}
HELPLINE = "02380 248725"
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
NGRAM = 8


def load(name: str) -> Any:
    return yaml.safe_load((CONTENT / f"{name}.yml").read_text(encoding="utf-8"))


def strings(value: Any) -> Iterator[str]:
    """Every string value (not key) nested anywhere in a YAML document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def sources(value: Any) -> Iterator[Any]:
    """Every value stored under a `source` key, anywhere in a YAML document."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "source":
                yield v
            else:
                yield from sources(v)
    elif isinstance(value, list):
        for v in value:
            yield from sources(v)


def words(text: str) -> list[str]:
    text = text.lower().replace("\u2019", "").replace("'", "")
    return re.findall(r"[a-z0-9]+", text)


def ngrams(tokens: list[str], n: int = NGRAM) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


@pytest.fixture(scope="module")
def topics() -> dict[str, dict[str, Any]]:
    return {name: load(name) for name in TOPIC_FILES}


@pytest.mark.parametrize("name", TOPIC_FILES)
def test_topic_file_keys(topics, name):
    data = topics[name]
    assert isinstance(data, dict)
    assert TOPIC_KEYS <= set(data), f"{name}: missing {TOPIC_KEYS - set(data)}"
    assert data["topic"] == name
    for key in ("title", "source", "intro"):
        assert isinstance(data[key], str) and data[key].strip(), f"{name}: empty {key}"
    assert isinstance(data["items"], list) and data["items"]


@pytest.mark.parametrize("name", TOPIC_FILES)
def test_topic_items(topics, name):
    items = topics[name]["items"]
    assert [item["id"] for item in items] == EXPECTED_ITEMS[name]
    for item in items:
        where = f"{name}/{item.get('id')}"
        for key in REQUIRED_ITEM_KEYS:
            assert key in item, f"{where}: missing {key}"
        assert SNAKE.match(item["id"]), f"{where}: id not snake_case"
        for key in ("title", "source", "summary"):
            assert isinstance(item[key], str) and item[key].strip(), f"{where}: empty {key}"
        assert isinstance(item["aliases"], list) and item["aliases"], f"{where}: no aliases"
        for key in OPTIONAL_STRING_KEYS:
            if key in item:
                assert isinstance(item[key], str) and item[key].strip(), f"{where}: bad {key}"
        for key in OPTIONAL_LIST_KEYS:
            if key in item:
                value = item[key]
                assert isinstance(value, list) and value, f"{where}: bad {key}"
                assert all(isinstance(v, str) and v.strip() for v in value), where
        unknown = set(item) - set(REQUIRED_ITEM_KEYS) - set(OPTIONAL_STRING_KEYS) \
            - set(OPTIONAL_LIST_KEYS)
        assert not unknown, f"{where}: unknown keys {unknown}"


def test_item_ids_unique(topics):
    ids = [item["id"] for data in topics.values() for item in data["items"]]
    refs = {f"{name}/{item['id']}" for name, data in topics.items() for item in data["items"]}
    assert len(refs) == len(ids)
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"duplicate item ids: {duplicates}"


@pytest.mark.parametrize("name", ["strengthening", "stretching"])
def test_exercises_are_complete(topics, name):
    for item in topics[name]["items"]:
        for key in EXERCISE_KEYS:
            assert item.get(key), f"{name}/{item['id']}: missing {key}"
        assert 3 <= len(item["how_to"]) <= 6, f"{name}/{item['id']}: 3-6 steps"
        assert 2 <= len(item["mistakes"]) <= 4, f"{name}/{item['id']}: 2-4 mistakes"


def test_aliases_lowercase(topics):
    for name, data in topics.items():
        for item in data["items"]:
            for alias in item["aliases"]:
                assert isinstance(alias, str) and alias.strip(), f"{name}/{item['id']}"
                assert alias == alias.lower(), f"{name}/{item['id']}: alias {alias!r}"


@pytest.mark.parametrize("name", TOPIC_FILES + OTHER_FILES)
def test_sources_allowed(name):
    allowed = ARTICLE_SECTIONS | (ESCALATION_SOURCES if name in EXTRA_SOURCE_FILES else set())
    found = list(sources(load(name)))
    if name != "topics":
        assert found, f"{name}: no sources"
    for source in found:
        for s in source if isinstance(source, list) else [source]:
            assert s in allowed, f"{name}: source {s!r} not allowed"


def test_disclaimer_keys():
    data = load("disclaimer")
    for key in ("full", "reminder", "bot_identity"):
        assert data[key]["text"].strip() and data[key]["source"]
    assert data["full"]["source"] == "Medical Disclaimer"


def test_contact_keys():
    data = load("contact")
    assert data["helpline"] == {"display": HELPLINE, "tel": "+442380248725",
                                "source": "Help line"}
    assert data["emergency"]["display"] == "999" and data["emergency"]["tel"] == "999"
    assert data["ask_human"]["text"].strip() and data["ask_human"]["source"]


def test_escalation_keys():
    data = load("escalation")
    for tier in ("emergency", "urgent"):
        for key in ("action", "why"):
            assert isinstance(data[tier][key], str) and data[tier][key].strip()
        assert isinstance(data[tier]["source"], list) and data[tier]["source"]
    assert "999" in data["emergency"]["action"]
    assert "{helpline_number}" in data["urgent"]["action"]
    assert HELPLINE in library().escalation["urgent"]["action"]
    assert data["after_emergency_advice_request"]["text"].strip()
    assert set(data["signs"]) == SIGN_IDS
    assert all(isinstance(v, str) and v.strip() for v in data["signs"].values())


def test_safety_questions_match_the_detector():
    """One question text per body system the detector can ask about, each with its sources."""
    data = load("escalation")
    patterns = yaml.safe_load((CONTENT.parent / "sciaticalm" / "triage" / "patterns.yml")
                              .read_text(encoding="utf-8"))
    assert set(data["safety_questions"]) == set(patterns["safety_questions"])
    for topic, question in data["safety_questions"].items():
        assert question["text"].startswith("Just to check") and question["text"].endswith("?")
        assert question["source"], topic
        assert f"safety_question_{topic}" in data["signs"]
    assert data["safety_question_buttons"] == {"yes": "Yes", "no": "No"}
    assert data["safety_question_clear"]["text"].strip()


def test_menu():
    data = load("topics")
    menu = data["topics"]
    assert [t["intent"] for t in menu] == MENU_INTENTS
    for t in menu:
        assert t["payload"] == "/" + t["intent"]
        assert t["label"].strip() and len(t["label"]) <= 28, t["label"]
    assert data["scope"]["text"].strip() and data["scope"]["source"]


def test_helpline_present():
    assert HELPLINE in (CONTENT / "contact.yml").read_text(encoding="utf-8")
    assert HELPLINE in library().escalation["urgent"]["action"]


def test_no_html():
    for name in TOPIC_FILES + OTHER_FILES:
        for text in strings(load(name)):
            assert not re.search(r"</?[a-zA-Z][^>]*>", text), f"{name}: HTML in {text!r}"


def test_own_words():
    """No string shares a run of 8 consecutive words with the source article."""
    article = next((p for p in ARTICLE_CANDIDATES if p.exists()), None)
    if article is None:
        pytest.skip("source article not found")
    article_grams = ngrams(words(article.read_text(encoding="utf-8")))
    assert article_grams
    copied = []
    for name in TOPIC_FILES + OTHER_FILES:
        for text in strings(load(name)):
            shared = ngrams(words(text)) & article_grams
            if shared:
                copied.append((name, text, " ".join(sorted(shared)[0])))
    assert not copied, "copied from the article: " + repr(copied)
