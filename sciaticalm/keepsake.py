"""The plan as the visitor keeps it ("Keep my plan" in the widget; pure logic).

After the assessment's plan the bot sends one more custom payload,
`{"sciaticalm": {"kind": "plan", ...}}`, from which the widget builds a printable page:
the plan's sections (the same texts as the chat), the visitor's answers in their own
words, the full disclaimer (content/disclaimer.yml) and the help line
(content/contact.yml). Messenger channels skip it (server/channels/text.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sciaticalm.content import Library
from sciaticalm.render import fill

MAX_ANSWER_CHARS = 300


def answers_in_words(events: Iterable[Mapping[str, Any]], slots: Iterable[str]
                     ) -> list[dict[str, str]]:
    """Each form question the visitor answered, in the order asked, with the question as
    the bot put it and the answer as the visitor gave it (a button's title, not its
    payload). The latest answer of each question counts."""
    wanted = set(slots)
    answers: dict[str, dict[str, str]] = {}
    requested: str | None = None
    question, said, titles = "", "", {}
    for event in events:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "requested_slot":
            requested, question = event.get("value"), ""
        elif kind == "bot":
            question = event.get("text") or question
            buttons = (event.get("data") or {}).get("buttons") or []
            titles = {b.get("payload"): b.get("title") for b in buttons if isinstance(b, dict)}
        elif kind == "user":
            text = event.get("text") or ""
            said = str(titles.get(text) or text)
        elif (kind == "slot" and event.get("name") in wanted and event.get("value") is not None
              and event.get("name") == requested and said):
            answers.pop(requested, None)
            answers[requested] = {"question": question,
                                  "answer": said[:MAX_ANSWER_CHARS]}
    return list(answers.values())


def plan_keepsake(sections: list[str], answers: list[dict[str, str]], lib: Library,
                  channel: str | None) -> dict[str, Any]:
    """The custom payload the widget turns into the printable plan."""
    helpline = lib.contact["helpline"]
    return {"sciaticalm": {
        "kind": "plan",
        "sections": [fill(s, lib, channel) for s in sections],
        "answers": answers,
        "disclaimer": fill(lib.disclaimer["full"]["text"], lib, channel),
        "contact": fill(lib.contact["ask_human"]["text"], lib, channel),
        "helpline": {"display": helpline["display"], "tel": helpline["tel"]},
    }}
