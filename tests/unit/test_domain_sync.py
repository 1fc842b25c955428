"""domain.yml's escalation responses match content/escalation.yml.

They are duplicated on purpose: the domain copy reaches the visitor even when
the action server is down.
"""

from __future__ import annotations

from sciaticalm.content import library
from sciaticalm.render import escalation_text


def _variations(domain: dict) -> list[dict]:
    return domain["responses"]["utter_escalate"]


def test_escalation_responses_match_content(domain: dict) -> None:
    by_level: dict[str | None, list[str]] = {}
    for variation in _variations(domain):
        conditions = variation.get("condition") or []
        level = conditions[0]["value"] if conditions else None
        by_level.setdefault(level, []).append(variation["text"])
        assert variation["custom"]["sciaticalm"]["kind"] == "escalation"
    lib = library()
    assert by_level["emergency"] == [escalation_text("emergency", lib)]
    assert by_level["urgent"] == [escalation_text("urgent", lib)]
    # with no level recorded the safe default is the emergency text
    assert by_level[None] == [escalation_text("emergency", lib)]


def test_escalation_puts_the_action_first_and_carries_help_line_and_disclaimer(
    domain: dict
) -> None:
    lib = library()
    for variation in _variations(domain):
        text = variation["text"]
        assert text.startswith("**Please call")
        assert "(tel:+442380248725)" in text
        assert lib.disclaimer["reminder"]["text"] in text
        calls = variation["custom"]["sciaticalm"]["calls"]
        assert {"label": "Call 02380 248725", "tel": "+442380248725"} in calls
    emergency = _variations(domain)[0]
    assert emergency["text"].startswith("**Please call 999 or go to A&E now.**")
    assert {"label": "Call 999", "tel": "999"} in emergency["custom"]["sciaticalm"]["calls"]


def test_every_domain_action_is_implemented(domain: dict) -> None:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(domain["actions"]) <= set(executor.actions)
