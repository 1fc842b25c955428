"""server.runtime.action_schema: action server replies are judged exactly
as Rasa judges them, with a validator built once."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from server.runtime import action_schema

VALID: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "pain_side", "value": "left"}],
     "responses": [{"response": "utter_greet"}]},
    {"events": [{"event": "active_loop", "name": None}], "responses": [{"text": "hi"}]},
]
INVALID: list[dict[str, Any]] = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot"}], "responses": []},  # a slot event needs a name
    {"events": [], "responses": ["a string, not an object"]},
    {"events": [{"event": "no_such_event"}], "responses": []},
]


@pytest.fixture()
def action() -> RemoteAction:
    return RemoteAction("action_causes_advice", None)


@pytest.mark.parametrize("reply", VALID)
def test_a_valid_reply_passes_as_with_rasa(action: RemoteAction, reply: dict) -> None:
    assert RemoteAction._validate_action_result(action, reply)  # Rasa's own
    assert action_schema.validate_action_result(action, reply)


@pytest.mark.parametrize("reply", INVALID)
def test_an_invalid_reply_fails_as_with_rasa(action: RemoteAction, reply: dict) -> None:
    with pytest.raises(ValidationError) as rasa_error:
        RemoteAction._validate_action_result(action, reply)
    with pytest.raises(ValidationError) as ours:
        action_schema.validate_action_result(action, reply)
    assert ours.value.message == rasa_error.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_install_replaces_and_uninstall_restores(action: RemoteAction) -> None:
    original = RemoteAction._validate_action_result
    action_schema.install()
    try:
        assert RemoteAction._validate_action_result is action_schema.validate_action_result
        action_schema.install()  # idempotent
        with pytest.raises(ValidationError):
            action._validate_action_result(INVALID[0])
    finally:
        action_schema.uninstall()
    assert RemoteAction._validate_action_result is original


def test_the_schema_is_checked_once() -> None:
    action_schema.response_validator.cache_clear()
    first = action_schema.response_validator()
    assert action_schema.response_validator() is first
