"""Personal details in a training example: clear, tested rules (pure logic).

An example that a rule flags is left out of the training export until a reviewer
edits its text (docs/console.md, "Inbox"). The rules are deliberately wide:
a false flag costs a reviewer one edit, a missed one puts a visitor's details
into the repository.
"""

from __future__ import annotations

import re

#: e-mail addresses (anything@anything.tld, also "name at example dot com" is not chased).
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
#: Ten digits grouped 3-3-4 or run together: an NHS number (checksum or not).
NHS_NUMBER = re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")
#: A phone number: +44 / 0 followed by 9-10 more digits, spaces, dashes or brackets
#: allowed between them; or any run of 10+ digits with such separators.
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s-]?|\(?0)\d[\d\s()-]{7,}\d(?!\d)")
DIGIT_RUN = re.compile(r"(?<!\d)(?:\d[\s()-]?){10,}(?!\d)")
#: A name: introduced ("my name is", "I'm called", "call me", "this is", signed
#: "thanks, Jane"), or after a title (Mr, Mrs, Ms, Miss, Dr).
NAME_INTRO = re.compile(
    r"\b(?:my name(?:'s| is)|name[: ]+is|i am called|i'm called|im called|call me|"
    r"this is|signed|regards|cheers|thanks|thank you)[,:]?\s+([A-Z][a-z'-]+)",
    re.IGNORECASE)
TITLE_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][a-z'-]+")
#: Capitalised words after an introduction that are not names.
NOT_NAMES = frozenset({
    "i", "a", "the", "my", "it", "is", "so", "for", "very", "much", "again", "all",
    "you", "your", "that", "this", "what", "not", "just", "really", "anyway", "ok",
    "okay", "but", "and", "he", "she", "we", "they", "there", "here", "running",
    "runner", "back", "pain", "sore", "normal", "bad", "serious", "mine", "helpful",
    "great", "useful", "good", "bye", "help", "advice", "info", "information",
})


def findings(text: str) -> list[str]:
    """Kinds of personal detail found in `text` ("email", "nhs_number", "phone",
    "name"), each once, in that order; [] when none."""
    found: list[str] = []
    if EMAIL.search(text):
        found.append("email")
    if NHS_NUMBER.search(text):
        found.append("nhs_number")
    if PHONE.search(text) or DIGIT_RUN.search(text):
        found.append("phone")
    if TITLE_NAME.search(text) or any(
            m.group(1).lower() not in NOT_NAMES for m in NAME_INTRO.finditer(text)):
        found.append("name")
    return found


def is_personal(text: str) -> bool:
    return bool(findings(text))
