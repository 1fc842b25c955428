"""Runtime hooks for the Rasa server process (not pure logic: Rasa plumbing).

`python -m sciaticalm.runtime <rasa arguments>` is `rasa <rasa arguments>` with
two behaviours added before Rasa starts:

- action_outage: a custom action whose server cannot be reached (or fails)
  sends the domain response `utter_actions_unavailable` instead of silence;
- log_privacy: visitor text is never written to the server log above debug level.

channels.launch (`make run`, `make run-prod`) and the tests start Rasa this way.
"""

from __future__ import annotations


def install() -> None:
    """Install every hook (idempotent)."""
    from sciaticalm.runtime import action_outage, log_privacy

    action_outage.install()
    log_privacy.install()
