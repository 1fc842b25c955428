"""What one turn did, read from its events, for the operators' metrics (pure, no Rasa).

`turn_outcome(events, level_before)` takes a turn's events as Rasa serialises them
(`event.as_dict()`: {"event": "user" | "bot" | "action" | "slot", ...}), from the
visitor's message to the end of the turn, and the `triage_level` slot as it was
before the message. It answers with a `TurnOutcome` whose every field comes from a
small fixed set, never from the visitor's text, so it can label a metric:

- `escalation`: "emergency" / "urgent" when the turn escalated: the escalation
  response was sent (`utter_escalate`, whose custom payload names its level) or
  the turn set `triage_level` to a tier it did not have before (a follow-up that
  keeps an earlier level does not count again); else None;
- `safety_question`: the topic ("continence", "legs", "chest"; "other" for one
  outside the set) of the safety question asked in the turn, else None;
- `fallbacks`: which of "nlu_fallback" (the intent was `nlu_fallback`: the NLU was
  not confident), "two_stage_fallback" (`action_two_stage_fallback` ran),
  "core_fallback" (`action_default_fallback`: no policy was confident) and
  "out_of_scope" (intent `out_of_scope` or `action_out_of_scope`) happened;
- `actions_unavailable`: the apology for an unreachable action server was sent
  (server/runtime/action_outage.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sciaticalm.tiers import TIER_RANK, tier_rank

TIERS = tuple(TIER_RANK)  # ("urgent", "emergency")
SAFETY_TOPICS = ("continence", "legs", "chest")
FALLBACK_KINDS = ("nlu_fallback", "two_stage_fallback", "core_fallback", "out_of_scope")
ESCALATION_RESPONSE = "utter_escalate"
SAFETY_QUESTION_RESPONSE = "utter_safety_question"
APOLOGY_RESPONSE = "utter_actions_unavailable"
TRIAGE_SLOT = "triage_level"
SAFETY_SLOT = "safety_question"

_FALLBACK_ACTIONS = {"action_two_stage_fallback": "two_stage_fallback",
                     "action_default_fallback": "core_fallback",
                     "action_out_of_scope": "out_of_scope"}
_FALLBACK_INTENTS = {"nlu_fallback": "nlu_fallback", "out_of_scope": "out_of_scope"}


@dataclass(frozen=True)
class TurnOutcome:
    escalation: str | None = None
    safety_question: str | None = None
    fallbacks: frozenset[str] = field(default_factory=frozenset)
    actions_unavailable: bool = False


def _sciaticalm_payload(event: Mapping[str, Any]) -> Mapping[str, Any]:
    data = event.get("data") or {}
    custom = data.get("custom") if isinstance(data, Mapping) else None
    payload = custom.get("sciaticalm") if isinstance(custom, Mapping) else None
    return payload if isinstance(payload, Mapping) else {}


def _utter_action(event: Mapping[str, Any]) -> str | None:
    metadata = event.get("metadata") or {}
    name = metadata.get("utter_action") if isinstance(metadata, Mapping) else None
    return name if isinstance(name, str) else None


def _tier(value: object) -> str | None:
    return value if isinstance(value, str) and value in TIER_RANK else None


def _topic(value: object) -> str:
    return value if isinstance(value, str) and value in SAFETY_TOPICS else "other"


def turn_outcome(events: Iterable[Mapping[str, Any]], level_before: object = None
                 ) -> TurnOutcome:
    """The outcome of one turn (see the module's docstring)."""
    level = _tier(level_before)
    topic: object = None
    escalation: str | None = None
    safety: str | None = None
    fallbacks: set[str] = set()
    apology = False
    for event in events:
        kind = event.get("event")
        if kind == "slot":
            if event.get("name") == TRIAGE_SLOT:
                new = _tier(event.get("value"))
                if new and new != _tier(level_before) and escalation is None:
                    escalation = new  # set by this turn; the response may still name it
                level = new or level
            elif event.get("name") == SAFETY_SLOT:
                topic = event.get("value")
        elif kind == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in _FALLBACK_INTENTS:
                fallbacks.add(_FALLBACK_INTENTS[intent])
        elif kind == "action":
            name = event.get("name")
            if name in _FALLBACK_ACTIONS:
                fallbacks.add(_FALLBACK_ACTIONS[name])
        elif kind == "bot":
            payload = _sciaticalm_payload(event)
            utter = _utter_action(event)
            if payload.get("kind") == "escalation" or utter == ESCALATION_RESPONSE:
                # What the visitor was told: the level the response carries, else the
                # slot's (the response's default is the emergency text).
                told = _tier(payload.get("level")) or level or "emergency"
                if escalation is None or tier_rank(told) > tier_rank(escalation):
                    escalation = told
            elif payload.get("kind") == "safety_question" or utter == SAFETY_QUESTION_RESPONSE:
                safety = _topic(payload.get("topic") or topic)
            elif utter == APOLOGY_RESPONSE:
                apology = True
    return TurnOutcome(escalation, safety, frozenset(fallbacks), apology)

