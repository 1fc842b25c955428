"""Action server replies are checked against a validator built once.

Rasa 3.6's `RemoteAction._validate_action_result` calls `jsonschema.validate`,
which first checks the response schema itself against the JSON Schema
meta-schema, on every custom action call. With the pinned jsonschema 4.17 that
self-check dominates a turn: profiling 50 turns in process, it took half of all
the CPU a turn used (scripts/profile_turns.py, docs/performance.md).

The schema is Rasa's constant `RemoteAction.action_response_format_spec()`, so
this hook checks it once, keeps one validator, and validates each reply with it.
A reply that breaks the schema still raises the same `ValidationError`, with
Rasa's explanation added, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_ORIGINAL: dict[str, Callable[..., bool]] = {}


@lru_cache(maxsize=1)
def response_validator() -> Validator:
    """Rasa's response schema, checked once, as a reusable validator."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Same contract as Rasa's method: True, or ValidationError with a hint."""
    try:
        response_validator().validate(result)
    except ValidationError as exc:
        exc.message += (
            ". Failed to validate Action server response from API, make sure your "
            "response from the Action endpoint is valid. For more information about "
            f"the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


def install() -> None:
    if "validate" not in _ORIGINAL:
        _ORIGINAL["validate"] = RemoteAction._validate_action_result
        RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def uninstall() -> None:
    if "validate" in _ORIGINAL:
        RemoteAction._validate_action_result = _ORIGINAL.pop("validate")  # type: ignore[method-assign]
