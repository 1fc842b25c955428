"""Typo-tolerant reading for the red-flag detector.

Visitors type on phones: "numbness in both leggs" must reach the same patterns as
"legs". Each word that is neither an English word (symspellpy's frequency
dictionary) nor in the domain lexicon is looked up, with symspellpy, among the
domain lexicon only (body parts, symptoms and functions: lexicon.yml plus every
word of patterns.yml), and replaced by the closest one when it is close enough
(one edit up to six letters, two beyond). Correcting only towards the lexicon keeps
ordinary misspellings and names alone. Chat spellings further than one edit from
the word ("bak", "nuthin") are looked up in lexicon.yml's `text_speak` table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from symspellpy import SymSpell, Verbosity

HERE = Path(__file__).resolve().parent
LEXICON_FILE = HERE / "lexicon.yml"
PATTERNS_FILE = HERE / "patterns.yml"
WORD = re.compile(r"[A-Za-z]+")
MIN_LENGTH = 4
# Contractions typed without the apostrophe, and chat words, are not misspellings.
CHAT_WORDS = frozenset(
    "im ive id ill dont didnt doesnt cant couldnt wont wouldnt shouldnt isnt arent wasnt "
    "werent havent hasnt hadnt youre theyre thats whats theres heres lets hows wheres "
    "lol omg tbh idk ngl pls plz thx cuz coz gonna wanna gotta kinda sorta dunno yeah "
    "yep nope nah okay parkrun strava garmin".split()
)


@dataclass(frozen=True)
class Correction:
    """One word replaced: where it stood in the original text, and what replaced it."""

    start: int
    end: int
    original: str
    replacement: str


@dataclass(frozen=True)
class Corrected:
    """The corrected text, the corrections, and a map from its offsets back to the original."""

    text: str
    corrections: tuple[Correction, ...]

    def _locate(self, offset: int) -> tuple[Correction | None, int]:
        """The correction whose replacement covers `offset` (if any), and the length
        difference of the corrections before it."""
        shift = 0
        for c in self.corrections:
            new_start = c.start + shift
            if offset < new_start:
                break
            if offset < new_start + len(c.replacement):
                return c, shift
            shift += len(c.replacement) - len(c.original)
        return None, shift

    def original_offset(self, offset: int) -> int:
        """Character offset in the original text of `offset` in the corrected text."""
        covering, shift = self._locate(offset)
        return covering.start if covering else offset - shift

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The (start, end) in the original text of a span of the corrected text."""
        begin = self.original_offset(start)
        if end <= start:
            return begin, begin
        covering, shift = self._locate(end - 1)
        return begin, covering.end if covering else end - shift


def _phrase_words(node: Any) -> set[str]:
    words: set[str] = set()
    if isinstance(node, str):
        words |= {w.lower() for w in WORD.findall(node)}
    elif isinstance(node, list):
        for item in node:
            words |= _phrase_words(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("phrases", "IN") or isinstance(value, dict | list):
                words |= _phrase_words(value)
    return words


def domain_lexicon(lexicon_file: Path = LEXICON_FILE,
                   patterns_file: Path = PATTERNS_FILE) -> frozenset[str]:
    """Every word the detector knows: the lexicon file plus all words of the patterns."""
    lexicon = yaml.safe_load(lexicon_file.read_text(encoding="utf-8"))
    patterns = yaml.safe_load(patterns_file.read_text(encoding="utf-8"))
    words = _phrase_words([v for k, v in lexicon.items() if k != "text_speak"])
    words |= _phrase_words(patterns.get("concepts", {}))
    words |= _phrase_words(patterns.get("context", {}))
    return frozenset(w for w in words if len(w) >= 3)


def _english_words() -> dict[str, int]:
    """symspellpy's English frequency dictionary: word -> corpus count."""
    path = resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt"
    words: dict[str, int] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 2:
                words[parts[0]] = int(parts[1])
    return words


def default_text_speak(lexicon_file: Path = LEXICON_FILE) -> dict[str, str]:
    """Chat spellings that are no typo of one letter ("bak", "nuthin") and what they mean."""
    lexicon = yaml.safe_load(lexicon_file.read_text(encoding="utf-8"))
    return {str(k).lower(): str(v) for k, v in (lexicon.get("text_speak") or {}).items()}


class SpellingNormaliser:
    """Replaces misspelt domain words with the lexicon word they were meant to be."""

    def __init__(self, lexicon: frozenset[str] | None = None,
                 text_speak: dict[str, str] | None = None) -> None:
        self.lexicon = lexicon if lexicon is not None else domain_lexicon()
        self.text_speak = text_speak if text_speak is not None else default_text_speak()
        english = _english_words()
        self.known = frozenset(english) | self.lexicon | CHAT_WORDS
        self.symspell = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        # Equally close lexicon words are ranked by how common they are in English.
        for word in self.lexicon:
            self.symspell.create_dictionary_entry(word, english.get(word, 1))

    def suggestion(self, word: str) -> str | None:
        """The lexicon word meant by an unknown `word`, or None to leave it as it is."""
        lower = word.lower()
        if lower in self.text_speak:
            return self.text_speak[lower]
        if len(lower) < MIN_LENGTH or lower in self.known:
            return None
        distance = 1 if len(lower) <= 6 else 2
        found = self.symspell.lookup(lower, Verbosity.CLOSEST, max_edit_distance=distance,
                                     transfer_casing=False)
        return found[0].term if found else None

    def correct(self, text: str) -> Corrected:
        """The text with misspelt domain words corrected (lower-cased replacements)."""
        corrections: list[Correction] = []
        pieces: list[str] = []
        last = 0
        for match in WORD.finditer(text):
            replacement = self.suggestion(match.group())
            if replacement is None:
                continue
            corrections.append(Correction(match.start(), match.end(), match.group(), replacement))
            pieces.append(text[last:match.start()])
            pieces.append(replacement)
            last = match.end()
        if not corrections:
            return Corrected(text, ())
        pieces.append(text[last:])
        return Corrected("".join(pieces), tuple(corrections))


@lru_cache(maxsize=1)
def default_normaliser() -> SpellingNormaliser:
    """The shared normaliser (the English word list is read once per process)."""
    return SpellingNormaliser()
