"""Runtime hooks for the Rasa server process (not pure logic: Rasa plumbing).

`python -m server` installs them, then runs Rasa; four behaviours added before
Rasa starts:

- action_outage: a custom action whose server cannot be reached (or fails)
  sends the domain response `utter_actions_unavailable` instead of silence;
- log_privacy: visitor text is never written to the server log above debug level;
- strict_store: an unreachable conversation log is an error the channel turns
  into a clean 503, not Rasa's silent switch to an in-memory store;
- action_schema: action server replies are validated with a validator built
  once, not by re-checking Rasa's schema on every call (half a turn's CPU).

"""

from __future__ import annotations


def install() -> None:
    """Install every hook (idempotent)."""
    from server.runtime import action_outage, action_schema, log_privacy, strict_store

    action_outage.install()
    action_schema.install()
    log_privacy.install()
    strict_store.install()
