"""The fixed sequence of actions that follows a red-flag message (pure logic)."""

from __future__ import annotations

RED_FLAG_INTENT = "red_flag"
ESCALATE_RESPONSE = "utter_escalate"
DEACTIVATE_LOOP = "action_deactivate_loop"
FOLLOWUP_ACTION = "action_escalation_followup"
LISTEN = "action_listen"


def next_escalation_action(
    latest_intent: str | None,
    actions_since_user: list[str],
    active_loop: str | None,
) -> str | None:
    """The next action of the escalation sequence, or None when it does not apply.

    The escalation text comes first (a domain response, so it needs no action
    server); then any active form is stopped; then the custom follow-up action
    (which may fail without harming what was already sent); then listen.
    """
    if latest_intent != RED_FLAG_INTENT:
        return None
    steps = [ESCALATE_RESPONSE]
    if active_loop or DEACTIVATE_LOOP in actions_since_user:
        steps.append(DEACTIVATE_LOOP)
    steps += [FOLLOWUP_ACTION, LISTEN]
    for step in steps:
        if step not in actions_since_user:
            return step
    return None
