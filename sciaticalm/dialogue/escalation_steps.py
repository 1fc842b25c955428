"""The fixed sequences of actions after a red-flag message or a safety question (pure logic)."""

from __future__ import annotations

RED_FLAG_INTENT = "red_flag"
SAFETY_CHECK_INTENT = "safety_check"
SAFETY_CLEAR_INTENT = "safety_clear"
ESCALATE_RESPONSE = "utter_escalate"
SAFETY_QUESTION_RESPONSE = "utter_safety_question"
SAFETY_CLEAR_RESPONSE = "utter_safety_clear"
DEACTIVATE_LOOP = "action_deactivate_loop"
FOLLOWUP_ACTION = "action_escalation_followup"
LISTEN = "action_listen"


def next_escalation_action(
    latest_intent: str | None,
    actions_since_user: list[str],
    active_loop: str | None,
    ask_question: bool = False,
) -> str | None:
    """The next action of the escalation sequence, or None when it does not apply.

    The escalation text comes first (a domain response, so it needs no action
    server); then, when the message also touched a higher-tier body system, the
    safety question; then any active form is stopped; then the custom follow-up
    action (which may fail without harming what was already sent); then listen.
    """
    if latest_intent != RED_FLAG_INTENT:
        return None
    steps = [ESCALATE_RESPONSE]
    if ask_question:
        steps.append(SAFETY_QUESTION_RESPONSE)
    if active_loop or DEACTIVATE_LOOP in actions_since_user:
        steps.append(DEACTIVATE_LOOP)
    steps += [FOLLOWUP_ACTION, LISTEN]
    return _first_not_done(steps, actions_since_user)


def next_safety_question_action(
    latest_intent: str | None,
    actions_since_user: list[str],
    active_loop: str | None,
) -> str | None:
    """After a message that needs the safety question: ask it and wait (any form stays
    active). After "no" to it inside a form: a word of thanks, then the form asks its
    question again. Both are domain responses: no action server needed."""
    if latest_intent == SAFETY_CHECK_INTENT:
        return _first_not_done([SAFETY_QUESTION_RESPONSE, LISTEN], actions_since_user)
    if latest_intent == SAFETY_CLEAR_INTENT:
        steps = [SAFETY_CLEAR_RESPONSE, active_loop or LISTEN]
        return _first_not_done(steps, actions_since_user)
    return None


def _first_not_done(steps: list[str], done: list[str]) -> str | None:
    for step in steps:
        if step not in done:
            return step
    return None
