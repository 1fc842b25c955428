"""Typo-tolerant reading: misspelt domain words reach the patterns, nothing else changes."""

from __future__ import annotations

import pytest

from sciaticalm.triage import default_detector
from sciaticalm.triage.spelling import default_normaliser


@pytest.mark.parametrize(("typed", "meant"), [
    ("numbness in both leggs", "numbness in both legs"),
    ("my bowles and bladdar", "my bowels and bladder"),
    ("chesst pain", "chest pain"),
    ("bak agony", "back agony"),
    ("pins n needles", "pins and needles"),
])
def test_misspelt_domain_words_are_corrected(typed: str, meant: str) -> None:
    assert default_normaliser().correct(typed).text == meant


@pytest.mark.parametrize("text", [
    "I ran a parkrun with Siobhan",           # names and running words far from the lexicon
    "my splitz were rubbish on the tempo",
    "my legs are tired",                      # English words are never touched
    "begs the question",
])
def test_other_words_are_left_alone(text: str) -> None:
    assert default_normaliser().correct(text).text == text


def test_offsets_map_back_to_the_original() -> None:
    original = "my bowles and bladdar feel odd, leggs too"
    corrected = default_normaliser().correct(original)
    for word, typed in (("bladder", "bladdar"), ("legs", "leggs"), ("odd", "odd")):
        start = corrected.text.index(word)
        begin, end = corrected.original_span(start, start + len(word))
        assert original[begin:end] == typed


def test_a_typo_no_longer_drops_a_tier() -> None:
    result = default_detector().detect("numbness in both leggs")
    assert result.level == "emergency"
    finding = result.findings[0]
    assert "numbness in both leggs"[finding.start:finding.end] == finding.text
