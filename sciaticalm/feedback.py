"""The visitor's 👍/👎 on an answer: reading and checking the `/feedback{...}` payload.

The widget (and any partner or messenger client) sends feedback as a message whose text
is `/feedback{"feedback_rating": "up"|"down", "feedback_comment": "...",
"feedback_answer": "..."}`. It is recorded in the conversation log and never answered
(server/runtime/feedback.py); the contract and the stored events are in docs/widget.md.
Pure logic: no Rasa import.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

INTENT = "feedback"
RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 200
MAX_ANSWER_CHARS = 300
KEYS = ("feedback_rating", "feedback_comment", "feedback_answer")
_PREFIX = re.compile(r"\s*/feedback(?![\w-])")


@dataclass(frozen=True)
class Feedback:
    """Checked feedback: a rating, an optional one-line comment, the rated answer's start."""

    rating: str
    comment: str | None
    answer: str

    def entities(self) -> list[dict[str, str]]:
        """Rasa entity dicts, in the contract's order (no comment: no comment entity)."""
        values = {"feedback_rating": self.rating, "feedback_comment": self.comment,
                  "feedback_answer": self.answer}
        return [{"entity": k, "value": v} for k, v in values.items() if v is not None]

    def payload(self) -> str:
        """The canonical message text, as logged."""
        data = {e["entity"]: e["value"] for e in self.entities()}
        return f"/{INTENT}{json.dumps(data, ensure_ascii=False)}"


def is_feedback(text: object) -> bool:
    """True for any message meant as feedback (well-formed or not)."""
    return isinstance(text, str) and _PREFIX.match(text) is not None


def one_line(value: str, limit: int) -> str:
    """Control characters (newlines too) as spaces, runs of space as one, at most `limit`."""
    spaced = "".join(" " if unicodedata.category(c).startswith("C") else c for c in value)
    return " ".join(spaced.split())[:limit].strip()


def parse_feedback(text: str) -> Feedback | str:
    """The checked feedback in `text`, or why it is not usable (for a 400)."""
    match = _PREFIX.match(text)
    if match is None:
        return "not a feedback message"
    try:
        data = json.loads(text[match.end():])
    except ValueError:
        return "feedback must be /feedback followed by a JSON object"
    if not isinstance(data, dict):
        return "feedback must be /feedback followed by a JSON object"
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        return f"feedback takes only {', '.join(KEYS)}"
    rating = data.get("feedback_rating")
    if rating not in RATINGS:
        return "feedback_rating must be \"up\" or \"down\""
    comment, answer = data.get("feedback_comment"), data.get("feedback_answer", "")
    if comment is not None and not isinstance(comment, str):
        return "feedback_comment must be a string"
    if not isinstance(answer, str):
        return "feedback_answer must be a string"
    comment = one_line(comment, MAX_COMMENT_CHARS) if comment else ""
    return Feedback(rating, comment or None, one_line(answer, MAX_ANSWER_CHARS))
