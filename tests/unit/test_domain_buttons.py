"""Every button the domain's responses show carries a payload Rasa can parse
(`/intent` or `/intent{json}`; the safety question's plain yes / no), after
Rasa's response templating, and the templating logs no error on the way.

Rasa's templating reads `{...}` as a slot placeholder, so the JSON of an
`/inform{...}` payload is written with doubled braces in domain.yml; without
them each of these buttons logged an ERROR with a traceback."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from unittest import mock

import pytest
from rasa.core.nlg import TemplatedNaturalLanguageGenerator, interpolator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from sciaticalm.answers import parse_screen

REPO = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(REPO / "domain.yml"))
WITH_BUTTONS = sorted(name for name, variants in DOMAIN.responses.items()
                      if any(v.get("buttons") for v in variants))
PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$")
# The safety question's buttons send plain "yes" / "no", so that a tapped answer goes
# through the red-flag detector exactly like a typed one.
TEXT_PAYLOAD_RESPONSES = {"utter_safety_question"}


def test_there_are_buttons_to_check() -> None:
    assert len(WITH_BUTTONS) >= 5


@pytest.mark.parametrize("name", WITH_BUTTONS)
def test_button_payloads_survive_templating(name: str) -> None:
    nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
    tracker = DialogueStateTracker.from_events("buttons", [], slots=DOMAIN.slots)
    with mock.patch.object(interpolator.structlogger, "exception") as logged:
        message = asyncio.run(nlg.generate(name, tracker, "rest"))
    assert not logged.called, logged.call_args
    assert message and message["buttons"]
    for button in message["buttons"]:
        if name in TEXT_PAYLOAD_RESPONSES:
            assert parse_screen(button["payload"]) in {"yes", "no"}, button
            continue
        match = PAYLOAD.match(button["payload"])
        assert match, button
        assert match["intent"] in DOMAIN.intents, button
        if match["entities"]:
            values = json.loads(match["entities"])
            assert set(values) <= {s.name for s in DOMAIN.slots} | set(DOMAIN.entities), button
