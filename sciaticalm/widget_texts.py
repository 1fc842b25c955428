"""The widget's texts that come from content/: its opening disclaimer and the numbers
its escalation card falls back to when a payload brings none.

The widget is a static bundle that must work before any server answers, so these
are written into web/src/content.json (`make widget-texts`) rather than fetched;
tests/unit/test_one_source.py fails when the file and content/ disagree.
"""

from __future__ import annotations

from typing import Any

from sciaticalm.content import Library
from sciaticalm.render import fill

#: The keys of web/src/content.json that this module owns.
OWNED_KEYS = ("disclaimer", "calls")
#: Not a link channel (sciaticalm.render): numbers written as plain text.
PLAIN_TEXT = "plain"


def widget_texts(lib: Library) -> dict[str, Any]:
    """The owned keys' values, filled from content/ as plain text."""
    def call(contact: dict[str, Any]) -> dict[str, str]:
        return {"label": f"Call {contact['display']}", "tel": str(contact["tel"])}

    return {
        "disclaimer": fill(lib.disclaimer["widget"]["text"], lib, PLAIN_TEXT),
        "calls": {"emergency": [call(lib.contact["emergency"])],
                  "urgent": [call(lib.contact["helpline"])]},
    }


def merged(current: dict[str, Any], lib: Library) -> dict[str, Any]:
    """web/src/content.json's contents with the owned keys rewritten."""
    return {**current, **widget_texts(lib)}
